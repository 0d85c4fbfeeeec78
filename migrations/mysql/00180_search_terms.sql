-- +goose Up
-- The search index (全文检索): one row per distinct term of a complaint
-- (kind 1) or a case (kind 2), written by internal/ledger in the
-- transaction that writes the text (internal/grams makes the terms). The
-- key starts with the term, so a search reads each term's documents
-- newest first as one index range. Not a FULLTEXT index: MariaDB has no
-- parser for Chinese, and InnoDB's full-text search is far too slow on
-- common terms (docs/back-office.md, 查找).
CREATE TABLE search_terms (
  term   BIGINT  NOT NULL,
  kind   TINYINT NOT NULL,
  ref_id BIGINT  NOT NULL,
  PRIMARY KEY (term, kind, ref_id)
) ENGINE=InnoDB;

-- +goose Down
DROP TABLE search_terms;
