package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/bkflow/bkflow/api/spaceconfig"
	"github.com/bkflow/bkflow/internal/secrets"
	"github.com/bkflow/bkflow/internal/store"
)

// Token resource and permission types (BKFlow §4).
const (
	tokenTemplate = "TEMPLATE"
	tokenTask     = "TASK"
	tokenScope    = "SCOPE"

	permView    = "VIEW"
	permEdit    = "EDIT"
	permOperate = "OPERATE"
	permMock    = "MOCK"
)

// TokenHeader carries a canvas token (also accepted as ?token=).
const TokenHeader = "BKFLOW-TOKEN"

// tokensHandler issues, revokes and renews canvas tokens. Tokens are
// stored as SHA-256 hashes, and sealed when a secret key is configured so
// that an unexpired one can be handed out again.
type tokensHandler struct {
	store   *store.Store
	configs *spaceconfig.Registry
	sealer  *secrets.Sealer
	fmt     formatter
	now     func() time.Time
}

type applyTokenRequest struct {
	ResourceType   string `json:"resource_type"`
	ResourceID     any    `json:"resource_id"`
	PermissionType string `json:"permission_type"`
}

type tokenData struct {
	SpaceID      int64  `json:"space_id"`
	User         string `json:"user"`
	ResourceType string `json:"resource_type"`
	ResourceID   string `json:"resource_id"`
	Token        string `json:"token"`
	ExpiredTime  string `json:"expired_time"`
}

type revokeTokenRequest struct {
	Token          string `json:"token"`
	User           string `json:"user"`
	ResourceType   string `json:"resource_type"`
	ResourceID     string `json:"resource_id"`
	PermissionType string `json:"permission_type"`
}

func (h *tokensHandler) routes(space, app *routes) {
	space.add(route{Method: http.MethodPost, Path: "/space/{space_id}/apply_token/", OperationID: "apply_token", Tag: "token",
		AppAuth: true, Summary: "Issue (or hand out again) a canvas token for the calling user on a template, task or scope",
		Request: applyTokenRequest{}, Response: tokenData{}, Handler: h.apply})
	space.add(route{Method: http.MethodPost, Path: "/space/{space_id}/revoke_token/", OperationID: "revoke_token", Tag: "token",
		AppAuth: true, Summary: "Expire the space's tokens matching the filters (all of them without filters)",
		Request: revokeTokenRequest{}, Response: "", Handler: h.revoke})
	app.add(route{Method: http.MethodPost, Path: "/api/permission/token/{token}/renewal/", OperationID: "renew_token",
		Tag: "token", AppAuth: true, Summary: "Extend the caller's own token by the space's token_expiration (token_auto_renewal on)",
		Response: map[string]string{}, Handler: h.renew})
}

func hashToken(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

// spaceConfigText reads a text config of the space, or its default.
func spaceConfigText(ctx context.Context, q *store.Queries, reg *spaceconfig.Registry, spaceID int64, key string) (string, error) {
	c, err := q.SpaceConfigGet(ctx, spaceID, key)
	if errors.Is(err, store.ErrNotFound) {
		d, _ := reg.Lookup(key)
		s, _ := d.Default.(string)
		return s, nil
	}
	if err != nil {
		return "", err
	}
	var s string
	if json.Unmarshal(c.Value, &s) != nil {
		return strings.Trim(string(c.Value), `"`), nil
	}
	return s, nil
}

func (h *tokensHandler) expiration(ctx context.Context, spaceID int64) (time.Duration, bool, error) {
	exp, err := spaceConfigText(ctx, h.store.Queries, h.configs, spaceID, spaceconfig.KeyTokenExpiration)
	if err != nil {
		return 0, false, err
	}
	d, err := spaceconfig.ParseDuration(exp)
	if err != nil {
		return 0, false, refusal("token_expiration %q of the space is not a duration", exp)
	}
	auto, err := spaceConfigText(ctx, h.store.Queries, h.configs, spaceID, spaceconfig.KeyTokenAutoRenewal)
	return d, auto == "true", err
}

func (h *tokensHandler) apply(r *http.Request) (any, error) {
	ctx := r.Context()
	sp := spaceFrom(ctx)
	user := callerFrom(ctx).Username
	if user == "" {
		return nil, refusal("用户名不能为空")
	}
	var req applyTokenRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	fe := FieldErrors{}
	rid := strings.TrimSpace(fmt.Sprint(req.ResourceID))
	if req.ResourceID == nil || rid == "" {
		fe.Add("resource_id", msgRequired)
	} else if len(rid) > 32 {
		fe.Add("resource_id", msgMaxLength(32))
	}
	switch req.PermissionType {
	case permView, permEdit, permOperate, permMock:
	case "":
		fe.Add("permission_type", msgRequired)
	default:
		fe.Add("permission_type", fmt.Sprintf(`"%s" is not a valid choice.`, req.PermissionType))
	}
	if req.ResourceType == "" {
		fe.Add("resource_type", msgRequired)
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	switch req.ResourceType {
	case tokenTemplate, tokenTask, tokenScope:
	default:
		return nil, refusal("token申请失败，不支持的资源类型")
	}
	exists, err := h.resourceExists(ctx, sp.ID, req.ResourceType, rid)
	if err != nil {
		return nil, err
	}
	if !exists {
		return nil, refusal("token申请失败，对应的资源不存在")
	}
	d, auto, err := h.expiration(ctx, sp.ID)
	if err != nil {
		return nil, err
	}
	now := h.now()
	t := store.Token{SpaceID: sp.ID, Username: user, ResourceType: req.ResourceType, ResourceID: rid,
		PermissionType: req.PermissionType, ExpiredAt: now.Add(d)}
	var tok string
	err = h.store.InTx(ctx, func(q *store.Queries) error {
		old, err := q.TokenReusable(ctx, t, now)
		if err == nil && h.sealer.CanSeal() {
			if tok, err = h.sealer.Open(*old.TokenSealed); err == nil {
				if auto {
					if err := q.TokenSetExpiry(ctx, old.ID, t.ExpiredAt); err != nil {
						return err
					}
					old.ExpiredAt = t.ExpiredAt
				}
				t = old
				return nil
			}
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		tok = hex.EncodeToString(b)
		if h.sealer.CanSeal() {
			sealed, err := h.sealer.Seal(tok)
			if err != nil {
				return err
			}
			t.TokenSealed = &sealed
		}
		t, err = q.TokenCreate(ctx, store.TokenCreateParams{Token: t, Hash: hashToken(tok)})
		return err
	})
	if err != nil {
		return nil, err
	}
	return tokenData{SpaceID: sp.ID, User: user, ResourceType: t.ResourceType, ResourceID: t.ResourceID, Token: tok,
		ExpiredTime: h.fmt.drfTime(t.ExpiredAt)}, nil
}

func (h *tokensHandler) resourceExists(ctx context.Context, spaceID int64, typ, id string) (bool, error) {
	switch typ {
	case tokenTemplate, tokenTask:
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return false, nil
		}
		var sid int64
		var deleted bool
		if typ == tokenTemplate {
			t, err := h.store.TemplateGet(ctx, n)
			if errors.Is(err, store.ErrNotFound) {
				return false, nil
			}
			if err != nil {
				return false, err
			}
			sid, deleted = t.SpaceID, t.IsDeleted
		} else {
			t, err := h.store.TaskGet(ctx, n)
			if errors.Is(err, store.ErrNotFound) {
				return false, nil
			}
			if err != nil {
				return false, err
			}
			sid, deleted = t.SpaceID, t.IsDeleted
		}
		return sid == spaceID && !deleted, nil
	}
	scopeType, scopeValue, ok := splitScope(id)
	if !ok {
		return false, nil
	}
	_, count, err := h.store.TemplateList(ctx, store.TemplateFilter{SpaceID: spaceID, ScopeType: &scopeType,
		ScopeValue: &scopeValue, Limit: 1})
	return count > 0, err
}

// splitScope reads a SCOPE resource id "<scope_type>_<scope_value>" (exactly
// one underscore).
func splitScope(id string) (string, string, bool) {
	if strings.Count(id, "_") != 1 {
		return "", "", false
	}
	a, b, _ := strings.Cut(id, "_")
	return a, b, true
}

func (h *tokensHandler) revoke(r *http.Request) (any, error) {
	ctx := r.Context()
	var req revokeTokenRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	f := store.TokenRevokeFilter{SpaceID: spaceFrom(ctx).ID, Username: req.User, ResourceType: req.ResourceType,
		ResourceID: req.ResourceID, PermissionType: req.PermissionType}
	if req.Token != "" {
		f.Hash = hashToken(req.Token)
	}
	n, err := h.store.TokenRevoke(ctx, f, h.now())
	if err != nil {
		return nil, err
	}
	return fmt.Sprintf("%d tokens revoke success", n), nil
}

func (h *tokensHandler) renew(r *http.Request) (any, error) {
	ctx := r.Context()
	t, err := h.store.TokenByHash(ctx, hashToken(chi.URLParam(r, "token")))
	if errors.Is(err, store.ErrNotFound) {
		return nil, refusal("续期失败，token不存在")
	}
	if err != nil {
		return nil, err
	}
	sp, err := h.store.SpaceGet(ctx, t.SpaceID)
	if err != nil {
		return nil, err
	}
	if sp.AppCode != callerFrom(ctx).AppCode {
		return nil, errForbidden(fmt.Sprintf("当前应用无权操作此空间，app=%s", callerFrom(ctx).AppCode))
	}
	if callerFrom(ctx).Username != t.Username {
		return nil, refusal("续期失败，当前用户不是token的所有者")
	}
	d, auto, err := h.expiration(ctx, t.SpaceID)
	if err != nil {
		return nil, err
	}
	if !auto {
		return nil, refusal("续期失败，当前空间未开启token自动续期")
	}
	now := h.now()
	if !t.ExpiredAt.After(now) {
		return nil, refusal("续期失败，token已过期")
	}
	at := now.Add(d)
	if err := h.store.TokenSetExpiry(ctx, t.ID, at); err != nil {
		return nil, err
	}
	return map[string]string{"expired_time": h.fmt.drfTime(at)}, nil
}
