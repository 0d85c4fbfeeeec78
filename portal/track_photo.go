package portal

import (
	"net/http"
	"os"
	"path/filepath"
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
	id, _ := strconv.ParseInt(c.Request.PostForm.Get("photo"), 10, 64)
	a, err := h.conv.Attachment(h.ctx(c), cmp.ID, id)
	if err == nil && !validStoredName(a.StoredName) {
		err = &apperr.Error{Code: apperr.ENOTFOUND, Message: "照片不存在"}
	}
	if err != nil {
		h.renderError(c, err)
		return
	}
	b, err := os.ReadFile(filepath.Join(h.uploadDir(), a.StoredName))
	if err != nil {
		h.log.ErrorContext(h.ctx(c), "portal: read photo", "err", err)
		h.renderError(c, &apperr.Error{Code: apperr.EUNAVAILABLE, Message: "照片暂时无法读取，请稍后再试"})
		return
	}
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Content-Disposition", "inline")
	c.Data(http.StatusOK, a.MIME, b)
}
