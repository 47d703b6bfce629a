package activities

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDisplay(t *testing.T) {
	t.Parallel()
	c := NewDisplay()
	res, err := c.Execute(t.Context(), Request{Inputs: map[string]any{"bk_display_message": "hi"}})
	require.NoError(t, err)
	require.Equal(t, Result{Outcome: OutcomeFinished}, res)
	res, err = c.Schedule(t.Context(), Request{})
	require.NoError(t, err)
	require.Equal(t, Result{Outcome: OutcomeFinished}, res)
}
