package pipeline

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// edit changes a decoded tree.
type edit func(t *testing.T, tree Tree)

// at walks a "/"-separated path of object keys and list indexes.
func at(t *testing.T, tree Tree, path string) (parent any, last string) {
	t.Helper()
	toks := strings.Split(strings.TrimPrefix(path, "/"), "/")
	var cur any = map[string]any(tree)
	for _, tok := range toks[:len(toks)-1] {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			require.NoError(t, err)
			cur = c[i]
		}
		require.NotNil(t, cur, "path %s", path)
	}
	return cur, toks[len(toks)-1]
}

// set sets the value at path (JSON text, so numbers stay json.Number).
func set(path, value string) edit {
	return func(t *testing.T, tree Tree) {
		var v any
		dec := json.NewDecoder(strings.NewReader(value))
		dec.UseNumber()
		require.NoError(t, dec.Decode(&v))
		parent, last := at(t, tree, path)
		switch p := parent.(type) {
		case map[string]any:
			p[last] = v
		case []any:
			i, err := strconv.Atoi(last)
			require.NoError(t, err)
			p[i] = v
		}
	}
}

// del removes the key at path.
func del(path string) edit {
	return func(t *testing.T, tree Tree) {
		parent, last := at(t, tree, path)
		delete(parent.(map[string]any), last)
	}
}

// rename moves an object entry to another key.
func rename(path, to string) edit {
	return func(t *testing.T, tree Tree) {
		parent, last := at(t, tree, path)
		m := parent.(map[string]any)
		m[to] = m[last]
		delete(m, last)
	}
}

// fromFile is a valid tree file with edits.
func fromFile(name string, edits ...edit) func(t *testing.T) []byte {
	return func(t *testing.T) []byte {
		tree := decodeTestTree(t, readTree(t, "valid/"+name+".json"))
		for _, e := range edits {
			e(t, tree)
		}
		return marshalTree(t, tree)
	}
}

// fromBuilder is a builder graph with edits.
func fromBuilder(b func() *bnode, edits ...edit) func(t *testing.T) []byte {
	return func(t *testing.T) []byte {
		tree := build(b())
		for _, e := range edits {
			e(t, tree)
		}
		return marshalTree(t, tree)
	}
}

func literal(s string) func(t *testing.T) []byte {
	return func(*testing.T) []byte { return []byte(s) }
}

// Builder graphs for the graph rules.

func gStartToEnd() *bnode {
	s := bStart("start")
	s.extend(bEnd("end"))
	return s
}

func gLinear() *bnode {
	s := bStart("start")
	s.extend(bAct("a1")).extend(bAct("a2")).extend(bEnd("end"))
	return s
}

func gActivityCycle() *bnode {
	s, e := bStart("start"), bEnd("end")
	eg, a1, a2 := bEG("eg1"), bAct("a1"), bAct("a2")
	s.extend(eg).connect(a1, e)
	a1.extend(a2).extend(a1)
	return s
}

func gIsland() *bnode {
	s, e := bStart("start"), bEnd("end")
	s.extend(bAct("a1")).extend(e)
	return s
}

func gParallelExclusiveToEnd() *bnode {
	s, e := bStart("start"), bEnd("end")
	pg, cg, eg, a1 := bPG("pg1"), bCG("cg1"), bEG("eg1"), bAct("a1")
	s.extend(pg).connect(a1, eg)
	a1.extend(cg)
	eg.connect(cg, e)
	cg.extend(e)
	return s
}

func gExclusiveTwoConverges() *bnode {
	s, e := bStart("start"), bEnd("end")
	eg, cg1, cg2, a3 := bEG("eg1"), bCG("cg1"), bCG("cg2"), bAct("a3")
	s.extend(eg).connect(cg1, cg2)
	cg1.extend(a3).extend(cg2)
	cg2.extend(e)
	return s
}

func gParallelToEnd() *bnode {
	s, e := bStart("start"), bEnd("end")
	pg, cg, a1, a2 := bPG("pg1"), bCG("cg1"), bAct("a1"), bAct("a2")
	s.extend(pg).connect(a1, a2)
	a1.extend(cg).extend(e)
	a2.extend(e)
	return s
}

func gTwoParallelsOneConverge() *bnode {
	s, e := bStart("start"), bEnd("end")
	eg, pg1, pg2, cg := bEG("eg0"), bPG("pg1"), bPG("pg2"), bCG("cg1")
	s.extend(eg).connect(pg1, pg2)
	pg1.connect(bAct("a1"), bAct("a2")).converge(cg)
	pg2.connect(bAct("a3"), bAct("a4")).converge(cg)
	cg.extend(e)
	return s
}

func gConvergeIncomplete() *bnode {
	s, e := bStart("start"), bEnd("end")
	pg, a1, cg := bPG("pg1"), bAct("a1"), bCG("cg1")
	s.extend(pg).connect(a1, a1)
	a1.extend(cg).extend(e)
	return s
}

func gBranchJump() *bnode {
	s, e := bStart("start"), bEnd("end")
	pg, cg, eg := bPG("pg1"), bCG("cg1"), bEG("eg1")
	a2, a3, a4 := bAct("a2"), bAct("a3"), bAct("a4")
	s.extend(pg).connect(a2, a3, eg).to(eg).connect(a3, a4)
	a2.connect(cg)
	a3.connect(cg)
	a4.connect(cg)
	cg.extend(e)
	return s
}

// gWide is a parallel block of n branches.
func gWide(n int) func() *bnode {
	return func() *bnode {
		s, pg := bStart("start"), bPG("pg")
		s.extend(pg)
		for i := range n {
			pg.connect(bAct(fmt.Sprintf("a%d", i)))
		}
		pg.converge(bCG("cg")).extend(bEnd("end"))
		return s
	}
}

const (
	msgStream   = "StreamValidateError: the node is reached from more than one parallel branch (an edge jumps between the branches of a parallel gateway, or leaves a parallel block other than through its converge gateway)"
	msgIsolated = "the node cannot be reached from the start event (StreamValidateError)"
)

func TestInvalidTrees(t *testing.T) {
	cases := []struct {
		name string
		raw  func(t *testing.T) []byte
		want []Problem
	}{
		// JSON and schema.
		{name: "malformed JSON", raw: literal(`{"activities": `),
			want: []Problem{prob(CodeInvalidJSON, "", nil, nil, "malformed JSON: unexpected EOF")}},
		{name: "trailing data", raw: literal(`{} {}`),
			want: []Problem{prob(CodeInvalidJSON, "", nil, nil, "malformed JSON: unexpected data after the top-level value")}},
		{name: "not an object", raw: literal(`[]`),
			want: []Problem{prob(CodeInvalidJSON, "", nil, nil, "the pipeline tree must be a JSON object, not array")}},
		{name: "required top-level fields", raw: literal(`{}`), want: []Problem{
			prob(CodeSchema, "/activities", nil, nil, "required property is missing"),
			prob(CodeSchema, "/constants", nil, nil, "required property is missing"),
			prob(CodeSchema, "/end_event", nil, nil, "required property is missing"),
			prob(CodeSchema, "/gateways", nil, nil, "required property is missing"),
			prob(CodeSchema, "/outputs", nil, nil, "required property is missing"),
			prob(CodeSchema, "/start_event", nil, nil, "required property is missing"),
		}},
		{name: "activity name empty after standardisation", raw: fromFile("exclusive_default", set("/activities/ok/name", `"<$>"`)),
			want: []Problem{prob(CodeSchema, "/activities/ok/name", ids("ok"), nil, "length must be >= 1")}},
		{name: "several schema problems", raw: fromFile("exclusive_default",
			set("/activities/ok/outgoing", `["l5", "l6"]`),
			set("/gateways/cg1/incoming", `[]`),
			set("/gateways/eg1/type", `"OrGateway"`),
			set("/gateways/cg1/name", `null`),
			del("/gateways/eg1/conditions/l3/evaluate"),
			set("/constants/${result}/source_type", `"node_outputs"`),
			set("/constants/${result}/show_type", `"visible"`),
			del("/activities/query/component/data/bk_display_message/hook"),
			set("/flows/l1/target", `7`),
			set("/outputs", `"${result}"`),
		), want: []Problem{
			prob(CodeSchema, "/activities/ok/outgoing", ids("ok"), nil, "must be a flow id or a list of exactly one flow id"),
			prob(CodeSchema, "/activities/query/component/data/bk_display_message/hook", ids("query"), nil, "required property is missing"),
			prob(CodeSchema, "/constants/${result}/show_type", nil, nil, `must be one of "show", "hide"`),
			prob(CodeSchema, "/constants/${result}/source_type", nil, nil, `must be one of "component_inputs", "component_outputs", "custom", "system"`),
			prob(CodeSchema, "/flows/l1/target", nil, ids("l1"), "must be string, not number"),
			prob(CodeSchema, "/gateways/cg1/incoming", ids("cg1"), nil, "must be a flow id or a non-empty list of flow ids"),
			prob(CodeSchema, "/gateways/cg1/name", ids("cg1"), nil, "must be string, not null"),
			prob(CodeSchema, "/gateways/eg1/type", ids("eg1"), nil, `must be one of "ConvergeGateway", "ParallelGateway", "ExclusiveGateway", "ConditionalParallelGateway"`),
			prob(CodeSchema, "/outputs", nil, nil, "must be array, not string"),
		}},
		{name: "branch gateway without conditions", raw: fromFile("exclusive_default", del("/gateways/eg1/conditions")),
			want: []Problem{prob(CodeSchema, "/gateways/eg1/conditions", ids("eg1"), nil, "required property is missing")}},
		{name: "condition without evaluate", raw: fromFile("exclusive_default", del("/gateways/eg1/conditions/l3/evaluate")),
			want: []Problem{prob(CodeSchema, "/gateways/eg1/conditions/l3/evaluate", ids("eg1"), nil, "required property is missing")}},
		{name: "start outgoing is a list of two", raw: fromFile("exclusive_default", set("/start_event/outgoing", `["l1", "l2"]`)),
			want: []Problem{prob(CodeSchema, "/start_event/outgoing", nil, nil, "must be a flow id or a list of exactly one flow id")}},
		{name: "end type", raw: fromFile("exclusive_default", set("/end_event/type", `"ExecutableEndEvent"`)),
			want: []Problem{prob(CodeSchema, "/end_event/type", nil, nil, `must be one of "EmptyEndEvent"`)}},
		{name: "constant name empty", raw: fromFile("exclusive_default", set("/constants/${result}/name", `""`)),
			want: []Problem{prob(CodeSchema, "/constants/${result}/name", nil, nil, "length must be >= 1")}},
		{name: "constant key empty", raw: fromFile("exclusive_default", set("/constants/${result}/key", `""`)),
			want: []Problem{prob(CodeSchema, "/constants/${result}/key", nil, nil, `must match the pattern "."`)}},
		{name: "embedded subprocess tree", raw: fromFile("subprocess_embedded", set("/activities/sp1/pipeline/activities/c_act/name", `""`)),
			want: []Problem{prob(CodeSchema, "/activities/sp1/pipeline/activities/c_act/name", ids("c_act"), nil, "length must be >= 1")}},

		// Fields the schema leaves open.
		{name: "field types", raw: fromFile("exclusive_default",
			set("/activities/ok/auto_retry", `"on"`),
			set("/activities/ok/loop_config", `{"enable": true, "type": "array_loop", "loop_times": "many", "loop_params": {"x": 1}}`),
			set("/gateways/eg1/default_condition", `{"name": "default"}`),
			set("/activities/query/component/version", `2`),
			set("/activities/query/executor_proxy", `["admin"]`),
			set("/start_event/incoming", `7`),
		), want: []Problem{
			prob(CodeFieldType, "/activities/ok/auto_retry", ids("ok"), nil, "must be an object, not string"),
			prob(CodeFieldType, "/activities/ok/loop_config/loop_params/x", ids("ok"), nil, "must be a string, not number"),
			prob(CodeFieldType, "/activities/ok/loop_config/loop_times", ids("ok"), nil, "must be an integer"),
			prob(CodeFieldType, "/activities/query/component/version", ids("query"), nil, "must be a string, not number"),
			prob(CodeFieldType, "/activities/query/executor_proxy", ids("query"), nil, "must be a string, not array"),
			prob(CodeFieldType, "/gateways/eg1/default_condition/flow_id", ids("eg1"), nil, "must be the id of an outgoing flow"),
			prob(CodeFieldType, "/start_event/incoming", nil, nil, "must be a flow id or a list of flow ids"),
		}},

		// Structure.
		{name: "duplicate node id", raw: fromFile("exclusive_default",
			set("/activities/cg1", `{"id": "cg1", "type": "ServiceActivity", "name": "dup", "incoming": "", "outgoing": "", "component": {"code": "c", "data": {}}}`),
		), want: []Problem{
			prob(CodeDuplicateNodeID, "/gateways/cg1", ids("cg1"), nil, `node id "cg1" is used by more than one node`),
		}},
		{name: "node and flow share an id", raw: fromFile("exclusive_default",
			set("/flows/ok", `{"id": "ok", "source": "x", "target": "y"}`),
		), want: []Problem{
			prob(CodeDuplicateNodeID, "/flows/ok", ids("ok"), ids("ok"), `id "ok" is used by both a node and a flow`),
			prob(CodeFlowUnknownNode, "/flows/ok/source", ids("x"), ids("ok"), `the flow's source "x" is not a node of the tree`),
			prob(CodeFlowUnknownNode, "/flows/ok/target", ids("y"), ids("ok"), `the flow's target "y" is not a node of the tree`),
		}},
		{name: "node key and id differ", raw: fromFile("exclusive_default", set("/activities/ok/id", `"ok2"`)), want: []Problem{
			prob(CodeIDMismatch, "/activities/ok/id", ids("ok"), nil, `the node is keyed "ok" but its id is "ok2"`),
		}},
		{name: "flow key and id differ", raw: fromFile("exclusive_default", set("/flows/l1/id", `"l9"`)), want: []Problem{
			prob(CodeIDMismatch, "/flows/l1/id", nil, ids("l1"), `the flow is keyed "l1" but its id is "l9"`),
		}},
		{name: "start without id", raw: fromFile("exclusive_default", set("/start_event/id", `""`)), want: []Problem{
			prob(CodeFlowUnknownNode, "/flows/l1/source", ids("start"), ids("l1"), `the flow's source "start" is not a node of the tree`),
			prob(CodeIDMismatch, "/start_event/id", nil, nil, "the node has no id"),
		}},
		{name: "flow to a missing node", raw: fromFile("exclusive_default", set("/flows/l2/target", `"ghost"`)), want: []Problem{
			prob(CodeFlowUnknownNode, "/flows/l2/target", ids("ghost"), ids("l2"), `the flow's target "ghost" is not a node of the tree`),
			prob(CodeFlowMismatch, "/gateways/eg1/incoming", ids("eg1"), ids("l2"), `flow l2 is in incoming but its target is "ghost"`),
		}},
		{name: "node refers to a missing flow", raw: fromFile("exclusive_default", set("/activities/ok/incoming", `["l3", "l99"]`)), want: []Problem{
			prob(CodeUnknownFlow, "/activities/ok/incoming", ids("ok"), ids("l99"), "flow l99 in incoming does not exist"),
		}},
		{name: "flow not listed by its source", raw: fromFile("exclusive_default", set("/activities/query/outgoing", `""`)), want: []Problem{
			prob(CodeFlowUnlisted, "/flows/l2", ids("query"), ids("l2"), `the flow is not among the outgoing flows of its source "query"`),
		}},
		{name: "flow listed twice", raw: fromFile("exclusive_default", set("/gateways/cg1/incoming", `["l4", "l6", "l4"]`)), want: []Problem{
			prob(CodeFlowDuplicate, "/gateways/cg1/incoming", ids("cg1"), ids("l4"), "flow l4 is listed more than once in incoming"),
		}},
		{name: "condition of a flow that is not outgoing", raw: fromFile("exclusive_default", set("/gateways/eg1/conditions/l1", `{"evaluate": "1 == 1"}`)), want: []Problem{
			prob(CodeConditionUnknown, "/gateways/eg1/conditions/l1", ids("eg1"), ids("l1"), "the condition is keyed by flow l1, which is not an outgoing flow of the gateway"),
		}},
		{name: "default flow that is not outgoing", raw: fromFile("exclusive_default", set("/gateways/eg1/default_condition/flow_id", `"l1"`)), want: []Problem{
			prob(CodeConditionMissing, "/gateways/eg1/conditions", ids("eg1"), ids("l5"), "outgoing flow l5 has no condition and is not the default flow (BKFlow cannot create a task from such a gateway)"),
			prob(CodeDefaultUnknown, "/gateways/eg1/default_condition/flow_id", ids("eg1"), ids("l1"), "the default flow l1 is not an outgoing flow of the gateway"),
		}},

		// Node options.
		{name: "service activity without component", raw: fromFile("exclusive_default", del("/activities/ok/component")), want: []Problem{
			prob(CodeComponentMissing, "/activities/ok/component", ids("ok"), nil, "a ServiceActivity needs a component"),
		}},
		{name: "timeout with error_ignorable", raw: fromFile("exclusive_default", set("/activities/ok/timeout_config/enable", `true`), set("/activities/ok/error_ignorable", `true`)), want: []Problem{
			prob(CodeTimeoutConflict, "/activities/ok/timeout_config", ids("ok"), nil, "timeout_config can not be enabled with error_ignorable or auto_retry at the same time"),
		}},
		{name: "timeout with auto_retry", raw: fromFile("exclusive_default", set("/activities/ok/timeout_config/enable", `true`), set("/activities/ok/auto_retry/enable", `true`)), want: []Problem{
			prob(CodeTimeoutConflict, "/activities/ok/timeout_config", ids("ok"), nil, "timeout_config can not be enabled with error_ignorable or auto_retry at the same time"),
		}},
		{name: "is_param with need_render", raw: fromFile("exclusive_default", set("/activities/ok/component/data/bk_display_message/is_param", `true`)), want: []Problem{
			prob(CodeInputRenderConflict, "/activities/ok/component/data/bk_display_message", ids("ok"), nil, "is_param and need_render cannot be selected at the same time"),
		}},

		// Loops.
		{name: "loop checks", raw: fromFile("exclusive_default",
			set("/activities/ok/loop_config", `{"enable": true, "type": "array_loop", "loop_times": 101, "loop_params": {"${item}": "a,b"}}`),
			set("/activities/fallback/loop_config", `{"enable": true, "type": "array_loop", "loop_times": 3, "loop_params": {"${item}": "a, ,b", "${result}": "x,y,z"}}`),
		), want: []Problem{
			prob(CodeLoopVariableGlobal, "/activities/fallback/loop_config/loop_params/${result}", ids("fallback"), nil, "循环变量与全局变量冲突: ${result} (the loop variable has the key of a pipeline constant)"),
			prob(CodeLoopTimesMismatch, "/activities/fallback/loop_config/loop_times", ids("fallback"), nil, "节点 默认处理 的循环次数与循环变量参数不匹配 (loop_times is 3 but the shortest loop parameter has 2 items)"),
			prob(CodeLoopVariableShared, "/activities/ok/loop_config/loop_params/${item}", ids("fallback", "ok"), nil, "循环变量被多个节点使用: ${item} (another node already loops over this variable)"),
			prob(CodeLoopTimesExceeded, "/activities/ok/loop_config/loop_times", ids("ok"), nil, "节点 成功处理 的循环次数超过最大值100 (the node loops more than 100 times)"),
			prob(CodeLoopTimesMismatch, "/activities/ok/loop_config/loop_times", ids("ok"), nil, "节点 成功处理 的循环次数与循环变量参数不匹配 (loop_times is 101 but the shortest loop parameter has 2 items)"),
		}},

		// Constants.
		{name: "constant key differs from its key field", raw: fromFile("exclusive_default", set("/constants/${result}/key", `"${other}"`)), want: []Problem{
			prob(CodeConstantKeyMismatch, "/constants/${result}/key", nil, nil, "变量 「结果」(${result}) 的 key 属性值 ${other} 与实际 key 不匹配，请检查变量配置 (the constant's key field differs from its key in constants)"),
		}},
		{name: "constant without key field", raw: fromFile("exclusive_default", del("/constants/${result}/key"), del("/constants/${result}/name")), want: []Problem{
			prob(CodeConstantKeyMismatch, "/constants/${result}/key", nil, nil, "变量 「${result}」 的 key 属性值 None 与实际 key 不匹配，请检查变量配置 (the constant's key field differs from its key in constants)"),
		}},
		{name: "constant key patterns", raw: fromFile("exclusive_default",
			set("/constants/${_env_key}", `{"key": "${_env_key}", "name": "env", "value": "", "custom_type": "input", "source_type": "custom", "show_type": "show"}`),
			set("/constants/key", `{"key": "key", "name": "bare", "value": "", "custom_type": "input", "source_type": "custom", "show_type": "show"}`),
			set("/constants/${system.key}", `{"key": "${system.key}", "value": "", "custom_type": "input", "source_type": "custom", "show_type": "show"}`),
			set("/outputs", `["${_env_key}", "key", "${result}"]`),
		), want: []Problem{
			prob(CodeConstantKeyPattern, "/constants/${_env_key}", nil, nil, "变量 「env」(${_env_key}) 的 key 格式不合法，请使用 ${variable_name} 格式 (a key is ${name}, name made of letters, digits and _, not starting with _env_)"),
			prob(CodeConstantKeyPattern, "/constants/${system.key}", nil, nil, "变量 「${system.key}」 的 key 格式不合法，请使用 ${variable_name} 格式 (a key is ${name}, name made of letters, digits and _, not starting with _env_)"),
			prob(CodeConstantKeyPattern, "/constants/key", nil, nil, "变量 「bare」(key) 的 key 格式不合法，请使用 ${variable_name} 格式 (a key is ${name}, name made of letters, digits and _, not starting with _env_)"),
			prob(CodeOutputKeyPattern, "/outputs/0", nil, nil, "输出变量 ${_env_key} 的 key 格式不合法 (an output is the key of a constant, ${name})"),
			prob(CodeOutputKeyPattern, "/outputs/1", nil, nil, "输出变量 key 的 key 格式不合法 (an output is the key of a constant, ${name})"),
		}},
		{name: "output constant without source", raw: fromFile("exclusive_default", set("/constants/${result}/source_info", `{"query": []}`)), want: []Problem{
			prob(CodeConstantNoSource, "/constants/${result}/source_info", nil, nil, "变量 「结果」(${result}) 配置无效：该变量类型为组件输出，但未选择有效的输出字段，请在对应节点中重新勾选输出变量或删除该变量 (an output constant needs a node and output key in source_info)"),
		}},
		{name: "source_info names a missing node", raw: fromFile("exclusive_default", set("/constants/${result}/source_info", `{"gone": ["result"]}`)), want: []Problem{
			prob(CodeConstantSourceNode, "/constants/${result}/source_info/gone", ids("gone"), nil, `source_info names node "gone", which is not in the tree`),
		}},
		{name: "lazy variable values", raw: fromFile("exclusive_default",
			set("/constants/${j}", `{"key": "${j}", "name": "j", "value": "{oops", "custom_type": "json_variable", "source_type": "custom", "show_type": "show"}`),
			set("/constants/${ok}", `{"key": "${ok}", "name": "ok", "value": "{\"a\": [1]}", "custom_type": "json_variable", "source_type": "custom", "show_type": "show"}`),
			set("/constants/${tpl}", `{"key": "${tpl}", "name": "tpl", "value": "{${x}}", "custom_type": "json_variable", "source_type": "custom", "show_type": "show"}`),
			set("/constants/${t1}", `{"key": "${t1}", "name": "t1", "value": [{"a": 1}, "row"], "custom_type": "datatable", "source_type": "custom", "show_type": "show"}`),
			set("/constants/${t2}", `{"key": "${t2}", "name": "t2", "value": [{"a": 1}], "custom_type": "datatable", "source_type": "custom", "show_type": "show"}`),
			set("/constants/${t3}", `{"key": "${t3}", "name": "t3", "value": "", "custom_type": "datatable", "source_type": "custom", "show_type": "show"}`),
		), want: []Problem{
			prob(CodeConstantHydrate, "/constants/${j}/value", nil, nil, "变量配置校验失败: 变量 「j」(${j}) 的值不是合法的 JSON (the json_variable's value is not valid JSON)"),
			prob(CodeConstantHydrate, "/constants/${t1}/value", nil, nil, "变量配置校验失败: 变量 「t1」(${t1}) 的值不是表格 (a datatable's value is a list of rows, each an object)"),
		}},
		{name: "constants referring to each other", raw: fromFile("exclusive_default",
			set("/constants/${a}", `{"key": "${a}", "name": "a", "value": "x${b}", "custom_type": "input", "source_type": "custom", "show_type": "show"}`),
			set("/constants/${b}", `{"key": "${b}", "name": "b", "value": "${a.upper()}", "custom_type": "input", "source_type": "custom", "show_type": "show"}`),
			set("/constants/${c}", `{"key": "${c}", "name": "c", "value": "${c}", "custom_type": "input", "source_type": "custom", "show_type": "show"}`),
		), want: []Problem{
			prob(CodeConstantHydrate, "/constants/${a}", nil, nil, "变量配置校验失败: 变量 ${a}, ${b} 之间存在循环引用 (the constants refer to each other in a cycle, so none of them can be rendered)"),
			prob(CodeConstantHydrate, "/constants/${c}", nil, nil, "变量配置校验失败: 变量 ${c} 之间存在循环引用 (the constants refer to each other in a cycle, so none of them can be rendered)"),
		}},

		// Connection rules.
		{name: "start straight to end", raw: fromBuilder(gStartToEnd), want: []Problem{
			prob(CodeConnectionTarget, "/start_event", ids("start", "end"), ids("f1"), "不能连接EmptyEndEvent类型节点 (flows from EmptyStartEvent nodes cannot lead to EmptyEndEvent nodes)"),
		}},
		{name: "activity with two outgoing flows", raw: fromBuilder(gLinear,
			set("/flows/f9", `{"id": "f9", "source": "a2", "target": "start"}`),
			set("/activities/a2/outgoing", `["f3", "f9"]`),
			set("/start_event/incoming", `"f9"`),
		), want: []Problem{
			prob(CodeSchema, "/activities/a2/outgoing", ids("a2"), nil, "must be a flow id or a list of exactly one flow id"),
		}},
		{name: "end event without incoming flows", raw: fromBuilder(gLinear,
			set("/flows/f9", `{"id": "f9", "source": "a1", "target": "start"}`),
			set("/flows/f3/source", `"a1"`),
			set("/activities/a1/outgoing", `"f9"`),
			set("/start_event/incoming", `["f9"]`),
			set("/activities/a2/outgoing", `""`),
			set("/gateways/cg", `{"id": "cg", "type": "ConvergeGateway", "name": "", "incoming": ["f3"], "outgoing": ""}`),
			set("/flows/f3/target", `"cg"`),
			set("/end_event/incoming", `[]`),
		), want: []Problem{
			prob(CodeSchema, "/end_event/incoming", nil, nil, "must be a flow id or a non-empty list of flow ids"),
		}},
		{name: "connection degrees", raw: fromBuilder(gLinear,
			// a1 -> start (f9): start gets an incoming flow, a1 leads to the start;
			// a2 keeps no incoming flow.
			set("/flows/f9", `{"id": "f9", "source": "a1", "target": "start"}`),
			del("/flows/f2"),
			set("/activities/a1/outgoing", `"f9"`),
			set("/start_event/incoming", `["f9"]`),
			set("/activities/a2/incoming", `""`),
		), want: []Problem{
			prob(CodeConnectionTarget, "/activities/a1", ids("a1", "start"), ids("f9"), "不能连接EmptyStartEvent类型节点 (flows from ServiceActivity nodes cannot lead to EmptyStartEvent nodes)"),
			prob(CodeConnectionInDegree, "/activities/a2", ids("a2"), nil, "节点的入度最大为1000，最小为1 (ServiceActivity nodes have 1 to 1000 incoming flows; this one has 0)"),
			prob(CodeConnectionInDegree, "/start_event", ids("start"), nil, "节点的入度最大为0，最小为0 (EmptyStartEvent nodes have exactly 0 incoming flows; this one has 1)"),
		}},
		{name: "activity without outgoing flow", raw: fromBuilder(gLinear,
			del("/flows/f2"),
			set("/activities/a1/outgoing", `""`),
			set("/activities/a2/incoming", `""`),
		), want: []Problem{
			prob(CodeConnectionOutDegree, "/activities/a1", ids("a1"), nil, "节点的出度最大为1，最小为1 (ServiceActivity nodes have exactly 1 outgoing flow; this one has 0)"),
			prob(CodeConnectionInDegree, "/activities/a2", ids("a2"), nil, "节点的入度最大为1000，最小为1 (ServiceActivity nodes have 1 to 1000 incoming flows; this one has 0)"),
		}},
		{name: "converge gateway with two outgoing flows", raw: fromBuilder(gParallelToEnd,
			set("/flows/f9", `{"id": "f9", "source": "cg1", "target": "a2"}`),
			set("/gateways/cg1/outgoing", `["f5", "f9"]`),
			set("/activities/a2/incoming", `["f3", "f9"]`),
		), want: []Problem{
			prob(CodeSchema, "/gateways/cg1/outgoing", ids("cg1"), nil, "must be a flow id or a list of exactly one flow id"),
		}},

		{name: "more than 1000 branches", raw: fromBuilder(gWide(1001)), want: []Problem{
			prob(CodeConnectionInDegree, "/gateways/cg", ids("cg"), nil, "节点的入度最大为1000，最小为1 (ConvergeGateway nodes have 1 to 1000 incoming flows; this one has 1001)"),
			prob(CodeConnectionOutDegree, "/gateways/pg", ids("pg"), nil, "节点的出度最大为1000，最小为1 (ParallelGateway nodes have 1 to 1000 outgoing flows; this one has 1001)"),
		}},
		{name: "1000 branches", raw: fromBuilder(gWide(1000))},

		// Gateway matching.
		{name: "activities in a cycle without a gateway", raw: fromBuilder(gActivityCycle), want: []Problem{
			prob(CodeActivityCycle, "/activities/a1", ids("a1"), nil, "activities loop back to each other without a gateway: a1, a2 (the flow could never leave the loop)"),
		}},
		{name: "gateway unreachable from the start", raw: fromBuilder(gIsland,
			set("/activities/a5", `{"id": "a5", "type": "ServiceActivity", "name": "a5", "incoming": ["f9"], "outgoing": "f8", "component": {"code": "c", "data": {}}}`),
			set("/gateways/eg9", `{"id": "eg9", "type": "ExclusiveGateway", "name": "", "incoming": ["f8"], "outgoing": ["f9"], "conditions": {"f9": {"evaluate": "1 == 1"}}}`),
			set("/flows/f8", `{"id": "f8", "source": "a5", "target": "eg9"}`),
			set("/flows/f9", `{"id": "f9", "source": "eg9", "target": "a5"}`),
		), want: []Problem{
			prob(CodeGatewayDistance, "/gateways/eg9", ids("eg9"), nil, "无法获取该网关距离开始节点的距离 (the gateway cannot be reached from the start event without going round a loop)"),
		}},
		{name: "branch gateway in a parallel block ends the flow", raw: fromBuilder(gParallelExclusiveToEnd), want: []Problem{
			prob(CodeGatewayBranchEscape, "/gateways/eg1", ids("eg1"), nil, "并行网关中的分支网关必须将所有分支汇聚到一个汇聚网关 (inside a parallel block, every branch of a branch gateway must join at one converge gateway: none may end, loop back out of the block or skip the converge)"),
		}},
		{name: "branches of a branch gateway reach different converges", raw: fromBuilder(gExclusiveTwoConverges), want: []Problem{
			prob(CodeGatewayExclusive, "/gateways/eg1", ids("eg1"), nil, "分支网关的所有分支第一个遇到的汇聚网关必须是同一个 (the first converge gateway each branch of the branch gateway reaches must be the same one)"),
		}},
		{name: "parallel branch to the end", raw: fromBuilder(gParallelToEnd), want: []Problem{
			prob(CodeGatewayInvalid, "/gateways/pg1", ids("pg1"), nil, "非法网关, 请检查其分支是否符合规则, cur_index: pg1, targets: ['cg1', 'end'] (a parallel gateway's branches must all join at one converge gateway, and a branch gateway's branches must join at one, end, or loop back)"),
		}},
		{name: "converge shared by two parallel gateways", raw: fromBuilder(gTwoParallelsOneConverge), want: []Problem{
			prob(CodeConvergeShared, "/gateways/cg1", ids("cg1", "pg2"), nil, "汇聚网关只能汇聚来自同一个并行网关的分支 (the converge gateway joins branches of more than one parallel gateway)"),
		}},
		{name: "converge missing branches", raw: fromBuilder(gConvergeIncomplete), want: []Problem{
			prob(CodeConvergeIncomplete, "/gateways/cg1", ids("cg1", "pg1"), nil, "汇聚网关没有汇聚其对应的并行网关的所有分支 (the parallel gateway has more branches than its converge gateway has incoming flows)"),
		}},

		// Streams.
		{name: "edge between parallel branches", raw: fromBuilder(gBranchJump), want: []Problem{
			prob(CodeStream, "/activities/a3", ids("a3"), nil, msgStream),
		}},
		{name: "isolated nodes", raw: fromBuilder(gIsland,
			set("/activities/a5", `{"id": "a5", "type": "ServiceActivity", "name": "a5", "incoming": ["f9"], "outgoing": "f8", "component": {"code": "c", "data": {}}}`),
			set("/activities/a6", `{"id": "a6", "type": "ServiceActivity", "name": "a6", "incoming": ["f8"], "outgoing": "f9", "component": {"code": "c", "data": {}}}`),
			set("/flows/f8", `{"id": "f8", "source": "a5", "target": "a6"}`),
			set("/flows/f9", `{"id": "f9", "source": "a6", "target": "a5"}`),
		), want: []Problem{
			prob(CodeIsolatedNode, "/activities/a5", ids("a5"), nil, msgIsolated),
			prob(CodeIsolatedNode, "/activities/a6", ids("a6"), nil, msgIsolated),
		}},

		// Embedded subprocess trees are validated too.
		{name: "problem inside an embedded subprocess", raw: fromFile("subprocess_embedded", del("/activities/sp1/pipeline/activities/c_act/component")), want: []Problem{
			prob(CodeComponentMissing, "/activities/sp1/pipeline/activities/c_act/component", ids("c_act"), nil, "a ServiceActivity needs a component"),
		}},
	}
	p := newTestParser(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := p.Check(tc.raw(t))
			require.Equal(t, tc.want, problemsOf(t, err))
		})
	}
}

// TestProblemString checks the one-line rendering of problems.
func TestProblemString(t *testing.T) {
	cases := []struct {
		p    Problem
		want string
	}{
		{p: prob(CodeSchema, "/activities/n1/name", ids("n1"), nil, "length must be >= 1"), want: "[node n1] /activities/n1/name: length must be >= 1"},
		{p: prob(CodeConnectionTarget, "/activities/n1", ids("n1", "n2"), ids("l2"), "m"), want: "[node n1, node n2, flow l2] m"},
		{p: prob(CodeIDMismatch, "/flows/l1", nil, ids("l1"), "m"), want: "[flow l1] m"},
		{p: prob(CodeSchema, "/outputs", nil, nil, "m"), want: "/outputs: m"},
		{p: prob(CodeInvalidJSON, "", nil, nil, "m"), want: "m"},
		{p: prob(CodeStream, "/start_event", ids("s"), nil, "m"), want: "[node s] m"},
		{p: prob(CodeSchema, "/activities/a~1b", ids("a/b"), nil, "m"), want: "[node a/b] m"},
	}
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) {
			require.Equal(t, tc.want, tc.p.String())
		})
	}
	err := &ValidationError{Problems: []Problem{cases[0].p, cases[3].p}}
	require.Equal(t, "[node n1] /activities/n1/name: length must be >= 1\n/outputs: m", err.Error())
}
