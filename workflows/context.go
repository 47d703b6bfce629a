package workflows

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/bkflow/bkflow/workflows/expr"
	"github.com/bkflow/bkflow/workflows/pipeline"
)

// key turns a variable name into its context key "${name}"; name strips it.
func key(name string) string { return "${" + name + "}" }

func name(key string) string {
	return strings.TrimSuffix(strings.TrimPrefix(key, "${"), "}")
}

// variables is the pipeline context for resolution: the tree's variables
// overlaid with the runtime values (node outputs, value_assign, pre-rendered
// keys), keyed by name.
func (r *run) variables() map[string]expr.Variable {
	vars := make(map[string]expr.Variable, len(r.tree.Inputs)+len(r.st.Vars))
	//workflowcheck:ignore builds a map or an order-free aggregate
	for k, v := range r.tree.Inputs {
		vars[name(k)] = expr.Variable{Type: v.Type, Value: v.Value, CustomType: v.CustomType}
	}
	//workflowcheck:ignore builds a map or an order-free aggregate
	for k, v := range r.st.Vars {
		vars[name(k)] = expr.Variable{Type: pipeline.VarPlain, Value: v}
	}
	return vars
}

// extra holds the always-available values: ${_system}, space variables and
// the node's loop counters.
func (r *run) extra(ns *nodeState) map[string]any {
	e := make(map[string]any, len(r.in.SpaceVars)+3)
	e["_system"] = &expr.System{Attrs: r.in.System}
	//workflowcheck:ignore builds a map or an order-free aggregate
	for k, v := range r.in.SpaceVars {
		e["_space_"+k] = v
	}
	if ns != nil {
		e["_loop"] = ns.Loop
		e["_inner_loop"] = ns.InnerLoopValue()
	}
	return e
}

func (r *run) exprOptions() expr.Options { return expr.Options{MaxSteps: r.lim.ExprSteps} }

// resolve computes the values of the named variables and everything they
// reference.
func (r *run) resolve(ns *nodeState, names []string) (map[string]any, []string) {
	vals, errs := expr.Resolve(r.variables(), r.extra(ns), names, r.exprOptions())
	return vals, renderWarnings(errs)
}

// renderValue renders the ${} templates in v against the context.
func (r *run) renderValue(_ workflow.Context, ns *nodeState, v map[string]any) (map[string]any, []string) {
	vals, warn := r.resolve(ns, expr.References(v))
	out, errs := expr.Render(v, vals, r.exprOptions())
	m, _ := out.(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	return m, append(warn, renderWarnings(errs)...)
}

// renderInputs renders a node's component inputs (or an embedded
// subprocess's parameters). Inputs with need_render false, and plain ones,
// are passed literally.
func (r *run) renderInputs(ctx workflow.Context, node *pipeline.Node, ns *nodeState) (map[string]any, []string) {
	out := map[string]any{}
	toRender := map[string]any{}
	if node.Component != nil {
		//workflowcheck:ignore builds a map or an order-free aggregate
		for k, in := range node.Component.Inputs {
			if !in.NeedRender || in.Type == pipeline.VarPlain {
				out[k] = in.Value
			} else {
				toRender[k] = in.Value
			}
		}
	}
	//workflowcheck:ignore builds a map or an order-free aggregate
	for k, p := range node.Params {
		if p.Type == pipeline.VarPlain || p.NoRender {
			out[k] = p.Value
		} else {
			toRender[k] = p.Value
		}
	}
	if len(toRender) == 0 {
		return out, nil
	}
	rendered, warn := r.renderValue(ctx, ns, toRender)
	maps.Copy(out, rendered)
	return out, warn
}

// nodeOutputs completes a component's outputs with the default ones.
func (r *run) nodeOutputs(ns *nodeState, outputs map[string]any, ok bool) map[string]any {
	out := make(map[string]any, len(outputs)+3)
	maps.Copy(out, outputs)
	out["_result"] = ok
	out["_loop"] = ns.Loop
	out["_inner_loop"] = ns.InnerLoopValue()
	return out
}

// writeOutputs copies a node's outputs to the pipeline variables they are
// hooked to (component_outputs constants).
func (r *run) writeOutputs(node *pipeline.Node, outputs map[string]any) {
	mapping := node.GlobalOutputs
	if node.Component != nil {
		mapping = node.Component.GlobalOutputs
	}
	for _, k := range slices.Sorted(maps.Keys(mapping)) {
		if v, ok := outputs[k]; ok {
			r.st.Vars[mapping[k]] = v
		}
	}
}

// applyContextUpdates overwrites existing pipeline variables (value_assign).
func (r *run) applyContextUpdates(updates map[string]any) error {
	for _, k := range slices.Sorted(maps.Keys(updates)) {
		ck := key(k)
		_, inTree := r.tree.Inputs[ck]
		_, inVars := r.st.Vars[ck]
		if !inTree && !inVars {
			return fmt.Errorf("variable %s does not exist in this task", ck)
		}
	}
	//workflowcheck:ignore builds a map or an order-free aggregate
	for k, v := range updates {
		r.st.Vars[key(k)] = v
	}
	return nil
}

// prerender renders the pre_render_mako variables once, at start, and
// freezes their values.
func (r *run) prerender() {
	if len(r.tree.PreRenderKeys) == 0 {
		return
	}
	names := make([]string, len(r.tree.PreRenderKeys))
	for i, k := range r.tree.PreRenderKeys {
		names[i] = name(k)
	}
	vals, _ := r.resolve(nil, names)
	for _, n := range names {
		if v, ok := vals[n]; ok {
			r.st.Vars[key(n)] = v
		}
	}
}

// pipelineOutputs resolves the tree's output keys.
func (r *run) pipelineOutputs() map[string]any {
	if len(r.tree.Outputs) == 0 {
		return map[string]any{}
	}
	names := make([]string, len(r.tree.Outputs))
	for i, k := range r.tree.Outputs {
		names[i] = name(k)
	}
	vals, _ := r.resolve(nil, names)
	out := make(map[string]any, len(names))
	for _, n := range names {
		if v, ok := vals[n]; ok {
			out[key(n)] = v
		}
	}
	return out
}

func renderWarnings(errs []expr.RenderError) []string {
	if len(errs) == 0 {
		return nil
	}
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = fmt.Sprintf("%s: %v", e.Template, e.Err)
	}
	return out
}
