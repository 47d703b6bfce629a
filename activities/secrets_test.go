package activities

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bkflow/bkflow/internal/secrets"
)

// TestCallOpensSealedCredentials checks that a component sees its
// credentials in clear while what it returns (and so the workflow history)
// never holds them.
func TestCallOpensSealedCredentials(t *testing.T) {
	t.Parallel()
	sealer, err := secrets.NewSealer([]string{base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32)))})
	require.NoError(t, err)
	secretTok, err := sealer.Seal("s3cret-value")
	require.NoError(t, err)
	sysTok, err := sealer.Seal("sys-token")
	require.NoError(t, err)

	var seen Request
	fake := newFake("fake", "v1")
	fake.execute = func(_ context.Context, req Request) (Result, error) {
		seen = req
		return Result{Outcome: OutcomeFailed, ExData: "login with " + req.Inputs["auth"].(string) + " refused",
			Outputs: map[string]any{"echo": req.Inputs["auth"], "n": 1}}, nil
	}
	reg := NewRegistry()
	require.NoError(t, reg.Register(fake))
	env := callEnv(t, &Components{Registry: reg, Sealer: sealer})
	val, err := env.ExecuteActivity(ActivityName("fake", "v1"), CallInput{Code: "fake", Version: "v1", Phase: PhaseExecute,
		Request: Request{Inputs: map[string]any{"auth": "Bearer " + secretTok},
			System: map[string]any{"credentials": map[string]any{"c": map[string]any{"token": sysTok}}}}})
	require.NoError(t, err)
	var got Result
	require.NoError(t, val.Get(&got))

	require.Equal(t, "Bearer s3cret-value", seen.Inputs["auth"])
	require.Equal(t, map[string]any{"c": map[string]any{"token": "sys-token"}}, seen.System["credentials"])
	require.Equal(t, "login with Bearer ****** refused", got.ExData)
	require.Equal(t, map[string]any{"echo": "Bearer ******", "n": float64(1)}, got.Outputs)
}

func TestCallRefusesCredentialsOfAnotherKey(t *testing.T) {
	t.Parallel()
	other, err := secrets.NewSealer([]string{base64.StdEncoding.EncodeToString([]byte(strings.Repeat("o", 32)))})
	require.NoError(t, err)
	tok, err := other.Seal("x")
	require.NoError(t, err)
	mine, err := secrets.NewSealer([]string{base64.StdEncoding.EncodeToString([]byte(strings.Repeat("m", 32)))})
	require.NoError(t, err)

	reg := NewRegistry()
	require.NoError(t, reg.Register(newFake("fake", "v1")))
	env := callEnv(t, &Components{Registry: reg, Sealer: mine})
	val, err := env.ExecuteActivity(ActivityName("fake", "v1"), CallInput{Code: "fake", Version: "v1", Phase: PhaseExecute,
		Request: Request{Inputs: map[string]any{"auth": tok}}})
	require.NoError(t, err)
	var got Result
	require.NoError(t, val.Get(&got))
	require.Equal(t, OutcomeFailed, got.Outcome)
	require.True(t, strings.HasPrefix(got.ExData, "credentials of this task cannot be opened: key "), got.ExData)
}
