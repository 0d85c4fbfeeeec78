package hotline

// The quarantine (待修正) holds callers' names and phones, anonymous callers'
// included: every kept row is sealed with the data key like a complaint's
// contact, shown masked, cleared once fixed, and erased when nobody fixed it
// within RejectRetention.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/audit"
	"ecoreport/internal/db"
	"ecoreport/internal/phone"
	"ecoreport/internal/secret"
)

// RejectExpired is the status of a quarantined row nobody fixed within the
// retention period: its cells are erased.
const RejectExpired = "expired"

// DefaultRejectRetention is how long a rejected row waits for a fix before
// its cells are erased (180 days): the row exists only to be fixed.
const DefaultRejectRetention = 180 * 24 * time.Hour

// sealedReject is what raw_enc holds.
type sealedReject struct {
	Value string    `json:"value"`
	Raw   []rawCell `json:"raw"`
}

// sealReject seals a rejected row's cells (JSON, as encodeRaw writes them)
// and the value that failed.
func sealReject(keys *secret.Keys, raw, value string) string {
	var cells []rawCell
	_ = json.Unmarshal([]byte(raw), &cells)
	b, _ := json.Marshal(sealedReject{Value: value, Raw: cells})
	return keys.Seal(b)
}

// rawMAC is the hash that recognises a row quarantined before (same cells):
// an HMAC, since the cells are a caller's name and phone beside a text that
// may be known.
func rawMAC(keys *secret.Keys, raw string) string { return keys.MAC("hotline-reject", raw) }

// personal kinds of a column.
const (
	personalNone = iota
	personalName
	personalPhone
)

// mask shows a caller's name or phone as staff lists do before anyone asks
// to see the contact: 张*, 138****5678.
func mask(kind int, v string) string {
	switch kind {
	case personalName:
		r := []rune(strings.TrimSpace(v))
		if len(r) == 0 {
			return ""
		}
		return string(r[0]) + strings.Repeat("*", len(r)-1)
	case personalPhone:
		return phone.Mask(v)
	}
	return v
}

// personalColumns says which columns of a row hold the caller's name or
// phone, by their headers as a file or a push names them.
func (im *Importer) personalColumns(raw []Field) []int {
	ix, err := buildAliasIndex(mergeAliases(im.Options.Aliases, pushAliases))
	if err != nil {
		ix, _ = buildAliasIndex(pushAliases)
	}
	out := make([]int, len(raw))
	for i, f := range raw {
		if h, ok := ix[headerKey(f.Name)]; ok {
			switch h.field {
			case fieldCallerName:
				out[i] = personalName
			case fieldCallerPhone:
				out[i] = personalPhone
			}
		}
	}
	return out
}

// maskedValue is a rejected cell as a receipt shows it: masked when its
// column holds the caller's name or phone.
func (im *Importer) maskedValue(raw []Field, column, value string) string {
	kinds := im.personalColumns(raw)
	for i, f := range raw {
		if f.Name == column && kinds[i] != personalNone {
			return mask(kinds[i], value)
		}
	}
	return value
}

// open unseals a quarantined row read from the database (or reads a row kept
// in clear before sealing, until SealRejects runs).
func (im *Importer) open(q *QuarantinedRow) error {
	switch {
	case q.RawEnc.Valid:
		b, err := im.Ledger.Keys.Open(q.RawEnc.String)
		if err != nil {
			return fmt.Errorf("hotline: open quarantined row %d: %w", q.ID, err)
		}
		var s sealedReject
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("hotline: open quarantined row %d: %w", q.ID, err)
		}
		q.raw, q.value = make([]Field, len(s.Raw)), s.Value
		for i, c := range s.Raw {
			q.raw[i] = Field(c)
		}
	case q.LegacyRaw != "":
		q.raw, q.value = decodeRaw(q.LegacyRaw), q.LegacyValue
	}
	q.LegacyRaw, q.LegacyValue = "", ""
	q.personal = im.personalColumns(q.raw)
	return nil
}

const legacyRejectsSQL = `SELECT id, raw, value, status FROM import_rejects WHERE raw <> '' OR value <> '' ORDER BY id LIMIT 500`

// SealRejects seals the quarantined rows kept in clear before sealing (a
// pending row's cells and value go into raw_enc; a fixed or expired row's
// are dropped) and makes their hashes HMACs. Imports and the retention job
// run it first; it returns how many rows it sealed and is safe to run from
// several instances at once.
func (im *Importer) SealRejects(ctx context.Context) (int, error) {
	if im.sealed.Load() {
		return 0, nil
	}
	keys := im.Ledger.Keys
	total := 0
	for {
		var rows []struct {
			ID     int64  `db:"id"`
			Raw    string `db:"raw"`
			Value  string `db:"value"`
			Status string `db:"status"`
		}
		if err := im.DB.SelectContext(ctx, &rows, legacyRejectsSQL); err != nil {
			return total, db.Classify(fmt.Errorf("hotline: find rows to seal: %w", err))
		}
		if len(rows) == 0 {
			im.sealed.Store(true)
			return total, nil
		}
		err := im.DB.InTx(ctx, func(tx *sqlx.Tx) error {
			for _, r := range rows {
				var enc any
				if r.Status == RejectPending {
					enc = sealReject(keys, r.Raw, r.Value)
				}
				hash := any(nil)
				if r.Raw != "" {
					hash = rawMAC(keys, r.Raw)
				}
				if _, err := tx.ExecContext(ctx, `UPDATE import_rejects SET raw_enc = COALESCE(?, raw_enc), raw_hash = COALESCE(?, raw_hash), raw = '', value = ''
 WHERE id = ? AND raw = ? AND value = ?`, enc, hash, r.ID, r.Raw, r.Value); err != nil {
					return fmt.Errorf("hotline: seal quarantined row %d: %w", r.ID, err)
				}
			}
			return nil
		})
		if err != nil {
			return total, db.Classify(err)
		}
		total += len(rows)
	}
}

// EraseExpiredRejects erases the cells of rows that waited in quarantine
// longer than olderThan (≤ 0: DefaultRejectRetention) since their import:
// status expired, nothing kept but the row number, column, reason and hash.
// One audit entry (retention.rejects_erased) per batch of rows; returns how
// many it erased. Rows kept in clear are sealed first (SealRejects).
func (im *Importer) EraseExpiredRejects(ctx context.Context, olderThan time.Duration) (int, error) {
	if olderThan <= 0 {
		olderThan = DefaultRejectRetention
	}
	if _, err := im.SealRejects(ctx); err != nil {
		return 0, err
	}
	now := im.now()
	cutoff := now.Add(-olderThan)
	total := 0
	for {
		var n int
		err := im.DB.InTx(ctx, func(tx *sqlx.Tx) error {
			var ids []int64
			if err := tx.SelectContext(ctx, &ids, `SELECT r.id FROM import_rejects r JOIN import_batches b ON b.id = r.batch_id
 WHERE r.status = ? AND b.started_at < ? ORDER BY r.id LIMIT 500`, RejectPending, cutoff); err != nil {
				return fmt.Errorf("hotline: retention: select: %w", err)
			}
			if len(ids) == 0 {
				return nil
			}
			q, args, err := sqlx.In(`UPDATE import_rejects SET status = ?, raw_enc = NULL, raw = '', value = '' WHERE status = ? AND id IN (?)`,
				RejectExpired, RejectPending, ids)
			if err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, q, args...)
			if err != nil {
				return fmt.Errorf("hotline: retention: erase: %w", err)
			}
			affected, _ := res.RowsAffected()
			n = int(affected)
			return audit.Append(ctx, tx, now, "system", "retention.rejects_erased", "import_reject",
				fmt.Sprintf("%d-%d", ids[0], ids[len(ids)-1]),
				map[string]any{"count": n, "ids": ids, "cutoff": cutoff.Format(time.RFC3339), "older_than_days": int(olderThan / (24 * time.Hour))})
		})
		if err != nil {
			return total, db.Classify(err)
		}
		total += n
		if n == 0 {
			return total, nil
		}
	}
}
