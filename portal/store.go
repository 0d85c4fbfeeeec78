package portal

// The portal's own tables (migrations 00020-00024): additions (补充材料),
// photos, two-way messages, ratings and "not solved" requests. Every resident
// action writes a complaint timeline event and an audit entry in the same
// transaction (as ledger's transitions do). Events carry the complaint id
// only, never the case id, so reporters of merged complaints do not see each
// other's actions.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
)

// Event kinds the portal writes.
const (
	kindAddition = "resident.addition"
	kindReply    = "resident.reply"
	kindRating   = "resident.rating"
	kindFollowup = "resident.followup"
)

// residentEvent writes a timeline event by the reporter and its audit entry
// (ledger.NoteTx) in tx. The case id is left out on purpose (see above).
func (h *Handler) residentEvent(ctx context.Context, tx *sqlx.Tx, complaintID int64, kind, publicNote string) error {
	if err := h.ledger.NoteTx(ctx, tx, 0, complaintID, kind, ledger.Resident, ledger.EventInput{PublicNote: publicNote}); err != nil {
		return fmt.Errorf("portal: event %s: %w", kind, err)
	}
	return nil
}

// attachment is one stored photo.
type attachment struct {
	ID          int64         `db:"id"`
	ComplaintID int64         `db:"complaint_id"`
	AdditionID  sql.NullInt64 `db:"addition_id"`
	StoredName  string        `db:"stored_name"`
	MIME        string        `db:"mime"`
	Size        int64         `db:"size_bytes"`
	CreatedAt   time.Time     `db:"created_at"`
}

const insertAttachmentSQL = `INSERT INTO attachments (complaint_id, addition_id, stored_name, mime, size_bytes, created_at) VALUES (?, ?, ?, ?, ?, ?)`

func insertAttachments(ctx context.Context, tx *sqlx.Tx, at time.Time, complaintID, additionID int64, files []savedFile) error {
	var add any
	if additionID != 0 {
		add = additionID
	}
	for _, f := range files {
		if _, err := tx.ExecContext(ctx, insertAttachmentSQL, complaintID, add, f.Name, f.MIME, f.Size, at); err != nil {
			return fmt.Errorf("portal: attachment: %w", err)
		}
	}
	return nil
}

const attachmentsSQL = `SELECT id, complaint_id, addition_id, stored_name, mime, size_bytes, created_at FROM attachments WHERE complaint_id = ? ORDER BY id`

func (h *Handler) attachments(ctx context.Context, complaintID int64) ([]attachment, error) {
	var as []attachment
	if err := h.db.SelectContext(ctx, &as, attachmentsSQL, complaintID); err != nil {
		return nil, db.Classify(fmt.Errorf("portal: attachments: %w", err))
	}
	return as, nil
}

const attachmentSQL = `SELECT id, complaint_id, addition_id, stored_name, mime, size_bytes, created_at FROM attachments WHERE id = ? AND complaint_id = ?`

func (h *Handler) attachment(ctx context.Context, complaintID, id int64) (*attachment, error) {
	var a attachment
	if err := h.db.GetContext(ctx, &a, attachmentSQL, id, complaintID); err != nil {
		return nil, db.Classify(db.NotFound(err, "照片不存在"))
	}
	return &a, nil
}

// addition is one 补充材料 with its photos.
type addition struct {
	ID        int64     `db:"id"`
	Body      string    `db:"body"`
	CreatedAt time.Time `db:"created_at"`
	Photos    []attachment
}

const (
	insertAdditionSQL = `INSERT INTO complaint_additions (complaint_id, body, created_at) VALUES (?, ?, ?)`
	additionsSQL      = `SELECT id, body, created_at FROM complaint_additions WHERE complaint_id = ? ORDER BY id`
	countAdditionsSQL = `SELECT COUNT(*) FROM complaint_additions WHERE complaint_id = ?`
)

// addAddition stores text and photos (already written to disk) in one
// transaction. ECONFLICT when the complaint has too many additions.
func (h *Handler) addAddition(ctx context.Context, c *ledger.Complaint, body string, files []savedFile) error {
	at := db.UTC(h.now())
	return db.Classify(h.db.InTx(ctx, func(tx *sqlx.Tx) error {
		var n int
		if err := tx.GetContext(ctx, &n, countAdditionsSQL, c.ID); err != nil {
			return err
		}
		if n >= h.limits.MaxAdditions {
			return apperr.Errorf(apperr.ECONFLICT, "补充材料已达%d次上限，如有新情况请重新举报", h.limits.MaxAdditions)
		}
		res, err := tx.ExecContext(ctx, insertAdditionSQL, c.ID, body, at)
		if err != nil {
			return fmt.Errorf("portal: addition: %w", err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		if err := insertAttachments(ctx, tx, at, c.ID, id, files); err != nil {
			return err
		}
		note := "举报人补充了材料"
		if len(files) > 0 {
			note += fmt.Sprintf("（%d张照片）", len(files))
		}
		return h.residentEvent(ctx, tx, c.ID, kindAddition, note)
	}))
}

func (h *Handler) additions(ctx context.Context, complaintID int64, photos []attachment) ([]addition, []attachment, error) {
	var as []addition
	if err := h.db.SelectContext(ctx, &as, additionsSQL, complaintID); err != nil {
		return nil, nil, db.Classify(fmt.Errorf("portal: additions: %w", err))
	}
	idx := map[int64]int{}
	for i := range as {
		idx[as[i].ID] = i
	}
	var filed []attachment
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

// message is one line of the two-way conversation.
type message struct {
	ID        int64         `db:"id"`
	Direction string        `db:"direction"` // staff | resident
	Body      string        `db:"body"`
	ReplyToID sql.NullInt64 `db:"reply_to_id"`
	CreatedAt time.Time     `db:"created_at"`
}

// Message directions.
const (
	FromStaff    = "staff"
	FromResident = "resident"
)

const (
	messagesSQL      = `SELECT id, direction, body, reply_to_id, created_at FROM messages WHERE complaint_id = ? ORDER BY id`
	insertMessageSQL = `INSERT INTO messages (complaint_id, direction, body, reply_to_id, author_id, created_at) VALUES (?, ?, ?, ?, NULL, ?)`
	countMessagesSQL = `SELECT direction, COUNT(*) AS n FROM messages WHERE complaint_id = ? GROUP BY direction`
	staffMessageSQL  = `SELECT COUNT(*) FROM messages WHERE id = ? AND complaint_id = ? AND direction = 'staff'`
)

func (h *Handler) messages(ctx context.Context, complaintID int64) ([]message, error) {
	var ms []message
	if err := h.db.SelectContext(ctx, &ms, messagesSQL, complaintID); err != nil {
		return nil, db.Classify(fmt.Errorf("portal: messages: %w", err))
	}
	return ms, nil
}

// addReply stores the reporter's answer to staff. ECONFLICT when staff asked
// nothing yet, or too many answers; EINVALID when replyTo is not a staff
// message of this complaint.
func (h *Handler) addReply(ctx context.Context, c *ledger.Complaint, body string, replyTo int64) error {
	at := db.UTC(h.now())
	return db.Classify(h.db.InTx(ctx, func(tx *sqlx.Tx) error {
		rows, err := tx.QueryxContext(ctx, countMessagesSQL, c.ID)
		if err != nil {
			return err
		}
		counts := map[string]int{}
		for rows.Next() {
			var d string
			var n int
			if err := rows.Scan(&d, &n); err != nil {
				rows.Close()
				return err
			}
			counts[d] = n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if counts[FromStaff] == 0 {
			return apperr.Errorf(apperr.ECONFLICT, "工作人员尚未向您提问；如需补充情况，请使用“补充材料”")
		}
		if counts[FromResident] >= h.limits.MaxResidentMsgs {
			return apperr.Errorf(apperr.ECONFLICT, "回复次数已达上限")
		}
		var reply any
		if replyTo != 0 {
			var n int
			if err := tx.GetContext(ctx, &n, staffMessageSQL, replyTo, c.ID); err != nil {
				return err
			}
			if n == 0 {
				return apperr.Invalid(map[string]string{"reply_to": "要回复的问题不存在"})
			}
			reply = replyTo
		}
		if _, err := tx.ExecContext(ctx, insertMessageSQL, c.ID, FromResident, body, reply, at); err != nil {
			return fmt.Errorf("portal: message: %w", err)
		}
		return h.residentEvent(ctx, tx, c.ID, kindReply, "举报人回复了工作人员的问题")
	}))
}

// Ratings (满意度).
const (
	Satisfied   = "satisfied"
	Basically   = "basically"
	Unsatisfied = "unsatisfied"
)

var ratingLabels = map[string]string{Satisfied: "满意", Basically: "基本满意", Unsatisfied: "不满意"}

// rating is the reporter's one rating of the outcome.
type rating struct {
	Rating    string    `db:"rating"`
	Comment   string    `db:"comment"`
	CreatedAt time.Time `db:"created_at"`
}

// Label is the rating's Chinese name.
func (r rating) Label() string { return ratingLabels[r.Rating] }

const (
	ratingSQL       = `SELECT rating, comment, created_at FROM ratings WHERE complaint_id = ?`
	insertRatingSQL = `INSERT INTO ratings (complaint_id, rating, comment, created_at) VALUES (?, ?, ?, ?)`
)

func (h *Handler) rating(ctx context.Context, complaintID int64) (*rating, error) {
	var r rating
	err := h.db.GetContext(ctx, &r, ratingSQL, complaintID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, db.Classify(fmt.Errorf("portal: rating: %w", err))
	}
	return &r, nil
}

// canRate reports whether the outcome can be rated: a reply was given.
func canRate(c *ledger.Complaint) bool {
	return c.Status == ledger.Concluded || c.Status == ledger.ComplaintDone || c.Status == ledger.Refused
}

var errRatedTwice = &apperr.Error{Code: apperr.ECONFLICT, Message: "您已经评价过了，每件举报只能评价一次"}

// addRating stores the one rating. ECONFLICT when not concluded or rated.
func (h *Handler) addRating(ctx context.Context, c *ledger.Complaint, r, comment string) error {
	if !canRate(c) {
		return apperr.Errorf(apperr.ECONFLICT, "办结后才能评价")
	}
	at := db.UTC(h.now())
	err := h.db.InTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, insertRatingSQL, c.ID, r, comment, at); err != nil {
			if db.IsDuplicate(err) {
				return errRatedTwice
			}
			return fmt.Errorf("portal: rating: %w", err)
		}
		return h.residentEvent(ctx, tx, c.ID, kindRating, "举报人评价："+ratingLabels[r])
	})
	if db.IsDuplicate(err) {
		return errRatedTwice
	}
	return db.Classify(err)
}

// Follow-up kinds (问题未解决 / 问题反弹).
const (
	NotSolved = "not_solved"
	CameBack  = "came_back"
)

var followupLabels = map[string]string{NotSolved: "问题未解决", CameBack: "问题又出现了"}

// followup is a "not solved / came back" request and its answer.
type followup struct {
	ID         int64        `db:"id"`
	Kind       string       `db:"kind"`
	Body       string       `db:"body"`
	Status     string       `db:"status"` // open | answered
	Answer     string       `db:"answer"`
	AnsweredAt sql.NullTime `db:"answered_at"`
	CreatedAt  time.Time    `db:"created_at"`
}

// Label is the kind's Chinese name.
func (f followup) Label() string { return followupLabels[f.Kind] }

const (
	followupsSQL      = `SELECT id, kind, body, status, answer, answered_at, created_at FROM followup_requests WHERE complaint_id = ? ORDER BY id`
	openFollowupSQL   = `SELECT COUNT(*) FROM followup_requests WHERE complaint_id = ? AND status = 'open'`
	insertFollowupSQL = `INSERT INTO followup_requests (complaint_id, kind, body, status, answer, created_at) VALUES (?, ?, ?, 'open', '', ?)`
)

func (h *Handler) followups(ctx context.Context, complaintID int64) ([]followup, error) {
	var fs []followup
	if err := h.db.SelectContext(ctx, &fs, followupsSQL, complaintID); err != nil {
		return nil, db.Classify(fmt.Errorf("portal: followups: %w", err))
	}
	return fs, nil
}

// canFollowup reports whether a "not solved" request makes sense: a reply was given.
func canFollowup(c *ledger.Complaint) bool { return canRate(c) }

// addFollowup stores a request. ECONFLICT when one is still open or the
// complaint has no reply yet.
func (h *Handler) addFollowup(ctx context.Context, c *ledger.Complaint, kind, body string) error {
	if !canFollowup(c) {
		return apperr.Errorf(apperr.ECONFLICT, "办结后才能反映问题未解决；办理期间如有新情况请使用“补充材料”")
	}
	at := db.UTC(h.now())
	return db.Classify(h.db.InTx(ctx, func(tx *sqlx.Tx) error {
		var n int
		if err := tx.GetContext(ctx, &n, openFollowupSQL, c.ID); err != nil {
			return err
		}
		if n > 0 {
			return apperr.Errorf(apperr.ECONFLICT, "您上次的反映尚在处理，请等待答复")
		}
		if _, err := tx.ExecContext(ctx, insertFollowupSQL, c.ID, kind, body, at); err != nil {
			return fmt.Errorf("portal: followup: %w", err)
		}
		return h.residentEvent(ctx, tx, c.ID, kindFollowup, "举报人反映："+followupLabels[kind]+"，等待工作人员答复")
	}))
}
