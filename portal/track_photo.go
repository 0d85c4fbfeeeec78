package portal

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
)

// trackPhoto shows one of the complaint's own photos to its reporter: the
// request carries the code in its body, so photos are reachable only through
// the tracking session.
func (h *Handler) trackPhoto(c *gin.Context) {
	if err := parseForm(c); err != nil {
		h.renderError(c, err)
		return
	}
	if !h.checkCSRF(c) {
		h.renderError(c, errCSRF)
		return
	}
	cmp, err := h.lookup(c, lookupFromForm(c))
	if err != nil {
		h.renderError(c, err)
		return
	}
	// The form names the photo by its number within the complaint (1, 2, 3
	// in the order they came), never by the site-wide attachment id.
	n, _ := strconv.Atoi(c.Request.PostForm.Get("photo"))
	as, err := h.conv.Attachments(h.ctx(c), cmp.ID)
	if err != nil {
		h.renderError(c, err)
		return
	}
	if n < 1 || n > len(as) || !validStoredName(as[n-1].StoredName) {
		h.renderError(c, &apperr.Error{Code: apperr.ENOTFOUND, Message: "照片不存在"})
		return
	}
	a := as[n-1]
	b, err := h.readFile(h.ctx(c), a.StoredName)
	if err != nil {
		h.log.ErrorContext(h.ctx(c), "portal: read photo", "err", err)
		h.renderError(c, &apperr.Error{Code: apperr.EUNAVAILABLE, Message: "照片暂时无法读取，请稍后再试"})
		return
	}
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Content-Disposition", "inline")
	c.Data(http.StatusOK, a.MIME, b)
}
