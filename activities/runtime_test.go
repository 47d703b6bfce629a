package activities

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/bkflow/bkflow/workflows/pipeline"
)

// callEnv registers c on a fresh activity test environment.
func callEnv(t *testing.T, c *Components) *testsuite.TestActivityEnvironment {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.SetTestTimeout(10 * time.Second)
	c.Register(env)
	return env
}

func TestCall(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		phase   string
		run     func(context.Context, Request) (Result, error)
		want    Result
		wantErr func(t *testing.T, err error)
	}{
		{
			name:  "finished",
			phase: PhaseExecute,
			run: func(_ context.Context, req Request) (Result, error) {
				return Result{Outcome: OutcomeFinished, Outputs: map[string]any{"echo": req.Inputs["x"]}}, nil
			},
			want: Result{Outcome: OutcomeFinished, Outputs: map[string]any{"echo": "hello"}},
		},
		{
			name:  "failed",
			phase: PhaseExecute,
			run: func(context.Context, Request) (Result, error) {
				return failed("bad input"), nil
			},
			want: Result{Outcome: OutcomeFailed, ExData: "bad input"},
		},
		{
			name:  "schedule phase poll",
			phase: PhaseSchedule,
			run: func(_ context.Context, req Request) (Result, error) {
				return Result{Outcome: OutcomePoll, PollAfter: time.Duration(req.Polls) * time.Second,
					State: map[string]any{"n": "1"}}, nil
			},
			want: Result{Outcome: OutcomePoll, PollAfter: 3 * time.Second, State: map[string]any{"n": "1"}},
		},
		{
			name:  "panic fails the node",
			phase: PhaseExecute,
			run: func(context.Context, Request) (Result, error) {
				panic("index out of range")
			},
			want: Result{Outcome: OutcomeFailed, ExData: "component fake v1 panicked: index out of range"},
		},
		{
			name:  "plain error fails the node",
			phase: PhaseSchedule,
			run: func(context.Context, Request) (Result, error) {
				return Result{}, errors.New("cmdb said no")
			},
			want: Result{Outcome: OutcomeFailed, ExData: "cmdb said no"},
		},
		{
			name:  "invalid outcome fails the node",
			phase: PhaseExecute,
			run: func(context.Context, Request) (Result, error) {
				return Result{}, nil
			},
			want: Result{Outcome: OutcomeFailed, ExData: "component fake v1 returned an invalid outcome 0"},
		},
		{
			name:  "child without a tree fails the node",
			phase: PhaseExecute,
			run: func(context.Context, Request) (Result, error) {
				return Result{Outcome: OutcomeChild, Child: &ChildTask{Name: "x"}}, nil
			},
			want: Result{Outcome: OutcomeFailed, ExData: "component fake v1 asked for a child task without one"},
		},
		{
			name:  "retryable error is a retryable activity error",
			phase: PhaseExecute,
			run: func(context.Context, Request) (Result, error) {
				return Result{}, Retryable(errors.New("connection reset"))
			},
			wantErr: func(t *testing.T, err error) {
				var appErr *temporal.ApplicationError
				require.ErrorAs(t, err, &appErr)
				require.Equal(t, ErrTypeRetryable, appErr.Type())
				require.False(t, appErr.NonRetryable())
				require.Contains(t, appErr.Error(), "connection reset")
			},
		},
		{
			name:  "wrapped retryable error",
			phase: PhaseExecute,
			run: func(context.Context, Request) (Result, error) {
				return Result{}, errors.Join(errors.New("load"), Retryable(errors.New("db down")))
			},
			wantErr: func(t *testing.T, err error) {
				var appErr *temporal.ApplicationError
				require.ErrorAs(t, err, &appErr)
				require.Equal(t, ErrTypeRetryable, appErr.Type())
				require.False(t, appErr.NonRetryable())
			},
		},
		{
			name:  "unknown phase",
			phase: "cancel",
			wantErr: func(t *testing.T, err error) {
				var appErr *temporal.ApplicationError
				require.ErrorAs(t, err, &appErr)
				require.Equal(t, ErrTypeInvalidCall, appErr.Type())
				require.True(t, appErr.NonRetryable())
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := newFake("fake", "v1")
			fake.execute, fake.schedule = tt.run, tt.run
			reg := NewRegistry()
			require.NoError(t, reg.Register(fake))
			env := callEnv(t, &Components{Registry: reg})

			val, err := env.ExecuteActivity(ActivityName("fake", "v1"), CallInput{
				Code: "fake", Version: "v1", Phase: tt.phase,
				Request: Request{TaskID: 1, NodeID: "n1", Polls: 3, Inputs: map[string]any{"x": "hello"}},
			})
			if tt.wantErr != nil {
				require.Error(t, err)
				tt.wantErr(t, err)
				return
			}
			require.NoError(t, err)
			var got Result
			require.NoError(t, val.Get(&got))
			require.Equal(t, tt.want, got)
		})
	}
}

func TestCallUnknownComponent(t *testing.T) {
	t.Parallel()
	reg := NewRegistry()
	require.NoError(t, reg.Register(newFake("fake", "v1")))
	env := callEnv(t, &Components{Registry: reg})

	// Call is reachable under any registered name; the input names the component.
	_, err := env.ExecuteActivity(ActivityName("fake", "v1"), CallInput{Code: "bk_missing", Version: "v9", Phase: PhaseExecute})
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	require.Equal(t, ErrTypeUnknownComponent, appErr.Type())
	require.True(t, appErr.NonRetryable())
	require.Contains(t, appErr.Error(), "component bk_missing v9 is not registered")
}

func TestCallChildRoundTrip(t *testing.T) {
	t.Parallel()
	tree := &pipeline.Engine{ID: "p1", StartID: "s", EndID: "e",
		Inputs: map[string]pipeline.Var{"${a}": {Type: pipeline.VarPlain, Value: "1"}}}
	fake := newFake("fake", "v1")
	fake.execute = func(context.Context, Request) (Result, error) {
		return Result{Outcome: OutcomeChild, Child: &ChildTask{Name: "c", Tree: tree, TemplateID: 7,
			Constants: map[string]any{"${a}": "2"}}}, nil
	}
	reg := NewRegistry()
	require.NoError(t, reg.Register(fake))
	env := callEnv(t, &Components{Registry: reg})
	val, err := env.ExecuteActivity(ActivityName("fake", "v1"), CallInput{Code: "fake", Version: "v1", Phase: PhaseExecute})
	require.NoError(t, err)
	var got Result
	require.NoError(t, val.Get(&got))
	require.Equal(t, OutcomeChild, got.Outcome)
	require.Equal(t, "p1", got.Child.Tree.ID)
	require.Equal(t, map[string]any{"${a}": "2"}, got.Child.Constants)
}

func TestCallHeartbeats(t *testing.T) {
	t.Parallel()
	beat := make(chan struct{})
	var once sync.Once
	fake := newFake("slow", "v1")
	fake.execute = func(ctx context.Context, _ Request) (Result, error) {
		select {
		case <-beat:
			return Result{Outcome: OutcomeFinished}, nil
		case <-ctx.Done():
			return Result{}, ctx.Err()
		}
	}
	reg := NewRegistry()
	require.NoError(t, reg.Register(fake))
	env := callEnv(t, &Components{Registry: reg, HeartbeatInterval: 5 * time.Millisecond})
	var phase string
	env.SetOnActivityHeartbeatListener(func(_ *activity.Info, details converter.EncodedValues) {
		once.Do(func() {
			_ = details.Get(&phase)
			close(beat)
		})
	})
	val, err := env.ExecuteActivity(ActivityName("slow", "v1"), CallInput{Code: "slow", Version: "v1", Phase: PhaseExecute})
	require.NoError(t, err)
	var got Result
	require.NoError(t, val.Get(&got))
	require.Equal(t, OutcomeFinished, got.Outcome)
	require.Equal(t, PhaseExecute, phase)
}

func TestCallWithoutActivityContext(t *testing.T) {
	t.Parallel()
	reg := NewRegistry()
	require.NoError(t, reg.Register(newFake("fake", "v1")))
	c := &Components{Registry: reg}
	got, err := c.Call(t.Context(), CallInput{Code: "fake", Version: "", Phase: PhaseExecute})
	require.NoError(t, err)
	require.Equal(t, Result{Outcome: OutcomeFinished}, got)
}

// recordingRegistry records the names activities are registered under.
type recordingRegistry struct{ names []string }

func (r *recordingRegistry) RegisterActivity(any) { r.names = append(r.names, "<unnamed>") }

func (r *recordingRegistry) RegisterActivityWithOptions(_ any, o activity.RegisterOptions) {
	r.names = append(r.names, o.Name)
}

func (r *recordingRegistry) RegisterDynamicActivity(any, activity.DynamicRegisterOptions) {
	r.names = append(r.names, "<dynamic>")
}

func TestComponentsRegister(t *testing.T) {
	t.Parallel()
	reg := NewRegistry()
	for _, c := range []Component{newFake("pause_node", "legacy"), newFake("bk_http_request", "v1.0"),
		newFake("bk_display", "v1.0"), newFake("bk_display", "v2.0")} {
		require.NoError(t, reg.Register(c))
	}
	var rec recordingRegistry
	(&Components{Registry: reg}).Register(&rec)
	require.Equal(t, []string{"bk_display@v1.0", "bk_display@v2.0", "bk_http_request@v1.0", "pause_node@legacy"}, rec.names)
	require.True(t, slices.IsSorted(rec.names))
}

func TestRetryable(t *testing.T) {
	t.Parallel()
	require.NoError(t, Retryable(nil))
	base := errors.New("timeout")
	err := Retryable(base)
	require.True(t, IsRetryable(err))
	require.ErrorIs(t, err, base)
	var re *RetryableError
	require.ErrorAs(t, err, &re)
	require.False(t, IsRetryable(base))
}
