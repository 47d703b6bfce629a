package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/bkflow/bkflow/internal/store"
)

// variablesHandler serves a space's variables (${_space_<key>} at run time).
type variablesHandler struct {
	store *store.Store
	fmt   formatter
}

func (h *variablesHandler) routes(space *routes) {
	space.add(route{Method: http.MethodPost, Path: "/space/{space_id}/create_variable/", OperationID: "create_variable",
		Tag: "variable", AppAuth: true, Summary: "Create a space variable (type space: ${_space_<key>} in every task of the space)",
		Request: createVariableRequest{}, Response: variableJSON{}, Handler: h.create})
	for _, m := range []string{http.MethodPut, http.MethodPatch} {
		space.add(route{Method: m, Path: "/space/{space_id}/variable/{variable_id}/update_variable/",
			OperationID: "update_variable_" + strings.ToLower(m), Tag: "variable", AppAuth: true,
			Summary: "Change some fields of a space variable (" + m + " is partial too)",
			Request: updateVariableRequest{}, Response: variableJSON{}, Handler: h.update})
	}
	space.add(route{Method: http.MethodPost, Path: "/space/{space_id}/variable/{variable_id}/delete_variable/",
		OperationID: "delete_variable", Tag: "variable", AppAuth: true,
		Summary: "Delete a space variable for good (its key can be used again)", Response: struct{}{}, Handler: h.delete})
	space.add(route{Method: http.MethodGet, Path: "/space/{space_id}/get_variable_list/", OperationID: "get_variable_list",
		Tag: "variable", AppAuth: true, Summary: "The space's variables, ordered by id (not paged)",
		Query: []queryParam{
			{Name: "name", Type: "string", Description: "name contains (case-insensitive)"},
			{Name: "key", Type: "string", Description: "key contains (case-insensitive)"},
			{Name: "variable_type", Type: "string", Description: "space or scope"},
		}, Response: []variableJSON{}, Handler: h.list})
}

// Variable field rules. A key becomes the context key ${_space_<key>}, so
// it must be an identifier part, and short enough for bamboo-engine's
// 128-character context keys.
const (
	variableNameMax = 255
	variableKeyMax  = 118
)

var variableKeyPattern = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

var variableTypes = []string{store.VariableTypeSpace, store.VariableTypeScope}

type createVariableRequest struct {
	Name         *string `json:"name" doc:"required, at most 255 characters"`
	Key          *string `json:"key" doc:"required, letters, digits and _ only, at most 118 characters, unique in the space; used as ${_space_<key>}"`
	VariableType *string `json:"variable_type" doc:"required: space (provided to tasks as ${_space_<key>}) or scope (stored only)"`
	Value        any     `json:"value" doc:"required, a non-blank string (a number is taken as its decimal text)"`
	Desc         *string `json:"desc" doc:"optional; not blank or null when given"`
}

type updateVariableRequest struct {
	Name         *string `json:"name" doc:"at most 255 characters"`
	Key          *string `json:"key" doc:"letters, digits and _ only, at most 118 characters, unique in the space"`
	VariableType *string `json:"variable_type" doc:"space or scope"`
	Value        any     `json:"value" doc:"a non-blank string (a number is taken as its decimal text)"`
	Desc         *string `json:"desc" doc:"not blank or null"`
}

// variableJSON is a space variable (BKFlow's VariableManagerSerializer).
type variableJSON struct {
	ID           int64   `json:"id"`
	SpaceID      int64   `json:"space_id"`
	Name         string  `json:"name"`
	Key          string  `json:"key"`
	VariableType string  `json:"variable_type"`
	Value        string  `json:"value"`
	Desc         *string `json:"desc"`
	Creator      string  `json:"creator"`
	CreateAt     string  `json:"create_at"`
	UpdatedBy    *string `json:"updated_by"`
	UpdateAt     string  `json:"update_at"`
}

func (h *variablesHandler) toJSON(v store.SpaceVariable) variableJSON {
	return variableJSON{ID: v.ID, SpaceID: v.SpaceID, Name: v.Name, Key: v.Key, VariableType: v.VariableType,
		Value: v.Value, Desc: v.Desc, Creator: v.Creator, CreateAt: h.fmt.drfTime(v.CreateAt), UpdatedBy: v.UpdatedBy,
		UpdateAt: h.fmt.drfTime(v.UpdateAt)}
}

// variableFields are the validated fields of a create or update request;
// nil means "not given".
type variableFields struct {
	name, key, variableType, value, desc *string
}

// checkVariable validates the fields present in a request (every field when
// create is set, which also makes name, key, variable_type and value
// required).
func checkVariable(fe FieldErrors, keys map[string]bool, create bool, name, key, typ *string, value any, desc *string) variableFields {
	var out variableFields
	given := func(k string) bool { return create || keys[k] }
	str := func(field string, v *string, max int) *string {
		if v == nil {
			if create {
				fe.Add(field, msgRequired)
			} else {
				fe.Add(field, msgNull)
			}
			return nil
		}
		s := checkString(fe, field, v, max, true)
		return &s
	}
	if given("name") {
		out.name = str("name", name, variableNameMax)
	}
	if given("key") {
		if out.key = str("key", key, variableKeyMax); out.key != nil && *out.key != "" && !variableKeyPattern.MatchString(*out.key) {
			fe.Add("key", "may contain only letters, digits and _ (it is used as ${_space_<key>})")
		}
	}
	if given("variable_type") {
		out.variableType = str("variable_type", typ, 255)
		if out.variableType != nil && *out.variableType != "" && !slices.Contains(variableTypes, *out.variableType) {
			fe.Add("variable_type", "类型必须在 ['space', 'scope'] 中")
		}
	}
	if given("value") {
		switch v := value.(type) {
		case nil:
			if create && !keys["value"] {
				fe.Add("value", msgRequired)
			} else {
				fe.Add("value", msgNull)
			}
		case string:
			if s := strings.TrimSpace(v); s == "" {
				fe.Add("value", msgBlank)
			} else {
				out.value = &s
			}
		case json.Number:
			s := v.String()
			out.value = &s
		default:
			fe.Add("value", "Not a valid string.")
		}
	}
	if keys["desc"] {
		if desc == nil {
			fe.Add("desc", msgNull)
		} else {
			s := checkString(fe, "desc", desc, 1<<20, true)
			out.desc = &s
		}
	}
	return out
}

func msgVariableKeyTaken(key string) string {
	return fmt.Sprintf("a variable with key %q already exists in this space", key)
}

func (h *variablesHandler) create(r *http.Request) (any, error) {
	var req createVariableRequest
	keys, err := decodeBodyKeys(r, &req)
	if err != nil {
		return nil, err
	}
	fe := FieldErrors{}
	f := checkVariable(fe, keys, true, req.Name, req.Key, req.VariableType, req.Value, req.Desc)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	ctx := r.Context()
	sp := spaceFrom(ctx)
	taken, err := h.store.SpaceVariableKeyTaken(ctx, sp.ID, *f.key, 0)
	if err != nil {
		return nil, fmt.Errorf("variable keys: %w", err)
	}
	if taken {
		return nil, fieldError("key", msgVariableKeyTaken(*f.key))
	}
	v, err := h.store.SpaceVariableCreate(ctx, store.SpaceVariableCreateParams{SpaceID: sp.ID, Name: *f.name, Key: *f.key,
		VariableType: *f.variableType, Value: *f.value, Desc: f.desc, Creator: callerFrom(ctx).Username, Now: h.fmt.now()})
	if errors.Is(err, store.ErrConflict) {
		return nil, fieldError("key", msgVariableKeyTaken(*f.key))
	}
	if err != nil {
		return nil, fmt.Errorf("create variable: %w", err)
	}
	return h.toJSON(v), nil
}

// errVariableMissing refuses a variable id the space has not.
func errVariableMissing(id int64) error {
	return &Error{Status: http.StatusOK, Code: http.StatusNotFound, Message: fmt.Sprintf("变量不存在或已被删除: variable_id=%d", id)}
}

func (h *variablesHandler) update(r *http.Request) (any, error) {
	id, err := pathID(r, "variable_id")
	if err != nil {
		return nil, err
	}
	var req updateVariableRequest
	keys, err := decodeBodyKeys(r, &req)
	if err != nil {
		return nil, err
	}
	fe := FieldErrors{}
	f := checkVariable(fe, keys, false, req.Name, req.Key, req.VariableType, req.Value, req.Desc)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	ctx := r.Context()
	sp := spaceFrom(ctx)
	var out store.SpaceVariable
	err = h.store.InTx(ctx, func(q *store.Queries) error {
		if _, err := q.SpaceVariableGet(ctx, sp.ID, id); errors.Is(err, store.ErrNotFound) {
			return errVariableMissing(id)
		} else if err != nil {
			return fmt.Errorf("load variable %d: %w", id, err)
		}
		if f.key != nil {
			taken, err := q.SpaceVariableKeyTaken(ctx, sp.ID, *f.key, id)
			if err != nil {
				return fmt.Errorf("variable keys: %w", err)
			}
			if taken {
				return fieldError("key", msgVariableKeyTaken(*f.key))
			}
		}
		var err error
		out, err = q.SpaceVariableUpdate(ctx, store.SpaceVariableUpdateParams{SpaceID: sp.ID, ID: id, Name: f.name,
			Key: f.key, VariableType: f.variableType, Value: f.value, Desc: f.desc,
			UpdatedBy: callerFrom(ctx).Username, Now: h.fmt.now()})
		switch {
		case errors.Is(err, store.ErrConflict):
			return fieldError("key", msgVariableKeyTaken(*f.key))
		case errors.Is(err, store.ErrNotFound):
			return errVariableMissing(id)
		case err != nil:
			return fmt.Errorf("update variable %d: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return h.toJSON(out), nil
}

func (h *variablesHandler) delete(r *http.Request) (any, error) {
	id, err := pathID(r, "variable_id")
	if err != nil {
		return nil, err
	}
	err = h.store.SpaceVariableDelete(r.Context(), spaceFrom(r.Context()).ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errVariableMissing(id)
	}
	if err != nil {
		return nil, fmt.Errorf("delete variable %d: %w", id, err)
	}
	return struct{}{}, nil
}

func (h *variablesHandler) list(r *http.Request) (any, error) {
	qs := r.URL.Query()
	list, err := h.store.SpaceVariableList(r.Context(), store.SpaceVariableListParams{SpaceID: spaceFrom(r.Context()).ID,
		Name: strings.TrimSpace(qs.Get("name")), Key: strings.TrimSpace(qs.Get("key")),
		VariableType: strings.TrimSpace(qs.Get("variable_type"))})
	if err != nil {
		return nil, fmt.Errorf("list variables: %w", err)
	}
	out := make([]variableJSON, len(list))
	for i, v := range list {
		out[i] = h.toJSON(v)
	}
	return out, nil
}
