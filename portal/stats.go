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

func init() { viewLayouts["stats"] = "layout" }

// StatsTTL is how long one instance reuses the figures: the page is public
// and may be asked for often; the figures cover full months only.
var StatsTTL = 10 * time.Minute

type statsCache struct {
	mu  sync.Mutex
	at  time.Time
	pub *bulletin.Public
}

// statsCaches holds one cache per Handler (the Handler's fields belong to
// portal.go).
var statsCaches sync.Map // *Handler → *statsCache

// RegisterStats mounts GET /stats on r.
func (h *Handler) RegisterStats(r gin.IRouter) {
	statsCaches.LoadOrStore(h, &statsCache{})
	r.GET("/stats", h.stats)
}

func (h *Handler) publicStats(c *gin.Context) (*bulletin.Public, error) {
	v, _ := statsCaches.LoadOrStore(h, &statsCache{})
	sc := v.(*statsCache)
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
