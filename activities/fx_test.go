package activities

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/fx"

	"github.com/bkflow/bkflow/workflows/pipeline"
)

func TestBuiltinsThroughFx(t *testing.T) {
	t.Parallel()
	var reg *Registry
	var comps *Components
	app := fx.New(fx.NopLogger, Module, Builtins(), fx.Populate(&reg, &comps))
	require.NoError(t, app.Err())

	var got [][2]string
	for _, s := range reg.List() {
		got = append(got, [2]string{s.Code, s.Version})
	}
	require.Equal(t, [][2]string{
		{"bk_display", "v1.0"},
		{"bk_http_request", "v1.0"},
		{"debug_plugin", "v1.0.0"},
		{"pause_node", "legacy"},
		{"sleep_timer", "legacy"},
		{"subprocess_plugin", "1.0.0"},
		{"value_assign", "v1.0.0"},
	}, got)
	require.Same(t, reg, comps.Registry)

	// Without a TemplateSource, subprocess nodes fail clearly.
	sub, ok := reg.Lookup("subprocess_plugin", "1.0.0")
	require.True(t, ok)
	res, err := sub.Execute(t.Context(), Request{Inputs: map[string]any{"subprocess": map[string]any{
		"template_id": 1.0, "version": "v1", "subprocess_name": "x"}}})
	require.NoError(t, err)
	require.Equal(t, failed("subprocess templates are not available in this deployment"), res)
}

type stubTemplates struct{}

func (stubTemplates) LoadTemplateTree(context.Context, int64, int64, string, bool) (*pipeline.Engine, error) {
	return &pipeline.Engine{ID: "child"}, nil
}

func TestBuiltinsConfigThroughFx(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"result": true}`))
	}))
	t.Cleanup(srv.Close)
	policy := allowLoopback()
	now := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	var evaluated string
	var reg *Registry
	app := fx.New(fx.NopLogger, Module, Builtins(),
		fx.Supply(&BuiltinConfig{
			Location:   mustLocation("Asia/Shanghai"),
			HTTPPolicy: &policy,
			Now:        func() time.Time { return now },
		}),
		fx.Provide(func() TemplateSource { return stubTemplates{} }),
		fx.Provide(func() ConditionEvaluator {
			return func(expr string, _ map[string]any) (bool, error) { evaluated = expr; return true, nil }
		}),
		fx.Populate(&reg))
	require.NoError(t, app.Err())

	httpc, _ := reg.Lookup("bk_http_request", "v1.0")
	res, err := httpc.Execute(t.Context(), Request{Inputs: map[string]any{
		"bk_http_request_url": srv.URL, "bk_http_success_exp": "resp.result == True"}})
	require.NoError(t, err)
	require.Equal(t, OutcomeFinished, res.Outcome, res.ExData)
	require.Equal(t, "resp.result == True", evaluated)

	sleep, _ := reg.Lookup("sleep_timer", "")
	res, err = sleep.Execute(t.Context(), Request{Inputs: map[string]any{"bk_timing": "2024-05-01 09:00:00"}})
	require.NoError(t, err)
	require.Equal(t, time.Hour, res.PollAfter) // 09:00 Shanghai is 01:00 UTC

	sub, _ := reg.Lookup("subprocess_plugin", "1.0.0")
	res, err = sub.Execute(t.Context(), Request{Inputs: map[string]any{"subprocess": map[string]any{
		"template_id": 1.0, "version": "v1", "subprocess_name": "x"}}})
	require.NoError(t, err)
	require.Equal(t, OutcomeChild, res.Outcome, res.ExData)
	require.Equal(t, "x_子流程_20240501080000", res.Child.Name)
}

func TestRegistryFromGroupRejectsDuplicates(t *testing.T) {
	t.Parallel()
	app := fx.New(fx.NopLogger, Module, Builtins(),
		fx.Provide(fx.Annotate(func() Component { return newFake("bk_display", "v1.0") }, fx.ResultTags(ComponentsGroup))),
		fx.Invoke(func(*Registry) {}))
	require.ErrorContains(t, app.Err(), "component bk_display v1.0 is already registered")
}

func TestBuiltinSpecs(t *testing.T) {
	t.Parallel()
	policy := HTTPPolicy{Allow: []netip.Prefix{}}
	builtins := []Component{
		NewDisplay(), NewPause(), NewSleepTimer(nil, nil), NewHTTPRequest(NewHTTPClient(policy, 0), nil),
		NewValueAssign(), NewDebugPlugin(), NewSubprocess(nil, nil, nil),
	}
	wantOutputs := map[string][]string{
		"bk_display":        {},
		"pause_node":        {"callback_data"},
		"sleep_timer":       {},
		"bk_http_request":   {"data", "status_code"},
		"value_assign":      {},
		"debug_plugin":      {"string_output", "int_output", "boolean_output", "object_output"},
		"subprocess_plugin": {"task_id", "outputs"},
	}
	wantInputs := map[string][]string{
		"bk_display":        {"bk_display_message"},
		"pause_node":        {"description"},
		"sleep_timer":       {"bk_timing", "force_check"},
		"bk_http_request":   {"bk_http_request_method", "bk_http_request_url", "bk_http_request_header", "bk_http_request_body", "bk_http_timeout", "bk_http_success_exp"},
		"value_assign":      {"bk_assignment_list"},
		"debug_plugin":      {"string_input", "int_input", "boolean_input", "object_input"},
		"subprocess_plugin": {"subprocess"},
	}
	validTypes := map[string]bool{"string": true, "int": true, "float": true, "bool": true, "object": true, "list": true, "any": true}
	for _, c := range builtins {
		s := c.Spec()
		t.Run(s.Code, func(t *testing.T) {
			t.Parallel()
			require.NotEmpty(t, s.Name)
			var inputs, outputs []string
			for _, f := range s.Inputs {
				inputs = append(inputs, f.Key)
				require.True(t, validTypes[f.Type], f.Key)
			}
			for _, f := range s.Outputs {
				outputs = append(outputs, f.Key)
				require.True(t, validTypes[f.Type], f.Key)
			}
			require.Equal(t, wantInputs[s.Code], inputs)
			require.Equal(t, append(wantOutputs[s.Code], "_result", "_loop", "_inner_loop"), outputs)
		})
	}
}
