// Package audit is the append-only, hash-chained audit log (审计日志).
//
// Entries are inserted unsealed inside the transaction that does the work, so
// the work and its record commit together and no request waits for another.
// A sealer then chains them in insertion order: each sealed entry gets the
// next sequence number and hash = SHA-256(previous hash, its own fields).
// Two sealers racing (several instances) collide on the unique seq and one
// retries; the chain never forks. Verify recomputes the chain; signed
// checkpoints kept outside the database (checkpoint.go) let it notice a
// cut tail or a part sealed again after a change.
package audit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/db"
)

// Entry is one audited action.
type Entry struct {
	ID         int64          `db:"id"`
	Seq        sql.NullInt64  `db:"seq"`
	At         time.Time      `db:"at"`
	Actor      string         `db:"actor"`
	Action     string         `db:"action"`
	ObjectType string         `db:"object_type"`
	ObjectID   string         `db:"object_id"`
	Detail     string         `db:"detail"`
	PrevHash   sql.NullString `db:"prev_hash"`
	Hash       sql.NullString `db:"hash"`
}

// Execer is what Append needs: a transaction or the database.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

const insertSQL = `INSERT INTO audit_log (at, actor, action, object_type, object_id, detail) VALUES (?, ?, ?, ?, ?, ?)`

// Append writes an unsealed entry in the caller's transaction. detail is
// marshalled as JSON (nil for none); it must never hold contact details.
func Append(ctx context.Context, x Execer, at time.Time, actor, action, objectType string, objectID any, detail any) error {
	d := ""
	if detail != nil {
		b, err := json.Marshal(detail)
		if err != nil {
			return fmt.Errorf("audit: marshal detail: %w", err)
		}
		d = string(b)
	}
	if actor == "" {
		actor = "system"
	}
	if _, err := x.ExecContext(ctx, insertSQL, db.UTC(at), actor, action, objectType, fmt.Sprint(objectID), d); err != nil {
		return fmt.Errorf("audit: append %s: %w", action, err)
	}
	return nil
}

// Record is one entry for AppendMany.
type Record struct {
	At         time.Time
	Actor      string
	Action     string
	ObjectType string
	ObjectID   any
	Detail     any
}

// AppendMany writes many unsealed entries with one multi-row INSERT (bulk
// imports), in the caller's transaction.
func AppendMany(ctx context.Context, x Execer, recs []Record) error {
	if len(recs) == 0 {
		return nil
	}
	var q strings.Builder
	q.WriteString(`INSERT INTO audit_log (at, actor, action, object_type, object_id, detail) VALUES `)
	args := make([]any, 0, len(recs)*6)
	for i, r := range recs {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?, ?, ?)")
		d := ""
		if r.Detail != nil {
			b, err := json.Marshal(r.Detail)
			if err != nil {
				return fmt.Errorf("audit: marshal detail: %w", err)
			}
			d = string(b)
		}
		actor := r.Actor
		if actor == "" {
			actor = "system"
		}
		args = append(args, db.UTC(r.At), actor, r.Action, r.ObjectType, fmt.Sprint(r.ObjectID), d)
	}
	if _, err := x.ExecContext(ctx, q.String(), args...); err != nil {
		return fmt.Errorf("audit: append %d entries: %w", len(recs), err)
	}
	return nil
}

// hash computes an entry's chain hash from the previous hash and its fields.
func hash(prev string, seq int64, e *Entry) string {
	h := sha256.New()
	fields := []string{prev, strconv.FormatInt(seq, 10), e.At.UTC().Format("2006-01-02T15:04:05.000000Z"),
		e.Actor, e.Action, e.ObjectType, e.ObjectID, e.Detail}
	for _, f := range fields {
		h.Write([]byte(strconv.Itoa(len(f))))
		h.Write([]byte{':'})
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

const (
	lastSealedSQL = `SELECT seq, hash FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1`
	// An entry with a hash but no seq was taken out of the chain: it is
	// left as it is for Verify to report, not chained again.
	unsealedSQL = `SELECT id, at, actor, action, object_type, object_id, detail FROM audit_log WHERE seq IS NULL AND hash IS NULL AND prev_hash IS NULL ORDER BY id LIMIT ?`
)

// sealRows is how many entries one UPDATE seals: four bound values an entry
// (and one for its id), well under SQLite's 32,766 and MySQL's 65,535.
const sealRows = 250

// sealPart chains entries (consecutive, in id order) after seq and prev
// with one UPDATE: seq, prev_hash and hash each a CASE over the ids. One
// statement for many entries instead of one each, so the sealer keeps up
// with filings committed in batches. An entry sealed meanwhile by another
// sealer (seq no longer NULL, or the seq taken) is ErrRace and the whole
// transaction rolls back.
func sealPart(ctx context.Context, tx *sqlx.Tx, part []Entry, seq *int64, prev *string) error {
	var cs, cp, ch, in strings.Builder
	seqArgs := make([]any, 0, 2*len(part))
	prevArgs := make([]any, 0, 2*len(part))
	hashArgs := make([]any, 0, 2*len(part))
	ids := make([]any, 0, len(part))
	for i := range part {
		*seq++
		h := hash(*prev, *seq, &part[i])
		id := part[i].ID
		cs.WriteString(" WHEN ? THEN ?")
		cp.WriteString(" WHEN ? THEN ?")
		ch.WriteString(" WHEN ? THEN ?")
		if i > 0 {
			in.WriteString(", ")
		}
		in.WriteString("?")
		seqArgs = append(seqArgs, id, *seq)
		prevArgs = append(prevArgs, id, *prev)
		hashArgs = append(hashArgs, id, h)
		ids = append(ids, id)
		*prev = h
	}
	q := "UPDATE audit_log SET seq = CASE id" + cs.String() + " END, prev_hash = CASE id" + cp.String() +
		" END, hash = CASE id" + ch.String() + " END WHERE id IN (" + in.String() + ") AND seq IS NULL"
	args := append(append(append(append(make([]any, 0, 7*len(part)), seqArgs...), prevArgs...), hashArgs...), ids...)
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		if db.IsDuplicate(err) {
			return ErrRace
		}
		return fmt.Errorf("audit: seal %d entries from %d: %w", len(part), part[0].ID, err)
	}
	if k, _ := res.RowsAffected(); k != int64(len(part)) {
		return ErrRace
	}
	return nil
}

// Seal chains up to batch unsealed entries and returns how many it sealed.
// Returns an error wrapping ErrRace when another sealer got there first; the
// caller simply tries again later.
func Seal(ctx context.Context, d *db.DB, batch int) (int, error) {
	n := 0
	err := d.InTx(ctx, func(tx *sqlx.Tx) error {
		var seq int64
		var prev string
		err := tx.QueryRowxContext(ctx, lastSealedSQL).Scan(&seq, &prev)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("audit: last sealed: %w", err)
		}
		var todo []Entry
		if err := tx.SelectContext(ctx, &todo, unsealedSQL, batch); err != nil {
			return fmt.Errorf("audit: unsealed: %w", err)
		}
		for i := 0; i < len(todo); i += sealRows {
			part := todo[i:min(i+sealRows, len(todo))]
			if err := sealPart(ctx, tx, part, &seq, &prev); err != nil {
				return err
			}
		}
		n = len(todo)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// ErrRace means another sealer sealed the same entries concurrently.
var ErrRace = errors.New("audit: concurrent sealer")

// sealBatch is how many entries one sealing transaction chains.
const sealBatch = 1000

// SealAll seals until nothing is left unsealed.
func SealAll(ctx context.Context, d *db.DB) error {
	for {
		n, err := Seal(ctx, d, sealBatch)
		if errors.Is(err, ErrRace) {
			continue
		}
		if err != nil || n == 0 {
			return err
		}
	}
}

// Sealer seals in the background every interval until ctx ends.
func Sealer(ctx context.Context, d *db.DB, every time.Duration, logf func(string, ...any)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := SealAll(ctx, d); err != nil && ctx.Err() == nil {
				logf("audit sealer: %v", err)
			}
		}
	}
}

// Report is the outcome of Verify.
type Report struct {
	Sealed      int64  // entries checked
	Unsealed    int64  // entries not yet chained
	BrokenAt    int64  // seq of the first broken entry, 0 when whole
	Reason      string // why it is broken
	Head        string // hash of the last entry checked ("" for an empty chain)
	Checkpoints int    // signed checkpoints the chain was held against
}

const (
	countUnsealedSQL = `SELECT COUNT(*) FROM audit_log WHERE seq IS NULL`
	// A row with no seq but a hash was sealed once: somebody took it out
	// of the chain, and the sealer would chain it again at the end.
	unchainedSQL = `SELECT id FROM audit_log WHERE seq IS NULL AND (hash IS NOT NULL OR prev_hash IS NOT NULL) ORDER BY id LIMIT 1`
	chainFromSQL = `SELECT id, seq, at, actor, action, object_type, object_id, detail, prev_hash, hash FROM audit_log WHERE seq > ? ORDER BY seq`
	hashAtSQL    = `SELECT hash FROM audit_log WHERE seq = ?`
)

// Verify recomputes the chain from the first entry and names the first entry
// whose sequence, link or hash does not match.
func Verify(ctx context.Context, d *db.DB) (Report, error) {
	return VerifyAgainst(ctx, d, nil)
}

// VerifyAgainst is Verify holding the chain to signed checkpoints (whose
// signatures the caller checked, see CheckpointFile.Read): the entry a
// checkpoint names must be there with the hash it signed. So a cut tail
// (the chain shorter than a checkpoint), and entries taken out of the
// chain and sealed again after a change (their hashes no longer the
// signed ones), are breaks; so is an entry whose hash was cleared while
// its sequence number went. What came after the newest checkpoint is held
// only by its own links.
func VerifyAgainst(ctx context.Context, d *db.DB, cps []Checkpoint) (Report, error) {
	var r Report
	if err := d.GetContext(ctx, &r.Unsealed, countUnsealedSQL); err != nil {
		return r, fmt.Errorf("audit: count unsealed: %w", err)
	}
	var id int64
	switch err := d.GetContext(ctx, &id, unchainedSQL); {
	case err == nil:
		r.BrokenAt, r.Reason = -id, fmt.Sprintf("记录（id %d）曾经封存，其序号被清除（记录被移出哈希链）", id)
		return r, nil
	case !errors.Is(err, sql.ErrNoRows):
		return r, fmt.Errorf("audit: unchained entries: %w", err)
	}
	w := walker{want: 1, checkpoints: byLength(cps)}
	if err := w.walk(ctx, d, &r); err != nil || r.BrokenAt != 0 {
		return r, err
	}
	w.end(&r)
	return r, nil
}

// walker recomputes the chain from where it starts (want, prev) and holds
// it to checkpoints on the way.
type walker struct {
	want        int64  // the next seq expected
	prev        string // the hash before it
	checkpoints map[int64][]Checkpoint
}

func byLength(cps []Checkpoint) map[int64][]Checkpoint {
	m := map[int64][]Checkpoint{}
	for _, cp := range cps {
		m[cp.Length] = append(m[cp.Length], cp)
	}
	return m
}

func (w *walker) walk(ctx context.Context, d *db.DB, r *Report) error {
	rows, err := d.QueryxContext(ctx, chainFromSQL, w.want-1)
	if err != nil {
		return fmt.Errorf("audit: read chain: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e Entry
		if err := rows.StructScan(&e); err != nil {
			return fmt.Errorf("audit: scan: %w", err)
		}
		switch {
		case e.Seq.Int64 != w.want:
			r.BrokenAt, r.Reason = w.want, fmt.Sprintf("第 %d 条缺失（下一条是第 %d 条）", w.want, e.Seq.Int64)
		case e.PrevHash.String != w.prev:
			r.BrokenAt, r.Reason = e.Seq.Int64, "与上一条的链接不符（前序哈希被改动）"
		case !e.Hash.Valid:
			r.BrokenAt, r.Reason = e.Seq.Int64, "已封存记录的哈希被清除"
		case e.Hash.String != hash(w.prev, e.Seq.Int64, &e):
			r.BrokenAt, r.Reason = e.Seq.Int64, "内容与哈希不符（记录被改动）"
		}
		for _, cp := range w.checkpoints[e.Seq.Int64] {
			if r.BrokenAt == 0 && e.Hash.String != cp.Head {
				r.BrokenAt, r.Reason = e.Seq.Int64, fmt.Sprintf("与 %s 的签名检查点不符（检查点之前的记录被改动或重新封存）", cp.At.UTC().Format(time.RFC3339))
			}
			r.Checkpoints++
		}
		if r.BrokenAt != 0 {
			return nil
		}
		w.prev = e.Hash.String
		w.want++
		r.Sealed++
		r.Head = e.Hash.String
	}
	return rows.Err()
}

// end checks the checkpoints beyond the chain's end: the chain was longer
// when they were signed, so its tail was cut.
func (w *walker) end(r *Report) {
	var longest *Checkpoint
	for n, cps := range w.checkpoints {
		if n >= w.want && (longest == nil || n > longest.Length) {
			longest = &cps[0]
		}
	}
	if longest != nil {
		r.BrokenAt = w.want
		r.Reason = fmt.Sprintf("审计链被截断：%s 的签名检查点记录了 %d 条，现只有 %d 条", longest.At.UTC().Format(time.RFC3339), longest.Length, w.want-1)
	}
}

// String describes the report in one line for people.
func (r Report) String() string {
	switch {
	case r.BrokenAt < 0: // an entry out of the chain, named by its row id
		return "审计链断裂：" + r.Reason
	case r.BrokenAt != 0:
		return fmt.Sprintf("审计链断裂：第 %d 条 %s", r.BrokenAt, r.Reason)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "审计链完整：%d 条已校验", r.Sealed)
	if r.Checkpoints > 0 {
		fmt.Fprintf(&b, "，与 %d 个签名检查点相符", r.Checkpoints)
	}
	if r.Unsealed > 0 {
		fmt.Fprintf(&b, "，%d 条待封存", r.Unsealed)
	}
	return b.String()
}

// Filter narrows a listing of the log. Empty fields filter nothing; Actor
// and Action match a prefix (user. finds every account action).
type Filter struct {
	Actor      string
	Action     string
	ObjectType string
	ObjectID   string
	From, To   time.Time // entries at or after From, before To
	Before     int64     // keyset: entries with a smaller id
}

// PageSize is how many entries one page of the log lists.
const PageSize = 100

// escapeLike makes s match itself in a LIKE pattern with ESCAPE '!'.
func escapeLike(s string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(s)
}

// List returns one page of the log, newest first, and the Before of the
// next page (0 when there is none).
func List(ctx context.Context, d *db.DB, f Filter) ([]Entry, int64, error) {
	q := `SELECT id, seq, at, actor, action, object_type, object_id, detail, prev_hash, hash FROM audit_log WHERE 1 = 1`
	var args []any
	if f.Actor != "" {
		q += ` AND actor LIKE ? ESCAPE '!'`
		args = append(args, escapeLike(f.Actor)+"%")
	}
	if f.Action != "" {
		q += ` AND action LIKE ? ESCAPE '!'`
		args = append(args, escapeLike(f.Action)+"%")
	}
	if f.ObjectType != "" {
		q += ` AND object_type = ?`
		args = append(args, f.ObjectType)
	}
	if f.ObjectID != "" {
		q += ` AND object_id = ?`
		args = append(args, f.ObjectID)
	}
	if !f.From.IsZero() {
		q += ` AND at >= ?`
		args = append(args, db.UTC(f.From))
	}
	if !f.To.IsZero() {
		q += ` AND at < ?`
		args = append(args, db.UTC(f.To))
	}
	if f.Before > 0 {
		q += ` AND id < ?`
		args = append(args, f.Before)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	var es []Entry
	if err := d.SelectContext(ctx, &es, q, append(args, PageSize+1)...); err != nil {
		return nil, 0, fmt.Errorf("audit: list: %w", err)
	}
	var next int64
	if len(es) > PageSize {
		es = es[:PageSize]
		next = es[PageSize-1].ID
	}
	return es, next, nil
}
