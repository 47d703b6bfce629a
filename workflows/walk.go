package workflows

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/bkflow/bkflow/workflows/pipeline"
)

// errStop ends a process quietly (the task was revoked).
var errStop = errors.New("process stopped")

func (r *run) newProc(parent int, at, until string) *proc {
	r.st.Seq++
	p := &proc{ID: r.st.Seq, Parent: parent, At: at, Until: until}
	r.st.Procs[p.ID] = p
	return p
}

// spawn runs process p in a new coroutine. resumed means p continues where
// the previous run parked it.
func (r *run) spawn(p *proc, resumed bool) {
	r.live++
	workflow.Go(r.walkCtx, func(ctx workflow.Context) {
		defer func() { r.live-- }()
		err := r.runProc(ctx, p, resumed)
		if err == nil {
			p.Done = true
			delete(r.st.Procs, p.ID)
			return
		}
		if errors.Is(err, errStop) || temporal.IsCanceledError(err) || errors.Is(err, workflow.ErrCanceled) {
			return
		}
		r.log.Error("process failed", "proc", p.ID, "node", p.At, "error", err)
		if r.panicky == nil {
			r.panicky = err
		}
	})
}

// resume restarts the processes carried over from the previous run.
func (r *run) resume() {
	for _, id := range sortedProcIDs(r.st.Procs) {
		p := r.st.Procs[id]
		if p.Done {
			continue
		}
		r.spawn(p, true)
	}
}

func (r *run) runProc(ctx workflow.Context, p *proc, resumed bool) error {
	if len(p.Children) > 0 {
		// The process was waiting at a fork when the run continued as new.
		if err := r.join(ctx, p); err != nil {
			return err
		}
		resumed = false
	}
	return r.walk(ctx, p, resumed && p.InNode)
}

// walk executes nodes from p.At until p.Until (a branch's converge gateway)
// or the end event.
func (r *run) walk(ctx workflow.Context, p *proc, resumed bool) error {
	for {
		if p.Until != "" && p.At == p.Until {
			return nil
		}
		if err := r.checkpoint(ctx); err != nil {
			return err
		}
		node, ok := r.tree.Nodes[p.At]
		if !ok {
			return temporal.NewNonRetryableApplicationError(fmt.Sprintf("node %s is not in the tree", p.At), "InvalidTree", nil)
		}
		p.InNode = true
		next, err := r.execute(ctx, p, node, resumed)
		p.InNode = false
		resumed = false
		if err != nil {
			return err
		}
		if next == "" { // end event, or a fork that already moved p
			if node.Type == pipeline.TypeEnd {
				return nil
			}
			continue
		}
		p.At = next
	}
}

// checkpoint runs before every node: a paused task holds its processes here,
// a revoked one stops them, and a pending continue-as-new parks them.
func (r *run) checkpoint(ctx workflow.Context) error {
	if r.st.Root.State == StateRevoked {
		return errStop
	}
	if r.st.Root.State == StateSuspended || r.canPending {
		if err := r.park(ctx, func() bool { return r.st.Root.State != StateSuspended && !r.canPending }); err != nil {
			return err
		}
		if r.st.Root.State == StateRevoked {
			return errStop
		}
	}
	return nil
}

// execute runs one node and returns the id of the node to go to next ("" when
// the walk ends or p was already moved).
func (r *run) execute(ctx workflow.Context, p *proc, node *pipeline.Node, resumed bool) (string, error) {
	switch node.Type {
	case pipeline.TypeStart:
		r.passThrough(ctx, node)
		return r.tree.Next(node), nil
	case pipeline.TypeEnd:
		r.passThrough(ctx, node)
		if p.Parent == 0 {
			r.finish(ctx)
		}
		return "", nil
	case pipeline.TypeConverge:
		r.passThrough(ctx, node)
		return r.tree.Next(node), nil
	case pipeline.TypeParallel:
		r.passThrough(ctx, node)
		targets := make([]string, 0, len(node.Outgoing))
		for _, f := range node.Outgoing {
			targets = append(targets, r.tree.Target(f))
		}
		return "", r.fork(ctx, p, targets, node.ConvergeGatewayID)
	case pipeline.TypeExclusive:
		return r.exclusive(ctx, p, node, resumed)
	case pipeline.TypeConditionalParallel:
		return "", r.conditionalParallel(ctx, p, node, resumed)
	case pipeline.TypeActivity, pipeline.TypeSubProcess:
		return r.activity(ctx, node, resumed)
	default:
		return "", temporal.NewNonRetryableApplicationError(fmt.Sprintf("node %s has unknown type %s", node.ID, node.Type), "InvalidTree", nil)
	}
}

// enter records that a node starts running: a first entry, or a re-entry
// through a loop (history kept, counters reset). It returns false when the
// node exceeded the re-entry limit (and is then FAILED).
func (r *run) enter(ctx workflow.Context, id string) (*nodeState, bool) {
	now := workflow.Now(ctx)
	ns, ok := r.st.Nodes[id]
	if !ok {
		ns = &nodeState{ID: id, Loop: 1}
		r.st.Nodes[id] = ns
	} else {
		ns.Histories = append(ns.Histories, ns.snapshot())
		ns.Loop++
		ns.Retry, ns.Skip, ns.ErrorIgnored = 0, false, false
		ns.Inputs, ns.Outputs, ns.ExData, ns.RenderWarnings = nil, nil, "", nil
		ns.AutoRetries, ns.Polls, ns.CompState, ns.Callbacks = 0, 0, nil, nil
		ns.Op, ns.NewInputs, ns.Phase, ns.ScheduleType = nil, nil, phaseNone, ""
	}
	ns.State = StateRunning
	ns.Version = r.nextVersion()
	ns.StartedAt, ns.FinishedAt = now, time.Time{}
	if ns.Loop > r.lim.MaxNodeRerun {
		ns.State = StateFailed
		ns.ExData = fmt.Sprintf("node execution exceed rerun limit %d", r.lim.MaxNodeRerun)
		ns.FinishedAt = now
		return ns, false
	}
	return ns, true
}

func (r *run) nextVersion() string {
	r.st.Seq++
	return newVersion(r.in.TaskID, r.st.Seq)
}

// passThrough runs a node that does nothing but pass: events and converge
// gateways, and parallel gateways before they fork.
func (r *run) passThrough(ctx workflow.Context, node *pipeline.Node) {
	ns, ok := r.enter(ctx, node.ID)
	if !ok {
		return
	}
	ns.State = StateFinished
	ns.FinishedAt = workflow.Now(ctx)
}

// finish ends the root pipeline at its end event.
func (r *run) finish(ctx workflow.Context) {
	r.st.Root.Outputs = r.pipelineOutputs()
	r.st.Root.State = StateFinished
	r.st.Root.FinishedAt = workflow.Now(ctx)
	r.emit(ctx, eventTaskFinished, "", map[string]any{"outputs": r.st.Root.Outputs})
}

// fork starts one child process per target, each walking to converge, and
// waits for all of them; p then continues at the converge gateway.
func (r *run) fork(ctx workflow.Context, p *proc, targets []string, converge string) error {
	if converge == "" {
		return temporal.NewNonRetryableApplicationError("parallel gateway without converge gateway", "InvalidTree", nil)
	}
	p.Children = p.Children[:0]
	p.JoinAt = converge
	for _, t := range targets {
		c := r.newProc(p.ID, t, converge)
		p.Children = append(p.Children, c.ID)
	}
	for _, id := range p.Children {
		r.spawn(r.st.Procs[id], false)
	}
	return r.join(ctx, p)
}

// join waits for p's children and moves p to the converge gateway.
func (r *run) join(ctx workflow.Context, p *proc) error {
	err := r.park(ctx, func() bool {
		for _, id := range p.Children {
			if c, ok := r.st.Procs[id]; ok && !c.Done {
				return false
			}
		}
		return true
	})
	if err != nil {
		return err
	}
	p.Children = nil
	p.At = p.JoinAt
	p.JoinAt = ""
	return nil
}

func sortedProcIDs(m map[int]*proc) []int {
	return slices.Sorted(maps.Keys(m))
}
