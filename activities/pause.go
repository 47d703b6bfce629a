package activities

import "context"

// pause is pause_node legacy (暂停): the node waits for a node callback
// (operate_task_node callback) and exposes its data as callback_data.
type pause struct{}

var _ Component = (*pause)(nil)

// NewPause returns the pause_node component.
func NewPause() Component { return &pause{} }

func (*pause) Spec() Spec {
	return Spec{
		Code:    "pause_node",
		Version: LegacyVersion,
		Name:    "暂停",
		Description: "该节点可以通过node_callback API接口进行回调并传入数据，callback_data参数为dict类型，" +
			"回调数据会作为该节点的输出数据",
		Group: groupBK,
		Inputs: []Field{
			{Key: "description", Name: "描述", Type: "string", Description: "描述"},
		},
		Outputs: withDefaultOutputs(
			Field{Key: "callback_data", Name: "API回调数据", Type: "object",
				Description: "通过node_callback API接口回调并传入数据,支持dict数据"},
		),
	}
}

func (*pause) Execute(context.Context, Request) (Result, error) {
	return Result{Outcome: OutcomeCallback}, nil
}

// Schedule finishes with the callback's data. A callback without data
// (null) keeps the node waiting, as in BKFlow.
func (*pause) Schedule(_ context.Context, req Request) (Result, error) {
	if req.Callback == nil {
		return Result{Outcome: OutcomeCallback}, nil
	}
	return Result{
		Outcome: OutcomeFinished,
		Outputs: map[string]any{"callback_data": req.Callback},
	}, nil
}
