package hotline

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/xuri/excelize/v2"

	"ecoreport/internal/apperr"
	"ecoreport/internal/audit"
	"ecoreport/internal/csvout"
	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
	"ecoreport/internal/trackcode"
)

// FeedbackColumns are the columns of the feedback export (回音), as the
// contract names them.
var FeedbackColumns = []string{"工单编号", "查询码", "办理状态", "是否属实", "办理结果(答复内容)", "承办单位", "办结时间"}

// Feedback formats.
const (
	FormatCSV    = "csv"     // UTF-8 with BOM, for Excel
	FormatCSVGBK = "csv-gbk" // GBK, for older hotline systems
	FormatXLSX   = "xlsx"
)

// FeedbackRow is one ticket's answer to the hotline (事事有回音).
//
// 查询码 is the ticket's tracking code, which the hotline operator reads out
// to a caller: it is kept sealed for hotline tickets (hotline_codes) and
// opened only for a feedback export or the result API, each of which is
// audited. A ticket filed before codes were kept has none (the column is
// empty); its caller follows it with the ticket number and the last four
// digits of their phone.
type FeedbackRow struct {
	TicketNo     string     `json:"ticket_no"`
	TrackingCode string     `json:"query_code"` // formatted; "" until revealed, or when none was kept
	Ref          string     `json:"ref"`        // the complaint's public reference (R0000123)
	Status       string     `json:"status"`
	StatusLabel  string     `json:"status_label"`
	Verification string     `json:"verification"` // 属实/部分属实/不属实, "" before verification
	Reply        string     `json:"reply"`
	Unit         string     `json:"unit"`
	ConcludedAt  *time.Time `json:"concluded_at"`

	complaintID int64
	codeEnc     string // the sealed code, opened by reveal
}

// Cells are the row as the export writes it, times in loc.
func (r *FeedbackRow) Cells(loc *time.Location) []string {
	done := ""
	if r.ConcludedAt != nil {
		done = r.ConcludedAt.In(loc).Format("2006-01-02 15:04:05")
	}
	return []string{r.TicketNo, r.TrackingCode, r.StatusLabel, r.Verification, r.Reply, r.Unit, done}
}

// Feedback exports the results of hotline tickets back to the hotline.
type Feedback struct {
	Ledger *ledger.Service
	DB     *db.DB
	// DefaultUnit is 承办单位 when a case has no responsible unit (verified
	// unsubstantiated, refused): usually the bureau itself. May be "".
	DefaultUnit string
}

// FeedbackQuery chooses the tickets: SinceLast (public state changed since the
// previous since-last export) or a range of change times [From, To).
type FeedbackQuery struct {
	SinceLast bool
	From, To  time.Time
	Format    string
}

const feedbackSQL = `SELECT c.id, c.source_ref, c.status, c.refuse_reason,
 COALESCE(cs.verification, '') AS verification, COALESCE(cs.public_reply, '') AS public_reply, cs.concluded_at,
 COALESCE(u.name, '') AS unit_name,
 (SELECT e.public_note FROM events e WHERE e.complaint_id = c.id AND e.kind = 'complaint.refused' ORDER BY e.id DESC LIMIT 1) AS refuse_note,
 c.updated_at AS refused_at, COALESCE(hc.code_enc, '') AS code_enc
FROM complaints c
LEFT JOIN hotline_codes hc ON hc.complaint_id = c.id
LEFT JOIN cases cs ON cs.id = c.case_id
LEFT JOIN units u ON u.id = cs.unit_id
WHERE c.channel = 'hotline'`

type feedbackScan struct {
	ID           int64          `db:"id"`
	SourceRef    string         `db:"source_ref"`
	Status       string         `db:"status"`
	RefuseReason string         `db:"refuse_reason"`
	Verification string         `db:"verification"`
	PublicReply  string         `db:"public_reply"`
	ConcludedAt  sql.NullTime   `db:"concluded_at"`
	UnitName     string         `db:"unit_name"`
	RefuseNote   sql.NullString `db:"refuse_note"`
	RefusedAt    time.Time      `db:"refused_at"`
	CodeEnc      string         `db:"code_enc"`
}

func (f *Feedback) row(s feedbackScan) FeedbackRow {
	st := ledger.ComplaintStatus(s.Status)
	r := FeedbackRow{TicketNo: s.SourceRef, Ref: ledger.ComplaintRef(s.ID), Status: s.Status, StatusLabel: st.Label(),
		Reply: s.PublicReply, Unit: s.UnitName, complaintID: s.ID, codeEnc: s.CodeEnc}
	if v := ledger.Verification(s.Verification); v.Valid() && v != ledger.Pending {
		r.Verification = v.Label()
	}
	if s.ConcludedAt.Valid {
		t := s.ConcludedAt.Time.UTC()
		r.ConcludedAt = &t
	}
	if st == ledger.Refused {
		r.Reply = ledger.RefuseReason(s.RefuseReason).DefaultNote()
		if s.RefuseNote.Valid && s.RefuseNote.String != "" {
			r.Reply = s.RefuseNote.String
		}
		t := s.RefusedAt.UTC() // the refusal is the complaint's last change
		r.ConcludedAt = &t
	}
	if r.Unit == "" && (r.ConcludedAt != nil || r.Verification != "") {
		r.Unit = f.DefaultUnit
	}
	return r
}

// Ticket returns the feedback of one ticket without its tracking code
// (TicketFor reveals it). ENOTFOUND when the ledger has no such hotline
// ticket.
func (f *Feedback) Ticket(ctx context.Context, ticketNo string) (FeedbackRow, error) {
	var s feedbackScan
	if err := f.DB.GetContext(ctx, &s, feedbackSQL+` AND c.source_ref = ?`, ticketNo); err != nil {
		return FeedbackRow{}, db.Classify(db.NotFound(err, "没有这个工单编号"))
	}
	return f.row(s), nil
}

// TicketFor returns the feedback of one ticket with its tracking code, read
// by reader (the hotline system asking, "hotline:<client>"); the reading is
// audited (hotline.code_revealed). ENOTFOUND when the ledger has no such
// hotline ticket.
func (f *Feedback) TicketFor(ctx context.Context, ticketNo, reader string) (FeedbackRow, error) {
	r, err := f.Ticket(ctx, ticketNo)
	if err != nil {
		return r, err
	}
	rows := []FeedbackRow{r}
	n, err := f.reveal(rows)
	if err != nil {
		return FeedbackRow{}, err
	}
	if n > 0 {
		err := f.DB.InTx(ctx, func(tx *sqlx.Tx) error {
			return audit.Append(ctx, tx, db.UTC(f.Ledger.Now()), reader, "hotline.code_revealed", "complaint", r.complaintID,
				map[string]any{"ticket_no": r.TicketNo, "via": "result api"})
		})
		if err != nil {
			return FeedbackRow{}, db.Classify(fmt.Errorf("hotline: audit code of %s: %w", ticketNo, err))
		}
	}
	return rows[0], nil
}

// reveal opens the sealed tracking codes of rows and returns how many it
// opened. The caller audits the reading before the codes leave.
func (f *Feedback) reveal(rows []FeedbackRow) (int, error) {
	n := 0
	for i := range rows {
		if rows[i].codeEnc == "" {
			continue
		}
		b, err := f.Ledger.Keys.Open(rows[i].codeEnc)
		if err != nil {
			return 0, fmt.Errorf("hotline: open the tracking code of %s: %w", rows[i].TicketNo, err)
		}
		rows[i].TrackingCode = trackcode.Format(string(b))
		n++
	}
	return n, nil
}

// Rows returns the tickets whose complaint or case changed in [from, to),
// by ticket number. A zero from means from the beginning.
func (f *Feedback) Rows(ctx context.Context, from, to time.Time) ([]FeedbackRow, error) {
	var scans []feedbackScan
	err := f.DB.SelectContext(ctx, &scans, feedbackSQL+
		` AND ((c.updated_at >= ? AND c.updated_at < ?) OR (cs.updated_at >= ? AND cs.updated_at < ?)) ORDER BY c.source_ref`,
		db.UTC(from), db.UTC(to), db.UTC(from), db.UTC(to))
	if err != nil {
		return nil, db.Classify(fmt.Errorf("hotline: feedback rows: %w", err))
	}
	out := make([]FeedbackRow, len(scans))
	for i, s := range scans {
		out[i] = f.row(s)
	}
	return out, nil
}

// lastSince is where the previous since-last export stopped (zero: never).
func (f *Feedback) lastSince(ctx context.Context) (time.Time, error) {
	var t time.Time
	err := f.DB.GetContext(ctx, &t, `SELECT to_at FROM feedback_exports WHERE mode = 'since_last' ORDER BY to_at DESC LIMIT 1`)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, db.Classify(fmt.Errorf("hotline: last feedback export: %w", err))
	}
	return t, nil
}

// Export writes the feedback file, with the tracking codes of the tickets
// that have one, and records the export (so that the next since-last export
// starts where this one ended) with an audit entry for the codes it reveals
// (hotline.codes_revealed), by operator. It returns the row count; when it
// fails, what it wrote must not be handed out.
// EINVALID for an unknown format or an empty range.
func (f *Feedback) Export(ctx context.Context, w io.Writer, q FeedbackQuery, operator string) (int, error) {
	now := db.UTC(f.Ledger.Now())
	from, to, mode := q.From, q.To, "range"
	if q.SinceLast {
		var err error
		if from, err = f.lastSince(ctx); err != nil {
			return 0, err
		}
		// [from, to): the next since-last export starts where this one
		// stopped, and a change at this very microsecond is in this one.
		to, mode = now.Add(time.Microsecond), "since_last"
	} else if to.IsZero() || !from.Before(to) {
		return 0, apperr.Invalid(map[string]string{"to": "结束日期须晚于开始日期"})
	}
	switch q.Format {
	case "":
		q.Format = FormatCSV
	case FormatCSV, FormatCSVGBK, FormatXLSX:
	default:
		return 0, apperr.Invalid(map[string]string{"format": "格式只能是 csv、csv-gbk 或 xlsx"})
	}
	rows, err := f.Rows(ctx, from, to)
	if err != nil {
		return 0, err
	}
	codes, err := f.reveal(rows)
	if err != nil {
		return 0, err
	}
	if err := WriteFeedback(w, q.Format, rows, f.Ledger.Location); err != nil {
		return 0, fmt.Errorf("hotline: write feedback: %w", err)
	}
	var fromAt any
	if !from.IsZero() {
		fromAt = db.UTC(from)
	}
	// The export is recorded, and the codes it reveals audited, before the
	// caller hands the file out; if this fails the file must not leave.
	err = f.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO feedback_exports (mode, from_at, to_at, format, row_count, operator, exported_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			mode, fromAt, db.UTC(to), q.Format, len(rows), truncRunes(operator, 64), now)
		if err != nil {
			return fmt.Errorf("hotline: record feedback export: %w", err)
		}
		if codes == 0 {
			return nil
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		return audit.Append(ctx, tx, now, operator, "hotline.codes_revealed", "feedback_export", id,
			map[string]any{"codes": codes, "rows": len(rows), "mode": mode, "format": q.Format})
	})
	if err != nil {
		return len(rows), db.Classify(err)
	}
	return len(rows), nil
}

// WriteFeedback writes rows in a format: CSV in UTF-8 with a BOM or in GBK
// (characters GBK lacks become '?'), through the service's one CSV writer
// (csvout), which defuses cells a spreadsheet would run as a formula; or
// XLSX, whose cells are text.
func WriteFeedback(w io.Writer, format string, rows []FeedbackRow, loc *time.Location) error {
	if loc == nil {
		loc = time.UTC
	}
	switch format {
	case FormatXLSX:
		return writeFeedbackXLSX(w, rows, loc)
	case FormatCSVGBK:
		return writeFeedbackCSV(w, csvout.GBK, rows, loc)
	default:
		return writeFeedbackCSV(w, csvout.UTF8BOM, rows, loc)
	}
}

func writeFeedbackCSV(w io.Writer, enc csvout.Encoding, rows []FeedbackRow, loc *time.Location) error {
	cw, err := csvout.New(w, enc)
	if err != nil {
		return err
	}
	if err := cw.Write(FeedbackColumns); err != nil {
		return err
	}
	for i := range rows {
		if err := cw.Write(rows[i].Cells(loc)); err != nil {
			return err
		}
	}
	return cw.Close()
}

func writeFeedbackXLSX(w io.Writer, rows []FeedbackRow, loc *time.Location) error {
	x := excelize.NewFile()
	defer x.Close()
	sheet := "回音"
	if err := x.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	sw, err := x.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	_ = sw.SetColWidth(1, 1, 24)
	_ = sw.SetColWidth(5, 5, 60)
	header := make([]any, len(FeedbackColumns))
	for i, c := range FeedbackColumns {
		header[i] = c
	}
	if err := sw.SetRow("A1", header); err != nil {
		return err
	}
	for i := range rows {
		cells := rows[i].Cells(loc)
		vals := make([]any, len(cells))
		for j, c := range cells {
			vals[j] = c // text, so that ticket numbers stay as written
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, vals); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	_, err = x.WriteTo(w)
	return err
}
