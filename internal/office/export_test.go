package office

import "ecoreport/internal/view"

// ViewsOf gives the tests the handler's parsed views (which ones rendered).
func ViewsOf(h *Handler) *view.Set { return h.views }
