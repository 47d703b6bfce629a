-- Every task and template records its BlueKing IAM topology path, so that
-- permission-filtered lists turn `_bk_iam_path_` prefixes into indexed
-- prefix matches (issue 5).
--
-- A task's _bk_iam_path_ is ["/space,S/", "/space,S/template,T/"] (only the
-- first without a template); a template's is ["/space,S/"]. Every path of a
-- task is a prefix of its longest one, so "some path starts with P" holds
-- exactly when the longest path starts with P: one column holding the
-- longest path answers starts_with with `iam_path LIKE P || '%'`.

-- +goose Up
ALTER TABLE tasks ADD COLUMN iam_path text GENERATED ALWAYS AS
    ('/space,' || space_id || '/' || COALESCE('template,' || template_id || '/', '')) STORED;
ALTER TABLE templates ADD COLUMN iam_path text GENERATED ALWAYS AS ('/space,' || space_id || '/') STORED;
CREATE INDEX tasks_iam_path_idx ON tasks (iam_path text_pattern_ops, create_time DESC, id DESC)
    WHERE NOT is_deleted AND NOT is_expired;

-- +goose Down
DROP INDEX tasks_iam_path_idx;
ALTER TABLE templates DROP COLUMN iam_path;
ALTER TABLE tasks DROP COLUMN iam_path;
