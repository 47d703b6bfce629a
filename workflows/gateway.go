package workflows

import (
	"encoding/json"
	"fmt"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/bkflow/bkflow/workflows/expr"
	"github.com/bkflow/bkflow/workflows/pipeline"
)

// Gateway failure messages (bamboo-engine's).
const (
	msgNoBranch = "all conditions of branches are not meet"
)

// exclusive runs an ExclusiveGateway: exactly one branch is taken. No true
// condition takes the default branch (or fails), several true conditions
// fail. A failed gateway waits for retry (re-evaluate) or skip_exg.
func (r *run) exclusive(ctx workflow.Context, p *proc, node *pipeline.Node, resumed bool) (string, error) {
	ns := r.gatewayState(ctx, node, resumed)
	for {
		if ns.Phase == phaseOperation {
			if err := r.park(ctx, func() bool { return ns.Op != nil }); err != nil {
				return "", err
			}
			op := ns.Op
			ns.Op = nil
			r.upsertState(ctx)
			switch op.Kind {
			case UpdateSkipExclusive:
				r.skipNode(ctx, ns)
				return r.tree.Target(op.FlowID), nil
			case UpdateRetry:
				r.rerun(ctx, ns, nil)
			}
		}
		hits, err := r.evaluate(ns, node)
		switch {
		case err != nil:
			r.gatewayFailed(ctx, node, ns, err.Error())
			continue
		case len(hits) == 0 && node.Default != nil:
			r.gatewayDone(ctx, ns)
			return node.Default.TargetID, nil
		case len(hits) == 0:
			r.gatewayFailed(ctx, node, ns, msgNoBranch)
			continue
		case len(hits) > 1:
			r.gatewayFailed(ctx, node, ns, "multiple conditions meet: "+pyList(flowIDs(hits)))
			continue
		}
		r.gatewayDone(ctx, ns)
		return hits[0].TargetID, nil
	}
}

// conditionalParallel runs a ConditionalParallelGateway: every branch whose
// condition holds is forked towards the converge gateway (the default
// branch when none holds). A failed gateway waits for retry or skip_cpg.
func (r *run) conditionalParallel(ctx workflow.Context, p *proc, node *pipeline.Node, resumed bool) error {
	ns := r.gatewayState(ctx, node, resumed)
	for {
		if ns.Phase == phaseOperation {
			if err := r.park(ctx, func() bool { return ns.Op != nil }); err != nil {
				return err
			}
			op := ns.Op
			ns.Op = nil
			r.upsertState(ctx)
			switch op.Kind {
			case UpdateSkipConditional:
				r.skipNode(ctx, ns)
				targets := make([]string, len(op.FlowIDs))
				for i, f := range op.FlowIDs {
					targets[i] = r.tree.Target(f)
				}
				return r.fork(ctx, p, targets, node.ConvergeGatewayID)
			case UpdateRetry:
				r.rerun(ctx, ns, nil)
			}
		}
		hits, err := r.evaluate(ns, node)
		if err != nil {
			r.gatewayFailed(ctx, node, ns, err.Error())
			continue
		}
		if len(hits) == 0 {
			if node.Default == nil {
				r.gatewayFailed(ctx, node, ns, msgNoBranch)
				continue
			}
			hits = []pipeline.Condition{*node.Default}
		}
		r.gatewayDone(ctx, ns)
		targets := make([]string, len(hits))
		for i, h := range hits {
			targets[i] = h.TargetID
		}
		return r.fork(ctx, p, targets, node.ConvergeGatewayID)
	}
}

func (r *run) gatewayState(ctx workflow.Context, node *pipeline.Node, resumed bool) *nodeState {
	if ns := r.st.Nodes[node.ID]; resumed && ns != nil {
		return ns
	}
	ns, ok := r.enter(ctx, node.ID)
	if ok {
		ns.Phase = phaseNone
	} else {
		ns.Phase = phaseOperation
		r.nodeFailed(ctx, node, ns)
	}
	return ns
}

func (r *run) gatewayDone(ctx workflow.Context, ns *nodeState) {
	ns.State = StateFinished
	ns.FinishedAt = workflow.Now(ctx)
	ns.Phase = phaseNone
}

func (r *run) gatewayFailed(ctx workflow.Context, node *pipeline.Node, ns *nodeState, exData string) {
	ns.State = StateFailed
	ns.ExData = exData
	ns.Outputs = map[string]any{"ex_data": exData}
	ns.FinishedAt = workflow.Now(ctx)
	ns.Phase = phaseOperation
	r.nodeFailed(ctx, node, ns)
}

// evaluate returns the conditions of a gateway that hold, in branch order
// (§8.7: render each condition in the context, then evaluate it in the
// gateway's language).
func (r *run) evaluate(ns *nodeState, node *pipeline.Node) ([]pipeline.Condition, error) {
	evals := make([]any, len(node.Conditions))
	for i, c := range node.Conditions {
		evals[i] = c.Evaluate
	}
	vals, _ := r.resolve(ns, expr.References(evals))
	lang := node.ParseLang
	if lang == "" {
		lang = "boolrule"
	}
	var hits []pipeline.Condition
	for _, c := range node.Conditions {
		ok, err := expr.EvalGatewayCondition(lang, c.Evaluate, vals, r.exprOptions())
		if err != nil {
			data, _ := json.Marshal(vals)
			return nil, fmt.Errorf("evaluate[%s] fail with data[%s] message: %v", c.Evaluate, data, err)
		}
		if ok {
			hits = append(hits, c)
		}
	}
	return hits, nil
}

func flowIDs(cs []pipeline.Condition) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.FlowID
	}
	return out
}

// pyList formats strings as Python prints a list of them: ['a', 'b'].
func pyList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = "'" + strings.ReplaceAll(s, "'", `\'`) + "'"
	}
	return "[" + strings.Join(q, ", ") + "]"
}
