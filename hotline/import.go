package hotline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/apperr"
	"ecoreport/internal/db"
	"ecoreport/internal/ledger"
	"ecoreport/internal/phone"
	"ecoreport/internal/trackcode"
)

// Row outcomes (导入结果) of the contract.
const (
	OutcomeImported  = "imported"
	OutcomeUpdated   = "updated"
	OutcomeUnchanged = "unchanged"
	// OutcomeStale is a row older than the ledger (比台账旧): equal to an
	// earlier version of its ticket, or stamped with an update time before
	// the ledger's version. It changes nothing.
	OutcomeStale    = "stale"
	OutcomeRejected = "rejected"
)

// OutcomeLabel is an outcome in Chinese.
func OutcomeLabel(o string) string {
	switch o {
	case OutcomeImported:
		return "新导入"
	case OutcomeUpdated:
		return "已更新"
	case OutcomeUnchanged:
		return "无变化"
	case OutcomeStale:
		return "比台账旧"
	case OutcomeRejected:
		return "拒收"
	}
	return o
}

// Errors an import ends with, so that a caller can tell the operator whether
// the file or the database failed. Both wrap the cause.
var (
	// ErrRead means the file could not be read (文件无法读取): not a readable
	// export, no header row, or an I/O error while reading.
	ErrRead = errors.New("文件无法读取")
	// ErrDatabase means the database failed (数据库出错) while importing;
	// the batches committed before stay, and running the import again is safe.
	ErrDatabase = errors.New("数据库出错")
)

// DefaultBatchSize is how many rows go in one transaction: 2,000 rows make
// statements of a few MiB (MariaDB's max_allowed_packet is 16 MiB), and
// the complaints go in statements of fileChunk rows, under SQLite's 32,766
// and MySQL's 65,535 placeholders.
const DefaultBatchSize = 2000

// fileChunk is how many complaints one INSERT files: 24 placeholders a
// row, 24,000 a statement.
const fileChunk = 1000

// DefaultWriters is how many batches are written at once, each in its own
// transaction on its own connection, on a database server (an embedded
// database has one writer at a time whatever we do).
const DefaultWriters = 2

// DefaultMaxListed bounds the per-row lists a Receipt keeps in memory.
const DefaultMaxListed = 10000

// Importer turns ticket exports into complaints of the ledger (热线工单导入).
// One transaction per batch of rows: an import stopped half way keeps the
// batches already committed, and running it again completes it, because a
// ticket number is unique per channel and an identical row is unchanged.
type Importer struct {
	Ledger    *ledger.Service
	DB        *db.DB
	Options   Options
	BatchSize int // default DefaultBatchSize
	// Writers is how many batches commit at once on a database server
	// (default DefaultWriters; an embedded database always has one).
	Writers int
	// IndexLater leaves the search terms of the new tickets to the
	// catch-up indexer (serve's background job, `ecoreport search
	// catch-up`) instead of writing them when the import has committed.
	// The command line sets it: a year of tickets is in the ledger in a
	// third of the time, and found by search a little later.
	IndexLater bool
	// MaxListed bounds Receipt.Rows and Receipt.Rejects (default
	// DefaultMaxListed); the counts are always complete and every reject is
	// in quarantine.
	MaxListed int

	// sealed is set once SealRejects found nothing left in clear: rows are
	// sealed when they are written, so there is no need to look again.
	sealed atomic.Bool
}

// Reject is a rejected row on a receipt (拒收行).
type Reject struct {
	ID       int64   `json:"id"` // import_rejects id, for the fix form
	Row      int     `json:"row"`
	TicketNo string  `json:"ticket_no,omitempty"` // when the row has a readable one
	Column   string  `json:"column"`
	Value    string  `json:"value"`
	Reason   string  `json:"reason"`
	Raw      []Field `json:"-"`
}

// RowResult is what happened to one row.
type RowResult struct {
	Row          int      `json:"row"`
	TicketNo     string   `json:"ticket_no,omitempty"`
	Outcome      string   `json:"outcome"`
	ComplaintID  int64    `json:"-"`
	TrackingCode string   `json:"tracking_code,omitempty"` // formatted; imported rows only, shown once
	Changed      []string `json:"changed,omitempty"`       // updated rows: what changed, in Chinese
	Note         string   `json:"note,omitempty"`          // stale rows: which version superseded it, in Chinese
	SupersededBy int64    `json:"superseded_by,omitempty"` // stale rows: the batch of the newer version (0: unknown)
	Warnings     []string `json:"warnings,omitempty"`
	Errors       []string `json:"errors,omitempty"` // rejected rows: the reason
}

// Receipt is the batch receipt (导入回执) of one file.
type Receipt struct {
	BatchID   int64  `json:"batch_id"`
	File      string `json:"file"`
	SHA256    string `json:"sha256"`
	Imported  int    `json:"imported"`
	Updated   int    `json:"updated"`
	Unchanged int    `json:"unchanged"`
	Stale     int    `json:"stale"`
	Rejected  int    `json:"rejected"`
	Warnings  int    `json:"warnings"` // rows imported, updated, unchanged or stale that carry warnings
	// Previous is the earlier import of the very same file (same SHA-256),
	// nil when there is none; SeenBefore says it in Chinese.
	Previous      *Batch      `json:"previous,omitempty"`
	Rejects       []Reject    `json:"rejects"`
	Rows          []RowResult `json:"-"`
	RowsTruncated bool        `json:"-"`
	Operator      string      `json:"operator"`
	StartedAt     time.Time   `json:"started_at"`
	FinishedAt    time.Time   `json:"finished_at"`
}

// Total is the number of rows read.
func (r *Receipt) Total() int { return r.Imported + r.Updated + r.Unchanged + r.Stale + r.Rejected }

// SeenBefore is the line an operator reads first when the file was imported
// before ("此文件已于 2026年11月20日 10:00 导入（批次 3）…"), "" otherwise.
// Times are in loc.
func (r *Receipt) SeenBefore(loc *time.Location) string {
	return r.Previous.seenLine(loc)
}

// Import reads an export and files its tickets, batch by batch. progress, if
// not nil, is called after each committed batch with the rows done so far.
// Errors wrap ErrRead (the file) or ErrDatabase (the database); the receipt
// returned with an error counts what was committed.
func (im *Importer) Import(ctx context.Context, r io.Reader, name, operator string, progress func(rows int)) (*Receipt, error) {
	h := sha256.New()
	tee := io.TeeReader(r, h)
	rc, err := im.run(ctx, SourceFile, name, operator, ledger.Actor{Name: operator}, func() (*Reader, error) {
		opt, err := im.options(ctx)
		if err != nil {
			return nil, err
		}
		return NewReader(tee, name, opt)
	}, progress, nil, func(rc *Receipt) {
		_, _ = io.Copy(io.Discard, tee) // the digest covers the whole file
		rc.SHA256 = hex.EncodeToString(h.Sum(nil))
		// A notice only: when the database cannot say, finishing the batch
		// will say so.
		rc.Previous, _ = im.previousImport(ctx, rc.SHA256, rc.BatchID)
	})
	return rc, err
}

// SeenFile returns the earlier import of a file by its SHA-256 (hex): the
// first one that completed, else the first one that did not; ENOTFOUND when
// the file was never imported. The command line asks before it reads a file,
// so that it can say so first.
func (im *Importer) SeenFile(ctx context.Context, sha string) (*Batch, error) {
	b, err := im.previousImport(ctx, sha, 0)
	if err == nil && b == nil {
		err = apperr.Errorf(apperr.ENOTFOUND, "此文件未曾导入")
	}
	return b, err
}

// run is the batch path shared by files, pushes and fixes. onRow, if not nil,
// sees every row result (the push API answers one per ticket).
func (im *Importer) run(ctx context.Context, source, name, operator string, actor ledger.Actor, open func() (*Reader, error),
	progress func(int), onRow func(RowResult), finish func(*Receipt)) (*Receipt, error) {
	rc := &Receipt{File: name, Operator: operator, StartedAt: im.now(), Rejects: []Reject{}}
	// Rows quarantined in clear before sealing are sealed first, so that
	// every quarantined row is recognised by the same HMAC.
	if _, err := im.SealRejects(ctx); err != nil {
		return rc, fmt.Errorf("%w：%w", ErrDatabase, err)
	}
	var err error
	if rc.BatchID, err = insertBatch(ctx, im.DB, source, name, operator, rc.StartedAt); err != nil {
		return rc, fmt.Errorf("%w：%w", ErrDatabase, err)
	}
	fail := func(err error) (*Receipt, error) {
		rc.FinishedAt = im.now()
		if finish != nil {
			finish(rc)
		}
		// The caller's context may be why we stop; the batch row still
		// says so.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = finishBatch(fctx, im.DB, rc, BatchFailed, operatorMessage(err))
		return rc, err
	}
	rd, err := open()
	if err != nil {
		return fail(fmt.Errorf("%w：%w", ErrRead, err))
	}
	defer rd.Close()
	towns, err := im.townIDs(ctx)
	if err != nil {
		return fail(fmt.Errorf("%w：%w", ErrDatabase, err))
	}
	if err := im.pipeline(ctx, rd, rc, towns, actor, progress, onRow); err != nil {
		return fail(err)
	}
	rc.FinishedAt = im.now()
	if finish != nil {
		finish(rc)
	}
	if err := finishBatch(ctx, im.DB, rc, BatchDone, ""); err != nil {
		return rc, fmt.Errorf("%w：%w", ErrDatabase, err)
	}
	if !im.IndexLater && rc.Imported > 0 {
		// The tickets are in the ledger; should indexing them fail, they
		// stay in the backlog and serve's catch-up indexes them.
		_, _ = im.Ledger.CatchUp(ctx)
	}
	return rc, nil
}

type item struct {
	t   Ticket
	rej *RowError
}

type rowResult struct {
	RowResult
	reject    *Reject
	toFile    *ledger.NewComplaint // a new ticket waiting for the batch's FileManyTx
	updatedAt *time.Time           // the row's update time (更新时间), for its version
}

// fileQueued files the batch's queued new tickets with one FileManyTx,
// records their first versions and their sealed tracking codes (the operator
// reads a code out to the caller from the feedback export), and records them
// as known, so that a later row of the same ticket compares to them.
func (im *Importer) fileQueued(ctx context.Context, tx *sqlx.Tx, batchID int64, out []rowResult, queued []int, have map[string]*known, actor ledger.Actor) error {
	if len(queued) == 0 {
		return nil
	}
	ncs := make([]ledger.NewComplaint, len(queued))
	for j, i := range queued {
		ncs[j] = *out[i].toFile
	}
	filed := make([]ledger.Filed, 0, len(ncs))
	for from := 0; from < len(ncs); from += fileChunk {
		f, err := im.Ledger.FileBulkTx(ctx, tx, ncs[from:min(from+fileChunk, len(ncs))], actor)
		if err != nil {
			return err
		}
		filed = append(filed, f...)
	}
	vs := make([]version, len(queued))
	codes := make([]sealedCode, len(queued))
	for j, i := range queued {
		f, nc := filed[j], out[i].toFile
		codes[j] = sealedCode{f.Complaint.ID, im.Ledger.Keys.Seal([]byte(f.TrackingCode))}
		out[i].ComplaintID, out[i].TrackingCode, out[i].toFile = f.Complaint.ID, trackcode.Format(f.TrackingCode), nil
		vs[j] = newVersion(f.Complaint.ID, nc.SourceHash, batchID, out[i].Row, out[i].updatedAt)
		have[nc.SourceRef] = &known{ID: f.Complaint.ID, SourceRef: nc.SourceRef, SourceHash: nc.SourceHash, Categories: nc.Categories,
			CategoryText: nc.CategoryText, TownID: nullInt(nc.TownID), TownText: nc.TownText, Address: f.Complaint.Address,
			Subject: f.Complaint.Subject, Description: f.Complaint.Description, Identity: string(f.Complaint.Identity),
			ContactEnc: f.Complaint.ContactEnc, WantsReward: nc.WantsReward, ReceivedAt: f.Complaint.ReceivedAt,
			ReplyDueAt: f.Complaint.ReplyDueAt, Extra: f.Complaint.Extra, Versions: []version{vs[j]}}
	}
	now := im.now()
	if err := insertVersions(ctx, tx, vs, now); err != nil {
		return err
	}
	return insertCodes(ctx, tx, codes, now)
}

func (im *Importer) tally(rc *Receipt, res []rowResult, onRow func(RowResult)) {
	limit := im.MaxListed
	if limit <= 0 {
		limit = DefaultMaxListed
	}
	for _, r := range res {
		switch r.Outcome {
		case OutcomeImported:
			rc.Imported++
		case OutcomeUpdated:
			rc.Updated++
		case OutcomeUnchanged:
			rc.Unchanged++
		case OutcomeStale:
			rc.Stale++
		case OutcomeRejected:
			rc.Rejected++
			if len(rc.Rejects) < limit {
				rc.Rejects = append(rc.Rejects, *r.reject)
			}
		}
		if r.Outcome != OutcomeRejected && len(r.Warnings) > 0 {
			rc.Warnings++
		}
		if len(rc.Rows) < limit {
			rc.Rows = append(rc.Rows, r.RowResult)
		} else {
			rc.RowsTruncated = true
		}
		if onRow != nil {
			onRow(r.RowResult)
		}
	}
}

// options are the importer's Options with, unless they name towns, the
// active towns of the ledger: the county's own, as the administrators keep
// them (renamed, added, retired), not a list built into the binary.
func (im *Importer) options(ctx context.Context) (Options, error) {
	opt := im.Options
	if len(opt.Towns) > 0 {
		return opt, nil
	}
	ts, err := im.Ledger.Towns(ctx)
	if err != nil {
		return opt, fmt.Errorf("%w：%w", ErrDatabase, err)
	}
	for _, t := range ts {
		opt.Towns = append(opt.Towns, t.Name)
	}
	return opt, nil
}

// townIDs maps canonical and short town names to unit ids.
func (im *Importer) townIDs(ctx context.Context) (map[string]int64, error) {
	ts, err := im.Ledger.Towns(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]int64, 2*len(ts))
	for _, t := range ts {
		m[t.Name] = t.ID
		if t.ShortName != "" {
			m[t.ShortName] = t.ID
		}
	}
	return m, nil
}

// writeBatch writes one batch in one transaction: one lookup of the known
// ticket numbers, then file, update or skip each row in order, and quarantine
// the rejected ones. Nothing is counted unless the transaction commits.
func (im *Importer) writeBatch(ctx context.Context, batchID int64, items []item, towns map[string]int64, actor ledger.Actor) ([]rowResult, error) {
	out := make([]rowResult, len(items))
	err := im.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		refs := make([]string, 0, len(items))
		seen := map[string]bool{}
		for _, it := range items {
			if it.rej == nil && !seen[it.t.TicketNo] {
				seen[it.t.TicketNo] = true
				refs = append(refs, it.t.TicketNo)
			}
		}
		have, err := lookupKnown(ctx, tx, refs)
		if err != nil {
			return err
		}
		var rejects []pendingReject
		var rejectAt, queued []int
		queuedRefs := map[string]bool{}
		for i, it := range items {
			if it.rej == nil {
				if queuedRefs[it.t.TicketNo] { // the same ticket again: file the first before comparing
					if err := im.fileQueued(ctx, tx, batchID, out, queued, have, actor); err != nil {
						return err
					}
					queued, queuedRefs = queued[:0], map[string]bool{}
				}
				var rej *RowError
				out[i], rej, err = im.writeTicket(ctx, tx, batchID, it.t, have, towns, actor)
				if err != nil {
					return err
				}
				if out[i].toFile != nil {
					queued = append(queued, i)
					queuedRefs[it.t.TicketNo] = true
				}
				if rej == nil {
					continue
				}
				it.rej = rej
			}
			e := it.rej
			tn := e.TicketNo // the reader's: the row's ticket number when it was readable
			if it.t.TicketNo != "" {
				tn = it.t.TicketNo
			}
			rejects = append(rejects, pendingReject{row: e.Row, ticketNo: tn, column: e.Column, value: e.Value, reason: e.Reason, raw: encodeRaw(e.Raw)})
			rejectAt = append(rejectAt, i)
			out[i] = rowResult{
				RowResult: RowResult{Row: e.Row, TicketNo: tn, Outcome: OutcomeRejected, Errors: []string{e.Reason}},
				reject:    &Reject{Row: e.Row, TicketNo: tn, Column: e.Column, Value: im.maskedValue(e.Raw, e.Column, e.Value), Reason: e.Reason, Raw: e.Raw},
			}
		}
		if err := im.fileQueued(ctx, tx, batchID, out, queued, have, actor); err != nil {
			return err
		}
		kept, err := insertRejects(ctx, tx, im.Ledger.Keys, batchID, rejects)
		if err != nil {
			return err
		}
		loc := im.location()
		for j, i := range rejectAt {
			out[i].reject.ID = kept[j].ID
			if kept[j].Status == RejectFixed {
				// The very row was fixed and imported since: the ledger
				// holds what the operator made of it.
				out[i] = rowResult{RowResult: RowResult{Row: out[i].Row, TicketNo: out[i].TicketNo, Outcome: OutcomeStale,
					Note: fmt.Sprintf("比台账旧：此行曾被拒收，已于 %s 修正导入，未作改动", kept[j].FixedAt.Time.In(loc).Format("2006-01-02 15:04"))}}
				if kept[j].ComplaintID.Valid {
					out[i].ComplaintID = kept[j].ComplaintID.Int64
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, db.Classify(err)
	}
	return out, nil
}

// writeTicket files a new ticket, updates one whose row is a version the
// ledger has not seen, and leaves one whose row is the ledger's version
// (unchanged) or an earlier one (stale). A ticket the ledger will not take
// (too long a field, control characters) comes back as a RowError; err is
// for the database.
func (im *Importer) writeTicket(ctx context.Context, tx *sqlx.Tx, batchID int64, t Ticket, have map[string]*known, towns map[string]int64, actor ledger.Actor) (rowResult, *RowError, error) {
	nc := im.newComplaint(t, towns)
	res := rowResult{RowResult: RowResult{Row: t.Row, TicketNo: t.TicketNo, Warnings: nc.Warnings}, updatedAt: t.UpdatedAt}
	if rej := fitsColumns(t, &nc); rej != nil {
		return res, rej, nil
	}
	k := have[t.TicketNo]
	if k == nil {
		// Filed with the rest of the batch's new tickets in one FileManyTx.
		if err := nc.Validate(); err != nil {
			return res, invalidRow(t, err), nil
		}
		res.Outcome, res.toFile = OutcomeImported, &nc
		return res, nil, nil
	}
	res.ComplaintID = k.ID
	if k.SourceHash == nc.SourceHash {
		res.Outcome = OutcomeUnchanged
		return res, nil, nil
	}
	if note, by, stale := im.older(k, nc.SourceHash, t.UpdatedAt); stale {
		res.Outcome, res.Note, res.SupersededBy = OutcomeStale, note, by
		return res, nil, nil
	}
	if err := nc.Validate(); err != nil {
		return res, invalidRow(t, err), nil
	}
	changed, err := im.update(ctx, tx, batchID, k, &nc, t, actor)
	if err != nil {
		return res, nil, err
	}
	res.Outcome, res.Changed = OutcomeUpdated, changed
	return res, nil, nil
}

// older decides whether a row that is not the ledger's version is older than
// it: equal to an earlier version of the ticket, or stamped with an update
// time (更新时间) before the latest one the ledger has seen. Without either, a
// new version is taken as newer (the documented rule for exports without an
// update time). It returns the Chinese note and the batch of the version
// that supersedes the row (0 when it predates the version history).
func (im *Importer) older(k *known, hash string, updatedAt *time.Time) (string, int64, bool) {
	loc := im.location()
	if i := k.versionOf(hash); i >= 0 {
		next := k.Versions[len(k.Versions)-1]
		if i+1 < len(k.Versions) {
			next = k.Versions[i+1]
		}
		return fmt.Sprintf("比台账旧：此版本已被%s导入的较新版本取代，未作改动", batchLabel(next.BatchID)), next.BatchID.Int64, true
	}
	if updatedAt == nil {
		return "", 0, false
	}
	if v := k.newestTimed(); v != nil && updatedAt.Before(v.SourceUpdatedAt.Time) {
		return fmt.Sprintf("比台账旧：更新时间 %s 早于台账中%s导入的版本（更新时间 %s），未作改动",
			updatedAt.In(loc).Format("2006-01-02 15:04:05"), batchLabel(v.BatchID), v.SourceUpdatedAt.Time.In(loc).Format("2006-01-02 15:04:05")), v.BatchID.Int64, true
	}
	return "", 0, false
}

func (im *Importer) location() *time.Location {
	if im.Options.Location != nil {
		return im.Options.Location
	}
	return shanghai()
}

// update writes the mapped fields of a re-exported ticket and a timeline
// event naming what changed. The received time is the ledger's own clock for
// deadlines and is not moved; a change of it is only noted.
func (im *Importer) update(ctx context.Context, tx *sqlx.Tx, batchID int64, k *known, nc *ledger.NewComplaint, t Ticket, actor ledger.Actor) ([]string, error) {
	var changed []string
	if !slices.Equal(k.Categories, nc.Categories) || k.CategoryText != nc.CategoryText {
		changed = append(changed, "污染类型")
	}
	if k.TownID != nullInt(nc.TownID) || k.TownText != nc.TownText {
		changed = append(changed, "乡镇")
	}
	if k.Address != strings.TrimSpace(nc.Address) {
		changed = append(changed, "事发地址")
	}
	if k.Subject != strings.TrimSpace(nc.Subject) {
		changed = append(changed, "被举报对象")
	}
	if k.Description != strings.TrimSpace(nc.Description) {
		changed = append(changed, "举报内容")
	}
	var contactEnc sql.NullString
	var lookup any
	if nc.Contact != nil {
		b, _ := json.Marshal(nc.Contact)
		contactEnc = sql.NullString{String: im.Ledger.Keys.Seal(b), Valid: true}
	}
	if l4 := phone.Last4(t.CallerPhone); l4 != "" {
		lookup = im.Ledger.TicketMAC(t.TicketNo, l4)
	}
	if k.Identity != string(nc.Identity) || !im.sameContact(k.ContactEnc, nc.Contact) {
		changed = append(changed, "来电人信息")
	}
	if k.WantsReward != nc.WantsReward {
		changed = append(changed, "是否申请奖励")
	}
	var due sql.NullTime
	if nc.ReplyDueAt != nil {
		due = sql.NullTime{Time: db.UTC(*nc.ReplyDueAt), Valid: true}
	}
	if due.Valid != k.ReplyDueAt.Valid || (due.Valid && !due.Time.Equal(k.ReplyDueAt.Time)) {
		changed = append(changed, "办理时限")
	}
	extra := marshalFields(nc.Extra)
	if extra != k.Extra {
		changed = append(changed, "其他列")
	}
	if !db.UTC(nc.ReceivedAt).Equal(k.ReceivedAt) {
		changed = append(changed, "来电时间（台账保留首次导入的时间）")
	}
	if t.UpdatedAt != nil {
		if v := k.current(); v == nil || !v.SourceUpdatedAt.Valid || !v.SourceUpdatedAt.Time.Equal(db.UTC(*t.UpdatedAt)) {
			changed = append(changed, "更新时间")
		}
	}
	if len(changed) == 0 {
		changed = append(changed, "工单其他信息")
	}
	var townID any
	if nc.TownID != 0 {
		townID = nc.TownID
	}
	warnings := ""
	if len(nc.Warnings) > 0 {
		b, _ := json.Marshal(nc.Warnings)
		warnings = string(b)
	}
	now := db.UTC(im.Ledger.Now())
	before := ledger.ComplaintText{ID: k.ID, SourceRef: k.SourceRef, Subject: k.Subject, Address: k.Address, Description: k.Description, TownText: k.TownText}
	after := ledger.ComplaintText{ID: k.ID, SourceRef: k.SourceRef, Subject: strings.TrimSpace(nc.Subject), Address: strings.TrimSpace(nc.Address),
		Description: strings.TrimSpace(nc.Description), TownText: nc.TownText}
	if err := im.Ledger.ReindexComplaintTx(ctx, tx, before, after); err != nil {
		return nil, fmt.Errorf("hotline: update ticket %s: %w", t.TicketNo, err)
	}
	// Conditional on the version read: an import of the same ticket that
	// committed meanwhile makes this one ECONFLICT, and the batch is
	// written again against what it left.
	res, err := tx.ExecContext(ctx, updateComplaintSQL, nc.Categories, nc.CategoryText, townID, nc.TownText, strings.TrimSpace(nc.Address),
		strings.TrimSpace(nc.Subject), strings.TrimSpace(nc.Description), nc.Identity, contactEnc, lookup, nc.WantsReward, due, extra,
		warnings, nc.SourceHash, now, k.ID, k.SourceHash)
	if err != nil {
		return nil, fmt.Errorf("hotline: update ticket %s: %w", t.TicketNo, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return nil, apperr.Errorf(apperr.ECONFLICT, "工单 %s 正被另一次导入更新", t.TicketNo)
	}
	v := newVersion(k.ID, nc.SourceHash, batchID, t.Row, t.UpdatedAt)
	if err := insertVersions(ctx, tx, []version{v}, now); err != nil {
		return nil, err
	}
	note := fmt.Sprintf("热线工单有新版本（批次 %d 第 %d 行），以下内容有变化：%s", batchID, t.Row, strings.Join(changed, "、"))
	if err := im.Ledger.NoteTx(ctx, tx, 0, k.ID, "complaint.updated", actor, ledger.EventInput{InternalNote: note}); err != nil {
		return nil, fmt.Errorf("hotline: update ticket %s: %w", t.TicketNo, err)
	}
	k.SourceHash, k.Versions = nc.SourceHash, append(k.Versions, v)
	k.Categories, k.CategoryText, k.TownID, k.TownText = nc.Categories, nc.CategoryText, nullInt(nc.TownID), nc.TownText
	k.Address, k.Subject, k.Description = strings.TrimSpace(nc.Address), strings.TrimSpace(nc.Subject), strings.TrimSpace(nc.Description)
	k.Identity, k.ContactEnc, k.WantsReward, k.ReplyDueAt, k.Extra = string(nc.Identity), contactEnc, nc.WantsReward, due, extra
	return changed, nil
}

func (im *Importer) sameContact(enc sql.NullString, c *ledger.Contact) bool {
	if !enc.Valid || c == nil {
		return !enc.Valid && c == nil
	}
	b, err := im.Ledger.Keys.Open(enc.String)
	if err != nil {
		return false
	}
	var old ledger.Contact
	if json.Unmarshal(b, &old) != nil {
		return false
	}
	return old == *c
}

// newComplaint maps a ticket to the ledger. An anonymous caller (是否匿名 是,
// or no name and no phone) keeps no contact; otherwise the name and phone are
// stored encrypted (保密).
func (im *Importer) newComplaint(t Ticket, towns map[string]int64) ledger.NewComplaint {
	nc := ledger.NewComplaint{
		Channel: ledger.ChannelHotline, SourceRef: t.TicketNo, CategoryText: t.CategoryText, TownText: t.TownText,
		Address: t.Address, Subject: t.Subject, Description: t.Content, WantsReward: t.WantsReward, ReceivedAt: t.ReceivedAt,
		ReplyDueAt: t.DueAt, SourceHash: TicketHash(t), Identity: ledger.Anonymous, LookupPhone: t.CallerPhone,
	}
	nc.Categories = make(ledger.Categories, 0, len(t.Categories))
	for _, c := range t.Categories {
		nc.Categories = append(nc.Categories, ledger.Category(c))
	}
	if t.Town != "" {
		if id, ok := towns[t.Town]; ok {
			nc.TownID = id
		} else {
			nc.Warnings = append(nc.Warnings, "乡镇不在责任单位名单中："+t.Town)
		}
	}
	if !t.Anonymous && (t.CallerName != "" || t.CallerPhone != "") {
		nc.Identity = ledger.Confidential
		nc.Contact = &ledger.Contact{Name: t.CallerName, Phone: t.CallerPhone}
	}
	for _, f := range t.Extra {
		nc.Extra = append(nc.Extra, ledger.Field{Name: f.Name, Value: f.Value})
	}
	nc.Warnings = append(append([]string(nil), t.Warnings...), nc.Warnings...)
	return nc
}

// Column limits of the complaints table (MySQL VARCHAR sizes, TEXT bytes).
const (
	maxShortColumn   = 255
	maxAddressColumn = 500
	maxContentBytes  = 60000
)

// checkTicket rejects what the database columns cannot hold.
func fitsColumns(t Ticket, nc *ledger.NewComplaint) *RowError {
	check := func(field, value string, max int) *RowError {
		if utf8.RuneCountInString(value) > max {
			return &RowError{Row: t.Row, Column: columnOf(t.Raw, field), Value: excerptRunes(value, 50),
				Reason: fmt.Sprintf("%s过长（不超过 %d 个字）", field, max), Raw: t.Raw}
		}
		return nil
	}
	for _, c := range []struct {
		field, value string
		max          int
	}{{"被举报对象", nc.Subject, maxShortColumn}, {"污染类型", nc.CategoryText, maxShortColumn},
		{"乡镇", nc.TownText, maxShortColumn}, {"事发地址", nc.Address, maxAddressColumn}} {
		if rej := check(c.field, c.value, c.max); rej != nil {
			return rej
		}
	}
	if len(t.Content) > maxContentBytes {
		return &RowError{Row: t.Row, Column: columnOf(t.Raw, "举报内容"), Value: excerptRunes(t.Content, 50),
			Reason: fmt.Sprintf("举报内容过长（约 %d 字以内）", maxContentBytes/3), Raw: t.Raw}
	}
	return nil
}

var ledgerFieldNames = map[string]string{
	"description": "举报内容", "address": "事发地址", "subject": "被举报对象", "source_ref": "工单编号",
	"town": "乡镇", "category_text": "污染类型", "categories": "污染类型", "identity": "是否匿名",
	"occurred": "发生时间", "channel": "来源渠道", "contact": "来电人信息",
}

// invalidRow turns the ledger's EINVALID into a rejected row.
func invalidRow(t Ticket, err error) *RowError {
	fields := apperr.Fields(err)
	var reasons []string
	column := ""
	keys := make([]string, 0, len(fields))
	for f := range fields {
		keys = append(keys, f)
	}
	slices.Sort(keys)
	for _, f := range keys {
		msg := fields[f]
		if f == "index" {
			continue // which of a batch; the row says it
		}
		name := ledgerFieldNames[f]
		if name == "" {
			name = "其他字段"
		}
		if column == "" {
			column = name
		}
		reasons = append(reasons, name+"："+msg)
	}
	if len(reasons) == 0 {
		reasons = append(reasons, apperr.Message(err))
	}
	return &RowError{Row: t.Row, Column: column, Reason: strings.Join(reasons, "；"), Raw: t.Raw}
}

func columnOf(raw []Field, fallback string) string {
	for _, f := range raw {
		if strings.Contains(f.Name, fallback) {
			return f.Name
		}
	}
	return fallback
}

func excerptRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return truncRunes(s, n) + "…"
}

// TicketHash is the SHA-256 of a ticket's normalised fields (not of the raw
// cells: a re-export that writes a time or phone differently is unchanged).
// It names a version of the ticket: equal to the ledger's, unchanged; equal
// to an earlier one, stale; new, updated. The export's update time (更新时间)
// counts when the file has one, so that a ticket the hotline touched again is
// a new version; without it the hash is what it always was.
func TicketHash(t Ticket) string {
	var due, updated string
	if t.DueAt != nil {
		due = t.DueAt.UTC().Format(time.RFC3339Nano)
	}
	if t.UpdatedAt != nil {
		updated = t.UpdatedAt.UTC().Format(time.RFC3339Nano)
	}
	v := struct {
		TicketNo, ReceivedAt, Content, CallerName, CallerPhone string
		Anonymous                                              bool
		Town, TownText, Address                                string
		Categories                                             []string
		CategoryText, Subject, DueAt                           string
		WantsReward                                            bool
		Extra                                                  []Field
		UpdatedAt                                              string `json:",omitempty"`
	}{t.TicketNo, t.ReceivedAt.UTC().Format(time.RFC3339Nano), t.Content, t.CallerName, t.CallerPhone, t.Anonymous,
		t.Town, t.TownText, t.Address, t.Categories, t.CategoryText, t.Subject, due, t.WantsReward, t.Extra, updated}
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func marshalFields(fs []ledger.Field) string {
	if len(fs) == 0 {
		return ""
	}
	b, _ := json.Marshal(fs)
	return string(b)
}

func nullInt(v int64) sql.NullInt64 {
	if v == 0 {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: v, Valid: true}
}

// csvOf builds a small CSV (header and rows) in memory, the form in which
// pushed tickets and fixed rows go through the same reader as files.
func csvOf(header []string, rows [][]string) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(header)
	for _, r := range rows {
		_ = w.Write(r)
	}
	w.Flush()
	return buf.Bytes()
}

// FixReject re-validates a quarantined row with the operator's corrections
// (column name as written in the file → new value) and imports it through
// the same reader and batch path as a file; the row is then marked fixed.
// EINVALID names the column when the row is still not acceptable, ENOTFOUND
// for an unknown row, ECONFLICT when it was fixed already.
func (im *Importer) FixReject(ctx context.Context, id int64, fields map[string]string, operator string) (*Receipt, error) {
	q, err := im.Reject(ctx, id)
	if err != nil {
		return nil, err
	}
	if q.Status != RejectPending {
		return nil, apperr.Errorf(apperr.ECONFLICT, "第 %d 行已于此前修正导入", q.Row)
	}
	raw := q.Raw()
	header := make([]string, len(raw))
	row := make([]string, len(raw))
	known := map[string]bool{}
	for i, f := range raw {
		header[i], row[i] = f.Name, f.Value
		known[f.Name] = true
		if v, ok := fields[f.Name]; ok {
			row[i] = v
		}
	}
	for name := range fields {
		if !known[name] {
			return nil, apperr.Invalid(map[string]string{name: "原文件中没有这一列：" + name})
		}
	}
	data := csvOf(header, [][]string{row})
	// The one-row file is read with the row's number in the original file,
	// so that the receipt and any message say 第15行, not 第2行.
	opt, err := im.options(ctx)
	if err != nil {
		return nil, err
	}
	openFix := func() (*Reader, error) {
		rd, err := NewReader(bytes.NewReader(data), "fix.csv", opt)
		if err == nil {
			rd.rowAs = q.Row
		}
		return rd, err
	}
	// Check first, so that a row still wrong is answered, not quarantined
	// a second time.
	rd, err := openFix()
	if err != nil {
		return nil, apperr.Invalid(map[string]string{"": "无法识别这一行的表头：" + operatorMessage(err)})
	}
	_, err = rd.Next()
	rd.Close()
	var re *RowError
	switch {
	case errors.As(err, &re):
		return nil, apperr.Invalid(map[string]string{re.Column: re.Reason})
	case err != nil:
		return nil, apperr.Invalid(map[string]string{"": "这一行仍无法读取"})
	}
	name := fmt.Sprintf("修正：%s 第%d行", q.FileName, q.Row)
	rc, err := im.run(ctx, SourceFix, name, operator, ledger.Actor{Name: operator}, openFix,
		nil, nil, func(rc *Receipt) { rc.SHA256 = hashString(string(data)) })
	if err != nil {
		return rc, err
	}
	if len(rc.Rows) != 1 || rc.Rows[0].Outcome == OutcomeRejected {
		reason := "这一行仍无法导入"
		if len(rc.Rejects) > 0 {
			reason = rc.Rejects[0].Reason
		}
		return rc, apperr.Invalid(map[string]string{"": reason})
	}
	// Fixed, the row's cells are of no more use: the ticket is in the
	// ledger, the caller's contact sealed there. Its hash stays, so that
	// the original file imported again finds the row fixed.
	res, err := im.DB.ExecContext(ctx, `UPDATE import_rejects SET status = ?, fixed_at = ?, fixed_by = ?, complaint_id = ?, raw_enc = NULL, raw = '', value = ''
 WHERE id = ? AND status = ?`, RejectFixed, im.now(), truncRunes(operator, 64), rc.Rows[0].ComplaintID, id, RejectPending)
	if err != nil {
		return rc, db.Classify(fmt.Errorf("hotline: mark reject %d fixed: %w", id, err))
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return rc, apperr.Errorf(apperr.ECONFLICT, "第 %d 行已被他人修正", q.Row)
	}
	return rc, nil
}

// now is the ledger's clock (injected in tests), in UTC.
func (im *Importer) now() time.Time { return db.UTC(im.Ledger.Now()) }
