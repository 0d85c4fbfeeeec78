package ledger

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
)

// Accept takes a received complaint into the ledger (受理): into an existing
// case when intoCase is not 0 (a repeat complaint), else into a new case built
// from the complaint. Returns the case id. Only an unfinished case takes a
// complaint (see takeInto): a closed one only through AcceptReopening.
// ENOTFOUND for no such complaint or case, ECONFLICT when the complaint was
// already decided or the case is finished (the message says what to do).
func (s *Service) Accept(ctx context.Context, complaintID, intoCase int64, by Actor, in EventInput) (int64, error) {
	return s.accept(ctx, complaintID, intoCase, false, by, in)
}

// AcceptReopening takes a received complaint into the closed case intoCase
// and reopens it (问题反弹，重新整改) in the same transaction: the problem
// came back. The case gets a case.reopened event, a new deadline, and its
// old public reply is withdrawn for every reporter. ECONFLICT when the case
// is not closed (an unfinished one takes the complaint through Accept); as
// Accept otherwise.
func (s *Service) AcceptReopening(ctx context.Context, complaintID, intoCase int64, by Actor, in EventInput) (int64, error) {
	if intoCase == 0 {
		return 0, apperr.Invalid(map[string]string{"into": "重新整改须填写已销号问题的编号"})
	}
	return s.accept(ctx, complaintID, intoCase, true, by, in)
}

func (s *Service) accept(ctx context.Context, complaintID, intoCase int64, reopen bool, by Actor, in EventInput) (int64, error) {
	var caseID int64
	err := s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		in := in // the notes below depend on this run's reads; InTx may run this again
		c, err := s.complaintTx(ctx, tx, complaintID)
		if err != nil {
			return err
		}
		if !CanMoveComplaint(c.Status, Accepted) {
			return apperr.Errorf(apperr.ECONFLICT, "举报件 %s 当前为“%s”，不能受理", c.Ref(), c.Status.Label())
		}
		status, caseStatus := Accepted, Open
		if intoCase != 0 {
			cs, err := s.caseQ(ctx, tx, intoCase, true)
			if err != nil {
				return err
			}
			if err := s.takeInto(ctx, tx, cs, reopen, "举报件 "+c.Ref(), by); err != nil {
				return err
			}
			caseID, status, caseStatus = cs.ID, ComplaintStatusFor(cs.Status), cs.Status
			if reopen && in.PublicNote == "" {
				in.PublicNote = "您反映的问题此前已整改销号，经核实问题再次出现，已重新交责任单位整改。"
			}
			if in.PublicNote == "" {
				in.PublicNote = joinedNote(cs)
			}
		} else {
			title := c.Subject
			if title == "" {
				title = firstRunes(c.Description, 40)
			} else {
				title += "：" + firstRunes(c.Description, 30)
			}
			caseID, err = s.OpenCaseTx(ctx, tx, NewCase{Source: SourceComplaint, SourceDetail: c.Channel.Label() + " " + c.Ref(),
				Title: title, Description: c.Description, Address: c.Address, Categories: c.Categories, TownID: c.TownID.Int64,
				Subject: c.Subject}, by)
			if err != nil {
				return err
			}
		}
		// One conditional statement decides: the complaint is still
		// received and the case still what was checked (caseStatus).
		now := s.now()
		res, err := tx.ExecContext(ctx, `UPDATE complaints SET status = ?, case_id = ?, updated_at = ? WHERE id = ? AND status = ?`+caseIs,
			status, caseID, now, c.ID, Received, caseID, caseStatus)
		if err != nil {
			return fmt.Errorf("ledger: accept complaint %d: %w", c.ID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.Errorf(apperr.ECONFLICT, "举报件 %s 或所并入的问题已被他人处理，请刷新后重试", c.Ref())
		}
		if in.PublicNote == "" {
			in.PublicNote = "您的举报已受理，正在安排核查。"
		}
		return s.event(ctx, tx, now, caseID, c.ID, "complaint.accepted", string(Received), string(status), by, in)
	})
	return caseID, db.Classify(err)
}

// Refuse declines a received complaint (不予受理) with one of RefuseReasons;
// the public note tells the reporter why and where to go instead (the
// reason's default note when empty).
func (s *Service) Refuse(ctx context.Context, complaintID int64, reason RefuseReason, by Actor, in EventInput) error {
	if !reason.Valid() {
		return apperr.Invalid(map[string]string{"reason": "请选择不予受理的理由"})
	}
	if strings.TrimSpace(in.PublicNote) == "" {
		in.PublicNote = reason.DefaultNote()
	}
	if m := CheckText(in.PublicNote); m != "" {
		return apperr.Invalid(map[string]string{"public_note": m})
	}
	return db.Classify(s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		c, err := s.complaintTx(ctx, tx, complaintID)
		if err != nil {
			return err
		}
		if !CanMoveComplaint(c.Status, Refused) {
			return apperr.Errorf(apperr.ECONFLICT, "举报件 %s 当前为“%s”，不能不予受理", c.Ref(), c.Status.Label())
		}
		now := s.now()
		res, err := tx.ExecContext(ctx, `UPDATE complaints SET status = ?, refuse_reason = ?, updated_at = ? WHERE id = ? AND status = ?`,
			Refused, reason, now, c.ID, Received)
		if err != nil {
			return fmt.Errorf("ledger: refuse complaint %d: %w", c.ID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.Errorf(apperr.ECONFLICT, "举报件 %s 已被他人处理，请刷新后重试", c.Ref())
		}
		if in.InternalNote == "" {
			in.InternalNote = reason.Label()
		}
		return s.event(ctx, tx, now, 0, c.ID, "complaint.refused", string(Received), string(Refused), by, in)
	}))
}

// joinedNote is what a reporter whose complaint joins a case others
// reported first is told: where the problem stands now, not "正在安排核查"
// for a case verified long ago.
func joinedNote(cs *Case) string {
	const head = "您的举报已受理。此前已有群众反映同一问题，现合并办理："
	verified := cs.Verification == Substantiated || cs.Verification == Partly
	switch cs.Status {
	case Verifying:
		if verified {
			return head + "问题已核查属实，正在安排整改。"
		}
		return head + "工作人员正在现场核查。"
	case Assigned, Reopened:
		return head + "问题已核查属实，正在督促责任单位整改。"
	case Submitted:
		return head + "责任单位已报告整改完成，正在等待验收。"
	case Closed:
		return head + "该问题此前已整改销号，现根据您的反映重新办理。"
	}
	return head + "正在安排核查。"
}

func (s *Service) complaintTx(ctx context.Context, tx *sqlx.Tx, id int64) (*Complaint, error) {
	var c Complaint
	q := s.DB.ForUpdate(`SELECT ` + complaintColumns + ` FROM complaints WHERE id = ?`)
	if err := tx.GetContext(ctx, &c, q, id); err != nil {
		return nil, db.NotFound(err, fmt.Sprintf("举报件 %s 不存在", ComplaintRef(id)))
	}
	return &c, nil
}

func firstRunes(s string, n int) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n]) + "…"
}
