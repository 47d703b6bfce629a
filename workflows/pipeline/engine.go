package pipeline

// Node types of the pipeline_tree protocol.
const (
	TypeStart               = "EmptyStartEvent"
	TypeEnd                 = "EmptyEndEvent"
	TypeActivity            = "ServiceActivity"
	TypeSubProcess          = "SubProcess"
	TypeExclusive           = "ExclusiveGateway"
	TypeParallel            = "ParallelGateway"
	TypeConditionalParallel = "ConditionalParallelGateway"
	TypeConverge            = "ConvergeGateway"
)

// Variable types of engine inputs (data.inputs and component inputs).
const (
	VarPlain  = "plain"
	VarSplice = "splice"
	VarLazy   = "lazy"
)

// Engine is the engine form of a pipeline tree: what the interpreter runs.
// It is built from a validated web tree by ToEngine and is plain data, so it
// travels as workflow input and is deterministic to walk.
type Engine struct {
	ID      string           `json:"id"`
	StartID string           `json:"start_id"`
	EndID   string           `json:"end_id"`
	Nodes   map[string]*Node `json:"nodes"`
	Flows   map[string]*Flow `json:"flows"`
	// Inputs are the pipeline's variables (web constants), keyed "${key}".
	Inputs map[string]Var `json:"inputs"`
	// Outputs are the keys ("${key}") exported when the pipeline ends.
	Outputs []string `json:"outputs"`
	// PreRenderKeys are rendered once at start and frozen ("${key}", sorted).
	PreRenderKeys []string `json:"pre_render_keys,omitempty"`
}

// Flow is an edge between two nodes.
type Flow struct {
	ID     string `json:"id"`
	Source string `json:"source"`
	Target string `json:"target"`
}

// Var is one pipeline variable in engine form (bamboo's data.inputs entry).
type Var struct {
	Type       string `json:"type"` // VarPlain, VarSplice or VarLazy
	Value      any    `json:"value"`
	IsParam    bool   `json:"is_param,omitempty"`
	CustomType string `json:"custom_type,omitempty"` // lazy variables' type code
	SourceTag  string `json:"source_tag,omitempty"`
	// SourceAct and SourceKey name the node output a component_outputs
	// variable takes its value from.
	SourceAct string `json:"source_act,omitempty"`
	SourceKey string `json:"source_key,omitempty"`
	// NoRender passes Value literally, without rendering its ${...}
	// templates (need_render: false on a subprocess parameter).
	NoRender bool `json:"no_render,omitempty"`
}

// Node is one node of the engine tree. Which fields are set depends on Type.
type Node struct {
	ID       string   `json:"id"`
	Type     string   `json:"type"`
	Name     string   `json:"name"`
	Incoming []string `json:"incoming"`
	Outgoing []string `json:"outgoing"`

	// ServiceActivity.
	Component      *Component  `json:"component,omitempty"`
	ErrorIgnorable bool        `json:"error_ignorable,omitempty"`
	Skippable      bool        `json:"skippable,omitempty"`
	Retryable      bool        `json:"retryable,omitempty"`
	AutoRetry      AutoRetry   `json:"auto_retry,omitzero"`
	Timeout        Timeout     `json:"timeout_config,omitzero"`
	Loop           *LoopConfig `json:"loop_config,omitempty"`
	TemplateNodeID string      `json:"template_node_id,omitempty"`
	ExecutorProxy  string      `json:"executor_proxy,omitempty"`

	// SubProcess in the embedded form: the child tree and the parameters
	// rendered in the parent's context and handed to it.
	Pipeline *Engine        `json:"pipeline,omitempty"`
	Params   map[string]Var `json:"params,omitempty"`
	// GlobalOutputs maps an output key of the subprocess ("${key}" of the
	// child) to the pipeline variable it is written to.
	GlobalOutputs map[string]string `json:"global_outputs,omitempty"`

	// ExclusiveGateway and ConditionalParallelGateway: the conditions in the
	// order of Outgoing, and the default branch (not among Conditions).
	Conditions []Condition `json:"conditions,omitempty"`
	Default    *Condition  `json:"default_condition,omitempty"`
	ParseLang  string      `json:"parse_lang,omitempty"` // boolrule (default), FEEL or MAKO
	// ParallelGateway, ConditionalParallelGateway and (when matched)
	// ExclusiveGateway: the converge gateway its branches join at.
	ConvergeGatewayID string `json:"converge_gateway_id,omitempty"`
}

// Component is a ServiceActivity's plugin and inputs.
type Component struct {
	Code    string           `json:"code"`
	Version string           `json:"version"`
	Inputs  map[string]Input `json:"inputs"`
	// GlobalOutputs maps an output key of this node to the pipeline variable
	// ("${key}") it is written to (component_outputs constants).
	GlobalOutputs map[string]string `json:"global_outputs,omitempty"`
}

// Input is one component input in engine form.
type Input struct {
	Type       string `json:"type"` // VarPlain, VarSplice or VarLazy
	Value      any    `json:"value"`
	NeedRender bool   `json:"need_render"`
	IsParam    bool   `json:"is_param,omitempty"`
}

// Condition is one branch of a conditional gateway.
type Condition struct {
	FlowID   string `json:"flow_id"`
	TargetID string `json:"target_id"`
	Name     string `json:"name,omitempty"`
	Evaluate string `json:"evaluate,omitempty"`
}

// AutoRetry retries a failed node automatically (times ≤ 10, interval ≤ 10 s).
type AutoRetry struct {
	Enable   bool `json:"enable"`
	Interval int  `json:"interval"` // seconds
	Times    int  `json:"times"`
}

// Timeout fails (and optionally skips) a node running longer than Seconds.
type Timeout struct {
	Enable  bool   `json:"enable"`
	Seconds int    `json:"seconds"`
	Action  string `json:"action"` // forced_fail or forced_fail_and_skip
}

// LoopConfig runs a node several times (array_loop).
type LoopConfig struct {
	Enable     bool              `json:"enable"`
	Type       string            `json:"type"`
	LoopTimes  int               `json:"loop_times"`
	LoopParams map[string]string `json:"loop_params,omitempty"`
	FailSkip   bool              `json:"fail_skip,omitempty"`
	Retryable  bool              `json:"retryable,omitempty"`
	Skippable  bool              `json:"skippable,omitempty"`
	OutputsKey string            `json:"outputs_key,omitempty"`
}

// Timeout actions.
const (
	TimeoutForcedFail        = "forced_fail"
	TimeoutForcedFailAndSkip = "forced_fail_and_skip"
)

// Target returns the node a flow leads to, or "".
func (e *Engine) Target(flowID string) string {
	if f, ok := e.Flows[flowID]; ok {
		return f.Target
	}
	return ""
}

// Next returns the node after a node with exactly one outgoing flow, or "".
func (e *Engine) Next(n *Node) string {
	if len(n.Outgoing) != 1 {
		return ""
	}
	return e.Target(n.Outgoing[0])
}
