package grant

import (
	"encoding/json"
	"testing"

	"github.com/bkflow/bkflow/policy"
	"github.com/bkflow/bkflow/policy/model"
)

func n(typ, id string) Node { return Node{Type: typ, ID: id} }

func chain(ids ...string) []model.Ref {
	out := make([]model.Ref, len(ids))
	for i, id := range ids {
		out[i] = model.Ref{SystemID: "bk_sops", ID: id}
	}
	return out
}

func js(t *testing.T, c policy.Condition) string {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestTranslate runs the worked examples of iam.md §3.4 and bkflow's views.
func TestTranslate(t *testing.T) {
	task := Target{SystemID: "bk_sops", Type: "task"}
	host := Target{SystemID: "bk_cmdb", Type: "host"}
	view := func(ignore bool) []model.View {
		return []model.View{{ID: "project_task", Chain: chain("project", "task"), IgnoreIAMPath: ignore}}
	}
	bkTask := Target{SystemID: "bkflow", Type: "task"}
	bkViews := []model.View{
		{ID: "task", Chain: []model.Ref{{SystemID: "bkflow", ID: "space"}, {SystemID: "bkflow", ID: "task"}}},
		{ID: "task_by_template", Chain: []model.Ref{{SystemID: "bkflow", ID: "space"}, {SystemID: "bkflow", ID: "template"}, {SystemID: "bkflow", ID: "task"}}},
	}
	cases := []struct {
		name   string
		system string
		target Target
		views  []model.View
		paths  [][]Node
		want   string
	}{
		{"task under project", "bk_sops", task, view(false), [][]Node{{n("project", "p1"), n("task", "t1")}},
			`{"AND":{"content":[{"StringEquals":{"bk_sops.task.id":["t1"]}},{"StringPrefix":{"bk_sops.task._bk_iam_path_":["/project,p1/"]}}]}}`},
		{"ignore_iam_path", "bk_sops", task, view(true), [][]Node{{n("project", "p1"), n("task", "t1")}},
			`{"StringEquals":{"bk_sops.task.id":["t1"]}}`},
		{"whole project", "bk_sops", task, view(false), [][]Node{{n("project", "p1")}},
			`{"StringPrefix":{"bk_sops.task._bk_iam_path_":["/project,p1/"]}}`},
		{"leaf * dropped", "bk_sops", task, view(true), [][]Node{{n("project", "p1"), n("task", "*")}},
			`{"StringPrefix":{"bk_sops.task._bk_iam_path_":["/project,p1/"]}}`},
		{"any set of biz 1", "bk_cmdb", host, nil, [][]Node{{n("biz", "1"), n("set", "*")}},
			`{"StringPrefix":{"bk_cmdb.host._bk_iam_path_":["/biz,1/set,*/"]}}`},
		{"hosts of a set", "bk_cmdb", host, nil, [][]Node{{n("biz", "1"), n("set", "1"), n("host", "*")}},
			`{"StringPrefix":{"bk_cmdb.host._bk_iam_path_":["/biz,1/set,1/"]}}`},
		{"two picks", "bk_cmdb", host, nil, [][]Node{{n("host", "h1")}, {n("biz", "b1"), n("host", "h2")}},
			`{"OR":{"content":[{"StringEquals":{"bk_cmdb.host.id":["h1"]}},{"AND":{"content":[{"StringEquals":{"bk_cmdb.host.id":["h2"]}},{"StringPrefix":{"bk_cmdb.host._bk_iam_path_":["/biz,b1/"]}}]}}]}}`},
		{"every task of space 1", "bkflow", bkTask, bkViews, [][]Node{{n("space", "1")}},
			`{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}}`},
		{"task 7 of space 1", "bkflow", bkTask, bkViews, [][]Node{{n("space", "1"), n("task", "7")}},
			`{"AND":{"content":[{"StringEquals":{"bkflow.task.id":["7"]}},{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}}]}}`},
		{"tasks of template 5", "bkflow", bkTask, bkViews, [][]Node{{n("space", "1"), n("template", "5")}},
			`{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/template,5/"]}}`},
		{"ids, subtrees and ids under a prefix together", "bkflow", bkTask, bkViews,
			[][]Node{{n("task", "9")}, {n("space", "2")}, {n("space", "1"), n("task", "7")}, {n("space", "1"), n("task", "8")}, {n("task", "10")}},
			`{"OR":{"content":[{"StringEquals":{"bkflow.task.id":["9","10"]}},{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,2/"]}},{"AND":{"content":[{"StringEquals":{"bkflow.task.id":["7","8"]}},{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}}]}}]}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			paths := IgnorePath(c.target, c.views, c.paths)
			got, err := Instances(c.system, c.target, paths)
			if err != nil {
				t.Fatal(err)
			}
			if s := js(t, got); s != c.want {
				t.Fatalf("got  %s\nwant %s", s, c.want)
			}
		})
	}
}

func TestInstancesErrors(t *testing.T) {
	tt := Target{SystemID: "bkflow", Type: "task"}
	for _, c := range []struct {
		paths [][]Node
		want  string
	}{
		{[][]Node{{n("space", "1"), n("space", "1"), n("task", "2")}}, "paths[0]: the path passes space,1 twice"},
		{[][]Node{{}}, "paths[0] is empty"},
		{[][]Node{{n("task", "*")}}, "paths[0]: a single node cannot be *"},
	} {
		if _, err := Instances("bkflow", tt, c.paths); err == nil || err.Error() != c.want {
			t.Errorf("got %v, want %s", err, c.want)
		}
	}
}

func TestMergeAndRemove(t *testing.T) {
	parse := func(s string) policy.Condition {
		c, err := policy.ParseCondition([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ids := parse(`{"StringEquals":{"bkflow.task.id":["1","2"]}}`)
	space := parse(`{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}}`)
	merged := Merge(ids, space)
	if got := js(t, merged); got != `{"OR":{"content":[{"StringEquals":{"bkflow.task.id":["1","2"]}},{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}}]}}` {
		t.Fatalf("merge: %s", got)
	}
	if got := js(t, Merge(merged, space)); got != js(t, merged) {
		t.Fatalf("merging a duplicate changed %s", got)
	}
	left, ok := Remove(merged, parse(`{"StringEquals":{"bkflow.task.id":["2"]}}`))
	if !ok || js(t, left) != `{"OR":{"content":[{"StringEquals":{"bkflow.task.id":["1"]}},{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}}]}}` {
		t.Fatalf("remove id: %s %v", js(t, left), ok)
	}
	left, ok = Remove(left, space)
	if !ok || js(t, left) != `{"StringEquals":{"bkflow.task.id":["1"]}}` {
		t.Fatalf("remove subtree: %s", js(t, left))
	}
	if _, ok := Remove(left, parse(`{"StringEquals":{"bkflow.task.id":["1"]}}`)); ok {
		t.Fatal("removing the last id left something")
	}
}

func TestRequestValidate(t *testing.T) {
	base := func() Request {
		return Request{Operate: "grant", System: "bkflow", Action: &ActionRef{ID: "task_view"},
			Subject:   policy.Subject{Type: "user", ID: "carol"},
			Resources: []ResourceSelect{{System: "bkflow", Type: "task", Path: []Node{n("space", "1")}}}}
	}
	if err := base().Validate(KindPath); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		mutate func(*Request)
		kind   string
		want   string
	}{
		{func(r *Request) { r.Operate = "give" }, KindPath, `operate must be grant or revoke, got "give"`},
		{func(r *Request) { r.Subject.Type = "department" }, KindPath, `subject.type must be user or group, got "department"`},
		{func(r *Request) { r.Resources[0].Path[0].ID = "" }, KindPath, `resources[0].path[0].id is required`},
		{func(r *Request) { r.Resources[0].Path = []Node{n("space", "*")} }, KindPath, `resources[0].path: a single node cannot be *`},
		{func(r *Request) {}, KindInstance, `resources[0].id is required`},
		{func(r *Request) {}, KindBatchPath, `actions is required`},
		{func(r *Request) { r.Action = nil }, KindPath, `action.id is required`},
	} {
		r := base()
		c.mutate(&r)
		if err := r.Validate(c.kind); err == nil || err.Error() != c.want {
			t.Errorf("got %v, want %s", err, c.want)
		}
	}
}

func FuzzInstances(f *testing.F) {
	f.Add("space", "1", "task", "7", true)
	f.Add("biz", "1", "set", "*", false)
	f.Fuzz(func(t *testing.T, t1, id1, t2, id2 string, ignore bool) {
		views := []model.View{{ID: "v", Chain: []model.Ref{{SystemID: "s", ID: "space"}, {SystemID: "s", ID: "task"}}, IgnoreIAMPath: ignore}}
		paths := IgnorePath(Target{SystemID: "s", Type: "task"}, views, [][]Node{{n(t1, id1), n(t2, id2)}, {n(t2, id2)}})
		c, err := Instances("s", Target{SystemID: "s", Type: "task"}, paths)
		if err != nil {
			return
		}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := policy.ParseCondition(b); err != nil {
			t.Fatalf("%s does not parse back: %v", b, err)
		}
	})
}
