package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
)

// Worker delivers due outbox rows. Several may run, in one process or in
// several instances: each row is claimed by exactly one with one conditional
// UPDATE (a claim token and a lease); the lease outlives any one delivery,
// so a worker that died mid-send leaves the row to be claimed again once it
// expires, and every attempt is recorded.
type Worker struct {
	Outbox  *Outbox
	Senders map[string]Sender // by channel
	Log     *slog.Logger
	Metrics *Metrics // may be nil
	// Batch is how many rows one round claims; Parallel how many it sends
	// at once.
	Batch, Parallel int
}

// row is an outbox row as the worker and the admin page read it.
type row struct {
	ID             int64          `db:"id"`
	Key            string         `db:"msg_key"`
	Rule           string         `db:"rule"`
	Channel        string         `db:"channel"`
	Recipient      string         `db:"recipient"`
	RecipientLabel string         `db:"recipient_label"`
	Subject        string         `db:"subject"`
	Body           string         `db:"body"`
	ComplaintID    sql.NullInt64  `db:"complaint_id"`
	CaseID         sql.NullInt64  `db:"case_id"`
	Status         Status         `db:"status"`
	Attempts       int            `db:"attempts"`
	NextAt         time.Time      `db:"next_at"`
	ClaimToken     sql.NullString `db:"claim_token"`
	ClaimedUntil   sql.NullTime   `db:"claimed_until"`
	LastError      string         `db:"last_error"`
	ProviderRef    string         `db:"provider_ref"`
	CreatedAt      time.Time      `db:"created_at"`
	SentAt         sql.NullTime   `db:"sent_at"`
	UpdatedAt      time.Time      `db:"updated_at"`
}

const rowColumns = `id, msg_key, rule, channel, recipient, recipient_label, subject, body, complaint_id, case_id, status, attempts,
 next_at, claim_token, claimed_until, last_error, provider_ref, created_at, sent_at, updated_at`

const (
	dueSQL = `SELECT id, channel, recipient, complaint_id FROM outbox WHERE status = ? AND next_at <= ? AND (claimed_until IS NULL OR claimed_until < ?)
 ORDER BY next_at, id LIMIT ?`
	claimSQL = `UPDATE outbox SET claim_token = ?, claimed_until = ?, attempts = attempts + 1, updated_at = ?
 WHERE id = ? AND status = ? AND next_at <= ? AND (claimed_until IS NULL OR claimed_until < ?)`
	olderSQL      = `SELECT COUNT(*) FROM outbox WHERE recipient = ? AND complaint_id = ? AND status = ? AND id < ?`
	claimedRowSQL = `SELECT ` + rowColumns + ` FROM outbox WHERE id = ? AND claim_token = ?`
	sentSQL       = `UPDATE outbox SET status = ?, sent_at = ?, provider_ref = ?, last_error = '', claim_token = NULL, claimed_until = NULL,
 updated_at = ? WHERE id = ? AND claim_token = ?`
	failedSQL = `UPDATE outbox SET status = ?, next_at = ?, last_error = ?, claim_token = NULL, claimed_until = NULL, updated_at = ?
 WHERE id = ? AND claim_token = ?`
	deferSQL = `UPDATE outbox SET next_at = ?, attempts = attempts - 1, last_error = ?, claim_token = NULL, claimed_until = NULL,
 updated_at = ? WHERE id = ? AND claim_token = ?`
	finishOtherSQL = `UPDATE outbox SET status = ?, last_error = ?, claim_token = NULL, claimed_until = NULL, updated_at = ?
 WHERE id = ? AND claim_token = ?`
	mergeSQL = `UPDATE outbox SET status = ?, last_error = ?, updated_at = ?
 WHERE recipient = ? AND channel = ? AND status = ? AND id <> ? AND created_at <= ? AND (claimed_until IS NULL OR claimed_until < ?)`
	attemptSQL = `INSERT INTO outbox_attempts (outbox_id, attempt, started_at, finished_at, outcome, detail, provider_ref)
 VALUES (?, ?, ?, ?, ?, ?, ?)`
	capEnsureSQL = `INSERT INTO sms_daily (phone_mac, day, sent) VALUES (?, ?, 0)`
	capTakeSQL   = `UPDATE sms_daily SET sent = sent + 1 WHERE phone_mac = ? AND day = ? AND sent < ?`
	contactSQL   = `SELECT id, identity, contact_enc FROM complaints WHERE id = ?`
	emailSQL     = `SELECT a.email FROM staff_addresses a JOIN users u ON u.id = a.user_id WHERE a.user_id = ? AND u.active = ?`
)

// Attempt outcomes, as recorded in outbox_attempts.
const (
	OutcomeSent     = "sent"
	OutcomeFailed   = "failed"
	OutcomeDead     = "dead"
	OutcomeDeferred = "deferred"
	OutcomeSkipped  = "skipped"
)

// Run delivers due rows every interval until ctx ends.
func (w *Worker) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := w.RunOnce(ctx); err != nil && ctx.Err() == nil {
			w.log().Warn("outbox: " + err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (w *Worker) log() *slog.Logger {
	if w.Log != nil {
		return w.Log
	}
	return slog.New(slog.DiscardHandler)
}

// RunOnce claims the rows due now and delivers them; it returns how many
// it handled.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	o := w.Outbox
	batch, par := w.Batch, w.Parallel
	if batch <= 0 {
		batch = 20
	}
	if par <= 0 {
		par = 4
	}
	now := o.now()
	var due []struct {
		ID          int64         `db:"id"`
		Channel     string        `db:"channel"`
		Recipient   string        `db:"recipient"`
		ComplaintID sql.NullInt64 `db:"complaint_id"`
	}
	if err := o.DB.SelectContext(ctx, &due, dueSQL, Pending, now, now, batch); err != nil {
		return 0, fmt.Errorf("due rows: %w", err)
	}
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	n := 0
	reporters := map[string]bool{}
	for _, d := range due {
		id := d.ID
		if d.Channel == ChannelSMS {
			// One SMS per reporter per round: the others wait, and the
			// one sent merges them (they would say the same).
			if reporters[d.Recipient] {
				continue
			}
			reporters[d.Recipient] = true
		}
		if d.Channel == ChannelHotline && d.ComplaintID.Valid {
			// A hotline system hears of a ticket's changes in the order
			// they happened: a newer state never overtakes an older one
			// still waiting (retried, or being sent).
			var older int
			if err := o.DB.GetContext(ctx, &older, olderSQL, d.Recipient, d.ComplaintID.Int64, Pending, id); err != nil {
				return n, fmt.Errorf("order of %d: %w", id, err)
			}
			if older > 0 {
				continue
			}
		}
		tok := token()
		now := o.now()
		res, err := o.DB.ExecContext(ctx, claimSQL, tok, now.Add(o.Settings.lease()), now, id, Pending, now, now)
		if err != nil {
			return n, fmt.Errorf("claim %d: %w", id, err)
		}
		if k, _ := res.RowsAffected(); k != 1 {
			continue // another worker was quicker
		}
		n++
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := w.deliver(ctx, id, tok); err != nil && ctx.Err() == nil {
				w.log().Warn("outbox: deliver", "outbox_id", id, "error", err)
			}
		}()
	}
	wg.Wait()
	return n, nil
}

// deliver sends one claimed row and records how it went.
func (w *Worker) deliver(ctx context.Context, id int64, tok string) error {
	o := w.Outbox
	var r row
	if err := o.DB.GetContext(ctx, &r, claimedRowSQL, id, tok); err != nil {
		return err
	}
	started := o.now()
	env := &Envelope{ID: r.ID, Key: r.Key, Rule: r.Rule, Channel: r.Channel, Recipient: r.Recipient, Subject: r.Subject, Body: r.Body,
		ComplaintID: r.ComplaintID.Int64, CaseID: r.CaseID.Int64, Attempt: r.Attempts, CreatedAt: r.CreatedAt}

	to, skip, err := w.address(ctx, &r)
	if err != nil {
		return w.failed(ctx, &r, tok, started, err)
	}
	if skip != "" {
		return w.finish(ctx, &r, tok, started, Skipped, OutcomeSkipped, skip, "")
	}
	env.To = to
	if r.ComplaintID.Valid {
		env.Ref = ledger.ComplaintRef(r.ComplaintID.Int64)
	}
	if r.Channel == ChannelSMS {
		if until := o.Settings.quietUntil(started, o.loc()); !until.IsZero() {
			return w.deferTo(ctx, &r, tok, started, until, "免打扰时段，"+until.In(o.loc()).Format("01-02 15:04")+" 后发送")
		}
		ok, err := w.takeCap(ctx, to, started)
		if err != nil {
			return w.failed(ctx, &r, tok, started, err)
		}
		if !ok {
			until := o.Settings.nextMorning(started, o.loc())
			return w.deferTo(ctx, &r, tok, started, until, fmt.Sprintf("该号码今日已达 %d 条上限，%s 后发送", o.Settings.DailyCap, until.In(o.loc()).Format("01-02 15:04")))
		}
	}
	s := w.Senders[r.Channel]
	if s == nil {
		return w.finish(ctx, &r, tok, started, Dead, OutcomeDead, "未配置“"+ChannelLabel(r.Channel)+"”通道", "")
	}
	sctx, cancel := context.WithTimeout(ctx, timeoutOf(o.Settings))
	ref, err := s.Send(sctx, env)
	cancel()
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			err = fmt.Errorf("发送超时（%s）：%w", timeoutOf(o.Settings), err)
		}
		return w.failed(ctx, &r, tok, started, err)
	}
	if err := w.finish(ctx, &r, tok, started, Sent, OutcomeSent, "", ref); err != nil {
		return err
	}
	if r.Channel == ChannelSMS {
		// One SMS says "there is news": others still waiting for the same
		// reporter (a night's worth of changes) would say it again.
		if _, err := o.DB.ExecContext(context.WithoutCancel(ctx), mergeSQL, Merged, fmt.Sprintf("已由第 %d 条短信一并告知", r.ID), o.now(),
			r.Recipient, ChannelSMS, Pending, r.ID, started, o.now()); err != nil {
			return fmt.Errorf("merge: %w", err)
		}
	}
	return nil
}

func timeoutOf(s Settings) time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return DefaultSettings.Timeout
}

// address resolves the recipient at send time: a reporter's mobile (its
// contact may have been erased since), a staff member's e-mail. skip says
// why there is nobody to send to.
func (w *Worker) address(ctx context.Context, r *row) (to, skip string, err error) {
	o := w.Outbox
	kind, idText, _ := strings.Cut(r.Recipient, ":")
	id, _ := strconv.ParseInt(idText, 10, 64)
	switch {
	case r.Channel == ChannelSMS && kind == "complaint":
		var c reporterRow
		if err := o.DB.GetContext(ctx, &c, contactSQL, id); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return "", "举报件不存在", nil
			}
			return "", "", err
		}
		p, err := o.reporterPhone(c)
		if err != nil {
			return "", "", Permanent(err)
		}
		if p == "" {
			return "", "举报人未留手机号，或联系方式已按期限删除", nil
		}
		return p, "", nil
	case r.Channel == ChannelEmail && kind == "user":
		var email string
		if err := o.DB.GetContext(ctx, &email, emailSQL, id, true); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return "", "该工作人员没有通知邮箱或账号已停用", nil
			}
			return "", "", err
		}
		return email, "", nil
	}
	return "", "", nil
}

// takeCap counts one SMS against the phone's daily cap; false when the cap
// is reached. One conditional UPDATE, so parallel workers cannot both take
// the last one.
func (w *Worker) takeCap(ctx context.Context, phone string, now time.Time) (bool, error) {
	o := w.Outbox
	if o.Settings.DailyCap <= 0 {
		return true, nil
	}
	mac := o.Keys.MAC("sms-cap", phone)
	day := now.In(o.loc()).Format("2006-01-02")
	if _, err := o.DB.ExecContext(ctx, capEnsureSQL, mac, day); err != nil && !db.IsDuplicate(err) {
		return false, err
	}
	res, err := o.DB.ExecContext(ctx, capTakeSQL, mac, day, o.Settings.DailyCap)
	if err != nil {
		return false, err
	}
	k, _ := res.RowsAffected()
	return k == 1, nil
}

// failed records a failed attempt: retried after a growing wait, or dead
// when it cannot succeed or has been tried MaxAttempts times.
func (w *Worker) failed(ctx context.Context, r *row, tok string, started time.Time, cause error) error {
	o := w.Outbox
	max := o.Settings.MaxAttempts
	if max <= 0 {
		max = DefaultSettings.MaxAttempts
	}
	msg := clip(cause.Error(), 500)
	if IsPermanent(cause) || r.Attempts >= max {
		return w.finish(ctx, r, tok, started, Dead, OutcomeDead, msg, "")
	}
	next := o.now().Add(backoff(o.Settings.RetryBase, r.Attempts))
	if ctx.Err() != nil {
		next = o.now() // stopped mid-send: the next start sends it again
		msg = "服务停止，发送中断：" + msg
	}
	ctx = context.WithoutCancel(ctx)
	if _, err := o.DB.ExecContext(ctx, failedSQL, Pending, next, msg, o.now(), r.ID, tok); err != nil {
		return err
	}
	w.count(r.Channel, OutcomeFailed)
	return w.attempt(ctx, r, started, OutcomeFailed, msg, "")
}

// backoff is base·2^(attempt-1), at most an hour, with ±10 % jitter so
// that messages failed together are not retried together.
func backoff(base time.Duration, attempt int) time.Duration {
	if base <= 0 {
		base = DefaultSettings.RetryBase
	}
	d := base
	for i := 1; i < attempt && d < time.Hour; i++ {
		d *= 2
	}
	d = min(d, time.Hour)
	return d + time.Duration((rand.Float64()-0.5)*0.2*float64(d))
}

func (w *Worker) deferTo(ctx context.Context, r *row, tok string, started, until time.Time, why string) error {
	o := w.Outbox
	if _, err := o.DB.ExecContext(ctx, deferSQL, db.UTC(until), why, o.now(), r.ID, tok); err != nil {
		return err
	}
	w.count(r.Channel, OutcomeDeferred)
	return w.attempt(ctx, r, started, OutcomeDeferred, why, "")
}

func (w *Worker) finish(ctx context.Context, r *row, tok string, started time.Time, st Status, outcome, detail, ref string) error {
	o := w.Outbox
	ctx = context.WithoutCancel(ctx) // what was sent is recorded even while stopping
	var res sql.Result
	var err error
	if st == Sent {
		res, err = o.DB.ExecContext(ctx, sentSQL, Sent, o.now(), clip(ref, 128), o.now(), r.ID, tok)
	} else {
		res, err = o.DB.ExecContext(ctx, finishOtherSQL, st, detail, o.now(), r.ID, tok)
	}
	if err != nil {
		return err
	}
	if k, _ := res.RowsAffected(); k != 1 {
		w.log().Warn("outbox: claim lost before the result was recorded (lease too short?)", "outbox_id", r.ID)
	}
	w.count(r.Channel, outcome)
	return w.attempt(ctx, r, started, outcome, detail, ref)
}

func (w *Worker) attempt(ctx context.Context, r *row, started time.Time, outcome, detail, ref string) error {
	o := w.Outbox
	_, err := o.DB.ExecContext(context.WithoutCancel(ctx), attemptSQL, r.ID, r.Attempts, started, o.now(), outcome, clip(detail, 500), clip(ref, 128))
	return err
}

func (w *Worker) count(channel, outcome string) {
	if w.Metrics != nil {
		w.Metrics.deliveries.WithLabelValues(channel, outcome).Inc()
	}
}
