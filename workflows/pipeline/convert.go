package pipeline

import (
	"errors"
	"fmt"
	"slices"
)

// Component input keys BKFlow adds to a node's inputs.
const (
	// InputExecutorProxy carries executor_proxy.
	InputExecutorProxy = "__executor_proxy"
	// InputUniformAPIMeta carries uniform_api's api_meta.
	InputUniformAPIMeta = "uniform_api_plugin_api_meta"
)

// ToEngine builds the engine form of a web tree: BKFlow's
// format_web_data_to_pipeline followed by the node records bamboo-engine's
// runtime builds. The tree is validated first when it has not been (its
// converge gateways come from validation). Every SubProcess must carry its
// embedded pipeline; BKFlow task trees have none, because task creation
// turns them into subprocess_plugin nodes (ConvertSubprocesses).
func ToEngine(w *Web) (*Engine, error) {
	if w == nil {
		return nil, errors.New("pipeline: ToEngine: no tree")
	}
	if !w.validated {
		if err := Validate(w); err != nil {
			return nil, err
		}
	}
	return toEngine(w, false)
}

func toEngine(w *Web, isSubprocess bool) (*Engine, error) {
	inputs, actOutputs := w.classifyConstants(isSubprocess)
	e := &Engine{
		ID:            w.ID,
		StartID:       w.StartEvent.ID,
		EndID:         w.EndEvent.ID,
		Nodes:         map[string]*Node{},
		Flows:         map[string]*Flow{},
		Inputs:        inputs,
		Outputs:       slices.Clone(w.Outputs),
		PreRenderKeys: w.preRenderKeys(),
	}
	for id, f := range w.Flows {
		e.Flows[id] = &Flow{ID: id, Source: f.Source, Target: f.Target}
	}
	e.Nodes[w.StartEvent.ID] = &Node{ID: w.StartEvent.ID, Type: TypeStart, Name: w.StartEvent.Name, Incoming: []string{}, Outgoing: slices.Clone(w.StartEvent.Outgoing)}
	e.Nodes[w.EndEvent.ID] = &Node{ID: w.EndEvent.ID, Type: TypeEnd, Name: w.EndEvent.Name, Incoming: slices.Clone(w.EndEvent.Incoming), Outgoing: []string{}}

	for _, id := range sortedKeys(w.Activities) {
		a := w.Activities[id]
		n := &Node{ID: id, Type: a.Type, Name: a.Name, Incoming: slices.Clone(a.Incoming), Outgoing: slices.Clone(a.Outgoing), TemplateNodeID: a.TemplateNodeID}
		switch a.Type {
		case TypeActivity:
			n.Component = a.engineComponent(inputs, actOutputs[id])
			n.ErrorIgnorable = a.ErrorIgnorable
			n.Skippable = a.Skippable
			n.Retryable = a.Retryable
			n.AutoRetry = a.AutoRetry
			n.Timeout = a.Timeout
			if a.Loop != nil {
				l := *a.Loop
				n.Loop = &l
			}
			n.ExecutorProxy = a.ExecutorProxy
		case TypeSubProcess:
			if a.Pipeline == nil {
				return nil, fmt.Errorf("pipeline: subprocess node %s has no embedded pipeline; convert it with ConvertSubprocesses", id)
			}
			child, err := toEngine(a.Pipeline, true)
			if err != nil {
				return nil, err
			}
			// bamboo-engine runs a subprocess as the pipeline named by its node id.
			child.ID = id
			n.Pipeline = child
			n.Params = a.subprocessParams(w.Constants)
			n.GlobalOutputs = actOutputs[id]
			n.GlobalOutputs = actOutputs[id]
		}
		e.Nodes[id] = n
	}
	for _, id := range sortedKeys(w.Gateways) {
		g := w.Gateways[id]
		n := &Node{ID: id, Type: g.Type, Name: g.Name, Incoming: slices.Clone(g.Incoming), Outgoing: slices.Clone(g.Outgoing), TemplateNodeID: g.TemplateNodeID}
		switch g.Type {
		case TypeExclusive, TypeConditionalParallel:
			for _, fid := range g.Outgoing {
				if c, ok := g.Conditions[fid]; ok {
					n.Conditions = append(n.Conditions, Condition{FlowID: fid, TargetID: w.Flows[fid].Target, Name: c.Name, Evaluate: c.Evaluate})
				}
			}
			if dc := g.DefaultCondition; dc != nil {
				n.Default = &Condition{FlowID: dc.FlowID, TargetID: w.Flows[dc.FlowID].Target, Name: dc.Name}
			}
			n.ParseLang = g.ParseLang
			if n.ParseLang == "" {
				n.ParseLang = "boolrule"
			}
			n.ConvergeGatewayID = g.ConvergeGatewayID
		case TypeParallel:
			n.ConvergeGatewayID = g.ConvergeGatewayID
		}
		e.Nodes[id] = n
	}
	return e, nil
}

// classifyConstants turns the constants into engine inputs (BKFlow's
// classify_constants) and collects, per node, which of its outputs feed
// which variable.
func (w *Web) classifyConstants(isSubprocess bool) (map[string]Var, map[string]map[string]string) {
	inputs := map[string]Var{}
	actOutputs := map[string]map[string]string{}
	for _, key := range sortedKeys(w.Constants) {
		c := w.Constants[key]
		show := c.ShowType == ShowTypeShow
		switch {
		case c.SourceType == SourceComponentOutputs:
			node, outKey, ok := w.outputSource(c)
			if !ok {
				continue
			}
			inputs[key] = Var{Type: VarSplice, SourceAct: node, SourceKey: outKey, Value: c.Value, IsParam: show}
			if actOutputs[node] == nil {
				actOutputs[node] = map[string]string{}
			}
			actOutputs[node][outKey] = key
		case IsLazyCustomType(c.CustomType):
			inputs[key] = Var{Type: VarLazy, SourceTag: c.SourceTag, CustomType: c.CustomType, Value: c.Value, IsParam: show}
		default:
			t := VarPlain
			if hasReference(c.Value) {
				t = VarSplice
			}
			inputs[key] = Var{Type: t, Value: c.Value, IsParam: show && isSubprocess}
		}
	}
	return inputs, actOutputs
}

// preRenderKeys are the keys of the variables rendered once at start.
func (w *Web) preRenderKeys() []string {
	var keys []string
	for _, key := range sortedKeys(w.Constants) {
		if c := w.Constants[key]; c.PreRenderMako && c.SourceType != SourceComponentOutputs {
			keys = append(keys, key)
		}
	}
	return keys
}

// engineComponent builds a ServiceActivity's engine component.
func (a *WebActivity) engineComponent(vars map[string]Var, globalOutputs map[string]string) *Component {
	c := &Component{Inputs: map[string]Input{}, GlobalOutputs: globalOutputs}
	if a.Component == nil {
		return c
	}
	c.Code = a.Component.Code
	c.Version = a.Component.Version
	for key, in := range a.Component.Data {
		t := VarPlain
		if hasReference(in.Value) {
			t = VarSplice
		}
		c.Inputs[key] = Input{Type: t, Value: in.Value, NeedRender: in.NeedRender, IsParam: in.IsParam}
	}
	if c.Code == "uniform_api" && truthy(a.Component.APIMeta) {
		t := VarPlain
		if hasReference(a.Component.APIMeta) {
			t = VarSplice
		}
		c.Inputs[InputUniformAPIMeta] = Input{Type: t, Value: a.Component.APIMeta}
	}
	if a.ExecutorProxy != "" {
		c.Inputs[InputExecutorProxy] = Input{Type: VarPlain, Value: a.ExecutorProxy}
	}
	return c
}

// subprocessParams are the values the parent hands an embedded subprocess:
// one per child constant shown as a parameter (show_type "show"), rendered
// in the parent's context.
func (a *WebActivity) subprocessParams(parent map[string]*WebConstant) map[string]Var {
	params := map[string]Var{}
	for _, key := range sortedKeys(a.Pipeline.Constants) {
		info := a.Pipeline.Constants[key]
		if info.ShowType != ShowTypeShow {
			continue
		}
		var v Var
		switch {
		case IsLazyCustomType(info.CustomType):
			// A lazy variable hooked to a parent variable is already computed
			// there: pass it as a splice so it is not computed twice.
			s, isStr := info.Value.(string)
			if p := parent[s]; isStr && p != nil && slices.Contains(p.SourceInfo[a.ID], key) {
				v = Var{Type: VarSplice, Value: info.Value}
			} else {
				v = Var{Type: VarLazy, SourceTag: info.SourceTag, CustomType: info.CustomType, Value: info.Value}
			}
		default:
			v = Var{Type: VarSplice, Value: info.Value}
		}
		v.NoRender = !info.NeedRender
		params[key] = v
	}
	return params
}
