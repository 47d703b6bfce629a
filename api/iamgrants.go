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
		expiredAt := req.Expiry()
		if expiredAt <= time.Now().Unix() {
			return nil, &policy.Error{Code: policy.CodeBadRequest, Message: "expired_at is in the past"}
		}
		m, _ := h.svc.Model(req.System)
		subject := policy.Subject{Type: req.Subject.Type, ID: req.Subject.ID}
		type result struct {
			Action     grant.ActionRef `json:"action"`
			PolicyID   int64           `json:"policy_id"`
			Statistics map[string]int  `json:"statistics"`
		}
		// Every action is translated before anything is written, and all
		// are written in one transaction: a batch lands whole or not at all.
		var changes []policy.PolicyChange
		for _, actionID := range req.ActionIDs() {
			add, err := translate(m, req, actionID)
			if err != nil {
				return nil, err
			}
			changes = append(changes, policy.PolicyChange{Action: actionID, Change: apply(req.Operate, add)})
		}
		ids, err := h.svc.Update(r.Context(), req.System, subject, expiredAt, changes)
		if err != nil {
			return nil, err
		}
		out := make([]result, len(changes))
		for i, c := range changes {
			out[i] = result{Action: grant.ActionRef{ID: c.Action}, PolicyID: ids[i],
				Statistics: map[string]int{"instance_count": instanceCount(req)}}
		}
		if !kind.Batch() {
			return map[string]any{"policy_id": out[0].PolicyID, "statistics": out[0].Statistics}, nil
		}
		return out, nil
	}
}

// apply is the change a grant or a revoke of add makes to a policy: a
// grant ORs add into it (or starts it), a revoke takes add out of it and
// deletes it when nothing is left.
func apply(op grant.Operate, add grant.Condition) policy.Change {
	return func(cur grant.Condition, exists bool) (grant.Condition, bool, error) {
		switch {
		case op == grant.OperateRevoke && !exists:
			return cur, false, nil
		case op == grant.OperateRevoke:
			next, keep := grant.Remove(cur, add)
			return next, keep, nil
		case !exists:
			return add, true, nil
		}
		return grant.Merge(cur, add), true, nil
	}
}

// translate turns the request's resources into the stored condition for one
// action, with the action's related resource types and their views from the
// system's model (iam.md §3.4).
func translate(m *model.Model, req grant.Request, actionID string) (grant.Condition, error) {
	a, ok := m.Action(actionID)
	if !ok {
		return grant.Condition{}, &policy.Error{Code: policy.CodeBadRequest,
			Message: fmt.Sprintf("action %q does not exist in system %s", actionID, req.System)}
	}
	related := make([]grant.RelatedType, 0, len(a.RelatedResourceTypes))
	for _, rt := range a.RelatedResourceTypes {
		views, err := m.Views(actionID, rt.ID)
		if err != nil {
			return grant.Condition{}, err
		}
		t := grant.RelatedType{ResourceTypeRef: grant.ResourceTypeRef{SystemID: rt.SystemID, Type: rt.ID}}
		for _, v := range views {
			gv := grant.View{ID: v.ID, IgnoreIAMPath: v.IgnoreIAMPath}
			for _, c := range v.Chain {
				gv.Chain = append(gv.Chain, grant.TypeRef{SystemID: c.SystemID, ID: c.ID})
			}
			t.Views = append(t.Views, gv)
		}
		related = append(related, t)
	}
	cond, err := req.Translate(related)
	if err != nil {
		return grant.Condition{}, &policy.Error{Code: policy.CodeBadRequest,
			Message: fmt.Sprintf("action %s: %v", actionID, err)}
	}
	return cond, nil
}

// instanceCount is the statistics' instance_count: how many instances or
// paths the request selects.
func instanceCount(req grant.Request) int {
	n := 0
	for _, res := range req.Resources {
		switch {
		case res.ID != "":
			n++
		case len(res.Path) > 0:
			n++
		default:
			n += len(res.Instances) + len(res.Paths)
		}
	}
	return n
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
