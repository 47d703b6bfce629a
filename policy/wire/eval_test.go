package wire

import (
	"encoding/json"
	"testing"
)

func objs(s string) ObjectSet {
	o, err := Objects([]byte(s))
	if err != nil {
		panic(err)
	}
	return o
}

// TestEval covers every operator with the edge cases of iam.md §2.2.4 and
// §4.10 (Go SDK column).
func TestEval(t *testing.T) {
	o := objs(`{"task": {"id": "7", "n": 5, "f": 2.5, "name": "hello", "on": true,
		"tags": ["a", "b"], "empty": [], "nums": [1, 9], "_bk_iam_path_": ["/space,1/", "/space,1/template,3/"]}}`)
	cases := []struct {
		expr string
		want bool
	}{
		{`{}`, false},
		{`{"op":"any","field":"","value":[]}`, true},
		{`{"op":"any","field":"nothing.x","value":[]}`, true},
		{`{"op":"eq","field":"task.id","value":"7"}`, true},
		{`{"op":"eq","field":"task.id","value":7}`, false},
		{`{"op":"eq","field":"task.n","value":5}`, true},
		{`{"op":"eq","field":"task.n","value":5.0}`, true},
		{`{"op":"eq","field":"task.n","value":"5"}`, false},
		{`{"op":"eq","field":"task.id","value":["7"]}`, false},
		{`{"op":"eq","field":"task.tags","value":"b"}`, true},
		{`{"op":"eq","field":"task.empty","value":"b"}`, false},
		{`{"op":"eq","field":"template.id","value":"7"}`, false},
		{`{"op":"eq","field":"task.missing","value":"7"}`, false},
		{`{"op":"eq","field":"task.on","value":true}`, true},
		{`{"op":"not_eq","field":"task.id","value":"8"}`, true},
		{`{"op":"not_eq","field":"task.id","value":"7"}`, false},
		{`{"op":"not_eq","field":"template.id","value":"7"}`, true},
		{`{"op":"not_eq","field":"task.tags","value":"c"}`, true},
		{`{"op":"not_eq","field":"task.tags","value":"a"}`, false},
		{`{"op":"not_eq","field":"task.empty","value":"a"}`, true},
		{`{"op":"not_eq","field":"task.id","value":["8"]}`, false},
		{`{"op":"in","field":"task.id","value":["1","7"]}`, true},
		{`{"op":"in","field":"task.id","value":"7"}`, false},
		{`{"op":"in","field":"task.tags","value":["x","b"]}`, true},
		{`{"op":"in","field":"task.empty","value":["x"]}`, false},
		{`{"op":"in","field":"template.id","value":["7"]}`, false},
		{`{"op":"in","field":"task.n","value":["5"]}`, false},
		{`{"op":"not_in","field":"task.id","value":["1","2"]}`, true},
		{`{"op":"not_in","field":"task.id","value":["7"]}`, false},
		{`{"op":"not_in","field":"task.id","value":"1"}`, false},
		{`{"op":"not_in","field":"template.id","value":["7"]}`, true},
		{`{"op":"not_in","field":"task.tags","value":["c"]}`, true},
		{`{"op":"not_in","field":"task.tags","value":["a"]}`, false},
		{`{"op":"not_in","field":"task.empty","value":["a"]}`, true},
		{`{"op":"contains","field":"task.tags","value":"a"}`, true},
		{`{"op":"contains","field":"task.tags","value":"z"}`, false},
		{`{"op":"contains","field":"task.tags","value":["a"]}`, false},
		{`{"op":"contains","field":"task.name","value":"h"}`, false},
		{`{"op":"not_contains","field":"task.tags","value":"z"}`, true},
		{`{"op":"not_contains","field":"task.tags","value":"a"}`, false},
		{`{"op":"not_contains","field":"task.name","value":"z"}`, false},
		{`{"op":"not_contains","field":"task.tags","value":["z"]}`, false},
		{`{"op":"starts_with","field":"task.name","value":"he"}`, true},
		{`{"op":"starts_with","field":"task.name","value":["he"]}`, false},
		{`{"op":"starts_with","field":"task.n","value":"5"}`, false},
		{`{"op":"starts_with","field":"task._bk_iam_path_","value":"/space,1/template,3/"}`, true},
		{`{"op":"starts_with","field":"task._bk_iam_path_","value":"/space,2/"}`, false},
		{`{"op":"starts_with","field":"task._bk_iam_path_","value":"/space,1/template,*/"}`, true},
		{`{"op":"starts_with","field":"task._bk_iam_path_","value":"/space,1/flow,*/"}`, false},
		{`{"op":"starts_with","field":"task._bk_iam_path_","value":["/space,1/template,*/"]}`, false},
		{`{"op":"starts_with","field":"task.name","value":"hello,*/"}`, false},
		{`{"op":"not_starts_with","field":"task.name","value":"x"}`, true},
		{`{"op":"not_starts_with","field":"task.name","value":"he"}`, false},
		{`{"op":"not_starts_with","field":"task.n","value":"x"}`, false},
		{`{"op":"not_starts_with","field":"task.empty","value":"x"}`, true},
		{`{"op":"ends_with","field":"task.name","value":"llo"}`, true},
		{`{"op":"ends_with","field":"task.tags","value":"b"}`, true},
		{`{"op":"not_ends_with","field":"task.name","value":"llo"}`, false},
		{`{"op":"not_ends_with","field":"task.tags","value":"b"}`, false},
		{`{"op":"not_ends_with","field":"template.name","value":"b"}`, false},
		{`{"op":"string_contains","field":"task.name","value":"ell"}`, true},
		{`{"op":"string_contains","field":"task.name","value":"z"}`, false},
		{`{"op":"string_contains","field":"task.name","value":["ell"]}`, false},
		{`{"op":"lt","field":"task.n","value":6}`, true},
		{`{"op":"lt","field":"task.n","value":5}`, false},
		{`{"op":"lte","field":"task.n","value":5}`, true},
		{`{"op":"gt","field":"task.f","value":2}`, true},
		{`{"op":"gte","field":"task.f","value":2.5}`, true},
		{`{"op":"gt","field":"task.nums","value":5}`, true},
		{`{"op":"gt","field":"task.empty","value":5}`, false},
		{`{"op":"gt","field":"task.n","value":"4"}`, false},
		{`{"op":"gt","field":"task.name","value":"a"}`, true},
		{`{"op":"lt","field":"template.n","value":1}`, false},
		{`{"op":"gt","field":"task.n","value":[1]}`, false},
		{`{"op":"AND","content":[]}`, true},
		{`{"op":"OR","content":[]}`, false},
		{`{"op":"AND","content":[{"op":"eq","field":"task.id","value":"7"},{"op":"starts_with","field":"task._bk_iam_path_","value":"/space,1/"}]}`, true},
		{`{"op":"AND","content":[{"op":"eq","field":"task.id","value":"7"},{"op":"starts_with","field":"task._bk_iam_path_","value":"/space,2/"}]}`, false},
		{`{"op":"OR","content":[{"op":"eq","field":"task.id","value":"8"},{"op":"OR","content":[{"op":"any","field":"","value":[]}]}]}`, true},
		{`{"op":"nope","field":"task.id","value":"7"}`, false},
	}
	for _, c := range cases {
		var e Expr
		if err := json.Unmarshal([]byte(c.expr), &e); err != nil {
			t.Fatalf("%s: %v", c.expr, err)
		}
		if got := e.Eval(o); got != c.want {
			t.Errorf("%s: got %v, want %v", c.expr, got, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`[]`, "$: must be an object"},
		{`{"field":"a.b","value":1}`, "$.op: is required and must be a string"},
		{`{"op":"like","field":"a.b","value":1}`, `$.op: operator "like" is not supported`},
		{`{"op":"AND"}`, "$.content: AND needs an array of expressions"},
		{`{"op":"OR","content":[{"op":"eq","field":"id","value":1}]}`, `$.content[0].field: must be "<type>.<attribute>", got "id"`},
		{`{"op":"eq","field":"a.b"}`, "$.value: is required"},
		{`{"op":"in","field":"a.b","value":[[1]]}`, "$.value[0]: arrays do not nest"},
		{`{"op":"eq","field":"a.b","value":{"x":1}}`, "$.value: must be a string, number, boolean or an array of them"},
		{`{"op":"eq","field":"a.b","value":1,"content":[]}`, `$: eq takes op, field and value only, not "content"`},
		{`{"op":"eq","field":"a.b","value":1} 1`, "expression has data after its JSON value"},
		{`{`, "expression is not JSON: unexpected EOF"},
	} {
		_, err := Parse([]byte(c.in))
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: got %v, want %q", c.in, err, c.want)
		}
	}
	deep := `{"op":"eq","field":"a.b","value":1}`
	for range MaxDepth + 1 {
		deep = `{"op":"AND","content":[` + deep + `]}`
	}
	if _, err := Parse([]byte(deep)); err == nil {
		t.Fatal("a too deep expression parsed")
	}
}

func TestMarshalShapes(t *testing.T) {
	for in, want := range map[string]string{
		`{}`: `{}`,
		`{"op":"AND","content":[{"op":"eq","field":"task.id","value":"1"}]}`: `{"op":"AND","content":[{"op":"eq","field":"task.id","value":"1"}]}`,
		`{"op":"in","field":"task.id","value":["1",2]}`:                      `{"op":"in","field":"task.id","value":["1",2]}`,
		`{"op":"OR","content":[]}`:                                           `{"op":"OR","content":[]}`,
	} {
		e, err := Parse([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		got, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("%s: got %s, want %s", in, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{`{}`, `{"op":"any","field":"","value":[]}`,
		`{"op":"AND","content":[{"op":"eq","field":"task.id","value":"7"},{"op":"starts_with","field":"task._bk_iam_path_","value":"/space,1/"}]}`,
		`{"op":"in","field":"task.id","value":["1",2,true,null]}`, `{"op":"OR","content":[]}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse([]byte(s))
		if err != nil {
			return
		}
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		e2, err := Parse(b)
		if err != nil {
			t.Fatalf("%s re-parses with %v", b, err)
		}
		b2, _ := json.Marshal(e2)
		if string(b) != string(b2) {
			t.Fatalf("round trip changed %s into %s", b, b2)
		}
	})
}

func FuzzEval(f *testing.F) {
	f.Add(`{"op":"starts_with","field":"task._bk_iam_path_","value":"/a,*/"}`, `{"task":{"id":"1","_bk_iam_path_":["/a,1/"]}}`)
	f.Add(`{"op":"OR","content":[{"op":"gt","field":"task.n","value":1}]}`, `{"task":{"n":[0,2]}}`)
	f.Fuzz(func(t *testing.T, expr, objects string) {
		var e Expr
		if json.Unmarshal([]byte(expr), &e) != nil {
			return
		}
		o, err := Objects([]byte(objects))
		if err != nil {
			return
		}
		_ = e.Eval(o)
	})
}
