package activities

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// seenRequest is what the test server received.
type seenRequest struct {
	Method string
	Header http.Header
	Body   string
}

// httpTestServer answers every request with status and body, recording it.
func httpTestServer(t *testing.T, status int, body string) (*httptest.Server, func() seenRequest) {
	t.Helper()
	var mu sync.Mutex
	var seen seenRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = seenRequest{Method: r.Method, Header: r.Header.Clone(), Body: string(b)}
		mu.Unlock()
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, func() seenRequest {
		mu.Lock()
		defer mu.Unlock()
		return seen
	}
}

// fakeEval is a ConditionEvaluator that records its call.
type fakeEval struct {
	mu     sync.Mutex
	result bool
	err    error
	expr   string
	ctx    map[string]any
}

func (f *fakeEval) eval(expr string, ctx map[string]any) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.expr, f.ctx = expr, ctx
	return f.result, f.err
}

func TestHTTPRequestSend(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		inputs     map[string]any
		wantMethod string
		wantBody   string
		wantHeader map[string]string // "" = absent
	}{
		{
			name: "GET sends no body",
			inputs: map[string]any{
				"bk_http_request_method": "GET",
				"bk_http_request_body":   `{"ignored": true}`,
				"bk_http_request_header": []any{map[string]any{"name": "X-Token", "value": "abc"}},
			},
			wantMethod: "GET",
			wantBody:   "",
			wantHeader: map[string]string{"X-Token": "abc", "Content-Type": ""},
		},
		{
			name:       "method defaults to GET",
			inputs:     map[string]any{},
			wantMethod: "GET",
		},
		{
			name: "POST sends the string body as JSON",
			inputs: map[string]any{
				"bk_http_request_method": "post",
				"bk_http_request_body":   `{"a": 1}`,
			},
			wantMethod: "POST",
			wantBody:   `{"a": 1}`,
			wantHeader: map[string]string{"Content-Type": "application/json"},
		},
		{
			name: "non-string body is JSON-encoded",
			inputs: map[string]any{
				"bk_http_request_method": "PUT",
				"bk_http_request_body":   map[string]any{"b": []any{1.0, "x"}},
			},
			wantMethod: "PUT",
			wantBody:   `{"b":[1,"x"]}`,
			wantHeader: map[string]string{"Content-Type": "application/json"},
		},
		{
			name: "headers override the content type and JSON text headers work",
			inputs: map[string]any{
				"bk_http_request_method": "PATCH",
				"bk_http_request_body":   "a=1",
				"bk_http_request_header": `[{"name": "Content-Type", "value": "text/plain"}, {"name": "", "value": "skipped"}, {"name": "X-N", "value": 3}]`,
			},
			wantMethod: "PATCH",
			wantBody:   "a=1",
			wantHeader: map[string]string{"Content-Type": "text/plain", "X-N": "3"},
		},
		{
			name:       "DELETE without body",
			inputs:     map[string]any{"bk_http_request_method": "DELETE"},
			wantMethod: "DELETE",
			wantHeader: map[string]string{"Content-Type": "application/json"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, seen := httpTestServer(t, http.StatusOK, `{"result": true, "data": {"n": 1}}`)
			c := NewHTTPRequest(NewHTTPClient(allowLoopback(), 0), nil)
			tt.inputs["bk_http_request_url"] = "  " + srv.URL + "/api  "
			res, err := c.Execute(t.Context(), Request{Inputs: tt.inputs})
			require.NoError(t, err)
			require.Equal(t, Result{Outcome: OutcomeFinished, Outputs: map[string]any{
				"status_code": 200,
				"data":        map[string]any{"result": true, "data": map[string]any{"n": 1.0}},
			}}, res)
			got := seen()
			require.Equal(t, tt.wantMethod, got.Method)
			require.Equal(t, tt.wantBody, got.Body)
			for k, v := range tt.wantHeader {
				require.Equal(t, v, got.Header.Get(k), k)
			}
		})
	}
}

func TestHTTPRequestOutcomes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  int
		body    string
		exp     string
		eval    *fakeEval
		want    Result
		wantExp string
	}{
		{
			name: "non-JSON response", status: 200, body: "<html>",
			want: Result{Outcome: OutcomeFailed, ExData: "请求响应数据格式非 JSON",
				Outputs: map[string]any{"status_code": 200}},
		},
		{
			name: "empty response is not JSON", status: 204, body: "",
			want: Result{Outcome: OutcomeFailed, ExData: "请求响应数据格式非 JSON",
				Outputs: map[string]any{"status_code": 204}},
		},
		{
			name: "non-2xx", status: 503, body: `{"message": "busy"}`,
			want: Result{Outcome: OutcomeFailed, ExData: `请求失败，状态码: 503，响应: {"message":"busy"}`,
				Outputs: map[string]any{"status_code": 503, "data": map[string]any{"message": "busy"}}},
		},
		{
			name: "success expression true", status: 200, body: `{"result": true}`,
			exp: " resp.result == True ", eval: &fakeEval{result: true},
			want: Result{Outcome: OutcomeFinished,
				Outputs: map[string]any{"status_code": 200, "data": map[string]any{"result": true}}},
			wantExp: "resp.result == True",
		},
		{
			name: "success expression false", status: 200, body: `{"result": false}`,
			exp: "resp.result == True", eval: &fakeEval{result: false},
			want: Result{Outcome: OutcomeFailed, ExData: "请求成功判定失败",
				Outputs: map[string]any{"status_code": 200, "data": map[string]any{"result": false}}},
			wantExp: "resp.result == True",
		},
		{
			name: "success expression error", status: 200, body: `[1]`,
			exp: "resp.result ==", eval: &fakeEval{err: errors.New("syntax error")},
			want: Result{Outcome: OutcomeFailed, ExData: "请求成功条件判定出错: syntax error",
				Outputs: map[string]any{"status_code": 200, "data": []any{1.0}}},
			wantExp: "resp.result ==",
		},
		{
			name: "success expression without an evaluator", status: 200, body: `{}`,
			exp: "resp.result == True",
			want: Result{Outcome: OutcomeFailed, ExData: "请求成功条件判定出错: no condition evaluator is configured",
				Outputs: map[string]any{"status_code": 200, "data": map[string]any{}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := httpTestServer(t, tt.status, tt.body)
			var eval ConditionEvaluator
			if tt.eval != nil {
				eval = tt.eval.eval
			}
			c := NewHTTPRequest(NewHTTPClient(allowLoopback(), 0), eval)
			res, err := c.Execute(t.Context(), Request{Inputs: map[string]any{
				"bk_http_request_url": srv.URL, "bk_http_success_exp": tt.exp,
			}})
			require.NoError(t, err)
			require.Equal(t, tt.want, res)
			if tt.eval != nil {
				require.Equal(t, tt.wantExp, tt.eval.expr)
				require.Equal(t, map[string]any{"resp": res.Outputs["data"]}, tt.eval.ctx)
			}
		})
	}
}

func TestHTTPRequestRefusals(t *testing.T) {
	t.Parallel()
	srv, _ := httpTestServer(t, 200, `{}`)
	tests := []struct {
		name    string
		inputs  map[string]any
		wantErr string // prefix of ex_data
	}{
		{"SSRF: loopback refused by default", map[string]any{"bk_http_request_url": srv.URL},
			"请求异常，详细信息: Get \"" + srv.URL + "\": dial tcp 127.0.0.1:"},
		{"unsupported method", map[string]any{"bk_http_request_url": srv.URL, "bk_http_request_method": "BREW"},
			"不支持的 HTTP 请求方法: BREW"},
		{"missing url", map[string]any{}, "bk_http_request_url is required"},
		{"bad scheme", map[string]any{"bk_http_request_url": "gopher://127.0.0.1/"},
			"请求异常，详细信息: Get \"gopher://127.0.0.1/\": scheme \"gopher\": only http and https URLs are allowed"},
		{"bad timeout", map[string]any{"bk_http_request_url": srv.URL, "bk_http_timeout": "soon"},
			`bk_http_timeout: "soon" is not an integer`},
		{"bad headers", map[string]any{"bk_http_request_url": srv.URL, "bk_http_request_header": "x"},
			"bk_http_request_header must be a list of {name, value}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := NewHTTPRequest(nil, nil) // the default policy
			res, err := c.Execute(t.Context(), Request{Inputs: tt.inputs})
			require.NoError(t, err)
			require.Equal(t, OutcomeFailed, res.Outcome)
			require.True(t, strings.HasPrefix(res.ExData, tt.wantErr), res.ExData)
		})
	}

	// The SSRF refusal names the address and the reason.
	res, err := NewHTTPRequest(nil, nil).Execute(t.Context(), Request{Inputs: map[string]any{"bk_http_request_url": srv.URL}})
	require.NoError(t, err)
	require.Contains(t, res.ExData, "address 127.0.0.1 is blocked by the outbound HTTP policy (loopback)")
}

func TestHTTPTimeoutClamp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		inputs map[string]any
		want   time.Duration
	}{
		{"missing", map[string]any{}, 60 * time.Second},
		{"zero", map[string]any{"bk_http_timeout": 0.0}, 60 * time.Second},
		{"empty string", map[string]any{"bk_http_timeout": ""}, 60 * time.Second},
		{"in range", map[string]any{"bk_http_timeout": 5.0}, 5 * time.Second},
		{"one", map[string]any{"bk_http_timeout": 1}, time.Second},
		{"above 60", map[string]any{"bk_http_timeout": 600.0}, 60 * time.Second},
		{"negative is absolute", map[string]any{"bk_http_timeout": -7.0}, 7 * time.Second},
		{"string", map[string]any{"bk_http_timeout": " 10 "}, 10 * time.Second},
		{"declared key", map[string]any{"bk_http_request_timeout": 8.0}, 8 * time.Second},
		{"runtime key wins", map[string]any{"bk_http_timeout": 3.0, "bk_http_request_timeout": 8.0}, 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := httpTimeout(tt.inputs)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestHTTPRequestTimeoutApplies(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	c := NewHTTPRequest(NewHTTPClient(allowLoopback(), 0), nil)
	start := time.Now()
	res, err := c.Execute(t.Context(), Request{Inputs: map[string]any{
		"bk_http_request_url": srv.URL, "bk_http_timeout": 1.0,
	}})
	require.NoError(t, err)
	require.Equal(t, OutcomeFailed, res.Outcome)
	require.Contains(t, res.ExData, "请求异常，详细信息: ")
	require.Contains(t, res.ExData, "context deadline exceeded")
	require.Less(t, time.Since(start), 10*time.Second)
}

func TestHTTPRequestResponseTooLarge(t *testing.T) {
	t.Parallel()
	srv, _ := httpTestServer(t, 200, `{"data": "`+strings.Repeat("x", 100)+`"}`)
	c := NewHTTPRequest(NewHTTPClient(allowLoopback(), 0), nil)
	c.(*httpRequest).maxBody = 64
	res, err := c.Execute(t.Context(), Request{Inputs: map[string]any{"bk_http_request_url": srv.URL}})
	require.NoError(t, err)
	require.Equal(t, failOutputs("请求响应数据超过 64 字节", map[string]any{"status_code": 200}), res)
}

func TestHTTPRequestOutputsSurviveJSON(t *testing.T) {
	t.Parallel()
	srv, _ := httpTestServer(t, 201, `{"id": 12}`)
	c := NewHTTPRequest(NewHTTPClient(allowLoopback(), 0), nil)
	res, err := c.Execute(t.Context(), Request{Inputs: map[string]any{"bk_http_request_url": srv.URL, "bk_http_request_method": "POST"}})
	require.NoError(t, err)
	b, err := json.Marshal(res)
	require.NoError(t, err)
	require.JSONEq(t, `{"outcome":1,"outputs":{"status_code":201,"data":{"id":12}}}`, string(b))
}
