package ledger

// Closed stays closed (已销号的问题不被悄悄改写). A finished case — closed
// (已销号), dismissed (不属实办结) or merged (已合并) — takes no new
// complaint and no merge: its reporters were answered, and a newcomer must
// not inherit another answer, a rating invitation and a "closed" status in
// Open311. The one way back is explicit: "reopen: the problem came back"
// (问题反弹，重新整改), offered for a closed case only. It writes a
// case.reopened event, gives the case a new deadline and withdraws the old
// public reply on every complaint's tracking page and in Open311. A dismissed
// case has nothing to send back to a unit: a new complaint about it opens a
// case of its own. docs/ledger.md has the whole table of paths.

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
)

// Reply is the public answer of a case (答复) as every reporter of it reads
// it, on the tracking page and in Open311.
type Reply struct {
	// Text is the answer that stands: the verification result's reply, or
	// the close-out's; "" when there is none (yet, or any more).
	Text string
	// Withdrawn is true when an earlier answer was withdrawn because the
	// problem came back and no new one replaced it yet.
	Withdrawn bool
	// Final is true when Text is the case's last word (dismissed or closed).
	Final bool
}

// Reply is the case's public answer as it stands.
func (c *Case) Reply() Reply {
	r := Reply{Text: c.PublicReply, Final: c.Status == Dismissed || c.Status == Closed}
	if r.Text == "" {
		r.Final = false
		r.Withdrawn = c.ReplySupersededAt.Valid
	}
	return r
}

// errIntoClosed is the answer to a complaint or a merge aimed at a closed
// case without the explicit reopening: it names both ways forward.
func errIntoClosed(c *Case) error {
	msg := fmt.Sprintf("问题 %s 已销号，不能直接并入：如果是同一问题再次出现，请勾选“问题反弹，重新整改”；如果是新的问题，请将问题编号留空，另立新案。", c.Ref())
	return &apperr.Error{Code: apperr.ECONFLICT, Message: msg, Fields: map[string]string{"into": msg}}
}

// takeInto checks that case c (locked in tx) may take a complaint or a
// merged case; with reopen, a closed case is reopened (the problem came
// back; why names what brought it back) and c is updated in place. The
// caller then moves the complaints with one conditional statement that
// names c's status as checked here (caseIs), so that it decides against a
// close, a merge or a reopening running at the same time even where the
// engine's lock would not.
func (s *Service) takeInto(ctx context.Context, tx *sqlx.Tx, c *Case, reopen bool, why string, by Actor) error {
	switch {
	case c.Status == Merged:
		into := ""
		if c.MergedIntoID.Valid {
			into = "（" + CaseRef(c.MergedIntoID.Int64) + "）"
		}
		return apperr.Errorf(apperr.ECONFLICT, "问题 %s 已被合并，请并入其主问题%s", c.Ref(), into)
	case c.Status == Dismissed:
		return apperr.Errorf(apperr.ECONFLICT, "问题 %s 已“不属实办结”，不能再并入：如群众反映的情况有新变化，请将问题编号留空，另立新案核查。", c.Ref())
	case c.Status == Closed && !reopen:
		return errIntoClosed(c)
	case c.Status == Closed:
		return s.reopenTx(ctx, tx, c, "问题反弹："+why, by, EventInput{
			PublicNote:   "群众再次反映该问题，经核实问题再次出现，已重新交责任单位整改。",
			InternalNote: "问题反弹，重新整改（" + why + "）",
		})
	case reopen:
		return apperr.Errorf(apperr.ECONFLICT, "问题 %s 当前为“%s”，尚未销号，无需重新整改：取消勾选“问题反弹，重新整改”即可直接并入。", c.Ref(), c.Status.Label())
	}
	return nil
}

// caseIs is the condition a statement on complaints adds so that it only
// applies while the case is in the status the transaction checked.
const caseIs = ` AND EXISTS (SELECT 1 FROM cases k WHERE k.id = ? AND k.status = ?)`

// reopenTx is the one way a case goes back to the unit (重新整改), from
// submitted (acceptance failed) or closed (the problem came back: a revisit,
// a reporter's "not solved", a new complaint, an inspector). reason is
// what the unit reads (退回原因). From closed it also clears the close-out
// (closed_at, the revisit date, concluded_at: the case is not concluded any
// more), gives it a new deadline (ConcludeDays from now, extendable once
// again) and withdraws the public reply: the old text moves to
// superseded_reply, so that no tracking page, Open311 listing or hotline
// feedback shows it as the answer. One conditional update in moveCase.
func (s *Service) reopenTx(ctx context.Context, tx *sqlx.Tx, c *Case, reason string, by Actor, in EventInput) error {
	reason = strings.TrimSpace(reason)
	set := "reopen_reason = ?"
	args := []any{reason}
	if c.Status == Closed {
		now := s.now()
		due := DueDate(now, s.Limits.ConcludeDays, s.Location)
		// MySQL assigns left to right: superseded_reply reads public_reply
		// before it is cleared (SQLite reads every old value anyway).
		set += `, superseded_reply = public_reply, public_reply = '', reply_superseded_at = ?, closed_at = NULL,
 revisit_due_at = NULL, concluded_at = NULL, due_at = ?, extended = ?, extension_reason = ''`
		args = append(args, now, due, false)
		if err := s.moveCase(ctx, tx, c, Reopened, "case.reopened", by, in, set, args...); err != nil {
			return err
		}
		c.SupersededReply, c.PublicReply, c.DueAt, c.Extended = c.PublicReply, "", due, false
		c.ReplySupersededAt.Time, c.ReplySupersededAt.Valid = now, true
		c.ClosedAt.Valid, c.RevisitDueAt.Valid, c.ConcludedAt.Valid = false, false, false
	} else if err := s.moveCase(ctx, tx, c, Reopened, "case.reopened", by, in, set, args...); err != nil {
		return err
	}
	c.ReopenReason = reason
	return nil
}
