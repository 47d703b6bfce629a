package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/bkflow/bkflow/internal/secrets"
	"github.com/bkflow/bkflow/internal/store"
	"github.com/bkflow/bkflow/workflows/pipeline"
)

// credentialsHandler serves a space's credentials, sealed at rest and
// masked on every read.
type credentialsHandler struct {
	store  *store.Store
	sealer *secrets.Sealer
	fmt    formatter
}

func (h *credentialsHandler) routes(space *routes) {
	space.add(route{Method: http.MethodPost, Path: "/space/{space_id}/create_credential/", OperationID: "create_credential",
		Tag: "credential", AppAuth: true, Summary: "Create a space credential (stored encrypted, shown masked)",
		Request: createCredentialRequest{}, Response: credentialJSON{}, Handler: h.create})
	for _, m := range []string{http.MethodPut, http.MethodPatch} {
		space.add(route{Method: m, Path: "/space/{space_id}/credential/{credential_id}/",
			OperationID: "update_credential_" + strings.ToLower(m), Tag: "credential", AppAuth: true,
			Summary: "Change some fields of a space credential (" + m + " is partial too)",
			Request: updateCredentialRequest{}, Response: credentialJSON{}, Handler: h.update})
	}
	space.add(route{Method: http.MethodGet, Path: "/space/{space_id}/get_credential_list/", OperationID: "get_credential_list",
		Tag: "credential", AppAuth: true, Summary: "The space's credentials, masked, ordered by id (bkflow extension; count at the top level)",
		Query: []queryParam{
			{Name: "name", Type: "string", Description: "name contains (case-insensitive)"},
			{Name: "type", Type: "string", Description: "BK_APP, BK_ACCESS_TOKEN, BASIC_AUTH or CUSTOM"},
			{Name: "offset", Type: "integer", Description: "default 0"},
			{Name: "limit", Type: "integer", Description: "default 100, at most 200"},
		}, Response: listResult{Data: []credentialJSON{}}, Handler: h.list})
	space.add(route{Method: http.MethodGet, Path: "/space/{space_id}/credential/{credential_id}/get_credential_detail/",
		OperationID: "get_credential_detail", Tag: "credential", AppAuth: true,
		Summary: "One space credential, masked (bkflow extension)", Response: credentialJSON{}, Handler: h.detail})
	space.add(route{Method: http.MethodPost, Path: "/space/{space_id}/credential/{credential_id}/delete_credential/",
		OperationID: "delete_credential", Tag: "credential", AppAuth: true,
		Summary: "Delete a space credential for good (bkflow extension)", Response: struct{}{}, Handler: h.delete})
}

// Credential types (BKFlow's CredentialType).
const (
	credentialBKApp       = "BK_APP"
	credentialAccessToken = "BK_ACCESS_TOKEN"
	credentialBasicAuth   = "BASIC_AUTH"
	credentialCustom      = "CUSTOM"
)

// Credential scope levels: usable everywhere in the space, in the listed
// scopes only, or nowhere.
const (
	scopeLevelAll  = "all"
	scopeLevelPart = "part"
	scopeLevelNone = "none"
)

var scopeLevels = []string{scopeLevelAll, scopeLevelPart, scopeLevelNone}

// credentialMask replaces secrets in credential responses (BKFlow's
// display mask: nine asterisks).
const credentialMask = "*********"

// Credential field rules (BKFlow's Credential model).
const (
	credentialNameMax  = 32
	credentialDescMax  = 128
	credentialTypeMax  = 32
	credentialScopeMax = 128
)

// credentialField is a field of a typed credential's content.
type credentialField struct {
	name   string
	secret bool
}

// credentialFields are the content fields of the typed credentials; other
// content keys are dropped. CUSTOM takes any string fields, all secret.
var credentialFields = map[string][]credentialField{
	credentialBKApp:       {{"bk_app_code", false}, {"bk_app_secret", true}},
	credentialAccessToken: {{"access_token", true}},
	credentialBasicAuth:   {{"username", false}, {"password", true}},
}

type credentialScopeJSON struct {
	ScopeType  *string `json:"scope_type" doc:"at most 128 characters; may be null"`
	ScopeValue *string `json:"scope_value" doc:"at most 128 characters; may be null"`
}

type createCredentialRequest struct {
	Name       *string                `json:"name" doc:"required, at most 32 characters, unique in the space"`
	Desc       *string                `json:"desc" doc:"at most 128 characters; may be null"`
	Type       *string                `json:"type" doc:"required: BK_APP, BK_ACCESS_TOKEN, BASIC_AUTH or CUSTOM"`
	Content    any                    `json:"content" doc:"required object: BK_APP {bk_app_code, bk_app_secret}, BK_ACCESS_TOKEN {access_token}, BASIC_AUTH {username, password}, CUSTOM {any: string}"`
	ScopeLevel *string                `json:"scope_level" doc:"all, part or none (default none)"`
	Scopes     *[]credentialScopeJSON `json:"scopes" doc:"where a part credential may be used; required (non-empty) with part, ignored otherwise"`
}

type updateCredentialRequest struct {
	Name       *string                `json:"name" doc:"at most 32 characters, unique in the space"`
	Desc       *string                `json:"desc" doc:"at most 128 characters; null clears it"`
	Type       *string                `json:"type" doc:"BK_APP, BK_ACCESS_TOKEN, BASIC_AUTH or CUSTOM; a new type needs its content"`
	Content    any                    `json:"content" doc:"replaces the whole content; checked against the type"`
	ScopeLevel *string                `json:"scope_level" doc:"all, part or none"`
	Scopes     *[]credentialScopeJSON `json:"scopes" doc:"replaces the scopes of a part credential"`
}

// credentialJSON is a credential as responses show it: secrets masked.
type credentialJSON struct {
	ID         int64                 `json:"id"`
	SpaceID    int64                 `json:"space_id"`
	Name       string                `json:"name"`
	Desc       *string               `json:"desc"`
	Type       string                `json:"type"`
	ScopeLevel string                `json:"scope_level"`
	Scopes     []credentialScopeJSON `json:"scopes"`
	Content    map[string]string     `json:"content"`
	Creator    string                `json:"creator"`
	UpdatedBy  string                `json:"updated_by"`
	CreateAt   string                `json:"create_at"`
	UpdateAt   string                `json:"update_at"`
}

// credentialTimeLayout is how BKFlow's credential serializer writes times,
// in the configured time zone.
const credentialTimeLayout = "2006-01-02 15:04:05"

// errNoSealer refuses to store a credential without a secret key.
var errNoSealer = &Error{Status: http.StatusOK, Code: codeInternal,
	Message: "credentials cannot be stored: no secret key is configured (set --secret-keys)"}

// display renders c with its content opened and masked.
func (h *credentialsHandler) display(c store.Credential) (credentialJSON, error) {
	plain, err := h.sealer.Open(c.Content)
	if err != nil {
		return credentialJSON{}, &Error{Status: http.StatusOK, Code: codeInternal, Err: err,
			Message: fmt.Sprintf("credential %d cannot be opened: %v (check --secret-keys)", c.ID, err)}
	}
	var content map[string]string
	if err := json.Unmarshal([]byte(plain), &content); err != nil {
		return credentialJSON{}, fmt.Errorf("credential %d: the opened content is not a JSON object of strings", c.ID)
	}
	masked := map[string]string{}
	if fields, ok := credentialFields[c.Type]; ok {
		for _, f := range fields {
			if f.secret {
				masked[f.name] = credentialMask
			} else {
				masked[f.name] = content[f.name]
			}
		}
	} else {
		for k := range content {
			masked[k] = credentialMask
		}
	}
	scopes := make([]credentialScopeJSON, len(c.Scopes))
	for i, s := range c.Scopes {
		scopes[i] = credentialScopeJSON{ScopeType: s.ScopeType, ScopeValue: s.ScopeValue}
	}
	return credentialJSON{ID: c.ID, SpaceID: c.SpaceID, Name: c.Name, Desc: c.Desc, Type: c.Type, ScopeLevel: c.ScopeLevel,
		Scopes: scopes, Content: masked, Creator: c.Creator, UpdatedBy: c.UpdatedBy,
		CreateAt: c.CreateAt.In(h.fmt.loc).Format(credentialTimeLayout),
		UpdateAt: c.UpdateAt.In(h.fmt.loc).Format(credentialTimeLayout)}, nil
}

// allStars reports whether s is made of asterisks only (true for "", as in
// BKFlow): a masked value sent back instead of the secret.
func allStars(s string) bool {
	return strings.Trim(s, "*") == ""
}

// checkCredentialContent validates content against typ and returns what is
// stored: the declared fields of a typed credential, every field of a
// CUSTOM one.
func checkCredentialContent(fe FieldErrors, typ string, content any) map[string]string {
	obj, isObj := content.(map[string]any)
	if typ == credentialCustom {
		if !isObj {
			fe.Add("content", "自定义凭证内容必须是字典类型")
			return nil
		}
		if len(obj) == 0 {
			fe.Add("content", "自定义凭证内容不能为空")
			return nil
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := make(map[string]string, len(obj))
		for _, k := range keys {
			s, ok := obj[k].(string)
			if !ok {
				raw, _ := json.Marshal(obj[k])
				fe.Add("content", fmt.Sprintf("凭证value必须是字符串类型: %s=%s", k, raw))
				continue
			}
			if allStars(s) {
				fe.Add("content", "凭证值格式有误，不应全为 * 字符: "+k)
				continue
			}
			out[k] = s
		}
		return out
	}
	fields, ok := credentialFields[typ]
	if !ok {
		return nil
	}
	if !isObj {
		fe.Add("content", "must be an object, got "+pipeline.JSONType(content))
		return nil
	}
	out := make(map[string]string, len(fields))
	for _, f := range fields {
		field := "content." + f.name
		v, present := obj[f.name]
		var s string
		switch x := v.(type) {
		case nil:
			if present {
				fe.Add(field, msgNull)
			} else {
				fe.Add(field, msgRequired)
			}
			continue
		case string:
			s = strings.TrimSpace(x)
		case json.Number:
			s = x.String()
		default:
			fe.Add(field, "Not a valid string.")
			continue
		}
		if s == "" {
			fe.Add(field, msgBlank)
			continue
		}
		if f.secret && allStars(s) {
			fe.Add(field, f.name+" 格式有误 不应全为 * 字符")
			continue
		}
		out[f.name] = s
	}
	return out
}

// checkCredentialType validates a credential type.
func checkCredentialType(fe FieldErrors, v *string, required bool) string {
	t := checkString(fe, "type", v, credentialTypeMax, required)
	if _, bad := fe["type"]; bad || t == "" {
		return t
	}
	if _, typed := credentialFields[t]; !typed && t != credentialCustom {
		fe.Add("type", "不支持的凭证类型: type="+t)
	}
	return t
}

func checkScopeLevel(fe FieldErrors, v *string) string {
	if v == nil {
		fe.Add("scope_level", msgNull)
		return ""
	}
	l := strings.TrimSpace(*v)
	if !slices.Contains(scopeLevels, l) {
		fe.Add("scope_level", fmt.Sprintf("%q is not a valid choice: use all, part or none", l))
	}
	return l
}

func checkScopes(fe FieldErrors, v *[]credentialScopeJSON) []store.CredentialScope {
	if v == nil {
		fe.Add("scopes", msgNull)
		return nil
	}
	out := make([]store.CredentialScope, len(*v))
	for i, s := range *v {
		out[i] = store.CredentialScope{
			ScopeType:  optLongText(fe, fmt.Sprintf("scopes.%d.scope_type", i), s.ScopeType, credentialScopeMax),
			ScopeValue: optLongText(fe, fmt.Sprintf("scopes.%d.scope_value", i), s.ScopeValue, credentialScopeMax),
		}
	}
	return out
}

// seal encrypts a credential's content.
func (h *credentialsHandler) seal(content map[string]string) (string, error) {
	raw, err := json.Marshal(content)
	if err != nil {
		return "", fmt.Errorf("encode credential content: %w", err)
	}
	sealed, err := h.sealer.Seal(string(raw))
	if err != nil {
		return "", fmt.Errorf("seal credential content: %w", err)
	}
	return sealed, nil
}

func msgCredentialNameTaken(name string) string {
	return fmt.Sprintf("a credential named %q already exists in this space", name)
}

func (h *credentialsHandler) create(r *http.Request) (any, error) {
	if !h.sealer.CanSeal() {
		return nil, errNoSealer
	}
	var req createCredentialRequest
	keys, err := decodeBodyKeys(r, &req)
	if err != nil {
		return nil, err
	}
	fe := FieldErrors{}
	name := checkString(fe, "name", req.Name, credentialNameMax, true)
	desc := optLongText(fe, "desc", req.Desc, credentialDescMax)
	typ := checkCredentialType(fe, req.Type, true)
	var content map[string]string
	switch {
	case req.Content == nil && !keys["content"]:
		fe.Add("content", msgRequired)
	case req.Content == nil:
		fe.Add("content", msgNull)
	case fe["type"] == "":
		content = checkCredentialContent(fe, typ, req.Content)
	}
	level := scopeLevelNone
	if keys["scope_level"] {
		level = checkScopeLevel(fe, req.ScopeLevel)
	}
	var scopes []store.CredentialScope
	if keys["scopes"] {
		scopes = checkScopes(fe, req.Scopes)
	}
	if level == scopeLevelPart && len(scopes) == 0 && fe["scopes"] == "" {
		fe.Add("scopes", "作用域不能为空")
	}
	if level != scopeLevelPart {
		scopes = nil
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	sealed, err := h.seal(content)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	sp := spaceFrom(ctx)
	var out store.Credential
	err = h.store.InTx(ctx, func(q *store.Queries) error {
		taken, err := q.CredentialNameTaken(ctx, sp.ID, name, 0)
		if err != nil {
			return fmt.Errorf("credential names: %w", err)
		}
		if taken {
			return fieldError("name", msgCredentialNameTaken(name))
		}
		out, err = q.CredentialCreate(ctx, store.CredentialCreateParams{SpaceID: sp.ID, Name: name, Desc: desc, Type: typ,
			ScopeLevel: level, Content: sealed, Scopes: scopes, Creator: callerFrom(ctx).Username, Now: h.fmt.now()})
		if errors.Is(err, store.ErrConflict) {
			return fieldError("name", msgCredentialNameTaken(name))
		}
		if err != nil {
			return fmt.Errorf("create credential: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return h.display(out)
}

// errCredentialMissing refuses a credential id the space has not.
func errCredentialMissing(spaceID, id int64) error {
	return &Error{Status: http.StatusOK, Code: http.StatusNotFound,
		Message: fmt.Sprintf("凭证不存在: space_id=%d, credential_id=%d", spaceID, id)}
}

func (h *credentialsHandler) update(r *http.Request) (any, error) {
	id, err := pathID(r, "credential_id")
	if err != nil {
		return nil, err
	}
	var req updateCredentialRequest
	keys, err := decodeBodyKeys(r, &req)
	if err != nil {
		return nil, err
	}
	if keys["content"] && !h.sealer.CanSeal() {
		return nil, errNoSealer
	}
	ctx := r.Context()
	sp := spaceFrom(ctx)
	p := store.CredentialUpdateParams{SpaceID: sp.ID, ID: id, UpdatedBy: callerFrom(ctx).Username, Now: h.fmt.now()}
	fe := FieldErrors{}
	if keys["name"] {
		if v := notNull(fe, "name", req.Name); v != nil {
			n := checkString(fe, "name", v, credentialNameMax, true)
			p.Name = &n
		}
	}
	if keys["desc"] {
		p.DescSet, p.Desc = true, optLongText(fe, "desc", req.Desc, credentialDescMax)
	}
	if keys["type"] {
		if v := notNull(fe, "type", req.Type); v != nil {
			t := checkCredentialType(fe, v, true)
			p.Type = &t
		}
	}
	if keys["scope_level"] {
		l := checkScopeLevel(fe, req.ScopeLevel)
		p.ScopeLevel = &l
	}
	var scopes []store.CredentialScope
	if keys["scopes"] {
		scopes = checkScopes(fe, req.Scopes)
	}
	if keys["content"] && req.Content == nil {
		fe.Add("content", msgNull)
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	var out store.Credential
	err = h.store.InTx(ctx, func(q *store.Queries) error {
		cur, err := q.CredentialGet(ctx, sp.ID, id)
		if errors.Is(err, store.ErrNotFound) {
			return errCredentialMissing(sp.ID, id)
		}
		if err != nil {
			return fmt.Errorf("load credential %d: %w", id, err)
		}
		fe := FieldErrors{}
		typ := cur.Type
		if p.Type != nil {
			typ = *p.Type
		}
		if keys["content"] {
			if content := checkCredentialContent(fe, typ, req.Content); fe.Err() == nil {
				sealed, err := h.seal(content)
				if err != nil {
					return err
				}
				p.Content = &sealed
			}
		} else if typ != cur.Type {
			fe.Add("content", fmt.Sprintf("required when type changes (from %s to %s)", cur.Type, typ))
		}
		level := cur.ScopeLevel
		if p.ScopeLevel != nil {
			level = *p.ScopeLevel
		}
		switch {
		case level != scopeLevelPart:
			p.Scopes = []store.CredentialScope{}
		case keys["scopes"]:
			p.Scopes = scopes
			if len(scopes) == 0 {
				fe.Add("scopes", "作用域不能为空")
			}
		case cur.ScopeLevel != scopeLevelPart || len(cur.Scopes) == 0:
			fe.Add("scopes", "作用域不能为空")
		}
		if p.Name != nil {
			taken, err := q.CredentialNameTaken(ctx, sp.ID, *p.Name, id)
			if err != nil {
				return fmt.Errorf("credential names: %w", err)
			}
			if taken {
				fe.Add("name", msgCredentialNameTaken(*p.Name))
			}
		}
		if err := fe.Err(); err != nil {
			return err
		}
		out, err = q.CredentialUpdate(ctx, p)
		switch {
		case errors.Is(err, store.ErrConflict):
			return fieldError("name", msgCredentialNameTaken(*p.Name))
		case errors.Is(err, store.ErrNotFound):
			return errCredentialMissing(sp.ID, id)
		case err != nil:
			return fmt.Errorf("update credential %d: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return h.display(out)
}

func (h *credentialsHandler) detail(r *http.Request) (any, error) {
	id, err := pathID(r, "credential_id")
	if err != nil {
		return nil, err
	}
	sp := spaceFrom(r.Context())
	c, err := h.store.CredentialGet(r.Context(), sp.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errCredentialMissing(sp.ID, id)
	}
	if err != nil {
		return nil, fmt.Errorf("load credential %d: %w", id, err)
	}
	return h.display(c)
}

func (h *credentialsHandler) list(r *http.Request) (any, error) {
	qs := r.URL.Query()
	fe := FieldErrors{}
	p := store.CredentialListParams{SpaceID: spaceFrom(r.Context()).ID, Name: strings.TrimSpace(qs.Get("name")),
		Type: strings.TrimSpace(qs.Get("type"))}
	p.Offset, p.Limit = pagination(fe, qs)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	list, count, err := h.store.CredentialList(r.Context(), p)
	if err != nil {
		return nil, fmt.Errorf("list credentials: %w", err)
	}
	out := make([]credentialJSON, len(list))
	for i, c := range list {
		if out[i], err = h.display(c); err != nil {
			return nil, err
		}
	}
	return listResult{Data: out, Count: count}, nil
}

func (h *credentialsHandler) delete(r *http.Request) (any, error) {
	id, err := pathID(r, "credential_id")
	if err != nil {
		return nil, err
	}
	sp := spaceFrom(r.Context())
	err = h.store.CredentialDelete(r.Context(), sp.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errCredentialMissing(sp.ID, id)
	}
	if err != nil {
		return nil, fmt.Errorf("delete credential %d: %w", id, err)
	}
	return struct{}{}, nil
}
