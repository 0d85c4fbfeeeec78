-- +goose Up
-- The search index (全文检索): one row per distinct term of a complaint
-- (kind 1) or a case (kind 2), written by internal/ledger in the
-- transaction that writes the text (internal/grams makes the terms). The
-- key starts with the term, so a search reads each term's documents
-- newest first as one index range.
CREATE TABLE search_terms (
  term   INTEGER NOT NULL,
  kind   INTEGER NOT NULL,
  ref_id INTEGER NOT NULL,
  PRIMARY KEY (term, kind, ref_id)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE search_terms;
