package ledger

// The catch-up indexer (检索索引补录): complaints filed in bulk
// (FileBulkTx) wait in search_backlog, one row each, and IndexBacklog
// writes their terms a batch at a time. A complaint leaves the backlog in
// the transaction that indexes it, and ReindexComplaintTx takes it out
// before it changes its text, so that a text is indexed once, as it
// stands: the indexer locks the backlog rows it reads (FOR UPDATE on a
// server; an embedded database has one writer at a time) and skips those
// an update took meanwhile.

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"ecoreport/internal/db"
)

// BacklogBatch is how many waiting complaints one IndexBacklog
// transaction indexes (about 27 rows of search_terms each).
const BacklogBatch = 1000

// backlogComplaintsTx puts newly filed complaints in the backlog.
func backlogComplaintsTx(ctx context.Context, tx *sqlx.Tx, cs []Filed) error {
	if len(cs) == 0 {
		return nil
	}
	var q strings.Builder
	q.WriteString(`INSERT INTO search_backlog (kind, ref_id) VALUES `)
	args := make([]any, 0, 2*len(cs))
	for i := range cs {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?)")
		args = append(args, int(SearchComplaints), cs[i].Complaint.ID)
	}
	if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
		return fmt.Errorf("ledger: search backlog: %w", err)
	}
	return nil
}

// takeBacklogTx takes a document out of the backlog in tx and reports
// whether it was waiting there.
func takeBacklogTx(ctx context.Context, tx *sqlx.Tx, kind SearchKind, id int64) (bool, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM search_backlog WHERE kind = ? AND ref_id = ?`, int(kind), id)
	if err != nil {
		return false, fmt.Errorf("ledger: search backlog of %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// IndexBacklog indexes up to limit waiting complaints (BacklogBatch when
// limit is 0), oldest first, in one transaction, and returns how many it
// indexed: 0 when the backlog is empty.
func (s *Service) IndexBacklog(ctx context.Context, limit int) (int, error) {
	if limit <= 0 {
		limit = BacklogBatch
	}
	n := 0
	err := s.DB.InTx(ctx, func(tx *sqlx.Tx) error {
		var ids []int64
		if err := tx.SelectContext(ctx, &ids, s.DB.ForUpdate(`SELECT ref_id FROM search_backlog WHERE kind = ? ORDER BY ref_id LIMIT ?`),
			int(SearchComplaints), limit); err != nil {
			return fmt.Errorf("ledger: read search backlog: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		q, args, err := sqlx.In(`SELECT id, source_ref, subject, address, description, town_text FROM complaints WHERE id IN (?)`, ids)
		if err != nil {
			return err
		}
		var rows []textRow
		if err := tx.SelectContext(ctx, &rows, q, args...); err != nil {
			return fmt.Errorf("ledger: texts of the search backlog: %w", err)
		}
		docs, terms := make([]int64, len(rows)), make([][]int64, len(rows))
		for i, r := range rows {
			docs[i], terms[i] = r.ID, r.text().terms()
		}
		if err := indexTx(ctx, tx, SearchComplaints, docs, terms); err != nil {
			return err
		}
		q, args, err = sqlx.In(`DELETE FROM search_backlog WHERE kind = ? AND ref_id IN (?)`, int(SearchComplaints), ids)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("ledger: clear search backlog: %w", err)
		}
		n = len(ids)
		return nil
	})
	return n, db.Classify(err)
}

// Backlog is how many complaints wait for the catch-up indexer.
func (s *Service) Backlog(ctx context.Context) (int, error) {
	var n int
	err := s.DB.GetContext(ctx, &n, `SELECT COUNT(*) FROM search_backlog`)
	return n, db.Classify(err)
}

// CatchUp indexes the backlog until it is empty or ctx ends, and returns
// how many complaints it indexed.
func (s *Service) CatchUp(ctx context.Context) (int, error) {
	total := 0
	for ctx.Err() == nil {
		n, err := s.IndexBacklog(ctx, 0)
		total += n
		if err != nil {
			if db.IsDeadlock(err) {
				continue // an import updating one of these tickets: again
			}
			return total, err
		}
		if n == 0 {
			break
		}
	}
	return total, ctx.Err()
}

// CatchUpJob runs CatchUp every interval until ctx ends (serve's
// background job), reporting failures to warn.
func (s *Service) CatchUpJob(ctx context.Context, every time.Duration, warn func(string, ...any)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := s.CatchUp(ctx); err != nil && ctx.Err() == nil {
			warn("search catch-up: %v", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// textRow is a complaint's indexed columns as read from the table.
type textRow struct {
	ID          int64          `db:"id"`
	SourceRef   sql.NullString `db:"source_ref"`
	Subject     string         `db:"subject"`
	Address     string         `db:"address"`
	Description string         `db:"description"`
	TownText    string         `db:"town_text"`
}

func (r textRow) text() ComplaintText {
	return ComplaintText{ID: r.ID, SourceRef: r.SourceRef.String, Subject: r.Subject, Address: r.Address,
		Description: r.Description, TownText: r.TownText}
}
