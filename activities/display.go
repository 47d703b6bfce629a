package activities

import "context"

// display is bk_display v1.0 (消息展示): a node that only shows a message on
// the canvas. It always succeeds.
type display struct{}

var _ Component = (*display)(nil)

// NewDisplay returns the bk_display component.
func NewDisplay() Component { return &display{} }

func (*display) Spec() Spec {
	return Spec{
		Code:        "bk_display",
		Version:     "v1.0",
		Name:        "消息展示",
		Description: "本插件为仅用于消息展示的空节点",
		Group:       groupBK,
		Inputs: []Field{
			{Key: "bk_display_message", Name: "展示内容", Type: "string", Description: "展示内容"},
		},
		Outputs: withDefaultOutputs(),
	}
}

func (*display) Execute(context.Context, Request) (Result, error) {
	return Result{Outcome: OutcomeFinished}, nil
}

func (*display) Schedule(context.Context, Request) (Result, error) {
	return Result{Outcome: OutcomeFinished}, nil
}
