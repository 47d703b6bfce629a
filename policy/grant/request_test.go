package grant

import (
	"encoding/json"
	"reflect"
	"testing"
)

// decode reads a request body or fails the test.
func decode(t *testing.T, kind Kind, body string) Request {
	t.Helper()
	var r Request
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	r.Kind = kind
	return r
}

// bkflowTaskRelated is task_view's one related resource type.
func bkflowTaskRelated(ignore bool) []RelatedType {
	return []RelatedType{{ResourceTypeRef: bkflowTask(), Views: bkflowTaskViews(ignore)}}
}

func TestRequestDecode(t *testing.T) {
	t.Parallel()
	// The batch_path example of BlueKing's API documentation.
	r := decode(t, KindBatchPath, `{
	  "asynchronous": false, "operate": "grant", "system": "bk_cmdb",
	  "actions": [{"id": "edit_host"}],
	  "subject": {"type": "user", "id": "admin"},
	  "resources": [{"system": "bk_cmdb", "type": "host",
	    "paths": [[{"type": "biz", "id": "1", "name": "biz1"}, {"type": "set", "id": "*", "name": ""}]]}],
	  "expired_at": 1704042061}`)
	want := Request{Kind: KindBatchPath, Operate: OperateGrant, System: "bk_cmdb",
		Actions: []ActionRef{{ID: "edit_host"}}, Subject: Subject{Type: SubjectUser, ID: "admin"},
		Resources: []Resource{{System: "bk_cmdb", Type: "host",
			Paths: [][]Node{{{Type: "biz", ID: "1", Name: "biz1"}, {Type: "set", ID: "*"}}}}},
		ExpiredAt: 1704042061}
	if !reflect.DeepEqual(r, want) {
		t.Fatalf("got %+v", r)
	}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := r.ActionIDs(); !reflect.DeepEqual(got, []string{"edit_host"}) {
		t.Fatal(got)
	}
	if r.Expiry() != 1704042061 {
		t.Fatal(r.Expiry())
	}
	// Path nodes may carry "system" or "system_id".
	r = decode(t, KindPath, `{"operate":"revoke","system":"bkflow","action":{"id":"task_view"},
	  "subject":{"type":"group","id":"3"},
	  "resources":[{"system":"bkflow","type":"task","path":[
	    {"system":"bkflow","type":"space","id":"1","name":"s"},{"system_id":"bkflow","type":"task","id":"7","name":"t"}]}]}`)
	if got := r.Resources[0].Path; got[0].SystemID != "bkflow" || got[1].SystemID != "bkflow" {
		t.Fatalf("%+v", got)
	}
	if r.Expiry() != Permanent || r.ActionIDs()[0] != "task_view" {
		t.Fatal(r.Expiry(), r.ActionIDs())
	}
}

func TestRequestValidate(t *testing.T) {
	t.Parallel()
	base := func(kind Kind) Request {
		r := Request{Kind: kind, Operate: OperateGrant, System: "bkflow",
			Subject: Subject{Type: SubjectUser, ID: "carol"}}
		if kind.Batch() {
			r.Actions = []ActionRef{{ID: "task_view"}, {ID: "task_operate"}}
		} else {
			r.Action = &ActionRef{ID: "task_view"}
		}
		res := Resource{System: "bkflow", Type: "task"}
		switch kind {
		case KindInstance:
			res.ID, res.Name = "7", "task 7"
		case KindBatchInstance:
			res.Instances = []Node{{ID: "7", Name: "task 7"}, {Type: "task", ID: "8", Name: "task 8"}}
		case KindPath:
			res.Path = path(nd("space", "1"), nd("task", "*"))
		case KindBatchPath:
			res.Paths = paths(path(nd("space", "1")), path(nd("space", "2"), nd("template", "5"), nd("task", "9")))
		}
		r.Resources = []Resource{res}
		return r
	}
	for _, kind := range []Kind{KindInstance, KindBatchInstance, KindPath, KindBatchPath} {
		r := base(kind)
		if err := r.Validate(); err != nil {
			t.Errorf("%s: %v", kind, err)
		}
		// Without Kind, the shape gives it.
		r.Kind = ""
		if err := r.Validate(); err != nil {
			t.Errorf("%s inferred: %v", kind, err)
		}
		if r.kind() != kind {
			t.Errorf("inferred %s, want %s", r.kind(), kind)
		}
	}
	many := make([][]Node, MaxSelections+1)
	for i := range many {
		many[i] = path(nd("space", "1"))
	}
	cases := []struct {
		name   string
		kind   Kind
		mutate func(*Request)
		want   string
	}{
		{"an unknown kind", "attribute", func(r *Request) {}, `kind is "attribute"; want instance, batch_instance, path or batch_path`},
		{"a bad operate", KindPath, func(r *Request) { r.Operate = "give" }, `operate must be grant or revoke, got "give"`},
		{"no system", KindPath, func(r *Request) { r.System = "" }, "system is required"},
		{"no action", KindPath, func(r *Request) { r.Action = nil }, "action.id is required"},
		{"an empty action id", KindInstance, func(r *Request) { r.Action.ID = "" }, "action.id is required"},
		{"actions in a single request", KindPath, func(r *Request) { r.Actions = []ActionRef{{ID: "x"}} },
			"actions is for the batch APIs; the path API takes action"},
		{"action in a batch request", KindBatchPath, func(r *Request) { r.Action = &ActionRef{ID: "x"} },
			"action is for the single APIs; the batch_path API takes actions"},
		{"no actions", KindBatchInstance, func(r *Request) { r.Actions = nil }, "actions must not be empty"},
		{"an empty action id in a batch", KindBatchPath, func(r *Request) { r.Actions[1].ID = "" }, "actions[1].id is required"},
		{"a repeated action", KindBatchPath, func(r *Request) { r.Actions[1].ID = "task_view" }, `actions[1].id repeats "task_view"`},
		{"a department", KindPath, func(r *Request) { r.Subject.Type = "department" }, `subject.type must be user or group, got "department"`},
		{"no subject id", KindPath, func(r *Request) { r.Subject.ID = "" }, "subject.id is required"},
		{"a negative expiry", KindPath, func(r *Request) { r.ExpiredAt = -1 }, "expired_at must be unix seconds between 0 (permanent) and 4102444800"},
		{"an expiry past 2100", KindPath, func(r *Request) { r.ExpiredAt = Permanent + 1 }, "expired_at must be unix seconds between 0 (permanent) and 4102444800"},
		{"a resource without a system", KindPath, func(r *Request) { r.Resources[0].System = "" }, "resources[0].system is required"},
		{"a resource without a type", KindPath, func(r *Request) { r.Resources[0].Type = "" }, "resources[0].type is required"},
		{"a resource type twice", KindPath, func(r *Request) { r.Resources = append(r.Resources, r.Resources[0]) },
			"resources[1] repeats resource type bkflow:task of resources[0]"},
		{"an instance without an id", KindInstance, func(r *Request) { r.Resources[0].ID = "" }, "resources[0].id is required"},
		{"an instance id *", KindInstance, func(r *Request) { r.Resources[0].ID = "*" },
			"resources[0].id cannot be *; grant a path ending in * for any instance"},
		{"a path in an instance request", KindInstance, func(r *Request) { r.Resources[0].Path = path(nd("space", "1")) },
			"resources[0].path is not accepted by the instance API"},
		{"an id in a path request", KindPath, func(r *Request) { r.Resources[0].ID = "7" },
			"resources[0].id is not accepted by the path API"},
		{"instances in a batch_path request", KindBatchPath, func(r *Request) { r.Resources[0].Instances = []Node{} },
			"resources[0].instances is not accepted by the batch_path API"},
		{"no instances", KindBatchInstance, func(r *Request) { r.Resources[0].Instances = []Node{} }, "resources[0].instances must not be empty"},
		{"an instance of another type", KindBatchInstance, func(r *Request) { r.Resources[0].Instances[1].Type = "space" },
			`resources[0].instances[1].type is "space"; the resource is of type "task"`},
		{"an instance without an id in a batch", KindBatchInstance, func(r *Request) { r.Resources[0].Instances[1].ID = "" },
			"resources[0].instances[1].id is required"},
		{"too many paths", KindBatchPath, func(r *Request) { r.Resources[0].Paths = many },
			"resources[0].paths holds 1001 paths; at most 1000"},
		{"no path", KindPath, func(r *Request) { r.Resources[0].Path = []Node{} }, "resources[0].path must not be empty"},
		{"a node without a type", KindPath, func(r *Request) { r.Resources[0].Path[1].Type = "" }, "resources[0].path[1].type is required"},
		{"a node without an id", KindPath, func(r *Request) { r.Resources[0].Path[0].ID = "" }, "resources[0].path[0].id is required"},
		{"a lone *", KindPath, func(r *Request) { r.Resources[0].Path = path(Node{Type: "space", ID: "*"}) },
			"resources[0].path is a single * node; a path must start at an instance"},
		{"a repeated node", KindPath, func(r *Request) { r.Resources[0].Path = path(nd("space", "1"), nd("space", "1")) },
			"resources[0].path (/space,1/space,1/) passes space,1 more than once"},
		{"no paths", KindBatchPath, func(r *Request) { r.Resources[0].Paths = [][]Node{} }, "resources[0].paths must not be empty"},
		{"an empty path in a batch", KindBatchPath, func(r *Request) { r.Resources[0].Paths[1] = nil }, "resources[0].paths[1] must not be empty"},
		{"a bad node in a batch", KindBatchPath, func(r *Request) { r.Resources[0].Paths[1][2].Type = "" },
			"resources[0].paths[1][2].type is required"},
		{"a repeated ancestor before a leaf", KindBatchPath, func(r *Request) {
			r.Resources[0].Paths[1] = path(nd("space", "1"), nd("space", "1"), nd("task", "1"))
		}, "resources[0].paths[1] (/space,1/space,1/) passes space,1 more than once"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := base(c.kind)
			if c.kind == "attribute" {
				r = base(KindPath)
				r.Kind = c.kind
			}
			c.mutate(&r)
			err := r.Validate()
			if err == nil || err.Error() != c.want {
				t.Fatalf("got %v\nwant %s", err, c.want)
			}
			if _, ok := err.(*FieldError); !ok {
				t.Fatalf("%T is not a *FieldError", err)
			}
		})
	}
	// An action without resource types takes no resources.
	r := base(KindInstance)
	r.Resources = nil
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	// Names are optional.
	r = base(KindBatchPath)
	r.Resources[0].Paths[1][0].Name = ""
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	r = base(KindInstance)
	r.Resources[0].Name = ""
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	// A leaf may repeat its ancestor's type,id (the translator allows it).
	r = base(KindPath)
	r.Resources[0].Path = path(nd("task", "1"), nd("task", "1"))
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestRequestSelections(t *testing.T) {
	t.Parallel()
	r := Request{Resources: []Resource{
		{System: "bkflow", Type: "space", Paths: paths(path(nd("space", "9")))},
		{System: "bkflow", Type: "task", Paths: paths(
			path(nd("space", "1"), nd("task", "7")),
			path(nd("space", "2")),
			path(nd("space", "1"), nd("template", "5"), nd("task", "*")),
			path(sn("bkflow", "space", "3")),
			path(nd("task", "8")),
		)},
	}}
	got := r.Selections(bkflowTask())
	// Grouped by the system and type of the last node that is not "*",
	// in key order: ("", space), ("", task), ("", template), ("bkflow", space).
	want := []Instance{
		{Type: "space", Paths: paths(path(nd("space", "2")))},
		{Type: "task", Paths: paths(path(nd("space", "1"), nd("task", "7")), path(nd("task", "8")))},
		{Type: "template", Paths: paths(path(nd("space", "1"), nd("template", "5"), nd("task", "*")))},
		{Type: "space", Paths: paths(path(sn("bkflow", "space", "3")))},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	got[0].Paths[0][0].ID = "changed"
	if r.Resources[1].Paths[1][0].ID != "2" {
		t.Fatal("Selections shares nodes with the request")
	}
	// Instances become one-node paths of the resource's system and type.
	r = Request{Resources: []Resource{
		{System: "bkflow", Type: "task", ID: "7", Name: "seven"},
	}}
	if got := r.Selections(bkflowTask()); !reflect.DeepEqual(got, []Instance{{Type: "task", Paths: paths(path(Node{SystemID: "bkflow", Type: "task", ID: "7", Name: "seven"}))}}) {
		t.Fatalf("%+v", got)
	}
	r = Request{Resources: []Resource{
		{System: "bkflow", Type: "task", Instances: []Node{{ID: "7", Name: "a"}, {Type: "task", ID: "8", Name: "b"}}},
	}}
	if got := r.Selections(bkflowTask()); !reflect.DeepEqual(got, []Instance{{Type: "task", Paths: paths(
		path(Node{SystemID: "bkflow", Type: "task", ID: "7", Name: "a"}),
		path(Node{SystemID: "bkflow", Type: "task", ID: "8", Name: "b"}),
	)}}) {
		t.Fatalf("%+v", got)
	}
	if got := r.Selections(ResourceTypeRef{SystemID: "bkflow", Type: "space"}); got != nil {
		t.Fatalf("%+v", got)
	}
}

func TestRequestTranslate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		kind    Kind
		body    string
		related []RelatedType
		want    string
	}{
		{"all tasks of space 1", KindPath,
			`{"resources":[{"system":"bkflow","type":"task","path":[{"type":"space","id":"1","name":"s"}]}]}`,
			bkflowTaskRelated(false),
			`{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}}`},
		{"every task under space 1 by *", KindPath,
			`{"resources":[{"system":"bkflow","type":"task","path":[{"type":"space","id":"1","name":"s"},{"type":"task","id":"*","name":""}]}]}`,
			bkflowTaskRelated(true),
			`{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}}`},
		{"task 7 of space 1, ignore_iam_path false", KindPath,
			`{"resources":[{"system":"bkflow","type":"task","path":[{"type":"space","id":"1","name":"s"},{"type":"task","id":"7","name":"t"}]}]}`,
			bkflowTaskRelated(false),
			`{"AND":{"content":[{"StringEquals":{"bkflow.task.id":["7"]}},{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}}]}}`},
		{"task 7 of space 1, ignore_iam_path true", KindPath,
			`{"resources":[{"system":"bkflow","type":"task","path":[{"type":"space","id":"1","name":"s"},{"type":"task","id":"7","name":"t"}]}]}`,
			bkflowTaskRelated(true),
			`{"StringEquals":{"bkflow.task.id":["7"]}}`},
		{"tasks of template 5", KindPath,
			`{"resources":[{"system":"bkflow","type":"task","path":[{"type":"space","id":"1","name":"s"},{"type":"template","id":"5","name":"t"}]}]}`,
			bkflowTaskRelated(false),
			`{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/template,5/"]}}`},
		{"an instance grant of task 7", KindInstance,
			`{"resources":[{"system":"bkflow","type":"task","id":"7","name":"seven"}]}`,
			bkflowTaskRelated(false),
			`{"StringEquals":{"bkflow.task.id":["7"]}}`},
		{"a batch of instances", KindBatchInstance,
			`{"resources":[{"system":"bkflow","type":"task","instances":[{"id":"7","name":"a"},{"id":"8","name":"b"}]}]}`,
			bkflowTaskRelated(false),
			`{"StringEquals":{"bkflow.task.id":["7","8"]}}`},
		{"a batch of paths, grouped as the SaaS groups them", KindBatchPath,
			`{"resources":[{"system":"bkflow","type":"task","paths":[
			  [{"type":"space","id":"1","name":"s"},{"type":"task","id":"7","name":"t"}],
			  [{"type":"space","id":"2","name":"s"}],
			  [{"type":"space","id":"1","name":"s"},{"type":"task","id":"8","name":"t"}]]}]}`,
			bkflowTaskRelated(false),
			`{"OR":{"content":[{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,2/"]}},` +
				`{"AND":{"content":[{"StringEquals":{"bkflow.task.id":["7","8"]}},{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}}]}}]}}`},
		{"two resource types: AND in the action's order", KindPath,
			`{"resources":[{"system":"bkflow","type":"task","path":[{"type":"space","id":"1","name":"s"}]},
			  {"system":"bkflow","type":"template","path":[{"type":"space","id":"1","name":"s"},{"type":"template","id":"5","name":"t"}]}]}`,
			[]RelatedType{
				{ResourceTypeRef: ResourceTypeRef{SystemID: "bkflow", Type: "template"},
					Views: []View{{ID: "template", Chain: chain("bkflow", "space", "template"), IgnoreIAMPath: true}}},
				{ResourceTypeRef: bkflowTask(), Views: bkflowTaskViews(false)},
			},
			`{"AND":{"content":[{"StringEquals":{"bkflow.template.id":["5"]}},{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}}]}}`},
		{"a bare leaf by path with an ignore_iam_path view", KindPath,
			`{"resources":[{"system":"bkflow","type":"task","path":[{"type":"task","id":"7","name":"t"}]}]}`,
			bkflowTaskRelated(true),
			`{"StringEquals":{"bkflow.task.id":["7"]}}`},
		{"missing system ids come from the views before grouping", KindBatchPath,
			`{"resources":[{"system":"bkflow","type":"task","paths":[
			  [{"type":"space","id":"2","name":"s"}],
			  [{"system":"bkflow","type":"space","id":"1","name":"s"},{"type":"task","id":"7","name":"t"}],
			  [{"system":"bkflow","type":"space","id":"3","name":"s"}]]}]}`,
			bkflowTaskRelated(false),
			`{"OR":{"content":[{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,2/","/space,3/"]}},` +
				`{"AND":{"content":[{"StringEquals":{"bkflow.task.id":["7"]}},{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}}]}}]}}`},
		{"an action without resource types", KindInstance, `{"resources":[]}`, nil,
			`{"Any":{"":[]}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := decode(t, c.kind, c.body)
			r.Operate, r.System, r.Subject = OperateGrant, "bkflow", Subject{Type: SubjectUser, ID: "carol"}
			if c.kind.Batch() {
				r.Actions = []ActionRef{{ID: "task_view"}}
			} else {
				r.Action = &ActionRef{ID: "task_view"}
			}
			if err := r.Validate(); err != nil {
				t.Fatal(err)
			}
			got, err := r.Translate(c.related)
			if err != nil {
				t.Fatal(err)
			}
			if s := js(t, got); s != c.want {
				t.Fatalf("got  %s\nwant %s", s, c.want)
			}
		})
	}
}

func TestRequestTranslateErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		body    string
		related []RelatedType
		want    string
	}{
		{"a resource type the action does not have",
			`{"resources":[{"system":"bkflow","type":"space","path":[{"type":"space","id":"1","name":"s"}]}]}`,
			bkflowTaskRelated(false),
			"resources[0] is of type bkflow:space, which the action does not have"},
		{"a resource for an action without resource types",
			`{"resources":[{"system":"bkflow","type":"task","path":[{"type":"space","id":"1","name":"s"}]}]}`,
			nil,
			"resources[0] is of type bkflow:task, which the action does not have"},
		{"nothing for one of the action's types",
			`{"resources":[]}`,
			bkflowTaskRelated(false),
			"resources select nothing of bkflow:task, a resource type of the action"},
		{"a path off the action's views",
			`{"resources":[{"system":"bkflow","type":"task","paths":[[{"type":"space","id":"1","name":"s"}],[{"type":"template","id":"5","name":"t"}]]}]}`,
			bkflowTaskRelated(false),
			"resources[0].paths[1] (template:5) matches none of the instance views of bkflow:task"},
		{"a bare leaf by path without an ignore_iam_path view",
			`{"resources":[{"system":"bkflow","type":"task","paths":[[{"type":"task","id":"7","name":"t"}]]}]}`,
			bkflowTaskRelated(false),
			"resources[0].paths[0] (task:7) matches none of the instance views of bkflow:task"},
		{"views that disagree on a node's system",
			`{"resources":[{"system":"bkflow","type":"task","paths":[[{"type":"space","id":"1","name":"s"}]]}]}`,
			[]RelatedType{{ResourceTypeRef: bkflowTask(), Views: []View{
				{ID: "a", Chain: chain("bkflow", "space", "task")},
				{ID: "b", Chain: []TypeRef{{SystemID: "other", ID: "space"}, {SystemID: "bkflow", ID: "task"}}},
			}}},
			"resources[0].paths[0] (space:1) gets different systems from the instance views it matches"},
		{"an instance off the views",
			`{"resources":[{"system":"bkflow","type":"task","instances":[{"id":"7","name":"t"}]}]}`,
			[]RelatedType{{ResourceTypeRef: bkflowTask(), Views: nil}},
			"resources[0].instances[0] (task:7) matches none of the instance views of bkflow:task"},
		{"a path of another system",
			`{"resources":[{"system":"bkflow","type":"task","paths":[[{"system":"bk_sops","type":"space","id":"1","name":"s"}]]}]}`,
			bkflowTaskRelated(false),
			"resources[0].paths[0] (space:1) matches none of the instance views of bkflow:task"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := decode(t, "", c.body) // the kind follows the shape
			_, err := r.Translate(c.related)
			if err == nil || err.Error() != c.want {
				t.Fatalf("got %v\nwant %s", err, c.want)
			}
		})
	}
}
