package pipeline

import (
	"fmt"
	"maps"
	"slices"
)

// CodeComponentUnknown is the problem of a node whose component (code and
// version) the engine does not have.
const CodeComponentUnknown = "component_unknown"

// PrepareOptions say how Prepare turns a web tree into a task's trees.
type PrepareOptions struct {
	// Constants override the values of the tree's constants ("${key}" →
	// value); keys the tree does not have are ignored, as BKFlow does.
	Constants map[string]any
	// Exclude lists optional activities (ids of the given tree) to remove.
	Exclude []string
	// InstanceID becomes the task tree's id (the pipeline id).
	InstanceID string
	// NewID generates node and flow ids (nil: NewID).
	NewID func(kind byte) string
	// Component resolves a node's component to the version that will run
	// ("" or "legacy" means the component's only or legacy version); false
	// refuses the node. nil accepts every component as written.
	Component func(code, version string) (string, bool)
}

// Prepared is a task's tree ready to store and run.
type Prepared struct {
	// Web is the task's own web tree: constants applied, optional nodes
	// excluded, template subprocesses converted to subprocess_plugin, ids
	// regenerated (each activity and gateway keeps its template_node_id).
	Web Tree
	// Engine is the form the interpreter runs, components pinned.
	Engine *Engine
	// Parameters are the values of every constant ("${key}" → value).
	Parameters map[string]any
	// IDs maps the given tree's node and flow ids to the task's.
	IDs map[string]string
}

// ProblemExclude is the Problem code of a node that cannot be excluded
// (unknown, or not optional); API callers report it against the exclude list.
const ProblemExclude = "exclude"

// Prepare applies BKFlow's task-creation transforms (reference §8.10) to a
// copy of t: constant overrides, optional-node exclusion, name
// standardisation and full validation, conversion of template subprocesses
// to subprocess_plugin, id regeneration, then the engine form with every
// component checked. Every problem is returned at once as a
// *ValidationError naming the nodes and flows; t itself is never changed.
func (p *Parser) Prepare(t Tree, opts PrepareOptions) (*Prepared, error) {
	work := CloneTree(t)
	ApplyConstants(work, opts.Constants)
	if len(opts.Exclude) > 0 {
		if _, err := ExcludeOptional(work, opts.Exclude); err != nil {
			return nil, &ValidationError{Problems: []Problem{{Code: ProblemExclude, Path: "/activities",
				NodeIDs: []string{}, FlowIDs: []string{}, Message: err.Error()}}}
		}
	}
	w, err := p.ParseTree(work)
	if err != nil {
		return nil, err
	}
	if err := Validate(w); err != nil {
		return nil, err
	}
	ConvertTemplateSubprocesses(work)
	ids, err := RegenerateIDs(work, opts.NewID)
	if err != nil {
		return nil, &ValidationError{Problems: []Problem{{Code: "ids", NodeIDs: []string{}, FlowIDs: []string{},
			Message: err.Error()}}}
	}
	if opts.InstanceID != "" {
		work["id"] = opts.InstanceID
	}
	if w, err = p.ParseTree(work); err != nil {
		return nil, err
	}
	if err := Validate(w); err != nil {
		return nil, err
	}
	eng, err := ToEngine(w)
	if err != nil {
		return nil, err
	}
	if opts.Component != nil {
		if err := pinComponents(eng, "", opts.Component); err != nil {
			return nil, err
		}
	}
	return &Prepared{Web: work, Engine: eng, Parameters: ConstantValues(work), IDs: ids}, nil
}

// ApplyConstants overrides the values of the constants t has; other keys
// are ignored, as BKFlow does. A meta constant (is_meta) keeps a copy of
// itself as it was in "meta" before its value is replaced.
func ApplyConstants(t Tree, constants map[string]any) {
	cs := objectAt(t, "constants")
	for _, k := range slices.Sorted(maps.Keys(constants)) {
		c := asObject(cs[k])
		if c == nil {
			continue
		}
		if isMeta, _ := c["is_meta"].(bool); isMeta {
			c["meta"] = maps.Clone(c)
		}
		c["value"] = constants[k]
	}
}

// ConstantValues returns "${key}" → value for every constant of t.
func ConstantValues(t Tree) map[string]any {
	out := map[string]any{}
	for k, c := range objectAt(t, "constants") {
		if cm := asObject(c); cm != nil {
			out[k] = cm["value"]
		}
	}
	return out
}

// pinComponents resolves every component of e (and of its embedded
// subprocesses) to the version that will run.
func pinComponents(e *Engine, path string, resolve func(code, version string) (string, bool)) error {
	var ps problems
	var walk func(e *Engine, path string)
	walk = func(e *Engine, path string) {
		for _, id := range slices.Sorted(maps.Keys(e.Nodes)) {
			n := e.Nodes[id]
			if n.Pipeline != nil {
				walk(n.Pipeline, path+"/activities/"+escapePointer(id)+"/pipeline")
			}
			if n.Component == nil {
				continue
			}
			v, ok := resolve(n.Component.Code, n.Component.Version)
			if !ok {
				version := n.Component.Version
				if version == "" {
					version = "legacy"
				}
				ps.add(Problem{Code: CodeComponentUnknown, Path: path + "/activities/" + escapePointer(id) + "/component",
					NodeIDs: []string{id},
					Message: fmt.Sprintf("component %s version %s is not registered", n.Component.Code, version)})
				continue
			}
			n.Component.Version = v
		}
	}
	walk(e, path)
	return ps.err()
}
