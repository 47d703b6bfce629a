package api

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/bkflow/bkflow/policy"
)

// iamDecisions serves BlueKing IAM's v1 auth and query APIs (iam.md §4).
type iamDecisions struct {
	svc *policy.Service
}

type iamSubject struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

type iamActionRef struct {
	ID string `json:"id"`
}

// iamPolicyRequest is the body of every /api/v1/policy/* endpoint; each
// reads the fields it documents.
type iamPolicyRequest struct {
	System        string              `json:"system"`
	Subject       iamSubject          `json:"subject"`
	Action        iamActionRef        `json:"action"`
	Actions       []iamActionRef      `json:"actions"`
	Resources     []policy.Resource   `json:"resources"`
	ResourcesList [][]policy.Resource `json:"resources_list"`
}

// Limits of the batch endpoints, as in BlueKing IAM.
const (
	maxAuthActions   = 10
	maxResourcesList = 100
)

func (h *iamDecisions) routes(rs *routes, a iamAdapter, guard func(http.Handler) http.Handler) {
	add := func(path, id, summary string, fn handler) {
		rs.add(route{Method: http.MethodPost, Path: path, OperationID: id, Tag: "iam", Summary: summary,
			RawContentType: "application/json", Raw: guard(a.wrap(fn))})
	}
	add("/api/v1/policy/auth", "iam_policy_auth",
		"IAM: is the subject allowed the action on the resources ({\"allowed\": bool})", h.auth)
	add("/api/v1/policy/auth_by_actions", "iam_policy_auth_by_actions",
		"IAM: allowed per action (at most 10) on one resource", h.authByActions)
	add("/api/v1/policy/auth_by_resources", "iam_policy_auth_by_resources",
		"IAM: allowed per resource list (at most 100) for one action", h.authByResources)
	add("/api/v1/policy/query", "iam_policy_query",
		"IAM: the subject's remaining condition as a wire expression ({} for none)", h.query)
	add("/api/v1/policy/query_by_actions", "iam_policy_query_by_actions",
		"IAM: the remaining condition per action", h.queryByActions)
}

// read decodes and checks the parts every request has.
func (h *iamDecisions) read(r *http.Request) (iamPolicyRequest, error) {
	var body iamPolicyRequest
	if err := decodeBody(r, &body); err != nil {
		return body, err
	}
	if err := checkClient(h.svc, r, body.System); err != nil {
		return body, err
	}
	if body.Subject.Type == "" || body.Subject.ID == "" {
		return body, &policy.Error{Code: policy.CodeBadRequest, Message: "subject.type and subject.id are required"}
	}
	if err := checkResources("resources", body.Resources); err != nil {
		return body, err
	}
	return body, nil
}

func checkResources(field string, rs []policy.Resource) error {
	for i, res := range rs {
		switch {
		case res.System == "":
			return &policy.Error{Code: policy.CodeBadRequest, Message: fmt.Sprintf("%s[%d].system is required", field, i)}
		case res.Type == "":
			return &policy.Error{Code: policy.CodeBadRequest, Message: fmt.Sprintf("%s[%d].type is required", field, i)}
		case res.ID == "":
			return &policy.Error{Code: policy.CodeBadRequest, Message: fmt.Sprintf("%s[%d].id is required", field, i)}
		case res.Attribute == nil:
			return &policy.Error{Code: policy.CodeBadRequest,
				Message: fmt.Sprintf("%s[%d].attribute is required (an empty object is fine)", field, i)}
		}
	}
	return nil
}

func (b iamPolicyRequest) request(action string, rs []policy.Resource) policy.Request {
	return policy.Request{System: b.System, Subject: policy.Subject{Type: b.Subject.Type, ID: b.Subject.ID},
		Action: action, Resources: rs}
}

func requireAction(id string) error {
	if id == "" {
		return &policy.Error{Code: policy.CodeBadRequest, Message: "action.id is required"}
	}
	return nil
}

func (h *iamDecisions) auth(r *http.Request) (any, error) {
	body, err := h.read(r)
	if err != nil {
		return nil, err
	}
	if err := requireAction(body.Action.ID); err != nil {
		return nil, err
	}
	ok, err := h.svc.Auth(r.Context(), body.request(body.Action.ID, body.Resources))
	if err != nil {
		return nil, err
	}
	return map[string]bool{"allowed": ok}, nil
}

func (h *iamDecisions) actionIDs(body iamPolicyRequest) ([]string, error) {
	if len(body.Actions) == 0 {
		return nil, &policy.Error{Code: policy.CodeBadRequest, Message: "actions is required"}
	}
	if len(body.Actions) > maxAuthActions {
		return nil, &policy.Error{Code: policy.CodeBadRequest,
			Message: fmt.Sprintf("actions: at most %d, got %d", maxAuthActions, len(body.Actions))}
	}
	ids := make([]string, len(body.Actions))
	for i, a := range body.Actions {
		if a.ID == "" {
			return nil, &policy.Error{Code: policy.CodeBadRequest, Message: fmt.Sprintf("actions[%d].id is required", i)}
		}
		if _, ok := h.actionOf(body.System, a.ID); !ok {
			return nil, &policy.Error{Code: policy.CodeBadRequest,
				Message: fmt.Sprintf("actions[%d]: action %q does not exist in system %s", i, a.ID, body.System)}
		}
		ids[i] = a.ID
	}
	return ids, nil
}

func (h *iamDecisions) actionOf(system, id string) (any, bool) {
	m, ok := h.svc.Model(system)
	if !ok {
		return nil, false
	}
	a, ok := m.Action(id)
	return a, ok
}

// readActions reads a by-actions request: the common parts and its actions.
func (h *iamDecisions) readActions(r *http.Request) (iamPolicyRequest, []string, error) {
	body, err := h.read(r)
	if err != nil {
		return body, nil, err
	}
	ids, err := h.actionIDs(body)
	return body, ids, err
}

func (h *iamDecisions) authByActions(r *http.Request) (any, error) {
	body, ids, err := h.readActions(r)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		ok, err := h.svc.Auth(r.Context(), body.request(id, body.Resources))
		if err != nil {
			return nil, err
		}
		out[id] = ok
	}
	return out, nil
}

func (h *iamDecisions) authByResources(r *http.Request) (any, error) {
	body, err := h.read(r)
	if err != nil {
		return nil, err
	}
	if err := requireAction(body.Action.ID); err != nil {
		return nil, err
	}
	if len(body.ResourcesList) == 0 {
		return nil, &policy.Error{Code: policy.CodeBadRequest, Message: "resources_list is required"}
	}
	if len(body.ResourcesList) > maxResourcesList {
		return nil, &policy.Error{Code: policy.CodeBadRequest,
			Message: fmt.Sprintf("resources_list: at most %d, got %d", maxResourcesList, len(body.ResourcesList))}
	}
	out := make(map[string]bool, len(body.ResourcesList))
	for i, rs := range body.ResourcesList {
		if err := checkResources(fmt.Sprintf("resources_list[%d]", i), rs); err != nil {
			return nil, err
		}
		ok, err := h.svc.Auth(r.Context(), body.request(body.Action.ID, rs))
		if err != nil {
			return nil, err
		}
		out[resourcesKey(rs)] = ok
	}
	return out, nil
}

// resourcesKey names a resource list as BlueKing does: nodes joined with
// "/", each "system,type,id".
func resourcesKey(rs []policy.Resource) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.System + "," + r.Type + "," + r.ID
	}
	return strings.Join(parts, "/")
}

func (h *iamDecisions) query(r *http.Request) (any, error) {
	body, err := h.read(r)
	if err != nil {
		return nil, err
	}
	if err := requireAction(body.Action.ID); err != nil {
		return nil, err
	}
	expr, ok, err := h.svc.Query(r.Context(), body.request(body.Action.ID, body.Resources))
	if err != nil {
		return nil, err
	}
	if !ok {
		return map[string]any{}, nil
	}
	return expr, nil
}

func (h *iamDecisions) queryByActions(r *http.Request) (any, error) {
	body, ids, err := h.readActions(r)
	if err != nil {
		return nil, err
	}
	type item struct {
		Action    iamActionRef `json:"action"`
		Condition any          `json:"condition"`
	}
	out := make([]item, 0, len(ids))
	for _, id := range ids {
		expr, ok, err := h.svc.Query(r.Context(), body.request(id, body.Resources))
		if err != nil {
			return nil, err
		}
		var cond any = map[string]any{}
		if ok {
			cond = expr
		}
		out = append(out, item{Action: iamActionRef{ID: id}, Condition: cond})
	}
	return out, nil
}
