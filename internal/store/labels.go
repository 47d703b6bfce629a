package store

import (
	"context"
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
const labelSelect = `SELECT l.id, l.space_id, l.parent_id, l.name, l.color, l.description, l.label_scope, l.is_default,
	l.creator, l.updated_by, l.created_at, l.updated_at, p.name AS parent_name,
	EXISTS (SELECT 1 FROM labels c WHERE c.parent_id = l.id) AS has_children
	FROM labels l LEFT JOIN labels p ON p.id = l.parent_id`

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
