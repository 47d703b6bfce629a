package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// ConditionEvaluator evaluates a boolrule expression (BKFlow's gateway
// condition language) against ctx, e.g. `resp.result == True` with ctx
// {"resp": ...}. workflows/expr.EvalBoolrule is the production one.
type ConditionEvaluator func(expr string, ctx map[string]any) (bool, error)

// httpRequest is bk_http_request v1.0 (HTTP 请求). It sends one request in
// Execute (BKFlow sends it in the first schedule, which changes nothing
// observable) through an SSRF-guarded client, and succeeds when the answer
// is JSON, its status is 2xx and the optional success expression holds.
type httpRequest struct {
	client  *http.Client
	eval    ConditionEvaluator
	maxBody int64
}

var _ Component = (*httpRequest)(nil)

const (
	httpMaxTimeout = 60 * time.Second
	// httpMaxResponse caps the response body: the parsed body becomes a node
	// output, which travels in a Temporal payload (2 MiB by default).
	httpMaxResponse = 2 << 20
)

var httpMethods = []string{"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "CONNECT", "OPTIONS", "TRACE"}

// NewHTTPRequest returns the bk_http_request component. client should come
// from NewHTTPClient (nil: one with DefaultHTTPPolicy); eval evaluates
// bk_http_success_exp (nil: a node with a success expression fails).
func NewHTTPRequest(client *http.Client, eval ConditionEvaluator) Component {
	if client == nil {
		client = NewHTTPClient(DefaultHTTPPolicy(), 0)
	}
	return &httpRequest{client: client, eval: eval, maxBody: httpMaxResponse}
}

func (*httpRequest) Spec() Spec {
	methods := make([]any, len(httpMethods))
	for i, m := range httpMethods {
		methods[i] = m
	}
	return Spec{
		Code:    "bk_http_request",
		Version: "v1.0",
		Name:    "HTTP 请求",
		Description: "提示: 1.请求URL需要在当前网络下可以访问，否则会超时失败 " +
			"2.响应状态码在200-300(不包括300)之间，并且响应内容是 JSON 格式才会执行成功",
		Group: groupBK,
		Inputs: []Field{
			{Key: "bk_http_request_method", Name: "HTTP 请求方法", Type: "string", Default: "GET", Enum: methods,
				Description: "HTTP 请求方法"},
			{Key: "bk_http_request_url", Name: "HTTP 请求目标地址", Type: "string", Required: true,
				Description: "HTTP 请求目标地址"},
			{Key: "bk_http_request_header", Name: "HTTP 请求 header", Type: "list",
				Description: `HTTP 请求头部列表: [{"name": "...", "value": "..."}]`,
				Schema: &Schema{Type: "array", Description: "HTTP 请求头部列表",
					Items: &Schema{Type: "object", Description: "单个头部信息", Properties: map[string]*Schema{
						"name":  {Type: "string", Description: "请求头名称"},
						"value": {Type: "string", Description: "请求头值"},
					}}}},
			{Key: "bk_http_request_body", Name: "HTTP 请求 body", Type: "string",
				Description: "HTTP 请求 body（非字符串的值按 JSON 编码）；GET、HEAD 不发送",
				Schema:      &Schema{Type: "string", Description: "HTTP 请求 body"}},
			{Key: "bk_http_timeout", Name: "HTTP 请求超时时间", Type: "int", Default: 60,
				Description: "HTTP 请求超时时间（秒，1-60，0 为 60）；也接受 bk_http_request_timeout",
				Schema:      &Schema{Type: "int", Description: "HTTP 请求超时时间"}},
			{Key: "bk_http_success_exp", Name: "HTTP 请求成功条件", Type: "string",
				Description: "根据返回的 JSON 的数据来控制节点的成功或失败, 使用 resp 引用返回的 JSON 对象，例 resp.result==True"},
		},
		Outputs: withDefaultOutputs(
			Field{Key: "data", Name: "响应内容", Type: "object", Description: "HTTP 请求响应内容，内部结构不固定"},
			Field{Key: "status_code", Name: "状态码", Type: "int", Description: "HTTP 请求响应状态码"},
		),
	}
}

func (h *httpRequest) Execute(ctx context.Context, req Request) (Result, error) {
	in := req.Inputs
	method := strings.ToUpper(strings.TrimSpace(stringify(in["bk_http_request_method"])))
	if method == "" {
		method = http.MethodGet
	}
	if !slices.Contains(httpMethods, method) {
		return failed(fmt.Sprintf("不支持的 HTTP 请求方法: %s", method)), nil
	}
	url := strings.TrimSpace(stringify(in["bk_http_request_url"]))
	if url == "" {
		return failed("bk_http_request_url is required"), nil
	}
	timeout, err := httpTimeout(in)
	if err != nil {
		return failed(err.Error()), nil
	}
	headers, err := httpHeaders(in["bk_http_request_header"])
	if err != nil {
		return failed(err.Error()), nil
	}

	var body io.Reader
	sendBody := method != http.MethodGet && method != http.MethodHead
	if sendBody {
		b, err := httpBody(in["bk_http_request_body"])
		if err != nil {
			return failed(err.Error()), nil
		}
		body = bytes.NewReader(b)
	}

	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return failed(fmt.Sprintf("请求异常，详细信息: %v", err)), nil
	}
	if sendBody {
		hreq.Header.Set("Content-Type", "application/json")
	}
	for _, hd := range headers {
		hreq.Header.Set(hd[0], hd[1])
	}

	resp, err := h.client.Do(hreq)
	if err != nil {
		return failed(fmt.Sprintf("请求异常，详细信息: %v", err)), nil
	}
	defer resp.Body.Close()
	outputs := map[string]any{"status_code": resp.StatusCode}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, h.maxBody+1))
	if err != nil {
		return failOutputs(fmt.Sprintf("请求异常，详细信息: %v", err), outputs), nil
	}
	if int64(len(raw)) > h.maxBody {
		return failOutputs(fmt.Sprintf("请求响应数据超过 %d 字节", h.maxBody), outputs), nil
	}
	var data any
	if err := json.Unmarshal(raw, &data); err != nil {
		return failOutputs("请求响应数据格式非 JSON", outputs), nil
	}
	outputs["data"] = data

	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		shown, _ := json.Marshal(data)
		return failOutputs(fmt.Sprintf("请求失败，状态码: %d，响应: %s", resp.StatusCode, shown), outputs), nil
	}
	if exp := strings.TrimSpace(stringify(in["bk_http_success_exp"])); exp != "" {
		if h.eval == nil {
			return failOutputs("请求成功条件判定出错: no condition evaluator is configured", outputs), nil
		}
		ok, err := h.eval(exp, map[string]any{"resp": data})
		if err != nil {
			return failOutputs(fmt.Sprintf("请求成功条件判定出错: %v", err), outputs), nil
		}
		if !ok {
			return failOutputs("请求成功判定失败", outputs), nil
		}
	}
	return Result{Outcome: OutcomeFinished, Outputs: outputs}, nil
}

func (*httpRequest) Schedule(context.Context, Request) (Result, error) {
	return Result{Outcome: OutcomeFinished}, nil
}

// failOutputs fails the node and keeps the outputs gathered so far.
func failOutputs(message string, outputs map[string]any) Result {
	r := failed(message)
	r.Outputs = outputs
	return r
}

// httpTimeout reads bk_http_timeout (or the declared key
// bk_http_request_timeout): whole seconds; negative values count as their
// absolute value, 0 or missing is 60, anything above 60 is 60.
func httpTimeout(in map[string]any) (time.Duration, error) {
	key := "bk_http_timeout"
	v, ok := in[key]
	if !ok || v == nil || v == "" {
		key = "bk_http_request_timeout"
		v = in[key]
	}
	if v == nil || v == "" {
		return httpMaxTimeout, nil
	}
	n, err := toInt(v)
	if err != nil {
		return 0, fmt.Errorf("%s: %v", key, err)
	}
	if n < 0 {
		n = -n
	}
	d := time.Duration(min(n, 60)) * time.Second
	if d == 0 {
		d = httpMaxTimeout
	}
	return d, nil
}

// httpHeaders reads bk_http_request_header: a list of {name, value} (or its
// JSON text). Entries without a name are skipped.
func httpHeaders(v any) ([][2]string, error) {
	if v == nil || v == "" {
		return nil, nil
	}
	var list []map[string]any
	if err := decodeInto(v, &list); err != nil {
		return nil, fmt.Errorf("bk_http_request_header must be a list of {name, value}")
	}
	out := make([][2]string, 0, len(list))
	for _, h := range list {
		name := strings.TrimSpace(stringify(h["name"]))
		if name == "" {
			continue
		}
		out = append(out, [2]string{name, stringify(h["value"])})
	}
	return out, nil
}

// httpBody is the body of a non-GET/HEAD request: a string as it is, other
// values JSON-encoded, nothing when missing.
func httpBody(v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		return []byte(x), nil
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return nil, fmt.Errorf("bk_http_request_body: %v", err)
		}
		return b, nil
	}
}
