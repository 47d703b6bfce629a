-- An index for counting a space's live tasks, the cost every unfiltered task
-- list (and every list of a user who may view the whole space) pays for its
-- exact count.
--
-- The list indexes of 00007 give that count as an index-only scan, but each
-- of their entries carries create_time and id (and more), so no two are
-- alike and the scan reads 853 pages for 100,000 tasks. With the
-- space id alone, btree deduplication (PostgreSQL 13+) stores one key per
-- run of equal ids with a list of row pointers, and the same count reads
-- 88 pages. Measured on the seed of BenchmarkListsAt100k
-- (98,512 live tasks in one space, warm cache, psql \timing):
-- `SELECT count(*) FROM tasks WHERE space_id = 1 AND NOT is_deleted AND NOT
-- is_expired` takes 14.4-15.6 ms through tasks_space_template_idx, which the
-- planner picked, and 8.4-9.2 ms through this index. A parallel scan of it
-- is slower on two cores (13.7-15.1 ms).
--
-- Templates gain nothing from the same index (10-11 ms either way: their
-- count is bounded by visiting the tuples, not the pages), so they get none.
-- The predicate is the lists' own, so the planner can use it for them.

-- +goose Up
CREATE INDEX tasks_space_live_idx ON tasks (space_id) WHERE NOT is_deleted AND NOT is_expired;

-- +goose Down
DROP INDEX tasks_space_live_idx;
