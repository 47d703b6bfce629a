package api

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"strconv"
	"strings"

	"github.com/bkflow/bkflow/internal/store"
	"github.com/bkflow/bkflow/internal/telemetry"
	"github.com/bkflow/bkflow/policy"
	"github.com/bkflow/bkflow/policy/wire"
)

// iamCallback serves BlueKing IAM's resource callback for bkflow's spaces,
// templates and tasks (iam.md §5): IAM's UI lists and searches instances
// through it, and IAM fetches attributes (including _bk_iam_path_) through
// it for /query. Every answer is HTTP 200 {"code", "message", "data",
// "result"}, code 0 on success and the protocol's error codes otherwise.
type iamCallback struct {
	store *store.Store
	token string
	log   *slog.Logger
}

// The protocol's error codes (iam.md §5.1).
const (
	cbBadRequest   = 400
	cbUnauthorized = 401
	cbNotFound     = 404
	cbBadKeyword   = 406
	cbTooMuch      = 422
	cbInternal     = 500
)

// maxCallbackLimit bounds page.limit and fetch_instance_info's ids.
const maxCallbackLimit = 1000

// defaultCallbackLimit is the page size when page.limit is missing or 0.
const defaultCallbackLimit = 100

// callbackError is an answer with a non-zero code.
type callbackError struct {
	code int
	msg  string
}

func (e *callbackError) Error() string { return e.msg }

func cbErr(code int, format string, a ...any) error {
	return &callbackError{code: code, msg: fmt.Sprintf(format, a...)}
}

type callbackRequest struct {
	Type   string          `json:"type"`
	Method string          `json:"method"`
	Filter json.RawMessage `json:"filter"`
	Page   struct {
		Offset int `json:"offset"`
		Limit  int `json:"limit"`
	} `json:"page"`
}

type callbackNode struct {
	Type string `json:"type"`
	ID   any    `json:"id"`
}

type callbackFilter struct {
	Parent     *callbackNode   `json:"parent"`
	Ancestors  []callbackNode  `json:"ancestors"`
	Attr       string          `json:"attr"`
	Keyword    string          `json:"keyword"`
	IDs        []any           `json:"ids"`
	Attrs      []string        `json:"attrs"`
	Expression json.RawMessage `json:"expression"`
}

// callbackCall is one decoded request.
type callbackCall struct {
	table  iamTable
	method string
	filter callbackFilter
	limit  int
	offset int
	// english: Blueking-Language asks for English display names.
	english bool
}

// callbackList is the data of the paged methods.
type callbackList struct {
	Count   int              `json:"count"`
	Results []map[string]any `json:"results"`
}

var iamTables = map[string]iamTable{"space": spaceTable, "template": templateTable, "task": taskTable}

func (h *iamCallback) routes(rs *routes) {
	rs.add(route{Method: http.MethodPost, Path: "/iam/resources/", OperationID: "iam_resources", Tag: "iam",
		Summary: "BlueKing IAM's resource callback for spaces, templates and tasks (Basic bk_iam:<iam-token>): " +
			"list_attr, list_attr_value, list_instance, fetch_instance_info, list_instance_by_policy, search_instance",
		RawContentType: "application/json", Raw: http.HandlerFunc(h.serve)})
}

func (h *iamCallback) serve(w http.ResponseWriter, r *http.Request) {
	data, err := h.answer(r)
	if err != nil {
		var ce *callbackError
		if !errors.As(err, &ce) {
			h.log.ErrorContext(r.Context(), "iam callback failed", "error", err)
			ce = &callbackError{code: cbInternal, msg: "internal error, request id " + telemetry.RequestID(r.Context())}
		}
		writeJSON(w, http.StatusOK, map[string]any{"code": ce.code, "message": ce.msg, "data": nil, "result": false})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"code": 0, "message": "", "data": data, "result": true})
}

// authorised checks Basic bk_iam:<token> as the Python SDK's
// is_basic_auth_allowed does (scheme case-insensitive, exactly two parts).
func (h *iamCallback) authorised(r *http.Request) bool {
	parts := strings.Fields(r.Header.Get("Authorization"))
	if len(parts) != 2 || !strings.EqualFold(parts[0], "basic") {
		return false
	}
	raw, err := base64.StdEncoding.DecodeString(parts[1])
	if err != nil {
		return false
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	return ok && user == "bk_iam" && subtle.ConstantTimeCompare([]byte(pass), []byte(h.token)) == 1
}

func (h *iamCallback) answer(r *http.Request) (any, error) {
	if h.token == "" {
		return nil, cbErr(cbUnauthorized, "the IAM callback is disabled: set iam-token (BKFLOW_IAM_TOKEN)")
	}
	if !h.authorised(r) {
		return nil, cbErr(cbUnauthorized, "authentication failed: Basic bk_iam:<iam-token> is required")
	}
	c, err := decodeCallback(r)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	switch c.method {
	case "list_attr":
		return listAttr(c), nil
	case "list_attr_value":
		return h.listAttrValue(ctx, c)
	case "list_instance":
		return h.listInstance(ctx, c, "")
	case "search_instance":
		keyword := strings.TrimSpace(c.filter.Keyword)
		if len([]rune(keyword)) < 2 {
			return nil, cbErr(cbBadKeyword, "filter.keyword must be at least 2 characters")
		}
		return h.listInstance(ctx, c, keyword)
	case "fetch_instance_info":
		return h.fetchInstanceInfo(ctx, c)
	case "list_instance_by_policy":
		return h.listInstanceByPolicy(ctx, c)
	}
	return nil, cbErr(cbNotFound, "method %q is not supported for %s", c.method, c.table.Type)
}

func decodeCallback(r *http.Request) (callbackCall, error) {
	var req callbackRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		return callbackCall{}, cbErr(cbBadRequest, "the body must be a JSON object {type, method, filter, page}: %v", err)
	}
	if req.Type == "" || req.Method == "" {
		return callbackCall{}, cbErr(cbBadRequest, "type and method are required")
	}
	table, ok := iamTables[req.Type]
	if !ok {
		return callbackCall{}, cbErr(cbNotFound, "resource type %q is not provided by bkflow (space, template, task)", req.Type)
	}
	c := callbackCall{table: table, method: req.Method, limit: req.Page.Limit, offset: req.Page.Offset,
		english: strings.HasPrefix(strings.ToLower(r.Header.Get("Blueking-Language")), "en")}
	if len(req.Filter) > 0 && !bytes.Equal(req.Filter, []byte("null")) {
		fd := json.NewDecoder(bytes.NewReader(req.Filter))
		fd.UseNumber()
		if err := fd.Decode(&c.filter); err != nil {
			return callbackCall{}, cbErr(cbBadRequest, "filter: %v", err)
		}
	}
	switch {
	case c.limit > maxCallbackLimit:
		return callbackCall{}, cbErr(cbTooMuch, "page.limit is at most %d, got %d", maxCallbackLimit, c.limit)
	case c.limit < 0 || c.offset < 0:
		return callbackCall{}, cbErr(cbBadRequest, "page.limit and page.offset must not be negative")
	case c.limit == 0:
		c.limit = defaultCallbackLimit
	}
	return c, nil
}

func listAttr(c callbackCall) []map[string]string {
	out := []map[string]string{}
	for _, a := range c.table.Attrs {
		name := a.Name
		if c.english {
			name = a.NameEn
		}
		out = append(out, map[string]string{"id": a.ID, "display_name": name})
	}
	return out
}

func (h *iamCallback) listAttrValue(ctx context.Context, c callbackCall) (any, error) {
	a, ok := c.table.attr(c.filter.Attr)
	if !ok {
		return nil, cbErr(cbNotFound, "%s has no attribute %q (list_attr lists them)", c.table.Type, c.filter.Attr)
	}
	var values []string
	if c.filter.IDs != nil {
		values = []string{}
		for _, v := range c.filter.IDs {
			if s, ok := v.(string); ok {
				values = append(values, s)
			}
		}
	}
	vs, count, err := h.store.IAMAttrValues(ctx, c.table.Type, a.Column, c.filter.Keyword, values, c.limit, c.offset)
	if err != nil {
		return nil, err
	}
	out := callbackList{Count: count, Results: make([]map[string]any, len(vs))}
	for i, v := range vs {
		out.Results[i] = map[string]any{"id": v, "display_name": v}
	}
	return out, nil
}

// listInstance serves list_instance (keyword "") and search_instance: the
// children of filter.parent (or of the last of filter.ancestors), or every
// instance without one.
func (h *iamCallback) listInstance(ctx context.Context, c callbackCall, keyword string) (any, error) {
	f := store.IAMInstanceFilter{Keyword: keyword, Limit: c.limit, Offset: c.offset}
	parent := c.filter.Parent
	if parent == nil && len(c.filter.Ancestors) > 0 {
		parent = &c.filter.Ancestors[len(c.filter.Ancestors)-1]
	}
	if parent != nil {
		id, ok := iamID(parent.ID)
		if !ok {
			return callbackList{Results: []map[string]any{}}, nil
		}
		f.ParentType, f.ParentID = parent.Type, id
	}
	return h.list(ctx, c.table.Type, f)
}

func (h *iamCallback) listInstanceByPolicy(ctx context.Context, c callbackCall) (any, error) {
	var e wire.Expr // missing: {}, no instance
	if len(c.filter.Expression) > 0 {
		if err := json.Unmarshal(c.filter.Expression, &e); err != nil {
			return nil, cbErr(cbBadRequest, "filter.expression must be a wire expression {op, field, value} or {op, content}: %v", err)
		}
	}
	if d := wireDepth(e); d > wire.MaxDepth {
		return nil, cbErr(cbBadRequest, "filter.expression nests deeper than %d levels", wire.MaxDepth)
	}
	cond := c.table.whereOf(e)
	return h.list(ctx, c.table.Type, store.IAMInstanceFilter{Where: &cond, Limit: c.limit, Offset: c.offset})
}

func (h *iamCallback) list(ctx context.Context, typ string, f store.IAMInstanceFilter) (callbackList, error) {
	rows, count, err := h.store.IAMInstances(ctx, typ, f)
	if err != nil {
		return callbackList{}, err
	}
	out := callbackList{Count: count, Results: make([]map[string]any, len(rows))}
	for i, row := range rows {
		out.Results[i] = map[string]any{"id": strconv.FormatInt(row.ID, 10), "display_name": row.Name}
	}
	return out, nil
}

func (h *iamCallback) fetchInstanceInfo(ctx context.Context, c callbackCall) (any, error) {
	if len(c.filter.IDs) > maxCallbackLimit {
		return nil, cbErr(cbTooMuch, "filter.ids holds at most %d ids, got %d", maxCallbackLimit, len(c.filter.IDs))
	}
	ids := []int64{}
	for _, v := range c.filter.IDs {
		if id, ok := iamID(v); ok {
			ids = append(ids, id)
		}
	}
	out := []map[string]any{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := h.store.IAMInstancesByID(ctx, c.table.Type, ids)
	if err != nil {
		return nil, err
	}
	for _, row := range rows {
		out = append(out, instanceInfo(c.table, row, c.filter.Attrs))
	}
	return out, nil
}

// iamID reads an IAM instance id: a canonical decimal string, or a JSON
// integer from lenient callers.
func iamID(v any) (int64, bool) {
	switch x := v.(type) {
	case string:
		return canonicalID(x)
	case json.Number:
		return canonicalID(x.String())
	}
	return 0, false
}

// instanceInfo is one fetch_instance_info object: id, then the attributes
// asked for (all of them when attrs is empty). A NULL column is null.
func instanceInfo(t iamTable, row store.IAMInstance, attrs []string) map[string]any {
	all := map[string]any{"display_name": row.Name, "_bk_iam_approver_": []string{row.Creator}}
	switch t.Type {
	case spaceTable.Type:
		all[policy.IAMPath] = spaceIAMPaths()
	case templateTable.Type:
		all[policy.IAMPath] = templateIAMPaths(row.SpaceID)
	default:
		all[policy.IAMPath] = taskIAMPaths(row.SpaceID, row.TemplateID)
	}
	for _, a := range t.Attrs {
		switch a.ID {
		case "creator":
			all[a.ID] = row.Creator
		case "scope_type":
			all[a.ID] = row.ScopeType
		case "scope_value":
			all[a.ID] = row.ScopeValue
		}
	}
	out := map[string]any{"id": strconv.FormatInt(row.ID, 10)}
	if len(attrs) == 0 {
		maps.Copy(out, all)
		return out
	}
	for _, a := range attrs {
		if v, ok := all[a]; ok {
			out[a] = v
		}
	}
	return out
}
