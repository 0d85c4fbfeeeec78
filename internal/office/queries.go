package office

// Read-only list queries of the back office. They belong in internal/ledger
// (Inbox, CaseList, DuplicateCandidates) once the lead takes them in; they are
// kept here meanwhile because the rest of the ledger package is not ours.

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"

	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
)

const complaintCols = `id, channel, status, source_ref, categories, category_text, town_id, town_text, address, subject,
 description, occurred_text, identity, contact_enc, contact_erased_at, wants_reward, case_id, refuse_reason, received_at,
 decide_due_at, reply_due_at, extra, warnings, source_hash, created_by, updated_at`

const caseCols = `id, status, source, source_detail, title, categories, town_id, unit_id, subject, verification,
 verification_note, public_reply, opened_at, due_at, extended, extension_reason, verified_at, concluded_at, closed_at,
 revisit_due_at, merged_into_id, created_by, updated_at`

// inboxLimit bounds one inbox page; the oldest come first, so nothing starves.
const inboxLimit = 200

const inboxSQL = `SELECT ` + complaintCols + ` FROM complaints WHERE status = ? ORDER BY received_at, id LIMIT ?`

func (h *Handler) inboxComplaints(ctx context.Context) ([]ledger.Complaint, error) {
	var cs []ledger.Complaint
	if err := h.DB.SelectContext(ctx, &cs, inboxSQL, ledger.Received, inboxLimit); err != nil {
		return nil, db.Classify(fmt.Errorf("office: inbox: %w", err))
	}
	return cs, nil
}

// openStatuses are the case statuses a new complaint may still join.
var openStatuses = []any{ledger.Open, ledger.Verifying, ledger.Assigned, ledger.Submitted, ledger.Reopened}

const dupCandidatesSQL = `SELECT ` + caseCols + ` FROM cases WHERE town_id = ? AND opened_at >= ?
 AND status IN (?, ?, ?, ?, ?) ORDER BY opened_at DESC LIMIT 200`

// duplicates suggests open cases of the last 90 days in the complaint's town
// that share a pollution type and either name the same reported party or
// read alike (character-bigram similarity).
func (h *Handler) duplicates(ctx context.Context, c *ledger.Complaint) ([]ledger.Case, error) {
	if !c.TownID.Valid {
		return nil, nil
	}
	var cands []ledger.Case
	args := append([]any{c.TownID.Int64, h.now().Add(-90 * 24 * time.Hour)}, openStatuses...)
	if err := h.DB.SelectContext(ctx, &cands, dupCandidatesSQL, args...); err != nil {
		return nil, db.Classify(fmt.Errorf("office: duplicates of %d: %w", c.ID, err))
	}
	var out []ledger.Case
	for _, k := range cands {
		if !sharesCategory(k.Categories, c.Categories) {
			continue
		}
		sameSubject := c.Subject != "" && strings.TrimSpace(k.Subject) == strings.TrimSpace(c.Subject)
		if sameSubject || similarity(k.Title+" "+k.Subject, c.Subject+" "+c.Description) >= 0.3 {
			out = append(out, k)
		}
	}
	return out, nil
}

func sharesCategory(a, b ledger.Categories) bool {
	for _, x := range a {
		if b.Has(x) {
			return true
		}
	}
	return false
}

// similarity is the Dice coefficient of the character bigrams of a and b,
// letters and digits only: good enough for short Chinese texts.
func similarity(a, b string) float64 {
	ga, gb := bigrams(a), bigrams(b)
	if len(ga) == 0 || len(gb) == 0 {
		return 0
	}
	common := 0
	for g := range ga {
		if gb[g] {
			common++
		}
	}
	return 2 * float64(common) / float64(len(ga)+len(gb))
}

func bigrams(s string) map[string]bool {
	var rs []rune
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			rs = append(rs, unicode.ToLower(r))
		}
	}
	out := map[string]bool{}
	for i := 0; i+1 < len(rs); i++ {
		out[string(rs[i:i+2])] = true
	}
	return out
}

// CaseFilter is the case list's filter, as given in the query string.
type CaseFilter struct {
	Status   string `form:"status"`
	Town     int64  `form:"town"`
	Unit     int64  `form:"unit"`
	Category string `form:"category"`
	Channel  string `form:"channel"`
	Overdue  bool   `form:"overdue"`
}

// Query is the filter as a query string (for the export link).
func (f CaseFilter) Query() string {
	var p []string
	add := func(k, v string) {
		if v != "" && v != "0" && v != "false" {
			p = append(p, k+"="+v)
		}
	}
	add("status", f.Status)
	add("town", fmt.Sprint(f.Town))
	add("unit", fmt.Sprint(f.Unit))
	add("category", f.Category)
	add("channel", f.Channel)
	add("overdue", fmt.Sprint(f.Overdue))
	return strings.Join(p, "&")
}

// caseListLimit bounds one list page or export.
const caseListLimit = 5000

func (h *Handler) caseList(ctx context.Context, f CaseFilter) ([]ledger.Case, error) {
	q := `SELECT ` + caseCols + ` FROM cases WHERE 1 = 1`
	var args []any
	if f.Status != "" {
		q += ` AND status = ?`
		args = append(args, f.Status)
	} else {
		q += ` AND status <> ?`
		args = append(args, ledger.Merged)
	}
	if f.Town != 0 {
		q += ` AND town_id = ?`
		args = append(args, f.Town)
	}
	if f.Unit != 0 {
		q += ` AND unit_id = ?`
		args = append(args, f.Unit)
	}
	if ledger.Category(f.Category).Valid() {
		// categories is "air,noise": match a whole item.
		q += ` AND (categories = ? OR categories LIKE ? OR categories LIKE ? OR categories LIKE ?)`
		args = append(args, f.Category, f.Category+",%", "%,"+f.Category, "%,"+f.Category+",%")
	}
	if ledger.Channel(f.Channel).Valid() {
		q += ` AND EXISTS (SELECT 1 FROM complaints m WHERE m.case_id = cases.id AND m.channel = ?)`
		args = append(args, f.Channel)
	}
	if f.Overdue {
		q += ` AND due_at < ? AND status NOT IN (?, ?, ?, ?)`
		args = append(args, h.now(), ledger.Dismissed, ledger.Closed, ledger.Merged, ledger.Submitted)
	}
	q += ` ORDER BY due_at, id LIMIT ?`
	args = append(args, caseListLimit)
	var cs []ledger.Case
	if err := h.DB.SelectContext(ctx, &cs, q, args...); err != nil {
		return nil, db.Classify(fmt.Errorf("office: case list: %w", err))
	}
	return cs, nil
}

// unitNames maps every unit id (active or not) to its name.
func (h *Handler) unitNames(ctx context.Context) (map[int64]string, error) {
	var us []ledger.Unit
	if err := h.DB.SelectContext(ctx, &us, `SELECT id, kind, name, short_name, sort_order, active FROM units`); err != nil {
		return nil, db.Classify(fmt.Errorf("office: units: %w", err))
	}
	m := make(map[int64]string, len(us))
	for _, u := range us {
		m[u.ID] = u.Name
	}
	return m, nil
}

const userNameSQL = `SELECT display_name, username FROM users WHERE id = ?`

func (h *Handler) userName(ctx context.Context, id int64) string {
	var r struct {
		Display  string `db:"display_name"`
		Username string `db:"username"`
	}
	if err := h.DB.GetContext(ctx, &r, userNameSQL, id); err != nil {
		return ""
	}
	if r.Display != "" {
		return r.Display
	}
	return r.Username
}
