package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/bkflow/bkflow/internal/apps"
	"github.com/bkflow/bkflow/policy"
)

// iamResponse is BlueKing IAM's v1 envelope: HTTP 200, code 0 for success.
type iamResponse struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data"`
}

// iamAdapter renders IAM endpoints' results in IAM's envelope. Refusals
// carry IAM's codes (policy.Error); anything else is 1901500 naming the
// request id, its cause logged once.
type iamAdapter struct {
	log *slog.Logger
}

func (a iamAdapter) wrap(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, err := h(r)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, iamResponse{Data: data})
	})
}

func (a iamAdapter) fail(w http.ResponseWriter, r *http.Request, err error) {
	var pe *policy.Error
	if errors.As(err, &pe) {
		writeJSON(w, http.StatusOK, iamResponse{Code: pe.Code, Message: pe.Message, Data: map[string]any{}})
		return
	}
	var ae *Error
	if errors.As(err, &ae) && ae.Err == nil {
		code := policy.CodeBadRequest
		if ae.Status == http.StatusUnauthorized {
			code = policy.CodeUnauthorized
		}
		writeJSON(w, http.StatusOK, iamResponse{Code: code, Message: ae.Message, Data: map[string]any{}})
		return
	}
	id := r.Header.Get("X-Request-Id")
	a.log.ErrorContext(r.Context(), "iam request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	writeJSON(w, http.StatusOK, iamResponse{Code: policy.CodeSystem,
		Message: fmt.Sprintf("system error, request_id: %s", id), Data: map[string]any{}})
}

type ctxKeyIAMClient struct{}

// authenticateIAMClient accepts an app through IAM's direct headers
// (X-Bk-App-Code, X-Bk-App-Secret) or bkflow's gateway header; failures are
// IAM's 1901401.
func authenticateIAMClient(auth authenticator, a iamAdapter) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			code, secret := r.Header.Get("X-Bk-App-Code"), r.Header.Get("X-Bk-App-Secret")
			if raw := strings.TrimSpace(r.Header.Get(AuthHeader)); code == "" && raw != "" {
				var h authHeader
				if json.Unmarshal([]byte(raw), &h) == nil {
					code, secret = h.AppCode, h.AppSecret
				}
			}
			if code == "" || secret == "" {
				a.fail(w, r, &policy.Error{Code: policy.CodeUnauthorized,
					Message: "app code and app secret required (X-Bk-App-Code and X-Bk-App-Secret, or " + AuthHeader + ")"})
				return
			}
			err := auth.Authenticate(r.Context(), code, secret)
			if errors.Is(err, apps.ErrInvalidCredentials) {
				a.fail(w, r, &policy.Error{Code: policy.CodeUnauthorized, Message: "app code or app secret wrong"})
				return
			}
			if err != nil {
				a.fail(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKeyIAMClient{}, code)))
		})
	}
}

func iamClientFrom(ctx context.Context) string {
	c, _ := ctx.Value(ctxKeyIAMClient{}).(string)
	return c
}

// checkClient refuses an app that is not a client of system (IAM v1 checks
// this in the handler and answers 1901400).
func checkClient(svc *policy.Service, r *http.Request, system string) error {
	if system == "" {
		return &policy.Error{Code: policy.CodeBadRequest, Message: "system is required"}
	}
	if _, ok := svc.Model(system); !ok {
		return &policy.Error{Code: policy.CodeBadRequest, Message: fmt.Sprintf("system %q is not registered", system)}
	}
	if app := iamClientFrom(r.Context()); !svc.ClientAllowed(system, app) {
		return &policy.Error{Code: policy.CodeBadRequest,
			Message: fmt.Sprintf("app %s is not a client of system %s", app, system)}
	}
	return nil
}
