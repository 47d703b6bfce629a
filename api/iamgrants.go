package api

import (
	"fmt"
	"io"
	"net/http"

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
	for _, kind := range []grant.Kind{grant.KindInstance, grant.KindBatchInstance, grant.KindPath, grant.KindBatchPath} {
		rs.add(route{Method: http.MethodPost, Path: "/api/v1/open/authorization/" + string(kind) + "/",
			OperationID: "iam_authorization_" + string(kind), Tag: "iam",
			Summary:        "IAM: grant or revoke (operate) by " + string(kind) + ", translated into stored conditions by BlueKing's rules",
			RawContentType: "application/json", Raw: guard(a.wrap(h.authorize(kind)))})
	}
	rs.add(route{Method: http.MethodPost, Path: "/api/v1/model/systems/migrate/", OperationID: "iam_model_migrate", Tag: "iam",
		Summary:        "IAM: register a system's model from BlueKing's migration JSON (the system id must be the calling app's code)",
		RawContentType: "application/json", Raw: guard(a.wrap(h.migrate))})
	rs.add(route{Method: http.MethodGet, Path: "/api/v1/model/systems/{system_id}/query", OperationID: "iam_model_query", Tag: "iam",
		Summary: "IAM: a registered system's model", RawContentType: "application/json", Raw: guard(a.wrap(h.query))})
}

func (h *iamGrants) authorize(kind grant.Kind) handler {
	return func(r *http.Request) (any, error) {
		var req grant.Request
		if err := decodeBody(r, &req); err != nil {
			return nil, err
		}
		req.Kind = kind
		if err := req.Validate(); err != nil {
			return nil, &policy.Error{Code: policy.CodeBadRequest, Message: err.Error()}
		}
		if err := checkClient(h.svc, r, req.System); err != nil {
			return nil, err
		}
		ids, err := h.svc.Grant(r.Context(), req)
		if err != nil {
			return nil, err
		}
		statistics := map[string]int{"instance_count": req.SelectionCount()}
		if !kind.Batch() {
			return map[string]any{"policy_id": ids[0], "statistics": statistics}, nil
		}
		type result struct {
			Action     grant.ActionRef `json:"action"`
			PolicyID   int64           `json:"policy_id"`
			Statistics map[string]int  `json:"statistics"`
		}
		out := make([]result, len(ids))
		for i, action := range req.ActionIDs() {
			out[i] = result{Action: grant.ActionRef{ID: action}, PolicyID: ids[i], Statistics: statistics}
		}
		return out, nil
	}
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
