package api

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/bkflow/bkflow/internal/store"
	"github.com/bkflow/bkflow/policy/wire"
)

// iamCallback serves BlueKing IAM's resource callback for bkflow's spaces,
// templates and tasks (iam.md §5): IAM's UI lists and searches instances
// through it, and IAM fetches attributes (including _bk_iam_path_) for
// /query. Answers are {"code", "message", "data", "result"} with HTTP 200.
type iamCallback struct {
	store *store.Store
	token string
	log   *slog.Logger
}

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

type callbackFilter struct {
	Parent *struct {
		Type string `json:"type"`
		ID   any    `json:"id"`
	} `json:"parent"`
	Attr       string          `json:"attr"`
	Keyword    string          `json:"keyword"`
	IDs        []any           `json:"ids"`
	Attrs      []string        `json:"attrs"`
	Expression json.RawMessage `json:"expression"`
}

// maxCallbackLimit is the protocol's page size limit (and fetch's id limit).
const maxCallbackLimit = 1000

var iamAttrNames = map[string]string{"creator": "创建者", "scope_type": "作用域类型", "scope_value": "作用域值"}

func (h *iamCallback) routes(rs *routes) {
	rs.add(route{Method: http.MethodPost, Path: "/iam/resources/", OperationID: "iam_resources", Tag: "iam",
		Summary:        "BlueKing IAM's resource callback for spaces, templates and tasks (Basic bk_iam:<iam-token>)",
		RawContentType: "application/json", Raw: http.HandlerFunc(h.serve)})
}

func (h *iamCallback) serve(w http.ResponseWriter, r *http.Request) {
	if id := r.Header.Get("X-Request-Id"); id != "" {
		w.Header().Set("X-Request-Id", id)
	}
	data, err := h.answer(r)
	if err != nil {
		var ce *callbackError
		if !errors.As(err, &ce) {
			h.log.ErrorContext(r.Context(), "iam callback failed", "error", err)
			ce = &callbackError{code: 500, msg: "internal error, request id " + r.Header.Get("X-Request-Id")}
		}
		writeJSON(w, http.StatusOK, map[string]any{"code": ce.code, "message": ce.msg, "data": nil, "result": false})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"code": 0, "message": "", "data": data, "result": true})
}

func (h *iamCallback) authorised(r *http.Request) bool {
	if h.token == "" {
		return false
	}
	scheme, cred, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "basic") {
		return false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
	if err != nil {
		return false
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	return ok && user == "bk_iam" && subtle.ConstantTimeCompare([]byte(pass), []byte(h.token)) == 1
}

func (h *iamCallback) answer(r *http.Request) (any, error) {
	if h.token == "" {
		return nil, cbErr(401, "the IAM callback is disabled: set iam-token")
	}
	if !h.authorised(r) {
		return nil, cbErr(401, "basic auth as bk_iam with the IAM token is required")
	}
	var req callbackRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		return nil, cbErr(400, "the body must be a JSON object: %v", err)
	}
	if req.Type == "" || req.Method == "" {
		return nil, cbErr(400, "type and method are required")
	}
	if _, ok := iamTables[req.Type]; !ok {
		return nil, cbErr(404, "resource type %q is not provided by bkflow", req.Type)
	}
	var f callbackFilter
	if len(req.Filter) > 0 && string(req.Filter) != "null" {
		if err := json.Unmarshal(req.Filter, &f); err != nil {
			return nil, cbErr(400, "filter: %v", err)
		}
	}
	if req.Page.Limit > maxCallbackLimit {
		return nil, cbErr(422, "page.limit is at most %d", maxCallbackLimit)
	}
	if req.Page.Limit <= 0 {
		req.Page.Limit = 100
	}
	ctx := r.Context()
	switch req.Method {
	case "list_attr":
		out := []map[string]string{}
		if req.Type != "space" {
			for _, id := range []string{"creator", "scope_type", "scope_value"} {
				out = append(out, map[string]string{"id": id, "display_name": iamAttrNames[id]})
			}
		}
		return out, nil
	case "list_attr_value":
		if _, ok := iamAttrNames[f.Attr]; !ok || req.Type == "space" {
			return nil, cbErr(404, "attribute %q of %s does not exist", f.Attr, req.Type)
		}
		var vals []string
		for _, v := range f.IDs {
			vals = append(vals, fmt.Sprint(v))
		}
		vs, count, err := h.store.IAMAttrValues(ctx, req.Type, f.Attr, f.Keyword, vals, req.Page.Limit, req.Page.Offset)
		if err != nil {
			return nil, err
		}
		results := make([]map[string]any, len(vs))
		for i, v := range vs {
			results[i] = map[string]any{"id": v, "display_name": v}
		}
		return map[string]any{"count": count, "results": results}, nil
	case "list_instance", "search_instance":
		filter := store.IAMInstanceFilter{Limit: req.Page.Limit, Offset: req.Page.Offset}
		if req.Method == "search_instance" {
			if len([]rune(strings.TrimSpace(f.Keyword))) < 2 {
				return nil, cbErr(406, "keyword must be at least 2 characters")
			}
			filter.Keyword = strings.TrimSpace(f.Keyword)
		}
		if f.Parent != nil {
			id, ok := iamID(f.Parent.ID)
			if !ok {
				return map[string]any{"count": 0, "results": []any{}}, nil
			}
			filter.ParentType, filter.ParentID = f.Parent.Type, id
		}
		return h.list(r, req.Type, filter)
	case "list_instance_by_policy":
		var e wire.Expr
		if len(f.Expression) > 0 {
			if err := json.Unmarshal(f.Expression, &e); err != nil {
				return nil, cbErr(400, "filter.expression: %v", err)
			}
		}
		cond := iamTables[req.Type].whereOf(e)
		return h.list(r, req.Type, store.IAMInstanceFilter{Where: &cond, Limit: req.Page.Limit, Offset: req.Page.Offset})
	case "fetch_instance_info":
		if len(f.IDs) > maxCallbackLimit {
			return nil, cbErr(422, "filter.ids: at most %d", maxCallbackLimit)
		}
		ids := []int64{}
		for _, v := range f.IDs {
			if id, ok := iamID(v); ok {
				ids = append(ids, id)
			}
		}
		rows, _, err := h.store.IAMInstances(ctx, req.Type, store.IAMInstanceFilter{IDs: ids, Limit: maxCallbackLimit})
		if err != nil {
			return nil, err
		}
		out := make([]map[string]any, len(rows))
		for i, row := range rows {
			out[i] = instanceInfo(req.Type, row, f.Attrs)
		}
		return out, nil
	}
	return nil, cbErr(404, "method %q is not supported", req.Method)
}

var iamTables = map[string]iamTable{"space": spaceTable, "template": templateTable, "task": taskTable}

func (h *iamCallback) list(r *http.Request, typ string, f store.IAMInstanceFilter) (any, error) {
	rows, count, err := h.store.IAMInstances(r.Context(), typ, f)
	if err != nil {
		return nil, err
	}
	results := make([]map[string]any, len(rows))
	for i, row := range rows {
		results[i] = map[string]any{"id": strconv.FormatInt(row.ID, 10), "display_name": row.Name}
	}
	return map[string]any{"count": count, "results": results}, nil
}

// iamID reads an IAM instance id (a string, or a number from some callers).
func iamID(v any) (int64, bool) {
	switch x := v.(type) {
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		return n, err == nil
	case float64:
		return int64(x), x == float64(int64(x))
	}
	return 0, false
}

// iamPaths is an instance's _bk_iam_path_: one path per instance view it
// appears in below its own level.
func iamPaths(typ string, row store.IAMInstance) []string {
	switch typ {
	case "template":
		return []string{fmt.Sprintf("/space,%d/", row.SpaceID)}
	case "task":
		out := []string{fmt.Sprintf("/space,%d/", row.SpaceID)}
		if row.TemplateID != nil {
			out = append(out, fmt.Sprintf("/space,%d/template,%d/", row.SpaceID, *row.TemplateID))
		}
		return out
	}
	return []string{}
}

func instanceInfo(typ string, row store.IAMInstance, attrs []string) map[string]any {
	all := map[string]any{
		"id": strconv.FormatInt(row.ID, 10), "display_name": row.Name,
		"_bk_iam_path_": iamPaths(typ, row), "_bk_iam_approver_": []string{row.Creator},
	}
	if typ != "space" {
		all["creator"] = row.Creator
		all["scope_type"] = row.ScopeType
		all["scope_value"] = row.ScopeValue
	}
	if len(attrs) == 0 {
		return all
	}
	out := map[string]any{"id": all["id"], "display_name": all["display_name"]}
	for _, a := range attrs {
		if v, ok := all[a]; ok {
			out[a] = v
		}
	}
	return out
}
