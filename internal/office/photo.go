package office

// Serving photos to staff and units (查看照片): a reporter's photo at
// /office/attachments/{id}, an inspector's or a unit's at
// /office/case-photos/{id}. The route table lets in only the roles that
// work cases and the units; package evidence decides, per photo, whether a
// unit may see it (shared with it, or its own report's) and writes the view
// to the audit log before the file is read. A refusal is "not found", like
// a photo that does not exist.

import (
	"errors"
	"io/fs"
	"net/http"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/auth"
	"ecoreport/internal/evidence"
)

func (h *Handler) residentPhoto(c *gin.Context) { h.servePhoto(c, evidence.Resident) }

func (h *Handler) casePhoto(c *gin.Context) { h.servePhoto(c, evidence.Staff) }

func (h *Handler) servePhoto(c *gin.Context, src evidence.Source) {
	id, err := idParam(c)
	if err != nil {
		h.fail(c, evidence.ErrNoPhoto)
		return
	}
	u := User(c)
	v := evidence.Viewer{By: h.actor(c), Role: string(u.Role)}
	if u.Role == auth.UnitUser {
		if !u.UnitID.Valid {
			h.fail(c, evidence.ErrNoPhoto)
			return
		}
		v.Unit = u.UnitID.Int64
	}
	if h.files.store == nil {
		h.fail(c, errNoStore)
		return
	}
	f, err := h.Evidence.Open(h.ctx(c), evidence.Ref{Source: src, ID: id}, v)
	if err != nil {
		h.fail(c, err)
		return
	}
	b, err := h.files.read(h.ctx(c), f.StoredName)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || apperr.Is(err, apperr.ENOTFOUND) {
			h.log.WarnContext(h.ctx(c), "office: photo file missing", "source", string(src), "id", id)
		} else {
			h.log.ErrorContext(h.ctx(c), "office: read photo", "err", err)
		}
		h.fail(c, &apperr.Error{Code: apperr.EUNAVAILABLE, Message: "照片文件暂时无法读取，请稍后再试或联系系统管理员"})
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Content-Disposition", "inline")
	c.Data(http.StatusOK, f.MIME, b)
}
