package office_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"ecoreport/internal/ledger"
	"ecoreport/internal/office"
)

// TestEveryViewRenders walks the back office as its users do (login and the
// code step, every list and form, a case with its notice and reward, the
// hotline pages, the bulletin, an error) and then checks that every view of
// the back office has rendered in full at least once, as a whole page with
// no inline CSS: every rule is in static/.
func TestEveryViewRenders(t *testing.T) {
	e := newRewardEnv(t)
	page := func(c *client, method, path string, want int, kv ...string) *client {
		t.Helper()
		var w interface{ Result() *http.Response }
		var body string
		if method == http.MethodPost {
			r := c.post(path, kv...)
			w, body = r, r.Body.String()
		} else {
			r := c.get(path)
			w, body = r, r.Body.String()
		}
		if code := w.Result().StatusCode; code != want {
			t.Fatalf("%s %s: %d, want %d\n%s", method, path, code, want, body)
		}
		if strings.Contains(body, "<style") || strings.Contains(body, " style=") || strings.Contains(body, "javascript:") {
			t.Fatalf("%s %s: inline CSS or script:\n%s", method, path, body)
		}
		if !strings.HasSuffix(strings.TrimSpace(body), "</html>") {
			t.Fatalf("%s %s: page cut short:\n%s", method, path, body)
		}
		return c
	}

	page(e.client(), "GET", "/office/login", http.StatusOK)
	e.enrolTOTP("leader")
	page(e.passwordStep("leader"), "GET", "/office/login/totp", http.StatusOK)

	inbox := e.file(webComplaint())
	_, caseID := e.verified() // a substantiated case with an eligible reward
	cs := "/office/cases/" + strconv.FormatInt(caseID, 10)
	if _, err := e.ledger.IssueNotice(ctx, ledger.NewNotice{CaseID: caseID, UnitID: 1, Requirements: "整改", Deadline: e.clk.now().AddDate(0, 0, 15)}, e.insp); err != nil {
		t.Fatal(err)
	}
	ns, err := e.ledger.NoticesOfCase(ctx, caseID)
	if err != nil || len(ns) != 1 {
		t.Fatalf("notices %v %v", ns, err)
	}
	admin := e.session("admin")
	for _, p := range []string{"/office/password", "/office/totp", "/office/inbox", "/office/mine", "/office/search?q=砂石厂", "/office/cases", cs, cs + "/messages", "/office/revisits",
		"/office/register", "/office/notices/" + strconv.FormatInt(ns[0].ID, 10), "/office/inspection/tasks", "/office/inspection/tasks/new",
		"/office/inspection/superior/new", "/office/interviews", "/office/interviews/new", "/office/referrals", "/office/referrals/new",
		"/office/rewards", cs + "/reward", "/office/rewards/rules", "/office/hotline", "/office/hotline/quarantine", "/office/hotline/feedback",
		"/office/hotline/code", "/office/bulletin?month=2026-11", "/office/workload", "/office/outbox", "/office/complaints/" + strconv.FormatInt(inbox.ID, 10), "/office/outbox?view=all", "/office/outbox/" + strconv.FormatInt(e.lastID("outbox"), 10)} {
		page(admin, "GET", p, http.StatusOK)
	}
	for _, p := range []string{"/office/admin", "/office/admin/users", "/office/admin/users/1", "/office/admin/units", "/office/admin/audit"} {
		page(admin, "GET", p, http.StatusOK)
	}
	page(admin, "POST", "/office/admin/users", http.StatusOK, "name", "newcomer", "role", "leader") // the password, shown once
	page(admin, "GET", cs+"0", http.StatusNotFound)                                                 // the error page
	page(admin, "POST", "/office/register", http.StatusOK, "channel", "visit", "categories", "water", "town_id", "2",
		"description", "养殖场污水直排河道，气味很大。", "identity", "anonymous") // its receipt
	page(e.session("unit"), "GET", "/office/unit", http.StatusOK)
	seeOther(t, admin.post("/office/inspection/tasks", "kind", "special", "theme", "汉江沿岸非法采砂专项巡查", "area", "城关镇",
		"team", "王建国", "start_on", "2026-11-03", "end_on", "2026-11-07"), "create task")
	page(admin, "GET", "/office/inspection/tasks/"+strconv.FormatInt(e.lastID("inspection_tasks"), 10), http.StatusOK)
	if w := admin.upload(admin.csrf, "02-12369-gbk-title.csv", sample(t)); w.Code != http.StatusOK || !strings.HasSuffix(strings.TrimSpace(w.Body.String()), "</html>") {
		t.Fatalf("hotline receipt: %d %s", w.Code, w.Body)
	}

	views := office.ViewsOf(e.h)
	for _, name := range views.Views() {
		if views.Rendered(name) == 0 {
			t.Errorf("view %s never rendered", name)
		}
	}
}
