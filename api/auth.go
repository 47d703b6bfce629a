package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/bkflow/bkflow/internal/apps"
)

// AuthHeader carries the calling app's credentials, as BlueKing's API gateway
// expects them.
const AuthHeader = "X-Bkapi-Authorization"

// caller is who makes a gateway request: an authenticated app and, when the
// app says so, the user it acts for.
type caller struct {
	AppCode  string
	Username string
}

type ctxKeyCaller struct{}

// callerFrom returns the authenticated caller of a gateway request.
func callerFrom(ctx context.Context) caller {
	c, _ := ctx.Value(ctxKeyCaller{}).(caller)
	return c
}

// authHeader is the JSON inside X-Bkapi-Authorization.
type authHeader struct {
	AppCode   string `json:"bk_app_code"`
	AppSecret string `json:"bk_app_secret"`
	Username  string `json:"bk_username"`
}

// authenticator is what authenticateApp needs from the apps service.
type authenticator interface {
	Authenticate(ctx context.Context, code, secret string) error
}

var _ authenticator = (*apps.Service)(nil)

// authenticateApp requires valid app credentials on every request it guards:
// missing or wrong credentials are refused with HTTP 401.
func authenticateApp(auth authenticator, a adapter) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			raw := strings.TrimSpace(r.Header.Get(AuthHeader))
			if raw == "" {
				a.fail(w, r, errUnauthorized("app authentication failed: the "+AuthHeader+" header is missing"))
				return
			}
			var h authHeader
			if err := json.Unmarshal([]byte(raw), &h); err != nil {
				a.fail(w, r, errUnauthorized("app authentication failed: the "+AuthHeader+
					` header must be a JSON object such as {"bk_app_code": "...", "bk_app_secret": "...", "bk_username": "..."}`))
				return
			}
			if h.AppCode == "" || h.AppSecret == "" {
				a.fail(w, r, errUnauthorized("app authentication failed: bk_app_code and bk_app_secret are required in the "+AuthHeader+" header"))
				return
			}
			err := auth.Authenticate(r.Context(), h.AppCode, h.AppSecret)
			if errors.Is(err, apps.ErrInvalidCredentials) {
				a.fail(w, r, errUnauthorized("app authentication failed: unknown bk_app_code or wrong bk_app_secret"))
				return
			}
			if err != nil {
				a.fail(w, r, errInternal(err))
				return
			}
			ctx := context.WithValue(r.Context(), ctxKeyCaller{}, caller{AppCode: h.AppCode, Username: strings.TrimSpace(h.Username)})
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}
