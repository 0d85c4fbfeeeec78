package ledger

// Revisits (回头看) of closed cases. A revisit that finds the problem back
// sends the case back to the unit (重新整改) in the same transaction, so it
// is never recorded without its consequence. The reporters' "not solved /
// came back" requests are the conversation's (internal/conversation), which
// reopens through ReopenClosedTx.

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
)

// Event kinds of this file.
const (
	KindRevisitHeld     = "case.revisit_held"
	maxAnswerRunes      = 2000
	revisitHeldNote     = "回头看：整改成效巩固，问题未反弹。"
	revisitCameBackNote = "回头看发现问题反弹，已责成责任单位重新整改。"
)

// DueRevisits lists closed cases whose revisit date (revisit_due_at, set by
// Close) falls on or before asOf's calendar day, earliest first.
func (s *Service) DueRevisits(ctx context.Context, asOf time.Time) ([]Case, error) {
	var cs []Case
	err := s.DB.SelectContext(ctx, &cs, `SELECT `+caseColumns+` FROM cases
		WHERE status = ? AND revisit_due_at IS NOT NULL AND revisit_due_at <= ? ORDER BY revisit_due_at, id LIMIT 1000`,
		Closed, DueDate(asOf, 0, s.Location))
	if err != nil {
		return nil, db.Classify(fmt.Errorf("ledger: due revisits: %w", err))
	}
	return cs, nil
}

// RecordRevisit records the revisit (回头看) of a closed case. holds (巩固)
// clears the revisit date and writes case.revisit_held; !holds (反弹)
// reopens the case (重新整改) with note as the reason, which is then
// required. ECONFLICT when the case is not closed or has no revisit pending,
// EINVALID when a came-back revisit has no reason, ENOTFOUND for no case.
func (s *Service) RecordRevisit(ctx context.Context, caseID int64, holds bool, note string, by Actor) error {
	note = strings.TrimSpace(note)
	if m := checkAnswer(note, "note"); m != nil {
		return m
	}
	if !holds && note == "" {
		return apperr.Invalid(map[string]string{"note": "问题反弹须填写情况说明"})
	}
	return s.withCase(ctx, caseID, func(tx *sqlx.Tx, c *Case) error {
		if c.Status != Closed || !c.RevisitDueAt.Valid {
			return apperr.Errorf(apperr.ECONFLICT, "问题 %s 当前为“%s”，没有待开展的回头看", c.Ref(), c.Status.Label())
		}
		if !holds {
			return s.reopenTx(ctx, tx, c, "回头看：问题反弹。"+note, by,
				EventInput{PublicNote: revisitCameBackNote, InternalNote: "回头看：问题反弹。" + note})
		}
		now := s.now()
		res, err := tx.ExecContext(ctx, `UPDATE cases SET revisit_due_at = NULL, updated_at = ? WHERE id = ? AND status = ? AND revisit_due_at IS NOT NULL`,
			now, c.ID, Closed)
		if err != nil {
			return fmt.Errorf("ledger: revisit case %d: %w", c.ID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.Errorf(apperr.ECONFLICT, "问题 %s 已被他人处理，请刷新后重试", c.Ref())
		}
		return s.event(ctx, tx, now, c.ID, 0, KindRevisitHeld, string(Closed), string(Closed), by,
			EventInput{PublicNote: revisitHeldNote, InternalNote: note})
	})
}

func checkAnswer(s, field string) error {
	if m := CheckText(s); m != "" {
		return apperr.Invalid(map[string]string{field: m})
	}
	if utf8.RuneCountInString(s) > maxAnswerRunes {
		return apperr.Invalid(map[string]string{field: fmt.Sprintf("不能超过%d个字", maxAnswerRunes)})
	}
	return nil
}
