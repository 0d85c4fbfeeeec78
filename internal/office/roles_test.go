package office_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"ecoreport/internal/auth"
	"ecoreport/internal/ledger"
	"ecoreport/internal/office"
)

// snapshot is everything a forbidden request must leave as it was.
func (e *env) snapshot() string {
	e.t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT COUNT(*) FROM complaints`, `SELECT COUNT(*) FROM cases`, `SELECT COUNT(*) FROM events`,
		`SELECT COUNT(*) FROM notices`, `SELECT COUNT(*) FROM audit_log`, `SELECT COUNT(*) FROM sessions`,
		`SELECT COUNT(*) FROM import_batches`, `SELECT COUNT(*) FROM feedback_exports`,
	} {
		fmt.Fprintf(&b, "%d ", e.count(q))
	}
	for _, q := range []string{
		`SELECT id, status, updated_at FROM complaints ORDER BY id`, `SELECT id, status, updated_at FROM cases ORDER BY id`,
		`SELECT id, status, unit_id FROM notices ORDER BY id`, `SELECT id, password_hash, failed_logins FROM users ORDER BY id`,
		`SELECT id, status FROM import_rejects ORDER BY id`, `SELECT id, status, attempts, next_at FROM outbox ORDER BY id`,
		`SELECT id, role, active, display_name, unit_id, locked_until FROM users ORDER BY id`,
		`SELECT id, name, short_name, sort_order, active FROM units ORDER BY id`,
		`SELECT id, assignee_id FROM cases ORDER BY id`, `SELECT id, assignee_id FROM complaints ORDER BY id`,
		`SELECT COUNT(*) FROM totp_recovery_codes`,
	} {
		rows, err := e.db.Queryx(q)
		if err != nil {
			e.t.Fatal(err)
		}
		for rows.Next() {
			v, err := rows.SliceScan()
			if err != nil {
				e.t.Fatal(err)
			}
			fmt.Fprintf(&b, "%v;", v)
		}
		rows.Close()
	}
	return b.String()
}

// TestEveryRouteWithEveryRole walks the whole route table with every role
// (and with no session): a role the table does not name gets 403 and changes
// nothing; an anonymous request is sent to the login page and changes
// nothing; a named role is let through.
func TestEveryRouteWithEveryRole(t *testing.T) {
	e := newEnv(t)
	// Fixture: a received complaint, and a case verified with a notice.
	received := e.file(webComplaint())
	worked := e.file(webComplaint())
	insp := ledger.Actor{Name: "fixture"}
	caseID, err := e.ledger.Accept(ctx, worked.ID, 0, insp, ledger.EventInput{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.ledger.StartVerification(ctx, caseID, insp, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	if err := e.ledger.RecordVerification(ctx, caseID, ledger.Substantiated, "属实", insp, ledger.EventInput{}); err != nil {
		t.Fatal(err)
	}
	n, err := e.ledger.IssueNotice(ctx, ledger.NewNotice{CaseID: caseID, UnitID: 1, Requirements: "整改", Deadline: e.clk.now().Add(72 * 3600 * 1e9)}, insp)
	if err != nil {
		t.Fatal(err)
	}
	reject := e.importSample() // a hotline file with rows in the quarantine
	// An account for the administration routes to change (not one of the
	// sessions the test shares).
	if _, err := e.db.Exec(`INSERT INTO users (username, display_name, role, password_hash, active, failed_logins, created_at, updated_at)
 VALUES ('target', '目标', 'inspector', 'x', ?, 3, ?, ?)`, true, e.clk.now(), e.clk.now()); err != nil {
		t.Fatal(err)
	}
	target := e.userID("target")
	// A reporter's photo and an on-site photo of the case, with their files.
	residentPhoto, casePhoto := e.photos(caseID)
	path := func(p string) string {
		id := ""
		switch {
		case strings.HasPrefix(p, "/complaints/"):
			id = strconv.FormatInt(received.ID, 10)
		case strings.HasPrefix(p, "/cases/"):
			id = strconv.FormatInt(caseID, 10)
		case strings.HasPrefix(p, "/notices/"):
			id = strconv.FormatInt(n.ID, 10)
		case strings.HasPrefix(p, "/hotline/"):
			id = strconv.FormatInt(reject, 10)
		case strings.HasPrefix(p, "/admin/users/"):
			id = target
		case strings.HasPrefix(p, "/admin/units/"):
			id = "25" // 林业局
		case strings.HasPrefix(p, "/outbox/"):
			id = strconv.FormatInt(e.lastID("outbox"), 10)
		case strings.HasPrefix(p, "/attachments/"):
			id = strconv.FormatInt(residentPhoto, 10)
		case strings.HasPrefix(p, "/case-photos/"):
			id = strconv.FormatInt(casePhoto, 10)
		}
		return "/office" + strings.Replace(p, ":id", id, 1)
	}
	// Forms that would succeed if the role check let them through.
	forms := map[string]url.Values{
		"/complaints/:id/accept": {}, "/complaints/:id/refuse": {"reason": {"vague"}},
		"/cases/:id/extend": {"reason": {"现场复杂"}}, "/cases/:id/notice": {"unit_id": {"2"}, "requirements": {"整改"}, "deadline": {"2026-12-01"}},
		"/cases/:id/merge": {"into": {"1"}}, "/notices/:id/report": {"note": {"已整改"}},
		"/cases/:id/share":  {"share": {"resident:" + strconv.FormatInt(residentPhoto, 10)}},
		"/hotline/feedback": {"mode": {"since_last"}, "format": {"csv"}},
		"/cases/:id/assign": {"from": {"0"}, "assignee": {"3"}}, "/complaints/:id/assign": {"from": {"0"}, "assignee": {"3"}},
		"/admin/users": {"name": {"newcomer"}, "role": {"leader"}}, "/admin/users/:id": {"display_name": {"目标乙"}, "role": {"inspector"}},
		"/admin/units": {"kind": {"town"}, "name": {"新城镇"}}, "/admin/units/:id": {"name": {"林业局"}, "sort_order": {"26"}},
		// Not a valid change: a changed password would end the shared sessions.
		"/password": {"current": {password}, "new": {"another long password"}, "confirm": {"a different one"}},
	}

	clients := map[auth.Role]*client{}
	for _, r := range auth.Roles {
		clients[r] = e.session(string(r))
	}
	anon := e.client()
	anon.get("/office/login") // a valid pre-login CSRF token

	for _, rt := range office.Routes {
		if rt.Roles == nil {
			continue
		}
		allowed := map[auth.Role]bool{}
		for _, r := range rt.Roles {
			allowed[r] = true
		}
		req := func(c *client) int {
			var f url.Values
			if rt.Method == http.MethodPost {
				f = url.Values{}
				for k, v := range forms[rt.Path] {
					f[k] = v
				}
			}
			return c.do(rt.Method, path(rt.Path), f).Code
		}
		t.Run(rt.Method+" "+rt.Path, func(t *testing.T) {
			for _, r := range auth.Roles {
				if allowed[r] {
					continue
				}
				before := e.snapshot()
				if code := req(clients[r]); code != http.StatusForbidden {
					t.Errorf("role %s: %d, want 403", r, code)
				}
				if after := e.snapshot(); after != before {
					t.Errorf("role %s changed the database:\n%s\n%s", r, before, after)
				}
			}
			before := e.snapshot()
			w := anon.do(rt.Method, path(rt.Path), nil)
			if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/office/login" {
				t.Errorf("anonymous: %d %s", w.Code, w.Header().Get("Location"))
			}
			if after := e.snapshot(); after != before {
				t.Errorf("anonymous changed the database")
			}
			for _, r := range rt.Roles {
				c := clients[r]
				if rt.Path == "/logout" || rt.Path == "/password" {
					c = e.session(string(r)) // keep the shared session alive
				}
				if code := req(c); code == http.StatusForbidden || code == http.StatusUnauthorized {
					t.Errorf("role %s refused: %d", r, code)
				}
			}
		})
	}
}

// TestCSRFIsCheckedOnEveryPost posts every POST route with a wrong token as
// a user of a role the route allows (admin for the public ones): 403,
// nothing changes. (Another role is refused before the token is read.)
func TestCSRFIsCheckedOnEveryPost(t *testing.T) {
	e := newEnv(t)
	cm := e.file(webComplaint())
	clients := map[auth.Role]*client{}
	for _, rt := range office.Routes {
		if rt.Method != http.MethodPost {
			continue
		}
		role := auth.Admin
		if rt.Roles != nil && !slices.Contains(rt.Roles, auth.Admin) {
			role = rt.Roles[0]
		}
		if clients[role] == nil {
			clients[role] = e.session(string(role))
		}
		p := "/office" + strings.Replace(rt.Path, ":id", strconv.FormatInt(cm.ID, 10), 1)
		before := e.snapshot()
		w := clients[role].do(http.MethodPost, p, url.Values{"csrf": {strings.Repeat("0", 64)}, "username": {"admin"}, "password": {password}})
		if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "CSRF") {
			t.Errorf("%s with a bad token: %d", rt.Path, w.Code)
		}
		if e.snapshot() != before {
			t.Errorf("%s with a bad token changed the database", rt.Path)
		}
	}
}
