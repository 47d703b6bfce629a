package activities

// Helpers shared by the built-in components.

// defaultOutputs are declared by every component: the interpreter sets them.
var defaultOutputs = []Field{
	{Key: "_result", Name: "执行结果", Type: "bool", Description: "执行结果的布尔值，True or False"},
	{Key: "_loop", Name: "循环次数", Type: "int", Description: "循环执行次数"},
	{Key: "_inner_loop", Name: "当前流程循环次数", Type: "int",
		Description: "在当前流程节点循环执行次数，由父流程重新进入时会重置（仅支持新版引擎）"},
}

// withDefaultOutputs returns outputs followed by the default outputs.
func withDefaultOutputs(outputs ...Field) []Field {
	out := make([]Field, 0, len(outputs)+len(defaultOutputs))
	out = append(out, outputs...)
	return append(out, defaultOutputs...)
}

// groupBK is the plugin group of BKFlow's built-ins.
const groupBK = "蓝鲸服务(BK)"

// failed is a Result that fails the node with message as its ex_data.
func failed(message string) Result {
	return Result{Outcome: OutcomeFailed, ExData: message}
}
