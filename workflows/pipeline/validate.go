package pipeline

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Validate checks a parsed tree against the rules BKFlow enforces when it
// saves a template and creates a task (§8.9), embedded subprocess trees
// included, and records in each gateway (typed and in w.Tree) the converge
// gateway it matches. The checks run in layers: structure (ids, flow and
// condition references), node options, loops and constants are all checked
// and every problem reported; the graph rules (connections, then gateway
// matching, then streams) need a sound structure and run only when the
// structure is sound, each layer only when the previous one passed. Gateway
// matching and stream validation stop at their first problem, as bamboo-
// engine does, except that every unreachable node is reported. The error is a
// *ValidationError.
func Validate(w *Web) error {
	if w == nil {
		return &ValidationError{Problems: []Problem{{Code: CodeSchema, NodeIDs: []string{}, FlowIDs: []string{}, Message: "no pipeline tree"}}}
	}
	var ps problems
	validateTree(w, "", &ps)
	return ps.err()
}

func validateTree(w *Web, base string, ps *problems) {
	before := len(ps.list)
	if w.StartEvent == nil || w.EndEvent == nil {
		ps.add(Problem{Code: CodeSchema, Path: base, Message: "the tree has no start_event or end_event"})
		return
	}
	g := checkStructure(w, base, ps)
	checkOptions(w, g, ps)
	checkLoops(w, g, ps)
	checkConstants(w, g, base, ps)
	if g.sound && checkConnections(g, ps) {
		if converge, ok := matchGateways(g, ps); ok {
			setConvergeIDs(w, converge)
			checkStreams(g, converge, ps)
		}
	}
	for _, id := range sortedKeys(w.Activities) {
		if a := w.Activities[id]; a.Pipeline != nil {
			validateTree(a.Pipeline, pointer(base, "activities", id, "pipeline"), ps)
		}
	}
	w.validated = len(ps.list) == before
}

// graph indexes a tree's nodes and flows for the checks.
type graph struct {
	base       string
	start, end string
	// nodes are all node ids, sorted; kind maps a node id to its type.
	nodes      []string
	kind       map[string]string
	incoming   map[string][]string
	outgoing   map[string][]string
	flowSource map[string]string
	flowTarget map[string]string
	// sound: ids unique and every reference resolves, so the graph rules
	// can run.
	sound bool
}

// path is the JSON pointer of a node.
func (g *graph) path(id string) string {
	switch {
	case id == g.start:
		return pointer(g.base, "start_event")
	case id == g.end:
		return pointer(g.base, "end_event")
	case isGateway(g.kind[id]):
		return pointer(g.base, "gateways", id)
	}
	return pointer(g.base, "activities", id)
}

// targets are the nodes a node's outgoing flows lead to, in order.
func (g *graph) targets(id string) []string {
	out := make([]string, len(g.outgoing[id]))
	for i, f := range g.outgoing[id] {
		out[i] = g.flowTarget[f]
	}
	return out
}

func isGateway(t string) bool {
	switch t {
	case TypeExclusive, TypeParallel, TypeConditionalParallel, TypeConverge:
		return true
	}
	return false
}

func isActivity(t string) bool { return t == TypeActivity || t == TypeSubProcess }

func isParallel(t string) bool { return t == TypeParallel || t == TypeConditionalParallel }

// checkStructure checks ids and references and builds the graph.
func checkStructure(w *Web, base string, ps *problems) *graph {
	before := len(ps.list)
	g := &graph{
		base: base, start: w.StartEvent.ID, end: w.EndEvent.ID,
		kind: map[string]string{}, incoming: map[string][]string{}, outgoing: map[string][]string{},
		flowSource: map[string]string{}, flowTarget: map[string]string{},
	}
	type entry struct {
		id, typ, path string
		in, out       []string
	}
	var entries []entry
	for _, ev := range []struct {
		e    *WebEvent
		path string
	}{{w.StartEvent, pointer(base, "start_event")}, {w.EndEvent, pointer(base, "end_event")}} {
		if ev.e.ID == "" {
			ps.add(Problem{Code: CodeIDMismatch, Path: pointer(ev.path, "id"), Message: "the node has no id"})
			continue
		}
		entries = append(entries, entry{ev.e.ID, ev.e.Type, ev.path, ev.e.Incoming, ev.e.Outgoing})
	}
	for _, id := range sortedKeys(w.Activities) {
		a := w.Activities[id]
		entries = append(entries, entry{id, a.Type, pointer(base, "activities", id), a.Incoming, a.Outgoing})
		if a.ID != id {
			ps.add(Problem{Code: CodeIDMismatch, Path: pointer(base, "activities", id, "id"), NodeIDs: []string{id},
				Message: fmt.Sprintf("the node is keyed %q but its id is %q", id, a.ID)})
		}
	}
	for _, id := range sortedKeys(w.Gateways) {
		gw := w.Gateways[id]
		entries = append(entries, entry{id, gw.Type, pointer(base, "gateways", id), gw.Incoming, gw.Outgoing})
		if gw.ID != id {
			ps.add(Problem{Code: CodeIDMismatch, Path: pointer(base, "gateways", id, "id"), NodeIDs: []string{id},
				Message: fmt.Sprintf("the node is keyed %q but its id is %q", id, gw.ID)})
		}
	}
	dups := map[string]bool{}
	for _, e := range entries {
		if _, dup := g.kind[e.id]; dup {
			dups[e.id] = true
			ps.add(Problem{Code: CodeDuplicateNodeID, Path: e.path, NodeIDs: []string{e.id},
				Message: fmt.Sprintf("node id %q is used by more than one node", e.id)})
			continue
		}
		g.kind[e.id] = e.typ
		g.nodes = append(g.nodes, e.id)
		g.incoming[e.id] = e.in
		g.outgoing[e.id] = e.out
	}
	slices.Sort(g.nodes)

	for _, id := range sortedKeys(w.Flows) {
		f := w.Flows[id]
		path := pointer(base, "flows", id)
		if _, clash := g.kind[id]; clash {
			ps.add(Problem{Code: CodeDuplicateNodeID, Path: path, NodeIDs: []string{id}, FlowIDs: []string{id},
				Message: fmt.Sprintf("id %q is used by both a node and a flow", id)})
		}
		if f.ID != id {
			ps.add(Problem{Code: CodeIDMismatch, Path: pointer(path, "id"), FlowIDs: []string{id},
				Message: fmt.Sprintf("the flow is keyed %q but its id is %q", id, f.ID)})
		}
		for _, end := range []struct{ field, node string }{{"source", f.Source}, {"target", f.Target}} {
			if _, ok := g.kind[end.node]; !ok {
				ps.add(Problem{Code: CodeFlowUnknownNode, Path: pointer(path, end.field), NodeIDs: []string{end.node}, FlowIDs: []string{id},
					Message: fmt.Sprintf("the flow's %s %q is not a node of the tree", end.field, end.node)})
			}
		}
		g.flowSource[id] = f.Source
		g.flowTarget[id] = f.Target
	}

	for _, e := range entries {
		if g.kind[e.id] != e.typ {
			continue // duplicate
		}
		for _, side := range []struct {
			field string
			flows []string
			end   map[string]string
			want  string
		}{{"incoming", e.in, g.flowTarget, "target"}, {"outgoing", e.out, g.flowSource, "source"}} {
			var seen map[string]bool
			if len(side.flows) > 1 {
				seen = make(map[string]bool, len(side.flows))
			}
			for _, fid := range side.flows {
				path := pointer(e.path, side.field)
				if seen[fid] {
					ps.add(Problem{Code: CodeFlowDuplicate, Path: path, NodeIDs: []string{e.id}, FlowIDs: []string{fid},
						Message: fmt.Sprintf("flow %s is listed more than once in %s", fid, side.field)})
					continue
				}
				if seen != nil {
					seen[fid] = true
				}
				node, ok := side.end[fid]
				switch {
				case !ok:
					ps.add(Problem{Code: CodeUnknownFlow, Path: path, NodeIDs: []string{e.id}, FlowIDs: []string{fid},
						Message: fmt.Sprintf("flow %s in %s does not exist", fid, side.field)})
				case node != e.id:
					ps.add(Problem{Code: CodeFlowMismatch, Path: path, NodeIDs: []string{e.id}, FlowIDs: []string{fid},
						Message: fmt.Sprintf("flow %s is in %s but its %s is %q", fid, side.field, side.want, node)})
				}
			}
		}
	}
	for _, id := range sortedKeys(w.Flows) {
		f := w.Flows[id]
		if dups[f.Source] || dups[f.Target] {
			continue // which node the flow belongs to is unclear
		}
		if _, ok := g.kind[f.Source]; ok && !slices.Contains(g.outgoing[f.Source], id) {
			ps.add(Problem{Code: CodeFlowUnlisted, Path: pointer(base, "flows", id), NodeIDs: []string{f.Source}, FlowIDs: []string{id},
				Message: fmt.Sprintf("the flow is not among the outgoing flows of its source %q", f.Source)})
		}
		if _, ok := g.kind[f.Target]; ok && !slices.Contains(g.incoming[f.Target], id) {
			ps.add(Problem{Code: CodeFlowUnlisted, Path: pointer(base, "flows", id), NodeIDs: []string{f.Target}, FlowIDs: []string{id},
				Message: fmt.Sprintf("the flow is not among the incoming flows of its target %q", f.Target)})
		}
	}

	for _, id := range sortedKeys(w.Gateways) {
		gw := w.Gateways[id]
		if gw.Type != TypeExclusive && gw.Type != TypeConditionalParallel {
			continue
		}
		path := pointer(base, "gateways", id)
		for _, fid := range sortedKeys(gw.Conditions) {
			if !slices.Contains(gw.Outgoing, fid) {
				ps.add(Problem{Code: CodeConditionUnknown, Path: pointer(path, "conditions", fid), NodeIDs: []string{id}, FlowIDs: []string{fid},
					Message: fmt.Sprintf("the condition is keyed by flow %s, which is not an outgoing flow of the gateway", fid)})
			}
		}
		if dc := gw.DefaultCondition; dc != nil && !slices.Contains(gw.Outgoing, dc.FlowID) {
			ps.add(Problem{Code: CodeDefaultUnknown, Path: pointer(path, "default_condition", "flow_id"), NodeIDs: []string{id}, FlowIDs: []string{dc.FlowID},
				Message: fmt.Sprintf("the default flow %s is not an outgoing flow of the gateway", dc.FlowID)})
		}
		for _, fid := range gw.Outgoing {
			_, hasCond := gw.Conditions[fid]
			isDefault := gw.DefaultCondition != nil && gw.DefaultCondition.FlowID == fid
			if !hasCond && !isDefault {
				ps.add(Problem{Code: CodeConditionMissing, Path: pointer(path, "conditions"), NodeIDs: []string{id}, FlowIDs: []string{fid},
					Message: fmt.Sprintf("outgoing flow %s has no condition and is not the default flow (BKFlow cannot create a task from such a gateway)", fid)})
			}
		}
	}
	g.sound = len(ps.list) == before
	return g
}

// checkOptions checks the node options BKFlow rejects when it formats a
// tree for the engine.
func checkOptions(w *Web, g *graph, ps *problems) {
	for _, id := range sortedKeys(w.Activities) {
		a := w.Activities[id]
		path := pointer(g.base, "activities", id)
		if a.Type != TypeActivity {
			continue
		}
		if a.Component == nil {
			ps.add(Problem{Code: CodeComponentMissing, Path: pointer(path, "component"), NodeIDs: []string{id},
				Message: "a ServiceActivity needs a component"})
		} else {
			for _, key := range sortedKeys(a.Component.Data) {
				if in := a.Component.Data[key]; in.IsParam && in.needRenderSet {
					ps.add(Problem{Code: CodeInputRenderConflict, Path: pointer(path, "component", "data", key), NodeIDs: []string{id},
						Message: "is_param and need_render cannot be selected at the same time"})
				}
			}
		}
		if a.timeoutEnable && (a.ErrorIgnorable || a.AutoRetry.Enable) {
			ps.add(Problem{Code: CodeTimeoutConflict, Path: pointer(path, "timeout_config"), NodeIDs: []string{id},
				Message: "timeout_config can not be enabled with error_ignorable or auto_retry at the same time"})
		}
	}
}

// MaxLoopTimes is the most times a loop node may run (BKFlow MAX_LOOP_TIMES).
const MaxLoopTimes = 100

// checkLoops applies BKFlow's template-save loop checks
// (validate_loop_variables) to the nodes whose loop is enabled.
func checkLoops(w *Web, g *graph, ps *problems) {
	usedBy := map[string]string{}
	for _, id := range sortedKeys(w.Activities) {
		a := w.Activities[id]
		l := a.Loop
		if l == nil {
			continue
		}
		path := pointer(g.base, "activities", id, "loop_config")
		if l.LoopTimes > MaxLoopTimes {
			ps.add(Problem{Code: CodeLoopTimesExceeded, Path: pointer(path, "loop_times"), NodeIDs: []string{id},
				Message: fmt.Sprintf("节点 %s 的循环次数超过最大值%d (the node loops more than %d times)", a.Name, MaxLoopTimes, MaxLoopTimes)})
		}
		if l.Type != "array_loop" {
			continue
		}
		if l.LoopTimes != 0 && len(l.LoopParams) > 0 {
			shortest := -1
			for _, v := range l.LoopParams {
				n := 0
				for item := range strings.SplitSeq(v, ",") {
					if strings.TrimSpace(item) != "" {
						n++
					}
				}
				if shortest < 0 || n < shortest {
					shortest = n
				}
			}
			if l.LoopTimes != shortest {
				ps.add(Problem{Code: CodeLoopTimesMismatch, Path: pointer(path, "loop_times"), NodeIDs: []string{id},
					Message: fmt.Sprintf("节点 %s 的循环次数与循环变量参数不匹配 (loop_times is %d but the shortest loop parameter has %d items)", a.Name, l.LoopTimes, shortest)})
			}
		}
		for _, key := range sortedKeys(l.LoopParams) {
			if _, ok := w.Constants[key]; ok {
				ps.add(Problem{Code: CodeLoopVariableGlobal, Path: pointer(path, "loop_params", key), NodeIDs: []string{id},
					Message: fmt.Sprintf("循环变量与全局变量冲突: %s (the loop variable has the key of a pipeline constant)", key)})
			}
			if first, ok := usedBy[key]; ok {
				ps.add(Problem{Code: CodeLoopVariableShared, Path: pointer(path, "loop_params", key), NodeIDs: []string{first, id},
					Message: fmt.Sprintf("循环变量被多个节点使用: %s (another node already loops over this variable)", key)})
			} else {
				usedBy[key] = id
			}
		}
	}
}

// ValidConstantKey reports whether key has the form "${name}" with name made
// of [a-zA-Z0-9_] and not starting with "_env_" (BKFlow's KEY_PATTERN, whose
// "_system." exclusion the character class already implies).
func ValidConstantKey(key string) bool {
	if len(key) < 4 || !strings.HasPrefix(key, "${") || !strings.HasSuffix(key, "}") {
		return false
	}
	name := key[2 : len(key)-1]
	if strings.HasPrefix(name, "_env_") || strings.HasPrefix(name, "_system.") {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// displayName is how BKFlow names a constant in its messages.
func displayName(c *WebConstant, key string) string {
	if c.Name != "" {
		return fmt.Sprintf("「%s」(%s)", c.Name, key)
	}
	return fmt.Sprintf("「%s」", key)
}

// pyStr renders a JSON value the way Python's str() renders it after
// json.loads, for messages.
func pyStr(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case string:
		return x
	case json.Number:
		return x.String()
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// checkConstants applies BKFlow's constant checks (validate_web_pipeline_tree)
// and the parts of context hydration that can be decided offline.
func checkConstants(w *Web, g *graph, base string, ps *problems) {
	var hydrated []string
	for _, key := range sortedKeys(w.Constants) {
		c := w.Constants[key]
		path := pointer(base, "constants", key)
		if raw, ok := c.rawKey.(string); !ok || raw != key {
			ps.add(Problem{Code: CodeConstantKeyMismatch, Path: pointer(path, "key"),
				Message: fmt.Sprintf("变量 %s 的 key 属性值 %s 与实际 key 不匹配，请检查变量配置 (the constant's key field differs from its key in constants)", displayName(c, key), pyStr(c.rawKey))})
			continue
		}
		if !ValidConstantKey(key) {
			ps.add(Problem{Code: CodeConstantKeyPattern, Path: path,
				Message: fmt.Sprintf("变量 %s 的 key 格式不合法，请使用 ${variable_name} 格式 (a key is ${name}, name made of letters, digits and _, not starting with _env_)", displayName(c, key))})
		}
		for _, node := range sortedKeys(c.SourceInfo) {
			if _, ok := g.kind[node]; !ok {
				ps.add(Problem{Code: CodeConstantSourceNode, Path: pointer(path, "source_info", node), NodeIDs: []string{node},
					Message: fmt.Sprintf("source_info names node %q, which is not in the tree", node)})
			}
		}
		if c.SourceType == SourceComponentOutputs {
			if _, _, ok := w.outputSource(c); !ok {
				ps.add(Problem{Code: CodeConstantNoSource, Path: pointer(path, "source_info"),
					Message: fmt.Sprintf("变量 %s 配置无效：该变量类型为组件输出，但未选择有效的输出字段，请在对应节点中重新勾选输出变量或删除该变量 (an output constant needs a node and output key in source_info)", displayName(c, key))})
				continue
			}
		}
		hydrated = append(hydrated, key)
		if msg := lazyValueProblem(c); msg != "" {
			ps.add(Problem{Code: CodeConstantHydrate, Path: pointer(path, "value"),
				Message: fmt.Sprintf("变量配置校验失败: 变量 %s %s", displayName(c, key), msg)})
		}
	}
	for _, cycle := range referenceCycles(w.Constants, hydrated) {
		ps.add(Problem{Code: CodeConstantHydrate, Path: pointer(base, "constants", cycle[0]),
			Message: fmt.Sprintf("变量配置校验失败: 变量 %s 之间存在循环引用 (the constants refer to each other in a cycle, so none of them can be rendered)", strings.Join(cycle, ", "))})
	}
	for i, key := range w.Outputs {
		if !ValidConstantKey(key) {
			ps.add(Problem{Code: CodeOutputKeyPattern, Path: pointer(base, "outputs", fmt.Sprint(i)),
				Message: fmt.Sprintf("输出变量 %s 的 key 格式不合法 (an output is the key of a constant, ${name})", key)})
		}
	}
}

// lazyValueProblem says why a lazy variable's value cannot be computed, when
// that can be told without rendering it (its value has no references): a
// json_variable string must be JSON, a datatable a list of objects.
func lazyValueProblem(c *WebConstant) string {
	if hasReference(c.Value) {
		return ""
	}
	switch c.CustomType {
	case "json_variable":
		if s, ok := c.Value.(string); ok && !json.Valid([]byte(s)) {
			return "的值不是合法的 JSON (the json_variable's value is not valid JSON)"
		}
	case "datatable":
		ok := false
		switch v := c.Value.(type) {
		case string:
			ok = v == ""
		case map[string]any:
			ok = len(v) == 0
		case []any:
			ok = true
			for _, row := range v {
				if _, isObj := row.(map[string]any); !isObj {
					ok = false
				}
			}
		}
		if !ok {
			return "的值不是表格 (a datatable's value is a list of rows, each an object)"
		}
	}
	return ""
}

// outputSource is the node and output key a component_outputs constant
// takes its value from: the first source_info entry with keys. BKFlow takes
// the first in JSON object order, which a Go map (and PostgreSQL jsonb) does
// not keep, so the sources are ordered by the node's template_node_id (its id
// in the template, stable across the id regeneration of task creation), then
// by node id.
func (w *Web) outputSource(c *WebConstant) (node, key string, ok bool) {
	order := func(n string) string {
		if a, ok := w.Activities[n]; ok && a.TemplateNodeID != "" {
			return a.TemplateNodeID
		}
		return n
	}
	nodes := sortedKeys(c.SourceInfo)
	slices.SortStableFunc(nodes, func(a, b string) int { return strings.Compare(order(a), order(b)) })
	for _, n := range nodes {
		if keys := c.SourceInfo[n]; len(keys) > 0 {
			return n, keys[0], true
		}
	}
	return "", "", false
}

// referenceCycles finds the groups of constants (among keys) that refer to
// each other in a cycle, each sorted, in order.
func referenceCycles(consts map[string]*WebConstant, keys []string) [][]string {
	refs := map[string][]string{}
	in := map[string]bool{}
	for _, k := range keys {
		in[k] = true
	}
	for _, k := range keys {
		for _, r := range References(consts[k].Value) {
			if in[r] {
				refs[k] = append(refs[k], r)
			}
		}
	}
	// Tarjan's strongly connected components.
	index := map[string]int{}
	low := map[string]int{}
	onStack := map[string]bool{}
	var stack []string
	var out [][]string
	next := 0
	var visit func(k string)
	visit = func(k string) {
		index[k], low[k] = next, next
		next++
		stack = append(stack, k)
		onStack[k] = true
		for _, r := range refs[k] {
			if _, seen := index[r]; !seen {
				visit(r)
				low[k] = min(low[k], low[r])
			} else if onStack[r] {
				low[k] = min(low[k], index[r])
			}
		}
		if low[k] != index[k] {
			return
		}
		var comp []string
		for {
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			onStack[top] = false
			comp = append(comp, top)
			if top == k {
				break
			}
		}
		if len(comp) > 1 || slices.Contains(refs[k], k) {
			slices.Sort(comp)
			out = append(out, comp)
		}
	}
	for _, k := range keys {
		if _, seen := index[k]; !seen {
			visit(k)
		}
	}
	slices.SortFunc(out, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	return out
}

// setConvergeIDs records the matched converge gateways in the typed tree
// and writes them back into its generic form (removing stale ones).
func setConvergeIDs(w *Web, converge map[string]string) {
	gws := objectAt(w.Tree, "gateways")
	for id, gw := range w.Gateways {
		gw.ConvergeGatewayID = converge[id]
		m, ok := gws[id].(map[string]any)
		if !ok || gw.Type == TypeConverge {
			continue
		}
		if c := converge[id]; c != "" {
			m["converge_gateway_id"] = c
		} else {
			delete(m, "converge_gateway_id")
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
