package policy

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/bkflow/bkflow/policy/grant"
)

// TestQuery partially evaluates policies with OPA and checks the wire
// expressions against iam.md §2.2.1 and §4.6.
func TestQuery(t *testing.T) {
	tpl := Resource{System: "bkflow", Type: "template", ID: "5", Attribute: map[string]any{}}
	cases := []struct {
		name     string
		policies []string
		res      []Resource
		want     string
	}{
		{"no policy", nil, nil, `{}`},
		{"one id", []string{`{"StringEquals":{"bkflow.task.id":["1"]}}`}, nil,
			`{"op":"eq","field":"task.id","value":"1"}`},
		{"several ids", []string{`{"StringEquals":{"bkflow.task.id":["1","2"]}}`}, nil,
			`{"op":"in","field":"task.id","value":["1","2"]}`},
		{"eq and in merged per field across policies", []string{
			`{"StringEquals":{"bkflow.task.id":["1","2"]}}`,
			`{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}}`,
			`{"StringEquals":{"bkflow.task.id":["3"]}}`}, nil,
			`{"op":"OR","content":[{"op":"starts_with","field":"task._bk_iam_path_","value":"/space,1/"},{"op":"in","field":"task.id","value":["1","2","3"]}]}`},
		{"prefix with several values is an OR of starts_with", []string{
			`{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/","/space,2/template,*/"]}}`}, nil,
			`{"op":"OR","content":[{"op":"starts_with","field":"task._bk_iam_path_","value":"/space,1/"},{"op":"starts_with","field":"task._bk_iam_path_","value":"/space,2/template,*/"}]}`},
		{"and kept", []string{
			`{"AND":{"content":[{"StringEquals":{"bkflow.task.id":["7"]}},{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}}]}}`}, nil,
			`{"op":"AND","content":[{"op":"eq","field":"task.id","value":"7"},{"op":"starts_with","field":"task._bk_iam_path_","value":"/space,1/"}]}`},
		{"any wins", []string{`{"StringEquals":{"bkflow.task.id":["1"]}}`, `{"Any":{"bkflow.task.id":[]}}`}, nil,
			`{"op":"any","field":"","value":[]}`},
		{"present resource settles true", []string{`{"StringEquals":{"bkflow.task.id":["7"]}}`},
			[]Resource{task("7", `{}`)}, `{"op":"any","field":"","value":[]}`},
		{"present resource settles false", []string{`{"StringEquals":{"bkflow.task.id":["7"]}}`},
			[]Resource{task("8", `{}`)}, `{}`},
		{"settled leaves drop, open ones stay", []string{
			`{"AND":{"content":[{"StringEquals":{"bkflow.template.id":["5"]}},{"StringEquals":{"bkflow.task.id":["7"]}}]}}`},
			[]Resource{tpl}, `{"op":"eq","field":"task.id","value":"7"}`},
		{"a failing branch drops its clause", []string{
			`{"OR":{"content":[{"StringEquals":{"bkflow.template.id":["6"]}},{"StringEquals":{"bkflow.task.id":["7"]}}]}}`},
			[]Resource{tpl}, `{"op":"eq","field":"task.id","value":"7"}`},
		{"numeric and bool", []string{`{"AND":{"content":[{"NumericGte":{"bkflow.task.n":[3]}},{"Bool":{"bkflow.task.on":[true]}}]}}`}, nil,
			`{"op":"AND","content":[{"op":"gte","field":"task.n","value":3},{"op":"eq","field":"task.on","value":true}]}`},
		// A lone top-level eq still becomes an in: the merge makes one in per field.
		{"one policy's OR stays nested", []string{
			`{"OR":{"content":[{"StringEquals":{"bkflow.task.id":["1"]}},{"StringContains":{"bkflow.task.name":["x"]}}]}}`,
			`{"StringEquals":{"bkflow.task.id":["2"]}}`}, nil,
			`{"op":"OR","content":[{"op":"OR","content":[{"op":"eq","field":"task.id","value":"1"},{"op":"string_contains","field":"task.name","value":"x"}]},{"op":"in","field":"task.id","value":["2"]}]}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ps []Policy
			for i, x := range c.policies {
				ps = append(ps, Policy{ID: int64(i + 1), System: "bkflow", Action: "task_view", Subject: alice, Expression: x, ExpiredAt: Permanent})
			}
			e := newTestEngine(t, testNow, Snapshot{Policies: ps})
			rems, err := e.Remaining(context.Background(), Request{System: "bkflow", Subject: alice, Action: "task_view", Resources: c.res})
			if err != nil {
				t.Fatal(err)
			}
			expr, ok, err := Translate(rems)
			if err != nil {
				t.Fatal(err)
			}
			var got []byte
			if ok {
				got, err = json.Marshal(expr)
				if err != nil {
					t.Fatal(err)
				}
			} else {
				got = []byte(`{}`)
			}
			if string(got) != c.want {
				t.Fatalf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestTranslateLeafErrors(t *testing.T) {
	for _, c := range []struct {
		leaf Leaf
		want string
	}{
		{newLeaf(grant.OpStringEquals, "bkflow.task.id", nil), "StringEquals bkflow.task.id: value must not be empty"},
		{newLeaf(grant.OpNumericGt, "bkflow.task.n", []any{1.0, 2.0}), "NumericGt bkflow.task.n: takes exactly one value, got 2"},
		{newLeaf(grant.OpBool, "bkflow.task.b", []any{true, false}), "Bool bkflow.task.b: takes exactly one value, got 2"},
		{newLeaf("Nope", "bkflow.task.b", []any{true}), "can not support operator Nope"},
	} {
		_, err := TranslateLeaf(c.leaf)
		if err == nil || err.Error() != c.want {
			t.Errorf("%+v: got %v, want %q", c.leaf, err, c.want)
		}
	}
	for in, want := range map[string]string{"bkflow.task.id": "task.id", "task.id": "task.id", "id": "id",
		"bkflow._bk_iam_env_.hms": "_bk_iam_env_.hms"} {
		if got := wireField(in); got != want {
			t.Errorf("wireField(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseExpressionErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"StringEquals":{"a.b":["1"]},"OR":{"content":[]}}`, "grant: parse condition: $: more than one operator key"},
		{`{"NotEquals":{"a.b":["1"]}}`, `grant: parse condition: $: can not support operator "NotEquals"`},
		{`{"AND":{"items":[]}}`, `grant: parse condition: $: AND needs the key "content", not "items"`},
		{`{"StringEquals":{"a.b":"1"}}`, "grant: parse condition: $: StringEquals a.b: want an array, got 1"},
		{`{"StringEquals":{"a.b":[{"x":1}]}}`, "grant: parse condition: $: StringEquals a.b[0]: values must be strings, numbers or booleans"},
		{`{"OR":{"content":[{"StringEquals":{}}]}}`, "grant: parse condition: $.OR.content[0]: an empty object"},
		{`[{"system":"s","type":"t","expression":{"Nope":{"a":[]}}}]`, `[0].expression: grant: parse condition: $: can not support operator "Nope"`},
		{`nope`, "expression is neither a condition object nor an array of {system, type, expression}: invalid character 'o' in literal null (expecting 'u')"},
	} {
		_, err := ParseExpression(c.in)
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: got %v, want %q", c.in, err, c.want)
		}
	}
}

func TestDNFLimit(t *testing.T) {
	// (a1 OR a2) AND ... 11 times is 2^11 = 2048 clauses.
	or := `{"OR":{"content":[{"StringEquals":{"s.t.a":["1"]}},{"StringEquals":{"s.t.b":["1"]}}]}}`
	expr := `{"AND":{"content":[` + or
	for i := 0; i < 10; i++ {
		expr += "," + or
	}
	expr += `]}}`
	c, err := ParseExpression(expr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DNF(c); err == nil || err.Error() != "condition expands to more than 1024 alternatives" {
		t.Fatalf("got %v", err)
	}
}

func FuzzParseCondition(f *testing.F) {
	for _, s := range []string{
		`{"StringEquals":{"bkflow.task.id":["1","2"]}}`,
		`{"AND":{"content":[{"StringEquals":{"bkflow.task.id":["7"]}},{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}}]}}`,
		`{"OR":{"content":[{"Any":{"bkflow.task.id":[]}},{"NumericGt":{"a.b.c":[1.5]}},{"Bool":{"a.b.c":[true]}}]}}`,
		`[{"system":"bkflow","type":"task","expression":{"StringEquals":{"id":["7"]}}}]`,
		``, `[]`, `{}`, `{"AND":{"content":[]}}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseExpression(s)
		if err != nil {
			return
		}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("marshal %+v: %v", c, err)
		}
		c2, err := grant.ParseCondition(b)
		if err != nil {
			t.Fatalf("%s re-parses with %v", b, err)
		}
		b2, _ := json.Marshal(c2)
		if string(b) != string(b2) {
			t.Fatalf("round trip changed %s into %s", b, b2)
		}
		_, _ = DNF(c)
	})
}
