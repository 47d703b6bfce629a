package activities

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/bkflow/bkflow/workflows/pipeline"
)

// TemplateSource loads the engine tree of a template (an exact version, or
// the latest one when latest is set) for subprocess_plugin. The API/store
// layer implements it. Errors marked Retryable are retried by Temporal;
// others fail the node.
type TemplateSource interface {
	LoadTemplateTree(ctx context.Context, spaceID, templateID int64, version string, latest bool) (*pipeline.Engine, error)
}

// ChildResult is the callback data the interpreter hands a subprocess_plugin
// node (Request.Callback) when its child task has ended.
type ChildResult struct {
	TaskSuccess bool  `json:"task_success"`
	TaskID      int64 `json:"task_id"`
	// Outputs are the child pipeline's outputs, keyed as the child exports
	// them; they become the node's outputs.
	Outputs map[string]any `json:"outputs,omitempty"`
}

// subprocessFailed is the ex_data of a node whose child task failed.
const subprocessFailed = "子流程执行失败，请检查失败节点"

// subprocess is subprocess_plugin 1.0.0 (子流程): the node runs another
// template as an independent child task. Execute loads the child tree and
// asks the interpreter to start it (OutcomeChild); the interpreter calls
// Schedule with a ChildResult when the child ends.
//
// The constants of the subprocess input are returned as they are in
// ChildTask.Constants: rendering the parent's ${...} references in them (as
// BKFlow does for constants shown to the parent) is the interpreter's job,
// since only it holds the parent's context.
type subprocess struct {
	templates TemplateSource
	now       func() time.Time
	loc       *time.Location
}

var _ Component = (*subprocess)(nil)

// NewSubprocess returns the subprocess_plugin component. templates may be nil
// (then the node fails: "subprocess templates are not available in this
// deployment"); now is the clock (nil: time.Now) and loc the time zone of the
// child task's name (nil: UTC).
func NewSubprocess(templates TemplateSource, now func() time.Time, loc *time.Location) Component {
	if now == nil {
		now = time.Now
	}
	if loc == nil {
		loc = time.UTC
	}
	return &subprocess{templates: templates, now: now, loc: loc}
}

func (*subprocess) Spec() Spec {
	return Spec{
		Code:        "subprocess_plugin",
		Version:     "1.0.0",
		Name:        "子流程",
		Description: "以独立子任务运行另一个流程模板",
		Inputs: []Field{
			{Key: "subprocess", Name: "子流程", Type: "object", Required: true,
				Description: `{"template_id", "version", "always_use_latest", "constants": {"${key}": {"value": ...}}, "subprocess_name"}`},
		},
		Outputs: withDefaultOutputs(
			Field{Key: "task_id", Name: "任务ID", Type: "int", Description: "Task ID"},
			Field{Key: "outputs", Name: "循环输出", Type: "list", Description: "循环输出"},
		),
	}
}

// subprocessInput is the subprocess input, in BKFlow's converter shape.
type subprocessInput struct {
	name       string
	templateID int64
	version    string
	latest     bool
	constants  map[string]any
}

func parseSubprocessInput(v any) (subprocessInput, error) {
	var raw map[string]any
	if err := decodeInto(v, &raw); err != nil || raw == nil {
		return subprocessInput{}, fmt.Errorf("subprocess must be an object")
	}
	var in subprocessInput
	if raw["template_id"] == nil || raw["template_id"] == "" {
		return in, fmt.Errorf("subprocess.template_id is required")
	}
	id, err := toInt(raw["template_id"])
	if err != nil {
		return in, fmt.Errorf("subprocess.template_id: %v", err)
	}
	in.templateID = id
	in.name = stringify(raw["subprocess_name"])
	if in.name == "" {
		return in, fmt.Errorf("subprocess.subprocess_name is required")
	}
	in.version = stringify(raw["version"])
	if in.latest, err = truthy(raw["always_use_latest"], false); err != nil {
		return in, fmt.Errorf("subprocess.always_use_latest: %v", err)
	}
	if in.version == "" && !in.latest {
		return in, fmt.Errorf("subprocess.version is required unless always_use_latest is set")
	}
	if c := raw["constants"]; c != nil {
		if err := decodeInto(c, &in.constants); err != nil {
			return in, fmt.Errorf("subprocess.constants must be an object")
		}
	}
	return in, nil
}

func (s *subprocess) Execute(ctx context.Context, req Request) (Result, error) {
	in, err := parseSubprocessInput(req.Inputs["subprocess"])
	if err != nil {
		return failed(err.Error()), nil
	}
	if s.templates == nil {
		return failed("subprocess templates are not available in this deployment"), nil
	}
	tree, err := s.templates.LoadTemplateTree(ctx, req.SpaceID, in.templateID, in.version, in.latest)
	if err != nil {
		if IsRetryable(err) {
			return Result{}, err
		}
		return failed(fmt.Sprintf("get subprocess data failed: %v", err)), nil
	}
	if tree == nil {
		return failed(fmt.Sprintf("get subprocess data failed: template %d has no pipeline tree", in.templateID)), nil
	}

	constants := make(map[string]any, len(in.constants))
	for key, info := range in.constants {
		key = variableKey(key)
		// With always_use_latest, constants the latest version no longer
		// declares are dropped (the parent's copy may be stale).
		if _, declared := tree.Inputs[key]; in.latest && !declared {
			continue
		}
		constants[key] = constantValue(info)
	}
	return Result{
		Outcome: OutcomeChild,
		Child: &ChildTask{
			Name:       fmt.Sprintf("%s_子流程_%s", in.name, s.now().In(s.loc).Format("20060102150405")),
			Tree:       tree,
			Constants:  constants,
			TemplateID: in.templateID,
		},
	}, nil
}

func (s *subprocess) Schedule(_ context.Context, req Request) (Result, error) {
	if req.Callback == nil {
		return failed("subprocess_plugin: the child task's result is missing"), nil
	}
	var res ChildResult
	if err := decodeInto(req.Callback, &res); err != nil {
		return failed(fmt.Sprintf("subprocess_plugin: bad child task result: %v", err)), nil
	}
	if !res.TaskSuccess {
		return failOutputs(subprocessFailed, map[string]any{"task_id": res.TaskID}), nil
	}
	outputs := make(map[string]any, len(res.Outputs)+1)
	maps.Copy(outputs, res.Outputs)
	outputs["task_id"] = res.TaskID
	return Result{Outcome: OutcomeFinished, Outputs: outputs}, nil
}

// variableKey returns key in "${key}" form.
func variableKey(key string) string {
	if strings.HasPrefix(key, "${") && strings.HasSuffix(key, "}") {
		return key
	}
	return "${" + key + "}"
}

// constantValue is the value of one subprocess constant: BKFlow stores whole
// constant objects ({"key", "value", "show_type", ...}); a bare value is
// taken as it is.
func constantValue(info any) any {
	if m, ok := info.(map[string]any); ok {
		if v, ok := m["value"]; ok {
			return v
		}
	}
	return info
}
