package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultLabelSpace is the space_id of default labels, visible in every
// space (BKFlow's convention).
const DefaultLabelSpace = -1

// Label is a label: a root (ParentID nil) or the child of a root.
type Label struct {
	ID          int64     `db:"id"`
	SpaceID     int64     `db:"space_id"`
	ParentID    *int64    `db:"parent_id"`
	Name        string    `db:"name"`
	Color       string    `db:"color"`
	Description *string   `db:"description"`
	LabelScope  []string  `db:"label_scope"`
	IsDefault   bool      `db:"is_default"`
	Creator     string    `db:"creator"`
	UpdatedBy   string    `db:"updated_by"`
	CreatedAt   time.Time `db:"created_at"`
	UpdatedAt   time.Time `db:"updated_at"`
	// ParentName is the root's name for a child (full_path is
	// "<parent>/<name>").
	ParentName *string `db:"parent_name"`
	// HasChildren reports whether any label has this one as its parent.
	HasChildren bool `db:"has_children"`
}

// FullPath is "root/child" for a child and the name for a root.
func (l Label) FullPath() string {
	if l.ParentName != nil {
		return *l.ParentName + "/" + l.Name
	}
	return l.Name
}

// labelSelect selects labels as Label rows (alias l).
const (
	labelColumns = `l.id, l.space_id, l.parent_id, l.name, l.color, l.description, l.label_scope, l.is_default,
	l.creator, l.updated_by, l.created_at, l.updated_at, p.name AS parent_name,
	EXISTS (SELECT 1 FROM labels c WHERE c.parent_id = l.id) AS has_children`
	labelTables = `labels l LEFT JOIN labels p ON p.id = l.parent_id`
	labelSelect = `SELECT ` + labelColumns + ` FROM ` + labelTables
)

func labelRows(rows pgx.Rows, err error) ([]Label, error) {
	if err != nil {
		return nil, interpretError(err)
	}
	ls, err := pgx.CollectRows(rows, pgx.RowToStructByName[Label])
	return ls, interpretError(err)
}

// LabelsVisible returns the labels with the given ids that space can use
// (its own and the default labels), ordered by id. Unknown ids are left out.
func (q *Queries) LabelsVisible(ctx context.Context, spaceID int64, ids []int64) ([]Label, error) {
	return labelRows(q.db.Query(ctx, labelSelect+` WHERE l.id = ANY($1) AND l.space_id IN ($2, -1) ORDER BY l.id`,
		ids, spaceID))
}

// LabelsOfTemplates returns the labels attached to each template, ordered
// by (space_id, parent_id, name) as BKFlow lists them.
func (q *Queries) LabelsOfTemplates(ctx context.Context, templateIDs []int64) (map[int64][]Label, error) {
	return q.labelsOf(ctx, `template_labels`, `template_id`, templateIDs)
}

// LabelsOfTasks returns the labels attached to each task, ordered as
// LabelsOfTemplates.
func (q *Queries) LabelsOfTasks(ctx context.Context, taskIDs []int64) (map[int64][]Label, error) {
	return q.labelsOf(ctx, `task_labels`, `task_id`, taskIDs)
}

func (q *Queries) labelsOf(ctx context.Context, table, column string, ids []int64) (map[int64][]Label, error) {
	out := make(map[int64][]Label, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := q.db.Query(ctx, `SELECT r.`+column+` AS owner_id, l.id, l.space_id, l.parent_id, l.name, l.color,
		l.description, l.label_scope, l.is_default, l.creator, l.updated_by, l.created_at, l.updated_at,
		p.name AS parent_name, EXISTS (SELECT 1 FROM labels c WHERE c.parent_id = l.id) AS has_children
		FROM `+table+` r JOIN labels l ON l.id = r.label_id LEFT JOIN labels p ON p.id = l.parent_id
		WHERE r.`+column+` = ANY($1)
		ORDER BY l.space_id, l.parent_id NULLS FIRST, l.name`, ids)
	if err != nil {
		return nil, interpretError(err)
	}
	type owned struct {
		OwnerID int64 `db:"owner_id"`
		Label
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[owned])
	if err != nil {
		return nil, interpretError(err)
	}
	for _, o := range list {
		out[o.OwnerID] = append(out[o.OwnerID], o.Label)
	}
	return out, nil
}

// TemplateLabelsSet replaces the labels of a template.
func (q *Queries) TemplateLabelsSet(ctx context.Context, templateID int64, labelIDs []int64) error {
	return q.labelsSet(ctx, `template_labels`, `template_id`, templateID, labelIDs)
}

// TaskLabelsSet replaces the labels of a task.
func (q *Queries) TaskLabelsSet(ctx context.Context, taskID int64, labelIDs []int64) error {
	return q.labelsSet(ctx, `task_labels`, `task_id`, taskID, labelIDs)
}

func (q *Queries) labelsSet(ctx context.Context, table, column string, id int64, labelIDs []int64) error {
	if labelIDs == nil {
		labelIDs = []int64{}
	}
	if _, err := q.db.Exec(ctx, `DELETE FROM `+table+` WHERE `+column+` = $1 AND NOT (label_id = ANY($2))`,
		id, labelIDs); err != nil {
		return interpretError(err)
	}
	_, err := q.db.Exec(ctx, `INSERT INTO `+table+` (`+column+`, label_id) SELECT $1, unnest($2::bigint[])
		ON CONFLICT DO NOTHING`, id, labelIDs)
	return interpretError(err)
}

// LabelIDsByNames resolves BKFlow's label-name filter: every label of the
// space (or default label) whose name contains one of names
// (case-insensitive), plus the direct children of those labels.
func (q *Queries) LabelIDsByNames(ctx context.Context, spaceID int64, names []string) ([]int64, error) {
	if len(names) == 0 {
		return nil, nil
	}
	patterns := make([]string, len(names))
	for i, n := range names {
		patterns[i] = "%" + escapeLike(n) + "%"
	}
	rows, err := q.db.Query(ctx, `WITH hit AS (
			SELECT id FROM labels WHERE space_id IN ($1, -1) AND name ILIKE ANY($2))
		SELECT id FROM hit UNION SELECT c.id FROM labels c JOIN hit ON c.parent_id = hit.id ORDER BY 1`,
		spaceID, patterns)
	if err != nil {
		return nil, interpretError(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return ids, interpretError(err)
}

// LabelParentsAmong returns those of ids that are the parent of a label of
// space (parents cannot be attached on their own).
func (q *Queries) LabelParentsAmong(ctx context.Context, spaceID int64, ids []int64) ([]int64, error) {
	rows, err := q.db.Query(ctx, `SELECT DISTINCT parent_id FROM labels WHERE space_id = $1 AND parent_id = ANY($2)
		ORDER BY 1`, spaceID, ids)
	if err != nil {
		return nil, interpretError(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return out, interpretError(err)
}

// LabelLockSpace takes a transaction-scoped lock on the labels of space, so
// that the checks before a label write (sibling names, parent references,
// creating a missing root) and the write itself are atomic against other
// label writes of the space.
func (q *Queries) LabelLockSpace(ctx context.Context, spaceID int64) error {
	_, err := q.db.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('bkflow.labels.' || ($1::bigint)::text, 0))`, spaceID)
	return interpretError(err)
}

// LabelCreateParams are the fields of a new label.
type LabelCreateParams struct {
	SpaceID     int64
	ParentID    *int64
	Name        string
	Color       string
	Description *string
	LabelScope  []string
	Creator     string
	Now         time.Time
}

// LabelCreate inserts a label and returns it; ErrConflict (labels_name_key)
// when a sibling has the same name.
func (q *Queries) LabelCreate(ctx context.Context, p LabelCreateParams) (Label, error) {
	var id int64
	err := q.db.QueryRow(ctx, `INSERT INTO labels (space_id, parent_id, name, color, description, label_scope,
		creator, updated_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $8) RETURNING id`,
		p.SpaceID, p.ParentID, p.Name, p.Color, p.Description, p.LabelScope, truncate(p.Creator, 32), p.Now).Scan(&id)
	if err != nil {
		return Label{}, interpretError(err)
	}
	return q.LabelGet(ctx, id)
}

// LabelGet returns the label with id (of any space), or ErrNotFound.
func (q *Queries) LabelGet(ctx context.Context, id int64) (Label, error) {
	return labelOne(q.db.Query(ctx, labelSelect+` WHERE l.id = $1`, id))
}

// LabelRootByName returns the root label of space named name, or
// ErrNotFound. Default labels are not considered.
func (q *Queries) LabelRootByName(ctx context.Context, spaceID int64, name string) (Label, error) {
	return labelOne(q.db.Query(ctx, labelSelect+` WHERE l.space_id = $1 AND l.parent_id IS NULL AND l.name = $2`,
		spaceID, name))
}

// LabelNameTaken reports whether another label of space than exceptID (0
// for none) has name under the same parent (nil: among the roots).
func (q *Queries) LabelNameTaken(ctx context.Context, spaceID int64, parentID *int64, name string, exceptID int64) (bool, error) {
	var taken bool
	err := q.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM labels WHERE space_id = $1
		AND parent_id IS NOT DISTINCT FROM $2 AND name = $3 AND id <> $4)`, spaceID, parentID, name, exceptID).Scan(&taken)
	return taken, interpretError(err)
}

// LabelChildren returns the children of label id, ordered by name.
func (q *Queries) LabelChildren(ctx context.Context, id int64) ([]Label, error) {
	return labelRows(q.db.Query(ctx, labelSelect+` WHERE l.parent_id = $1 ORDER BY l.name, l.id`, id))
}

// LabelReferenced reports whether a live (not deleted) template or task
// carries label id.
func (q *Queries) LabelReferenced(ctx context.Context, id int64) (bool, error) {
	var ok bool
	err := q.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM template_labels r JOIN templates t ON t.id = r.template_id
			WHERE r.label_id = $1 AND NOT t.is_deleted)
		OR EXISTS (SELECT 1 FROM task_labels r JOIN tasks k ON k.id = r.task_id
			WHERE r.label_id = $1 AND NOT k.is_deleted)`, id).Scan(&ok)
	return ok, interpretError(err)
}

// Label list orders (BKFlow's order_by values without the "-").
const (
	LabelOrderCreatedAt = "created_at"
	LabelOrderUpdatedAt = "updated_at"
	LabelOrderName      = "name"
)

// LabelListParams filter and page get_label_list.
type LabelListParams struct {
	SpaceID int64
	// Scope keeps labels whose scope has Scope or "common" ("" keeps all).
	Scope string
	// ParentID keeps the children of one label; nil with RootsOnly keeps
	// the roots.
	ParentID  *int64
	RootsOnly bool
	// Name keeps labels whose name contains it, case-insensitively.
	Name      string
	IsDefault *bool
	// OrderBy is one of the LabelOrder constants; Desc reverses it. Ties
	// are broken by id in the same direction.
	OrderBy       string
	Desc          bool
	Offset, Limit int
}

// LabelList returns one page of the labels space can see (its own and the
// default labels) and how many match in all.
func (q *Queries) LabelList(ctx context.Context, p LabelListParams) ([]Label, int, error) {
	cond := `l.space_id IN ($1, -1)`
	args := []any{p.SpaceID}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if p.Scope != "" {
		cond += ` AND (` + arg(p.Scope) + ` = ANY(l.label_scope) OR 'common' = ANY(l.label_scope))`
	}
	if p.ParentID != nil {
		cond += ` AND l.parent_id = ` + arg(*p.ParentID)
	} else if p.RootsOnly {
		cond += ` AND l.parent_id IS NULL`
	}
	if p.Name != "" {
		cond += ` AND l.name ILIKE ` + arg("%"+escapeLike(p.Name)+"%")
	}
	if p.IsDefault != nil {
		cond += ` AND l.is_default = ` + arg(*p.IsDefault)
	}
	col := LabelOrderUpdatedAt
	switch p.OrderBy {
	case LabelOrderCreatedAt, LabelOrderName:
		col = p.OrderBy
	}
	dir := ` ASC`
	if p.Desc {
		dir = ` DESC`
	}
	return listPage[Label](ctx, q, listQuery{Columns: labelColumns, From: labelTables, CountFrom: "labels l", Where: cond,
		Order: `l.` + col + dir + `, l.id` + dir, Args: args, Limit: p.Limit, Offset: p.Offset})
}

// LabelsForTree returns every label space can see whose scope has scope or
// "common" ("" for all), ordered by name.
func (q *Queries) LabelsForTree(ctx context.Context, spaceID int64, scope string) ([]Label, error) {
	return labelRows(q.db.Query(ctx, labelSelect+` WHERE l.space_id IN ($1, -1)
		AND ($2 = '' OR $2 = ANY(l.label_scope) OR 'common' = ANY(l.label_scope))
		ORDER BY l.name, l.id`, spaceID, scope))
}

// LabelUpdateParams change a label; nil fields are left as they are.
type LabelUpdateParams struct {
	ID    int64
	Name  *string
	Color *string
	// DescriptionSet writes Description (which may be nil: NULL).
	DescriptionSet bool
	Description    *string
	LabelScope     []string
	UpdatedBy      string
	Now            time.Time
}

// LabelUpdate changes a label and returns it; ErrConflict (labels_name_key)
// when a sibling has the new name.
func (q *Queries) LabelUpdate(ctx context.Context, p LabelUpdateParams) (Label, error) {
	set := `updated_by = $2, updated_at = $3`
	args := []any{p.ID, truncate(p.UpdatedBy, 32), p.Now}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if p.Name != nil {
		set += `, name = ` + arg(*p.Name)
	}
	if p.Color != nil {
		set += `, color = ` + arg(*p.Color)
	}
	if p.DescriptionSet {
		set += `, description = ` + arg(p.Description)
	}
	if p.LabelScope != nil {
		set += `, label_scope = ` + arg(p.LabelScope)
	}
	if err := affected(q.db.Exec(ctx, `UPDATE labels SET `+set+` WHERE id = $1`, args...)); err != nil {
		return Label{}, err
	}
	return q.LabelGet(ctx, p.ID)
}

// LabelDelete deletes label id of space with its children; their
// attachments to templates and tasks go with them (foreign keys cascade).
// ErrNotFound when space has no such label.
func (q *Queries) LabelDelete(ctx context.Context, spaceID, id int64) error {
	return affected(q.db.Exec(ctx, `DELETE FROM labels WHERE id = $1 AND space_id = $2`, id, spaceID))
}

// LabelRefCount is how many live templates and tasks carry a label.
type LabelRefCount struct {
	TemplateCount int64 `db:"template_count"`
	TaskCount     int64 `db:"task_count"`
}

// LabelRefCounts counts, for each of ids that space can see, the distinct
// live (not deleted) templates and tasks of space carrying the label or,
// for a root, the label or any of its children. Ids space cannot see are
// left out.
func (q *Queries) LabelRefCounts(ctx context.Context, spaceID int64, ids []int64) (map[int64]LabelRefCount, error) {
	out := make(map[int64]LabelRefCount, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := q.db.Query(ctx, `WITH req AS (
			SELECT id FROM labels WHERE id = ANY($2) AND space_id IN ($1, -1)),
		members AS (
			SELECT req.id AS req_id, req.id AS label_id FROM req
			UNION SELECT req.id, c.id FROM req JOIN labels c ON c.parent_id = req.id AND c.space_id IN ($1, -1)),
		grp AS (SELECT req_id, array_agg(label_id) AS label_ids FROM members GROUP BY req_id)
		SELECT g.req_id,
			(SELECT count(DISTINCT r.template_id) FROM template_labels r JOIN templates t ON t.id = r.template_id
				WHERE r.label_id = ANY(g.label_ids) AND t.space_id = $1 AND NOT t.is_deleted) AS template_count,
			(SELECT count(DISTINCT r.task_id) FROM task_labels r JOIN tasks k ON k.id = r.task_id
				WHERE r.label_id = ANY(g.label_ids) AND k.space_id = $1 AND NOT k.is_deleted) AS task_count
		FROM grp g`, spaceID, ids)
	if err != nil {
		return nil, interpretError(err)
	}
	type counted struct {
		ReqID int64 `db:"req_id"`
		LabelRefCount
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[counted])
	if err != nil {
		return nil, interpretError(err)
	}
	for _, c := range list {
		out[c.ReqID] = c.LabelRefCount
	}
	return out, nil
}

func labelOne(rows pgx.Rows, err error) (Label, error) {
	if err != nil {
		return Label{}, interpretError(err)
	}
	l, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Label])
	return l, interpretError(err)
}
