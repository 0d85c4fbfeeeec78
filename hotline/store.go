package hotline

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
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

// QuarantinedRow is a rejected row kept for fixing (待修正行).
type QuarantinedRow struct {
	ID          int64         `db:"id"`
	BatchID     int64         `db:"batch_id"`
	FileName    string        `db:"file_name"`
	Row         int           `db:"row_no"`
	TicketNo    string        `db:"ticket_no"`
	Column      string        `db:"column_name"`
	Value       string        `db:"value"`
	Reason      string        `db:"reason"`
	RawJSON     string        `db:"raw"`
	Status      string        `db:"status"`
	FixedAt     sql.NullTime  `db:"fixed_at"`
	FixedBy     string        `db:"fixed_by"`
	ComplaintID sql.NullInt64 `db:"complaint_id"`
}

// Raw decodes the kept cells.
func (q *QuarantinedRow) Raw() []Field { return decodeRaw(q.RawJSON) }

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

const finishBatchSQL = `UPDATE import_batches SET sha256 = ?, status = ?, imported = ?, updated = ?, unchanged = ?, rejected = ?,
 warnings = ?, error = ?, finished_at = ? WHERE id = ?`

func finishBatch(ctx context.Context, d *db.DB, r *Receipt, status, errText string) error {
	_, err := d.ExecContext(ctx, finishBatchSQL, r.SHA256, status, r.Imported, r.Updated, r.Unchanged, r.Rejected,
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
	for i := range rows {
		out[rows[i].SourceRef] = &rows[i]
	}
	return out, nil
}

const updateComplaintSQL = `UPDATE complaints SET categories = ?, category_text = ?, town_id = ?, town_text = ?, address = ?, subject = ?,
 description = ?, identity = ?, contact_enc = ?, lookup_mac = ?, wants_reward = ?, reply_due_at = ?, extra = ?, warnings = ?,
 source_hash = ?, updated_at = ? WHERE id = ?`

// pendingReject is a row to quarantine within a batch's transaction.
type pendingReject struct {
	row                   int
	ticketNo              string
	column, value, reason string
	raw                   string
}

// insertRejects quarantines the rows of one batch; a row already waiting in
// quarantine with the very same cells is not kept twice (re-running a file).
// It returns the reject id of each row.
func insertRejects(ctx context.Context, tx *sqlx.Tx, batchID int64, rs []pendingReject) ([]int64, error) {
	ids := make([]int64, len(rs))
	if len(rs) == 0 {
		return ids, nil
	}
	hashes := make([]string, len(rs))
	for i, r := range rs {
		hashes[i] = hashString(r.raw)
	}
	query, args, err := sqlx.In(`SELECT id, raw_hash FROM import_rejects WHERE status = ? AND raw_hash IN (?)`, RejectPending, hashes)
	if err != nil {
		return nil, err
	}
	var have []struct {
		ID   int64  `db:"id"`
		Hash string `db:"raw_hash"`
	}
	if err := tx.SelectContext(ctx, &have, query, args...); err != nil {
		return nil, fmt.Errorf("hotline: look up quarantine: %w", err)
	}
	seen := map[string]int64{}
	for _, h := range have {
		seen[h.Hash] = h.ID
	}
	for i, r := range rs {
		if id, ok := seen[hashes[i]]; ok {
			ids[i] = id
			continue
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO import_rejects (batch_id, row_no, ticket_no, column_name, value, reason, raw, raw_hash, status)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, batchID, r.row, truncRunes(r.ticketNo, 255), truncRunes(r.column, 255), truncRunes(r.value, 2000),
			truncRunes(r.reason, 2000), r.raw, hashes[i], RejectPending)
		if err != nil {
			return nil, fmt.Errorf("hotline: quarantine row %d: %w", r.row, err)
		}
		if ids[i], err = res.LastInsertId(); err != nil {
			return nil, err
		}
		seen[hashes[i]] = ids[i]
	}
	return ids, nil
}

const rejectColumns = `r.id, r.batch_id, b.file_name, r.row_no, r.ticket_no, r.column_name, r.value, r.reason, r.raw, r.status,
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
	return out, nil
}

// Reject returns one quarantined row. ENOTFOUND when there is none.
func (im *Importer) Reject(ctx context.Context, id int64) (*QuarantinedRow, error) {
	var q QuarantinedRow
	err := im.DB.GetContext(ctx, &q, `SELECT `+rejectColumns+` FROM import_rejects r JOIN import_batches b ON b.id = r.batch_id WHERE r.id = ?`, id)
	if err != nil {
		return nil, db.Classify(db.NotFound(err, "待修正的行不存在"))
	}
	return &q, nil
}

// History lists the latest import batches (导入记录), newest first.
func (im *Importer) History(ctx context.Context, limit int) ([]Batch, error) {
	var out []Batch
	err := im.DB.SelectContext(ctx, &out, `SELECT id, source, file_name, sha256, status, imported, updated, unchanged, rejected,
 warnings, error, operator, started_at, finished_at FROM import_batches ORDER BY id DESC LIMIT ?`, limit)
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
