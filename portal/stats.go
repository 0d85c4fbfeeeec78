package portal

import (
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/bulletin"
)

// The public statistics page (/stats, 公开统计): counts by month, type and
// town, the share concluded on time and the average days to conclude, all
// aggregated by package bulletin with every cell of fewer than 3 complaints
// suppressed. It names no reporter, case or place finer than a town.

// StatsTTL is how long one instance reuses the figures: the page is public
// and may be asked for often; the figures cover full months only.
var StatsTTL = 10 * time.Minute

type statsCache struct {
	mu  sync.Mutex
	at  time.Time
	pub *bulletin.Public
}

func (h *Handler) publicStats(c *gin.Context) (*bulletin.Public, error) {
	sc := &h.statsCache
	sc.mu.Lock()
	defer sc.mu.Unlock()
	now := h.now()
	if sc.pub != nil && now.Sub(sc.at) < StatsTTL && now.After(sc.at) && bulletin.MonthOf(now, h.loc).Equal(sc.pub.To) {
		return sc.pub, nil
	}
	p, err := bulletin.PublicStats(c.Request.Context(), h.db, now, h.loc)
	if err != nil {
		return nil, err
	}
	sc.pub, sc.at = p, now
	return p, nil
}

func (h *Handler) stats(c *gin.Context) {
	p, err := h.publicStats(c)
	if err != nil {
		h.renderError(c, err)
		return
	}
	c.Header("Cache-Control", "public, max-age=600")
	h.render(c, http.StatusOK, "stats", page{Title: "公开统计", Nav: "stats", V: p})
}
