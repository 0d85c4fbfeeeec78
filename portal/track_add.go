package portal

import (
	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/ledger"
)

// additionInput is a 补充材料: text and/or photos.
type additionInput struct {
	Body string `json:"body" label:"补充说明" validate:"max=2000"`
}

// trackAdd stores additional information and photos (补充材料).
func (h *Handler) trackAdd(c *gin.Context) {
	h.trackAction(c, func(cmp *ledger.Complaint) (string, map[string]string, error) {
		in := additionInput{Body: c.Request.PostForm.Get("body")}
		form := map[string]string{"add_body": keepText(in.Body, 4000)}
		f := map[string]string{}
		checkTexts(f, map[string]string{"body": in.Body})
		if len(f) == 0 {
			f = checkStruct(&in)
		}
		var photos []cleanPhoto
		if c.Request.MultipartForm != nil {
			var msg string
			if photos, msg = readPhotos(c.Request.MultipartForm.File["photos"], h.limits.MaxPhotos); msg != "" {
				f["photos"] = msg
			}
		}
		if len(f) == 0 && trimmed(in.Body) == "" && len(photos) == 0 {
			f["body"] = "请填写补充说明或选择照片"
		}
		if len(f) > 0 {
			return "", form, apperr.Invalid(prefix("add_", f))
		}
		saved, err := h.saveFiles(photos)
		if err != nil {
			h.log.ErrorContext(h.ctx(c), "portal: save photos", "err", err)
			return "", form, errUploadDir
		}
		if err := h.conv.Add(h.ctx(c), cmp, trimmed(in.Body), saved); err != nil {
			h.removeFiles(saved)
			return "", form, err
		}
		return "补充材料已提交，工作人员会一并核查。", nil, nil
	})
}

func prefix(p string, m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[p+k] = v
	}
	return out
}
