package office

// Read-only helpers of the back office's pages. The lists and names come
// from the domain (internal/ledger, internal/auth); nothing here holds SQL.

import (
	"context"
	"strings"

	"ecoreport/internal/ledger"
)

// CaseFilter is the case list's filter, as given in the query string.
type CaseFilter = ledger.CaseFilter

// caseListLimit bounds one list page or export.
const caseListLimit = ledger.CaseListLimit

func (h *Handler) caseList(ctx context.Context, f CaseFilter) ([]ledger.Case, error) {
	return h.Ledger.CaseList(ctx, f)
}

// unitNames maps every unit id (active or not) to its name.
func (h *Handler) unitNames(ctx context.Context) (map[int64]string, error) {
	return h.Ledger.UnitNames(ctx)
}

// userName is a staff member's name for a page: the display name, else the
// role's name (never the login name); "" when unknown: a name is
// decoration, not worth failing the page.
func (h *Handler) userName(ctx context.Context, id int64) string {
	u, err := h.Users.ByID(ctx, id)
	if err != nil {
		return ""
	}
	if n := strings.TrimSpace(u.DisplayName); n != "" {
		return n
	}
	return u.Role.Label()
}

// place is where a problem is, for a sentence: the town and the address,
// without the town twice when the address already starts with it.
func place(town, address string) string {
	town, address = strings.TrimSpace(town), strings.TrimSpace(address)
	if town == "" || strings.HasPrefix(address, town) {
		return address
	}
	return town + address
}
