package portal

import (
	"bytes"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/web"
)

// captchaFile serves /captcha/ID.png (image) and /captcha/ID.wav (Chinese
// audio). Reading a challenge does not use it up.
func (h *Handler) captchaFile(c *gin.Context) {
	file := c.Param("file")
	var b bytes.Buffer
	var err error
	var ct string
	switch {
	case strings.HasSuffix(file, ".png"):
		err, ct = h.captcha.WriteImage(h.ctx(c), &b, strings.TrimSuffix(file, ".png")), "image/png"
	case strings.HasSuffix(file, ".wav"):
		err, ct = h.captcha.WriteAudio(h.ctx(c), &b, strings.TrimSuffix(file, ".wav")), "audio/wav"
	default:
		err = &apperr.Error{Code: apperr.ENOTFOUND, Message: "验证码不存在"}
	}
	if err != nil {
		// An image or audio URL: the answer is a line of text, not a page.
		h.errs.HTML(c, err, func(p web.Problem) { c.Data(p.Status, "text/plain; charset=utf-8", []byte(p.Message)) })
		return
	}
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, ct, b.Bytes())
}
