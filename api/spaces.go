package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/bkflow/bkflow/api/spaceconfig"
	"github.com/bkflow/bkflow/internal/config"
	"github.com/bkflow/bkflow/internal/store"
)

// spacesHandler serves spaces and their configuration.
type spacesHandler struct {
	store   *store.Store
	configs *spaceconfig.Registry
	cfg     *config.Config
}

func (h *spacesHandler) routes(app, space *routes) {
	app.add(route{Method: http.MethodPost, Path: "/create_space", OperationID: "create_space", Tag: "space", AppAuth: true,
		Summary: "Create a space owned by the calling app, with optional configs",
		Request: createSpaceRequest{}, Response: createSpaceResponse{}, Handler: h.create})
	space.add(route{Method: http.MethodPost, Path: "/space/{space_id}/renew_space_config/", OperationID: "renew_space_config",
		Tag: "space", AppAuth: true, Summary: "Set some config keys of a space (merge: keys not given are kept)",
		Request: renewSpaceConfigRequest{}, Response: spaceConfigs{}, Handler: h.renewConfig})
	space.add(route{Method: http.MethodGet, Path: "/space/{space_id}/get_space_configs/", OperationID: "get_space_configs",
		Tag: "space", AppAuth: true, Summary: "List the config keys stored for a space",
		Response: spaceConfigs{}, Handler: h.getConfigs})
}

type createSpaceRequest struct {
	Name        *string        `json:"name" doc:"unique space name, at most 32 characters"`
	Desc        *string        `json:"desc" doc:"at most 128 characters; may be blank or null"`
	PlatformURL *string        `json:"platform_url" doc:"URL of the access system, at most 256 characters"`
	AppCode     *string        `json:"app_code" doc:"owner app; replaced by the caller's app code unless the caller is whitelisted"`
	Config      map[string]any `json:"config" doc:"space config keys to set (see get_space_configs)"`
}

type createSpaceResponse struct {
	Space  spaceJSON    `json:"space"`
	Config spaceConfigs `json:"config"`
}

type spaceJSON struct {
	ID          int64   `json:"id"`
	Name        string  `json:"name"`
	Desc        *string `json:"desc"`
	PlatformURL string  `json:"platform_url"`
	AppCode     string  `json:"app_code"`
	CreateType  string  `json:"create_type"`
}

type spaceConfigs struct {
	SpaceID int64             `json:"space_id"`
	Config  []spaceConfigItem `json:"config"`
}

type spaceConfigItem struct {
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
}

type renewSpaceConfigRequest struct {
	Config map[string]any `json:"config" doc:"config keys to set; others are left as they are"`
}

func (h *spacesHandler) create(r *http.Request) (any, error) {
	var req createSpaceRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	who := callerFrom(r.Context())
	if req.AppCode == nil || !h.whitelisted(who.AppCode) {
		req.AppCode = &who.AppCode
	}
	fe := FieldErrors{}
	name := checkString(fe, "name", req.Name, 32, true)
	platformURL := checkString(fe, "platform_url", req.PlatformURL, 256, true)
	if _, bad := fe["platform_url"]; !bad && !validURL(platformURL) {
		fe.Add("platform_url", msgURL)
	}
	appCode := checkString(fe, "app_code", req.AppCode, 32, true)
	var desc *string
	if req.Desc != nil {
		d := strings.TrimSpace(*req.Desc)
		if utf8.RuneCountInString(d) > 128 {
			fe.Add("desc", msgMaxLength(128))
		}
		desc = &d
	}
	configs := map[string]any{}
	if who.Username != "" {
		configs["superusers"] = []any{who.Username}
	} else {
		configs["superusers"] = []any{}
	}
	configs["flow_versioning"] = "true"
	for k, v := range req.Config {
		configs[k] = v
	}
	h.validateConfigs(fe, req.Config)
	if err := fe.Err(); err != nil {
		return nil, err
	}

	var resp createSpaceResponse
	err := h.store.InTx(r.Context(), func(q *store.Queries) error {
		if err := q.SpaceLockApp(r.Context(), appCode); err != nil {
			return err
		}
		n, err := q.SpaceCountByApp(r.Context(), appCode)
		if err != nil {
			return err
		}
		if n >= h.cfg.MaxSpacesPerApp {
			return fieldError("app_code", fmt.Sprintf("space number of app code %s exceeds limit %d", appCode, h.cfg.MaxSpacesPerApp))
		}
		sp, err := q.SpaceCreate(r.Context(), store.SpaceCreateParams{
			Name: name, AppCode: appCode, Desc: desc, PlatformURL: platformURL, CreateType: "API", Creator: who.Username,
		})
		if errors.Is(err, store.ErrConflict) {
			return fieldError("name", fmt.Sprintf("Space with name %s already exist", name))
		}
		if err != nil {
			return err
		}
		if err := upsertConfigs(r.Context(), q, sp.ID, configs); err != nil {
			return err
		}
		list, err := listConfigs(r.Context(), q, sp.ID)
		if err != nil {
			return err
		}
		resp = createSpaceResponse{Space: toSpaceJSON(sp), Config: list}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func (h *spacesHandler) renewConfig(r *http.Request) (any, error) {
	var req renewSpaceConfigRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if req.Config == nil {
		return nil, fieldError("config", msgRequired)
	}
	fe := FieldErrors{}
	h.validateConfigs(fe, req.Config)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	sp := spaceFrom(r.Context())
	var resp spaceConfigs
	err := h.store.InTx(r.Context(), func(q *store.Queries) error {
		if err := upsertConfigs(r.Context(), q, sp.ID, req.Config); err != nil {
			return err
		}
		var err error
		resp, err = listConfigs(r.Context(), q, sp.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

func (h *spacesHandler) getConfigs(r *http.Request) (any, error) {
	return listConfigs(r.Context(), h.store.Queries, spaceFrom(r.Context()).ID)
}

func (h *spacesHandler) validateConfigs(fe FieldErrors, configs map[string]any) {
	if len(configs) == 0 {
		return
	}
	err := h.configs.Validate(configs)
	var ve *spaceconfig.ValidationError
	if errors.As(err, &ve) {
		for k, msg := range ve.Fields {
			fe.Add("config."+k, msg)
		}
	} else if err != nil {
		fe.Add("config", err.Error())
	}
}

func (h *spacesHandler) whitelisted(app string) bool {
	for _, a := range h.cfg.AppWhitelist {
		if a == app {
			return true
		}
	}
	return false
}

func upsertConfigs(ctx context.Context, q *store.Queries, spaceID int64, configs map[string]any) error {
	for k, v := range configs {
		raw, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode config %s: %w", k, err)
		}
		if err := q.SpaceConfigUpsert(ctx, spaceID, k, raw); err != nil {
			return fmt.Errorf("store config %s: %w", k, err)
		}
	}
	return nil
}

func listConfigs(ctx context.Context, q *store.Queries, spaceID int64) (spaceConfigs, error) {
	rows, err := q.SpaceConfigList(ctx, spaceID)
	if err != nil {
		return spaceConfigs{}, fmt.Errorf("list configs of space %d: %w", spaceID, err)
	}
	out := spaceConfigs{SpaceID: spaceID, Config: make([]spaceConfigItem, len(rows))}
	for i, c := range rows {
		out.Config[i] = spaceConfigItem{Key: c.Name, Value: c.Value}
	}
	return out, nil
}

func toSpaceJSON(s store.Space) spaceJSON {
	return spaceJSON{ID: s.ID, Name: s.Name, Desc: s.Desc, PlatformURL: s.PlatformURL, AppCode: s.AppCode, CreateType: s.CreateType}
}

// checkString applies DRF CharField rules: required, not null, trimmed, not
// blank, at most max characters. It returns the trimmed value.
func checkString(fe FieldErrors, field string, v *string, max int, required bool) string {
	if v == nil {
		if required {
			fe.Add(field, msgRequired)
		}
		return ""
	}
	s := strings.TrimSpace(*v)
	if s == "" {
		fe.Add(field, msgBlank)
		return ""
	}
	if utf8.RuneCountInString(s) > max {
		fe.Add(field, msgMaxLength(max))
	}
	return s
}

// validURL accepts absolute http, https, ftp and ftps URLs with a host, as
// DRF's URLField does.
func validURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "ftp", "ftps":
		return true
	}
	return false
}

type ctxKeySpace struct{}

// spaceFrom returns the space loaded by loadSpace.
func spaceFrom(ctx context.Context) store.Space {
	s, _ := ctx.Value(ctxKeySpace{}).(store.Space)
	return s
}

// loadSpace resolves {space_id} once for every route under /space/{space_id}:
// a space that does not exist, or belongs to another app, is refused with
// BKFlow's 403 and its message.
func loadSpace(st *store.Store, a adapter) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			raw := chi.URLParam(r, "space_id")
			id, err := strconv.ParseInt(raw, 10, 64)
			if err != nil || id < 0 {
				a.fail(w, r, errNotFound(fmt.Sprintf("space_id must be a non-negative integer, got %q", raw)))
				return
			}
			sp, err := st.SpaceGet(r.Context(), id)
			if errors.Is(err, store.ErrNotFound) || (err == nil && sp.IsDeleted) {
				a.fail(w, r, errForbidden(fmt.Sprintf("空间不存在，space_id=%d", id)))
				return
			}
			if err != nil {
				a.fail(w, r, errInternal(fmt.Errorf("load space %d: %w", id, err)))
				return
			}
			if app := callerFrom(r.Context()).AppCode; sp.AppCode != app {
				a.fail(w, r, errForbidden(fmt.Sprintf("当前应用无权操作此空间，app=%s", app)))
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKeySpace{}, sp)))
		})
	}
}
