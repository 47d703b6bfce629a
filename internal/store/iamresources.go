package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// IAMInstance is a space, template or task as the IAM resource callback
// describes it.
type IAMInstance struct {
	ID         int64   `db:"id"`
	Name       string  `db:"name"`
	SpaceID    int64   `db:"space_id"`
	TemplateID *int64  `db:"template_id"`
	Creator    string  `db:"creator"`
	ScopeType  *string `db:"scope_type"`
	ScopeValue *string `db:"scope_value"`
}

// IAMInstanceFilter narrows IAMInstances; zero fields do not filter.
type IAMInstanceFilter struct {
	// ParentType ("space" or "template") and ParentID: the children of a
	// node of an instance view (templates and tasks of a space, tasks of a
	// template). A parent the type has no such children under selects
	// nothing.
	ParentType string
	ParentID   int64
	// Keyword: the name contains it (case-insensitive).
	Keyword string
	// Where is an extra condition on the type's table, whose columns it
	// names as spaces.*, t.* (templates) or tasks.*.
	Where  *Condition
	Limit  int
	Offset int
}

// iamSource is where a resource type's live instances are: deleted spaces,
// templates and tasks are never shown to IAM, nor expired tasks (the task
// lists' definition of live, whose partial indexes the queries use).
type iamSource struct {
	table, live, cols, col, order string
}

// from is the live instances' FROM clause, its WHERE included.
func (s iamSource) from() string { return s.table + " WHERE " + s.live }

var iamSources = map[string]iamSource{
	"space": {table: `spaces`, live: `NOT spaces.is_deleted`,
		cols: `spaces.id, spaces.name, spaces.id AS space_id, NULL::bigint AS template_id, spaces.creator,
		NULL::varchar AS scope_type, NULL::varchar AS scope_value`,
		col: `spaces.`, order: `spaces.id`},
	"template": {table: `templates t`, live: `NOT t.is_deleted`,
		cols:  `t.id, t.name, t.space_id, NULL::bigint AS template_id, t.creator, t.scope_type, t.scope_value`,
		col:   `t.`,
		order: `t.create_at DESC, t.id DESC`},
	"task": {table: `tasks`, live: `NOT tasks.is_deleted AND NOT tasks.is_expired`,
		cols:  `tasks.id, tasks.name, tasks.space_id, tasks.template_id, tasks.creator, tasks.scope_type, tasks.scope_value`,
		col:   `tasks.`,
		order: `tasks.create_time DESC, tasks.id DESC`},
}

func iamSourceOf(typ string) (iamSource, error) {
	src, ok := iamSources[typ]
	if !ok {
		return iamSource{}, fmt.Errorf("iam resource type %q: %w", typ, ErrNotFound)
	}
	return src, nil
}

// IAMInstances returns one page of the live instances of typ ("space",
// "template", "task") f selects, newest first (spaces by id), and how many
// it selects in all.
func (q *Queries) IAMInstances(ctx context.Context, typ string, f IAMInstanceFilter) ([]IAMInstance, int, error) {
	src, err := iamSourceOf(typ)
	if err != nil {
		return nil, 0, err
	}
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", fmt.Sprintf("$%d", len(args))))
	}
	switch {
	case f.ParentType == "":
	case f.ParentType == "space" && typ != "space":
		add(src.col+"space_id = ?", f.ParentID)
	case f.ParentType == "template" && typ == "task":
		// With the template's space, the tasks come from the
		// (space_id, template_id, create_time) index in list order.
		add(`tasks.space_id = (SELECT space_id FROM templates WHERE id = ?)`, f.ParentID)
		add(`tasks.template_id = ?`, f.ParentID)
	default:
		return []IAMInstance{}, 0, nil
	}
	if f.Keyword != "" {
		add(src.col+`name ILIKE ?`, "%"+escapeLike(f.Keyword)+"%")
	}
	if f.Where != nil {
		var c string
		c, args = f.Where.render(args)
		where = append(where, c)
	}
	return listPage[IAMInstance](ctx, q, listQuery{Columns: src.cols, From: src.table,
		Where: strings.Join(append([]string{src.live}, where...), " AND "), Order: src.order, Args: args,
		Limit: max(f.Limit, 0), Offset: max(f.Offset, 0)})
}

// IAMInstancesByID returns the live instances of typ among ids, in id order,
// with one primary-key lookup (fetch_instance_info is on IAM's auth path).
func (q *Queries) IAMInstancesByID(ctx context.Context, typ string, ids []int64) ([]IAMInstance, error) {
	src, err := iamSourceOf(typ)
	if err != nil {
		return nil, err
	}
	rows, err := q.db.Query(ctx, fmt.Sprintf(`SELECT %s FROM %s AND %sid = ANY($1) ORDER BY %sid`,
		src.cols, src.from(), src.col, src.col), ids)
	if err != nil {
		return nil, interpretError(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[IAMInstance])
	return out, interpretError(err)
}

// iamAttrColumns are the columns IAMAttrValues reads.
var iamAttrColumns = map[string]bool{"creator": true, "scope_type": true, "scope_value": true}

// IAMAttrValues returns one page of the distinct non-empty values of column
// (creator, scope_type or scope_value) among the live templates or tasks,
// in order, narrowed to those containing keyword (case-insensitive) and to
// values when it is not nil, and how many there are in all.
func (q *Queries) IAMAttrValues(ctx context.Context, typ, column, keyword string, values []string, limit, offset int) ([]string, int, error) {
	src, err := iamSourceOf(typ)
	if err != nil || typ == "space" || !iamAttrColumns[column] {
		return nil, 0, fmt.Errorf("iam attribute %s.%s: %w", typ, column, ErrNotFound)
	}
	c := src.col + column
	cond := " AND " + c + " <> ''"
	args := []any{}
	if keyword != "" {
		args = append(args, "%"+escapeLike(keyword)+"%")
		cond += fmt.Sprintf(" AND %s ILIKE $%d", c, len(args))
	}
	if values != nil {
		args = append(args, values)
		cond += fmt.Sprintf(" AND %s = ANY($%d)", c, len(args))
	}
	limit, offset = max(limit, 0), max(offset, 0)
	// One scan: the page and, beside each value, the number of values.
	args = append(args, limit, offset)
	rows, err := q.db.Query(ctx, fmt.Sprintf(`SELECT %s AS value, count(*) OVER () AS total FROM %s%s
		GROUP BY 1 ORDER BY 1 LIMIT $%d OFFSET $%d`, c, src.from(), cond, len(args)-1, len(args)), args...)
	if err != nil {
		return nil, 0, interpretError(err)
	}
	type valueRow struct {
		Value string `db:"value"`
		Total int    `db:"total"`
	}
	page, err := pgx.CollectRows(rows, pgx.RowToStructByName[valueRow])
	if err != nil {
		return nil, 0, interpretError(err)
	}
	out := make([]string, len(page))
	for i, r := range page {
		out[i] = r.Value
	}
	if len(page) > 0 {
		return out, page[0].Total, nil
	}
	// An empty page (past the end, or limit 0) still reports the count.
	var count int
	if err := q.db.QueryRow(ctx, `SELECT count(DISTINCT `+c+`) FROM `+src.from()+cond, args[:len(args)-2]...).Scan(&count); err != nil {
		return nil, 0, interpretError(err)
	}
	return out, count, nil
}
