package hotline

// Results pushed back (结果回推): when a hotline ticket's public state
// changes, its hotline system is called back with the ticket's feedback
// columns, signed as the push API is, through the outbox (so the callback
// commits with the change, is retried until the system answers, and shows
// on the admin page when it fails). The pull API and the feedback file stay.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
	"ecoreport/internal/notify"
	"ecoreport/internal/secret"
)

// callbackEvents are the timeline events that change what a hotline caller
// is told (办理状态, 是否属实, 答复), and the name the callback gives each.
var callbackEvents = map[string]string{
	"complaint.accepted": "accepted",   // 已受理
	"complaint.refused":  "refused",    // 不予受理 (concluded with the refusal)
	"case.verifying":     "verifying",  // 核查中
	"case.verified":      "verified",   // 是否属实 known
	"case.dismissed":     "concluded",  // 不属实办结
	"case.assigned":      "rectifying", // 整改中
	"case.closed":        "closed",     // 已销号
	"case.reopened":      "reopened",   // 重新整改
}

// Callbacks writes and sends the callbacks. Hang Hook on the ledger's
// OnEvent and give Send to the outbox worker as the hotline channel.
type Callbacks struct {
	DB       *db.DB
	Keys     *secret.Keys
	Feedback *Feedback
	Off      bool // the rule hotline.callback is switched off
	Client   *http.Client
	Now      func() time.Time
}

type callbackTicket struct {
	ID       int64          `db:"id"`
	TicketNo string         `db:"source_ref"`
	Pusher   sql.NullString `db:"pusher"`
}

const (
	callbackTicketsOfComplaintSQL = `SELECT c.id, c.source_ref,
 (SELECT e.actor FROM events e WHERE e.complaint_id = c.id AND e.kind = 'complaint.filed' ORDER BY e.id LIMIT 1) AS pusher
 FROM complaints c WHERE c.id = ? AND c.channel = 'hotline'`
	callbackTicketsOfCaseSQL = `SELECT c.id, c.source_ref,
 (SELECT e.actor FROM events e WHERE e.complaint_id = c.id AND e.kind = 'complaint.filed' ORDER BY e.id LIMIT 1) AS pusher
 FROM complaints c WHERE c.case_id = ? AND c.channel = 'hotline' AND c.status <> 'refused' ORDER BY c.id`
	callbackClientsSQL = `SELECT id, name FROM hotline_clients WHERE callback_url <> '' AND disabled_at IS NULL ORDER BY id`
	callbackClientSQL  = `SELECT name, secret_enc, callback_url FROM hotline_clients WHERE id = ? AND disabled_at IS NULL`
)

// Hook writes one callback per hotline ticket the event changes and per
// system to tell, in the event's transaction. The system told is the one
// that pushed the ticket when it has a callback URL, else every system that
// has one (tickets imported from files come from the county's one 12369
// system).
func (cb *Callbacks) Hook(ctx context.Context, tx *sqlx.Tx, ev *ledger.Event) error {
	name, ok := callbackEvents[ev.Kind]
	if !ok || cb.Off {
		return nil
	}
	var tickets []callbackTicket
	var err error
	switch {
	case strings.HasPrefix(ev.Kind, "complaint.") && ev.ComplaintID.Valid:
		err = tx.SelectContext(ctx, &tickets, callbackTicketsOfComplaintSQL, ev.ComplaintID.Int64)
	case ev.CaseID.Valid:
		err = tx.SelectContext(ctx, &tickets, callbackTicketsOfCaseSQL, ev.CaseID.Int64)
	}
	if err != nil || len(tickets) == 0 {
		return err
	}
	var clients []struct {
		ID   int64  `db:"id"`
		Name string `db:"name"`
	}
	if err := tx.SelectContext(ctx, &clients, callbackClientsSQL); err != nil || len(clients) == 0 {
		return err
	}
	var msgs []Message
	for _, t := range tickets {
		row, err := cb.feedbackTx(ctx, tx, t.ID)
		if err != nil {
			return err
		}
		to := clients
		pusher := strings.TrimPrefix(t.Pusher.String, "hotline:")
		for _, c := range clients {
			if t.Pusher.Valid && strings.HasPrefix(t.Pusher.String, "hotline:") && c.Name == pusher {
				to = clients[:0:0]
				to = append(to, c)
				break
			}
		}
		for _, c := range to {
			key := fmt.Sprintf("ev:%d:%s:client:%d:complaint:%d", ev.ID, notify.RuleHotlineCallback, c.ID, t.ID)
			body, err := cb.body(key, name, ev.ID, ev.CreatedAt, row)
			if err != nil {
				return err
			}
			msgs = append(msgs, Message{Key: key, Rule: notify.RuleHotlineCallback, Channel: notify.ChannelHotline,
				Recipient: fmt.Sprintf("client:%d", c.ID), RecipientLabel: "热线系统 " + c.Name + "（工单 " + t.TicketNo + "）",
				Subject: t.TicketNo, Body: string(body), ComplaintID: t.ID, CaseID: ev.CaseID.Int64})
		}
	}
	_, err = notify.EnqueueTx(ctx, tx, ev.CreatedAt, msgs...)
	return err
}

// Message is an outbox message (notify.Message).
type Message = notify.Message

// feedbackTx is the ticket's feedback row as the change leaves it, read in
// the change's transaction.
func (cb *Callbacks) feedbackTx(ctx context.Context, tx *sqlx.Tx, complaintID int64) (FeedbackRow, error) {
	var s feedbackScan
	if err := tx.GetContext(ctx, &s, feedbackSQL+` AND c.id = ?`, complaintID); err != nil {
		return FeedbackRow{}, fmt.Errorf("hotline: feedback of complaint %d: %w", complaintID, err)
	}
	return cb.Feedback.row(s), nil
}

// body is what the hotline system receives: the feedback columns by name
// and as columns and values, exactly as the pull API answers them, with
// the event, when it happened, its sequence number (larger is newer) and
// the delivery id (the same on every attempt: the receiver takes a delivery
// id once). Callbacks of one ticket are sent in order.
func (cb *Callbacks) body(deliveryID, event string, seq int64, at time.Time, row FeedbackRow) ([]byte, error) {
	loc := time.UTC
	if cb.Feedback != nil && cb.Feedback.Ledger != nil && cb.Feedback.Ledger.Location != nil {
		loc = cb.Feedback.Ledger.Location
	}
	cells := row.Cells(loc)
	out := map[string]any{"columns": FeedbackColumns, "values": cells, "ticket_no": row.TicketNo, "query_code": row.Ref,
		"status": row.Status, "event": event, "changed_at": at.UTC().Format(time.RFC3339), "delivery_id": deliveryID, "seq": seq}
	for i, col := range FeedbackColumns {
		out[col] = cells[i]
	}
	return json.Marshal(out)
}

// Send delivers one callback (the outbox's hotline channel): POST the body
// to the client's callback URL with X-Client, X-Timestamp and X-Signature
// as the push API signs, and X-Delivery-Id. A client disabled or without a
// URL since is a permanent failure.
func (cb *Callbacks) Send(ctx context.Context, e *notify.Envelope) (string, error) {
	idText, ok := strings.CutPrefix(e.Recipient, "client:")
	id, err := strconv.ParseInt(idText, 10, 64)
	if !ok || err != nil {
		return "", notify.Permanent(fmt.Errorf("不是热线客户端：%s", e.Recipient))
	}
	var c struct {
		Name   string `db:"name"`
		Secret string `db:"secret_enc"`
		URL    string `db:"callback_url"`
	}
	if err := cb.DB.GetContext(ctx, &c, callbackClientSQL, id); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return "", notify.Permanent(errors.New("热线客户端已停用"))
		}
		return "", err
	}
	if c.URL == "" {
		return "", notify.Permanent(fmt.Errorf("热线客户端 %s 未配置回调地址", c.Name))
	}
	sec, err := cb.Keys.Open(c.Secret)
	if err != nil {
		return "", notify.Permanent(fmt.Errorf("热线客户端 %s 的密钥无法解密：%w", c.Name, err))
	}
	now := time.Now
	if cb.Now != nil {
		now = cb.Now
	}
	client := cb.Client
	if client == nil {
		client = http.DefaultClient
	}
	return notify.PostSigned(ctx, client, c.URL, sec, map[string]string{HeaderClient: c.Name, notify.HeaderDeliveryID: e.DeliveryID(),
		"Idempotency-Key": e.DeliveryID()}, []byte(e.Body), now())
}

// CheckCallbackURL says in Chinese what is wrong with a callback URL, or "".
func CheckCallbackURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(raw) > 1000 {
		return "回调地址须为 http:// 或 https:// 开头的完整网址"
	}
	return ""
}

// SetCallback sets (or, with "", removes) the callback URL of a client.
// EINVALID for a bad URL, ENOTFOUND for no such client.
func (c *Clients) SetCallback(ctx context.Context, name, callbackURL string) error {
	if m := CheckCallbackURL(callbackURL); m != "" {
		return apperr.Invalid(map[string]string{"callback_url": m})
	}
	res, err := c.DB.ExecContext(ctx, `UPDATE hotline_clients SET callback_url = ? WHERE name = ?`, callbackURL, name)
	if err != nil {
		return db.Classify(fmt.Errorf("hotline: set callback of %s: %w", name, err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var k int
		if err := c.DB.GetContext(ctx, &k, `SELECT COUNT(*) FROM hotline_clients WHERE name = ?`, name); err != nil || k == 0 {
			return &apperr.Error{Code: apperr.ENOTFOUND, Message: "推送客户端 " + name + " 不存在"}
		}
	}
	return nil
}
