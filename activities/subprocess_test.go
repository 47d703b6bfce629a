package activities

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bkflow/bkflow/workflows/pipeline"
)

// fakeTemplates is a TemplateSource that records its call.
type fakeTemplates struct {
	mu   sync.Mutex
	tree *pipeline.Engine
	err  error
	got  []any
}

func (f *fakeTemplates) LoadTemplateTree(_ context.Context, spaceID, templateID int64, version string, latest bool) (*pipeline.Engine, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = []any{spaceID, templateID, version, latest}
	return f.tree, f.err
}

func childTree() *pipeline.Engine {
	return &pipeline.Engine{ID: "child", StartID: "s", EndID: "e", Inputs: map[string]pipeline.Var{
		"${a}": {Type: pipeline.VarPlain, Value: "default a"},
		"${b}": {Type: pipeline.VarPlain, Value: "default b"},
	}}
}

func TestSubprocessExecute(t *testing.T) {
	t.Parallel()
	shanghai := mustLocation("Asia/Shanghai")
	now := time.Date(2024, 5, 1, 2, 3, 4, 0, time.UTC) // 10:03:04 in Shanghai
	input := func(latest any) map[string]any {
		return map[string]any{"subprocess": map[string]any{
			"template_id":       "12",
			"version":           "v3",
			"always_use_latest": latest,
			"subprocess_name":   "deploy",
			"constants": map[string]any{
				"${a}":    map[string]any{"key": "${a}", "value": "from parent", "show_type": "show"},
				"${gone}": map[string]any{"key": "${gone}", "value": 1.0},
				"b":       "bare",
			},
		}}
	}
	tests := []struct {
		name          string
		inputs        map[string]any
		wantGot       []any
		wantConstants map[string]any
	}{
		{"exact version", input(false), []any{int64(5), int64(12), "v3", false},
			map[string]any{"${a}": "from parent", "${gone}": 1.0, "${b}": "bare"}},
		{"latest drops undeclared constants", input(true), []any{int64(5), int64(12), "v3", true},
			map[string]any{"${a}": "from parent", "${b}": "bare"}},
		{"latest as text, numeric id, no version", map[string]any{"subprocess": map[string]any{
			"template_id": 12.0, "always_use_latest": "true", "subprocess_name": "deploy"}},
			[]any{int64(5), int64(12), "", true}, map[string]any{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := &fakeTemplates{tree: childTree()}
			c := NewSubprocess(src, func() time.Time { return now }, shanghai)
			res, err := c.Execute(t.Context(), Request{SpaceID: 5, Inputs: tt.inputs})
			require.NoError(t, err)
			require.Equal(t, OutcomeChild, res.Outcome, res.ExData)
			require.Equal(t, tt.wantGot, src.got)
			require.Equal(t, &ChildTask{
				Name:       "deploy_子流程_20240501100304",
				Tree:       src.tree,
				Constants:  tt.wantConstants,
				TemplateID: 12,
			}, res.Child)
		})
	}
}

func TestSubprocessExecuteFailures(t *testing.T) {
	t.Parallel()
	valid := map[string]any{"template_id": "1", "version": "v1", "subprocess_name": "x"}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for kk, vv := range valid {
			m[kk] = vv
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name   string
		src    TemplateSource
		input  any
		want   string
		wantRe bool // a retryable error instead of a failure
	}{
		{"no template source", nil, valid, "subprocess templates are not available in this deployment", false},
		{"loader error", &fakeTemplates{err: errors.New("template 1 not found")}, valid,
			"get subprocess data failed: template 1 not found", false},
		{"loader returns no tree", &fakeTemplates{}, valid, "get subprocess data failed: template 1 has no pipeline tree", false},
		{"retryable loader error", &fakeTemplates{err: Retryable(errors.New("db down"))}, valid, "", true},
		{"not an object", &fakeTemplates{tree: childTree()}, "x", "subprocess must be an object", false},
		{"no template id", &fakeTemplates{tree: childTree()}, with("template_id", nil), "subprocess.template_id is required", false},
		{"bad template id", &fakeTemplates{tree: childTree()}, with("template_id", "abc"), `subprocess.template_id: "abc" is not an integer`, false},
		{"no name", &fakeTemplates{tree: childTree()}, with("subprocess_name", nil), "subprocess.subprocess_name is required", false},
		{"no version", &fakeTemplates{tree: childTree()}, with("version", nil), "subprocess.version is required unless always_use_latest is set", false},
		{"bad constants", &fakeTemplates{tree: childTree()}, with("constants", "x"), "subprocess.constants must be an object", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := NewSubprocess(tt.src, nil, nil).Execute(t.Context(), Request{Inputs: map[string]any{"subprocess": tt.input}})
			if tt.wantRe {
				require.True(t, IsRetryable(err))
				return
			}
			require.NoError(t, err)
			require.Equal(t, failed(tt.want), res)
		})
	}
}

func TestSubprocessSchedule(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		callback any
		want     Result
	}{
		{"success copies the child's outputs", map[string]any{
			"task_success": true, "task_id": 42.0, "outputs": map[string]any{"${out}": "v", "n": 1.0},
		}, Result{Outcome: OutcomeFinished, Outputs: map[string]any{"${out}": "v", "n": 1.0, "task_id": int64(42)}}},
		{"typed result", ChildResult{TaskSuccess: true, TaskID: 7},
			Result{Outcome: OutcomeFinished, Outputs: map[string]any{"task_id": int64(7)}}},
		{"failure", map[string]any{"task_success": false, "task_id": 42.0},
			Result{Outcome: OutcomeFailed, ExData: "子流程执行失败，请检查失败节点", Outputs: map[string]any{"task_id": int64(42)}}},
		{"missing task_success is a failure", map[string]any{"task_id": 3.0},
			Result{Outcome: OutcomeFailed, ExData: "子流程执行失败，请检查失败节点", Outputs: map[string]any{"task_id": int64(3)}}},
		{"no callback", nil, failed("subprocess_plugin: the child task's result is missing")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := NewSubprocess(nil, nil, nil).Schedule(t.Context(), Request{Callback: tt.callback})
			require.NoError(t, err)
			require.Equal(t, tt.want, res)
		})
	}
}
