package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

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

// labelIDsRequest is the body of a template's or task's update_labels.
type labelIDsRequest struct {
	LabelIDs []int64 `json:"label_ids" doc:"required; [] clears"`
}

// replaceLabels serves update_labels for a template or a task of space: it
// checks the request's label_ids against scope and, in the same
// transaction, hands them to set, which replaces the object's labels. It
// answers the ids without duplicates.
func replaceLabels(r *http.Request, st *store.Store, spaceID int64, scope string,
	set func(ctx context.Context, q *store.Queries, ids []int64) error) (any, error) {
	var req labelIDsRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if req.LabelIDs == nil {
		return nil, fieldError("label_ids", msgRequired)
	}
	ctx := r.Context()
	var ids []int64
	err := st.InTx(ctx, func(q *store.Queries) error {
		var err error
		if ids, err = checkLabelIDs(ctx, q, spaceID, req.LabelIDs, scope, "label_ids"); err != nil {
			return err
		}
		return set(ctx, q, ids)
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

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

// labelsHandler serves a space's labels: a two-level tree (roots and their
// children) that templates and tasks are tagged with. Default labels
// (space_id -1) are listed in every space but cannot be changed through the
// API.
type labelsHandler struct {
	store *store.Store
	fmt   formatter
}

func (h *labelsHandler) routes(space *routes) {
	space.add(route{Method: http.MethodPost, Path: "/space/{space_id}/create_label/", OperationID: "create_label",
		Tag: "label", AppAuth: true,
		Summary: `Create a label; "root/child" creates the child under root, creating root first when it is missing`,
		Request: createLabelRequest{}, Response: labelJSON{}, Handler: h.create})
	space.add(route{Method: http.MethodGet, Path: "/space/{space_id}/get_label_list/", OperationID: "get_label_list",
		Tag: "label", AppAuth: true, Summary: "List the space's labels and the default labels (count at the top level)",
		Query: []queryParam{
			{Name: "label_scope", Type: "string", Description: "task, template or common: labels with this scope or common"},
			{Name: "parent_id", Type: "integer", Description: "the children of this label"},
			{Name: "name", Type: "string", Description: "name contains (case-insensitive)"},
			{Name: "is_default", Type: "boolean", Description: "default labels only (true) or none of them (false)"},
			{Name: "include_children", Type: "boolean", Description: "without parent_id: children too (default: roots only)"},
			{Name: "order_by", Type: "string", Description: "created_at, updated_at or name, - for descending (default -updated_at)"},
			{Name: "offset", Type: "integer", Description: "default 0"},
			{Name: "limit", Type: "integer", Description: "default 100, at most 200"},
		}, Response: listResult{Data: []labelJSON{}}, Handler: h.list})
	space.add(route{Method: http.MethodGet, Path: "/space/{space_id}/get_label_tree/", OperationID: "get_label_tree",
		Tag: "label", AppAuth: true, Summary: "The labels as a tree of roots and children, sorted by name (count of roots at the top level)",
		Query: []queryParam{
			{Name: "label_scope", Type: "string", Description: "task, template or common: labels with this scope or common"},
			{Name: "offset", Type: "integer", Description: "pages the roots (only when offset or limit is given); default 0"},
			{Name: "limit", Type: "integer", Description: "pages the roots (only when offset or limit is given); default 100, at most 200"},
		}, Response: listResult{Data: []labelTreeNode{}}, Handler: h.tree})
	space.add(route{Method: http.MethodGet, Path: "/space/{space_id}/label/{label_id}/get_label_detail/",
		OperationID: "get_label_detail", Tag: "label", AppAuth: true, Summary: "One label of the space, or a default label",
		Response: labelJSON{}, Handler: h.detail})
	for _, m := range []string{http.MethodPatch, http.MethodPut} {
		space.add(route{Method: m, Path: "/space/{space_id}/update_label/{label_id}/", OperationID: "update_label_" + strings.ToLower(m),
			Tag: "label", AppAuth: true, Summary: "Change some fields of a label of the space (" + m + " is partial too)",
			Request: updateLabelRequest{}, Response: labelJSON{}, Handler: h.update})
	}
	space.add(route{Method: http.MethodPost, Path: "/space/{space_id}/delete_label/{label_id}/", OperationID: "delete_label",
		Tag: "label", AppAuth: true, Summary: "Delete a label of the space with its children; templates and tasks lose them",
		Response: struct{}{}, Handler: h.delete})
	space.add(route{Method: http.MethodGet, Path: "/space/{space_id}/get_label_ref_count/", OperationID: "get_label_ref_count",
		Tag: "label", AppAuth: true,
		Summary:  "How many live templates and tasks of the space carry each label (a root: itself or any of its children)",
		Query:    []queryParam{{Name: "label_ids", Type: "string", Required: true, Description: "comma-separated label ids, e.g. 1,2,3"}},
		Response: map[string]labelRefCountJSON{}, Handler: h.refCount})
}

// Label field rules (BKFlow's LabelSerializer).
const (
	labelNameMax        = 20
	labelDescriptionMax = 255
	labelDefaultColor   = "#dcffe2"
)

var labelColorPattern = regexp.MustCompile(`^#[0-9A-Fa-f]{6}$`)

// labelScopes are the valid label_scope items, in the order messages list them.
var labelScopes = []string{labelScopeTask, labelScopeTemplate, labelScopeCommon}

type createLabelRequest struct {
	Name        *string   `json:"name" doc:"required; \"root/child\" creates child under the space's root label root (created first, with the same fields, when missing); each part at most 20 characters"`
	Color       *string   `json:"color" doc:"#rrggbb (default #dcffe2)"`
	LabelScope  *[]string `json:"label_scope" doc:"required, at least one of task, template, common; a child's scope must be a subset of its parent's"`
	Description *string   `json:"description" doc:"at most 255 characters; may be null"`
	ParentID    *int64    `json:"parent_id" doc:"the root label of the space to create this label under (the root/child form wins)"`
}

type updateLabelRequest struct {
	Name        *string   `json:"name" doc:"at most 20 characters, no /; unique among the label's siblings"`
	Color       *string   `json:"color" doc:"#rrggbb"`
	LabelScope  *[]string `json:"label_scope" doc:"at least one of task, template, common; must cover the children's scopes and be a subset of the parent's"`
	Description *string   `json:"description" doc:"at most 255 characters; null clears it"`
	ParentID    *int64    `json:"parent_id" doc:"accepted when unchanged: the hierarchy cannot be changed"`
}

// labelTreeNode is a label in get_label_tree, with its children.
type labelTreeNode struct {
	labelJSON
	Children []labelTreeNode `json:"children"`
}

type labelRefCountJSON struct {
	TemplateCount int64 `json:"template_count"`
	TaskCount     int64 `json:"task_count"`
}

// labelRefCounts renders get_label_ref_count: an object keyed by the label
// ids as strings, in the order they were asked for.
type labelRefCounts struct {
	ids    []int64
	counts map[int64]store.LabelRefCount
}

// MarshalJSON writes the counts in request order.
func (c labelRefCounts) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, id := range c.ids {
		if i > 0 {
			buf.WriteByte(',')
		}
		n := c.counts[id]
		v, err := json.Marshal(labelRefCountJSON{TemplateCount: n.TemplateCount, TaskCount: n.TaskCount})
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&buf, `"%d":`, id)
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// checkLabelName validates a label name: trimmed, non-blank, at most 20
// characters per part. With path, "root/child" is split into its two parts;
// without, any "/" is refused. It returns the parts.
func checkLabelName(fe FieldErrors, v *string, path bool) []string {
	name := checkString(fe, "name", v, 1<<20, true)
	if name == "" {
		return nil
	}
	raw := strings.Split(name, "/")
	if len(raw) > 2 || (!path && len(raw) > 1) {
		fe.Add("name", "标签名称层级不能超过两层")
		return nil
	}
	parts := make([]string, len(raw))
	for i, p := range raw {
		parts[i] = strings.TrimSpace(p)
		if parts[i] == "" {
			fe.Add("name", `both parts of "root/child" must be non-blank`)
			return nil
		}
		if utf8.RuneCountInString(parts[i]) > labelNameMax {
			fe.Add("name", fmt.Sprintf("标签名称长度不能超过%d个字符", labelNameMax))
			return nil
		}
	}
	return parts
}

func checkLabelColor(fe FieldErrors, v *string) string {
	c := checkString(fe, "color", v, 7, true)
	if _, bad := fe["color"]; !bad && !labelColorPattern.MatchString(c) {
		fe.Add("color", "颜色格式错误")
	}
	return c
}

// checkLabelScopeList validates label_scope: at least one known scope.
// Duplicates are dropped, keeping the first.
func checkLabelScopeList(fe FieldErrors, v *[]string) []string {
	if v == nil {
		fe.Add("label_scope", msgRequired)
		return nil
	}
	if len(*v) == 0 {
		fe.Add("label_scope", "Ensure this field has at least 1 elements.")
		return nil
	}
	out := make([]string, 0, len(*v))
	for _, s := range *v {
		if !slices.Contains(labelScopes, s) {
			fe.Add("label_scope", fmt.Sprintf("%q is not a valid choice: use task, template or common", s))
			return nil
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func checkLabelDescription(fe FieldErrors, v *string) *string {
	if v == nil {
		return nil
	}
	d := strings.TrimSpace(*v)
	if utf8.RuneCountInString(d) > labelDescriptionMax {
		fe.Add("description", msgMaxLength(labelDescriptionMax))
	}
	return &d
}

// subset reports whether every item of a is in b.
func subset(a, b []string) bool {
	for _, s := range a {
		if !slices.Contains(b, s) {
			return false
		}
	}
	return true
}

func msgLabelNameTaken(name string) string {
	return fmt.Sprintf("该空间下已存在名称为「%s」的标签", name)
}

func (h *labelsHandler) create(r *http.Request) (any, error) {
	var req createLabelRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	fe := FieldErrors{}
	parts := checkLabelName(fe, req.Name, true)
	color := labelDefaultColor
	if req.Color != nil {
		color = checkLabelColor(fe, req.Color)
	}
	scope := checkLabelScopeList(fe, req.LabelScope)
	desc := checkLabelDescription(fe, req.Description)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	ctx := r.Context()
	sp := spaceFrom(ctx)
	p := store.LabelCreateParams{SpaceID: sp.ID, Name: parts[len(parts)-1], Color: color, Description: desc,
		LabelScope: scope, Creator: callerFrom(ctx).Username, Now: h.fmt.now()}
	var out store.Label
	err := h.store.InTx(ctx, func(q *store.Queries) error {
		if err := q.LabelLockSpace(ctx, sp.ID); err != nil {
			return fmt.Errorf("lock labels: %w", err)
		}
		var parent *store.Label
		switch {
		case len(parts) == 2:
			root, err := q.LabelRootByName(ctx, sp.ID, parts[0])
			if errors.Is(err, store.ErrNotFound) {
				rp := p
				rp.Name = parts[0]
				root, err = q.LabelCreate(ctx, rp)
			}
			if err != nil {
				return fmt.Errorf("root label %q: %w", parts[0], err)
			}
			parent = &root
		case req.ParentID != nil:
			pl, err := q.LabelGet(ctx, *req.ParentID)
			if errors.Is(err, store.ErrNotFound) || (err == nil && pl.SpaceID != sp.ID && pl.SpaceID != store.DefaultLabelSpace) {
				return fieldError("parent_id", "父标签不存在")
			}
			if err != nil {
				return fmt.Errorf("load label %d: %w", *req.ParentID, err)
			}
			if pl.SpaceID == store.DefaultLabelSpace {
				return fieldError("parent_id", fmt.Sprintf("label %d is a default label: default labels cannot get children through the API", pl.ID))
			}
			parent = &pl
		}
		fe := FieldErrors{}
		if parent != nil {
			p.ParentID = &parent.ID
			if parent.ParentID != nil {
				fe.Add("parent_id", "子标签不能作为父标签")
			} else if used, err := q.LabelReferenced(ctx, parent.ID); err != nil {
				return fmt.Errorf("label %d references: %w", parent.ID, err)
			} else if used {
				fe.Add("parent_id", "父标签已被模板或任务引用，不允许挂载子标签，如需要请先删除父标签的引用")
			}
			if !subset(scope, parent.LabelScope) {
				fe.Add("label_scope", "子标签的范围必须是父标签的子集")
			}
		}
		taken, err := q.LabelNameTaken(ctx, sp.ID, p.ParentID, p.Name, 0)
		if err != nil {
			return fmt.Errorf("label names: %w", err)
		}
		if taken {
			fe.Add("name", msgLabelNameTaken(p.Name))
		}
		if err := fe.Err(); err != nil {
			return err
		}
		out, err = q.LabelCreate(ctx, p)
		if errors.Is(err, store.ErrConflict) {
			return fieldError("name", msgLabelNameTaken(p.Name))
		}
		if err != nil {
			return fmt.Errorf("create label: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return h.fmt.label(out), nil
}

// labelOrders are get_label_list's order_by columns.
var labelOrders = []string{store.LabelOrderCreatedAt, store.LabelOrderUpdatedAt, store.LabelOrderName}

// queryLabelScope reads the label_scope filter.
func queryLabelScope(fe FieldErrors, qs url.Values) string {
	s := strings.TrimSpace(qs.Get("label_scope"))
	if s != "" && !slices.Contains(labelScopes, s) {
		fe.Add("label_scope", fmt.Sprintf("%q is not a valid choice: use task, template or common", s))
	}
	return s
}

// queryBoolParam reads an optional DRF boolean query parameter.
func queryBoolParam(fe FieldErrors, qs url.Values, name string) *bool {
	s := strings.TrimSpace(qs.Get(name))
	if s == "" {
		return nil
	}
	v, ok := parseBool(s)
	if !ok {
		fe.Add(name, "Must be a valid boolean.")
		return nil
	}
	return &v
}

func (h *labelsHandler) list(r *http.Request) (any, error) {
	qs := r.URL.Query()
	fe := FieldErrors{}
	p := store.LabelListParams{SpaceID: spaceFrom(r.Context()).ID, Scope: queryLabelScope(fe, qs),
		Name: strings.TrimSpace(qs.Get("name")), IsDefault: queryBoolParam(fe, qs, "is_default"),
		OrderBy: store.LabelOrderUpdatedAt, Desc: true}
	if s := strings.TrimSpace(qs.Get("parent_id")); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			fe.Add("parent_id", "A valid integer is required.")
		}
		p.ParentID = &id
	}
	includeChildren := queryBoolParam(fe, qs, "include_children")
	p.RootsOnly = p.ParentID == nil && (includeChildren == nil || !*includeChildren)
	if s := strings.TrimSpace(qs.Get("order_by")); s != "" {
		col := strings.TrimPrefix(s, "-")
		if !slices.Contains(labelOrders, col) {
			fe.Add("order_by", "排序字段非法")
		}
		p.OrderBy, p.Desc = col, strings.HasPrefix(s, "-")
	}
	p.Offset, p.Limit = pagination(fe, qs)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	labels, count, err := h.store.LabelList(r.Context(), p)
	if err != nil {
		return nil, fmt.Errorf("list labels: %w", err)
	}
	return listResult{Data: h.fmt.labels(labels), Count: count}, nil
}

func (h *labelsHandler) tree(r *http.Request) (any, error) {
	qs := r.URL.Query()
	fe := FieldErrors{}
	scope := queryLabelScope(fe, qs)
	offset, limit := pagination(fe, qs)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	labels, err := h.store.LabelsForTree(r.Context(), spaceFrom(r.Context()).ID, scope)
	if err != nil {
		return nil, fmt.Errorf("list labels: %w", err)
	}
	// labels are sorted by name, so roots and children come out sorted. A
	// label whose parent is filtered out becomes a root.
	present := make(map[int64]bool, len(labels))
	for _, l := range labels {
		present[l.ID] = true
	}
	children := map[int64][]store.Label{}
	var roots []store.Label
	for _, l := range labels {
		if l.ParentID != nil && present[*l.ParentID] {
			children[*l.ParentID] = append(children[*l.ParentID], l)
		} else {
			roots = append(roots, l)
		}
	}
	var node func(l store.Label) labelTreeNode
	node = func(l store.Label) labelTreeNode {
		n := labelTreeNode{labelJSON: h.fmt.label(l), Children: []labelTreeNode{}}
		for _, c := range children[l.ID] {
			n.Children = append(n.Children, node(c))
		}
		n.HasChildren = len(n.Children) > 0
		return n
	}
	count := len(roots)
	if qs.Has("offset") || qs.Has("limit") {
		roots = roots[min(offset, len(roots)):min(offset+limit, len(roots))]
	}
	out := make([]labelTreeNode, len(roots))
	for i, l := range roots {
		out[i] = node(l)
	}
	return listResult{Data: out, Count: count}, nil
}

// errLabelMissing refuses a label id the space has not (BKFlow's message,
// with code 404).
func errLabelMissing(spaceID, id int64) error {
	return &Error{Status: http.StatusOK, Code: http.StatusNotFound,
		Message: fmt.Sprintf("标签不存在: space_id=%d, label_id=%d", spaceID, id)}
}

// errLabelDefault refuses to change a default label.
func errLabelDefault(id int64) error {
	return &Error{Status: http.StatusOK, Code: codeValidation,
		Message: fmt.Sprintf("label %d is a default label (space_id -1): default labels cannot be changed through the API", id)}
}

// ownLabel loads label id for a write: it must belong to space.
func ownLabel(ctx context.Context, q *store.Queries, spaceID, id int64) (store.Label, error) {
	l, err := q.LabelGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Label{}, errLabelMissing(spaceID, id)
	}
	if err != nil {
		return store.Label{}, fmt.Errorf("load label %d: %w", id, err)
	}
	switch l.SpaceID {
	case spaceID:
		return l, nil
	case store.DefaultLabelSpace:
		return store.Label{}, errLabelDefault(id)
	default:
		return store.Label{}, errLabelMissing(spaceID, id)
	}
}

func (h *labelsHandler) detail(r *http.Request) (any, error) {
	id, err := pathID(r, "label_id")
	if err != nil {
		return nil, err
	}
	sp := spaceFrom(r.Context())
	l, err := h.store.LabelGet(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && l.SpaceID != sp.ID && l.SpaceID != store.DefaultLabelSpace) {
		return nil, &Error{Status: http.StatusOK, Code: http.StatusNotFound, Message: fmt.Sprintf("标签不存在: label_id=%d", id)}
	}
	if err != nil {
		return nil, fmt.Errorf("load label %d: %w", id, err)
	}
	return h.fmt.label(l), nil
}

func (h *labelsHandler) update(r *http.Request) (any, error) {
	id, err := pathID(r, "label_id")
	if err != nil {
		return nil, err
	}
	var req updateLabelRequest
	keys, err := decodeBodyKeys(r, &req)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	sp := spaceFrom(ctx)
	p := store.LabelUpdateParams{ID: id, UpdatedBy: callerFrom(ctx).Username, Now: h.fmt.now()}
	fe := FieldErrors{}
	if keys["name"] {
		if v := notNull(fe, "name", req.Name); v != nil {
			if parts := checkLabelName(fe, v, false); parts != nil {
				p.Name = &parts[0]
			}
		}
	}
	if keys["color"] {
		if v := notNull(fe, "color", req.Color); v != nil {
			c := checkLabelColor(fe, v)
			p.Color = &c
		}
	}
	if keys["label_scope"] {
		if req.LabelScope == nil {
			fe.Add("label_scope", msgNull)
		} else {
			p.LabelScope = checkLabelScopeList(fe, req.LabelScope)
		}
	}
	if keys["description"] {
		p.DescriptionSet, p.Description = true, checkLabelDescription(fe, req.Description)
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	var out store.Label
	err = h.store.InTx(ctx, func(q *store.Queries) error {
		if err := q.LabelLockSpace(ctx, sp.ID); err != nil {
			return fmt.Errorf("lock labels: %w", err)
		}
		l, err := ownLabel(ctx, q, sp.ID, id)
		if err != nil {
			return err
		}
		fe := FieldErrors{}
		if keys["parent_id"] && !equalIDs(req.ParentID, l.ParentID) {
			fe.Add("parent_id", "the parent of a label cannot be changed")
		}
		if p.Name != nil {
			taken, err := q.LabelNameTaken(ctx, sp.ID, l.ParentID, *p.Name, l.ID)
			if err != nil {
				return fmt.Errorf("label names: %w", err)
			}
			if taken {
				fe.Add("name", msgLabelNameTaken(*p.Name))
			}
		}
		if p.LabelScope != nil {
			children, err := q.LabelChildren(ctx, l.ID)
			if err != nil {
				return fmt.Errorf("children of label %d: %w", l.ID, err)
			}
			for _, c := range children {
				if !subset(c.LabelScope, p.LabelScope) {
					fe.Add("label_scope", "父标签的范围必须覆盖所有子标签的范围")
					break
				}
			}
			if l.ParentID != nil {
				parent, err := q.LabelGet(ctx, *l.ParentID)
				if err != nil {
					return fmt.Errorf("parent of label %d: %w", l.ID, err)
				}
				if !subset(p.LabelScope, parent.LabelScope) {
					fe.Add("label_scope", "子标签的范围必须是父标签的子集")
				}
			}
		}
		if err := fe.Err(); err != nil {
			return err
		}
		out, err = q.LabelUpdate(ctx, p)
		if errors.Is(err, store.ErrConflict) {
			return fieldError("name", msgLabelNameTaken(*p.Name))
		}
		if err != nil {
			return fmt.Errorf("update label %d: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return h.fmt.label(out), nil
}

func (h *labelsHandler) delete(r *http.Request) (any, error) {
	id, err := pathID(r, "label_id")
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	sp := spaceFrom(ctx)
	err = h.store.InTx(ctx, func(q *store.Queries) error {
		if err := q.LabelLockSpace(ctx, sp.ID); err != nil {
			return fmt.Errorf("lock labels: %w", err)
		}
		if _, err := ownLabel(ctx, q, sp.ID, id); err != nil {
			return err
		}
		if err := q.LabelDelete(ctx, sp.ID, id); err != nil {
			return fmt.Errorf("delete label %d: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

var labelIDsPattern = regexp.MustCompile(`^[0-9]+(,+[0-9]+)*$`)

func (h *labelsHandler) refCount(r *http.Request) (any, error) {
	qs := r.URL.Query()
	if !qs.Has("label_ids") {
		return nil, fieldError("label_ids", msgRequired)
	}
	raw := strings.TrimSpace(qs.Get("label_ids"))
	if raw == "" {
		return nil, fieldError("label_ids", msgBlank)
	}
	const msgFormat = "label_ids 格式非法，仅允许数字和逗号（如 1,2,3）"
	if !labelIDsPattern.MatchString(raw) {
		return nil, fieldError("label_ids", msgFormat)
	}
	var ids []int64
	for _, part := range strings.Split(raw, ",") {
		if part == "" {
			continue
		}
		id, err := strconv.ParseInt(part, 10, 64)
		if err != nil {
			return nil, fieldError("label_ids", msgFormat)
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	counts, err := h.store.LabelRefCounts(r.Context(), spaceFrom(r.Context()).ID, ids)
	if err != nil {
		return nil, fmt.Errorf("label ref counts: %w", err)
	}
	return labelRefCounts{ids: ids, counts: counts}, nil
}

// decodeBodyKeys is decodeBody that also reports which top-level keys the
// body has, so partial updates can tell an absent field from a null one.
func decodeBodyKeys(r *http.Request, dst any) (map[string]bool, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		return nil, fieldError("body", "could not read the request body")
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err := decodeBody(r, dst); err != nil {
		return nil, err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, decodeError(err)
	}
	keys := make(map[string]bool, len(raw))
	for k := range raw {
		keys[k] = true
	}
	return keys, nil
}

// notNull refuses a field that is present but null; v is returned as is.
func notNull(fe FieldErrors, field string, v *string) *string {
	if v == nil {
		fe.Add(field, msgNull)
	}
	return v
}

func equalIDs(a, b *int64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
