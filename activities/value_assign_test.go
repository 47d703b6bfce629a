package activities

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestValueAssignConversions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		value     any
		valueType string
		want      any
		wantErr   string
	}{
		{"string from string", "abc", "String", "abc", ""},
		{"string from integral number", 12.0, "String", "12", ""},
		{"string from fraction", 1.5, "String", "1.5", ""},
		{"string from bool", true, "String", "True", ""},
		{"string from object", map[string]any{"a": 1.0}, "String", `{"a":1}`, ""},
		{"string from null", nil, "String", "", ""},
		{"int from string", "12", "Int", int64(12), ""},
		{"int from padded string", " -7 ", "Int", int64(-7), ""},
		{"int from number", 3.0, "Int", int64(3), ""},
		{"int truncates a fraction", 3.9, "Int", int64(3), ""},
		{"int from bool", true, "Int", int64(1), ""},
		{"int from decimal text", "1.5", "Int", nil, `input variable '1.5' cannot be converted to the type of expected Int for key v: "1.5" is not an integer`},
		{"int from words", "abc", "Int", nil, `input variable 'abc' cannot be converted to the type of expected Int for key v: "abc" is not an integer`},
		{"int from object", map[string]any{}, "Int", nil, `input variable '{}' cannot be converted to the type of expected Int for key v: object is not an integer`},
		{"bool true", "TRUE", "Bool", true, ""},
		{"bool yes", "Yes", "Bool", true, ""},
		{"bool 1", "1", "Bool", true, ""},
		{"bool false", "false", "Bool", false, ""},
		{"bool no", "NO", "Bool", false, ""},
		{"bool 0", "0", "Bool", false, ""},
		{"bool from bool", false, "Bool", false, ""},
		{"bool from number", 1.0, "Bool", true, ""},
		{"bool from other text", "maybe", "Bool", nil, `input variable 'maybe' cannot be converted to the type of expected Bool for key v: "maybe" is not a boolean`},
		{"bool from 2", 2.0, "Bool", nil, `input variable '2' cannot be converted to the type of expected Bool for key v: 2 is not a boolean`},
		{"object from JSON text", `{"a": [1, 2]}`, "Object", map[string]any{"a": []any{1.0, 2.0}}, ""},
		{"list from JSON text", `[1, "x"]`, "Object", []any{1.0, "x"}, ""},
		{"object as object", map[string]any{"k": "v"}, "Object", map[string]any{"k": "v"}, ""},
		{"object from scalar JSON", "1", "Object", nil, `input variable '1' cannot be converted to the type of expected Object for key v: "1" is not a JSON object or list`},
		{"object from bad JSON", "{bad", "Object", nil, `input variable '{bad' cannot be converted to the type of expected Object for key v: "{bad" is not valid JSON`},
		{"unknown type", "x", "Float", nil, `input variable 'x' cannot be converted to the type of expected Float for key v: unknown value_type "Float" (want String, Int, Bool or Object)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := NewValueAssign().Execute(t.Context(), Request{Inputs: map[string]any{
				"bk_assignment_list": []any{map[string]any{"key": "v", "value": tt.value, "value_type": tt.valueType}},
			}})
			require.NoError(t, err)
			if tt.wantErr != "" {
				require.Equal(t, failed(tt.wantErr), res)
				return
			}
			require.Equal(t, Result{Outcome: OutcomeFinished, ContextUpdates: map[string]any{"v": tt.want}}, res)
		})
	}
}

func TestValueAssignList(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		list any
		want Result
	}{
		{"several entries", []any{
			map[string]any{"key": "name", "value": "bob", "value_type": "String"},
			map[string]any{"key": "${count}", "value": "3", "value_type": "Int"},
		}, Result{Outcome: OutcomeFinished, ContextUpdates: map[string]any{"name": "bob", "count": int64(3)}}},
		{"JSON text", `[{"key": "ok", "value": "yes", "value_type": "Bool"}]`,
			Result{Outcome: OutcomeFinished, ContextUpdates: map[string]any{"ok": true}}},
		{"empty", []any{}, Result{Outcome: OutcomeFinished, ContextUpdates: map[string]any{}}},
		{"missing", nil, Result{Outcome: OutcomeFinished, ContextUpdates: map[string]any{}}},
		{"no value_type", []any{map[string]any{"key": "x", "value": "1"}},
			failed("value_type is required for key x")},
		{"no key", []any{map[string]any{"value": "1", "value_type": "Int"}},
			failed("bk_assignment_list[0] has no key")},
		{"no value", []any{map[string]any{"key": "x", "value_type": "Int"}},
			failed("value is required for key x")},
		{"entry is not an object", []any{"x"}, failed("bk_assignment_list[0] is not an object")},
		{"not a list", map[string]any{"key": "x"}, failed("bk_assignment_list is not a list")},
		{"second entry fails", []any{
			map[string]any{"key": "a", "value": "1", "value_type": "Int"},
			map[string]any{"key": "b", "value": "x", "value_type": "Int"},
		}, failed(`input variable 'x' cannot be converted to the type of expected Int for key b: "x" is not an integer`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := NewValueAssign().Execute(t.Context(), Request{Inputs: map[string]any{"bk_assignment_list": tt.list}})
			require.NoError(t, err)
			require.Equal(t, tt.want, res)
		})
	}
}
