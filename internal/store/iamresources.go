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
	// ParentType ("space" or "template") and ParentID: children of a node
	// of an instance view.
	ParentType string
	ParentID   int64
	IDs        []int64
	// Keyword: name contains it (case-insensitive).
	Keyword string
	Where   *Condition
	Limit   int
	Offset  int
}

// iamSources are the live rows of each resource type, with the aliases the
// IAM SQL conditions use (tasks., t., spaces.).
var iamSources = map[string]struct{ from, cols, parent string }{
	"space": {`spaces WHERE NOT spaces.is_deleted`,
		`spaces.id, spaces.name, spaces.id AS space_id, NULL::bigint AS template_id, spaces.creator,
		NULL::varchar AS scope_type, NULL::varchar AS scope_value`, ``},
	"template": {`templates t WHERE NOT t.is_deleted`,
		`t.id, t.name, t.space_id, NULL::bigint AS template_id, t.creator, t.scope_type, t.scope_value`, `t.`},
	"task": {`tasks WHERE NOT tasks.is_deleted`,
		`tasks.id, tasks.name, tasks.space_id, tasks.template_id, tasks.creator, tasks.scope_type, tasks.scope_value`, `tasks.`},
}

// IAMInstances lists instances of typ ("space", "template", "task") by id,
// with their total count.
func (q *Queries) IAMInstances(ctx context.Context, typ string, f IAMInstanceFilter) ([]IAMInstance, int, error) {
	src, ok := iamSources[typ]
	if !ok {
		return nil, 0, fmt.Errorf("iam resource type %q: %w", typ, ErrNotFound)
	}
	col := src.parent
	if typ == "space" {
		col = "spaces."
	}
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", fmt.Sprintf("$%d", len(args))))
	}
	switch {
	case f.ParentType == "space" && typ != "space":
		add(col+"space_id = ?", f.ParentID)
	case f.ParentType == "template" && typ == "task":
		add(col+"template_id = ?", f.ParentID)
	case f.ParentType != "":
		return nil, 0, nil
	}
	if f.IDs != nil {
		add(col+"id = ANY(?)", f.IDs)
	}
	if f.Keyword != "" {
		add(col+`name ILIKE ?`, "%"+escapeLike(f.Keyword)+"%")
	}
	if f.Where != nil {
		var c string
		c, args = f.Where.render(args)
		where = append(where, c)
	}
	cond := ""
	if len(where) > 0 {
		cond = " AND " + strings.Join(where, " AND ")
	}
	var count int
	if err := q.db.QueryRow(ctx, `SELECT count(*) FROM `+src.from+cond, args...).Scan(&count); err != nil {
		return nil, 0, interpretError(err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	args = append(args, limit, f.Offset)
	rows, err := q.db.Query(ctx, fmt.Sprintf(`SELECT %s FROM %s%s ORDER BY %sid LIMIT $%d OFFSET $%d`,
		src.cols, src.from, cond, col, len(args)-1, len(args)), args...)
	if err != nil {
		return nil, 0, interpretError(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[IAMInstance])
	return out, count, interpretError(err)
}

// IAMAttrValues lists the distinct values of a string column of typ's live
// rows (creator, scope_type, scope_value), with their count.
func (q *Queries) IAMAttrValues(ctx context.Context, typ, column, keyword string, values []string, limit, offset int) ([]string, int, error) {
	src, ok := iamSources[typ]
	if !ok || typ == "space" {
		return nil, 0, nil
	}
	c := src.parent + column
	cond := " AND " + c + " IS NOT NULL AND " + c + " <> ''"
	args := []any{}
	if keyword != "" {
		args = append(args, "%"+escapeLike(keyword)+"%")
		cond += fmt.Sprintf(" AND %s ILIKE $%d", c, len(args))
	}
	if values != nil {
		args = append(args, values)
		cond += fmt.Sprintf(" AND %s = ANY($%d)", c, len(args))
	}
	var count int
	if err := q.db.QueryRow(ctx, `SELECT count(DISTINCT `+c+`) FROM `+src.from+cond, args...).Scan(&count); err != nil {
		return nil, 0, interpretError(err)
	}
	args = append(args, limit, offset)
	rows, err := q.db.Query(ctx, fmt.Sprintf(`SELECT DISTINCT %s FROM %s%s ORDER BY 1 LIMIT $%d OFFSET $%d`,
		c, src.from, cond, len(args)-1, len(args)), args...)
	if err != nil {
		return nil, 0, interpretError(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return out, count, interpretError(err)
}
