// Package activities is bkflow's component (plugin) runtime: the Component
// interface and its registry, the built-in components, and the Temporal
// activities through which the interpreter workflow calls them.
package activities

import (
	"context"
	"time"

	"github.com/bkflow/bkflow/workflows/pipeline"
)

// Outcome is what a component call decided.
type Outcome int

// Outcomes. A component call either finishes the node, fails it, asks to be
// called again (Schedule) after an interval, waits for callbacks, or (only
// subprocess_plugin) asks the interpreter to run a child task.
const (
	OutcomeFinished Outcome = iota + 1
	OutcomeFailed
	// OutcomePoll: call Schedule again after Result.PollAfter (a durable
	// workflow timer, not a sleeping goroutine).
	OutcomePoll
	// OutcomeCallback: wait for one callback, then call Schedule with it.
	OutcomeCallback
	// OutcomeMultiCallback: call Schedule with every callback until it
	// answers Finished or Failed.
	OutcomeMultiCallback
	// OutcomeChild: run Result.Child as an independent child task and call
	// Schedule with its result.
	OutcomeChild
)

// String names the outcome for logs and state trees.
func (o Outcome) String() string {
	switch o {
	case OutcomeFinished:
		return "finished"
	case OutcomeFailed:
		return "failed"
	case OutcomePoll:
		return "poll"
	case OutcomeCallback:
		return "callback"
	case OutcomeMultiCallback:
		return "multiple_callback"
	case OutcomeChild:
		return "child"
	default:
		return "unknown"
	}
}

// Field describes one input or output of a component.
type Field struct {
	Key         string `json:"key"`
	Name        string `json:"name"`
	Type        string `json:"type"` // string, int, float, bool, object, list or any
	Required    bool   `json:"required"`
	Description string `json:"description,omitempty"`
	Default     any    `json:"default,omitempty"`
	Enum        []any  `json:"enum,omitempty"`
	// Schema is the field's form schema for the plugin discovery API. When
	// nil, the API derives one from Type, Description and Enum; set it when
	// BKFlow's schema says more (an array's items, an object's properties)
	// or describes the field differently.
	Schema *Schema `json:"schema,omitempty"`
}

// Schema is a field's form schema as BKFlow's plugin APIs describe it
// (pipeline's InputItem/OutputItem schemas). Type is one of BKFlow's schema
// types: string, int, float, boolean, array or object.
type Schema struct {
	Type        string `json:"type"`
	Description string `json:"description"`
	Enum        []any  `json:"enum,omitempty"`
	// Items is the schema of an array's items.
	Items *Schema `json:"items,omitempty"`
	// Properties are the schemas of an object's keys.
	Properties map[string]*Schema `json:"properties,omitempty"`
}

// Spec describes a component: it drives validation, the plugin discovery
// API and the activity names.
type Spec struct {
	Code        string  `json:"code"`
	Version     string  `json:"version"`
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Group       string  `json:"group_name"`
	Inputs      []Field `json:"inputs"`
	Outputs     []Field `json:"outputs"`
}

// Request is one call of a component.
type Request struct {
	TaskID  int64  `json:"task_id"`
	SpaceID int64  `json:"space_id"`
	NodeID  string `json:"node_id"`
	// Version is the node state version this call belongs to.
	Version string `json:"version"`
	// Inputs are the node's rendered inputs.
	Inputs map[string]any `json:"inputs"`
	// System holds the ${_system.*} attributes (task_name, operator, ...).
	System map[string]any `json:"system,omitempty"`
	// State is what the previous call of this node returned in Result.State.
	State map[string]any `json:"state,omitempty"`
	// Callback is the data of the callback that triggered this Schedule call.
	Callback any `json:"callback,omitempty"`
	// Polls counts the Schedule calls made so far for this run of the node.
	Polls int `json:"polls,omitempty"`
}

// Result is a component's answer.
type Result struct {
	Outcome Outcome        `json:"outcome"`
	Outputs map[string]any `json:"outputs,omitempty"`
	// ExData explains a failure (the node's ex_data).
	ExData string `json:"ex_data,omitempty"`
	// PollAfter is the delay before the next Schedule call (OutcomePoll).
	PollAfter time.Duration `json:"poll_after,omitempty"`
	// State is handed back in the next call's Request.State.
	State map[string]any `json:"state,omitempty"`
	// ContextUpdates overwrite existing pipeline variables (keys without
	// ${}); value_assign uses it.
	ContextUpdates map[string]any `json:"context_updates,omitempty"`
	// Child describes the child task to run (OutcomeChild).
	Child *ChildTask `json:"child,omitempty"`
}

// ChildTask is a task a node runs as its own (independent subprocess).
type ChildTask struct {
	Name string `json:"name"`
	// Tree is the child's pipeline in engine form.
	Tree *pipeline.Engine `json:"tree"`
	// Constants override the child's variables ("${key}" → value).
	Constants  map[string]any `json:"constants,omitempty"`
	TemplateID int64          `json:"template_id,omitempty"`
}

// Component is a plugin. Execute is called when the node runs; Schedule after
// each poll interval or callback, as the previous Result asked. A returned
// error is an unexpected failure: it fails the node with the error text as
// ex_data, unless it is marked Retryable, in which case Temporal retries the
// call. Components must be safe for concurrent use.
type Component interface {
	Spec() Spec
	Execute(ctx context.Context, req Request) (Result, error)
	Schedule(ctx context.Context, req Request) (Result, error)
}
