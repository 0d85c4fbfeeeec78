package conversation

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
	"ecoreport/internal/idempotency"
	"ecoreport/internal/ledger"
)

// Attachment is one stored photo of a complaint (照片): filed with the
// report, or part of an addition.
type Attachment struct {
	ID          int64         `db:"id"`
	ComplaintID int64         `db:"complaint_id"`
	AdditionID  sql.NullInt64 `db:"addition_id"`
	StoredName  string        `db:"stored_name"`
	MIME        string        `db:"mime"`
	Size        int64         `db:"size_bytes"`
	CreatedAt   time.Time     `db:"created_at"`
}

// Photo is a photo already written to disk (by the portal, under a random
// name) that a row is to point at.
type Photo struct {
	Name string
	MIME string
	Size int64
}

const (
	insertAttachmentSQL = `INSERT INTO attachments (complaint_id, addition_id, stored_name, mime, size_bytes, created_at) VALUES (?, ?, ?, ?, ?, ?)`
	attachmentsSQL      = `SELECT id, complaint_id, addition_id, stored_name, mime, size_bytes, created_at FROM attachments WHERE complaint_id = ? ORDER BY id`
	attachmentSQL       = `SELECT id, complaint_id, addition_id, stored_name, mime, size_bytes, created_at FROM attachments WHERE id = ? AND complaint_id = ?`
)

func insertAttachments(ctx context.Context, tx *sqlx.Tx, at time.Time, complaintID, additionID int64, photos []Photo) error {
	var add any
	if additionID != 0 {
		add = additionID
	}
	for _, p := range photos {
		if _, err := tx.ExecContext(ctx, insertAttachmentSQL, complaintID, add, p.Name, p.MIME, p.Size, at); err != nil {
			return fmt.Errorf("conversation: attachment of %d: %w", complaintID, err)
		}
	}
	return nil
}

// File files a complaint by a resident with the photos sent with it, in
// one transaction: either both are stored or neither (the caller then
// removes the files). Errors as ledger.FileTx.
func (s *Service) File(ctx context.Context, in ledger.NewComplaint, photos []Photo) (ledger.Filed, error) {
	r, err := s.fileTx(ctx, Filing{Complaint: in}, photos)
	return r.Filed, err
}

// Filing is a report as the portal files it: the complaint, the held photos
// it takes (保留的照片, already on disk) and whether its receipt is kept for
// the receipt page.
type Filing struct {
	Complaint ledger.NewComplaint
	Held      HeldClaim
	Receipt   bool
	// Once, when set, is the request's idempotency key (幂等键): taken in
	// the filing's transaction before anything else, and kept there with
	// Answer(the report) after it. A key taken already fails the filing
	// with an error for Once.Settle.
	Once   *idempotency.Claim
	Answer func(Report) idempotency.Answer
}

// Report is a filed report: the complaint and its code, how many photos
// came with it, and the token of its receipt when one was asked for.
type Report struct {
	ledger.Filed
	Photos       int
	ReceiptToken string
}

// FileReport files a report in one transaction: the complaint, its event,
// the held photos it keeps (taken from their token, so that two submissions
// of one form cannot both have them) and its receipt. Errors as
// ledger.FileTx, and ErrHeldGone when the kept photos expired or were filed
// already.
func (s *Service) FileReport(ctx context.Context, f Filing) (Report, error) {
	return s.fileTx(ctx, f, nil)
}

func (s *Service) fileTx(ctx context.Context, f Filing, photos []Photo) (Report, error) {
	var out Report
	var all []Photo
	// The hooks may run more than once (the filing's batch written again
	// without a failed neighbour): each run sets what it hands back.
	filed, err := s.Ledger.FileWith(ctx, ledger.Filing{Complaint: f.Complaint, By: ledger.Resident,
		Before: func(ctx context.Context, tx *sqlx.Tx) error {
			if f.Once != nil {
				if err := f.Once.Take(ctx, tx); err != nil {
					return err
				}
			}
			held, err := s.claimTx(ctx, tx, f.Held)
			all = append(append([]Photo{}, photos...), held...)
			return err
		},
		After: func(ctx context.Context, tx *sqlx.Tx, filed *ledger.Filed) error {
			if err := insertAttachments(ctx, tx, filed.Complaint.ReceivedAt, filed.Complaint.ID, 0, all); err != nil {
				return err
			}
			out.Photos, out.ReceiptToken = len(all), ""
			if f.Receipt {
				var err error
				if out.ReceiptToken, err = s.issueReceiptTx(ctx, tx, *filed, len(all)); err != nil {
					return err
				}
			}
			if f.Once != nil && f.Answer != nil {
				r := out
				r.Filed = *filed
				return f.Once.Keep(ctx, tx, f.Answer(r))
			}
			return nil
		}})
	if err != nil {
		return Report{}, db.Classify(err)
	}
	out.Filed = filed
	return out, nil
}

// Attachments lists every photo of a complaint, oldest first.
func (s *Service) Attachments(ctx context.Context, complaintID int64) ([]Attachment, error) {
	var as []Attachment
	if err := s.DB.SelectContext(ctx, &as, attachmentsSQL, complaintID); err != nil {
		return nil, db.Classify(fmt.Errorf("conversation: attachments of %d: %w", complaintID, err))
	}
	return as, nil
}

// Attachment returns one photo of a complaint. ENOTFOUND when the complaint
// has no photo of that id (another complaint's photo included).
func (s *Service) Attachment(ctx context.Context, complaintID, id int64) (*Attachment, error) {
	var a Attachment
	if err := s.DB.GetContext(ctx, &a, attachmentSQL, id, complaintID); err != nil {
		return nil, db.Classify(db.NotFound(err, "照片不存在"))
	}
	return &a, nil
}

func isNotFound(err error) bool { return apperr.Is(err, apperr.ENOTFOUND) }

const attachmentByIDSQL = `SELECT id, complaint_id, addition_id, stored_name, mime, size_bytes, created_at FROM attachments WHERE id = ?`

// AttachmentByID returns one photo of any complaint, for staff (whoever
// calls it checks who may see it). ENOTFOUND when there is none.
func (s *Service) AttachmentByID(ctx context.Context, id int64) (*Attachment, error) {
	var a Attachment
	if err := s.DB.GetContext(ctx, &a, attachmentByIDSQL, id); err != nil {
		return nil, db.Classify(db.NotFound(err, "照片不存在"))
	}
	return &a, nil
}

// Additions lists a complaint's additions (补充材料) with their photos, and
// the photos filed with the report, for staff.
func (s *Service) Additions(ctx context.Context, complaintID int64) (additions []Addition, filed []Attachment, err error) {
	photos, err := s.Attachments(ctx, complaintID)
	if err != nil {
		return nil, nil, err
	}
	return s.additions(ctx, complaintID, photos)
}

const photoNamedSQL = `SELECT (SELECT COUNT(*) FROM attachments WHERE stored_name = ?) + (SELECT COUNT(*) FROM held_photos WHERE stored_name = ?)`

// NamesPhoto reports whether a reporter's photo, filed (attachments) or
// held for a form (held_photos), is stored under name: the upload sweep
// removes no file a row names.
func (s *Service) NamesPhoto(ctx context.Context, name string) (bool, error) {
	var n int
	if err := s.DB.GetContext(ctx, &n, photoNamedSQL, name, name); err != nil {
		return false, db.Classify(fmt.Errorf("conversation: photo named %s: %w", name, err))
	}
	return n > 0, nil
}
