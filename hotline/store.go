package hotline

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
	"ecoreport/internal/secret"
)

// Batch statuses (import_batches.status).
const (
	BatchRunning = "running"
	BatchDone    = "done"
	BatchFailed  = "failed"
)

// Batch sources (import_batches.source).
const (
	SourceFile = "file"
	SourcePush = "push"
	SourceFix  = "fix"
)

// Reject statuses (import_rejects.status).
const (
	RejectPending = "pending"
	RejectFixed   = "fixed"
)

// Batch is one import (导入批次) as import history shows it.
type Batch struct {
	ID         int64        `db:"id"`
	Source     string       `db:"source"`
	FileName   string       `db:"file_name"`
	SHA256     string       `db:"sha256"`
	Status     string       `db:"status"`
	Imported   int          `db:"imported"`
	Updated    int          `db:"updated"`
	Unchanged  int          `db:"unchanged"`
	Stale      int          `db:"stale"`
	Rejected   int          `db:"rejected"`
	Warnings   int          `db:"warnings"`
	Error      string       `db:"error"`
	Operator   string       `db:"operator"`
	StartedAt  time.Time    `db:"started_at"`
	FinishedAt sql.NullTime `db:"finished_at"`
}

// StatusLabel is the batch status in Chinese.
func (b *Batch) StatusLabel() string {
	switch b.Status {
	case BatchRunning:
		return "进行中（或已中断）"
	case BatchDone:
		return "已完成"
	case BatchFailed:
		return "失败"
	}
	return b.Status
}

// QuarantinedRow is a rejected row kept for fixing (待修正行). Its cells hold
// the caller's name and phone, so they are kept sealed (raw_enc) and opened
// when the row is read; Cells shows them masked, Raw in full for the fix.
type QuarantinedRow struct {
	ID          int64          `db:"id"`
	BatchID     int64          `db:"batch_id"`
	FileName    string         `db:"file_name"`
	Row         int            `db:"row_no"`
	TicketNo    string         `db:"ticket_no"`
	Column      string         `db:"column_name"`
	Reason      string         `db:"reason"`
	Status      string         `db:"status"`
	FixedAt     sql.NullTime   `db:"fixed_at"`
	FixedBy     string         `db:"fixed_by"`
	ComplaintID sql.NullInt64  `db:"complaint_id"`
	RawEnc      sql.NullString `db:"raw_enc"`
	LegacyRaw   string         `db:"raw"`   // rows quarantined before sealing, until SealRejects
	LegacyValue string         `db:"value"` // likewise

	raw      []Field
	value    string
	personal []int // per cell: personalNone, personalName, personalPhone
}

// Raw is the row's cells as the file had them, for the fix.
func (q *QuarantinedRow) Raw() []Field { return q.raw }

// Value is the cell that made the row fail, masked when it is the caller's
// name or phone.
func (q *QuarantinedRow) Value() string {
	for i, f := range q.raw {
		if f.Name == q.Column && i < len(q.personal) && q.personal[i] != personalNone {
			return mask(q.personal[i], q.value)
		}
	}
	return q.value
}

// Cells are the row's cells as staff see them: the caller's name and phone
// masked (张*, 138****5678) and marked Personal, so that a fix form does not
// offer them for editing and the sealed values stay as they were.
func (q *QuarantinedRow) Cells() []Cell {
	out := make([]Cell, len(q.raw))
	for i, f := range q.raw {
		out[i] = Cell{Index: i, Name: f.Name, Value: f.Value}
		if i < len(q.personal) && q.personal[i] != personalNone {
			out[i].Value, out[i].Personal = mask(q.personal[i], f.Value), true
		}
	}
	return out
}

// Cell is one cell of a quarantined row as shown to staff.
type Cell struct {
	Index    int
	Name     string
	Value    string
	Personal bool // the caller's name or phone, masked
}

type rawCell struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

func encodeRaw(fs []Field) string {
	cells := make([]rawCell, len(fs))
	for i, f := range fs {
		cells[i] = rawCell(f)
	}
	b, _ := json.Marshal(cells)
	return string(b)
}

func decodeRaw(s string) []Field {
	var cells []rawCell
	_ = json.Unmarshal([]byte(s), &cells)
	fs := make([]Field, len(cells))
	for i, c := range cells {
		fs[i] = Field(c)
	}
	return fs
}

func hashString(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

const insertBatchSQL = `INSERT INTO import_batches (source, file_name, sha256, status, error, operator, started_at) VALUES (?, ?, '', ?, '', ?, ?)`

func insertBatch(ctx context.Context, d *db.DB, source, file, operator string, at time.Time) (int64, error) {
	res, err := d.ExecContext(ctx, insertBatchSQL, source, truncRunes(file, 255), BatchRunning, truncRunes(operator, 64), at)
	if err != nil {
		return 0, db.Classify(fmt.Errorf("hotline: start batch: %w", err))
	}
	return res.LastInsertId()
}

const finishBatchSQL = `UPDATE import_batches SET sha256 = ?, status = ?, imported = ?, updated = ?, unchanged = ?, stale = ?, rejected = ?,
 warnings = ?, error = ?, finished_at = ? WHERE id = ?`

func finishBatch(ctx context.Context, d *db.DB, r *Receipt, status, errText string) error {
	_, err := d.ExecContext(ctx, finishBatchSQL, r.SHA256, status, r.Imported, r.Updated, r.Unchanged, r.Stale, r.Rejected,
		r.Warnings, truncRunes(errText, 1000), r.FinishedAt, r.BatchID)
	if err != nil {
		return db.Classify(fmt.Errorf("hotline: finish batch %d: %w", r.BatchID, err))
	}
	return nil
}

// known is what the importer needs of a ticket already in the ledger.
type known struct {
	ID           int64             `db:"id"`
	SourceRef    string            `db:"source_ref"`
	SourceHash   string            `db:"source_hash"`
	Categories   ledger.Categories `db:"categories"`
	CategoryText string            `db:"category_text"`
	TownID       sql.NullInt64     `db:"town_id"`
	TownText     string            `db:"town_text"`
	Address      string            `db:"address"`
	Subject      string            `db:"subject"`
	Description  string            `db:"description"`
	Identity     string            `db:"identity"`
	ContactEnc   sql.NullString    `db:"contact_enc"`
	WantsReward  bool              `db:"wants_reward"`
	ReceivedAt   time.Time         `db:"received_at"`
	ReplyDueAt   sql.NullTime      `db:"reply_due_at"`
	Extra        string            `db:"extra"`
	CaseID       sql.NullInt64     `db:"case_id"`
	Versions     []version         `db:"-"` // oldest first; the last is the ledger's
}

// version is one version of a ticket (工单版本) as ticket_versions keeps it.
type version struct {
	ComplaintID     int64         `db:"complaint_id"`
	Hash            string        `db:"hash"`
	BatchID         sql.NullInt64 `db:"batch_id"`
	Row             int           `db:"row_no"`
	SourceUpdatedAt sql.NullTime  `db:"source_updated_at"`
}

func newVersion(complaintID int64, hash string, batchID int64, row int, updatedAt *time.Time) version {
	v := version{ComplaintID: complaintID, Hash: hash, BatchID: sql.NullInt64{Int64: batchID, Valid: batchID != 0}, Row: row}
	if updatedAt != nil {
		v.SourceUpdatedAt = sql.NullTime{Time: db.UTC(*updatedAt), Valid: true}
	}
	return v
}

// versionOf is the index of the version with hash h, -1 when none.
func (k *known) versionOf(h string) int {
	for i, v := range k.Versions {
		if v.Hash == h {
			return i
		}
	}
	return -1
}

// current is the version the ledger holds, nil when the history lacks it.
func (k *known) current() *version {
	if i := k.versionOf(k.SourceHash); i >= 0 {
		return &k.Versions[i]
	}
	return nil
}

// newestTimed is the version with the latest update time (更新时间), nil when
// no version carried one.
func (k *known) newestTimed() *version {
	var out *version
	for i := range k.Versions {
		v := &k.Versions[i]
		if v.SourceUpdatedAt.Valid && (out == nil || v.SourceUpdatedAt.Time.After(out.SourceUpdatedAt.Time)) {
			out = v
		}
	}
	return out
}

// batchLabel names the batch of a version in Chinese.
func batchLabel(id sql.NullInt64) string {
	if !id.Valid {
		return "启用版本记录之前"
	}
	return fmt.Sprintf("批次 %d ", id.Int64)
}

const insertVersionHead = `INSERT INTO ticket_versions (complaint_id, hash, batch_id, row_no, source_updated_at, created_at) VALUES `

// insertVersions records versions of tickets with one statement. A version
// recorded already (UNIQUE complaint_id, hash) is ECONFLICT: another import
// wrote it meanwhile, and the batch is written again.
func insertVersions(ctx context.Context, tx *sqlx.Tx, vs []version, now time.Time) error {
	if len(vs) == 0 {
		return nil
	}
	var q strings.Builder
	q.WriteString(insertVersionHead)
	args := make([]any, 0, 6*len(vs))
	for i, v := range vs {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?, ?, ?)")
		args = append(args, v.ComplaintID, v.Hash, v.BatchID, v.Row, v.SourceUpdatedAt, now)
	}
	if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
		if db.IsDuplicate(err) {
			return apperr.Errorf(apperr.ECONFLICT, "工单版本已由另一次导入记录")
		}
		return fmt.Errorf("hotline: record %d ticket versions: %w", len(vs), err)
	}
	return nil
}

const knownColumns = `id, source_ref, source_hash, categories, category_text, town_id, town_text, address, subject, description,
 identity, contact_enc, wants_reward, received_at, reply_due_at, extra, case_id`

// lookupKnown finds the hotline complaints among refs with one query.
func lookupKnown(ctx context.Context, q sqlx.QueryerContext, refs []string) (map[string]*known, error) {
	out := make(map[string]*known, len(refs))
	if len(refs) == 0 {
		return out, nil
	}
	query, args, err := sqlx.In(`SELECT `+knownColumns+` FROM complaints WHERE channel = ? AND source_ref IN (?)`, string(ledger.ChannelHotline), refs)
	if err != nil {
		return nil, err
	}
	var rows []known
	if err := sqlx.SelectContext(ctx, q, &rows, query, args...); err != nil {
		return nil, db.Classify(fmt.Errorf("hotline: look up tickets: %w", err))
	}
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]int64, len(rows))
	byID := make(map[int64]*known, len(rows))
	for i := range rows {
		out[rows[i].SourceRef] = &rows[i]
		ids[i], byID[rows[i].ID] = rows[i].ID, &rows[i]
	}
	query, args, err = sqlx.In(`SELECT complaint_id, hash, batch_id, row_no, source_updated_at FROM ticket_versions WHERE complaint_id IN (?) ORDER BY id`, ids)
	if err != nil {
		return nil, err
	}
	var vs []version
	if err := sqlx.SelectContext(ctx, q, &vs, query, args...); err != nil {
		return nil, db.Classify(fmt.Errorf("hotline: look up ticket versions: %w", err))
	}
	for _, v := range vs {
		k := byID[v.ComplaintID]
		k.Versions = append(k.Versions, v)
	}
	return out, nil
}

const updateComplaintSQL = `UPDATE complaints SET categories = ?, category_text = ?, town_id = ?, town_text = ?, address = ?, subject = ?,
 description = ?, identity = ?, contact_enc = ?, lookup_mac = ?, wants_reward = ?, reply_due_at = ?, extra = ?, warnings = ?,
 source_hash = ?, updated_at = ? WHERE id = ? AND source_hash = ?`

// sealedCode is a hotline ticket's tracking code sealed with the data key.
type sealedCode struct {
	complaintID int64
	enc         string
}

// insertCodes keeps the sealed tracking codes of newly filed tickets.
func insertCodes(ctx context.Context, tx *sqlx.Tx, cs []sealedCode, now time.Time) error {
	if len(cs) == 0 {
		return nil
	}
	var q strings.Builder
	q.WriteString(`INSERT INTO hotline_codes (complaint_id, code_enc, created_at) VALUES `)
	args := make([]any, 0, 3*len(cs))
	for i, c := range cs {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?)")
		args = append(args, c.complaintID, c.enc, now)
	}
	if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
		return fmt.Errorf("hotline: keep %d tracking codes: %w", len(cs), err)
	}
	return nil
}

// pendingReject is a row to quarantine within a batch's transaction.
type pendingReject struct {
	row                   int
	ticketNo              string
	column, value, reason string
	raw                   string
}

// keptReject is where a rejected row of a batch is kept: its quarantine
// row, new or the one that held the very same cells already.
type keptReject struct {
	ID          int64         `db:"id"`
	Hash        string        `db:"raw_hash"`
	Status      string        `db:"status"`
	FixedAt     sql.NullTime  `db:"fixed_at"`
	ComplaintID sql.NullInt64 `db:"complaint_id"`
}

// insertRejects quarantines the rows of one batch. A row kept already with
// the very same cells (re-running a file) is not kept twice, whether it still
// waits or was fixed since; the caller tells the two apart by Status.
//
// The cells and the value are sealed with the data key (they hold the
// caller's name and phone); raw and value stay empty, and raw_hash is an
// HMAC, so that a dump of the table reveals no caller.
func insertRejects(ctx context.Context, tx *sqlx.Tx, keys *secret.Keys, batchID int64, rs []pendingReject) ([]keptReject, error) {
	out := make([]keptReject, len(rs))
	if len(rs) == 0 {
		return out, nil
	}
	hashes := make([]string, len(rs))
	for i, r := range rs {
		hashes[i] = rawMAC(keys, r.raw)
	}
	query, args, err := sqlx.In(`SELECT id, raw_hash, status, fixed_at, complaint_id FROM import_rejects WHERE raw_hash IN (?) ORDER BY id`, hashes)
	if err != nil {
		return nil, err
	}
	var have []keptReject
	if err := tx.SelectContext(ctx, &have, query, args...); err != nil {
		return nil, fmt.Errorf("hotline: look up quarantine: %w", err)
	}
	seen := map[string]keptReject{}
	for _, h := range have {
		if h.Status == RejectExpired {
			continue // erased unfixed: the file brings the row back to be fixed
		}
		if prev, ok := seen[h.Hash]; !ok || prev.Status != RejectPending {
			seen[h.Hash] = h // a row still waiting wins over one fixed
		}
	}
	for i, r := range rs {
		if k, ok := seen[hashes[i]]; ok {
			out[i] = k
			continue
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO import_rejects (batch_id, row_no, ticket_no, column_name, value, reason, raw, raw_enc, raw_hash, status)
 VALUES (?, ?, ?, ?, '', ?, '', ?, ?, ?)`, batchID, r.row, truncRunes(r.ticketNo, 255), truncRunes(r.column, 255),
			truncRunes(r.reason, 2000), sealReject(keys, r.raw, truncRunes(r.value, 2000)), hashes[i], RejectPending)
		if err != nil {
			return nil, fmt.Errorf("hotline: quarantine row %d: %w", r.row, err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return nil, err
		}
		out[i] = keptReject{ID: id, Hash: hashes[i], Status: RejectPending}
		seen[hashes[i]] = out[i]
	}
	return out, nil
}

const rejectColumns = `r.id, r.batch_id, b.file_name, r.row_no, r.ticket_no, r.column_name, r.value, r.reason, r.raw, r.raw_enc, r.status,
 r.fixed_at, r.fixed_by, r.complaint_id`

// Quarantine lists rejected rows waiting to be fixed (待修正), oldest first,
// at most limit.
func (im *Importer) Quarantine(ctx context.Context, limit int) ([]QuarantinedRow, error) {
	var out []QuarantinedRow
	err := im.DB.SelectContext(ctx, &out, `SELECT `+rejectColumns+` FROM import_rejects r JOIN import_batches b ON b.id = r.batch_id
 WHERE r.status = ? ORDER BY r.id LIMIT ?`, RejectPending, limit)
	if err != nil {
		return nil, db.Classify(fmt.Errorf("hotline: quarantine: %w", err))
	}
	for i := range out {
		if err := im.open(&out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Reject returns one quarantined row. ENOTFOUND when there is none.
func (im *Importer) Reject(ctx context.Context, id int64) (*QuarantinedRow, error) {
	var q QuarantinedRow
	err := im.DB.GetContext(ctx, &q, `SELECT `+rejectColumns+` FROM import_rejects r JOIN import_batches b ON b.id = r.batch_id WHERE r.id = ?`, id)
	if err != nil {
		return nil, db.Classify(db.NotFound(err, "待修正的行不存在"))
	}
	if err := im.open(&q); err != nil {
		return nil, err
	}
	return &q, nil
}

const batchColumns = `id, source, file_name, sha256, status, imported, updated, unchanged, stale, rejected,
 warnings, error, operator, started_at, finished_at`

// previousImport is the earlier batch of the same file (SHA-256) other than
// batch: the first that completed, else the first that did not (nil, nil
// when the file is new to the ledger).
func (im *Importer) previousImport(ctx context.Context, sha string, batch int64) (*Batch, error) {
	var bs []Batch
	err := im.DB.SelectContext(ctx, &bs, `SELECT `+batchColumns+` FROM import_batches WHERE sha256 = ? AND source = ? AND id <> ? ORDER BY id LIMIT 50`,
		sha, SourceFile, batch)
	if err != nil {
		return nil, db.Classify(fmt.Errorf("hotline: earlier imports of %s: %w", sha, err))
	}
	for i := range bs {
		if bs[i].Status == BatchDone {
			return &bs[i], nil
		}
	}
	if len(bs) > 0 {
		return &bs[0], nil
	}
	return nil, nil
}

// seenLine says in Chinese that the file was imported before, "" for nil.
func (b *Batch) seenLine(loc *time.Location) string {
	if b == nil {
		return ""
	}
	if loc == nil {
		loc = shanghai()
	}
	at := b.StartedAt.In(loc).Format("2006年1月2日 15:04")
	if b.Status == BatchDone {
		return fmt.Sprintf("此文件已于 %s 导入（批次 %d），本次逐行核对，未重复导入。", at, b.ID)
	}
	return fmt.Sprintf("此文件曾于 %s 开始导入但未完成（批次 %d），本次补全其余部分。", at, b.ID)
}

// History lists the latest import batches (导入记录), newest first.
func (im *Importer) History(ctx context.Context, limit int) ([]Batch, error) {
	var out []Batch
	err := im.DB.SelectContext(ctx, &out, `SELECT `+batchColumns+` FROM import_batches ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, db.Classify(fmt.Errorf("hotline: history: %w", err))
	}
	return out, nil
}

func truncRunes(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}
