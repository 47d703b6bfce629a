package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/bkflow/bkflow/internal/secrets"
)

// Phases of a component call.
const (
	PhaseExecute  = "execute"
	PhaseSchedule = "schedule"
)

// defaultHeartbeatInterval is how often Call heartbeats while a component
// runs, unless the activity's heartbeat timeout asks for more.
const defaultHeartbeatInterval = 10 * time.Second

// CallInput is the input of the Call activity.
type CallInput struct {
	Code    string  `json:"code"`
	Version string  `json:"version"`
	Phase   string  `json:"phase"` // PhaseExecute or PhaseSchedule
	Request Request `json:"request"`
}

// Components holds the Temporal activities through which the interpreter
// calls components. Register it once per worker.
type Components struct {
	Registry *Registry
	Log      *slog.Logger     // nil: discard
	Now      func() time.Time // nil: time.Now
	// HeartbeatInterval is how often Call heartbeats while a component runs
	// (0: 10 s, or a third of the activity's heartbeat timeout if shorter).
	HeartbeatInterval time.Duration
	// Sealer opens sealed secrets (credentials) in a call's inputs and
	// system variables right before the component runs; the opened plain
	// texts are scrubbed from its outputs. nil: sealed values stay sealed.
	Sealer *secrets.Sealer
}

// Register registers Call on w once per registered component, under
// ActivityName(code, version), so the Temporal UI shows which plugin ran.
// It takes a worker.ActivityRegistry, which every worker.Worker (and the
// test environments) implements.
func (c *Components) Register(w worker.ActivityRegistry) {
	for _, s := range c.Registry.List() {
		w.RegisterActivityWithOptions(c.Call, activity.RegisterOptions{Name: ActivityName(s.Code, s.Version)})
	}
}

// Call runs one phase of a component. A component's failure is a Result with
// OutcomeFailed, never an activity error: a plain error or a panic becomes
// one (its text is the node's ex_data), so a buggy plugin fails its node
// instead of being retried forever. Errors marked with Retryable are
// returned as retryable application errors (type ErrTypeRetryable). An
// unknown component or phase is a non-retryable application error
// (ErrTypeUnknownComponent, ErrTypeInvalidCall). When the activity itself
// is cancelled or times out, the context's error is returned as it is.
// Call heartbeats while the component runs.
func (c *Components) Call(ctx context.Context, in CallInput) (Result, error) {
	comp, ok := c.Registry.Lookup(in.Code, in.Version)
	if !ok {
		version := in.Version
		if version == "" {
			version = LegacyVersion
		}
		return Result{}, temporal.NewNonRetryableApplicationError(
			notRegisteredMessage(in.Code, version), ErrTypeUnknownComponent, nil)
	}
	if in.Phase != PhaseExecute && in.Phase != PhaseSchedule {
		return Result{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("unknown component call phase %q (want %q or %q)", in.Phase, PhaseExecute, PhaseSchedule),
			ErrTypeInvalidCall, nil)
	}
	log := c.logger().With("component", in.Code, "version", in.Version, "phase", in.Phase,
		"task_id", in.Request.TaskID, "node_id", in.Request.NodeID)

	opened := &secrets.Opened{}
	if c.Sealer != nil {
		var err error
		if in.Request, err = c.openSecrets(in.Request, opened); err != nil {
			log.Warn("open credentials", "error", err)
			return failed("credentials of this task cannot be opened: " + err.Error()), nil
		}
	}
	res, err := c.call(ctx, comp, in, log)
	if opened.Empty() {
		return res, err
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		err = temporal.NewApplicationError(opened.ScrubString(appErr.Message()), appErr.Type())
	}
	return scrub(res, opened), err
}

// call runs the component with heartbeats and turns its failures into
// results (see Call).
func (c *Components) call(ctx context.Context, comp Component, in CallInput, log *slog.Logger) (Result, error) {
	stop := c.heartbeat(ctx, in.Phase)
	start := c.now()
	res, err := run(ctx, comp, in)
	stop()
	elapsed := c.now().Sub(start)

	var (
		panicked  *panicError
		retryable *RetryableError
	)
	switch {
	case errors.As(err, &panicked):
		log.Error("component panicked", "panic", panicked.value, "stack", string(panicked.stack))
		return failed(panicked.Error()), nil
	case errors.As(err, &retryable):
		// Returned, not logged: Temporal records the attempt's failure.
		return Result{}, temporal.NewApplicationErrorWithCause(retryable.Err.Error(), ErrTypeRetryable, retryable.Err)
	case err != nil && ctx.Err() != nil:
		return Result{}, ctx.Err()
	case err != nil:
		log.Warn("component call failed", "error", err, "elapsed", elapsed)
		return failed(err.Error()), nil
	}
	res = c.check(in, res)
	log.Debug("component call done", "outcome", res.Outcome.String(), "elapsed", elapsed)
	return res, nil
}

// openSecrets opens the sealed values of a request's inputs and system
// variables, recording what it opened.
func (c *Components) openSecrets(req Request, opened *secrets.Opened) (Request, error) {
	if !secrets.ContainsSealed(req.Inputs) && !secrets.ContainsSealed(req.System) {
		return req, nil
	}
	in, err := c.Sealer.OpenValueInto(req.Inputs, opened)
	if err != nil {
		return req, err
	}
	sys, err := c.Sealer.OpenValueInto(req.System, opened)
	if err != nil {
		return req, err
	}
	req.Inputs, _ = in.(map[string]any)
	req.System, _ = sys.(map[string]any)
	return req, nil
}

// scrub masks opened secrets in what a component returns: outputs, ex_data
// and variable updates end up in the workflow's history and the API.
func scrub(res Result, opened *secrets.Opened) Result {
	if res.Outputs != nil {
		res.Outputs, _ = opened.Scrub(res.Outputs).(map[string]any)
	}
	if res.ContextUpdates != nil {
		res.ContextUpdates, _ = opened.Scrub(res.ContextUpdates).(map[string]any)
	}
	res.ExData = opened.ScrubString(res.ExData)
	return res
}

// panicError is a recovered panic of a component.
type panicError struct {
	code, version string
	value         any
	stack         []byte
}

func (e *panicError) Error() string {
	return fmt.Sprintf("component %s %s panicked: %v", e.code, e.version, e.value)
}

// run calls the component's phase and turns a panic into a *panicError.
func run(ctx context.Context, comp Component, in CallInput) (res Result, err error) {
	defer func() {
		if v := recover(); v != nil {
			res, err = Result{}, &panicError{code: in.Code, version: in.Version, value: v, stack: debug.Stack()}
		}
	}()
	if in.Phase == PhaseExecute {
		return comp.Execute(ctx, in.Request)
	}
	return comp.Schedule(ctx, in.Request)
}

// check turns a malformed result into a failure the operator can read.
func (c *Components) check(in CallInput, res Result) Result {
	switch res.Outcome {
	case OutcomeFinished, OutcomeFailed, OutcomeCallback, OutcomeMultiCallback:
	case OutcomePoll:
		res.PollAfter = max(res.PollAfter, 0)
	case OutcomeChild:
		if res.Child == nil || res.Child.Tree == nil {
			return failed(fmt.Sprintf("component %s %s asked for a child task without one", in.Code, in.Version))
		}
	default:
		return failed(fmt.Sprintf("component %s %s returned an invalid outcome %d", in.Code, in.Version, int(res.Outcome)))
	}
	return res
}

// heartbeat records activity heartbeats until the returned stop is called.
func (c *Components) heartbeat(ctx context.Context, phase string) (stop func()) {
	if !activity.IsActivity(ctx) {
		return func() {}
	}
	every := c.HeartbeatInterval
	if every <= 0 {
		every = defaultHeartbeatInterval
	}
	if hb := activity.GetInfo(ctx).HeartbeatTimeout; hb > 0 && hb/3 < every {
		every = hb / 3
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx, phase)
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}

func (c *Components) logger() *slog.Logger {
	if c.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Log
}

func (c *Components) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}
