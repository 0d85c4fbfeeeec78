package office

// The outbox page (消息发件箱), for admins: what is waiting, what failed and
// why, what was sent; a failed message can be sent again. Hotline operators
// see the same page for the callbacks to hotline systems only.

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
	ListChannel(ctx context.Context, view, channel string, limit int) ([]notify.Item, error)
	Get(ctx context.Context, id int64) (*notify.Item, error)
	Retry(ctx context.Context, id int64, by string) error
}

// OutboxReaders may see the outbox and retry its messages: admins all of
// them, hotline operators the hotline callbacks.
var OutboxReaders = []auth.Role{auth.Admin, auth.Operator}

// outboxChannel is the channel a user may see ("" for every one).
func outboxChannel(u *auth.User) string {
	if u != nil && u.Role == auth.Operator {
		return notify.ChannelHotline
	}
	return ""
}

// outboxItem is one message the user may see: ENOTFOUND for another's.
func (h *Handler) outboxItem(c *gin.Context) (*notify.Item, error) {
	notFound := &apperr.Error{Code: apperr.ENOTFOUND, Message: "消息不存在"}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return nil, notFound
	}
	it, err := h.Outbox.Get(h.ctx(c), id)
	if err != nil {
		return nil, err
	}
	if ch := outboxChannel(User(c)); ch != "" && it.Channel != ch {
		return nil, notFound
	}
	return it, nil
}

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
	Hotline bool // the operators' view: hotline callbacks only
	Stats   notify.Stats
	Tabs    []outboxTab
	View    string
	Items   []notify.Item
	Item    *notify.Item
}

var outboxTabs = []outboxTab{{View: notify.ViewFailed, Label: "失败"}, {View: notify.ViewQueue, Label: "待发送"},
	{View: notify.ViewSent, Label: "已发送"}, {View: notify.ViewAll, Label: "全部"}}

// outboxPage lists one view of the outbox (failures first).
func (h *Handler) outboxPage(c *gin.Context) {
	ctx := h.ctx(c)
	v := c.DefaultQuery("view", notify.ViewFailed)
	ch := outboxChannel(User(c))
	items, err := h.Outbox.ListChannel(ctx, v, ch, 200)
	if err != nil {
		h.fail(c, err)
		return
	}
	st, err := h.Outbox.Stats(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	d := outboxData{Hotline: ch != "", Stats: st, View: v, Items: items}
	for _, t := range outboxTabs {
		t.Current = t.View == v
		d.Tabs = append(d.Tabs, t)
	}
	h.render(c, http.StatusOK, "outbox", "消息发件箱", d)
}

// outboxMessage shows one message with every attempt.
func (h *Handler) outboxMessage(c *gin.Context) {
	it, err := h.outboxItem(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, "outbox_message", "消息 "+strconv.FormatInt(it.ID, 10), outboxData{Item: it})
}

// outboxRetry sends a message again now (audited).
func (h *Handler) outboxRetry(c *gin.Context) {
	it, err := h.outboxItem(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	id := it.ID
	if err := h.Outbox.Retry(h.ctx(c), id, User(c).Username); err != nil {
		h.fail(c, err)
		return
	}
	done(c, back(c, "/office/outbox/"+strconv.FormatInt(id, 10)), "消息 "+strconv.FormatInt(id, 10)+" 已重新排入发送，稍后刷新查看结果")
}
