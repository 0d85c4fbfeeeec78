-- +goose Up
-- Documents filed in bulk (a hotline import) whose terms are not in
-- search_terms yet: one row per document, written in the transaction that
-- files it, instead of its ~27 index rows; the catch-up indexer
-- (ledger.IndexBacklog, run by serve) writes the terms and deletes the row.
CREATE TABLE search_backlog (
  kind   INTEGER NOT NULL,
  ref_id INTEGER NOT NULL,
  PRIMARY KEY (kind, ref_id)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE search_backlog;
