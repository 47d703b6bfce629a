package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/bkflow/bkflow/internal/stacktest"
	"github.com/bkflow/bkflow/workflows/pipeline/pipelinetest"
)

const cbToken = "cb-token-7f3a"

// cbAnswer is a callback response: always HTTP 200 with the request id
// echoed.
type cbAnswer struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Result  bool            `json:"result"`
	Data    json.RawMessage `json:"data"`
}

// cbPost sends body (raw when it is a string) to /iam/resources/ with the
// Authorization header auth and the extra headers (name, value, ...).
func cbPost(t *testing.T, s *stacktest.Stack, auth string, body any, headers ...string) cbAnswer {
	t.Helper()
	raw, ok := body.(string)
	if !ok {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		raw = string(b)
	}
	req, err := http.NewRequest(http.MethodPost, s.URL("/iam/resources/"), bytes.NewReader([]byte(raw)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("X-Request-Id", "iam-cb-42")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", out)
	require.Equal(t, "iam-cb-42", resp.Header.Get("X-Request-Id"))
	var a cbAnswer
	require.NoError(t, json.Unmarshal(out, &a), "%s", out)
	require.Equal(t, a.Code == 0, a.Result, "%s", out)
	return a
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

// cbFixture is a space pair with templates and tasks whose names, creators
// and scopes the exact answers below spell out; names maps placeholders
// ({A}, {tA1}, {a1}, ...) to ids and space names.
type cbFixture struct {
	s     *stacktest.Stack
	names *strings.Replacer
	ids   map[string]int64
}

func newCBFixture(t *testing.T) *cbFixture {
	t.Helper()
	s := stacktest.Start(t, stacktest.Options{Env: []string{"BKFLOW_IAM_TOKEN=" + cbToken}})
	a, b := stacktest.NewSpace(t, s), stacktest.NewSpace(t, s)
	tree := pipelinetest.Linear(1)
	ids := map[string]int64{"A": a.ID, "B": b.ID}
	ids["tA1"] = a.CreateTemplate(tree, map[string]any{"name": "Deploy web", "creator": "alice", "scope_type": "biz", "scope_value": "1"})
	ids["tA2"] = a.CreateTemplate(tree, map[string]any{"name": "Backup db", "creator": "bob"})
	ids["tAdel"] = a.CreateTemplate(tree, map[string]any{"name": "Deploy old", "creator": "alice"})
	ids["tB1"] = b.CreateTemplate(tree, map[string]any{"name": "Deploy api", "creator": "carol"})
	a.MustCall(http.MethodPost, fmt.Sprintf("delete_template/%d/", ids["tAdel"]), nil)
	ids["a1"] = a.CreateTask(ids["tA1"], map[string]any{"name": "deploy web #1", "creator": "alice"}).ID
	ids["a2"] = a.CreateTask(ids["tA2"], map[string]any{"name": "backup #1", "creator": "bob"}).ID
	adhoc := func(sp *stacktest.Space, body map[string]any) int64 {
		body["pipeline_tree"] = tree.Map()
		var created struct {
			ID int64 `json:"id"`
		}
		require.NoError(t, json.Unmarshal(sp.MustCall(http.MethodPost, "create_task_without_template/", body), &created))
		return created.ID
	}
	ids["a3"] = adhoc(a, map[string]any{"name": "adhoc check", "creator": "dave", "scope_type": "project", "scope_value": "p9"})
	ids["adel"] = adhoc(a, map[string]any{"name": "deploy gone", "creator": "alice"})
	a.MustCall(http.MethodPost, "delete_task/", map[string]any{"task_ids": []int64{ids["adel"]}})
	ids["b1"] = b.CreateTask(ids["tB1"], map[string]any{"name": "deploy api #1", "creator": "carol"}).ID
	ids["b2"] = adhoc(b, map[string]any{"name": "cleanup", "creator": "erin"})

	var pairs []string
	for k, v := range ids {
		pairs = append(pairs, "{"+k+"}", fmt.Sprint(v))
	}
	conn, err := pgx.Connect(context.Background(), s.DatabaseURL)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	for _, k := range []string{"A", "B"} {
		var name string
		require.NoError(t, conn.QueryRow(context.Background(), `SELECT name FROM spaces WHERE id = $1`, ids[k]).Scan(&name))
		pairs = append(pairs, "{name "+k+"}", name)
	}
	return &cbFixture{s: s, names: strings.NewReplacer(pairs...), ids: ids}
}

// ok calls the callback as IAM and requires code 0 and data equal to want
// with its placeholders filled in.
func (f *cbFixture) ok(t *testing.T, body, want string, headers ...string) {
	t.Helper()
	a := cbPost(t, f.s, basic("bk_iam", cbToken), f.names.Replace(body), headers...)
	require.Equal(t, 0, a.Code, "%s: %s", body, a.Message)
	require.JSONEq(t, f.names.Replace(want), string(a.Data), body)
}

// fails calls the callback as IAM and requires the code and a message
// containing msg.
func (f *cbFixture) fails(t *testing.T, body string, code int, msg string) {
	t.Helper()
	a := cbPost(t, f.s, basic("bk_iam", cbToken), f.names.Replace(body))
	require.Equal(t, code, a.Code, "%s: %s", body, a.Message)
	require.Contains(t, a.Message, msg, body)
	require.Equal(t, "null", string(a.Data))
}

// TestIAMCallback runs every method for every resource type against a real
// stack and checks the exact answers, then the refusals.
func TestIAMCallback(t *testing.T) {
	t.Parallel()
	f := newCBFixture(t)

	t.Run("auth", func(t *testing.T) {
		body := `{"type":"task","method":"list_attr"}`
		for _, auth := range []string{"", basic("bk_iam", "wrong"), basic("admin", cbToken), basic("bk_iam", cbToken+"x"),
			"Bearer " + cbToken, "Basic not-base64!", "Basic " + base64.StdEncoding.EncodeToString([]byte("bk_iam"))} {
			a := cbPost(t, f.s, auth, body)
			require.Equal(t, 401, a.Code, auth)
			require.False(t, a.Result)
			require.Equal(t, "authentication failed: Basic bk_iam:<iam-token> is required", a.Message)
		}
		// The scheme is case-insensitive, as in IAM's SDKs.
		a := cbPost(t, f.s, "basic "+base64.StdEncoding.EncodeToString([]byte("bk_iam:"+cbToken)), body)
		require.Equal(t, 0, a.Code, a.Message)
	})

	t.Run("list_attr", func(t *testing.T) {
		f.ok(t, `{"type":"space","method":"list_attr"}`, `[]`)
		for _, typ := range []string{"template", "task"} {
			f.ok(t, `{"type":"`+typ+`","method":"list_attr","filter":{},"page":{"offset":0,"limit":0}}`,
				`[{"id":"creator","display_name":"创建者"},{"id":"scope_type","display_name":"作用域类型"},{"id":"scope_value","display_name":"作用域值"}]`)
			f.ok(t, `{"type":"`+typ+`","method":"list_attr"}`,
				`[{"id":"creator","display_name":"Creator"},{"id":"scope_type","display_name":"Scope type"},{"id":"scope_value","display_name":"Scope value"}]`,
				"Blueking-Language", "en")
		}
	})

	t.Run("list_attr_value", func(t *testing.T) {
		f.ok(t, `{"type":"task","method":"list_attr_value","filter":{"attr":"creator"},"page":{"offset":0,"limit":10}}`,
			`{"count":5,"results":[{"id":"alice","display_name":"alice"},{"id":"bob","display_name":"bob"},
			{"id":"carol","display_name":"carol"},{"id":"dave","display_name":"dave"},{"id":"erin","display_name":"erin"}]}`)
		f.ok(t, `{"type":"task","method":"list_attr_value","filter":{"attr":"creator"},"page":{"offset":1,"limit":2}}`,
			`{"count":5,"results":[{"id":"bob","display_name":"bob"},{"id":"carol","display_name":"carol"}]}`)
		f.ok(t, `{"type":"task","method":"list_attr_value","filter":{"attr":"creator"},"page":{"offset":9,"limit":2}}`,
			`{"count":5,"results":[]}`)
		f.ok(t, `{"type":"task","method":"list_attr_value","filter":{"attr":"creator","keyword":"A"},"page":{"offset":0,"limit":10}}`,
			`{"count":3,"results":[{"id":"alice","display_name":"alice"},{"id":"carol","display_name":"carol"},{"id":"dave","display_name":"dave"}]}`)
		f.ok(t, `{"type":"task","method":"list_attr_value","filter":{"attr":"creator","ids":["bob","zed",7]},"page":{"offset":0,"limit":10}}`,
			`{"count":1,"results":[{"id":"bob","display_name":"bob"}]}`)
		f.ok(t, `{"type":"task","method":"list_attr_value","filter":{"attr":"scope_type"},"page":{"offset":0,"limit":10}}`,
			`{"count":2,"results":[{"id":"biz","display_name":"biz"},{"id":"project","display_name":"project"}]}`)
		f.ok(t, `{"type":"template","method":"list_attr_value","filter":{"attr":"creator"},"page":{"offset":0,"limit":10}}`,
			`{"count":3,"results":[{"id":"alice","display_name":"alice"},{"id":"bob","display_name":"bob"},{"id":"carol","display_name":"carol"}]}`)
		f.ok(t, `{"type":"template","method":"list_attr_value","filter":{"attr":"scope_value"},"page":{"offset":0,"limit":10}}`,
			`{"count":1,"results":[{"id":"1","display_name":"1"}]}`)
		f.fails(t, `{"type":"task","method":"list_attr_value","filter":{"attr":"name"},"page":{"offset":0,"limit":10}}`,
			404, `task has no attribute "name"`)
		f.fails(t, `{"type":"space","method":"list_attr_value","filter":{"attr":"creator"}}`, 404, `space has no attribute "creator"`)
	})

	t.Run("list_instance", func(t *testing.T) {
		f.ok(t, `{"type":"space","method":"list_instance","page":{"offset":0,"limit":10}}`,
			`{"count":2,"results":[{"id":"{A}","display_name":"{name A}"},{"id":"{B}","display_name":"{name B}"}]}`)
		f.ok(t, `{"type":"template","method":"list_instance","filter":{"parent":{"type":"space","id":"{A}"}},"page":{"offset":0,"limit":10}}`,
			`{"count":2,"results":[{"id":"{tA2}","display_name":"Backup db"},{"id":"{tA1}","display_name":"Deploy web"}]}`)
		f.ok(t, `{"type":"template","method":"list_instance","page":{"offset":0,"limit":10}}`,
			`{"count":3,"results":[{"id":"{tB1}","display_name":"Deploy api"},{"id":"{tA2}","display_name":"Backup db"},{"id":"{tA1}","display_name":"Deploy web"}]}`)
		f.ok(t, `{"type":"task","method":"list_instance","filter":{"parent":{"type":"space","id":"{A}"}},"page":{"offset":0,"limit":10}}`,
			`{"count":3,"results":[{"id":"{a3}","display_name":"adhoc check"},{"id":"{a2}","display_name":"backup #1"},{"id":"{a1}","display_name":"deploy web #1"}]}`)
		f.ok(t, `{"type":"task","method":"list_instance","filter":{"parent":{"type":"space","id":"{A}"}},"page":{"offset":1,"limit":1}}`,
			`{"count":3,"results":[{"id":"{a2}","display_name":"backup #1"}]}`)
		f.ok(t, `{"type":"task","method":"list_instance","filter":{"parent":{"type":"template","id":"{tA1}"}},"page":{"offset":0,"limit":10}}`,
			`{"count":1,"results":[{"id":"{a1}","display_name":"deploy web #1"}]}`)
		// The SaaS's ancestors: the last one is the parent; numeric ids are read too.
		f.ok(t, `{"type":"task","method":"list_instance","filter":{"ancestors":[{"system":"bkflow","type":"space","id":"{A}"},
			{"system":"bkflow","type":"template","id":{tA2}}]},"page":{"offset":0,"limit":10}}`,
			`{"count":1,"results":[{"id":"{a2}","display_name":"backup #1"}]}`)
		f.ok(t, `{"type":"task","method":"list_instance","page":{"offset":0,"limit":2}}`,
			`{"count":5,"results":[{"id":"{b2}","display_name":"cleanup"},{"id":"{b1}","display_name":"deploy api #1"}]}`)
		for _, parent := range []string{`{"type":"template","id":"{tA1}"}`, `{"type":"space","id":"x"}`, `{"type":"host","id":"1"}`, `{"type":"space","id":"{A}"}`} {
			typ := "template"
			if strings.Contains(parent, "space") {
				typ = "space"
			}
			f.ok(t, `{"type":"`+typ+`","method":"list_instance","filter":{"parent":`+parent+`},"page":{"offset":0,"limit":10}}`,
				`{"count":0,"results":[]}`)
		}
	})

	t.Run("search_instance", func(t *testing.T) {
		f.ok(t, `{"type":"task","method":"search_instance","filter":{"keyword":"deploy"},"page":{"offset":0,"limit":10}}`,
			`{"count":2,"results":[{"id":"{b1}","display_name":"deploy api #1"},{"id":"{a1}","display_name":"deploy web #1"}]}`)
		f.ok(t, `{"type":"task","method":"search_instance","filter":{"keyword":"DEPLOY","parent":{"type":"space","id":"{A}"}},"page":{"offset":0,"limit":10}}`,
			`{"count":1,"results":[{"id":"{a1}","display_name":"deploy web #1"}]}`)
		f.ok(t, `{"type":"template","method":"search_instance","filter":{"keyword":"Deploy"},"page":{"offset":0,"limit":10}}`,
			`{"count":2,"results":[{"id":"{tB1}","display_name":"Deploy api"},{"id":"{tA1}","display_name":"Deploy web"}]}`)
		f.ok(t, `{"type":"space","method":"search_instance","filter":{"keyword":"{name B}"},"page":{"offset":0,"limit":10}}`,
			`{"count":1,"results":[{"id":"{B}","display_name":"{name B}"}]}`)
		f.ok(t, `{"type":"task","method":"search_instance","filter":{"keyword":"50%"},"page":{"offset":0,"limit":10}}`,
			`{"count":0,"results":[]}`)
		f.fails(t, `{"type":"task","method":"search_instance","filter":{"keyword":" d "},"page":{"offset":0,"limit":10}}`,
			406, "filter.keyword must be at least 2 characters")
		f.fails(t, `{"type":"task","method":"search_instance","page":{"offset":0,"limit":10}}`, 406, "at least 2")
	})

	t.Run("fetch_instance_info", func(t *testing.T) {
		f.ok(t, `{"type":"task","method":"fetch_instance_info","filter":{"ids":["{a1}","{a3}","x","{adel}",{b2},"0{a2}"]}}`,
			`[{"id":"{a1}","display_name":"deploy web #1","creator":"alice","scope_type":"biz","scope_value":"1",
			  "_bk_iam_path_":["/space,{A}/","/space,{A}/template,{tA1}/"],"_bk_iam_approver_":["alice"]},
			 {"id":"{a3}","display_name":"adhoc check","creator":"dave","scope_type":"project","scope_value":"p9",
			  "_bk_iam_path_":["/space,{A}/"],"_bk_iam_approver_":["dave"]},
			 {"id":"{b2}","display_name":"cleanup","creator":"erin","scope_type":null,"scope_value":null,
			  "_bk_iam_path_":["/space,{B}/"],"_bk_iam_approver_":["erin"]}]`)
		f.ok(t, `{"type":"task","method":"fetch_instance_info","filter":{"ids":["{b1}"],"attrs":["_bk_iam_path_","nope"]}}`,
			`[{"id":"{b1}","_bk_iam_path_":["/space,{B}/","/space,{B}/template,{tB1}/"]}]`)
		f.ok(t, `{"type":"template","method":"fetch_instance_info","filter":{"ids":["{tA1}","{tAdel}","{tB1}"]}}`,
			`[{"id":"{tA1}","display_name":"Deploy web","creator":"alice","scope_type":"biz","scope_value":"1",
			  "_bk_iam_path_":["/space,{A}/"],"_bk_iam_approver_":["alice"]},
			 {"id":"{tB1}","display_name":"Deploy api","creator":"carol","scope_type":null,"scope_value":null,
			  "_bk_iam_path_":["/space,{B}/"],"_bk_iam_approver_":["carol"]}]`)
		f.ok(t, `{"type":"template","method":"fetch_instance_info","filter":{"ids":["{tA2}"],"attrs":["display_name","_bk_iam_approver_"]}}`,
			`[{"id":"{tA2}","display_name":"Backup db","_bk_iam_approver_":["bob"]}]`)
		f.ok(t, `{"type":"space","method":"fetch_instance_info","filter":{"ids":["{B}"]}}`,
			`[{"id":"{B}","display_name":"{name B}","_bk_iam_path_":[],"_bk_iam_approver_":["admin"]}]`)
		f.ok(t, `{"type":"task","method":"fetch_instance_info","filter":{}}`, `[]`)
	})

	t.Run("list_instance_by_policy", func(t *testing.T) {
		policy := func(typ, expr, limit string) string {
			return `{"type":"` + typ + `","method":"list_instance_by_policy","filter":{"expression":` + expr + `},"page":{"offset":0,"limit":` + limit + `}}`
		}
		f.ok(t, policy("task", `{"op":"starts_with","field":"task._bk_iam_path_","value":"/space,{A}/"}`, "10"),
			`{"count":3,"results":[{"id":"{a3}","display_name":"adhoc check"},{"id":"{a2}","display_name":"backup #1"},{"id":"{a1}","display_name":"deploy web #1"}]}`)
		f.ok(t, policy("task", `{"op":"starts_with","field":"task._bk_iam_path_","value":"/space,{A}/template,{tA1}/"}`, "10"),
			`{"count":1,"results":[{"id":"{a1}","display_name":"deploy web #1"}]}`)
		f.ok(t, policy("task", `{"op":"starts_with","field":"task._bk_iam_path_","value":"/space,{A}/template,*/"}`, "10"),
			`{"count":2,"results":[{"id":"{a2}","display_name":"backup #1"},{"id":"{a1}","display_name":"deploy web #1"}]}`)
		f.ok(t, policy("task", `{"op":"in","field":"task.id","value":["{b1}","{a3}","{adel}","x"]}`, "10"),
			`{"count":2,"results":[{"id":"{b1}","display_name":"deploy api #1"},{"id":"{a3}","display_name":"adhoc check"}]}`)
		f.ok(t, policy("task", `{"op":"OR","content":[{"op":"eq","field":"task.id","value":"{b2}"},
			{"op":"starts_with","field":"task._bk_iam_path_","value":"/space,{A}/template,{tA2}/"}]}`, "1"),
			`{"count":2,"results":[{"id":"{b2}","display_name":"cleanup"}]}`)
		f.ok(t, policy("task", `{"op":"AND","content":[{"op":"string_contains","field":"task._bk_iam_path_","value":"/space,{B}/"},
			{"op":"not_eq","field":"task.scope_type","value":"biz"}]}`, "10"),
			`{"count":2,"results":[{"id":"{b2}","display_name":"cleanup"},{"id":"{b1}","display_name":"deploy api #1"}]}`)
		f.ok(t, policy("task", `{"op":"eq","field":"task.creator","value":"alice"}`, "10"),
			`{"count":1,"results":[{"id":"{a1}","display_name":"deploy web #1"}]}`)
		f.ok(t, policy("task", `{"op":"any","field":"","value":[]}`, "0"),
			`{"count":5,"results":[{"id":"{b2}","display_name":"cleanup"},{"id":"{b1}","display_name":"deploy api #1"},
			{"id":"{a3}","display_name":"adhoc check"},{"id":"{a2}","display_name":"backup #1"},{"id":"{a1}","display_name":"deploy web #1"}]}`)
		f.ok(t, policy("task", `{}`, "10"), `{"count":0,"results":[]}`)
		f.ok(t, policy("task", `{"op":"eq","field":"template.id","value":"{tA1}"}`, "10"), `{"count":0,"results":[]}`)
		f.ok(t, policy("template", `{"op":"starts_with","field":"template._bk_iam_path_","value":"/space,{A}/"}`, "10"),
			`{"count":2,"results":[{"id":"{tA2}","display_name":"Backup db"},{"id":"{tA1}","display_name":"Deploy web"}]}`)
		f.ok(t, policy("template", `{"op":"in","field":"template.id","value":["{tB1}","{tAdel}"]}`, "10"),
			`{"count":1,"results":[{"id":"{tB1}","display_name":"Deploy api"}]}`)
		f.ok(t, policy("space", `{"op":"eq","field":"space.id","value":"{B}"}`, "10"),
			`{"count":1,"results":[{"id":"{B}","display_name":"{name B}"}]}`)
		f.ok(t, `{"type":"task","method":"list_instance_by_policy","page":{"offset":0,"limit":10}}`, `{"count":0,"results":[]}`)
	})

	t.Run("errors", func(t *testing.T) {
		f.fails(t, `not json`, 400, "the body must be a JSON object")
		f.fails(t, `[1,2]`, 400, "the body must be a JSON object")
		f.fails(t, `{"type":"task"}`, 400, "type and method are required")
		f.fails(t, `{"method":"list_attr"}`, 400, "type and method are required")
		f.fails(t, `{"type":"host","method":"list_attr"}`, 404, `resource type "host" is not provided by bkflow`)
		f.fails(t, `{"type":"task","method":"fetch_instance_list"}`, 404, `method "fetch_instance_list" is not supported for task`)
		f.fails(t, `{"type":"task","method":"list_instance","page":{"offset":0,"limit":1001}}`, 422, "page.limit is at most 1000")
		f.fails(t, `{"type":"task","method":"list_instance","page":{"offset":-1,"limit":10}}`, 400, "must not be negative")
		f.fails(t, `{"type":"task","method":"list_instance","page":{"offset":"0","limit":10}}`, 400, "the body must be a JSON object")
		f.fails(t, `{"type":"task","method":"list_instance","filter":{"parent":"space"}}`, 400, "filter:")
		f.fails(t, `{"type":"task","method":"list_instance","filter":[]}`, 400, "filter:")
		ids := make([]string, 1001)
		for i := range ids {
			ids[i] = fmt.Sprint(i + 1)
		}
		idsJSON, err := json.Marshal(ids)
		require.NoError(t, err)
		f.fails(t, `{"type":"task","method":"fetch_instance_info","filter":{"ids":`+string(idsJSON)+`}}`, 422, "filter.ids holds at most 1000 ids")
		f.fails(t, `{"type":"task","method":"list_instance_by_policy","filter":{"expression":"x"}}`, 400, "filter.expression must be a wire expression")
		deep := `{"op":"eq","field":"task.id","value":"1"}`
		for range 70 {
			deep = `{"op":"AND","content":[` + deep + `]}`
		}
		f.fails(t, `{"type":"task","method":"list_instance_by_policy","filter":{"expression":`+deep+`}}`, 400, "nests deeper than 64 levels")
		// Values the SDKs would not send match nothing; they are no error.
		f.ok(t, `{"type":"task","method":"list_instance_by_policy","filter":{"expression":{"op":"eq","field":"task.id","value":{"x":"1"}}}}`,
			`{"count":0,"results":[]}`)
		f.ok(t, `{"type":"task","method":"list_instance_by_policy","filter":{"expression":{"op":"bogus","field":"task.id","value":"1"}}}`,
			`{"count":0,"results":[]}`)
	})
}
