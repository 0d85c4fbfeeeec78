// Package inspection holds the task force's own inspection work (督查巡查):
// inspection tasks and their findings (例行督查、专项巡查), cases handed down by
// superior inspections and audits (中央/省/市督察、审计反馈), admonition
// interviews (约谈) and clue referrals (移送线索). It knows nothing of HTTP.
// Every write is audited in its own transaction and, where it concerns a
// case, writes a timeline event through the ledger.
package inspection

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
)

// Service works the inspection modules on top of the ledger. Its clock is
// the ledger's (Ledger.Now), so timeline events and audit entries agree.
type Service struct {
	DB     *db.DB
	Ledger *ledger.Service
}

// NewService returns a Service on the ledger's database and clock.
func NewService(l *ledger.Service) *Service { return &Service{DB: l.DB, Ledger: l} }

func (s *Service) now() time.Time { return db.UTC(s.Ledger.Now()) }

func (s *Service) loc() *time.Location { return s.Ledger.Location }

func actorName(a ledger.Actor) string {
	if a.Name == "" {
		return "system"
	}
	return a.Name
}

func actorID(a ledger.Actor) any {
	if a.UserID == 0 {
		return nil
	}
	return a.UserID
}

// checkText validates a free-text field: required or not, at most max runes,
// and acceptable characters. It returns "" when fine.
func checkText(v string, required bool, max int, missing string) string {
	v = strings.TrimSpace(v)
	switch {
	case v == "" && required:
		return missing
	case utf8.RuneCountInString(v) > max:
		return fmt.Sprintf("不能超过%d个字", max)
	}
	return ledger.CheckText(v)
}

// dayStart is the start of t's calendar day in loc, in UTC: dates people
// give (held on, referred on) are stored as that day's local midnight.
func dayStart(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc).UTC()
}

func (s *Service) unitExists(ctx context.Context, q sqlx.QueryerContext, id int64, kind string) (bool, error) {
	var n int
	query := `SELECT COUNT(*) FROM units WHERE id = ? AND active = ?`
	args := []any{id, true}
	if kind != "" {
		query += ` AND kind = ?`
		args = append(args, kind)
	}
	if err := sqlx.GetContext(ctx, q, &n, query, args...); err != nil {
		return false, fmt.Errorf("inspection: unit %d: %w", id, err)
	}
	return n > 0, nil
}

func (s *Service) caseExists(ctx context.Context, q sqlx.QueryerContext, id int64) (bool, error) {
	var n int
	if err := sqlx.GetContext(ctx, q, &n, `SELECT COUNT(*) FROM cases WHERE id = ?`, id); err != nil {
		return false, fmt.Errorf("inspection: case %d: %w", id, err)
	}
	return n > 0, nil
}

func invalid(f map[string]string) error {
	if len(f) == 0 {
		return nil
	}
	return apperr.Invalid(f)
}
