-- +goose Up
-- The audit log viewer finds what happened to one object (a case, an
-- account) without reading the whole log.
CREATE INDEX audit_object ON audit_log (object_type, object_id, id);

-- +goose Down
DROP INDEX audit_object;
