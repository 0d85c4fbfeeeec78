package ledger

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/audit"
	"ecoreport/internal/db"
	"ecoreport/internal/phone"
	"ecoreport/internal/trackcode"
)

// Complaint is one report (举报件) as one person made it through one channel.
type Complaint struct {
	ID              int64           `db:"id"`
	Channel         Channel         `db:"channel"`
	Status          ComplaintStatus `db:"status"`
	SourceRef       sql.NullString  `db:"source_ref"` // hotline ticket number (工单编号), unique per channel
	Categories      Categories      `db:"categories"`
	CategoryText    string          `db:"category_text"` // what the person or hotline wrote
	TownID          sql.NullInt64   `db:"town_id"`
	TownText        string          `db:"town_text"`
	Address         string          `db:"address"`
	Subject         string          `db:"subject"` // the reported party (被举报对象)
	Description     string          `db:"description"`
	OccurredText    string          `db:"occurred_text"`
	Identity        Identity        `db:"identity"`
	ContactEnc      sql.NullString  `db:"contact_enc"`
	ContactErasedAt sql.NullTime    `db:"contact_erased_at"`
	WantsReward     bool            `db:"wants_reward"`
	CaseID          sql.NullInt64   `db:"case_id"`
	RefuseReason    string          `db:"refuse_reason"`
	ReceivedAt      time.Time       `db:"received_at"`
	DecideDueAt     time.Time       `db:"decide_due_at"`
	ReplyDueAt      sql.NullTime    `db:"reply_due_at"`
	Extra           string          `db:"extra"`    // JSON array of {name, value}: columns we do not map
	Warnings        string          `db:"warnings"` // JSON array of Chinese warnings for triage
	SourceHash      string          `db:"source_hash"`
	CreatedBy       sql.NullInt64   `db:"created_by"`
	UpdatedAt       time.Time       `db:"updated_at"`
	AssigneeID      sql.NullInt64   `db:"assignee_id"` // the inspector who holds it in triage
}

// Ref is the complaint's public reference (not its tracking code).
func (c *Complaint) Ref() string { return ComplaintRef(c.ID) }

// ComplaintRef formats a complaint id as a public reference.
func ComplaintRef(id int64) string { return fmt.Sprintf("R%07d", id) }

// DecideOverdue reports whether nobody accepted or refused it in time.
func (c *Complaint) DecideOverdue(now time.Time) bool {
	return c.Status == Received && now.After(c.DecideDueAt)
}

// Field is a named extra value kept from a source (an unmapped column).
type Field struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// NewComplaint is what it takes to file a complaint.
type NewComplaint struct {
	Channel      Channel
	SourceRef    string // ticket number; required for hotline
	Categories   Categories
	CategoryText string
	TownID       int64 // 0 when unknown
	TownText     string
	Address      string
	Subject      string
	Description  string
	OccurredText string
	Identity     Identity
	Contact      *Contact // nil for anonymous
	WantsReward  bool
	ReceivedAt   time.Time // zero means now
	ReplyDueAt   *time.Time
	Extra        []Field
	Warnings     []string
	SourceHash   string
	// LookupPhone is the phone a hotline caller called from, used only for
	// the ticket + last-four-digits lookup (never stored); defaults to
	// Contact.Phone.
	LookupPhone string
}

// Field limits shared by every intake.
const (
	MinDescription = 10
	MaxDescription = 2000
	MaxShortText   = 200
)

// Validate checks a new complaint and names every bad field in Chinese.
func (n *NewComplaint) Validate() error {
	f := map[string]string{}
	if !n.Channel.Valid() {
		f["channel"] = "来源渠道无效"
	}
	if n.Channel == ChannelHotline && strings.TrimSpace(n.SourceRef) == "" {
		f["source_ref"] = "热线工单必须有工单编号"
	}
	for _, c := range n.Categories {
		if !c.Valid() {
			f["categories"] = "污染类型无效：" + string(c)
		}
	}
	desc := strings.TrimSpace(n.Description)
	switch l := utf8.RuneCountInString(desc); {
	case l == 0:
		f["description"] = "请描述发生了什么"
	case l < MinDescription && n.Channel != ChannelHotline:
		f["description"] = fmt.Sprintf("问题描述至少%d个字", MinDescription)
	case l > MaxDescription && n.Channel != ChannelHotline:
		f["description"] = fmt.Sprintf("问题描述不能超过%d个字", MaxDescription)
	}
	for name, v := range map[string]string{"address": n.Address, "subject": n.Subject, "occurred": n.OccurredText, "town": n.TownText, "category_text": n.CategoryText} {
		if utf8.RuneCountInString(v) > MaxShortText*2 {
			f[name] = fmt.Sprintf("内容过长（不超过%d个字）", MaxShortText*2)
		}
	}
	for name, v := range map[string]string{"description": n.Description, "address": n.Address, "subject": n.Subject, "source_ref": n.SourceRef} {
		if msg := CheckText(v); msg != "" {
			f[name] = msg
		}
	}
	switch n.Identity {
	case Anonymous:
		n.Contact = nil
	case Confidential:
	default:
		f["identity"] = "请选择匿名或保密"
	}
	if len(f) > 0 {
		return apperr.Invalid(f)
	}
	return nil
}

// CheckText returns a Chinese message when s is not acceptable text (invalid
// UTF-8, or control characters other than line breaks and tabs), else "".
func CheckText(s string) string {
	if !utf8.ValidString(s) {
		return "含有无法识别的字符（编码错误）"
	}
	for _, r := range s {
		if (r < 0x20 && r != '\n' && r != '\r' && r != '\t') || r == 0x7f {
			return "含有不允许的控制字符"
		}
	}
	return ""
}

// Filed is the result of filing: the tracking code is shown once and never
// stored in clear.
type Filed struct {
	Complaint    Complaint
	TrackingCode string // canonical; format with trackcode.Format
}

// File records a new complaint: in a batch of concurrent filings when
// StartBatching runs (FileWith), else in its own transaction.
func (s *Service) File(ctx context.Context, in NewComplaint, by Actor) (Filed, error) {
	return s.FileWith(ctx, Filing{Complaint: in, By: by})
}

const insertComplaintHead = `INSERT INTO complaints (tracking_mac, channel, status, source_ref, lookup_mac, categories, category_text,
 town_id, town_text, address, subject, description, occurred_text, identity, contact_enc, wants_reward, received_at,
 decide_due_at, reply_due_at, extra, warnings, source_hash, created_by, updated_at) VALUES `

const complaintPlaceholders = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// FileTx records a new complaint inside tx, with its timeline event and audit
// entry. Duplicate ticket numbers are ECONFLICT.
func (s *Service) FileTx(ctx context.Context, tx *sqlx.Tx, in NewComplaint, by Actor) (Filed, error) {
	fs, err := s.FileManyTx(ctx, tx, []NewComplaint{in}, by)
	if err != nil {
		return Filed{}, err
	}
	return fs[0], nil
}

// FileManyTx records many new complaints inside tx with multi-row INSERTs
// (complaints, their 'complaint.filed' events) and one audit entry naming
// them all, and their terms in the search index: bulk imports pay one round
// trip per table per batch, not per row. Every
// complaint is validated first; the first invalid one fails the call with an
// EINVALID error naming its index in Fields["index"]. A ticket number that
// exists already is ECONFLICT.
func (s *Service) FileManyTx(ctx context.Context, tx *sqlx.Tx, ins []NewComplaint, by Actor) ([]Filed, error) {
	return s.fileRowsTx(ctx, tx, itemsOf(ins, by), len(ins) > 1, false)
}

// FileBulkTx files like FileManyTx but leaves the complaints' search terms
// to the catch-up indexer (IndexBacklog): one search_backlog row per
// complaint instead of its ~27 rows of search_terms, which are most of the
// cost of a bulk import. The complaints are found by search once the
// indexer has caught up (serve runs it every few seconds).
func (s *Service) FileBulkTx(ctx context.Context, tx *sqlx.Tx, ins []NewComplaint, by Actor) ([]Filed, error) {
	return s.fileRowsTx(ctx, tx, itemsOf(ins, by), len(ins) > 1, true)
}

// fileItem is one complaint of a multi-row filing and who files it.
type fileItem struct {
	in *NewComplaint
	by Actor
}

func itemsOf(ins []NewComplaint, by Actor) []fileItem {
	items := make([]fileItem, len(ins))
	for i := range ins {
		items[i] = fileItem{in: &ins[i], by: by}
	}
	return items
}

// fileRowsTx writes the complaints of items with one multi-row INSERT per
// table. bulk says whose act it is: one actor's bulk filing gets one
// 'complaint.filed_batch' audit entry naming them all; otherwise (the
// group commit of separate filings, Batcher) every complaint gets the
// 'complaint.filed' entry of its own actor, as a filing alone would. later
// leaves the search terms to the catch-up indexer (FileBulkTx).
func (s *Service) fileRowsTx(ctx context.Context, tx *sqlx.Tx, items []fileItem, bulk, later bool) ([]Filed, error) {
	if len(items) == 0 {
		return nil, nil
	}
	for i := range items {
		if err := items[i].in.Validate(); err != nil {
			if len(items) > 1 {
				if e, ok := err.(*apperr.Error); ok {
					e.Fields["index"] = fmt.Sprint(i)
				}
			}
			return nil, err
		}
	}
	now := s.now()
	out := make([]Filed, len(items))
	macs := make([]string, len(items))
	var q strings.Builder
	q.WriteString(insertComplaintHead)
	args := make([]any, 0, len(items)*24)
	for i, it := range items {
		c, code, lookup := s.newRow(it.in, now, it.by)
		macs[i] = s.Keys.MAC("code", code)
		out[i] = Filed{Complaint: c, TrackingCode: code}
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(complaintPlaceholders)
		args = append(args, macs[i], c.Channel, c.Status, c.SourceRef, lookup,
			c.Categories, c.CategoryText, c.TownID, c.TownText, c.Address, c.Subject, c.Description, c.OccurredText, c.Identity,
			c.ContactEnc, c.WantsReward, c.ReceivedAt, c.DecideDueAt, c.ReplyDueAt, c.Extra, c.Warnings, c.SourceHash, it.by.userID(), c.UpdatedAt)
	}
	res, err := tx.ExecContext(ctx, q.String(), args...)
	if err != nil {
		if db.IsDuplicate(err) {
			if len(items) == 1 && out[0].Complaint.SourceRef.Valid {
				return nil, apperr.Errorf(apperr.ECONFLICT, "工单编号 %s 已存在", out[0].Complaint.SourceRef.String)
			}
			return nil, apperr.Errorf(apperr.ECONFLICT, "工单编号已存在")
		}
		return nil, fmt.Errorf("ledger: file %d complaints: %w", len(items), err)
	}
	if len(out) == 1 {
		// One row: the id the insert reports is exact on every engine.
		if out[0].Complaint.ID, err = res.LastInsertId(); err != nil {
			return nil, fmt.Errorf("ledger: file complaint: %w", err)
		}
	} else if err := s.assignIDs(ctx, tx, out, macs); err != nil {
		return nil, err
	}
	var ev strings.Builder
	ev.WriteString(`INSERT INTO events (case_id, complaint_id, kind, from_status, to_status, actor_id, actor, public_note, internal_note, created_at) VALUES `)
	evArgs := make([]any, 0, len(out)*10)
	recs := make([]audit.Record, 0, len(out))
	for i := range out {
		c, by := &out[i].Complaint, items[i].by
		if i > 0 {
			ev.WriteString(", ")
		}
		ev.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
		note := fmt.Sprintf("您的举报已收到（%s），我们将在%s前决定是否受理。", c.Channel.Label(), c.DecideDueAt.In(s.Location).Format("2006年1月2日"))
		evArgs = append(evArgs, nil, c.ID, "complaint.filed", "", string(Received), by.userID(), actorName(by), note, "", now)
		if !bulk {
			recs = append(recs, audit.Record{At: now, Actor: actorName(by), Action: "complaint.filed", ObjectType: "complaint", ObjectID: c.ID,
				Detail: map[string]any{"from": "", "to": string(Received)}})
		}
	}
	if bulk {
		// A bulk filing is one act of one actor: one audit entry names every
		// complaint it filed, instead of one row per complaint.
		ids := make([]int64, len(out))
		for i := range out {
			ids[i] = out[i].Complaint.ID
		}
		recs = append(recs, audit.Record{At: now, Actor: actorName(items[0].by), Action: "complaint.filed_batch", ObjectType: "complaint",
			ObjectID: fmt.Sprintf("%d-%d", slices.Min(ids), slices.Max(ids)), Detail: map[string]any{"count": len(ids), "ids": ids}})
	}
	if _, err := tx.ExecContext(ctx, ev.String(), evArgs...); err != nil {
		return nil, fmt.Errorf("ledger: file complaints: events: %w", err)
	}
	index := indexComplaintsTx
	if later {
		index = backlogComplaintsTx
	}
	if err := index(ctx, tx, out); err != nil {
		return nil, fmt.Errorf("ledger: file complaints: %w", err)
	}
	if err := audit.AppendMany(ctx, tx, recs); err != nil {
		return nil, fmt.Errorf("ledger: file complaints: %w", err)
	}
	return out, nil
}

// newRow builds the row of a validated new complaint: its fresh tracking
// code and the ticket-lookup HMAC (nil when there is no phone to match).
func (s *Service) newRow(in *NewComplaint, now time.Time, by Actor) (Complaint, string, any) {
	received := now
	if !in.ReceivedAt.IsZero() {
		received = db.UTC(in.ReceivedAt)
	}
	c := Complaint{
		Channel: in.Channel, Status: Received, Categories: in.Categories, CategoryText: in.CategoryText,
		TownText: in.TownText, Address: strings.TrimSpace(in.Address), Subject: strings.TrimSpace(in.Subject),
		Description: strings.TrimSpace(in.Description), OccurredText: in.OccurredText, Identity: in.Identity,
		WantsReward: in.WantsReward, ReceivedAt: received,
		DecideDueAt: DueDate(received, s.Limits.AcceptDays, s.Location), SourceHash: in.SourceHash, UpdatedAt: now,
	}
	// A ticket that reaches us after its decision window would be told a
	// date already past ("我们将在11月27日前决定" on 2 December): the window
	// then counts from when we received it.
	if c.DecideDueAt.Before(now) {
		c.DecideDueAt = DueDate(now, s.Limits.AcceptDays, s.Location)
	}
	if c.Categories == nil {
		c.Categories = Categories{}
	}
	if in.TownID != 0 {
		c.TownID = sql.NullInt64{Int64: in.TownID, Valid: true}
	}
	if in.SourceRef != "" {
		c.SourceRef = sql.NullString{String: strings.TrimSpace(in.SourceRef), Valid: true}
	}
	if in.ReplyDueAt != nil {
		c.ReplyDueAt = sql.NullTime{Time: db.UTC(*in.ReplyDueAt), Valid: true}
	}
	if by.UserID != 0 {
		c.CreatedBy = sql.NullInt64{Int64: by.UserID, Valid: true}
	}
	if in.Contact != nil && (in.Contact.Name != "" || in.Contact.Phone != "") {
		b, _ := json.Marshal(in.Contact)
		c.ContactEnc = sql.NullString{String: s.Keys.Seal(b), Valid: true}
	}
	c.Extra = marshalOrEmpty(in.Extra)
	c.Warnings = marshalOrEmpty(in.Warnings)
	return c, trackcode.New(), s.lookupMAC(in, c.SourceRef)
}

// lookupMAC is the HMAC that lets a caller find a ticket with its number and
// the last four digits of the phone they called from. An anonymous caller
// keeps no contact with us but may still give LookupPhone for this.
func (s *Service) lookupMAC(in *NewComplaint, ref sql.NullString) any {
	if !ref.Valid {
		return nil
	}
	p := in.LookupPhone
	if p == "" && in.Contact != nil {
		p = in.Contact.Phone
	}
	if l4 := phone.Last4(p); l4 != "" {
		return s.TicketMAC(ref.String, l4)
	}
	return nil
}

// TicketMAC is the stored form of a hotline ticket number + last four digits:
// the HMAC of the canonical number (CanonicalTicketNo), so that the lookup
// ignores case, width and spaces.
func (s *Service) TicketMAC(ticketNo, last4 string) string {
	return s.Keys.MAC("ticket", string(ChannelHotline), CanonicalTicketNo(ticketNo), last4)
}

// assignIDs reads back the ids of a multi-row insert by the rows' tracking
// HMACs (unique): consecutive ids are not promised by every engine's
// auto-increment mode (MySQL's interleaved mode, TiDB), so none is assumed.
func (s *Service) assignIDs(ctx context.Context, tx *sqlx.Tx, out []Filed, macs []string) error {
	q, args, err := sqlx.In(`SELECT id, tracking_mac FROM complaints WHERE tracking_mac IN (?)`, macs)
	if err != nil {
		return err
	}
	var rows []struct {
		ID  int64  `db:"id"`
		MAC string `db:"tracking_mac"`
	}
	if err := tx.SelectContext(ctx, &rows, q, args...); err != nil {
		return fmt.Errorf("ledger: read back complaint ids: %w", err)
	}
	ids := make(map[string]int64, len(rows))
	for _, r := range rows {
		ids[r.MAC] = r.ID
	}
	for i := range out {
		if out[i].Complaint.ID = ids[macs[i]]; out[i].Complaint.ID == 0 {
			return fmt.Errorf("ledger: complaint %d not read back", i)
		}
	}
	return nil
}

func marshalOrEmpty[T any](v []T) string {
	if len(v) == 0 {
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

const complaintColumns = `id, channel, status, source_ref, categories, category_text, town_id, town_text, address, subject,
 description, occurred_text, identity, contact_enc, contact_erased_at, wants_reward, case_id, refuse_reason, received_at,
 decide_due_at, reply_due_at, extra, warnings, source_hash, created_by, updated_at, assignee_id`

// Complaint returns one complaint by id. ENOTFOUND when there is none.
func (s *Service) Complaint(ctx context.Context, id int64) (*Complaint, error) {
	var c Complaint
	err := s.DB.GetContext(ctx, &c, `SELECT `+complaintColumns+` FROM complaints WHERE id = ?`, id)
	if err != nil {
		return nil, db.Classify(db.NotFound(err, "举报件不存在"))
	}
	return &c, nil
}

// ErrNoSuchCode is what every failed lookup returns, whatever the reason, so
// that the answer tells nothing about which codes exist.
var ErrNoSuchCode = &apperr.Error{Code: apperr.ENOTFOUND, Message: "未找到该查询码对应的举报，请核对后重新输入"}

// Track finds the complaint of a tracking code typed by a person. Every
// failure (malformed or unknown) is ErrNoSuchCode after the same work.
func (s *Service) Track(ctx context.Context, typed string) (*Complaint, error) {
	code, err := trackcode.Normalize(typed)
	if err != nil {
		code = strings.Repeat("0", trackcode.Length) // same query, same time
	}
	var c Complaint
	qerr := s.DB.GetContext(ctx, &c, `SELECT `+complaintColumns+` FROM complaints WHERE tracking_mac = ?`, s.Keys.MAC("code", code))
	if err != nil {
		return nil, ErrNoSuchCode
	}
	if qerr != nil {
		if db.NotFound(qerr, "") != qerr {
			return nil, ErrNoSuchCode
		}
		return nil, db.Classify(fmt.Errorf("ledger: track: %w", qerr))
	}
	return &c, nil
}

// TrackTicket finds a hotline complaint by its ticket number and the last four
// digits of the caller's phone, case- and width-insensitive (full-width
// digits too). EINVALID names the field when either is missing or the digits
// are not four; every miss is ErrNoSuchTicket after the same work; ERATELIMIT
// (ErrTicketLocked) once the ticket has had MaxTicketLookupFailures failures
// in TicketLookupWindow, counted in the database across instances (see
// ticket_lookup.go).
func (s *Service) TrackTicket(ctx context.Context, ticketNo, phoneLast4 string) (*Complaint, error) {
	no, l4 := CanonicalTicketNo(ticketNo), canonicalLast4(phoneLast4)
	switch {
	case no == "":
		return nil, apperr.Invalid(map[string]string{"ticket_no": "请输入热线工单编号"})
	case l4 == "":
		return nil, apperr.Invalid(map[string]string{"phone_last4": "请输入来电手机号的后四位数字"})
	}
	key := s.Keys.MAC("ticket-lookup", no)
	attempt, until, err := s.reserveTicketLookup(ctx, key, no)
	if err != nil {
		return nil, err
	}
	if attempt > MaxTicketLookupFailures {
		return nil, ErrTicketLocked(max(until.Sub(s.now()), time.Second))
	}
	c, err := s.findTicket(ctx, no, strings.TrimSpace(ticketNo), l4)
	if err == ErrNoSuchTicket {
		if aerr := s.auditTicketLookupFailure(ctx, no, attempt); aerr != nil {
			return nil, aerr
		}
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	if err := s.forgiveTicketLookup(ctx, key); err != nil {
		return nil, err
	}
	return c, nil
}

// Contact decrypts a complaint's contact details. Callers at the edge must
// check the viewer's role and write an audit entry (ViewContact does both
// halves of the audit here).
func (s *Service) Contact(c *Complaint) (*Contact, error) {
	if !c.ContactEnc.Valid {
		return nil, nil
	}
	b, err := s.Keys.Open(c.ContactEnc.String)
	if err != nil {
		return nil, fmt.Errorf("ledger: contact of complaint %d: %w", c.ID, err)
	}
	var ct Contact
	if err := json.Unmarshal(b, &ct); err != nil {
		return nil, fmt.Errorf("ledger: contact of complaint %d: %w", c.ID, err)
	}
	return &ct, nil
}

// ViewContact shows a staff member a confidential reporter's contact (查看
// 联系方式): the view is written to the audit log (with the viewer's role)
// before the contact is opened, so no view goes unrecorded. nil when the
// complaint has no contact (anonymous, or erased after retention).
func (s *Service) ViewContact(ctx context.Context, c *Complaint, by Actor, role string) (*Contact, error) {
	if err := audit.Append(ctx, s.DB, s.now(), actorName(by), "contact.viewed", "complaint", c.ID, map[string]any{"role": role}); err != nil {
		return nil, db.Classify(fmt.Errorf("ledger: audit contact view of %d: %w", c.ID, err))
	}
	return s.Contact(c)
}

// PhoneWarning starts the import warning about a phone number that could
// not be read; what follows is the number, masked (never in clear: the
// warnings column is not sealed like the contact).
const PhoneWarning = "电话号码格式无法识别："

// WarningList is the complaint's import warnings (导入提示) for triage, each
// naming the raw value it is about. A phone in a warning is shown masked
// (phone.Mask), whatever an older import stored.
func (c *Complaint) WarningList() []string {
	var ws []string
	if c.Warnings == "" || json.Unmarshal([]byte(c.Warnings), &ws) != nil {
		return nil
	}
	for i, w := range ws {
		if rest, ok := strings.CutPrefix(w, PhoneWarning); ok && !strings.Contains(rest, "*") {
			ws[i] = PhoneWarning + phone.Mask(rest)
		}
	}
	return ws
}

// ExtraFields are the values a source gave that no column holds (a hotline
// export's unmapped columns, Open311's coordinates), as given; a value under
// a phone-like name is masked.
func (c *Complaint) ExtraFields() []Field {
	var fs []Field
	if c.Extra == "" || json.Unmarshal([]byte(c.Extra), &fs) != nil {
		return nil
	}
	for i, f := range fs {
		if phoneLike(f.Name) {
			fs[i].Value = phone.Mask(f.Value)
		}
	}
	return fs
}

func phoneLike(name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{"电话", "手机", "phone", "tel", "mobile"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// Coordinates are the WGS84 latitude and longitude a partner app gave
// (Open311 lat/long, kept in Extra), ok=false when none.
func (c *Complaint) Coordinates() (lat, long string, ok bool) {
	for _, f := range c.ExtraFields() {
		switch f.Name {
		case "lat":
			lat = f.Value
		case "long":
			long = f.Value
		}
	}
	return lat, long, lat != "" && long != ""
}

// FeedbackDue is when the answer to the complaint's source is due (回音期限):
// a hotline ticket's own reply deadline (办理时限) when it carries one.
// ok=false when the source set none.
func (c *Complaint) FeedbackDue() (time.Time, bool) {
	return c.ReplyDueAt.Time, c.ReplyDueAt.Valid
}

// FeedbackOverdue reports whether the source's reply deadline passed
// before the complaint had its answer (refused, concluded or closed).
func (c *Complaint) FeedbackOverdue(now time.Time) bool {
	due, ok := c.FeedbackDue()
	return ok && !c.Status.Finished() && now.After(due)
}
