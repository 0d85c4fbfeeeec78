package conversation

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
)

// Message directions (table messages).
const (
	FromStaff    = "staff"
	FromResident = "resident"
)

// MaxQuestionRunes bounds one question of staff.
const MaxQuestionRunes = 1000

// staffMessagePublic is what the reporter's timeline says of a question.
const staffMessagePublic = "工作人员向您提出了问题，请在查询页面查看并回复。"

// Message is one line of the two-way conversation: a question of staff or
// an answer of the reporter. Author is the staff member's name, read for
// staff only.
type Message struct {
	ID          int64          `db:"id"`
	ComplaintID int64          `db:"complaint_id"`
	Direction   string         `db:"direction"` // FromStaff | FromResident
	Body        string         `db:"body"`
	ReplyToID   sql.NullInt64  `db:"reply_to_id"`
	Author      sql.NullString `db:"author"`
	CreatedAt   time.Time      `db:"created_at"`
}

// FromStaff reports whether the task force wrote it.
func (m Message) FromStaff() bool { return m.Direction == FromStaff }

const (
	messagesSQL = `SELECT id, complaint_id, direction, body, reply_to_id, created_at FROM messages WHERE complaint_id = ? ORDER BY id`
	// caseMessagesSQL names the staff author: staff read it, never reporters.
	caseMessagesSQL = `SELECT m.id, m.complaint_id, m.direction, m.body, m.reply_to_id, u.display_name AS author, m.created_at
 FROM messages m JOIN complaints c ON c.id = m.complaint_id LEFT JOIN users u ON u.id = m.author_id
 WHERE c.case_id = ? ORDER BY m.complaint_id, m.id`
	insertMessageSQL  = `INSERT INTO messages (complaint_id, direction, body, reply_to_id, author_id, created_at) VALUES (?, ?, ?, ?, ?, ?)`
	countMessagesSQL  = `SELECT COUNT(*) FROM messages WHERE complaint_id = ? AND direction = ?`
	staffMessageOfSQL = `SELECT COUNT(*) FROM messages WHERE id = ? AND complaint_id = ? AND direction = ?`
)

// Messages lists the conversation of one complaint, oldest first, without
// the staff authors' names (the reporter reads it).
func (s *Service) Messages(ctx context.Context, complaintID int64) ([]Message, error) {
	var ms []Message
	if err := s.DB.SelectContext(ctx, &ms, messagesSQL, complaintID); err != nil {
		return nil, db.Classify(fmt.Errorf("conversation: messages of %d: %w", complaintID, err))
	}
	return ms, nil
}

func (s *Service) caseMessages(ctx context.Context, caseID int64) ([]Message, error) {
	var ms []Message
	if err := s.DB.SelectContext(ctx, &ms, caseMessagesSQL, caseID); err != nil {
		return nil, db.Classify(fmt.Errorf("conversation: messages of case %d: %w", caseID, err))
	}
	return ms, nil
}

// count counts the messages of one direction of a complaint in tx.
func count(ctx context.Context, tx *sqlx.Tx, complaintID int64, direction string) (int, error) {
	var n int
	if err := tx.GetContext(ctx, &n, countMessagesSQL, complaintID, direction); err != nil {
		return 0, fmt.Errorf("conversation: count messages of %d: %w", complaintID, err)
	}
	return n, nil
}

// Ask stores a question of staff to the reporter of a complaint and its
// timeline event (with the audit entry) in one transaction, and returns the
// complaint. EINVALID (field body) for an empty, too long or unreadable
// question, ECONFLICT after Limits.MaxQuestions questions, ENOTFOUND for no
// complaint.
func (s *Service) Ask(ctx context.Context, complaintID int64, body string, by ledger.Actor) (*ledger.Complaint, error) {
	body = strings.TrimSpace(body)
	switch {
	case body == "":
		return nil, apperr.Invalid(map[string]string{"body": "请填写要询问举报人的问题"})
	case utf8.RuneCountInString(body) > MaxQuestionRunes:
		return nil, apperr.Invalid(map[string]string{"body": fmt.Sprintf("问题不能超过%d个字", MaxQuestionRunes)})
	case ledger.CheckText(body) != "":
		return nil, apperr.Invalid(map[string]string{"body": ledger.CheckText(body)})
	}
	cm, err := s.Ledger.Complaint(ctx, complaintID)
	if err != nil {
		return nil, err
	}
	err = s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		n, err := count(ctx, tx, cm.ID, FromStaff)
		if err != nil {
			return err
		}
		if n >= s.Limits.MaxQuestions {
			return apperr.Errorf(apperr.ECONFLICT, "已向该举报人提问%d次，请电话或现场沟通", n)
		}
		var author any
		if by.UserID != 0 {
			author = by.UserID
		}
		if _, err := tx.ExecContext(ctx, insertMessageSQL, cm.ID, FromStaff, body, nil, author, s.now()); err != nil {
			return fmt.Errorf("conversation: question to %d: %w", cm.ID, err)
		}
		return s.Ledger.NoteTx(ctx, tx, 0, cm.ID, KindStaffMessage, by, ledger.EventInput{PublicNote: staffMessagePublic})
	})
	if err != nil {
		return nil, db.Classify(err)
	}
	return cm, nil
}

// Reply stores the reporter's answer (validated by the caller) with its
// event. replyTo, when not 0, names the staff question answered. ECONFLICT
// when staff asked nothing yet or the reporter has sent Limits.MaxReplies
// answers; EINVALID (field reply_to) when replyTo is not a question of this
// complaint.
func (s *Service) Reply(ctx context.Context, c *ledger.Complaint, body string, replyTo int64) error {
	at := s.now()
	return db.Classify(s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		asked, err := count(ctx, tx, c.ID, FromStaff)
		if err != nil {
			return err
		}
		if asked == 0 {
			return apperr.Errorf(apperr.ECONFLICT, "工作人员尚未向您提问；如需补充情况，请使用“补充材料”")
		}
		replied, err := count(ctx, tx, c.ID, FromResident)
		if err != nil {
			return err
		}
		if replied >= s.Limits.MaxReplies {
			return apperr.Errorf(apperr.ECONFLICT, "回复次数已达上限")
		}
		var reply any
		if replyTo != 0 {
			var n int
			if err := tx.GetContext(ctx, &n, staffMessageOfSQL, replyTo, c.ID, FromStaff); err != nil {
				return err
			}
			if n == 0 {
				return apperr.Invalid(map[string]string{"reply_to": "要回复的问题不存在"})
			}
			reply = replyTo
		}
		if _, err := tx.ExecContext(ctx, insertMessageSQL, c.ID, FromResident, body, reply, nil, at); err != nil {
			return fmt.Errorf("conversation: reply to %d: %w", c.ID, err)
		}
		return s.residentEvent(ctx, tx, c.ID, KindReply, "举报人回复了工作人员的问题")
	}))
}
