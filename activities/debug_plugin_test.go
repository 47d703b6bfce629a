package activities

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDebugPlugin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		inputs map[string]any
		want   Result
	}{
		{"echo", map[string]any{"string_input": "s", "int_input": 3.0, "boolean_input": true, "object_input": `{"a": [1]}`},
			Result{Outcome: OutcomeFinished, Outputs: map[string]any{
				"string_output": "s", "int_output": 3.0, "boolean_output": true,
				"object_output": map[string]any{"a": []any{1.0}},
			}}},
		{"object as object", map[string]any{"object_input": map[string]any{"k": "v"}},
			Result{Outcome: OutcomeFinished, Outputs: map[string]any{
				"string_output": nil, "int_output": nil, "boolean_output": nil,
				"object_output": map[string]any{"k": "v"},
			}}},
		{"bad JSON", map[string]any{"object_input": "{"},
			failed(`object_input: "{" is not valid JSON`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := NewDebugPlugin().Execute(t.Context(), Request{Inputs: tt.inputs})
			require.NoError(t, err)
			require.Equal(t, tt.want, res)
		})
	}
}
