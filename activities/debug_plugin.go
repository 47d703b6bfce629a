package activities

import (
	"context"
	"fmt"
)

// debugPlugin is debug_plugin v1.0.0 (Debug Plugin): it echoes its four
// inputs as outputs. object_input may be an object or JSON text.
type debugPlugin struct{}

var _ Component = (*debugPlugin)(nil)

// NewDebugPlugin returns the debug_plugin component.
func NewDebugPlugin() Component { return &debugPlugin{} }

func (*debugPlugin) Spec() Spec {
	return Spec{
		Code:        "debug_plugin",
		Version:     "v1.0.0",
		Name:        "Debug Plugin",
		Description: "仅供调试",
		Group:       groupBK,
		Inputs: []Field{
			{Key: "string_input", Name: "string_input", Type: "string", Description: "string input"},
			{Key: "int_input", Name: "int_input", Type: "int", Description: "int input"},
			{Key: "boolean_input", Name: "boolean_input", Type: "bool", Description: "boolean input"},
			{Key: "object_input", Name: "object_input", Type: "object", Description: "object input (an object or JSON text)"},
		},
		Outputs: withDefaultOutputs(
			Field{Key: "string_output", Name: "string_output", Type: "string", Description: "string output"},
			Field{Key: "int_output", Name: "int_output", Type: "int", Description: "int output"},
			Field{Key: "boolean_output", Name: "boolean_output", Type: "bool", Description: "boolean output"},
			Field{Key: "object_output", Name: "object_output", Type: "object", Description: "object output"},
		),
	}
}

func (*debugPlugin) Execute(_ context.Context, req Request) (Result, error) {
	object := req.Inputs["object_input"]
	if object != nil {
		parsed, err := toObject(object)
		if err != nil {
			return failed(fmt.Sprintf("object_input: %v", err)), nil
		}
		object = parsed
	}
	return Result{
		Outcome: OutcomeFinished,
		Outputs: map[string]any{
			"string_output":  req.Inputs["string_input"],
			"int_output":     req.Inputs["int_input"],
			"boolean_output": req.Inputs["boolean_input"],
			"object_output":  object,
		},
	}, nil
}

func (*debugPlugin) Schedule(context.Context, Request) (Result, error) {
	return Result{Outcome: OutcomeFinished}, nil
}
