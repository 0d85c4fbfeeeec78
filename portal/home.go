package portal

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// home shows what to report here, the two buttons and how anonymity works.
func (h *Handler) home(c *gin.Context) {
	h.render(c, http.StatusOK, "home", page{Title: "生态环境问题举报", Nav: "home"})
}
