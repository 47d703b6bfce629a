package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bkflow/bkflow/internal/stacktest"
	"github.com/bkflow/bkflow/workflows/pipeline/pipelinetest"
)

// TestAdmission runs bkflow dev with the shipped example rules (plus one
// rule on task starts) and checks that denied saves, creations and starts
// are refused with the rules' messages and write nothing.
func TestAdmission(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, f := range []string{"http_allowlist.rego", "data.json"} {
		b, err := os.ReadFile(filepath.Join("..", "policy", "examples", "admission", f))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), b, 0o600))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "starts.rego"), []byte(`package bkflow.admission

import rego.v1

deny contains "mallory may not start tasks" if {
	input.action == "task_start"
	input.user == "mallory"
}
`), 0o600))
	s := stacktest.Start(t, stacktest.Options{Env: []string{"BKFLOW_POLICY_DIR=" + dir}})
	sp := stacktest.NewSpace(t, s)
	httpTree := func(url string) *pipelinetest.Tree {
		tree := pipelinetest.New()
		tree.Activity("call", "bk_http_request", "v1.0", map[string]any{"bk_http_request_method": "GET", "bk_http_request_url": url})
		tree.Chain("start", "call", "end")
		return tree
	}
	count := func() int {
		var out struct {
			Count int `json:"count"`
		}
		r := s.Do(http.MethodGet, fmt.Sprintf("/space/%d/get_template_list/", sp.ID), sp.Auth, nil)
		require.NoError(t, json.Unmarshal(r.Body, &out))
		return out.Count
	}

	r, e := sp.Call(http.MethodPost, "create_template/", map[string]any{"name": "bad", "pipeline_tree": httpTree("https://evil.test/x").Map()})
	require.Equal(t, http.StatusOK, r.Status)
	require.False(t, e.Result)
	require.Regexp(t, `^admission denied: node \w+: bk_http_request to "evil.test" is not allowed in space \d+ \(allowed: example.com\)$`, e.Message)
	require.Equal(t, 0, count(), "nothing stored")

	id := sp.CreateTemplate(httpTree("https://example.com/ok"), nil)
	require.Positive(t, id)
	require.Equal(t, 1, count())

	_, e = sp.Call(http.MethodPost, fmt.Sprintf("update_template/%d/", id), map[string]any{"pipeline_tree": httpTree("http://10.0.0.1/").Map()})
	require.False(t, e.Result)
	require.Contains(t, e.Message, `bk_http_request to "10.0.0.1" is not allowed`)

	r = s.Do(http.MethodPost, fmt.Sprintf("/space/%d/create_task_without_template/", sp.ID), sp.Auth,
		map[string]any{"creator": "admin", "name": "t", "pipeline_tree": httpTree("${host}/x").Map()})
	e = stacktest.Decode(t, r)
	require.False(t, e.Result)
	require.Contains(t, e.Message, "uses variables, so its host cannot be checked")

	tk := sp.CreateTask(id, nil)
	r = s.Do(http.MethodPost, fmt.Sprintf("/space/%d/task/%d/operate_task/start/", sp.ID, tk.ID), sp.Auth,
		map[string]any{"operator": "mallory"})
	e = stacktest.Decode(t, r)
	require.False(t, e.Result)
	require.Equal(t, "admission denied: mallory may not start tasks", e.Message)
	require.Equal(t, "CREATED", tk.States().State, "not started")
}
