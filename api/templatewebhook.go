package api

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Limits of a template's webhook (BKFlow's MAX_WEBHOOK_* settings).
const (
	maxWebhookRetryTimes = 5
	maxWebhookInterval   = 600
	maxWebhookTimeout    = 10
)

// templateWebhook is a template's webhook: called on task_finished and
// task_failed of its tasks (delivery comes with the webhook work).
type templateWebhook struct {
	Method    string               `json:"method,omitempty"`
	Endpoint  string               `json:"endpoint"`
	ExtraInfo *templateWebhookMore `json:"extra_info,omitempty"`
}

type templateWebhookMore struct {
	Authorization map[string]any   `json:"authorization,omitempty"`
	Headers       []map[string]any `json:"headers,omitempty"`
	Timeout       *int             `json:"timeout,omitempty"`
	RetryTimes    *int             `json:"retry_times,omitempty"`
	Interval      *int             `json:"interval,omitempty"`
}

// checkWebhook validates webhook_configs and returns it ready to store,
// its authorization secrets (password, token) sealed. Absent or null gives
// nil.
func (h *templatesHandler) checkWebhook(fe FieldErrors, raw json.RawMessage) (json.RawMessage, error) {
	if !hasObject(raw) {
		return nil, nil
	}
	var w templateWebhook
	if err := json.Unmarshal(raw, &w); err != nil {
		fe.Add("webhook_configs", "must be {method, endpoint, extra_info}: "+err.Error())
		return nil, nil
	}
	w.Method = strings.ToUpper(strings.TrimSpace(w.Method))
	if w.Method == "" {
		w.Method = "POST"
	}
	if !slices.Contains([]string{"GET", "POST", "PUT", "PATCH", "DELETE"}, w.Method) {
		fe.Add("webhook_configs.method", fmt.Sprintf("must be GET, POST, PUT, PATCH or DELETE, got %q", w.Method))
	}
	if !validURL(w.Endpoint) || !strings.HasPrefix(strings.ToLower(w.Endpoint), "http") {
		fe.Add("webhook_configs.endpoint", "must be an http(s) URL")
	}
	if x := w.ExtraInfo; x != nil {
		limit := func(field, what string, v *int, max int, unit string) {
			if v != nil && (*v < 0 || *v > max) {
				fe.Add("webhook_configs.extra_info."+field, fmt.Sprintf("HTTP回调配置%s不能超过 %d %s", what, max, unit))
			}
		}
		limit("retry_times", "重试次数", x.RetryTimes, maxWebhookRetryTimes, "次")
		limit("interval", "重试间隔", x.Interval, maxWebhookInterval, "秒")
		limit("timeout", "请求超时", x.Timeout, maxWebhookTimeout, "秒")
		for _, k := range []string{"password", "token"} {
			s, ok := x.Authorization[k].(string)
			if !ok || s == "" {
				continue
			}
			if !h.sealer.CanSeal() {
				fe.Add("webhook_configs.extra_info.authorization."+k,
					"secrets cannot be stored: no secret key is configured (--secret-keys)")
				continue
			}
			sealed, err := h.sealer.Seal(s)
			if err != nil {
				return nil, fmt.Errorf("seal webhook secret: %w", err)
			}
			x.Authorization[k] = sealed
		}
	}
	out, err := json.Marshal(w)
	if err != nil {
		return nil, errInternal(err)
	}
	return out, nil
}
