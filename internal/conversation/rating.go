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

// Ratings of the outcome (满意度).
const (
	Satisfied   = "satisfied"
	Basically   = "basically"
	Unsatisfied = "unsatisfied"
)

var ratingLabels = map[string]string{Satisfied: "满意", Basically: "基本满意", Unsatisfied: "不满意"}

// Rating is the reporter's one rating of the outcome.
type Rating struct {
	Rating    string    `db:"rating"`
	Comment   string    `db:"comment"`
	CreatedAt time.Time `db:"created_at"`
}

// Label is the rating's Chinese name.
func (r *Rating) Label() string { return ratingLabels[r.Rating] }

// ValidRating reports whether r is one of the three ratings.
func ValidRating(r string) bool { _, ok := ratingLabels[r]; return ok }

const (
	ratingSQL       = `SELECT rating, comment, created_at FROM ratings WHERE complaint_id = ?`
	insertRatingSQL = `INSERT INTO ratings (complaint_id, rating, comment, created_at) VALUES (?, ?, ?, ?)`
)

// CanRate reports whether the outcome can be rated: a reply was given
// (concluded, finished or refused).
func CanRate(c *ledger.Complaint) bool {
	return c.Status == ledger.Concluded || c.Status == ledger.ComplaintDone || c.Status == ledger.Refused
}

// ErrRatedTwice is the answer to a second rating.
var ErrRatedTwice = &apperr.Error{Code: apperr.ECONFLICT, Message: "您已经评价过了，每件举报只能评价一次"}

// Rating returns the rating of a complaint. ENOTFOUND when it has none.
func (s *Service) Rating(ctx context.Context, complaintID int64) (*Rating, error) {
	var r Rating
	if err := s.DB.GetContext(ctx, &r, ratingSQL, complaintID); err != nil {
		return nil, db.Classify(db.NotFound(err, "尚未评价"))
	}
	return &r, nil
}

// Rate stores the one rating (validated by the caller) with its event.
// ECONFLICT when no reply was given yet, ErrRatedTwice (ECONFLICT) when the
// complaint is rated already (the table's unique key decides, so parallel
// ratings store one), EINVALID for an unknown rating.
func (s *Service) Rate(ctx context.Context, c *ledger.Complaint, rating, comment string) error {
	if !ValidRating(rating) {
		return apperr.Invalid(map[string]string{"rating": "请选择满意、基本满意或不满意"})
	}
	if !CanRate(c) {
		return apperr.Errorf(apperr.ECONFLICT, "办结后才能评价")
	}
	at := s.now()
	err := s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, insertRatingSQL, c.ID, rating, comment, at); err != nil {
			if db.IsDuplicate(err) {
				return ErrRatedTwice
			}
			return fmt.Errorf("conversation: rating of %d: %w", c.ID, err)
		}
		return s.residentEvent(ctx, tx, c.ID, KindRating, "举报人评价："+ratingLabels[rating])
	})
	if db.IsDuplicate(err) {
		return ErrRatedTwice
	}
	return db.Classify(err)
}
