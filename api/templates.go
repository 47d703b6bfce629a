package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/bkflow/bkflow/api/spaceconfig"
	"github.com/bkflow/bkflow/internal/config"
	"github.com/bkflow/bkflow/internal/secrets"
	"github.com/bkflow/bkflow/internal/store"
	"github.com/bkflow/bkflow/policy/admission"
	"github.com/bkflow/bkflow/workflows/pipeline"
)

// templatesHandler serves templates: saving, versions, lists and details.
type templatesHandler struct {
	// admission holds operators' rules for template saves.
	admission *admission.Checker
	store     *store.Store
	cfg       *config.Config
	configs   *spaceconfig.Registry
	parser    *pipeline.Parser
	sealer    *secrets.Sealer
	fmt       formatter
}

func (h *templatesHandler) routes(space, template *routes) {
	space.add(route{Method: http.MethodPost, Path: "/space/{space_id}/create_template/", OperationID: "create_template",
		Tag: "template", AppAuth: true,
		Summary: "Create a template from a pipeline_tree, a copy of another template, or the default tree",
		Request: createTemplateRequest{}, Response: templateSavedJSON{}, Handler: h.create})
	template.add(route{Method: http.MethodPost, Path: "/space/{space_id}/update_template/{template_id}/",
		OperationID: "update_template", Tag: "template", AppAuth: true,
		Summary: "Change a template; a new tree becomes the draft (flow_versioning) or the live tree",
		Request: updateTemplateRequest{}, Response: templateSavedJSON{}, Handler: h.update})
	template.add(route{Method: http.MethodPost, Path: "/space/{space_id}/delete_template/{template_id}/",
		OperationID: "delete_template", Tag: "template", AppAuth: true,
		Summary: "Delete a template no other template runs as a subprocess", Response: map[string]any{}, Handler: h.delete})
	space.add(route{Method: http.MethodPost, Path: "/space/{space_id}/batch_delete_template/",
		OperationID: "batch_delete_template", Tag: "template", AppAuth: true,
		Summary: "Delete up to 200 templates at once (all or none)", Request: batchDeleteTemplateRequest{},
		Response: map[string]any{}, Handler: h.batchDelete})
	space.add(route{Method: http.MethodGet, Path: "/space/{space_id}/get_template_list/", OperationID: "get_template_list",
		Tag: "template", AppAuth: true, Summary: "List templates (count at the envelope's top level)",
		Query: []queryParam{
			{Name: "limit", Type: "integer", Description: "page size, default 100, at most 200"},
			{Name: "offset", Type: "integer", Description: "rows to skip, default 0"},
			{Name: "id", Type: "string", Description: "comma-separated template ids"},
			{Name: "name", Type: "string", Description: "name contains (case-insensitive)"},
			{Name: "label", Type: "string", Description: "label names (comma or space separated); a root label matches its children"},
			{Name: "creator", Type: "string"}, {Name: "updated_by", Type: "string"},
			{Name: "scope_type", Type: "string"}, {Name: "scope_value", Type: "string"},
			{Name: "create_at_start", Type: "string", Description: "created at or after (ISO-8601; naive times are in --time-zone)"},
			{Name: "create_at_end", Type: "string", Description: "created at or before"},
			{Name: "order_by", Type: "string", Description: "a column, '-' for descending; default -create_at"},
		}, Response: listResult{Data: []templateListItem{}}, Handler: h.list})
	template.add(route{Method: http.MethodGet, Path: "/space/{space_id}/template/{template_id}/get_template_detail/",
		OperationID: "get_template_detail", Tag: "template", AppAuth: true,
		Summary: "A template with its live tree, or (format=plugin) its inputs and outputs as JSON Schemas",
		Query: []queryParam{
			{Name: "format", Type: "string", Description: "raw (default), pipeline_tree or plugin"},
			{Name: "with_mock_data", Type: "boolean", Description: "accepted; bkflow stores no mock schemes, so nothing is added"},
		}, Response: templateDetailJSON{}, Handler: h.detail})
	template.add(route{Method: http.MethodPost, Path: "/space/{space_id}/template/{template_id}/release_template/",
		OperationID: "release_template", Tag: "template", AppAuth: true,
		Summary: "Release the draft as a new semver version (flow_versioning spaces)", Request: releaseTemplateRequest{},
		Response: templateDetailJSON{}, Handler: h.release})
	template.add(route{Method: http.MethodPost, Path: "/space/{space_id}/template/{template_id}/rollback_template/",
		OperationID: "rollback_template", Tag: "template", AppAuth: true,
		Summary: "Make a released version the draft again (release it to make it live)", Request: rollbackTemplateRequest{},
		Response: map[string]any{}, Handler: h.rollback})
	template.add(route{Method: http.MethodPost, Path: "/space/{space_id}/template/{template_id}/update_labels/",
		OperationID: "update_template_labels", Tag: "template", AppAuth: true,
		Summary: "Replace a template's labels", Request: labelIDsRequest{}, Response: []int64{}, Handler: h.updateLabels})
	space.add(route{Method: http.MethodPost, Path: "/space/{space_id}/validate_pipeline_tree/",
		OperationID: "validate_pipeline_tree", Tag: "template", AppAuth: true,
		Summary: "Validate a pipeline_tree without storing it", Request: validateTreeRequest{},
		Response: map[string]any{}, Handler: h.validateTree})
}

// nullableString is a JSON string field that can be absent, null or set.
type nullableString struct {
	Set   bool
	Value *string
}

// UnmarshalJSON records that the field was present.
func (n *nullableString) UnmarshalJSON(b []byte) error {
	n.Set = true
	if string(b) == "null" {
		n.Value = nil
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	n.Value = &s
	return nil
}

type createTemplateRequest struct {
	Name             *string         `json:"name" doc:"required, at most 128 characters"`
	Creator          *string         `json:"creator" doc:"at most 32 characters; default: the caller's bk_username"`
	SourceTemplateID *int64          `json:"source_template_id" doc:"copy the live tree of this template of the same space (wins over pipeline_tree)"`
	PipelineTree     json.RawMessage `json:"pipeline_tree" doc:"web-form tree; absent: the default tree of the space's canvas_mode"`
	NotifyConfig     json.RawMessage `json:"notify_config" doc:"an object"`
	Desc             *string         `json:"desc" doc:"at most 256 characters"`
	ScopeType        *string         `json:"scope_type" doc:"at most 128 characters; together with scope_value"`
	ScopeValue       *string         `json:"scope_value"`
	Source           *string         `json:"source" doc:"at most 32 characters"`
	BindAppCode      *string         `json:"bind_app_code" doc:"the app allowed to use the *_by_app endpoints"`
	ExtraInfo        json.RawMessage `json:"extra_info" doc:"an object"`
	LabelIDs         []int64         `json:"label_ids" doc:"labels of scope template or common, not parents"`
	AutoRelease      bool            `json:"auto_release" doc:"flow_versioning: release the first tree as 1.0.0 instead of a draft"`
	WebhookConfigs   json.RawMessage `json:"webhook_configs" doc:"{method, endpoint, extra_info}: the template's webhook for task_finished/task_failed"`
}

type updateTemplateRequest struct {
	Operator       *string         `json:"operator" doc:"at most 32 characters; default: the caller's bk_username"`
	Name           *string         `json:"name"`
	NotifyConfig   json.RawMessage `json:"notify_config"`
	Desc           nullableString  `json:"desc"`
	ScopeType      *string         `json:"scope_type"`
	ScopeValue     *string         `json:"scope_value"`
	Source         nullableString  `json:"source"`
	Version        *string         `json:"version" doc:"with auto_release: the version to release (default: the next one)"`
	ExtraInfo      json.RawMessage `json:"extra_info"`
	PipelineTree   json.RawMessage `json:"pipeline_tree"`
	AutoRelease    bool            `json:"auto_release"`
	LabelIDs       []int64         `json:"label_ids" doc:"replaces the labels; absent leaves them, [] clears them"`
	EnableWebhook  *bool           `json:"enable_webhook" doc:"true with webhook_configs sets the webhook, false clears it"`
	WebhookConfigs json.RawMessage `json:"webhook_configs"`
}

type batchDeleteTemplateRequest struct {
	TemplateIDs []int64 `json:"template_ids" doc:"1 to 200 template ids"`
}

type releaseTemplateRequest struct {
	Version *string `json:"version" doc:"required: a semver greater than every released version"`
	Desc    *string `json:"desc"`
	Force   bool    `json:"force" doc:"release the live tree when there is no draft"`
}

type rollbackTemplateRequest struct {
	Version *string `json:"version" doc:"a released version"`
}

type validateTreeRequest struct {
	PipelineTree json.RawMessage `json:"pipeline_tree" doc:"required: a web-form tree"`
}

// hasObject reports whether raw holds a non-empty JSON object.
func hasObject(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s != "" && s != "null" && s != "{}"
}

// checkObject records a field that must be a JSON object when given.
func checkObject(fe FieldErrors, field string, raw json.RawMessage) {
	s := strings.TrimSpace(string(raw))
	if s == "" {
		return
	}
	if !strings.HasPrefix(s, "{") {
		fe.Add(field, "must be an object")
	}
}

// optString validates an optional string field, returning nil when absent.
func optString(fe FieldErrors, field string, v *string, max int) *string {
	if v == nil {
		return nil
	}
	s := checkString(fe, field, v, max, true)
	return &s
}

func checkScope(fe FieldErrors, scopeType, scopeValue *string) {
	if (scopeType == nil) != (scopeValue == nil) {
		fe.Add("scope_type", "作用域类型和作用域值必须同时填写，或同时不填写")
	}
}

func (h *templatesHandler) create(r *http.Request) (any, error) {
	var req createTemplateRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	ctx := r.Context()
	sp := spaceFrom(ctx)
	fe := FieldErrors{}
	name := checkString(fe, "name", req.Name, 128, true)
	creator := callerFrom(ctx).Username
	if req.Creator != nil {
		creator = checkString(fe, "creator", req.Creator, 32, true)
	} else if creator == "" {
		fe.Add("creator", "网关用户和creator都为空，请检查")
	}
	desc := optLongText(fe, "desc", req.Desc, 256)
	scopeType := optString(fe, "scope_type", req.ScopeType, 128)
	scopeValue := optString(fe, "scope_value", req.ScopeValue, 128)
	checkScope(fe, req.ScopeType, req.ScopeValue)
	source := optLongText(fe, "source", req.Source, 32)
	bind := optLongText(fe, "bind_app_code", req.BindAppCode, 128)
	checkObject(fe, "notify_config", req.NotifyConfig)
	checkObject(fe, "extra_info", req.ExtraInfo)
	webhook, err := h.checkWebhook(fe, req.WebhookConfigs)
	if err != nil {
		return nil, err
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}

	var tree pipeline.Tree
	switch {
	case req.SourceTemplateID != nil && *req.SourceTemplateID != 0:
		src, err := h.store.TemplateGet(ctx, *req.SourceTemplateID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && src.IsDeleted) {
			return nil, fieldError("source_template_id", fmt.Sprintf("复制的源模板不存在, 请检查: %d", *req.SourceTemplateID))
		}
		if err != nil {
			return nil, fmt.Errorf("load source template: %w", err)
		}
		if src.SpaceID != sp.ID {
			return nil, fieldError("source_template_id", fmt.Sprintf("只能复制同一个空间下的模板, space_id=%d", src.SpaceID))
		}
		if tree, err = h.liveTree(ctx, h.store.Queries, src); err != nil {
			return nil, err
		}
	case hasObject(req.PipelineTree):
		if tree, err = pipeline.DecodeTree(req.PipelineTree); err != nil {
			return nil, fieldError("pipeline_tree", "流程树校验失败: "+err.Error())
		}
	default:
		mode, err := spaceSetting(ctx, h.store.Queries, h.configs, sp.ID, spaceconfig.KeyCanvasMode)
		if err != nil {
			return nil, err
		}
		tree = pipeline.DefaultTree(mode)
	}

	var out templateSavedJSON
	err = h.store.InTx(ctx, func(q *store.Queries) error {
		saved, err := h.checkTemplateTree(ctx, q, sp.ID, 0, tree, true)
		if err != nil {
			return err
		}
		labelIDs, err := checkLabelIDs(ctx, q, sp.ID, req.LabelIDs, labelScopeTemplate, "label_ids")
		if err != nil {
			return err
		}
		versioning, err := h.flowVersioning(ctx, q, sp.ID)
		if err != nil {
			return err
		}
		var version *string
		if !versioning || req.AutoRelease {
			v := "1.0.0"
			version = &v
		}
		now := h.fmt.now()
		t, err := q.TemplateCreate(ctx, store.TemplateCreateParams{
			SpaceID: sp.ID, Name: name, Desc: desc, NotifyConfig: req.NotifyConfig, ScopeType: scopeType,
			ScopeValue: scopeValue, Source: source, BKAppCode: bind, ExtraInfo: req.ExtraInfo, WebhookConfigs: webhook,
			Creator: creator, Tree: saved.raw, MD5Sum: saved.md5, Version: version, Now: now,
		})
		if err != nil {
			return fmt.Errorf("create template: %w", err)
		}
		if err := q.ReferencesReplace(ctx, t.ID, references(saved.refs)); err != nil {
			return fmt.Errorf("save references: %w", err)
		}
		if err := q.TemplateLabelsSet(ctx, t.ID, labelIDs); err != nil {
			return fmt.Errorf("save labels: %w", err)
		}
		out, err = h.saved(ctx, q, t, versioning, saved.raw)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// optLongText validates an optional, nullable, possibly blank text field.
func optLongText(fe FieldErrors, field string, v *string, max int) *string {
	if v == nil {
		return nil
	}
	s := strings.TrimSpace(*v)
	if len([]rune(s)) > max {
		fe.Add(field, msgMaxLength(max))
	}
	return &s
}

// saved renders a template after a save, with its labels.
func (h *templatesHandler) saved(ctx context.Context, q *store.Queries, t store.Template, versioning bool,
	tree json.RawMessage) (templateSavedJSON, error) {
	labels, err := q.LabelsOfTemplates(ctx, []int64{t.ID})
	if err != nil {
		return templateSavedJSON{}, fmt.Errorf("load labels: %w", err)
	}
	if tree == nil {
		snap, err := q.SnapshotGet(ctx, t.SnapshotID)
		if err != nil {
			return templateSavedJSON{}, fmt.Errorf("load live tree: %w", err)
		}
		tree = snap.Data
	}
	return templateSavedJSON{
		templateDetailJSON: templateDetailJSON{templateJSON: h.fmt.template(t, versioning), PipelineTree: tree},
		Labels:             h.fmt.labels(labels[t.ID]),
	}, nil
}

// liveTree loads the tree tasks of t run.
func (h *templatesHandler) liveTree(ctx context.Context, q *store.Queries, t store.Template) (pipeline.Tree, error) {
	snap, err := q.SnapshotGet(ctx, t.SnapshotID)
	if err != nil {
		return nil, fmt.Errorf("load live tree of template %d: %w", t.ID, err)
	}
	tree, err := pipeline.DecodeTree(snap.Data)
	if err != nil {
		return nil, fmt.Errorf("decode live tree of template %d: %w", t.ID, err)
	}
	return tree, nil
}

func (h *templatesHandler) update(r *http.Request) (any, error) {
	var req updateTemplateRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	ctx := r.Context()
	sp := spaceFrom(ctx)
	fe := FieldErrors{}
	operator := callerFrom(ctx).Username
	if req.Operator != nil {
		operator = checkString(fe, "operator", req.Operator, 32, true)
	} else if operator == "" {
		fe.Add("operator", "网关用户和operator都为空，请检查")
	}
	name := optString(fe, "name", req.Name, 128)
	checkScope(fe, req.ScopeType, req.ScopeValue)
	scopeType := optString(fe, "scope_type", req.ScopeType, 128)
	scopeValue := optString(fe, "scope_value", req.ScopeValue, 128)
	var desc, source **string
	if req.Desc.Set {
		d := optLongText(fe, "desc", req.Desc.Value, 256)
		desc = &d
	}
	if req.Source.Set {
		s := optLongText(fe, "source", req.Source.Value, 32)
		source = &s
	}
	if req.Version != nil {
		checkString(fe, "version", req.Version, 32, true)
	}
	checkObject(fe, "notify_config", req.NotifyConfig)
	checkObject(fe, "extra_info", req.ExtraInfo)
	var webhook *json.RawMessage
	if req.EnableWebhook != nil {
		w := json.RawMessage(nil)
		if *req.EnableWebhook {
			if !hasObject(req.WebhookConfigs) {
				fe.Add("webhook_configs", "required when enable_webhook is true")
			}
			var err error
			if w, err = h.checkWebhook(fe, req.WebhookConfigs); err != nil {
				return nil, err
			}
		}
		webhook = &w
	}
	var tree pipeline.Tree
	if hasObject(req.PipelineTree) {
		var err error
		if tree, err = pipeline.DecodeTree(req.PipelineTree); err != nil {
			fe.Add("pipeline_tree", "流程树校验失败: "+err.Error())
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}

	var out templateSavedJSON
	err := h.store.InTx(ctx, func(q *store.Queries) error {
		t, err := q.TemplateLock(ctx, templateFrom(ctx).ID)
		if err != nil {
			return fmt.Errorf("lock template: %w", err)
		}
		versioning, err := h.flowVersioning(ctx, q, sp.ID)
		if err != nil {
			return err
		}
		now := h.fmt.now()
		p := store.TemplateUpdateParams{ID: t.ID, Name: name, Desc: desc, NotifyConfig: req.NotifyConfig,
			ScopeType: scopeType, ScopeValue: scopeValue, Source: source, ExtraInfo: req.ExtraInfo,
			WebhookConfigs: webhook, UpdatedBy: operator, Now: now}
		if tree != nil {
			saved, err := h.checkTemplateTree(ctx, q, sp.ID, t.ID, tree, false)
			if err != nil {
				return err
			}
			live, err := h.saveTree(ctx, q, t, saved, versioning, req.AutoRelease, req.Version, operator)
			if err != nil {
				return err
			}
			if live != 0 {
				p.SnapshotID = &live
				if err := q.ReferencesReplace(ctx, t.ID, references(saved.refs)); err != nil {
					return fmt.Errorf("save references: %w", err)
				}
			}
		}
		if err := q.TemplateUpdate(ctx, p); err != nil {
			return fmt.Errorf("update template: %w", err)
		}
		if req.LabelIDs != nil {
			ids, err := checkLabelIDs(ctx, q, sp.ID, req.LabelIDs, labelScopeTemplate, "label_ids")
			if err != nil {
				return err
			}
			if err := q.TemplateLabelsSet(ctx, t.ID, ids); err != nil {
				return fmt.Errorf("save labels: %w", err)
			}
		}
		if t, err = q.TemplateGet(ctx, t.ID); err != nil {
			return err
		}
		out, err = h.saved(ctx, q, t, versioning, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// saveTree stores a template's new tree and returns the snapshot that
// becomes live (0 when the live tree does not change). Without
// flow_versioning every tree is a new live version; with it the tree is the
// draft (live until the first release), released at once with autoRelease.
func (h *templatesHandler) saveTree(ctx context.Context, q *store.Queries, t store.Template, saved savedTree,
	versioning, autoRelease bool, version *string, operator string) (int64, error) {
	now := h.fmt.now()
	released, err := q.SnapshotVersions(ctx, t.ID)
	if err != nil {
		return 0, fmt.Errorf("load versions: %w", err)
	}
	if !versioning {
		v := nextVersion(latestVersion(released))
		snap, err := q.SnapshotCreate(ctx, store.SnapshotCreateParams{TemplateID: t.ID, Tree: saved.raw,
			MD5Sum: saved.md5, Version: &v, Creator: operator, Now: now})
		if err != nil {
			return 0, fmt.Errorf("save tree: %w", err)
		}
		return snap.ID, nil
	}
	live := int64(0)
	draft, err := q.SnapshotDraft(ctx, t.ID)
	switch {
	case err == nil:
		if err := q.SnapshotSetTree(ctx, draft.ID, saved.raw, saved.md5, operator, now); err != nil {
			return 0, fmt.Errorf("save draft: %w", err)
		}
		if draft.ID == t.SnapshotID {
			live = draft.ID // never released: the draft is the live tree
		}
	case errors.Is(err, store.ErrNotFound):
		d := "基于 " + deref(t.Version) + " 版本的草稿"
		if draft, err = q.SnapshotCreate(ctx, store.SnapshotCreateParams{TemplateID: t.ID, Tree: saved.raw,
			MD5Sum: saved.md5, Desc: &d, Draft: true, Creator: operator, Now: now}); err != nil {
			return 0, fmt.Errorf("save draft: %w", err)
		}
	default:
		return 0, fmt.Errorf("load draft: %w", err)
	}
	if !autoRelease {
		return live, nil
	}
	v := nextVersion(latestVersion(released))
	if version != nil && strings.TrimSpace(*version) != "" {
		v = strings.TrimSpace(*version)
	}
	if err := checkNewVersion(v, released); err != nil {
		var refused *Error
		if errors.As(err, &refused) {
			return 0, fieldError("version", refused.Message)
		}
		return 0, err
	}
	if err := q.SnapshotRelease(ctx, draft.ID, v, nil, operator, now); err != nil {
		return 0, fmt.Errorf("release: %w", err)
	}
	return draft.ID, nil
}

func (h *templatesHandler) delete(r *http.Request) (any, error) {
	ctx := r.Context()
	t := templateFrom(ctx)
	err := h.store.InTx(ctx, func(q *store.Queries) error {
		refs, err := q.TemplateReferrers(ctx, t.SpaceID, []int64{t.ID}, []int64{t.ID})
		if err != nil {
			return fmt.Errorf("load references: %w", err)
		}
		if len(refs) > 0 {
			parents := make([]int64, 0, len(refs))
			for _, r := range refs {
				parents = append(parents, r.RootTemplateID)
			}
			return &Error{Status: http.StatusOK, Code: codeValidation, Message: "模板被引用，无法删除",
				Data: map[string]any{"parent_templates": parents}}
		}
		return q.TemplatesSoftDelete(ctx, t.SpaceID, []int64{t.ID}, h.fmt.now())
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (h *templatesHandler) batchDelete(r *http.Request) (any, error) {
	var req batchDeleteTemplateRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	switch {
	case req.TemplateIDs == nil:
		return nil, fieldError("template_ids", msgRequired)
	case len(req.TemplateIDs) == 0:
		return nil, fieldError("template_ids", "template_ids 不能为空，至少需要包含一个模板ID")
	case len(req.TemplateIDs) > 200:
		return nil, fieldError("template_ids", "template_ids 不能超过200个长度")
	}
	ctx := r.Context()
	sp := spaceFrom(ctx)
	ids := slices.Compact(slices.Sorted(slices.Values(req.TemplateIDs)))
	err := h.store.InTx(ctx, func(q *store.Queries) error {
		live, err := q.TemplatesLive(ctx, sp.ID, ids)
		if err != nil {
			return fmt.Errorf("load templates: %w", err)
		}
		if len(live) != len(ids) {
			var missing []string
			for _, id := range ids {
				if !containsID(live, id) {
					missing = append(missing, strconv.FormatInt(id, 10))
				}
			}
			return &Error{Status: http.StatusOK, Code: codeValidation, Data: map[string]any{},
				Message: "模板不存在或不属于当前空间: [" + strings.Join(missing, ", ") + "]"}
		}
		refs, err := q.TemplateReferrers(ctx, sp.ID, ids, ids)
		if err != nil {
			return fmt.Errorf("load references: %w", err)
		}
		if len(refs) > 0 {
			info := map[string][]map[string]any{}
			for _, r := range refs {
				k := strconv.FormatInt(r.SubprocessTemplateID, 10)
				info[k] = append(info[k], map[string]any{"root_template_id": strconv.FormatInt(r.RootTemplateID, 10),
					"root_template_name": r.RootTemplateName})
			}
			return &Error{Status: http.StatusOK, Code: codeValidation, Message: "模板被引用，无法删除",
				Data: map[string]any{"root_template_info": info}}
		}
		return q.TemplatesSoftDelete(ctx, sp.ID, ids, h.fmt.now())
	})
	if err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (h *templatesHandler) list(r *http.Request) (any, error) {
	ctx := r.Context()
	sp := spaceFrom(ctx)
	qs := r.URL.Query()
	fe := FieldErrors{}
	f := store.TemplateFilter{SpaceID: sp.ID}
	f.Offset, f.Limit = pagination(fe, qs)
	if s := qs.Get("id"); s != "" {
		f.IDs = parseIDList(fe, "id", s)
	}
	f.Name = queryString(fe, qs, "name", 128)
	f.Creator = queryString(fe, qs, "creator", 32)
	f.UpdatedBy = qs.Get("updated_by")
	if s := queryString(fe, qs, "scope_type", 128); s != "" {
		f.ScopeType = &s
	}
	if s := queryString(fe, qs, "scope_value", 128); s != "" {
		f.ScopeValue = &s
	}
	f.CreatedAfter = h.fmt.queryTime(fe, qs, "create_at_start")
	f.CreatedBefore = h.fmt.queryTime(fe, qs, "create_at_end")
	if o := qs.Get("order_by"); o != "" {
		if !store.TemplateOrderable(strings.TrimPrefix(o, "-")) {
			fe.Add("order_by", fmt.Sprintf("cannot order by %q; use one of id, name, create_at, update_at, creator, "+
				"updated_by, scope_type, scope_value, source, optionally prefixed with -", o))
		}
		f.OrderBy = o
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if names := labelNames(qs.Get("label")); len(names) > 0 {
		ids, err := h.store.LabelIDsByNames(ctx, sp.ID, names)
		if err != nil {
			return nil, fmt.Errorf("resolve labels: %w", err)
		}
		f.LabelIDs = append([]int64{}, ids...)
	}
	f.Where = listFilterFrom(ctx)
	list, count, err := h.store.TemplateList(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}
	versioning, err := h.flowVersioning(ctx, h.store.Queries, sp.ID)
	if err != nil {
		return nil, err
	}
	items := make([]templateListItem, len(list))
	for i, t := range list {
		items[i] = templateListItem{templateJSON: h.fmt.template(t, versioning)}
	}
	return listResult{Data: items, Count: count}, nil
}

func (h *templatesHandler) detail(r *http.Request) (any, error) {
	ctx := r.Context()
	t := templateFrom(ctx)
	format := r.URL.Query().Get("format")
	switch format {
	case "", "raw", "pipeline_tree", "plugin":
	default:
		return nil, fieldError("format", fmt.Sprintf(`"%s" is not a valid choice.`, format))
	}
	if s := r.URL.Query().Get("with_mock_data"); s != "" {
		if _, ok := parseBool(s); !ok {
			return nil, fieldError("with_mock_data", "Must be a valid boolean.")
		}
	}
	return h.describe(ctx, t, format, false)
}

// describe renders get_template_detail(_by_app): the template with its live
// tree, or its plugin form.
func (h *templatesHandler) describe(ctx context.Context, t store.Template, format string, byApp bool) (any, error) {
	versioning, err := h.flowVersioning(ctx, h.store.Queries, t.SpaceID)
	if err != nil {
		return nil, err
	}
	tree, err := h.liveTree(ctx, h.store.Queries, t)
	if err != nil {
		return nil, err
	}
	base := h.fmt.template(t, versioning)
	if format == "plugin" {
		in, out := pluginSchemas(tree)
		p := templatePluginJSON{ID: t.ID, Name: t.Name, Desc: t.Desc, Version: base.Version, SpaceID: t.SpaceID,
			ScopeType: t.ScopeType, ScopeValue: t.ScopeValue, Creator: t.Creator, CreateAt: base.CreateAt,
			UpdatedBy: t.UpdatedBy, UpdateAt: base.UpdateAt, Inputs: in, Outputs: out, ContextInputs: contextInputsSchema()}
		if byApp {
			p.BKAppCode = t.BKAppCode
		}
		return p, nil
	}
	if tree, err = normaliseSubprocessVersions(ctx, h.store.Queries, tree, versioning); err != nil {
		return nil, err
	}
	raw, err := json.Marshal(tree)
	if err != nil {
		return nil, errInternal(err)
	}
	return templateDetailJSON{templateJSON: base, PipelineTree: raw}, nil
}

// checkVersion validates the version of a release or rollback request.
func checkVersion(v *string) (string, error) {
	fe := FieldErrors{}
	version := checkString(fe, "version", v, 32, true)
	return version, fe.Err()
}

// lockVersioned locks template t for a release or rollback, refusing with
// refused when its space has flow_versioning off.
func (h *templatesHandler) lockVersioned(ctx context.Context, q *store.Queries, t store.Template, refused string) (store.Template, error) {
	versioning, err := h.flowVersioning(ctx, q, t.SpaceID)
	if err != nil {
		return store.Template{}, err
	}
	if !versioning {
		return store.Template{}, refusal("%s", refused)
	}
	locked, err := q.TemplateLock(ctx, t.ID)
	if err != nil {
		return store.Template{}, fmt.Errorf("lock template: %w", err)
	}
	return locked, nil
}

func (h *templatesHandler) release(r *http.Request) (any, error) {
	var req releaseTemplateRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	version, err := checkVersion(req.Version)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	t := templateFrom(ctx)
	operator := callerFrom(ctx).Username
	var out templateDetailJSON
	err = h.store.InTx(ctx, func(q *store.Queries) error {
		t, err := h.lockVersioned(ctx, q, t, "当前空间未开启版本管理，无法发布模板")
		if err != nil {
			return err
		}
		released, err := q.SnapshotVersions(ctx, t.ID)
		if err != nil {
			return fmt.Errorf("load versions: %w", err)
		}
		if err := checkNewVersion(version, released); err != nil {
			return err
		}
		now := h.fmt.now()
		var desc *string
		if req.Desc != nil {
			d := strings.TrimSpace(*req.Desc)
			desc = &d
		}
		draft, err := q.SnapshotDraft(ctx, t.ID)
		switch {
		case err == nil:
			if err := q.SnapshotRelease(ctx, draft.ID, version, desc, operator, now); err != nil {
				return fmt.Errorf("release: %w", err)
			}
		case errors.Is(err, store.ErrNotFound) && req.Force:
			live, err := q.SnapshotGet(ctx, t.SnapshotID)
			if err != nil {
				return fmt.Errorf("load live tree: %w", err)
			}
			if draft, err = q.SnapshotCreate(ctx, store.SnapshotCreateParams{TemplateID: t.ID, Tree: live.Data,
				MD5Sum: live.MD5Sum, Version: &version, Desc: desc, Creator: operator, Now: now}); err != nil {
				return fmt.Errorf("release: %w", err)
			}
		case errors.Is(err, store.ErrNotFound):
			return refusal("该模板%d没有草稿版本", t.ID)
		default:
			return fmt.Errorf("load draft: %w", err)
		}
		if err := q.TemplateUpdate(ctx, store.TemplateUpdateParams{ID: t.ID, SnapshotID: &draft.ID,
			UpdatedBy: t.UpdatedBy, Now: now}); err != nil {
			return fmt.Errorf("release: %w", err)
		}
		tree, err := pipeline.DecodeTree(draft.Data)
		if err != nil {
			return fmt.Errorf("decode released tree: %w", err)
		}
		refs, err := pipeline.SubprocessRefs(tree)
		if err != nil {
			return fieldError("pipeline_tree", "流程树校验失败: "+err.Error())
		}
		if err := q.ReferencesReplace(ctx, t.ID, references(refs)); err != nil {
			return fmt.Errorf("save references: %w", err)
		}
		if t, err = q.TemplateGet(ctx, t.ID); err != nil {
			return err
		}
		out = templateDetailJSON{templateJSON: h.fmt.template(t, true), PipelineTree: draft.Data}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (h *templatesHandler) rollback(r *http.Request) (any, error) {
	var req rollbackTemplateRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	version, err := checkVersion(req.Version)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	t := templateFrom(ctx)
	operator := callerFrom(ctx).Username
	var out json.RawMessage
	err = h.store.InTx(ctx, func(q *store.Queries) error {
		if _, err := h.lockVersioned(ctx, q, t, "当前空间未开启版本管理，无法回滚模板"); err != nil {
			return err
		}
		snap, err := q.SnapshotByVersion(ctx, t.ID, version)
		if errors.Is(err, store.ErrNotFound) {
			return refusal("版本 %s 不存在", version)
		}
		if err != nil {
			return fmt.Errorf("load version: %w", err)
		}
		now := h.fmt.now()
		draft, err := q.SnapshotDraft(ctx, t.ID)
		switch {
		case err == nil:
			err = q.SnapshotSetTree(ctx, draft.ID, snap.Data, snap.MD5Sum, operator, now)
		case errors.Is(err, store.ErrNotFound):
			d := "基于 " + version + " 版本的草稿"
			_, err = q.SnapshotCreate(ctx, store.SnapshotCreateParams{TemplateID: t.ID, Tree: snap.Data,
				MD5Sum: snap.MD5Sum, Desc: &d, Draft: true, Creator: operator, Now: now})
		}
		if err != nil {
			return fmt.Errorf("save draft: %w", err)
		}
		out = snap.Data
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (h *templatesHandler) updateLabels(r *http.Request) (any, error) {
	t := templateFrom(r.Context())
	return replaceLabels(r, h.store, t.SpaceID, labelScopeTemplate, func(ctx context.Context, q *store.Queries, ids []int64) error {
		return q.TemplateLabelsSet(ctx, t.ID, ids)
	})
}

func (h *templatesHandler) validateTree(r *http.Request) (any, error) {
	var req validateTreeRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if !hasObject(req.PipelineTree) {
		return nil, fieldError("pipeline_tree", msgRequired)
	}
	tree, err := pipeline.DecodeTree(req.PipelineTree)
	if err != nil {
		return nil, fieldError("pipeline_tree", "流程树校验失败: "+err.Error())
	}
	w, err := h.parser.ParseTree(tree)
	if err != nil {
		return nil, treeError(err)
	}
	if err := pipeline.Validate(w); err != nil {
		return nil, treeError(err)
	}
	return struct{}{}, nil
}

type ctxKeyTemplate struct{}

// templateFrom returns the template loaded by loadTemplate.
func templateFrom(ctx context.Context) store.Template {
	t, _ := ctx.Value(ctxKeyTemplate{}).(store.Template)
	return t
}

// loadTemplate resolves {template_id} within the loaded space: a template
// of another space, a deleted one or an unknown id are refused alike.
func loadTemplate(st *store.Store, a adapter) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sp := spaceFrom(r.Context())
			id, err := pathID(r, "template_id")
			if err != nil {
				a.fail(w, r, err)
				return
			}
			t, err := st.TemplateGet(r.Context(), id)
			if errors.Is(err, store.ErrNotFound) || (err == nil && (t.SpaceID != sp.ID || t.IsDeleted)) {
				a.fail(w, r, &Error{Status: http.StatusOK, Code: http.StatusNotFound,
					Message: fmt.Sprintf("template(%d) does not exist in space %d", id, sp.ID)})
				return
			}
			if err != nil {
				a.fail(w, r, errInternal(fmt.Errorf("load template %d: %w", id, err)))
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKeyTemplate{}, t)))
		})
	}
}
