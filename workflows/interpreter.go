package workflows

import (
	"errors"
	"maps"
	"slices"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/bkflow/bkflow/workflows/pipeline"
)

// run is one Temporal run of a task: the interpreter's working memory around
// the serialisable Carry.
type run struct {
	in   TaskInput
	tree *pipeline.Engine
	lim  Limits
	st   *Carry
	log  log.Logger
	wfID string

	// walkCtx is cancelled when the task is revoked; every process and
	// component call runs under it.
	walkCtx    workflow.Context
	cancelWalk workflow.CancelFunc

	// live counts running processes; idle those waiting in a parkable wait
	// (failure, callback, poll, pause, join). Continue-as-new happens only
	// when every live process is idle.
	live, idle int
	canPending bool

	// attempts holds the cancel function of each node's in-flight attempt,
	// so forced_fail can interrupt it.
	attempts map[string]workflow.CancelFunc

	pending []pendingFuture // event recordings and signals to await before closing
	panicky error           // an internal error that must fail the workflow
}

// Task is the interpreter workflow: it runs in.Tree, a pipeline in engine
// form, as the task in.TaskID.
func Task(ctx workflow.Context, in TaskInput) (TaskResult, error) {
	r, err := newRun(ctx, in)
	if err != nil {
		return TaskResult{}, err
	}
	if err := r.registerHandlers(ctx); err != nil {
		return TaskResult{}, err
	}
	if in.Carry == nil && in.StartBy != "" {
		r.start(ctx, in.StartBy)
	}
	if err := workflow.Await(ctx, func() bool { return r.st.Root.State != StateCreated }); err != nil {
		return TaskResult{}, err
	}
	r.walkCtx, r.cancelWalk = workflow.WithCancel(ctx)
	if in.Carry != nil && len(r.st.Procs) > 0 {
		r.resume()
	} else if r.st.Root.State == StateRunning || r.st.Root.State == StateSuspended {
		r.prerender()
		root := r.newProc(0, r.tree.StartID, "")
		r.spawn(root, false)
	}

	for {
		err := workflow.Await(ctx, func() bool {
			return r.finished() || r.st.Root.State == StateRevoked || r.panicky != nil || r.canContinue(ctx)
		})
		if err != nil {
			return TaskResult{}, err
		}
		if r.panicky != nil {
			return TaskResult{}, r.panicky
		}
		if r.finished() || r.st.Root.State == StateRevoked {
			break
		}
		// Continue as new: every process is parked at a resumable point.
		if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
			return TaskResult{}, err
		}
		if !r.canContinue(ctx) { // a handler woke a process up meanwhile
			continue
		}
		r.drainSignals(ctx)
		if err := r.awaitPending(ctx); err != nil {
			return TaskResult{}, err
		}
		next := r.in
		next.StartBy = ""
		r.st.Count++
		next.Carry = r.st
		r.log.Info("continuing as new", "history_length", workflow.GetInfo(ctx).GetCurrentHistoryLength(), "runs", r.st.Count)
		return TaskResult{}, workflow.NewContinueAsNewError(ctx, TaskWorkflow, next)
	}
	return r.close(ctx)
}

func newRun(ctx workflow.Context, in TaskInput) (*run, error) {
	if in.Tree == nil {
		return nil, temporal.NewNonRetryableApplicationError("task input has no tree", "InvalidInput", nil)
	}
	r := &run{
		in:       in,
		tree:     in.Tree,
		lim:      in.Limits.withDefaults(),
		log:      workflow.GetLogger(ctx),
		wfID:     workflow.GetInfo(ctx).WorkflowExecution.ID,
		attempts: map[string]workflow.CancelFunc{},
	}
	if in.Carry != nil {
		r.st = in.Carry
	} else {
		r.st = &Carry{
			Root:  rootState{State: StateCreated},
			Nodes: map[string]*nodeState{},
			Vars:  map[string]any{},
			Procs: map[int]*proc{},
		}
	}
	if r.st.Nodes == nil {
		r.st.Nodes = map[string]*nodeState{}
	}
	if r.st.Vars == nil {
		r.st.Vars = map[string]any{}
	}
	if r.st.Procs == nil {
		r.st.Procs = map[int]*proc{}
	}
	if r.in.System == nil {
		r.in.System = map[string]any{}
	}
	return r, nil
}

// start moves a created task to RUNNING (the start update, or StartBy).
func (r *run) start(ctx workflow.Context, operator string) {
	now := workflow.Now(ctx)
	r.st.Root.State = StateRunning
	r.st.Root.StartedAt = now
	r.st.Root.Executor = operator
	r.in.System["operator"] = operator
	r.in.System["executor"] = operator
	r.in.System["task_start_time"] = now.UTC().Format("2006-01-02 15:04:05")
	r.upsertState(ctx)
	r.emit(ctx, eventTaskStarted, "", map[string]any{"operator": operator})
}

// finished reports whether the root pipeline reached its end event.
func (r *run) finished() bool { return r.st.Root.State == StateFinished }

// canContinue reports whether the run should, and can now, continue as new.
func (r *run) canContinue(ctx workflow.Context) bool {
	if !r.canPending {
		info := workflow.GetInfo(ctx)
		if info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() >= r.lim.HistoryEvents {
			r.canPending = true
		}
	}
	return r.canPending && r.live > 0 && r.idle == r.live
}

// close records the final state in PostgreSQL and ends the workflow.
func (r *run) close(ctx workflow.Context) (TaskResult, error) {
	now := workflow.Now(ctx)
	if r.st.Root.State == StateRevoked {
		for _, id := range sortedKeys(r.st.Nodes) {
			if ns := r.st.Nodes[id]; ns.State == StateRunning || ns.State == StateReady {
				ns.State = StateRevoked
				ns.FinishedAt = now
			}
		}
		r.signalChildren(ctx, ControlSignal{Action: "revoke"})
	}
	if r.st.Root.FinishedAt.IsZero() {
		r.st.Root.FinishedAt = now
	}
	r.upsertState(ctx)
	if r.in.Parent != nil {
		news := ChildNews{NodeID: r.in.Parent.NodeID, Version: r.in.Parent.Version, TaskID: r.in.TaskID}
		if r.st.Root.State == StateFinished {
			news.Kind, news.Outputs = "finished", r.st.Root.Outputs
		} else {
			news.Kind, news.ExData = "revoked", "子流程执行失败，请检查失败节点"
		}
		r.tellParent(ctx, news)
	}
	if err := r.awaitPending(ctx); err != nil {
		return TaskResult{}, err
	}
	if err := r.persistFinal(ctx); err != nil {
		return TaskResult{}, err
	}
	return TaskResult{State: r.st.Root.State, Outputs: r.st.Root.Outputs}, nil
}

// awaitPending waits for every event recording started so far.
func (r *run) awaitPending(ctx workflow.Context) error {
	for _, p := range r.pending {
		if err := p.f.Get(ctx, nil); err != nil && !p.bestEffort {
			return err
		}
	}
	r.pending = nil
	return nil
}

// park runs a wait during which the calling process counts as idle, so the
// task may continue as new while it waits. cond must only become true
// through state changes that are part of the Carry.
func (r *run) park(ctx workflow.Context, cond func() bool) error {
	r.idle++
	defer func() { r.idle-- }()
	return workflow.Await(ctx, func() bool { return cond() && !r.parkedForCAN() })
}

// parkedForCAN holds parked processes while the run is about to continue
// as new, so that none of them starts new work in between.
func (r *run) parkedForCAN() bool { return r.canPending && r.idle == r.live }

// parkUntil is park with a deadline (a durable timer).
func (r *run) parkUntil(ctx workflow.Context, at time.Time, cond func() bool) (timedOut bool, err error) {
	d := at.Sub(workflow.Now(ctx))
	if d <= 0 {
		return true, nil
	}
	r.idle++
	defer func() { r.idle-- }()
	tctx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	fired := false
	timer := workflow.NewTimer(tctx, d)
	timerErr := error(nil)
	workflow.Go(tctx, func(gctx workflow.Context) {
		timerErr = timer.Get(gctx, nil)
		fired = timerErr == nil
	})
	err = workflow.Await(ctx, func() bool {
		return (fired || (cond != nil && cond()) || timerErr != nil) && !r.parkedForCAN()
	})
	if err != nil {
		return false, err
	}
	if timerErr != nil && !errors.Is(timerErr, workflow.ErrCanceled) && !temporal.IsCanceledError(timerErr) {
		return false, timerErr
	}
	return fired && (cond == nil || !cond()), nil
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
