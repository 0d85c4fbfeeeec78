package office

// Read-only queries of the back office. The ledger's lists (Inbox, CaseList,
// DuplicateCandidates) live in internal/ledger/queries.go; what stays here
// are the page helpers (unit and user names).

import (
	"context"
	"fmt"

	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
)

func (h *Handler) inboxComplaints(ctx context.Context) ([]ledger.Complaint, error) {
	return h.Ledger.Inbox(ctx)
}

// duplicates suggests cases the complaint may repeat (ledger.DuplicateCandidates).
func (h *Handler) duplicates(ctx context.Context, c *ledger.Complaint) ([]ledger.Case, error) {
	return h.Ledger.DuplicateCandidates(ctx, c)
}

// CaseFilter is the case list's filter, as given in the query string.
type CaseFilter = ledger.CaseFilter

// caseListLimit bounds one list page or export.
const caseListLimit = ledger.CaseListLimit

func (h *Handler) caseList(ctx context.Context, f CaseFilter) ([]ledger.Case, error) {
	return h.Ledger.CaseList(ctx, f)
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
