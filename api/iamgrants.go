package api

import (
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/bkflow/bkflow/policy"
	"github.com/bkflow/bkflow/policy/grant"
	"github.com/bkflow/bkflow/policy/model"
)

// iamGrants serves BlueKing IAM's open authorization APIs (grant and
// revoke by instance or path) and model registration.
type iamGrants struct {
	svc *policy.Service
}

func (h *iamGrants) routes(rs *routes, a iamAdapter, guard func(http.Handler) http.Handler) {
	for _, kind := range []string{grant.KindInstance, grant.KindBatchInstance, grant.KindPath, grant.KindBatchPath} {
		rs.add(route{Method: http.MethodPost, Path: "/api/v1/open/authorization/" + kind + "/",
			OperationID: "iam_authorization_" + kind, Tag: "iam",
			Summary:        "IAM: grant or revoke (operate) by " + kind + ", translated into stored conditions by BlueKing's rules",
			RawContentType: "application/json", Raw: guard(a.wrap(h.authorize(kind)))})
	}
	rs.add(route{Method: http.MethodPost, Path: "/api/v1/model/systems/migrate/", OperationID: "iam_model_migrate", Tag: "iam",
		Summary:        "IAM: register a system's model from BlueKing's migration JSON (the system id must be the calling app's code)",
		RawContentType: "application/json", Raw: guard(a.wrap(h.migrate))})
	rs.add(route{Method: http.MethodGet, Path: "/api/v1/model/systems/{system_id}/query", OperationID: "iam_model_query", Tag: "iam",
		Summary: "IAM: a registered system's model", RawContentType: "application/json", Raw: guard(a.wrap(h.query))})
}

func (h *iamGrants) authorize(kind string) handler {
	return func(r *http.Request) (any, error) {
		var req grant.Request
		if err := decodeBody(r, &req); err != nil {
			return nil, err
		}
		if err := req.Validate(kind); err != nil {
			return nil, &policy.Error{Code: policy.CodeBadRequest, Message: err.Error()}
		}
		if err := checkClient(h.svc, r, req.System); err != nil {
			return nil, err
		}
		expiredAt := req.ExpiredAt
		if expiredAt == 0 {
			expiredAt = policy.Permanent
		}
		if expiredAt <= time.Now().Unix() {
			return nil, &policy.Error{Code: policy.CodeBadRequest, Message: "expired_at is in the past"}
		}
		m, _ := h.svc.Model(req.System)
		type result struct {
			Action     grant.ActionRef `json:"action"`
			PolicyID   int64           `json:"policy_id"`
			Statistics map[string]int  `json:"statistics"`
		}
		var out []result
		for _, actionID := range req.ActionIDs() {
			cond, count, err := selection(m, req, actionID)
			if err != nil {
				return nil, err
			}
			id, err := h.svc.Update(r.Context(), req.System, actionID, req.Subject, expiredAt,
				func(cur policy.Condition, exists bool) (policy.Condition, bool, error) {
					if req.Operate == "revoke" {
						if !exists {
							return cur, false, nil
						}
						next, ok := grant.Remove(cur, cond)
						return next, ok, nil
					}
					if !exists {
						return cond, true, nil
					}
					return grant.Merge(cur, cond), true, nil
				})
			if err != nil {
				return nil, err
			}
			out = append(out, result{Action: grant.ActionRef{ID: actionID}, PolicyID: id,
				Statistics: map[string]int{"instance_count": count}})
		}
		if kind == grant.KindInstance || kind == grant.KindPath {
			return map[string]any{"policy_id": out[0].PolicyID, "statistics": out[0].Statistics}, nil
		}
		return out, nil
	}
}

// selection translates the request's resources into the stored condition
// for one action: every resource must be of the action's one resource type;
// paths go through ignore_iam_path with the action's views.
func selection(m *model.Model, req grant.Request, actionID string) (policy.Condition, int, error) {
	a, ok := m.Action(actionID)
	if !ok {
		return policy.Condition{}, 0, &policy.Error{Code: policy.CodeBadRequest,
			Message: fmt.Sprintf("action %q does not exist in system %s", actionID, req.System)}
	}
	if len(a.RelatedResourceTypes) != 1 {
		return policy.Condition{}, 0, &policy.Error{Code: policy.CodeBadRequest,
			Message: fmt.Sprintf("action %s has %d resource types; these APIs grant actions on exactly one", actionID, len(a.RelatedResourceTypes))}
	}
	rt := a.RelatedResourceTypes[0]
	target := grant.Target{SystemID: rt.SystemID, Type: rt.ID}
	var paths [][]grant.Node
	for i, res := range req.Resources {
		if res.System != rt.SystemID || res.Type != rt.ID {
			return policy.Condition{}, 0, &policy.Error{Code: policy.CodeBadRequest,
				Message: fmt.Sprintf("resources[%d]: action %s applies to %s:%s, not %s:%s", i, actionID, rt.SystemID, rt.ID, res.System, res.Type)}
		}
		paths = append(paths, res.SelectedPaths()...)
	}
	views, err := m.Views(actionID, rt.ID)
	if err != nil {
		return policy.Condition{}, 0, err
	}
	cond, err := grant.Instances(req.System, target, grant.IgnorePath(target, views, paths))
	if err != nil {
		return policy.Condition{}, 0, &policy.Error{Code: policy.CodeBadRequest, Message: "resources: " + err.Error()}
	}
	return cond, len(paths), nil
}

func (h *iamGrants) migrate(r *http.Request) (any, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, fieldError("body", "could not read the request body")
	}
	m, err := model.Load(body)
	if err != nil {
		return nil, &policy.Error{Code: policy.CodeBadRequest, Message: err.Error()}
	}
	if app := iamClientFrom(r.Context()); m.System.ID != app {
		return nil, &policy.Error{Code: policy.CodeBadRequest,
			Message: fmt.Sprintf("system id %q must be the calling app's code %q", m.System.ID, app)}
	}
	m.System.Clients = m.System.ID + "," + m.System.Clients
	if err := h.svc.RegisterSystem(r.Context(), m); err != nil {
		return nil, err
	}
	return map[string]any{"system_id": m.System.ID, "resource_types": len(m.ResourceTypes),
		"instance_selections": len(m.InstanceSelections), "actions": len(m.Actions)}, nil
}

func (h *iamGrants) query(r *http.Request) (any, error) {
	id := chi.URLParam(r, "system_id")
	if err := checkClient(h.svc, r, id); err != nil {
		return nil, err
	}
	m, _ := h.svc.Model(id)
	return m, nil
}
