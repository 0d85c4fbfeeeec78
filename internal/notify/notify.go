// Package notify is the outbox (消息发件箱) and everything that tells people
// of what happened (事事有回音): the rules that turn a timeline event into
// messages, written in the transaction of the change (rules.go); the
// scheduler of reminders (schedule.go); the worker that delivers due
// messages through the channels with retries, quiet hours and per-phone caps
// (worker.go); what operators see and do (admin.go) and the metrics
// (metrics.go). The channels themselves sit behind one small interface,
// Sender (channel.go); the SMS providers and SMTP live in notify/sms and
// notify/mail. Nothing here speaks HTTP to browsers.
package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/db"
	"ecoreport/internal/secret"
)

// Status is where an outbox row stands.
type Status string

// Statuses. A pending row whose attempts failed is "failed" on the admin
// page (pending with an error); dead stops retrying; skipped had nobody to
// reach; merged was covered by another SMS to the same reporter.
const (
	Pending Status = "pending"
	Sent    Status = "sent"
	Dead    Status = "dead"
	Skipped Status = "skipped"
	Merged  Status = "merged"
)

var statusLabels = map[Status]string{
	Pending: "待发送", Sent: "已发送", Dead: "发送失败（已停止重试）", Skipped: "无需发送", Merged: "已合并",
}

// Label is the status's Chinese name.
func (s Status) Label() string { return statusLabels[s] }

// Channels: what the worker sends a row through. log delivers nothing: the
// message stays in the outbox and on the admin page.
const (
	ChannelSMS     = "sms"
	ChannelEmail   = "email"
	ChannelWebhook = "webhook"
	ChannelHotline = "hotline"
	ChannelLog     = "log"
)

var channelLabels = map[string]string{
	ChannelSMS: "短信", ChannelEmail: "电子邮件", ChannelWebhook: "Webhook", ChannelHotline: "热线回调", ChannelLog: "仅记录",
}

// ChannelLabel is a channel's Chinese name.
func ChannelLabel(ch string) string {
	if l, ok := channelLabels[ch]; ok {
		return l
	}
	return ch
}

// Message is one row of the outbox to be written (a message owed to one
// recipient). Recipient names who, never how to reach them: complaint:12
// (its confidential reporter), user:5, unit:3, client:2 (a hotline system),
// webhook. The phone or address is looked up when it is sent, so a contact
// erased meanwhile is never used.
type Message struct {
	Key            string // unique: the event or deadline, the rule, the recipient
	Rule           string
	Channel        string
	Recipient      string
	RecipientLabel string // what the admin page shows: never a phone in clear
	Subject        string
	Body           string
	ComplaintID    int64
	CaseID         int64
	NotBefore      time.Time // zero: now
}

const insertSQL = `INSERT INTO outbox (msg_key, rule, channel, recipient, recipient_label, subject, body, complaint_id, case_id,
 status, attempts, next_at, last_error, provider_ref, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, '', '', ?, ?)`

// Max lengths the columns hold on both engines.
const (
	maxLabel   = 200
	maxSubject = 400
	maxBody    = 60000
)

// EnqueueTx writes messages into the outbox in the caller's transaction (or
// on the handle itself): they are delivered only if it commits. A message
// whose key is already there is left alone (a reminder scheduled twice, a
// login alert within its hour), so enqueueing is idempotent; it reports how
// many rows it added.
func EnqueueTx(ctx context.Context, x sqlx.ExtContext, now time.Time, msgs ...Message) (int, error) {
	now = db.UTC(now)
	n := 0
	for _, m := range msgs {
		at := now
		if !m.NotBefore.IsZero() && m.NotBefore.After(now) {
			at = db.UTC(m.NotBefore)
		}
		_, err := x.ExecContext(ctx, insertSQL, m.Key, m.Rule, m.Channel, m.Recipient, clip(m.RecipientLabel, maxLabel),
			clip(m.Subject, maxSubject), clip(m.Body, maxBody), nullID(m.ComplaintID), nullID(m.CaseID), Pending, at, now, now)
		if db.IsDuplicate(err) {
			// The engine undoes only the failed statement: the caller's
			// transaction goes on.
			continue
		}
		if err != nil {
			return n, fmt.Errorf("notify: enqueue %s: %w", m.Key, err)
		}
		n++
	}
	return n, nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// clip keeps s to n runes.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func token() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return hex.EncodeToString(b[:])
}

// Outbox is the outbox's store: what the worker, the scheduler, the rules,
// the admin page and the commands share.
type Outbox struct {
	DB       *db.DB
	Keys     *secret.Keys
	Settings Settings
	Location *time.Location
	Now      func() time.Time
}

func (o *Outbox) now() time.Time {
	if o.Now != nil {
		return db.UTC(o.Now())
	}
	return db.UTC(time.Now())
}

func (o *Outbox) loc() *time.Location {
	if o.Location != nil {
		return o.Location
	}
	return time.UTC
}

// Settings are what the configuration decides about messages.
type Settings struct {
	// Off turns rules off by name (reporter.closed, unit.due_3d, …): no row
	// is written for them.
	Off map[string]bool
	// Mail is true when staff e-mail goes out over SMTP; false sends staff
	// messages to the log channel (outbox and admin page only).
	Mail bool
	// Webhook is true when a webhook receives a copy of every staff message.
	Webhook bool
	// PublicURL is the site residents use, named in the SMS text; the office
	// links in e-mails start with it. May be "".
	PublicURL string
	// QuietFrom and QuietTo are the quiet hours of residents' SMS, in minutes
	// after local midnight (22:00–08:00 is 1320 and 480); equal means none.
	QuietFrom, QuietTo int
	// DailyCap is how many SMS one phone gets per local day (0: no cap).
	DailyCap int
	// MaxAttempts before a message is dead.
	MaxAttempts int
	// RetryBase is the first wait after a failure; it doubles per attempt up
	// to an hour.
	RetryBase time.Duration
	// Timeout bounds one delivery; the claim's lease is derived from it.
	Timeout time.Duration
	// OverdueDays: the leader's daily digest lists cases overdue by more.
	OverdueDays int
}

// DefaultSettings are what a fresh machine runs with.
var DefaultSettings = Settings{QuietFrom: 22 * 60, QuietTo: 8 * 60, DailyCap: 3, MaxAttempts: 10,
	RetryBase: 30 * time.Second, Timeout: 10 * time.Second, OverdueDays: 7}

// On reports whether rule is switched on.
func (s Settings) On(rule string) bool { return !s.Off[rule] }

// lease is how long a claim holds: longer than any one delivery can take.
func (s Settings) lease() time.Duration {
	t := s.Timeout
	if t <= 0 {
		t = DefaultSettings.Timeout
	}
	return t + 5*time.Second
}

// ParseQuietHours reads "22:00-08:00" (or "off") into minutes after
// midnight. Errors name the setting for people.
func ParseQuietHours(v string) (from, to int, err error) {
	v = strings.TrimSpace(v)
	if v == "" || v == "off" {
		return 0, 0, nil
	}
	a, b, ok := strings.Cut(v, "-")
	if ok {
		if from, err = clock(a); err == nil {
			to, err = clock(b)
		}
	}
	if !ok || err != nil {
		return 0, 0, fmt.Errorf("配置错误 --quiet-hours：%q 应为 22:00-08:00 这样的时段，或 off", v)
	}
	return from, to, nil
}

func clock(s string) (int, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, err
	}
	return t.Hour()*60 + t.Minute(), nil
}

// quietUntil returns the end of the quiet hours when t (in loc) lies in
// them, else the zero time.
func (s Settings) quietUntil(t time.Time, loc *time.Location) time.Time {
	if s.QuietFrom == s.QuietTo {
		return time.Time{}
	}
	l := t.In(loc)
	m := l.Hour()*60 + l.Minute()
	day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	end := func(d time.Time) time.Time { return d.Add(time.Duration(s.QuietTo) * time.Minute) }
	if s.QuietFrom < s.QuietTo { // e.g. 12:00-14:00
		if m >= s.QuietFrom && m < s.QuietTo {
			return end(day)
		}
		return time.Time{}
	}
	switch { // across midnight, e.g. 22:00-08:00
	case m >= s.QuietFrom:
		return end(day.AddDate(0, 0, 1))
	case m < s.QuietTo:
		return end(day)
	}
	return time.Time{}
}

// nextMorning is the end of the quiet hours on the local day after t's (the
// first moment a capped phone may get an SMS again).
func (s Settings) nextMorning(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, loc).Add(time.Duration(s.QuietTo) * time.Minute)
}
