package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Template is a template record. Its live tree is the snapshot SnapshotID
// points at; Version and MD5Sum are that snapshot's (joined in by the
// queries that return templates).
type Template struct {
	ID             int64           `db:"id"`
	SpaceID        int64           `db:"space_id"`
	SnapshotID     int64           `db:"snapshot_id"`
	Name           string          `db:"name"`
	Desc           *string         `db:"desc"`
	NotifyConfig   json.RawMessage `db:"notify_config"`
	ScopeType      *string         `db:"scope_type"`
	ScopeValue     *string         `db:"scope_value"`
	Source         *string         `db:"source"`
	IsEnabled      bool            `db:"is_enabled"`
	BKAppCode      *string         `db:"bk_app_code"`
	ExtraInfo      json.RawMessage `db:"extra_info"`
	WebhookConfigs json.RawMessage `db:"webhook_configs"`
	Creator        string          `db:"creator"`
	UpdatedBy      string          `db:"updated_by"`
	CreateAt       time.Time       `db:"create_at"`
	UpdateAt       time.Time       `db:"update_at"`
	IsDeleted      bool            `db:"is_deleted"`
	// The live snapshot's semver (nil before the first release of a
	// versioned template) and md5.
	Version *string `db:"version"`
	MD5Sum  string  `db:"md5sum"`
}

const templateColumns = `t.id, t.space_id, t.snapshot_id, t.name, t."desc", t.notify_config, t.scope_type,
	t.scope_value, t.source, t.is_enabled, t.bk_app_code, t.extra_info, t.webhook_configs, t.creator, t.updated_by,
	t.create_at, t.update_at, t.is_deleted, s.version, s.md5sum`

// templateTables are a template's row and its current snapshot's.
const templateTables = `templates t JOIN template_snapshots s ON s.id = t.snapshot_id`

const templateFrom = ` FROM ` + templateTables

func templateOne(rows pgx.Rows, err error) (Template, error) {
	if err != nil {
		return Template{}, interpretError(err)
	}
	t, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Template])
	return t, interpretError(err)
}

// Snapshot is one stored tree of a template: a draft or a version.
type Snapshot struct {
	ID         int64           `db:"id"`
	TemplateID int64           `db:"template_id"`
	Data       json.RawMessage `db:"data"`
	MD5Sum     string          `db:"md5sum"`
	Version    *string         `db:"version"`
	Desc       *string         `db:"desc"`
	Draft      bool            `db:"draft"`
	Creator    string          `db:"creator"`
	Operator   string          `db:"operator"`
	CreateTime time.Time       `db:"create_time"`
	UpdateTime time.Time       `db:"update_time"`
}

const snapshotColumns = `id, template_id, data, md5sum, version, "desc", draft, creator, operator, create_time, update_time`

func snapshotOne(rows pgx.Rows, err error) (Snapshot, error) {
	if err != nil {
		return Snapshot{}, interpretError(err)
	}
	s, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Snapshot])
	return s, interpretError(err)
}

// TemplateCreateParams are the fields of a new template and its first
// snapshot.
type TemplateCreateParams struct {
	SpaceID        int64
	Name           string
	Desc           *string
	NotifyConfig   json.RawMessage
	ScopeType      *string
	ScopeValue     *string
	Source         *string
	BKAppCode      *string
	ExtraInfo      json.RawMessage
	WebhookConfigs json.RawMessage
	Creator        string
	Tree           json.RawMessage
	MD5Sum         string
	// Version is the first snapshot's version; nil makes it a draft.
	Version *string
	Now     time.Time
}

// TemplateCreate inserts a template with its first snapshot. Run it in a
// transaction: the two rows point at each other.
func (q *Queries) TemplateCreate(ctx context.Context, p TemplateCreateParams) (Template, error) {
	var id int64
	if err := q.db.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('templates', 'id'))`).Scan(&id); err != nil {
		return Template{}, interpretError(err)
	}
	snap, err := q.SnapshotCreate(ctx, SnapshotCreateParams{TemplateID: id, Tree: p.Tree, MD5Sum: p.MD5Sum,
		Version: p.Version, Draft: p.Version == nil, Creator: p.Creator, Now: p.Now})
	if err != nil {
		return Template{}, err
	}
	if _, err := q.db.Exec(ctx, `INSERT INTO templates (id, space_id, snapshot_id, name, "desc", notify_config,
		scope_type, scope_value, source, bk_app_code, extra_info, webhook_configs, creator, updated_by, create_at, update_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14, $14)`,
		id, p.SpaceID, snap.ID, p.Name, p.Desc, jsonOr(p.NotifyConfig, `{}`), p.ScopeType, p.ScopeValue, p.Source,
		p.BKAppCode, jsonOr(p.ExtraInfo, `{}`), nullJSON(p.WebhookConfigs), p.Creator, p.Now); err != nil {
		return Template{}, interpretError(err)
	}
	return q.TemplateGet(ctx, id)
}

// TemplateGet returns a template (deleted ones too), or ErrNotFound.
func (q *Queries) TemplateGet(ctx context.Context, id int64) (Template, error) {
	return templateOne(q.db.Query(ctx, `SELECT `+templateColumns+templateFrom+` WHERE t.id = $1`, id))
}

// TemplateLock returns a template and locks its row until the transaction
// ends, so concurrent saves and releases of one template serialise.
func (q *Queries) TemplateLock(ctx context.Context, id int64) (Template, error) {
	return templateOne(q.db.Query(ctx, `SELECT `+templateColumns+templateFrom+` WHERE t.id = $1 FOR UPDATE OF t`, id))
}

// TemplateUpdateParams are the fields update_template may change; nil
// leaves a field as it is.
type TemplateUpdateParams struct {
	ID             int64
	Name           *string
	Desc           **string
	NotifyConfig   json.RawMessage
	ScopeType      *string
	ScopeValue     *string
	Source         **string
	ExtraInfo      json.RawMessage
	WebhookConfigs *json.RawMessage
	SnapshotID     *int64
	UpdatedBy      string
	Now            time.Time
}

// TemplateUpdate applies p.
func (q *Queries) TemplateUpdate(ctx context.Context, p TemplateUpdateParams) error {
	sets := []string{`updated_by = $2`, `update_at = $3`}
	args := []any{p.ID, p.UpdatedBy, p.Now}
	add := func(col string, v any) {
		args = append(args, v)
		sets = append(sets, fmt.Sprintf(`%s = $%d`, col, len(args)))
	}
	if p.Name != nil {
		add(`name`, *p.Name)
	}
	if p.Desc != nil {
		add(`"desc"`, *p.Desc)
	}
	if p.NotifyConfig != nil {
		add(`notify_config`, string(p.NotifyConfig))
	}
	if p.ScopeType != nil {
		add(`scope_type`, *p.ScopeType)
		add(`scope_value`, p.ScopeValue)
	}
	if p.Source != nil {
		add(`source`, *p.Source)
	}
	if p.ExtraInfo != nil {
		add(`extra_info`, string(p.ExtraInfo))
	}
	if p.WebhookConfigs != nil {
		add(`webhook_configs`, nullJSON(*p.WebhookConfigs))
	}
	if p.SnapshotID != nil {
		add(`snapshot_id`, *p.SnapshotID)
	}
	_, err := q.db.Exec(ctx, `UPDATE templates SET `+strings.Join(sets, ", ")+` WHERE id = $1`, args...)
	return interpretError(err)
}

// TemplatesSoftDelete marks templates of a space deleted and forgets what
// they reference and how they are labelled.
func (q *Queries) TemplatesSoftDelete(ctx context.Context, spaceID int64, ids []int64, now time.Time) error {
	if _, err := q.db.Exec(ctx, `UPDATE templates SET is_deleted = true, update_at = $3
		WHERE space_id = $1 AND id = ANY($2) AND NOT is_deleted`, spaceID, ids, now); err != nil {
		return interpretError(err)
	}
	if _, err := q.db.Exec(ctx, `DELETE FROM template_references WHERE root_template_id = ANY($1)`, ids); err != nil {
		return interpretError(err)
	}
	_, err := q.db.Exec(ctx, `DELETE FROM template_labels WHERE template_id = ANY($1)`, ids)
	return interpretError(err)
}

// TemplatesLive returns those of ids that are live (not deleted) templates
// of space, sorted.
func (q *Queries) TemplatesLive(ctx context.Context, spaceID int64, ids []int64) ([]int64, error) {
	rows, err := q.db.Query(ctx, `SELECT id FROM templates WHERE space_id = $1 AND id = ANY($2) AND NOT is_deleted
		ORDER BY id`, spaceID, ids)
	if err != nil {
		return nil, interpretError(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return out, interpretError(err)
}

// TemplateFilter selects templates for get_template_list.
type TemplateFilter struct {
	// Where is an extra condition on the templates table, aliased t (a
	// permission filter).
	Where         *Condition
	SpaceID       int64
	IDs           []int64
	Name          string
	Creator       string
	UpdatedBy     string
	ScopeType     *string
	ScopeValue    *string
	CreatedAfter  *time.Time
	CreatedBefore *time.Time
	// LabelIDs keeps templates with any of these labels; a non-nil empty
	// list matches nothing.
	LabelIDs []int64
	// OrderBy is a column of templates, optionally prefixed with "-"
	// (checked by the caller with TemplateOrderable).
	OrderBy string
	Offset  int
	Limit   int
}

// TemplateOrderable reports whether get_template_list may order by col.
func TemplateOrderable(col string) bool {
	switch col {
	case "id", "name", "create_at", "update_at", "creator", "updated_by", "scope_type", "scope_value", "source":
		return true
	}
	return false
}

// TemplateList returns one page of the templates f selects and how many it
// selects in all.
func (q *Queries) TemplateList(ctx context.Context, f TemplateFilter) ([]Template, int, error) {
	where := []string{`t.space_id = $1`, `NOT t.is_deleted`}
	args := []any{f.SpaceID}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", fmt.Sprintf("$%d", len(args))))
	}
	if f.IDs != nil {
		add(`t.id = ANY(?)`, f.IDs)
	}
	if f.Name != "" {
		add(`t.name ILIKE ?`, "%"+escapeLike(f.Name)+"%")
	}
	if f.Creator != "" {
		add(`t.creator = ?`, f.Creator)
	}
	if f.UpdatedBy != "" {
		add(`t.updated_by = ?`, f.UpdatedBy)
	}
	if f.ScopeType != nil {
		add(`t.scope_type = ?`, *f.ScopeType)
	}
	if f.ScopeValue != nil {
		add(`t.scope_value = ?`, *f.ScopeValue)
	}
	if f.CreatedAfter != nil {
		add(`t.create_at >= ?`, *f.CreatedAfter)
	}
	if f.CreatedBefore != nil {
		add(`t.create_at <= ?`, *f.CreatedBefore)
	}
	if f.LabelIDs != nil {
		add(`EXISTS (SELECT 1 FROM template_labels tl WHERE tl.template_id = t.id AND tl.label_id = ANY(?))`, f.LabelIDs)
	}
	if f.Where != nil {
		var c string
		c, args = f.Where.render(args)
		where = append(where, c)
	}
	return listPage[Template](ctx, q, listQuery{Columns: templateColumns, From: templateTables, CountFrom: "templates t",
		Where: strings.Join(where, " AND "), Order: orderClause("t.", f.OrderBy, "-create_at"), Args: args,
		Limit: f.Limit, Offset: f.Offset})
}

// orderClause turns "-col" / "col" into an ORDER BY clause with the id as a
// tie-breaker in the same direction. col must already be checked.
func orderClause(prefix, orderBy, def string) string {
	if orderBy == "" {
		orderBy = def
	}
	dir := "ASC"
	col := orderBy
	if strings.HasPrefix(orderBy, "-") {
		dir, col = "DESC", orderBy[1:]
	}
	if col == "id" {
		return prefix + "id " + dir
	}
	return fmt.Sprintf(`%s%s %s, %sid %s`, prefix, col, dir, prefix, dir)
}

// SnapshotCreateParams are the fields of a new snapshot.
type SnapshotCreateParams struct {
	TemplateID int64
	Tree       json.RawMessage
	MD5Sum     string
	Version    *string
	Desc       *string
	Draft      bool
	Creator    string
	Now        time.Time
}

// SnapshotCreate inserts a snapshot.
func (q *Queries) SnapshotCreate(ctx context.Context, p SnapshotCreateParams) (Snapshot, error) {
	return snapshotOne(q.db.Query(ctx, `INSERT INTO template_snapshots (template_id, data, md5sum, version, "desc",
		draft, creator, operator, create_time, update_time) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $8)
		RETURNING `+snapshotColumns, p.TemplateID, string(p.Tree), p.MD5Sum, p.Version, p.Desc, p.Draft, p.Creator, p.Now))
}

// SnapshotGet returns a snapshot.
func (q *Queries) SnapshotGet(ctx context.Context, id int64) (Snapshot, error) {
	return snapshotOne(q.db.Query(ctx, `SELECT `+snapshotColumns+` FROM template_snapshots WHERE id = $1`, id))
}

// SnapshotDraft returns a template's draft, or ErrNotFound.
func (q *Queries) SnapshotDraft(ctx context.Context, templateID int64) (Snapshot, error) {
	return snapshotOne(q.db.Query(ctx, `SELECT `+snapshotColumns+` FROM template_snapshots
		WHERE template_id = $1 AND draft`, templateID))
}

// SnapshotByVersion returns a template's released version, or ErrNotFound.
func (q *Queries) SnapshotByVersion(ctx context.Context, templateID int64, version string) (Snapshot, error) {
	return snapshotOne(q.db.Query(ctx, `SELECT `+snapshotColumns+` FROM template_snapshots
		WHERE template_id = $1 AND version = $2 AND NOT draft`, templateID, version))
}

// SnapshotByMD5 returns the latest snapshot of a template with that md5, or
// ErrNotFound.
func (q *Queries) SnapshotByMD5(ctx context.Context, templateID int64, md5 string) (Snapshot, error) {
	return snapshotOne(q.db.Query(ctx, `SELECT `+snapshotColumns+` FROM template_snapshots
		WHERE template_id = $1 AND md5sum = $2 ORDER BY id DESC LIMIT 1`, templateID, md5))
}

// SnapshotVersions returns a template's released versions, oldest first.
func (q *Queries) SnapshotVersions(ctx context.Context, templateID int64) ([]string, error) {
	rows, err := q.db.Query(ctx, `SELECT version FROM template_snapshots WHERE template_id = $1 AND version IS NOT NULL
		AND NOT draft ORDER BY id`, templateID)
	if err != nil {
		return nil, interpretError(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return out, interpretError(err)
}

// SnapshotSetTree replaces a snapshot's tree (a draft being edited).
func (q *Queries) SnapshotSetTree(ctx context.Context, id int64, tree json.RawMessage, md5, operator string, now time.Time) error {
	_, err := q.db.Exec(ctx, `UPDATE template_snapshots SET data = $2, md5sum = $3, operator = $4, update_time = $5
		WHERE id = $1`, id, string(tree), md5, operator, now)
	return interpretError(err)
}

// SnapshotRelease turns a draft into the released version.
func (q *Queries) SnapshotRelease(ctx context.Context, id int64, version string, desc *string, operator string, now time.Time) error {
	_, err := q.db.Exec(ctx, `UPDATE template_snapshots SET draft = false, version = $2, "desc" = $3, operator = $4,
		update_time = $5 WHERE id = $1`, id, version, desc, operator, now)
	return interpretError(err)
}

// TemplateReference is one subprocess node of a template's live tree.
type TemplateReference struct {
	RootTemplateID       int64  `db:"root_template_id"`
	SubprocessTemplateID int64  `db:"subprocess_template_id"`
	SubprocessNodeID     string `db:"subprocess_node_id"`
	Version              string `db:"version"`
	AlwaysUseLatest      bool   `db:"always_use_latest"`
}

// ReferencesReplace sets the subprocess references of a template.
func (q *Queries) ReferencesReplace(ctx context.Context, rootID int64, refs []TemplateReference) error {
	if _, err := q.db.Exec(ctx, `DELETE FROM template_references WHERE root_template_id = $1`, rootID); err != nil {
		return interpretError(err)
	}
	if len(refs) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for _, r := range refs {
		b.Queue(`INSERT INTO template_references (root_template_id, subprocess_template_id, subprocess_node_id, version,
			always_use_latest) VALUES ($1, $2, $3, $4, $5)`, rootID, r.SubprocessTemplateID, r.SubprocessNodeID, r.Version,
			r.AlwaysUseLatest)
	}
	return interpretError(q.db.SendBatch(ctx, b).Close())
}

// Referrer is a live template of the space that runs a template as a
// subprocess.
type Referrer struct {
	SubprocessTemplateID int64  `db:"subprocess_template_id"`
	RootTemplateID       int64  `db:"root_template_id"`
	RootTemplateName     string `db:"root_template_name"`
}

// TemplateReferrers returns the live templates of space, other than those
// in exclude, that run any of ids as a subprocess (one row per pair).
func (q *Queries) TemplateReferrers(ctx context.Context, spaceID int64, ids, exclude []int64) ([]Referrer, error) {
	if exclude == nil {
		exclude = []int64{}
	}
	rows, err := q.db.Query(ctx, `SELECT DISTINCT r.subprocess_template_id, r.root_template_id, t.name AS root_template_name
		FROM template_references r JOIN templates t ON t.id = r.root_template_id
		WHERE r.subprocess_template_id = ANY($2) AND t.space_id = $1 AND NOT t.is_deleted
		AND NOT (r.root_template_id = ANY($3))
		ORDER BY r.subprocess_template_id, r.root_template_id`, spaceID, ids, exclude)
	if err != nil {
		return nil, interpretError(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[Referrer])
	return out, interpretError(err)
}

// jsonOr sends an empty value as def.
func jsonOr(b json.RawMessage, def string) string {
	if len(b) == 0 {
		return def
	}
	return string(b)
}

// TemplatesReaching returns those of starts whose subprocesses, followed
// transitively, reach target (saving target with them would loop).
func (q *Queries) TemplatesReaching(ctx context.Context, starts []int64, target int64) ([]int64, error) {
	rows, err := q.db.Query(ctx, `WITH RECURSIVE walk(start_id, tid) AS (
			SELECT s, s FROM unnest($1::bigint[]) s
			UNION
			SELECT w.start_id, r.subprocess_template_id FROM walk w
			JOIN template_references r ON r.root_template_id = w.tid)
		SELECT DISTINCT start_id FROM walk WHERE tid = $2 ORDER BY 1`, starts, target)
	if err != nil {
		return nil, interpretError(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return out, interpretError(err)
}
