package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"

	"github.com/bkflow/bkflow/internal/stacktest"
)

func TestOperationalEndpoints(t *testing.T) {
	t.Parallel()
	s := stacktest.Start(t, stacktest.Options{})

	t.Run("healthz", func(t *testing.T) {
		r := s.Do(http.MethodGet, "/healthz", "", nil)
		require.Equal(t, http.StatusOK, r.Status)
		e := decode(t, r)
		require.True(t, e.Result)
		require.JSONEq(t, `"ok"`, string(e.Data))
	})
	t.Run("readyz", func(t *testing.T) {
		r := s.Do(http.MethodGet, "/readyz", "", nil)
		require.Equal(t, http.StatusOK, r.Status)
		require.JSONEq(t, `[{"name": "postgresql", "ok": true}, {"name": "temporal", "ok": true}]`, string(decode(t, r).Data))
	})
	t.Run("unknown route", func(t *testing.T) {
		r := s.Do(http.MethodGet, "/nope", "", nil)
		require.Equal(t, http.StatusNotFound, r.Status)
		require.Equal(t, "no endpoint GET /nope", decode(t, r).Message)
	})
	t.Run("wrong method", func(t *testing.T) {
		r := s.Do(http.MethodGet, "/create_space", s.AuthHeader(""), nil)
		require.Equal(t, http.StatusMethodNotAllowed, r.Status)
		require.Equal(t, "method GET is not allowed on /create_space", decode(t, r).Message)
	})

	t.Run("traceparent is continued and returned", func(t *testing.T) {
		const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
		req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, s.URL("/create_space"),
			strings.NewReader(`{"name": "traced", "platform_url": "http://example.com"}`))
		require.NoError(t, err)
		req.Header.Set("X-Bkapi-Authorization", s.AuthHeader("admin"))
		req.Header.Set("traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
		req.Header.Set("X-Request-Id", "req-abc-123")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var e envelope
		require.NoError(t, decodeJSON(resp, &e))
		require.True(t, e.Result)
		require.Equal(t, traceID, e.TraceID)
		require.Contains(t, resp.Header.Get("traceparent"), traceID)
		require.Equal(t, "req-abc-123", resp.Header.Get("X-Request-Id"))
		require.Eventually(t, func() bool {
			for _, line := range strings.Split(s.Logs(), "\n") {
				if strings.Contains(line, `"request_id":"req-abc-123"`) && strings.Contains(line, `"trace_id":"`+traceID+`"`) &&
					strings.Contains(line, `"route":"/create_space"`) {
					return true
				}
			}
			return false
		}, 5e9, 1e8, "an access log line with the request and trace ids")
	})

	t.Run("metrics", func(t *testing.T) {
		r := s.Do(http.MethodGet, "/metrics", "", nil)
		require.Equal(t, http.StatusOK, r.Status)
		body := string(r.Body)
		require.Contains(t, body, `bkflow_http_requests_total{method="POST",route="/create_space",status="200"}`)
		require.Contains(t, body, `bkflow_http_request_duration_seconds_bucket{method="GET",route="/readyz",status="200",le="0.005"}`)
		require.Contains(t, body, "temporal_request", "Temporal client metrics")
	})

	t.Run("openapi document is valid", func(t *testing.T) {
		r := s.Do(http.MethodGet, "/openapi.json", "", nil)
		require.Equal(t, http.StatusOK, r.Status)
		doc, err := openapi3.NewLoader().LoadFromData(r.Body)
		require.NoError(t, err)
		require.NoError(t, doc.Validate(context.Background()))
		for _, p := range []string{"/create_space", "/space/{space_id}/renew_space_config/", "/space/{space_id}/get_space_configs/",
			"/healthz", "/readyz", "/metrics", "/openapi.json"} {
			require.NotNil(t, doc.Paths.Find(p), p)
		}
		op := doc.Paths.Find("/create_space").Post
		require.NotNil(t, op.RequestBody)
		body := op.RequestBody.Value.Content.Get("application/json").Schema.Value
		require.Contains(t, body.Properties, "platform_url")
		data := op.Responses.Status(200).Value.Content.Get("application/json").Schema.Value.Properties["data"].Value
		require.Contains(t, data.Properties, "space")
	})
}
