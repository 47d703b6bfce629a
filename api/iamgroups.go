package api

import (
	"fmt"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/bkflow/bkflow/policy"
)

// iamGroups manages user-group membership, in the shape of BlueKing IAM's
// management API (groups are named by the caller; a policy granted to
// {"type": "group", "id": G} applies to G's unexpired members).
type iamGroups struct {
	svc *policy.Service
}

type groupMembersBody struct {
	Members []iamSubject `json:"members"`
	// ExpiredAt is unix seconds; 0 or absent means permanent (4102444800).
	ExpiredAt int64 `json:"expired_at"`
}

func (h *iamGroups) routes(rs *routes, a iamAdapter, guard func(http.Handler) http.Handler) {
	const path = "/api/v1/open/management/groups/{group_id}/members/"
	rs.add(route{Method: http.MethodGet, Path: path, OperationID: "iam_group_members", Tag: "iam",
		Summary: "IAM: a group's members and their expiry", RawContentType: "application/json", Raw: guard(a.wrap(h.list))})
	rs.add(route{Method: http.MethodPost, Path: path, OperationID: "iam_group_add_members", Tag: "iam",
		Summary: "IAM: add users to a group until expired_at", RawContentType: "application/json", Raw: guard(a.wrap(h.add))})
	rs.add(route{Method: http.MethodDelete, Path: path, OperationID: "iam_group_remove_members", Tag: "iam",
		Summary: "IAM: remove users from a group", RawContentType: "application/json", Raw: guard(a.wrap(h.remove))})
}

func (h *iamGroups) group(r *http.Request) (string, error) {
	if err := checkClient(h.svc, r, policy.System); err != nil {
		return "", err
	}
	g := chi.URLParam(r, "group_id")
	if g == "" || len(g) > 64 {
		return "", &policy.Error{Code: policy.CodeBadRequest, Message: "group_id must be 1 to 64 characters"}
	}
	return g, nil
}

func (h *iamGroups) users(r *http.Request) (groupMembersBody, []string, error) {
	var body groupMembersBody
	if err := decodeBody(r, &body); err != nil {
		return body, nil, err
	}
	if len(body.Members) == 0 {
		return body, nil, &policy.Error{Code: policy.CodeBadRequest, Message: "members is required"}
	}
	users := make([]string, len(body.Members))
	for i, m := range body.Members {
		if m.Type != policy.SubjectUser || m.ID == "" {
			return body, nil, &policy.Error{Code: policy.CodeBadRequest,
				Message: fmt.Sprintf(`members[%d] must be {"type": "user", "id": "<username>"}`, i)}
		}
		users[i] = m.ID
	}
	return body, users, nil
}

func (h *iamGroups) list(r *http.Request) (any, error) {
	g, err := h.group(r)
	if err != nil {
		return nil, err
	}
	ms, err := h.svc.Members(r.Context(), g)
	if err != nil {
		return nil, err
	}
	return map[string]any{"count": len(ms), "results": ms}, nil
}

func (h *iamGroups) add(r *http.Request) (any, error) {
	g, err := h.group(r)
	if err != nil {
		return nil, err
	}
	body, users, err := h.users(r)
	if err != nil {
		return nil, err
	}
	exp := body.ExpiredAt
	if exp == 0 {
		exp = policy.Permanent
	}
	if exp < 0 {
		return nil, &policy.Error{Code: policy.CodeBadRequest, Message: "expired_at must be unix seconds"}
	}
	if err := h.svc.AddMembers(r.Context(), g, users, exp); err != nil {
		return nil, err
	}
	return map[string]any{}, nil
}

func (h *iamGroups) remove(r *http.Request) (any, error) {
	g, err := h.group(r)
	if err != nil {
		return nil, err
	}
	_, users, err := h.users(r)
	if err != nil {
		return nil, err
	}
	n, err := h.svc.RemoveMembers(r.Context(), g, users)
	if err != nil {
		return nil, err
	}
	return map[string]any{"count": n}, nil
}
