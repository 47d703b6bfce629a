package activities

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPause(t *testing.T) {
	t.Parallel()
	c := NewPause()
	res, err := c.Execute(t.Context(), Request{Inputs: map[string]any{"description": "wait for ops"}})
	require.NoError(t, err)
	require.Equal(t, Result{Outcome: OutcomeCallback}, res)

	tests := []struct {
		name     string
		callback any
		want     Result
	}{
		{"object", map[string]any{"approved": true}, Result{Outcome: OutcomeFinished,
			Outputs: map[string]any{"callback_data": map[string]any{"approved": true}}}},
		{"empty object", map[string]any{}, Result{Outcome: OutcomeFinished,
			Outputs: map[string]any{"callback_data": map[string]any{}}}},
		{"no data keeps waiting", nil, Result{Outcome: OutcomeCallback}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := c.Schedule(t.Context(), Request{Callback: tt.callback})
			require.NoError(t, err)
			require.Equal(t, tt.want, res)
		})
	}
}
