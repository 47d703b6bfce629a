package grant

import (
	"encoding/json"
	"math"
	"testing"
)

// inst is an instance entry over paths.
func inst(ps ...[]Node) Instance { return Instance{Paths: ps} }

// instances is a condition item of instance entries only.
func instances(is ...Instance) ConditionItem { return ConditionItem{Instances: is} }

// attr is an attribute with the given value ids.
func attr(id string, values ...any) Attribute {
	a := Attribute{ID: id}
	for _, v := range values {
		a.Values = append(a.Values, AttrValue{ID: v})
	}
	return a
}

// TestTranslateWorkedExamples runs every worked example of iam.md §3.4,
// Step 0 included, and bkflow's own views.
func TestTranslateWorkedExamples(t *testing.T) {
	t.Parallel()
	sopsTask := ResourceTypeRef{SystemID: "bk_sops", Type: "task"}
	cmdbHost := ResourceTypeRef{SystemID: "bk_cmdb", Type: "host"}
	projectTask := func(ignore bool) []View {
		return []View{{ID: "project_task", Chain: chain("bk_sops", "project", "task"), IgnoreIAMPath: ignore}}
	}
	bizHost := []View{
		{ID: "host", Chain: chain("bk_cmdb", "host")},
		{ID: "biz_host", Chain: chain("bk_cmdb", "biz", "host")},
		{ID: "biz_set_host", Chain: chain("bk_cmdb", "biz", "set", "host")},
	}
	cases := []struct {
		name  string
		rt    ResourceTypeRef
		views []View
		paths [][]Node
		want  string
	}{
		{"task t1 under project p1, ignore_iam_path false", sopsTask, projectTask(false),
			paths(path(nd("project", "p1"), nd("task", "t1"))),
			`{"AND":{"content":[{"StringEquals":{"bk_sops.task.id":["t1"]}},{"StringPrefix":{"bk_sops.task._bk_iam_path_":["/project,p1/"]}}]}}`},
		{"task t1 under project p1, ignore_iam_path true", sopsTask, projectTask(true),
			paths(path(nd("project", "p1"), nd("task", "t1"))),
			`{"StringEquals":{"bk_sops.task.id":["t1"]}}`},
		{"the whole project p1", sopsTask, projectTask(false),
			paths(path(nd("project", "p1"))),
			`{"StringPrefix":{"bk_sops.task._bk_iam_path_":["/project,p1/"]}}`},
		{"task:* under project p1: the leaf * is dropped", sopsTask, projectTask(true),
			paths(path(nd("project", "p1"), nd("task", "*"))),
			`{"StringPrefix":{"bk_sops.task._bk_iam_path_":["/project,p1/"]}}`},
		{"host:* under biz 1, set 1", cmdbHost, bizHost,
			paths(path(nd("biz", "1"), nd("set", "1"), nd("host", "*"))),
			`{"StringPrefix":{"bk_cmdb.host._bk_iam_path_":["/biz,1/set,1/"]}}`},
		{"any set of biz 1", cmdbHost, bizHost,
			paths(path(nd("biz", "1"), nd("set", "*"))),
			`{"StringPrefix":{"bk_cmdb.host._bk_iam_path_":["/biz,1/set,*/"]}}`},
		{"two picks: host h1, and host h2 under biz b1", cmdbHost, bizHost,
			paths(path(nd("host", "h1")), path(nd("biz", "b1"), nd("host", "h2"))),
			`{"OR":{"content":[{"StringEquals":{"bk_cmdb.host.id":["h1"]}},{"AND":{"content":[{"StringEquals":{"bk_cmdb.host.id":["h2"]}},{"StringPrefix":{"bk_cmdb.host._bk_iam_path_":["/biz,b1/"]}}]}}]}}`},
		{"bkflow: all tasks of space 1", bkflowTask(), bkflowTaskViews(false),
			paths(path(nd("space", "1"))),
			`{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}}`},
		{"bkflow: task 7 of space 1, ignore false", bkflowTask(), bkflowTaskViews(false),
			paths(path(nd("space", "1"), nd("task", "7"))),
			`{"AND":{"content":[{"StringEquals":{"bkflow.task.id":["7"]}},{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}}]}}`},
		{"bkflow: task 7 of space 1, ignore true", bkflowTask(), bkflowTaskViews(true),
			paths(path(nd("space", "1"), nd("task", "7"))),
			`{"StringEquals":{"bkflow.task.id":["7"]}}`},
		{"bkflow: tasks of template 5 (task_by_template)", bkflowTask(), bkflowTaskViews(false),
			paths(path(nd("space", "1"), nd("template", "5"))),
			`{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/template,5/"]}}`},
		{"bkflow: task 7 of template 5, ignore false", bkflowTask(), bkflowTaskViews(false),
			paths(path(nd("space", "1"), nd("template", "5"), nd("task", "7"))),
			`{"AND":{"content":[{"StringEquals":{"bkflow.task.id":["7"]}},{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/template,5/"]}}]}}`},
		{"bkflow: an instance grant of task 7", bkflowTask(), bkflowTaskViews(false),
			paths(path(sn("bkflow", "task", "7"))),
			`{"StringEquals":{"bkflow.task.id":["7"]}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := TranslateResourceType("ignored", RelatedResourceType{
				SystemID:  c.rt.SystemID,
				Type:      c.rt.Type,
				Condition: []ConditionItem{instances(inst(IgnorePath(c.rt, c.views, c.paths)...))},
			})
			if err != nil {
				t.Fatal(err)
			}
			if s := js(t, got); s != c.want {
				t.Fatalf("got  %s\nwant %s", s, c.want)
			}
		})
	}
}

func TestTranslateResourceType(t *testing.T) {
	t.Parallel()
	task := func(items ...ConditionItem) RelatedResourceType {
		return RelatedResourceType{SystemID: "bkflow", Type: "task", Condition: items}
	}
	cases := []struct {
		name string
		rrt  RelatedResourceType
		want string
	}{
		{"no condition is Any", task(),
			`{"Any":{"bkflow.task.id":[]}}`},
		{"ids, then prefixes, then ids per prefix in first-seen order", task(instances(inst(
			path(nd("space", "2"), nd("task", "8")),
			path(nd("task", "9")),
			path(nd("space", "1"), nd("task", "7")),
			path(nd("space", "3")),
			path(nd("space", "2"), nd("task", "10")),
			path(nd("space", "1"), nd("template", "5"), nd("task", "*")),
			path(nd("task", "11")),
		))),
			`{"OR":{"content":[{"StringEquals":{"bkflow.task.id":["9","11"]}},` +
				`{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,3/","/space,1/template,5/"]}},` +
				`{"AND":{"content":[{"StringEquals":{"bkflow.task.id":["8","10"]}},{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,2/"]}}]}},` +
				`{"AND":{"content":[{"StringEquals":{"bkflow.task.id":["7"]}},{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}}]}}]}}`},
		{"duplicates are kept, as the SaaS keeps them", task(instances(inst(
			path(nd("task", "1")), path(nd("task", "1")), path(nd("space", "1")), path(nd("space", "1")),
		))),
			`{"OR":{"content":[{"StringEquals":{"bkflow.task.id":["1","1"]}},{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/","/space,1/"]}}]}}`},
		{"a leaf may repeat an ancestor's type,id", task(instances(inst(path(nd("task", "1"), nd("task", "1"))))),
			`{"AND":{"content":[{"StringEquals":{"bkflow.task.id":["1"]}},{"StringPrefix":{"bkflow.task._bk_iam_path_":["/task,1/"]}}]}}`},
		{"instance entries are OR-ed", task(instances(inst(path(nd("task", "1"))), inst(path(nd("space", "1"))))),
			`{"OR":{"content":[{"StringEquals":{"bkflow.task.id":["1"]}},{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}}]}}`},
		{"a string attribute", task(ConditionItem{Attributes: []Attribute{attr("status", "running", "failed")}}),
			`{"StringEquals":{"bkflow.task.status":["running","failed"]}}`},
		{"a number attribute: integers stay integers, floats print as Python's", task(ConditionItem{Attributes: []Attribute{
			attr("priority", json.Number("1"), json.Number("2.50"), json.Number("-0"), json.Number("1E2"), 3, 4.0),
		}}),
			`{"NumericEquals":{"bkflow.task.priority":[1,2.5,0,100.0,3,4.0]}}`},
		{"a bool attribute", task(ConditionItem{Attributes: []Attribute{attr("public", true)}}),
			`{"Bool":{"bkflow.task.public":[true]}}`},
		{"later values keep their own types", task(ConditionItem{Attributes: []Attribute{attr("x", "a", json.Number("1"), false)}}),
			`{"StringEquals":{"bkflow.task.x":["a",1,false]}}`},
		{"attributes are AND-ed", task(ConditionItem{Attributes: []Attribute{attr("a", "1"), attr("b", json.Number("2"))}}),
			`{"AND":{"content":[{"StringEquals":{"bkflow.task.a":["1"]}},{"NumericEquals":{"bkflow.task.b":[2]}}]}}`},
		{"instances AND attributes", task(ConditionItem{
			Instances:  []Instance{inst(path(nd("space", "1")))},
			Attributes: []Attribute{attr("status", "running")},
		}),
			`{"AND":{"content":[{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}},{"StringEquals":{"bkflow.task.status":["running"]}}]}}`},
		{"several instance entries AND several attributes", task(ConditionItem{
			Instances:  []Instance{inst(path(nd("space", "1"))), inst(path(nd("task", "2")))},
			Attributes: []Attribute{attr("a", "x"), attr("b", true)},
		}),
			`{"AND":{"content":[{"OR":{"content":[{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}},{"StringEquals":{"bkflow.task.id":["2"]}}]}},` +
				`{"AND":{"content":[{"StringEquals":{"bkflow.task.a":["x"]}},{"Bool":{"bkflow.task.b":[true]}}]}}]}}`},
		{"condition items are OR-ed", task(
			instances(inst(path(nd("space", "1")))),
			ConditionItem{Attributes: []Attribute{attr("status", "running")}},
		),
			`{"OR":{"content":[{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}},{"StringEquals":{"bkflow.task.status":["running"]}}]}}`},
		{"non-ASCII and special characters as Python's json.dumps writes them", task(instances(inst(
			path(nd("space", "蓝鲸"), nd("task", `a"b\c<&>`+"\t\x7f😀")),
		))),
			`{"AND":{"content":[{"StringEquals":{"bkflow.task.id":["a\"b\\c<&>\t\u007f\ud83d\ude00"]}},{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,\u84dd\u9cb8/"]}}]}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := TranslateResourceType("bkflow", c.rrt)
			if err != nil {
				t.Fatal(err)
			}
			if s := js(t, got); s != c.want {
				t.Fatalf("got  %s\nwant %s", s, c.want)
			}
		})
	}
}

func TestTranslateResourceTypeSystem(t *testing.T) {
	t.Parallel()
	// A resource of another system is qualified by its own system.
	got, err := TranslateResourceType("bk_sops", RelatedResourceType{SystemID: "bk_cmdb", Type: "host",
		Condition: []ConditionItem{instances(inst(path(nd("host", "h1"))))}})
	if err != nil {
		t.Fatal(err)
	}
	if s := js(t, got); s != `{"StringEquals":{"bk_cmdb.host.id":["h1"]}}` {
		t.Fatal(s)
	}
	// Without one, the given system is used.
	got, err = TranslateResourceType("bk_sops", RelatedResourceType{Type: "task"})
	if err != nil {
		t.Fatal(err)
	}
	if s := js(t, got); s != `{"Any":{"bk_sops.task.id":[]}}` {
		t.Fatal(s)
	}
}

func TestTranslateResourceTypeErrors(t *testing.T) {
	t.Parallel()
	task := func(items ...ConditionItem) RelatedResourceType {
		return RelatedResourceType{SystemID: "bkflow", Type: "task", Condition: items}
	}
	cases := []struct {
		name string
		rrt  RelatedResourceType
		want string
	}{
		{"an empty path", task(instances(inst(path(nd("task", "1")), path()))),
			"condition[0].instances[0].path[1] must not be empty"},
		{"an instance entry without paths", task(instances(inst())),
			"condition[0].instances[0].path must not be empty"},
		{"a repeated ancestor before a leaf", task(instances(inst(path(nd("space", "1"), nd("space", "1"), nd("task", "2"))))),
			"condition[0].instances[0].path[0] (/space,1/space,1/) passes space,1 more than once"},
		{"a repeated node in an ancestor pick", task(ConditionItem{}, instances(inst(path(nd("space", "1"), nd("template", "5"), nd("space", "1"))))),
			"condition[0] has neither instances nor attributes"},
		{"a repeated node in an ancestor pick (second item)", task(instances(inst(path(nd("space", "1")))), instances(inst(path(nd("space", "1"), nd("template", "5"), nd("space", "1"))))),
			"condition[1].instances[0].path[0] (/space,1/template,5/space,1/) passes space,1 more than once"},
		{"a lone task:*", task(instances(inst(path(nd("task", "*"))))),
			"condition[0].instances[0].path[0] is a single node task:*; pick the whole type instead"},
		{"neither instances nor attributes", task(ConditionItem{}),
			"condition[0] has neither instances nor attributes"},
		{"an attribute without values", task(ConditionItem{Attributes: []Attribute{{ID: "status"}}}),
			"condition[0].attributes[0].values must not be empty"},
		{"two booleans", task(ConditionItem{Attributes: []Attribute{attr("a", "x"), attr("public", true, false)}}),
			"condition[0].attributes[1].values must hold exactly one value when it is a boolean"},
		{"a null value", task(ConditionItem{Attributes: []Attribute{attr("a", nil)}}),
			"condition[0].attributes[0].values[0].id must be a string, a finite number or a boolean"},
		{"an object value after a string", task(ConditionItem{Attributes: []Attribute{attr("a", "x", map[string]any{})}}),
			"condition[0].attributes[0].values[1].id must be a string, a finite number or a boolean"},
		{"NaN", task(ConditionItem{Attributes: []Attribute{attr("a", math.NaN())}}),
			"condition[0].attributes[0].values[0].id must be a string, a finite number or a boolean"},
		{"a number too large for a float", task(ConditionItem{Attributes: []Attribute{attr("a", json.Number("1e400"))}}),
			"condition[0].attributes[0].values[0].id must be a string, a finite number or a boolean"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := TranslateResourceType("bkflow", c.rrt)
			if err == nil || err.Error() != c.want {
				t.Fatalf("got %v\nwant %s", err, c.want)
			}
			if _, ok := err.(*FieldError); !ok {
				t.Fatalf("%T is not a *FieldError", err)
			}
		})
	}
}

func TestTranslateGroups(t *testing.T) {
	t.Parallel()
	space1 := RelatedResourceType{SystemID: "bkflow", Type: "task", Condition: []ConditionItem{instances(inst(path(nd("space", "1"))))}}
	tmpl5 := RelatedResourceType{SystemID: "bkflow", Type: "template", Condition: []ConditionItem{instances(inst(path(nd("template", "5"))))}}
	anyTask := RelatedResourceType{SystemID: "bkflow", Type: "task"}
	daily := Environment{Type: EnvPeriodDaily, Condition: []EnvCondition{
		{Type: "tz", Values: []EnvValue{{Value: "Asia/Shanghai"}}},
		{Type: "hms", Values: []EnvValue{{Value: "09:00:00"}, {Value: "18:30:05"}}},
		{Type: "weekday", Values: []EnvValue{{Value: json.Number("1")}, {Value: "5"}, {Value: 0}}},
	}}
	cases := []struct {
		name   string
		groups []ResourceGroup
		want   string
	}{
		{"no groups is the empty list", nil, `[]`},
		{"one group of one type", []ResourceGroup{{RelatedResourceTypes: []RelatedResourceType{space1}}},
			`{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}}`},
		{"one group of two types: AND in order", []ResourceGroup{{RelatedResourceTypes: []RelatedResourceType{tmpl5, space1}}},
			`{"AND":{"content":[{"StringEquals":{"bkflow.template.id":["5"]}},{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}}]}}`},
		{"a group of no types is an empty AND", []ResourceGroup{{}},
			`{"AND":{"content":[]}}`},
		{"two groups: OR", []ResourceGroup{{RelatedResourceTypes: []RelatedResourceType{space1}}, {RelatedResourceTypes: []RelatedResourceType{anyTask}}},
			`{"OR":{"content":[{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}},{"Any":{"bkflow.task.id":[]}}]}}`},
		{"a daily window, AND-ed after the resources", []ResourceGroup{{RelatedResourceTypes: []RelatedResourceType{space1}, Environments: []Environment{daily}}},
			`{"AND":{"content":[{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}},` +
				`{"StringEquals":{"bkflow._bk_iam_env_.tz":["Asia/Shanghai"]}},` +
				`{"NumericGte":{"bkflow._bk_iam_env_.hms":[90000]}},{"NumericLte":{"bkflow._bk_iam_env_.hms":[183005]}},` +
				`{"NumericEquals":{"bkflow._bk_iam_env_.weekday":[1,5,0]}}]}}`},
		{"a window with the time zone only", []ResourceGroup{{RelatedResourceTypes: []RelatedResourceType{anyTask}, Environments: []Environment{
			{Type: EnvPeriodDaily, Condition: []EnvCondition{{Type: "tz", Values: []EnvValue{{Value: "UTC"}}}}},
		}}},
			`{"AND":{"content":[{"Any":{"bkflow.task.id":[]}},{"StringEquals":{"bkflow._bk_iam_env_.tz":["UTC"]}}]}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := TranslateGroups("bkflow", c.groups)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.want {
				t.Fatalf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestTranslateGroupsErrors(t *testing.T) {
	t.Parallel()
	ok := RelatedResourceType{SystemID: "bkflow", Type: "task"}
	env := func(cs ...EnvCondition) []ResourceGroup {
		return []ResourceGroup{{RelatedResourceTypes: []RelatedResourceType{ok},
			Environments: []Environment{{Type: EnvPeriodDaily, Condition: cs}}}}
	}
	v := func(vals ...any) []EnvValue {
		out := make([]EnvValue, len(vals))
		for i, x := range vals {
			out[i] = EnvValue{Value: x}
		}
		return out
	}
	cases := []struct {
		name   string
		groups []ResourceGroup
		want   string
	}{
		{"a bad resource type in the second group", []ResourceGroup{
			{RelatedResourceTypes: []RelatedResourceType{ok}},
			{RelatedResourceTypes: []RelatedResourceType{ok, {SystemID: "bkflow", Type: "task", Condition: []ConditionItem{{}}}}},
		}, "resource_groups[1].related_resource_types[1].condition[0] has neither instances nor attributes"},
		{"an unknown environment type", []ResourceGroup{{RelatedResourceTypes: []RelatedResourceType{ok},
			Environments: []Environment{{Type: "period_weekly"}}}},
			`resource_groups[0].environments[0].type is "period_weekly"; only period_daily is supported`},
		{"an unknown environment condition", env(EnvCondition{Type: "date"}),
			`resource_groups[0].environments[0].condition[0].type is "date"; want tz, hms or weekday`},
		{"two time zones", env(EnvCondition{Type: "tz", Values: v("UTC", "Asia/Shanghai")}),
			"resource_groups[0].environments[0].condition[0].values must hold exactly one time zone"},
		{"a numeric time zone", env(EnvCondition{Type: "tz", Values: v(8)}),
			"resource_groups[0].environments[0].condition[0].values[0].value must be a time zone name"},
		{"one time", env(EnvCondition{Type: "hms", Values: v("09:00:00")}),
			"resource_groups[0].environments[0].condition[0].values must hold two times, from and to"},
		{"a bad time", env(EnvCondition{Type: "hms", Values: v("09:00:00", "24:00:00")}),
			`resource_groups[0].environments[0].condition[0].values[1].value must be a time HH:MM:SS, got "24:00:00"`},
		{"a time without seconds", env(EnvCondition{Type: "hms", Values: v("09:00", "10:00:00")}),
			"resource_groups[0].environments[0].condition[0].values[0].value must be a time HH:MM:SS"},
		{"no weekdays", env(EnvCondition{Type: "weekday"}),
			"resource_groups[0].environments[0].condition[0].values must not be empty"},
		{"weekday 7", env(EnvCondition{Type: "weekday", Values: v("1", json.Number("7"))}),
			"resource_groups[0].environments[0].condition[0].values[1].value must be a weekday 0..6"},
		{"weekday 1.5", env(EnvCondition{Type: "weekday", Values: v(1.5)}),
			"resource_groups[0].environments[0].condition[0].values[0].value must be a weekday 0..6"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := TranslateGroups("bkflow", c.groups)
			if err == nil || err.Error() != c.want {
				t.Fatalf("got %v\nwant %s", err, c.want)
			}
		})
	}
}

// TestTranslateGroupsJSON reads the SaaS's own JSON shapes.
func TestTranslateGroupsJSON(t *testing.T) {
	t.Parallel()
	const in = `[{"related_resource_types":[{"system_id":"bkflow","type":"task","condition":[
		{"instances":[{"type":"space","path":[[{"system_id":"bkflow","type":"space","id":"1","name":"s1"}]]}],
		 "attributes":[{"id":"priority","name":"p","values":[{"id":1,"name":"one"},{"id":2.0,"name":"two"}]}]}]}],
	  "environments":[{"type":"period_daily","condition":[
		{"type":"tz","values":[{"name":"","value":"Asia/Shanghai"}]},
		{"type":"weekday","values":[{"name":"","value":6}]}]}]}]`
	var groups []ResourceGroup
	if err := json.Unmarshal([]byte(in), &groups); err != nil {
		t.Fatal(err)
	}
	got, err := TranslateGroups("bkflow", groups)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"AND":{"content":[{"AND":{"content":[{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}},` +
		`{"NumericEquals":{"bkflow.task.priority":[1,2.0]}}]}},{"StringEquals":{"bkflow._bk_iam_env_.tz":["Asia/Shanghai"]}},` +
		`{"NumericEquals":{"bkflow._bk_iam_env_.weekday":[6]}}]}}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
