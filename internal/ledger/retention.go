package ledger

// Retention of reporters' contact details (个人信息保护法 第十九条: personal
// information is kept no longer than its purpose needs). The complaint stays
// in the ledger; its contact and its ticket-lookup HMAC go.

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/audit"
	"ecoreport/internal/db"
)

// DefaultRetention is how long contact details are kept after a case is
// concluded (three years).
const DefaultRetention = 3 * 365 * 24 * time.Hour

// retentionBatch bounds one transaction (and one audit entry).
const retentionBatch = 500

// expiredContactsSQL finds complaints that still hold a contact (or a lookup
// HMAC) and whose matter ended before the cutoff: the case closed (已销号) or
// dismissed (不属实办结), or the complaint itself refused (不予受理; its
// updated_at is the refusal, nothing changes a refused complaint later).
const expiredContactsSQL = `SELECT c.id FROM complaints c LEFT JOIN cases k ON k.id = c.case_id
 WHERE c.contact_erased_at IS NULL AND (c.contact_enc IS NOT NULL OR c.lookup_mac IS NOT NULL)
 AND ((k.status = ? AND k.closed_at < ?) OR (k.status = ? AND k.concluded_at < ?) OR (c.case_id IS NULL AND c.status = ? AND c.updated_at < ?))
 ORDER BY c.id LIMIT ?`

// EraseExpiredContacts erases the contact details (contact_enc, lookup_mac)
// of complaints whose case was closed or dismissed, or which were refused,
// more than olderThan ago, and sets contact_erased_at (staff then read
// 已按期删除). It works in batches, one transaction and one audit entry
// (retention.contacts_erased) per batch, and returns how many complaints it
// erased. Safe to run from several instances at once: a complaint is erased
// once. olderThan <= 0 means DefaultRetention.
func (s *Service) EraseExpiredContacts(ctx context.Context, olderThan time.Duration) (int, error) {
	if olderThan <= 0 {
		olderThan = DefaultRetention
	}
	now := s.now()
	cutoff := now.Add(-olderThan)
	total := 0
	for {
		var n int
		err := s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
			var ids []int64
			if err := tx.SelectContext(ctx, &ids, expiredContactsSQL, Closed, cutoff, Dismissed, cutoff, Refused, cutoff, retentionBatch); err != nil {
				return fmt.Errorf("ledger: retention: select: %w", err)
			}
			if len(ids) == 0 {
				return nil
			}
			q, args, err := sqlx.In(`UPDATE complaints SET contact_enc = NULL, lookup_mac = NULL, contact_erased_at = ? WHERE contact_erased_at IS NULL AND id IN (?)`, now, ids)
			if err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, q, args...)
			if err != nil {
				return fmt.Errorf("ledger: retention: erase: %w", err)
			}
			affected, _ := res.RowsAffected()
			n = int(affected)
			// object_id is short: the batch is named by its id range, the
			// ids themselves go to the detail.
			return audit.Append(ctx, tx, now, actorName(System), "retention.contacts_erased", "complaint",
				fmt.Sprintf("%s-%s", ComplaintRef(ids[0]), ComplaintRef(ids[len(ids)-1])),
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
