package ledger

// The hotline ticket lookup (按工单编号查询): a caller follows a ticket on the
// portal with its number and the last four digits of the phone they called
// from. Four digits are 10⁴ guesses, so failures are counted per ticket in
// the database (every instance shares the count): after
// MaxTicketLookupFailures in TicketLookupWindow the ticket's lookup is
// locked, even for the right digits, and the caller needs the tracking code
// the operator reads out. Failures and locks are audited.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/jmoiron/sqlx"
	"golang.org/x/text/unicode/norm"

	"ecoreport/internal/apperr"
	"ecoreport/internal/audit"
	"ecoreport/internal/db"
)

// Limits of the ticket lookup.
const (
	// MaxTicketLookupFailures is how many wrong guesses a ticket takes in
	// TicketLookupWindow before its lookup locks.
	MaxTicketLookupFailures = 10
	// TicketLookupWindow starts at a ticket's first failure; the lock ends
	// with it.
	TicketLookupWindow = 24 * time.Hour
)

// ErrNoSuchTicket is every failed ticket lookup, whatever the reason (no such
// ticket, wrong digits, no phone on the ticket), after the same work. It names
// what was typed, so that a caller who has a tracking code tries that instead.
var ErrNoSuchTicket = &apperr.Error{Code: apperr.ENOTFOUND,
	Message: "未找到该热线工单：请核对工单编号和来电手机号后四位，或改用接线员告知的查询码查询"}

// ErrTicketLocked says a ticket's lookup is locked for the rest of its window.
func ErrTicketLocked(wait time.Duration) error {
	return apperr.RateLimited(wait, "该工单今日按工单编号查询失败次数过多，已暂停此方式查询。请使用接线员告知的查询码查询，或致电 12369 热线询问。")
}

// CanonicalTicketNo is a ticket number as the lookup compares it: compatibility
// forms folded (full-width letters and digits), spaces removed, upper case.
// "１２３６９ｓｑ２０２６…" and "12369SQ2026…" are the same ticket.
func CanonicalTicketNo(s string) string {
	s = norm.NFKC.String(s)
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff' {
			return -1
		}
		return unicode.ToUpper(r)
	}, s)
	return s
}

// canonicalLast4 is what a caller typed as the last four digits, full-width
// digits folded, or "" when it is not exactly four digits.
func canonicalLast4(s string) string {
	s = strings.TrimSpace(norm.NFKC.String(s))
	if len(s) != 4 {
		return ""
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return ""
		}
	}
	return s
}

var errNoLookupRow = errors.New("ledger: no ticket_lookups row yet")

const countTicketLookupSQL = `UPDATE ticket_lookups SET failures = CASE WHEN window_start <= ? THEN 1 ELSE failures + 1 END,
 window_start = CASE WHEN window_start <= ? THEN ? ELSE window_start END WHERE ticket_key = ?`

// reserveTicketLookup counts an attempt against the ticket before its digits
// are checked, in one conditional statement, and decides from the counted
// row: parallel guesses cannot all read the same count. It returns the
// attempt's number in the window and when the window ends. The attempt that
// first goes over the limit audits the lock. A successful lookup gives its
// attempt back (forgiveTicketLookup), so the count is of failures.
func (s *Service) reserveTicketLookup(ctx context.Context, key, ticketNo string) (int, time.Time, error) {
	for range 3 {
		now := s.now()
		cutoff := now.Add(-TicketLookupWindow)
		var row struct {
			Failures    int       `db:"failures"`
			WindowStart time.Time `db:"window_start"`
		}
		err := s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
			res, err := tx.ExecContext(ctx, countTicketLookupSQL, cutoff, cutoff, now, key)
			if err != nil {
				return fmt.Errorf("ledger: count ticket lookup: %w", err)
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				return errNoLookupRow
			}
			if err := tx.GetContext(ctx, &row, `SELECT failures, window_start FROM ticket_lookups WHERE ticket_key = ?`, key); err != nil {
				return fmt.Errorf("ledger: read ticket lookup: %w", err)
			}
			if row.Failures == MaxTicketLookupFailures+1 {
				return audit.Append(ctx, tx, now, actorName(Resident), "ticket_lookup.locked", "hotline_ticket", truncTicket(ticketNo),
					map[string]any{"failures": MaxTicketLookupFailures, "until": row.WindowStart.Add(TicketLookupWindow).Format(time.RFC3339)})
			}
			return nil
		})
		if errors.Is(err, errNoLookupRow) {
			// The ticket's first attempt in a while: make its row on its
			// own (a parallel first attempt may make it too), then count.
			if err := s.newTicketLookup(ctx, key, now); err != nil {
				return 0, time.Time{}, err
			}
			continue
		}
		if err != nil {
			return 0, time.Time{}, db.Classify(err)
		}
		return row.Failures, db.UTC(row.WindowStart).Add(TicketLookupWindow), nil
	}
	return 0, time.Time{}, db.Classify(fmt.Errorf("ledger: count ticket lookup: row keeps vanishing"))
}

// newTicketLookup makes a ticket's counter row outside any transaction, so
// that parallel first attempts do not lock each other, and drops rows whose
// window ended long ago.
func (s *Service) newTicketLookup(ctx context.Context, key string, now time.Time) error {
	if _, err := s.DB.ExecContext(ctx, `DELETE FROM ticket_lookups WHERE window_start < ?`, now.Add(-2*TicketLookupWindow)); err != nil {
		return db.Classify(fmt.Errorf("ledger: purge ticket lookups: %w", err))
	}
	_, err := s.DB.ExecContext(ctx, `INSERT INTO ticket_lookups (ticket_key, failures, window_start) VALUES (?, 0, ?)`, key, now)
	if err != nil && !db.IsDuplicate(err) {
		return db.Classify(fmt.Errorf("ledger: start ticket lookup: %w", err))
	}
	return nil
}

// forgiveTicketLookup gives a successful attempt back.
func (s *Service) forgiveTicketLookup(ctx context.Context, key string) error {
	_, err := s.DB.ExecContext(ctx, `UPDATE ticket_lookups SET failures = failures - 1 WHERE ticket_key = ? AND failures > 0`, key)
	if err != nil {
		return db.Classify(fmt.Errorf("ledger: ticket lookup: %w", err))
	}
	return nil
}

// auditTicketLookupFailure writes a failed guess to the audit log: at most
// MaxTicketLookupFailures a ticket a window, since later attempts are not
// evaluated.
func (s *Service) auditTicketLookupFailure(ctx context.Context, ticketNo string, attempt int) error {
	err := s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		return audit.Append(ctx, tx, s.now(), actorName(Resident), "ticket_lookup.failed", "hotline_ticket", truncTicket(ticketNo),
			map[string]any{"attempt": attempt, "limit": MaxTicketLookupFailures})
	})
	return db.Classify(err)
}

func truncTicket(s string) string {
	if r := []rune(s); len(r) > 64 {
		return string(r[:64])
	}
	return s
}

// findTicket is the complaint whose lookup HMAC the ticket number and digits
// make. The HMAC is of the canonical number; a ticket filed before numbers
// were made canonical (one written in lower case, say) is found when typed
// as it was filed.
func (s *Service) findTicket(ctx context.Context, canonical, asTyped, last4 string) (*Complaint, error) {
	macs := []string{s.TicketMAC(canonical, last4)}
	if legacy := s.Keys.MAC("ticket", string(ChannelHotline), asTyped, last4); legacy != macs[0] {
		macs = append(macs, legacy)
	}
	q, args, err := sqlx.In(`SELECT `+complaintColumns+` FROM complaints WHERE lookup_mac IN (?) ORDER BY id LIMIT 1`, macs)
	if err != nil {
		return nil, err
	}
	var c Complaint
	if err := s.DB.GetContext(ctx, &c, q, args...); err != nil {
		if db.NotFound(err, "") != err {
			return nil, ErrNoSuchTicket
		}
		return nil, db.Classify(fmt.Errorf("ledger: track ticket: %w", err))
	}
	return &c, nil
}
