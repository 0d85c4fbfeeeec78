package office

// Two-way messages with reporters (与举报人沟通): an inspector asks the
// reporter of one complaint a question; the reporter answers with the
// tracking code on the portal (portal/store.go writes direction 'resident').
// The reporter stays anonymous: staff see the conversation, never who the
// reporter is, and the timeline event carries the complaint id only, so the
// reporters of one case do not see each other's conversations.

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
)

// Message directions (table messages).
const (
	msgFromStaff    = "staff"
	msgFromResident = "resident"
)

// KindStaffMessage is the timeline event of a question to a reporter.
const KindStaffMessage = "staff.message"

// Limits on questions.
const (
	maxMessageRunes    = 1000
	maxStaffMessages   = 20
	staffMessagePublic = "工作人员向您提出了问题，请在查询页面查看并回复。"
)

// message is one line of a conversation.
type message struct {
	ID          int64          `db:"id"`
	ComplaintID int64          `db:"complaint_id"`
	Direction   string         `db:"direction"`
	Body        string         `db:"body"`
	ReplyToID   sql.NullInt64  `db:"reply_to_id"`
	Author      sql.NullString `db:"author"`
	CreatedAt   time.Time      `db:"created_at"`
}

// FromStaff reports whether the task force wrote it.
func (m message) FromStaff() bool { return m.Direction == msgFromStaff }

const (
	caseMessagesSQL = `SELECT m.id, m.complaint_id, m.direction, m.body, m.reply_to_id, u.display_name AS author, m.created_at
 FROM messages m JOIN complaints c ON c.id = m.complaint_id LEFT JOIN users u ON u.id = m.author_id
 WHERE c.case_id = ? ORDER BY m.complaint_id, m.id`
	countStaffMessagesSQL = `SELECT COUNT(*) FROM messages WHERE complaint_id = ? AND direction = 'staff'`
	insertStaffMessageSQL = `INSERT INTO messages (complaint_id, direction, body, reply_to_id, author_id, created_at) VALUES (?, ?, ?, NULL, ?, ?)`
)

// askReporterTx stores a question and its timeline event (with the audit
// entry) in one transaction. EINVALID for an empty or too long question,
// ECONFLICT after maxStaffMessages questions, ENOTFOUND for no complaint.
func (h *Handler) askReporterTx(ctx context.Context, complaintID int64, body string, by ledger.Actor) (*ledger.Complaint, error) {
	body = strings.TrimSpace(body)
	switch {
	case body == "":
		return nil, apperr.Invalid(map[string]string{"body": "请填写要询问举报人的问题"})
	case utf8.RuneCountInString(body) > maxMessageRunes:
		return nil, apperr.Invalid(map[string]string{"body": fmt.Sprintf("问题不能超过%d个字", maxMessageRunes)})
	case ledger.CheckText(body) != "":
		return nil, apperr.Invalid(map[string]string{"body": ledger.CheckText(body)})
	}
	cm, err := h.Ledger.Complaint(ctx, complaintID)
	if err != nil {
		return nil, err
	}
	err = h.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		var n int
		if err := tx.GetContext(ctx, &n, countStaffMessagesSQL, cm.ID); err != nil {
			return fmt.Errorf("office: count messages: %w", err)
		}
		if n >= maxStaffMessages {
			return apperr.Errorf(apperr.ECONFLICT, "已向该举报人提问%d次，请电话或现场沟通", n)
		}
		var author any
		if by.UserID != 0 {
			author = by.UserID
		}
		if _, err := tx.ExecContext(ctx, insertStaffMessageSQL, cm.ID, msgFromStaff, body, author, h.now()); err != nil {
			return fmt.Errorf("office: message: %w", err)
		}
		return h.Ledger.NoteTx(ctx, tx, 0, cm.ID, KindStaffMessage, by, ledger.EventInput{PublicNote: staffMessagePublic})
	})
	return cm, db.Classify(err)
}

func (h *Handler) askReporter(c *gin.Context) {
	id, err := idParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	cm, err := h.askReporterTx(h.ctx(c), id, c.PostForm("body"), h.actor(c))
	if err != nil {
		h.fail(c, err)
		return
	}
	to := "/office/inbox"
	if cm.CaseID.Valid {
		to = "/office/cases/" + strconv.FormatInt(cm.CaseID.Int64, 10) + "/messages"
	}
	done(c, to+"#c"+strconv.FormatInt(cm.ID, 10), "问题已发送，举报人可在查询页面查看并回复")
}

// conversation is one complaint with its messages and follow-up requests.
type conversation struct {
	Complaint ledger.Complaint
	Messages  []message
	Followups []ledger.Followup
}

type messagesData struct {
	Case          *ledger.Case
	Conversations []conversation
}

// caseMessages shows, per complaint of the case, the conversation with its
// reporter and the reporter's follow-up requests, with the forms to ask and
// answer.
func (h *Handler) caseMessages(c *gin.Context) {
	id, err := idParam(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	ctx := h.ctx(c)
	cs, err := h.Ledger.Case(ctx, id)
	if err != nil {
		h.fail(c, err)
		return
	}
	cms, err := h.Ledger.Complaints(ctx, id)
	if err != nil {
		h.fail(c, err)
		return
	}
	var ms []message
	if err := h.DB.SelectContext(ctx, &ms, caseMessagesSQL, id); err != nil {
		h.fail(c, db.Classify(fmt.Errorf("office: messages of case %d: %w", id, err)))
		return
	}
	fs, err := h.Ledger.FollowupsOfCase(ctx, id)
	if err != nil {
		h.fail(c, err)
		return
	}
	d := messagesData{Case: cs}
	idx := map[int64]int{}
	for _, cm := range cms {
		idx[cm.ID] = len(d.Conversations)
		d.Conversations = append(d.Conversations, conversation{Complaint: cm})
	}
	for _, m := range ms {
		if i, ok := idx[m.ComplaintID]; ok {
			d.Conversations[i].Messages = append(d.Conversations[i].Messages, m)
		}
	}
	for _, f := range fs {
		if i, ok := idx[f.ComplaintID]; ok {
			d.Conversations[i].Followups = append(d.Conversations[i].Followups, f)
		}
	}
	h.render(c, http.StatusOK, "message_case", "与举报人沟通 "+cs.Ref(), d)
}
