package notify

import (
	"context"
	"database/sql"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/audit"
	"ecoreport/internal/db"
)

// Stats counts the outbox's rows by state.
type Stats struct {
	Queued  int // pending, never tried
	Failed  int // pending, the last try failed: will be retried
	Sent    int
	Dead    int
	Skipped int
	Merged  int
}

const statsSQL = `SELECT status, COUNT(*) AS n, COALESCE(SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END), 0) AS tried FROM outbox GROUP BY status`

// Stats counts rows by state.
func (o *Outbox) Stats(ctx context.Context) (Stats, error) {
	var rows []struct {
		Status Status `db:"status"`
		N      int    `db:"n"`
		Tried  int    `db:"tried"`
	}
	var st Stats
	if err := o.DB.SelectContext(ctx, &rows, statsSQL); err != nil {
		return st, db.Classify(fmt.Errorf("notify: stats: %w", err))
	}
	for _, r := range rows {
		switch r.Status {
		case Pending:
			st.Queued, st.Failed = r.N-r.Tried, r.Tried
		case Sent:
			st.Sent = r.N
		case Dead:
			st.Dead = r.N
		case Skipped:
			st.Skipped = r.N
		case Merged:
			st.Merged = r.N
		}
	}
	return st, nil
}

// Item is an outbox row as operators see it.
type Item struct {
	ID             int64
	Rule           string
	RuleLabel      string
	Channel        string
	ChannelLabel   string
	RecipientLabel string
	Subject        string
	Body           string
	Status         Status
	StatusLabel    string
	Failed         bool // pending with a failed try, or dead
	Attempts       int
	NextAt         time.Time
	LastError      string
	ProviderRef    string
	CreatedAt      time.Time
	SentAt         sql.NullTime
	CaseID         int64
	ComplaintID    int64
	History        []Attempt
}

// Retryable reports whether an operator may send it again now.
func (i *Item) Retryable() bool {
	return i.Status == Dead || i.Status == Pending || i.Status == Skipped
}

// Attempt is one recorded delivery attempt.
type Attempt struct {
	Attempt     int       `db:"attempt"`
	StartedAt   time.Time `db:"started_at"`
	FinishedAt  time.Time `db:"finished_at"`
	Outcome     string    `db:"outcome"`
	Detail      string    `db:"detail"`
	ProviderRef string    `db:"provider_ref"`
}

// OutcomeLabel is the attempt's outcome in Chinese.
func (a Attempt) OutcomeLabel() string {
	return map[string]string{OutcomeSent: "已发送", OutcomeFailed: "失败", OutcomeDead: "失败（停止重试）",
		OutcomeDeferred: "暂缓", OutcomeSkipped: "无需发送"}[a.Outcome]
}

func item(r row) Item {
	return Item{ID: r.ID, Rule: r.Rule, RuleLabel: RuleLabel(r.Rule), Channel: r.Channel, ChannelLabel: ChannelLabel(r.Channel),
		RecipientLabel: r.RecipientLabel, Subject: r.Subject, Body: r.Body, Status: r.Status, StatusLabel: r.Status.Label(),
		Failed: r.Status == Dead || (r.Status == Pending && r.Attempts > 0 && r.LastError != ""), Attempts: r.Attempts,
		NextAt: r.NextAt, LastError: r.LastError, ProviderRef: r.ProviderRef, CreatedAt: r.CreatedAt, SentAt: r.SentAt,
		CaseID: r.CaseID.Int64, ComplaintID: r.ComplaintID.Int64}
}

// Views of the outbox.
const (
	ViewQueue  = "queue"  // pending: waiting or being retried
	ViewFailed = "failed" // failed tries, retried or dead
	ViewSent   = "sent"
	ViewAll    = "all"
)

// List returns up to limit rows of a view, newest first.
func (o *Outbox) List(ctx context.Context, view string, limit int) ([]Item, error) {
	return o.ListChannel(ctx, view, "", limit)
}

// ListChannel is List for one channel ("" for all): the hotline operators
// see the callbacks to their hotline systems.
func (o *Outbox) ListChannel(ctx context.Context, view, channel string, limit int) ([]Item, error) {
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	where := ""
	var args []any
	switch view {
	case ViewQueue:
		where, args = `WHERE status = ?`, []any{Pending}
	case ViewFailed:
		where, args = `WHERE status = ? OR (status = ? AND attempts > 0 AND last_error <> '')`, []any{Dead, Pending}
	case ViewSent:
		where, args = `WHERE status = ?`, []any{Sent}
	case ViewAll, "":
	default:
		return nil, apperr.Invalid(map[string]string{"view": "只能是 queue、failed、sent 或 all"})
	}
	if channel != "" {
		if where == "" {
			where = `WHERE channel = ?`
		} else {
			where = `WHERE channel = ? AND (` + strings.TrimPrefix(where, "WHERE ") + `)`
		}
		args = append([]any{channel}, args...)
	}
	var rows []row
	if err := o.DB.SelectContext(ctx, &rows, `SELECT `+rowColumns+` FROM outbox `+where+` ORDER BY id DESC LIMIT ?`, append(args, limit)...); err != nil {
		return nil, db.Classify(fmt.Errorf("notify: list: %w", err))
	}
	out := make([]Item, len(rows))
	for i, r := range rows {
		out[i] = item(r)
	}
	return out, nil
}

// Get returns one row with its attempts. ENOTFOUND when there is none.
func (o *Outbox) Get(ctx context.Context, id int64) (*Item, error) {
	var r row
	if err := o.DB.GetContext(ctx, &r, `SELECT `+rowColumns+` FROM outbox WHERE id = ?`, id); err != nil {
		return nil, db.Classify(db.NotFound(err, fmt.Sprintf("消息 %d 不存在", id)))
	}
	it := item(r)
	if err := o.DB.SelectContext(ctx, &it.History, `SELECT attempt, started_at, finished_at, outcome, detail, provider_ref
 FROM outbox_attempts WHERE outbox_id = ? ORDER BY id`, id); err != nil {
		return nil, db.Classify(fmt.Errorf("notify: attempts of %d: %w", id, err))
	}
	for i := range it.History {
		// Numbered as they happened: a manual retry starts the row's own
		// count again, the record does not.
		it.History[i].Attempt = i + 1
	}
	return &it, nil
}

const retrySQL = `UPDATE outbox SET status = ?, next_at = ?, attempts = 0, last_error = ?, updated_at = ?
 WHERE id = ? AND status IN (?, ?, ?) AND (claimed_until IS NULL OR claimed_until < ?)`

// Retry sends a message again now, with a fresh count of attempts (重试):
// a dead one after its cause was fixed, a waiting one without waiting. The
// retry is audited. ENOTFOUND for no such row; ECONFLICT when it was sent
// or is being sent right now.
func (o *Outbox) Retry(ctx context.Context, id int64, by string) error {
	return db.Classify(o.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		now := o.now()
		res, err := tx.ExecContext(ctx, retrySQL, Pending, now, "", now, id, Dead, Pending, Skipped, now)
		if err != nil {
			return fmt.Errorf("notify: retry %d: %w", id, err)
		}
		if k, _ := res.RowsAffected(); k != 1 {
			var st Status
			if err := tx.GetContext(ctx, &st, `SELECT status FROM outbox WHERE id = ?`, id); err != nil {
				return db.NotFound(err, fmt.Sprintf("消息 %d 不存在", id))
			}
			if st == Pending {
				return apperr.Errorf(apperr.ECONFLICT, "消息 %d 正在发送，请稍后刷新", id)
			}
			return apperr.Errorf(apperr.ECONFLICT, "消息 %d 当前为“%s”，无需重试", id, st.Label())
		}
		return audit.Append(ctx, tx, now, by, "outbox.retried", "outbox", id, nil)
	}))
}

// RetryFailed retries every dead message (after a provider outage, say);
// it returns how many.
func (o *Outbox) RetryFailed(ctx context.Context, by string) (int, error) {
	var n int64
	err := o.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		now := o.now()
		res, err := tx.ExecContext(ctx, `UPDATE outbox SET status = ?, next_at = ?, attempts = 0, last_error = '', updated_at = ? WHERE status = ?`,
			Pending, now, now, Dead)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return audit.Append(ctx, tx, now, by, "outbox.retried", "outbox", "dead", map[string]any{"count": n})
	})
	return int(n), db.Classify(err)
}

// Purge deletes finished rows (sent, skipped, merged, and dead when dead is
// set) created before the cutoff, with their attempts; it returns how many
// and audits the purge. Pending rows are never purged.
func (o *Outbox) Purge(ctx context.Context, before time.Time, dead bool, by string) (int, error) {
	states := []any{Sent, Skipped, Merged}
	if dead {
		states = append(states, Dead)
	}
	var n int64
	err := o.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		n = 0 // InTx may run this again: count this run's deletions only
		q, args, err := sqlx.In(`SELECT id FROM outbox WHERE status IN (?) AND created_at < ?`, states, db.UTC(before))
		if err != nil {
			return err
		}
		var ids []int64
		if err := tx.SelectContext(ctx, &ids, q, args...); err != nil {
			return err
		}
		for len(ids) > 0 {
			chunk := ids[:min(len(ids), 500)]
			ids = ids[len(chunk):]
			for _, table := range []string{"outbox_attempts WHERE outbox_id", "outbox WHERE id"} {
				q, args, err := sqlx.In(`DELETE FROM `+table+` IN (?)`, chunk)
				if err != nil {
					return err
				}
				res, err := tx.ExecContext(ctx, q, args...)
				if err != nil {
					return err
				}
				if strings.HasPrefix(table, "outbox WHERE") {
					k, _ := res.RowsAffected()
					n += k
				}
			}
		}
		return audit.Append(ctx, tx, o.now(), by, "outbox.purged", "outbox", "before:"+db.FormatTime(before),
			map[string]any{"count": n, "dead": dead})
	})
	return int(n), db.Classify(err)
}

// SetAddress sets (or, with email "", removes) the notification e-mail of
// a staff account (通知邮箱). EINVALID for a bad address, ENOTFOUND for no
// such user.
func (o *Outbox) SetAddress(ctx context.Context, username, email, by string) error {
	email = strings.TrimSpace(email)
	if email != "" {
		a, err := mail.ParseAddress(email)
		if err != nil || a.Address != email || len(email) > 254 {
			return apperr.Invalid(map[string]string{"email": "邮箱地址格式不正确"})
		}
	}
	return db.Classify(o.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		var id int64
		if err := tx.GetContext(ctx, &id, `SELECT id FROM users WHERE username = ?`, username); err != nil {
			return db.NotFound(err, "用户 "+username+" 不存在")
		}
		now := o.now()
		if _, err := tx.ExecContext(ctx, `DELETE FROM staff_addresses WHERE user_id = ?`, id); err != nil {
			return err
		}
		if email != "" {
			if _, err := tx.ExecContext(ctx, `INSERT INTO staff_addresses (user_id, email, updated_at) VALUES (?, ?, ?)`, id, email, now); err != nil {
				return err
			}
		}
		return audit.Append(ctx, tx, now, by, "outbox.address_set", "user", id, map[string]any{"set": email != ""})
	}))
}

// Address is a staff account's notification e-mail.
type Address struct {
	Username string `db:"username"`
	Role     string `db:"role"`
	Email    string `db:"email"`
}

// Addresses lists the staff accounts that have a notification e-mail.
func (o *Outbox) Addresses(ctx context.Context) ([]Address, error) {
	var out []Address
	err := o.DB.SelectContext(ctx, &out, `SELECT u.username, u.role, a.email FROM staff_addresses a JOIN users u ON u.id = a.user_id ORDER BY u.username`)
	return out, db.Classify(err)
}
