package ledger

// Assignment (承办): who holds a case, or a complaint still in triage, and
// the lists of what one inspector holds (我的问题).

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
)

// Assignee is a staff member who holds a case or complaint (承办人), or
// nobody (ID 0). The name is for the timeline.
type Assignee struct {
	ID   int64
	Name string
}

func (a Assignee) label() string {
	if a.ID == 0 {
		return "无"
	}
	return a.Name
}

const (
	assignCaseSQL      = `UPDATE cases SET assignee_id = ?, updated_at = ? WHERE id = ? AND COALESCE(assignee_id, 0) = ? AND status <> ?`
	assignComplaintSQL = `UPDATE complaints SET assignee_id = ?, updated_at = ? WHERE id = ? AND COALESCE(assignee_id, 0) = ? AND status = ?`
)

// AssignCase gives a case to another holder (指派/改派承办人; to.ID 0: nobody)
// and writes the change on its timeline. from is the holder the person
// assigning saw: the change is one conditional update on it, so of two
// people reassigning at once the second is told, not silently overruled.
// The caller checks that to may hold cases. ENOTFOUND for no such case,
// ECONFLICT when the holder changed meanwhile or the case was merged,
// EINVALID when nothing would change.
func (s *Service) AssignCase(ctx context.Context, id int64, from, to Assignee, by Actor) error {
	if from.ID == to.ID {
		return apperr.Invalid(map[string]string{"assignee": "承办人没有变化"})
	}
	return db.Classify(s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		now := s.now()
		res, err := tx.ExecContext(ctx, assignCaseSQL, nullID(to.ID), now, id, from.ID, Merged)
		if err != nil {
			return fmt.Errorf("ledger: assign case %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			c, err := s.caseQ(ctx, tx, id, false)
			if err != nil {
				return err
			}
			if c.Status == Merged {
				return apperr.Errorf(apperr.ECONFLICT, "问题 %s 已并入其他问题，请在主问题上指派", c.Ref())
			}
			return apperr.Errorf(apperr.ECONFLICT, "问题 %s 的承办人已被他人改动，请刷新后重试", c.Ref())
		}
		kind := "case.assignee_set"
		if from.ID != 0 {
			kind = "case.reassigned"
		}
		return s.event(ctx, tx, now, id, 0, kind, "", "", by,
			EventInput{InternalNote: "承办人：" + from.label() + " → " + to.label()})
	}))
}

// AssignComplaint gives a complaint in triage (received, not yet accepted
// or refused) to another holder, as AssignCase does for a case. ECONFLICT
// when the holder changed meanwhile or the complaint was decided.
func (s *Service) AssignComplaint(ctx context.Context, id int64, from, to Assignee, by Actor) error {
	if from.ID == to.ID {
		return apperr.Invalid(map[string]string{"assignee": "承办人没有变化"})
	}
	return db.Classify(s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		now := s.now()
		res, err := tx.ExecContext(ctx, assignComplaintSQL, nullID(to.ID), now, id, from.ID, Received)
		if err != nil {
			return fmt.Errorf("ledger: assign complaint %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			c, err := s.complaintTx(ctx, tx, id)
			if err != nil {
				return err
			}
			if c.Status != Received {
				return apperr.Errorf(apperr.ECONFLICT, "举报件 %s 已“%s”，不再分派", c.Ref(), c.Status.Label())
			}
			return apperr.Errorf(apperr.ECONFLICT, "举报件 %s 的承办人已被他人改动，请刷新后重试", c.Ref())
		}
		kind := "complaint.assignee_set"
		if from.ID != 0 {
			kind = "complaint.reassigned"
		}
		return s.event(ctx, tx, now, 0, id, kind, "", "", by,
			EventInput{InternalNote: "承办人：" + from.label() + " → " + to.label()})
	}))
}

// MineLimit bounds each list of 我的问题.
const MineLimit = 500

const (
	myCasesSQL      = `SELECT ` + caseColumns + ` FROM cases WHERE assignee_id = ? AND status NOT IN (?, ?, ?) ORDER BY due_at, id LIMIT ?`
	myComplaintsSQL = `SELECT ` + complaintColumns + ` FROM complaints WHERE assignee_id = ? AND status = ? ORDER BY received_at, id LIMIT ?`
)

// Mine is what one staff member holds (我的问题): the unfinished cases,
// nearest deadline first, and the complaints waiting for a decision,
// oldest first; at most MineLimit of each.
type Mine struct {
	Cases      []Case
	Complaints []Complaint
}

// Held returns what userID holds.
func (s *Service) Held(ctx context.Context, userID int64) (*Mine, error) {
	m := &Mine{}
	if err := s.DB.SelectContext(ctx, &m.Cases, myCasesSQL, userID, Dismissed, Closed, Merged, MineLimit); err != nil {
		return nil, db.Classify(fmt.Errorf("ledger: cases of %d: %w", userID, err))
	}
	if err := s.DB.SelectContext(ctx, &m.Complaints, myComplaintsSQL, userID, Received, MineLimit); err != nil {
		return nil, db.Classify(fmt.Errorf("ledger: complaints of %d: %w", userID, err))
	}
	return m, nil
}
