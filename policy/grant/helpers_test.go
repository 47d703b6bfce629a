package grant

import "testing"

// js returns c's stored JSON or fails the test.
func js(t *testing.T, c Condition) string {
	t.Helper()
	b, err := c.MarshalJSON()
	if err != nil {
		t.Fatalf("marshal %#v: %v", c, err)
	}
	return string(b)
}

// nd is a node without a system_id, as the open API's paths usually are.
func nd(typ, id string) Node { return Node{Type: typ, ID: id, Name: typ + " " + id} }

// sn is a node with a system_id, as the SaaS stores them.
func sn(system, typ, id string) Node {
	return Node{SystemID: system, Type: typ, ID: id, Name: typ + " " + id}
}

// chain builds a view chain of one system's types.
func chain(system string, types ...string) []TypeRef {
	out := make([]TypeRef, len(types))
	for i, typ := range types {
		out[i] = TypeRef{SystemID: system, ID: typ}
	}
	return out
}

// bkflowTaskViews are bkflow's views for the task actions (task_view,
// task_operate): space→task and space→template→task.
func bkflowTaskViews(ignore bool) []View {
	return []View{
		{ID: "task", Chain: chain("bkflow", "space", "task"), IgnoreIAMPath: ignore},
		{ID: "task_by_template", Chain: chain("bkflow", "space", "template", "task"), IgnoreIAMPath: ignore},
	}
}

// bkflowTask is bkflow's task resource type.
func bkflowTask() ResourceTypeRef { return ResourceTypeRef{SystemID: "bkflow", Type: "task"} }

// paths is a shorthand for a list of paths.
func paths(ps ...[]Node) [][]Node { return ps }

// path is a shorthand for one path.
func path(ns ...Node) []Node { return ns }
