package grant

import (
	"reflect"
	"slices"
	"testing"
)

func TestIgnorePath(t *testing.T) {
	t.Parallel()
	task := ResourceTypeRef{SystemID: "bk_sops", Type: "task"}
	host := ResourceTypeRef{SystemID: "bk_cmdb", Type: "host"}
	projectTask := func(ignore bool) []View {
		return []View{{ID: "project_task", Chain: chain("bk_sops", "project", "task"), IgnoreIAMPath: ignore}}
	}
	cases := []struct {
		name  string
		rt    ResourceTypeRef
		views []View
		in    []Node
		want  []Node
	}{
		{"ignore false keeps the path", task, projectTask(false),
			path(nd("project", "p1"), nd("task", "t1")), path(nd("project", "p1"), nd("task", "t1"))},
		{"ignore true reduces a leaf picked through the full chain", task, projectTask(true),
			path(nd("project", "p1"), nd("task", "t1")), path(nd("task", "t1"))},
		{"system ids that match the chain", task, projectTask(true),
			path(sn("bk_sops", "project", "p1"), sn("bk_sops", "task", "t1")), path(sn("bk_sops", "task", "t1"))},
		{"an ancestor picked is kept", task, projectTask(true),
			path(nd("project", "p1")), path(nd("project", "p1"))},
		{"a final * is kept", task, projectTask(true),
			path(nd("project", "p1"), nd("task", "*")), path(nd("project", "p1"), nd("task", "*"))},
		{"a lone * is kept", task, projectTask(true),
			path(nd("task", "*")), path(nd("task", "*"))},
		{"a single leaf stays itself", task, projectTask(true),
			path(nd("task", "t1")), path(nd("task", "t1"))},
		{"a last node of another system is kept", task, projectTask(true),
			path(nd("project", "p1"), sn("bk_cmdb", "task", "t1")), path(nd("project", "p1"), sn("bk_cmdb", "task", "t1"))},
		{"a node of the chain's type in another system does not match", task, projectTask(true),
			path(sn("bk_cmdb", "project", "p1"), nd("task", "t1")), path(sn("bk_cmdb", "project", "p1"), nd("task", "t1"))},
		{"a path off the chain matches no view", task, projectTask(true),
			path(nd("biz", "1"), nd("task", "t1")), path(nd("biz", "1"), nd("task", "t1"))},
		{"longer than the chain: matches, but is not reduced", host,
			[]View{{ID: "v", Chain: chain("bk_cmdb", "biz", "host"), IgnoreIAMPath: true}},
			path(nd("biz", "1"), nd("host", "h1"), nd("host", "h2")), path(nd("biz", "1"), nd("host", "h1"), nd("host", "h2"))},
		{"the first matching view decides (ignore false first)", task,
			append(projectTask(false), projectTask(true)...),
			path(nd("project", "p1"), nd("task", "t1")), path(nd("project", "p1"), nd("task", "t1"))},
		{"the first matching view decides (ignore true first)", task,
			append(projectTask(true), projectTask(false)...),
			path(nd("project", "p1"), nd("task", "t1")), path(nd("task", "t1"))},
		{"a shorter path matches a longer chain by its prefix and stops the search", host,
			[]View{
				{ID: "long", Chain: chain("bk_cmdb", "biz", "host", "host"), IgnoreIAMPath: true},
				{ID: "short", Chain: chain("bk_cmdb", "biz", "host"), IgnoreIAMPath: true},
			},
			path(nd("biz", "1"), nd("host", "h1")), path(nd("biz", "1"), nd("host", "h1"))},
		{"a view that does not match is skipped", task,
			[]View{
				{ID: "other", Chain: chain("bk_sops", "biz", "task"), IgnoreIAMPath: false},
				{ID: "project_task", Chain: chain("bk_sops", "project", "task"), IgnoreIAMPath: true},
			},
			path(nd("project", "p1"), nd("task", "t1")), path(nd("task", "t1"))},
		{"bkflow: task 7 of space 1, ignore false", bkflowTask(), bkflowTaskViews(false),
			path(nd("space", "1"), nd("task", "7")), path(nd("space", "1"), nd("task", "7"))},
		{"bkflow: task 7 of space 1, ignore true", bkflowTask(), bkflowTaskViews(true),
			path(nd("space", "1"), nd("task", "7")), path(nd("task", "7"))},
		{"bkflow: task 7 of template 5, ignore true", bkflowTask(), bkflowTaskViews(true),
			path(nd("space", "1"), nd("template", "5"), nd("task", "7")), path(nd("task", "7"))},
		{"bkflow: every task of template 5", bkflowTask(), bkflowTaskViews(true),
			path(nd("space", "1"), nd("template", "5")), path(nd("space", "1"), nd("template", "5"))},
		{"no views", bkflowTask(), nil,
			path(nd("space", "1"), nd("task", "7")), path(nd("space", "1"), nd("task", "7"))},
		{"an empty path", bkflowTask(), bkflowTaskViews(true), path(), path()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			in := append([]Node(nil), c.in...)
			got := IgnorePath(c.rt, c.views, [][]Node{in})
			if len(got) != 1 || !slices.Equal(got[0], c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
			if !slices.Equal(in, c.in) {
				t.Fatalf("the input changed: %v", in)
			}
		})
	}
}

func TestIgnorePathKeepsOrderAndCount(t *testing.T) {
	t.Parallel()
	in := paths(
		path(nd("space", "1"), nd("task", "7")),
		path(nd("space", "2")),
		path(nd("task", "9")),
	)
	got := IgnorePath(bkflowTask(), bkflowTaskViews(true), in)
	want := paths(path(nd("task", "7")), path(nd("space", "2")), path(nd("task", "9")))
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	got[1][0].ID = "changed"
	if in[1][0].ID != "2" {
		t.Fatal("the result shares nodes with the input")
	}
}

func TestCheckPaths(t *testing.T) {
	t.Parallel()
	views := bkflowTaskViews(false)
	ok := paths(
		path(nd("task", "7")),
		path(nd("space", "1")),
		path(nd("space", "1"), nd("task", "7")),
		path(nd("space", "1"), nd("template", "5")),
		path(nd("space", "1"), nd("template", "5"), nd("task", "*")),
		path(sn("bkflow", "space", "1"), sn("bkflow", "task", "7")),
	)
	if err := CheckPaths(bkflowTask(), views, ok); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		p    []Node
		want string
	}{
		{path(nd("template", "5")), "paths[0] (template:5) matches none of the instance views of bkflow:task"},
		{path(nd("space", "1"), nd("space", "2")), "paths[0] (space:1/space:2) matches none of the instance views of bkflow:task"},
		{path(sn("other", "space", "1")), "paths[0] (space:1) matches none of the instance views of bkflow:task"},
		{path(), "paths[0] () matches none of the instance views of bkflow:task"},
	} {
		err := CheckPaths(bkflowTask(), views, paths(c.p))
		if err == nil || err.Error() != c.want {
			t.Errorf("%v: got %v, want %s", c.p, err, c.want)
		}
	}
	if err := CheckPaths(bkflowTask(), nil, paths(path(nd("space", "1")))); err == nil {
		t.Error("a path matched no views at all")
	}
	// A single node of the view's last type matches an ignore_iam_path
	// view even when it is not of the resource type (the SaaS's shortcut).
	flat := []View{{ID: "v", Chain: chain("bkflow", "space", "template"), IgnoreIAMPath: true}}
	if err := CheckPaths(bkflowTask(), flat, paths(path(nd("template", "5")))); err != nil {
		t.Fatal(err)
	}
}
