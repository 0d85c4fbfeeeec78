package portal

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// apiCaptcha makes a challenge for a partner app.
func (h *Handler) apiCaptcha(c *gin.Context) {
	if err := h.allow(h.captchaLimit, h.clientKey(c, "captcha")); err != nil {
		h.apiFail(c, err)
		return
	}
	id, err := h.captcha.New(h.ctx(c))
	if err != nil {
		h.apiFail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{
		"captcha_id": id,
		"image_url":  "/captcha/" + id + ".png",
		"audio_url":  "/captcha/" + id + ".wav",
		"required":   h.deps.Captcha,
	})
}
