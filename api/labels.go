package api

import (
	"context"
	"fmt"
	"slices"

	"github.com/bkflow/bkflow/internal/store"
)

// labelJSON is a label object (BKFlow's LabelSerializer).
type labelJSON struct {
	ID          int64    `json:"id"`
	Name        string   `json:"name"`
	Creator     string   `json:"creator"`
	UpdatedBy   string   `json:"updated_by"`
	SpaceID     int64    `json:"space_id"`
	Color       string   `json:"color"`
	Description *string  `json:"description"`
	CreatedAt   string   `json:"created_at"`
	UpdatedAt   string   `json:"updated_at"`
	LabelScope  []string `json:"label_scope"`
	IsDefault   bool     `json:"is_default"`
	HasChildren bool     `json:"has_children"`
	FullPath    string   `json:"full_path"`
	ParentID    *int64   `json:"parent_id"`
}

// labelBrief is how task lists show labels.
type labelBrief struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Color    string `json:"color"`
	FullPath string `json:"full_path"`
}

func (f formatter) label(l store.Label) labelJSON {
	scope := l.LabelScope
	if scope == nil {
		scope = []string{}
	}
	return labelJSON{ID: l.ID, Name: l.Name, Creator: l.Creator, UpdatedBy: l.UpdatedBy, SpaceID: l.SpaceID,
		Color: l.Color, Description: l.Description, CreatedAt: f.drfTime(l.CreatedAt), UpdatedAt: f.drfTime(l.UpdatedAt),
		LabelScope: scope, IsDefault: l.IsDefault, HasChildren: l.HasChildren, FullPath: l.FullPath(), ParentID: l.ParentID}
}

func (f formatter) labels(ls []store.Label) []labelJSON {
	out := make([]labelJSON, len(ls))
	for i, l := range ls {
		out[i] = f.label(l)
	}
	return out
}

func briefLabels(ls []store.Label) []labelBrief {
	out := make([]labelBrief, len(ls))
	for i, l := range ls {
		out[i] = labelBrief{ID: l.ID, Name: l.Name, Color: l.Color, FullPath: l.FullPath()}
	}
	return out
}

// Label scopes: what a label may be attached to.
const (
	labelScopeTemplate = "template"
	labelScopeTask     = "task"
	labelScopeCommon   = "common"
)

// checkLabelIDs validates label ids to attach to a template or a task
// (scope labelScopeTemplate or labelScopeTask) of space, with BKFlow's
// messages under field: every label must exist in the space (or be a
// default label), have the scope or "common", and not be a parent. It
// returns the ids without duplicates, in the order given.
func checkLabelIDs(ctx context.Context, q *store.Queries, spaceID int64, ids []int64, scope, field string) ([]int64, error) {
	uniq := make([]int64, 0, len(ids))
	for _, id := range ids {
		if !slices.Contains(uniq, id) {
			uniq = append(uniq, id)
		}
	}
	if len(uniq) == 0 {
		return uniq, nil
	}
	found, err := q.LabelsVisible(ctx, spaceID, uniq)
	if err != nil {
		return nil, fmt.Errorf("load labels: %w", err)
	}
	if len(found) != len(uniq) {
		return nil, fieldError(field, "标签不存在，请检查 label_ids")
	}
	for _, l := range found {
		if !slices.Contains(l.LabelScope, scope) && !slices.Contains(l.LabelScope, labelScopeCommon) {
			return nil, fieldError(field, fmt.Sprintf("标签范围校验失败，请选择 %s 或 common 范围的标签", scope))
		}
	}
	parents, err := q.LabelParentsAmong(ctx, spaceID, uniq)
	if err != nil {
		return nil, fmt.Errorf("load labels: %w", err)
	}
	if len(parents) > 0 {
		return nil, fieldError(field, "父标签不能单独作为标签使用，请选择具体的子标签")
	}
	return uniq, nil
}

// labelsHandler serves a space's labels.
type labelsHandler struct {
	store *store.Store
	fmt   formatter
}

func (h *labelsHandler) routes(space *routes) {}
