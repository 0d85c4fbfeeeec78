package portal

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/view"
)

// home shows what to report here, the two buttons and how anonymity works.
// It is the same page for everyone (it shows only the county's settings,
// fixed at start): prepared once, and answered from it.
func (h *Handler) home(c *gin.Context) {
	csrf := h.csrfToken(c) // every page sets the CSRF cookie for the forms the visitor opens next
	if p := h.preparedHome(); p != nil && p.Render(h.ctx(c), c.Writer, http.StatusOK, csrf) {
		return
	}
	h.render(c, http.StatusOK, "home", homePage)
}

var homePage = page{Title: "生态环境问题举报", Nav: "home"}

func (h *Handler) preparedHome() *view.Prepared {
	if pp := h.homePage.Load(); pp != nil {
		return pp.p
	}
	p := homePage
	p.CSRF = view.Slot(0)
	prep, err := h.views.Prepare("home", h.pageData(p))
	if err != nil {
		h.log.Error("portal: prepare the home page", "err", err)
		return nil
	}
	h.homePage.Store(&preparedPage{p: prep})
	return prep
}
