package office

// The outbox page (消息发件箱), for admins: what is waiting, what failed and
// why, what was sent; a failed message can be sent again.

import (
	"context"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"ecoreport/internal/apperr"
	"ecoreport/internal/auth"
	"ecoreport/internal/notify"
)

// Outbox is what the page needs of the outbox (notify.Outbox).
type Outbox interface {
	Stats(ctx context.Context) (notify.Stats, error)
	List(ctx context.Context, view string, limit int) ([]notify.Item, error)
	Get(ctx context.Context, id int64) (*notify.Item, error)
	Retry(ctx context.Context, id int64, by string) error
}

// OutboxAdmins may see the outbox and retry its messages.
var OutboxAdmins = []auth.Role{auth.Admin}

func outboxOnly(fn func(h *Handler, c *gin.Context)) func(h *Handler, c *gin.Context) {
	return func(h *Handler, c *gin.Context) {
		if h.Outbox == nil {
			h.fail(c, apperr.Errorf(apperr.EUNAVAILABLE, "消息发件箱未启用"))
			return
		}
		fn(h, c)
	}
}

type outboxTab struct {
	View, Label string
	Current     bool
}

type outboxData struct {
	Stats notify.Stats
	Tabs  []outboxTab
	View  string
	Items []notify.Item
	Item  *notify.Item
}

var outboxTabs = []outboxTab{{View: notify.ViewFailed, Label: "失败"}, {View: notify.ViewQueue, Label: "待发送"},
	{View: notify.ViewSent, Label: "已发送"}, {View: notify.ViewAll, Label: "全部"}}

// outboxPage lists one view of the outbox (failures first).
func (h *Handler) outboxPage(c *gin.Context) {
	ctx := h.ctx(c)
	v := c.DefaultQuery("view", notify.ViewFailed)
	items, err := h.Outbox.List(ctx, v, 200)
	if err != nil {
		h.fail(c, err)
		return
	}
	st, err := h.Outbox.Stats(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	d := outboxData{Stats: st, View: v, Items: items}
	for _, t := range outboxTabs {
		t.Current = t.View == v
		d.Tabs = append(d.Tabs, t)
	}
	h.render(c, http.StatusOK, "outbox", "消息发件箱", d)
}

// outboxMessage shows one message with every attempt.
func (h *Handler) outboxMessage(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		h.fail(c, &apperr.Error{Code: apperr.ENOTFOUND, Message: "消息不存在"})
		return
	}
	it, err := h.Outbox.Get(h.ctx(c), id)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, "outbox_message", "消息 "+strconv.FormatInt(id, 10), outboxData{Item: it})
}

// outboxRetry sends a message again now (audited).
func (h *Handler) outboxRetry(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		h.fail(c, &apperr.Error{Code: apperr.ENOTFOUND, Message: "消息不存在"})
		return
	}
	if err := h.Outbox.Retry(h.ctx(c), id, User(c).Username); err != nil {
		h.fail(c, err)
		return
	}
	done(c, back(c, "/office/outbox/"+strconv.FormatInt(id, 10)), "消息 "+strconv.FormatInt(id, 10)+" 已重新排入发送，稍后刷新查看结果")
}
