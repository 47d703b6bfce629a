package pipeline

import (
	"cmp"
	"slices"
	"strings"
)

// Problem codes. Schema and decoding problems come from Parser.Parse; the
// others from Validate.
const (
	CodeInvalidJSON = "invalid_json" // the document is not a JSON object
	CodeSchema      = "schema"       // the JSON schema of the web tree (§8.2)
	CodeFieldType   = "field_type"   // a field the schema leaves open has an unusable value

	// Structure: ids and references.
	CodeDuplicateNodeID     = "duplicate_node_id"
	CodeIDMismatch          = "id_mismatch"
	CodeUnknownFlow         = "unknown_flow"
	CodeFlowUnknownNode     = "flow_unknown_node"
	CodeFlowMismatch        = "flow_mismatch"
	CodeFlowUnlisted        = "flow_unlisted"
	CodeFlowDuplicate       = "flow_duplicate"
	CodeConditionUnknown    = "condition_unknown_flow"
	CodeDefaultUnknown      = "default_condition_unknown_flow"
	CodeConditionMissing    = "condition_missing"
	CodeComponentMissing    = "component_missing"
	CodeTimeoutConflict     = "timeout_conflict"
	CodeInputRenderConflict = "input_render_conflict"

	// Loops (template save checks).
	CodeLoopTimesExceeded  = "loop_times_exceeded"
	CodeLoopTimesMismatch  = "loop_times_mismatch"
	CodeLoopVariableShared = "loop_variable_shared"
	CodeLoopVariableGlobal = "loop_variable_conflict"

	// Constants.
	CodeConstantKeyMismatch = "constant_key_mismatch"
	CodeConstantKeyPattern  = "constant_key_pattern"
	CodeConstantNoSource    = "constant_no_output_source"
	CodeConstantSourceNode  = "constant_source_unknown_node"
	CodeConstantHydrate     = "constant_hydrate"
	CodeOutputKeyPattern    = "output_key_pattern"

	// Graph (bamboo-engine's validator).
	CodeConnectionTarget    = "connection_target"
	CodeConnectionInDegree  = "connection_in_degree"
	CodeConnectionOutDegree = "connection_out_degree"
	CodeActivityCycle       = "activity_cycle"
	CodeGatewayDistance     = "gateway_distance"
	CodeGatewayBranchEscape = "gateway_branch_escape"
	CodeGatewayExclusive    = "gateway_exclusive_converge"
	CodeGatewayInvalid      = "gateway_invalid"
	CodeConvergeShared      = "converge_shared"
	CodeConvergeIncomplete  = "converge_incomplete"
	CodeStream              = "stream"
	CodeIsolatedNode        = "isolated_node"
)

// Problem is one reason a tree is invalid. Path is a JSON pointer into the
// web tree ("/activities/n1/name"); NodeIDs and FlowIDs name the nodes and
// flows involved (for schema problems, the node or flow the path is in).
type Problem struct {
	Code    string   `json:"code"`
	Path    string   `json:"path"`
	NodeIDs []string `json:"node_ids"`
	FlowIDs []string `json:"flow_ids"`
	Message string   `json:"message"`
}

// String renders the problem on one line: "[node n1, flow l2] message",
// with the path before the message when it says more than the ids do.
func (p Problem) String() string {
	var sb strings.Builder
	var ids []string
	for _, id := range p.NodeIDs {
		ids = append(ids, "node "+id)
	}
	for _, id := range p.FlowIDs {
		ids = append(ids, "flow "+id)
	}
	if len(ids) > 0 {
		sb.WriteString("[" + strings.Join(ids, ", ") + "] ")
	}
	if p.Path != "" && !p.pathIsOwnNode() {
		sb.WriteString(p.Path + ": ")
	}
	sb.WriteString(p.Message)
	return sb.String()
}

// pathIsOwnNode reports whether Path only locates the first node or flow the
// problem names, so printing it would repeat the ids.
func (p Problem) pathIsOwnNode() bool {
	if len(p.NodeIDs) > 0 {
		id := escapePointer(p.NodeIDs[0])
		switch p.Path {
		case "/activities/" + id, "/gateways/" + id, "/start_event", "/end_event":
			return true
		}
	}
	if len(p.NodeIDs) == 0 && len(p.FlowIDs) > 0 {
		return p.Path == "/flows/"+escapePointer(p.FlowIDs[0])
	}
	return false
}

// ValidationError carries every problem found, sorted.
type ValidationError struct {
	Problems []Problem
}

// Error returns one line per problem.
func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// problems collects problems while a check runs.
type problems struct {
	list []Problem
}

func (ps *problems) add(p Problem) {
	if p.NodeIDs == nil {
		p.NodeIDs = []string{}
	}
	if p.FlowIDs == nil {
		p.FlowIDs = []string{}
	}
	ps.list = append(ps.list, p)
}

func (ps *problems) empty() bool { return len(ps.list) == 0 }

// err returns the collected problems, sorted and without duplicates, as a
// *ValidationError, or nil.
func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	return &ValidationError{Problems: sortProblems(ps.list)}
}

func sortProblems(list []Problem) []Problem {
	out := slices.Clone(list)
	slices.SortFunc(out, func(a, b Problem) int {
		return cmp.Or(
			cmp.Compare(a.Path, b.Path),
			cmp.Compare(a.Code, b.Code),
			slices.Compare(a.NodeIDs, b.NodeIDs),
			slices.Compare(a.FlowIDs, b.FlowIDs),
			cmp.Compare(a.Message, b.Message),
		)
	})
	return slices.CompactFunc(out, func(a, b Problem) bool {
		return a.Path == b.Path && a.Code == b.Code && a.Message == b.Message &&
			slices.Equal(a.NodeIDs, b.NodeIDs) && slices.Equal(a.FlowIDs, b.FlowIDs)
	})
}

// escapePointer escapes one JSON pointer reference token (RFC 6901).
func escapePointer(tok string) string {
	if !strings.ContainsAny(tok, "~/") {
		return tok
	}
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1")
}

// pointer joins reference tokens into a JSON pointer.
func pointer(base string, toks ...string) string {
	var sb strings.Builder
	sb.WriteString(base)
	for _, t := range toks {
		sb.WriteByte('/')
		sb.WriteString(escapePointer(t))
	}
	return sb.String()
}
