package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Envelope is one message on its way: the row and, resolved at send time,
// the address it goes to (a phone for SMS, an e-mail address for mail).
type Envelope struct {
	ID          int64
	Key         string // the row's unique key: the idempotency key of providers that take one
	Rule        string
	Channel     string
	Recipient   string
	To          string
	Ref         string // the public reference it is about (R0000012): all an SMS template gets
	Subject     string
	Body        string
	ComplaintID int64
	CaseID      int64
	Attempt     int // 1 for the first
	CreatedAt   time.Time
}

// DeliveryID is what a receiver may deduplicate on: the same for every
// attempt of one message, different for every message.
func (e *Envelope) DeliveryID() string { return e.Key }

// Sender is a channel: it delivers one message and returns the provider's
// reference (BizId, SerialNo, Message-ID). An error is retried later unless
// it is Permanent.
type Sender interface {
	Send(ctx context.Context, e *Envelope) (ref string, err error)
}

// SenderFunc adapts a function to Sender.
type SenderFunc func(ctx context.Context, e *Envelope) (string, error)

// Send calls f.
func (f SenderFunc) Send(ctx context.Context, e *Envelope) (string, error) { return f(ctx, e) }

// PermanentError is a failure that retrying cannot fix (an invalid number,
// a template the provider refuses): the message is dead at once, and an
// operator may retry it after fixing the cause.
type PermanentError struct{ Err error }

func (p *PermanentError) Error() string { return p.Err.Error() }
func (p *PermanentError) Unwrap() error { return p.Err }

// Permanent marks err as not worth retrying.
func Permanent(err error) error { return &PermanentError{Err: err} }

// IsPermanent reports whether err was marked Permanent.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// LogSender is the log channel: it delivers nothing. The message stays in
// the outbox, marked sent, and the admin page shows it. A fresh machine
// needs nothing more.
type LogSender struct {
	Log func(msg string, args ...any) // may be nil
}

// Send records the message in the log (never its body: it may name a case).
func (l LogSender) Send(_ context.Context, e *Envelope) (string, error) {
	if l.Log != nil {
		l.Log("消息已记录（log 通道，未外发）", "outbox_id", e.ID, "rule", e.Rule, "channel", e.Channel, "recipient", e.Recipient)
	}
	return "log", nil
}

// Signing of webhooks and hotline callbacks, the scheme of the hotline push
// API: X-Timestamp is unix seconds, X-Signature hex HMAC-SHA256(secret,
// timestamp + "\n" + body); X-Delivery-Id is the same for every attempt of
// one message, so the receiver can take it exactly once.
const (
	HeaderTimestamp  = "X-Timestamp"
	HeaderSignature  = "X-Signature"
	HeaderDeliveryID = "X-Delivery-Id"
)

// Sign is the X-Signature of a body at a timestamp.
func Sign(secret []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte("\n"))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// PostSigned posts a JSON body signed with secret and answers the
// receiver's status: 2xx is delivered; 4xx other than 408 and 429 is
// permanent (the receiver refuses this body); anything else is retried.
func PostSigned(ctx context.Context, client *http.Client, url string, secret []byte, headers map[string]string, body []byte, now time.Time) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return "", Permanent(fmt.Errorf("回调地址无效：%w", err))
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "ecoreport-outbox")
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(secret, ts, body))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("无法连接接收方：%w", err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return "HTTP " + strconv.Itoa(resp.StatusCode), nil
	case resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != 408 && resp.StatusCode != 429:
		return "", Permanent(fmt.Errorf("接收方拒收：HTTP %d %s", resp.StatusCode, oneLine(answer)))
	}
	return "", fmt.Errorf("接收方出错：HTTP %d %s", resp.StatusCode, oneLine(answer))
}

func oneLine(b []byte) string {
	s := string(bytes.TrimSpace(b))
	if i := bytes.IndexAny([]byte(s), "\r\n"); i >= 0 {
		s = s[:i]
	}
	return clip(s, 200)
}

// Webhook posts staff messages to another system (a county OA, a chat-bot
// relay) as signed JSON.
type Webhook struct {
	URL    string
	Secret []byte
	Client *http.Client
	Now    func() time.Time
}

// webhookBody is what a webhook receives: the same bytes on every attempt.
type webhookBody struct {
	DeliveryID string    `json:"delivery_id"`
	Rule       string    `json:"rule"`
	RuleLabel  string    `json:"rule_label"`
	CaseRef    string    `json:"case_ref,omitempty"`
	Subject    string    `json:"subject"`
	Text       string    `json:"text"`
	CreatedAt  time.Time `json:"created_at"`
}

// Send posts the message.
func (w *Webhook) Send(ctx context.Context, e *Envelope) (string, error) {
	b := webhookBody{DeliveryID: e.DeliveryID(), Rule: e.Rule, RuleLabel: RuleLabel(e.Rule), Subject: e.Subject, Text: e.Body,
		CreatedAt: e.CreatedAt.UTC()}
	if e.CaseID != 0 {
		b.CaseRef = fmt.Sprintf("C%06d", e.CaseID)
	}
	body, err := json.Marshal(b)
	if err != nil {
		return "", Permanent(err)
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	client := w.Client
	if client == nil {
		client = http.DefaultClient
	}
	return PostSigned(ctx, client, w.URL, w.Secret, map[string]string{HeaderDeliveryID: e.DeliveryID(), "Idempotency-Key": e.DeliveryID()}, body, now())
}
