// Package pipeline is BKFlow's pipeline_tree protocol: the web form access
// systems and the canvas send (Web, Tree), its validation (Validate, with
// bamboo-engine's connection, gateway and stream rules), its conversion to
// the engine form the interpreter runs (ToEngine, Engine) and the transforms
// of task creation (RegenerateIDs, ConvertSubprocesses, ExcludeOptional).
package pipeline

// The web form of a pipeline tree: what BKFlow's APIs accept and return
// (templates, tasks, validate_pipeline_tree). It comes in two shapes here:
//
//   - Tree, the generic JSON form (map[string]any). API code stores and
//     returns the caller's tree, so every transform that changes a tree
//     (name standardisation, id regeneration, subprocess conversion,
//     optional-node exclusion, converge_gateway_id write-back) works on a
//     Tree and keeps fields it does not know (line, location, canvas and UI
//     metadata) as they are.
//   - Web, the typed form decoded from a Tree by Parser.ParseTree: what
//     validation and conversion to the engine form read. Web.Tree points at
//     the Tree it was decoded from.

// Tree is a web pipeline tree in generic JSON form: objects are
// map[string]any, arrays []any, numbers json.Number (so they survive a round
// trip unchanged), plus string, bool and nil. DecodeTree produces one.
type Tree = map[string]any

// Web is the typed web tree. Incoming and outgoing flow lists are normalised
// to []string whatever shape (string or list) the tree uses.
type Web struct {
	ID         string                  `json:"id,omitempty"`
	StartEvent *WebEvent               `json:"start_event"`
	EndEvent   *WebEvent               `json:"end_event"`
	Activities map[string]*WebActivity `json:"activities"`
	Gateways   map[string]*WebGateway  `json:"gateways"`
	Flows      map[string]*WebFlow     `json:"flows"`
	// Constants are the pipeline's variables, keyed "${key}".
	Constants map[string]*WebConstant `json:"constants"`
	// Outputs are the constant keys exported when the pipeline ends.
	Outputs []string `json:"outputs"`

	// Tree is the generic tree this was decoded from (names standardised).
	// Validate writes the converge_gateway_id it computes back into it.
	Tree Tree `json:"-"`

	validated bool
}

// WebEvent is the start_event (EmptyStartEvent) or end_event (EmptyEndEvent).
type WebEvent struct {
	ID       string   `json:"id"`
	Type     string   `json:"type"`
	Name     string   `json:"name"`
	Incoming []string `json:"incoming"`
	Outgoing []string `json:"outgoing"`
}

// WebFlow is one entry of flows. is_default is deprecated and ignored.
type WebFlow struct {
	ID     string `json:"id"`
	Source string `json:"source"`
	Target string `json:"target"`
}

// WebActivity is a ServiceActivity (task node) or a SubProcess. Options are
// decoded the way BKFlow reads them: booleans by Python truthiness,
// skippable/retryable default true (legacy isSkipped/can_retry), auto_retry
// clamped to 10 times / 10 s.
type WebActivity struct {
	ID       string   `json:"id"`
	Type     string   `json:"type"` // TypeActivity or TypeSubProcess
	Name     string   `json:"name"`
	Incoming []string `json:"incoming"`
	Outgoing []string `json:"outgoing"`

	// ServiceActivity.
	Component      *WebComponent `json:"component,omitempty"`
	ErrorIgnorable bool          `json:"error_ignorable"`
	Skippable      bool          `json:"skippable"`
	Retryable      bool          `json:"retryable"`
	// Optional nodes may be excluded when a task is created (ExcludeOptional).
	// An absent optional counts as false.
	Optional  bool      `json:"optional"`
	AutoRetry AutoRetry `json:"auto_retry"`
	Timeout   Timeout   `json:"timeout_config"`
	// Loop is loop_config when enabled, nil otherwise.
	Loop *LoopConfig `json:"loop_config,omitempty"`
	// ExecutorProxy, when set, runs the node as that user.
	ExecutorProxy  string `json:"executor_proxy,omitempty"`
	TemplateNodeID string `json:"template_node_id,omitempty"`

	// SubProcess: the referenced template and the child's constants as the
	// parent sets them; Pipeline is the embedded child tree, when present.
	TemplateID      any                     `json:"template_id,omitempty"`
	Version         string                  `json:"version,omitempty"`
	AlwaysUseLatest bool                    `json:"always_use_latest,omitempty"`
	Constants       map[string]*WebConstant `json:"constants,omitempty"`
	Pipeline        *Web                    `json:"pipeline,omitempty"`

	// timeoutEnable is timeout_config.enable as written (Timeout.Enable is
	// also false when the seconds are unusable); the option conflict check
	// reads the raw flag, as BKFlow does.
	timeoutEnable bool
}

// WebComponent is a ServiceActivity's plugin and form data.
type WebComponent struct {
	Code    string               `json:"code"`
	Version string               `json:"version"` // "legacy" when absent
	Data    map[string]*WebInput `json:"data"`
	// APIMeta is uniform_api's api_meta, passed to the plugin as an input.
	APIMeta any `json:"api_meta,omitempty"`
}

// WebInput is one entry of component.data.
type WebInput struct {
	Hook       bool `json:"hook"`
	Value      any  `json:"value"`
	NeedRender bool `json:"need_render"` // true when absent
	IsParam    bool `json:"is_param"`

	// needRenderSet is need_render as written (truthy), for the
	// is_param/need_render conflict check, which ignores the default.
	needRenderSet bool
}

// WebGateway is one entry of gateways.
type WebGateway struct {
	ID       string   `json:"id"`
	Type     string   `json:"type"`
	Name     string   `json:"name"`
	Incoming []string `json:"incoming"`
	Outgoing []string `json:"outgoing"`
	// Conditions of ExclusiveGateway and ConditionalParallelGateway, keyed by
	// outgoing flow id. The default flow is normally not among them.
	Conditions       map[string]*WebCondition `json:"conditions,omitempty"`
	DefaultCondition *WebDefaultCondition     `json:"default_condition,omitempty"`
	// ParseLang is extra_info.parse_lang ("" when absent: boolrule).
	ParseLang string `json:"parse_lang,omitempty"`
	// ConvergeGatewayID is computed by Validate; what the tree says is ignored.
	ConvergeGatewayID string `json:"converge_gateway_id,omitempty"`
	TemplateNodeID    string `json:"template_node_id,omitempty"`
}

// WebCondition is one gateway branch condition.
type WebCondition struct {
	Evaluate string `json:"evaluate"`
	Name     string `json:"name,omitempty"`
	Tag      string `json:"tag,omitempty"`
}

// WebDefaultCondition names the branch taken when no condition holds.
type WebDefaultCondition struct {
	FlowID string `json:"flow_id"`
	Name   string `json:"name,omitempty"`
	Tag    string `json:"tag,omitempty"`
}

// Constant source types.
const (
	SourceComponentInputs  = "component_inputs"
	SourceComponentOutputs = "component_outputs"
	SourceCustom           = "custom"
	SourceSystem           = "system"
)

// Constant show types.
const (
	ShowTypeShow = "show"
	ShowTypeHide = "hide"
)

// WebConstant is one pipeline variable (an entry of constants). Absent
// custom_type, source_type and show_type read as "", "custom" and "hide".
type WebConstant struct {
	Key        string `json:"key"`
	Name       string `json:"name"`
	Desc       string `json:"desc,omitempty"`
	Value      any    `json:"value"`
	CustomType string `json:"custom_type"`
	SourceType string `json:"source_type"`
	SourceTag  string `json:"source_tag"`
	// SourceInfo maps a node id to the input or output keys of that node the
	// variable is hooked to.
	SourceInfo    map[string][]string `json:"source_info"`
	ShowType      string              `json:"show_type"`
	Validation    string              `json:"validation,omitempty"`
	PreRenderMako bool                `json:"pre_render_mako,omitempty"`
	// NeedRender (true when absent) applies to subprocess parameters.
	NeedRender bool `json:"need_render"`
	IsMeta     bool `json:"is_meta,omitempty"`
	Meta       any  `json:"meta,omitempty"`

	// rawKey is the key field as written (nil when absent), for the
	// key-mismatch message.
	rawKey any
}

// IsLazyCustomType reports whether a constant of this custom_type becomes a
// lazy variable in the engine form: the types BKFlow registers as lazy
// variables (bkflow/pipeline_plugins/variables), whose value the variable type
// computes at render time. The other types (input, textarea, int, datetime,
// datetime_range, ...) are plain or splice variables.
func IsLazyCustomType(customType string) bool {
	switch customType {
	case "select", "json_variable", "datatable", "bk_user_selector":
		return true
	}
	return false
}
