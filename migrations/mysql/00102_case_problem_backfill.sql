-- +goose Up
-- Cases opened before 00100 get their full problem text and address from
-- their first complaint (or the inspection finding that opened them), and
-- notices issued before 00101 quote that text (or the case's title).
UPDATE cases SET
  description = COALESCE((SELECT m.description FROM complaints m WHERE m.case_id = cases.id ORDER BY m.received_at, m.id LIMIT 1), ''),
  address = COALESCE((SELECT m.address FROM complaints m WHERE m.case_id = cases.id ORDER BY m.received_at, m.id LIMIT 1), '')
WHERE source = 'complaint' AND description = '';
UPDATE cases SET description = COALESCE((SELECT f.description FROM inspection_findings f WHERE f.case_id = cases.id), '')
WHERE source = 'inspection' AND description = '';
UPDATE notices SET problem = COALESCE((SELECT CASE WHEN c.description <> '' THEN c.description ELSE c.title END
  FROM cases c WHERE c.id = notices.case_id), '')
WHERE problem = '';

-- +goose Down
SELECT 1;
