package pipeline

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestStandardizeName ports BKFlow's test_strings cases.
func TestStandardizeName(t *testing.T) {
	cases := []struct{ in, want string }{
		{in: "normal_name", want: "normal_name"},
		{in: "test<name>with$special&chars", want: "testnamewithspecialchars"},
		{in: `name'with"quotes`, want: "namewithquotes"},
		{in: "", want: ""},
		{in: strings.Repeat("a", 100), want: strings.Repeat("a", 50)},
		{in: strings.Repeat("节", 60), want: strings.Repeat("节", 50)},
		{in: "<" + strings.Repeat("b", 55), want: strings.Repeat("b", 50)},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			require.Equal(t, tc.want, StandardizeName(tc.in))
		})
	}
}

func TestStandardizeNames(t *testing.T) {
	tree := Tree{
		"name":        "top<level>",
		"activities":  map[string]any{"node1": map[string]any{"name": "test<node>"}, "node2": map[string]any{"name": 7}},
		"gateways":    map[string]any{"gate1": map[string]any{"name": "gateway'name", "conditions": map[string]any{"l1": map[string]any{"name": "<kept>"}}}},
		"start_event": map[string]any{"id": "s", "name": "$start"},
		"items":       []any{map[string]any{"name": "item<1>"}, map[string]any{"name": "item$2"}, "x"},
		"constants":   map[string]any{"${a}": map[string]any{"name": "a&b"}},
	}
	StandardizeNames(tree)
	require.Equal(t, Tree{
		"name":        "top<level>",
		"activities":  map[string]any{"node1": map[string]any{"name": "testnode"}, "node2": map[string]any{"name": 7}},
		"gateways":    map[string]any{"gate1": map[string]any{"name": "gatewayname", "conditions": map[string]any{"l1": map[string]any{"name": "<kept>"}}}},
		"start_event": map[string]any{"id": "s", "name": "start"},
		"items":       []any{map[string]any{"name": "item1"}, map[string]any{"name": "item2"}, "x"},
		"constants":   map[string]any{"${a}": map[string]any{"name": "ab"}},
	}, tree)
}

// TestActivityOptions checks how node options are read: Python truthiness,
// legacy names, defaults and clamps.
func TestActivityOptions(t *testing.T) {
	type opts struct {
		ErrorIgnorable, Skippable, Retryable, Optional, TimeoutEnable bool
		AutoRetry                                                     AutoRetry
		Timeout                                                       Timeout
		Loop                                                          *LoopConfig
		ExecutorProxy                                                 string
	}
	base := opts{Skippable: true, Retryable: true, Optional: true}
	with := func(f func(o *opts)) opts { o := base; f(&o); return o }
	cases := []struct {
		name  string
		edits []edit
		want  opts
	}{
		{name: "defaults of the test tree", want: base},
		{name: "legacy isSkipped and can_retry", edits: []edit{del("/activities/ok/skippable"), del("/activities/ok/retryable"), set("/activities/ok/isSkipped", `false`), set("/activities/ok/can_retry", `0`)},
			want: with(func(o *opts) { o.Skippable, o.Retryable = false, false })},
		{name: "skippable and retryable absent", edits: []edit{del("/activities/ok/skippable"), del("/activities/ok/retryable")}, want: base},
		{name: "truthy strings", edits: []edit{set("/activities/ok/error_ignorable", `"false"`), set("/activities/ok/optional", `""`)},
			want: with(func(o *opts) { o.ErrorIgnorable, o.Optional = true, false })},
		{name: "auto retry clamped", edits: []edit{set("/activities/ok/auto_retry", `{"enable": true, "interval": -30, "times": 50}`)},
			want: with(func(o *opts) { o.AutoRetry = AutoRetry{Enable: true, Interval: 10, Times: 10} })},
		{name: "auto retry from strings", edits: []edit{set("/activities/ok/auto_retry", `{"enable": 1, "interval": " 3 ", "times": "2.5"}`)},
			want: with(func(o *opts) { o.AutoRetry = AutoRetry{Enable: true, Interval: 3, Times: 10} })},
		{name: "auto retry defaults", edits: []edit{set("/activities/ok/auto_retry", `{"enable": true}`)},
			want: with(func(o *opts) { o.AutoRetry = AutoRetry{Enable: true, Interval: 0, Times: 10} })},
		{name: "timeout", edits: []edit{set("/activities/ok/timeout_config", `{"enable": true, "seconds": 60, "action": "forced_fail_and_skip"}`)},
			want: with(func(o *opts) {
				o.TimeoutEnable = true
				o.Timeout = Timeout{Enable: true, Seconds: 60, Action: TimeoutForcedFailAndSkip}
			})},
		{name: "timeout without action", edits: []edit{set("/activities/ok/timeout_config", `{"enable": true, "seconds": 5}`)},
			want: with(func(o *opts) {
				o.TimeoutEnable = true
				o.Timeout = Timeout{Enable: true, Seconds: 5, Action: TimeoutForcedFail}
			})},
		{name: "timeout seconds not an integer", edits: []edit{set("/activities/ok/timeout_config", `{"enable": true, "seconds": "60"}`)},
			want: with(func(o *opts) { o.TimeoutEnable = true })},
		{name: "timeout seconds a float", edits: []edit{set("/activities/ok/timeout_config", `{"enable": true, "seconds": 1.5}`)},
			want: with(func(o *opts) { o.TimeoutEnable = true })},
		{name: "loop", edits: []edit{set("/activities/ok/loop_config", `{"enable": true, "type": "array_loop", "loop_times": 2, "loop_params": {"${x}": "a,b"}, "fail_skip": true, "outputs_key": "${out}"}`)},
			want: with(func(o *opts) {
				o.Loop = &LoopConfig{Enable: true, Type: "array_loop", LoopTimes: 2, LoopParams: map[string]string{"${x}": "a,b"}, FailSkip: true, OutputsKey: "${out}"}
			})},
		{name: "loop disabled", edits: []edit{set("/activities/ok/loop_config", `{"enable": false, "loop_times": 2}`)}, want: base},
		{name: "executor proxy", edits: []edit{set("/activities/ok/executor_proxy", `"alice"`)},
			want: with(func(o *opts) { o.ExecutorProxy = "alice" })},
	}
	p := newTestParser(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w, err := p.Parse(fromFile("exclusive_default", tc.edits...)(t))
			require.NoError(t, err)
			a := w.Activities["ok"]
			require.Equal(t, tc.want, opts{
				ErrorIgnorable: a.ErrorIgnorable, Skippable: a.Skippable, Retryable: a.Retryable, Optional: a.Optional,
				TimeoutEnable: a.timeoutEnable, AutoRetry: a.AutoRetry, Timeout: a.Timeout, Loop: a.Loop, ExecutorProxy: a.ExecutorProxy,
			})
		})
	}
}

// TestParseKeepsTree checks the typed tree shares the generic tree, names
// standardised, unknown fields kept.
func TestParseKeepsTree(t *testing.T) {
	p := newTestParser(t)
	tree := decodeTestTree(t, readTree(t, "valid/canvas.json"))
	objectAt(tree, "activities")["node5cf2e6f4b96746f5ef3795d2152f"].(map[string]any)["name"] = "定时<1>"
	w, err := p.ParseTree(tree)
	require.NoError(t, err)
	require.Equal(t, "定时1", w.Activities["node5cf2e6f4b96746f5ef3795d2152f"].Name)
	require.Equal(t, "定时1", objectAt(w.Tree, "activities")["node5cf2e6f4b96746f5ef3795d2152f"].(map[string]any)["name"])
	raw, err := json.Marshal(w.Tree)
	require.NoError(t, err)
	require.Contains(t, string(raw), `"oldSouceId":"node5cf2e6f4b96746f5ef3795d2152f"`)
	require.Contains(t, string(raw), `"x":340`)
}

func TestDecodeTreeNumbers(t *testing.T) {
	tree, err := DecodeTree([]byte(`{"big": 12345678901234567890, "f": 1.50}`))
	require.NoError(t, err)
	raw, err := json.Marshal(tree)
	require.NoError(t, err)
	require.JSONEq(t, `{"big": 12345678901234567890, "f": 1.50}`, string(raw))
	require.Contains(t, string(raw), "12345678901234567890")
}
