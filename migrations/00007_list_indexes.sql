-- Indexes for get_task_list and get_template_list at 100,000 rows a space
-- (bench/api.sh, docs/benchmarks.md, issue 4).
--
-- Task lists select live tasks (NOT is_deleted AND NOT is_expired) and count
-- them. The partial indexes of 00006 only had NOT is_deleted, so no count
-- could be an index-only scan: every list read the space's whole heap (about
-- 50 ms at 100k tasks). With the list's own predicate, the count reads the
-- index alone and each filter that has an index (creator, template, scope)
-- gets its rows already in list order.
--
-- Template lists may be ordered by name or update_at: without an index the
-- whole space was joined to its snapshots and sorted for each page.

-- +goose Up
DROP INDEX tasks_space_create_idx;
DROP INDEX tasks_space_template_idx;
CREATE INDEX tasks_space_create_idx ON tasks (space_id, create_time DESC, id DESC)
    WHERE NOT is_deleted AND NOT is_expired;
CREATE INDEX tasks_space_template_idx ON tasks (space_id, template_id, create_time DESC, id DESC)
    WHERE NOT is_deleted AND NOT is_expired;
CREATE INDEX tasks_space_creator_idx ON tasks (space_id, creator, create_time DESC, id DESC)
    WHERE NOT is_deleted AND NOT is_expired;
CREATE INDEX tasks_space_scope_idx ON tasks (space_id, scope_type, scope_value, create_time DESC, id DESC)
    WHERE NOT is_deleted AND NOT is_expired;
CREATE INDEX templates_space_name_idx ON templates (space_id, name, id) WHERE NOT is_deleted;
CREATE INDEX templates_space_update_idx ON templates (space_id, update_at, id) WHERE NOT is_deleted;

-- +goose Down
DROP INDEX templates_space_update_idx;
DROP INDEX templates_space_name_idx;
DROP INDEX tasks_space_scope_idx;
DROP INDEX tasks_space_creator_idx;
DROP INDEX tasks_space_template_idx;
DROP INDEX tasks_space_create_idx;
CREATE INDEX tasks_space_create_idx ON tasks (space_id, create_time DESC, id DESC) WHERE NOT is_deleted;
CREATE INDEX tasks_space_template_idx ON tasks (space_id, template_id) WHERE NOT is_deleted;
