package conversation

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
)

// Addition is one 补充材料 of the reporter: text and its photos.
type Addition struct {
	ID        int64     `db:"id"`
	Body      string    `db:"body"`
	CreatedAt time.Time `db:"created_at"`
	Photos    []Attachment
}

const (
	insertAdditionSQL = `INSERT INTO complaint_additions (complaint_id, body, created_at) VALUES (?, ?, ?)`
	additionsSQL      = `SELECT id, body, created_at FROM complaint_additions WHERE complaint_id = ? ORDER BY id`
	countAdditionsSQL = `SELECT COUNT(*) FROM complaint_additions WHERE complaint_id = ?`
)

// CanAdd reports whether the reporter may still add material: not once the
// complaint is finished (concluded with a reply, or refused).
func CanAdd(c *ledger.Complaint) bool {
	return c.Status != ledger.ComplaintDone && c.Status != ledger.Refused
}

// Add stores the reporter's addition (text and photos already on disk) with
// its event, in one transaction. The body is as validated by the caller.
// ECONFLICT when the complaint is finished or has Limits.MaxAdditions
// additions already.
func (s *Service) Add(ctx context.Context, c *ledger.Complaint, body string, photos []Photo) error {
	return s.add(ctx, c, body, photos, HeldClaim{})
}

// AddHeld stores the reporter's addition with the held photos of claim,
// taken in the same transaction (see FileReport). Errors as Add, and
// ErrHeldGone.
func (s *Service) AddHeld(ctx context.Context, c *ledger.Complaint, body string, claim HeldClaim) error {
	return s.add(ctx, c, body, nil, claim)
}

func (s *Service) add(ctx context.Context, c *ledger.Complaint, body string, photos []Photo, claim HeldClaim) error {
	if !CanAdd(c) {
		return apperr.Errorf(apperr.ECONFLICT, "本件已办结，无法再补充材料；如问题仍存在，请选择“问题未解决”")
	}
	at := s.now()
	return db.Classify(s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		var n int
		if err := tx.GetContext(ctx, &n, countAdditionsSQL, c.ID); err != nil {
			return fmt.Errorf("conversation: count additions of %d: %w", c.ID, err)
		}
		if n >= s.Limits.MaxAdditions {
			return apperr.Errorf(apperr.ECONFLICT, "补充材料已达%d次上限，如有新情况请重新举报", s.Limits.MaxAdditions)
		}
		held, err := s.claimTx(ctx, tx, claim)
		if err != nil {
			return err
		}
		photos := append(append([]Photo{}, photos...), held...)
		res, err := tx.ExecContext(ctx, insertAdditionSQL, c.ID, body, at)
		if err != nil {
			return fmt.Errorf("conversation: addition to %d: %w", c.ID, err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		if err := insertAttachments(ctx, tx, at, c.ID, id, photos); err != nil {
			return err
		}
		note := "举报人补充了材料"
		if len(photos) > 0 {
			note += fmt.Sprintf("（%d张照片）", len(photos))
		}
		return s.residentEvent(ctx, tx, c.ID, KindAddition, note)
	}))
}

// additions lists the additions of a complaint with their photos, and the
// photos that belong to none (those filed with the report).
func (s *Service) additions(ctx context.Context, complaintID int64, photos []Attachment) ([]Addition, []Attachment, error) {
	var as []Addition
	if err := s.DB.SelectContext(ctx, &as, additionsSQL, complaintID); err != nil {
		return nil, nil, db.Classify(fmt.Errorf("conversation: additions of %d: %w", complaintID, err))
	}
	idx := map[int64]int{}
	for i := range as {
		idx[as[i].ID] = i
	}
	var filed []Attachment
	for _, p := range photos {
		if p.AdditionID.Valid {
			if i, ok := idx[p.AdditionID.Int64]; ok {
				as[i].Photos = append(as[i].Photos, p)
				continue
			}
		}
		filed = append(filed, p)
	}
	return as, filed, nil
}
