-- Task lists order by creation time within a space.

-- +goose Up
CREATE INDEX tasks_space_create_idx ON tasks (space_id, create_time DESC, id DESC) WHERE NOT is_deleted;
CREATE INDEX tasks_space_template_idx ON tasks (space_id, template_id) WHERE NOT is_deleted;

-- +goose Down
DROP INDEX tasks_space_template_idx;
DROP INDEX tasks_space_create_idx;
