package grant

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestConditionMarshal(t *testing.T) {
	t.Parallel()
	cases := []struct {
		c    Condition
		want string
	}{
		{Leaf(OpStringEquals, "bkflow.task.id", "1", "2"), `{"StringEquals":{"bkflow.task.id":["1","2"]}}`},
		{Leaf(OpAny, "bkflow.task.id"), `{"Any":{"bkflow.task.id":[]}}`},
		{Condition{Op: OpAny, Field: "bkflow.task.id"}, `{"Any":{"bkflow.task.id":[]}}`},
		{Leaf(OpBool, "bkflow.task.public", true), `{"Bool":{"bkflow.task.public":[true]}}`},
		{Leaf(OpNumericGte, "bkflow._bk_iam_env_.hms", 90000), `{"NumericGte":{"bkflow._bk_iam_env_.hms":[90000]}}`},
		{And(), `{"AND":{"content":[]}}`},
		{Or(Leaf(OpStringPrefix, "f", "/a/"), And(Leaf(OpStringContains, "g", "x"))),
			`{"OR":{"content":[{"StringPrefix":{"f":["/a/"]}},{"AND":{"content":[{"StringContains":{"g":["x"]}}]}}]}}`},
	}
	for _, c := range cases {
		if got := js(t, c.c); got != c.want {
			t.Errorf("got %s, want %s", got, c.want)
		}
		if got := c.c.String(); got != c.want {
			t.Errorf("String: got %s, want %s", got, c.want)
		}
	}
	for _, bad := range []Condition{
		{},
		{Op: "NotEquals", Field: "f"},
		Leaf(OpStringEquals, "f", nil),
		And(Leaf(OpStringEquals, "f", []string{"x"})),
	} {
		if b, err := bad.MarshalJSON(); err == nil {
			t.Errorf("%#v marshalled to %s", bad, b)
		}
		if s := bad.String(); !strings.HasPrefix(s, "<grant: ") {
			t.Errorf("String of a bad condition: %s", s)
		}
	}
	if !(Condition{}).IsZero() || And().IsZero() {
		t.Error("IsZero")
	}
}

func TestParseCondition(t *testing.T) {
	t.Parallel()
	good := []string{
		`{"StringEquals":{"bkflow.task.id":["1","2"]}}`,
		`{"Any":{"bkflow.task.id":[]}}`,
		`{"Any":{"":[]}}`,
		`{"Bool":{"bkflow.task.public":[false]}}`,
		`{"NumericEquals":{"bkflow.task.p":[1,2.5,-3,1e+16]}}`,
		`{"NumericLte":{"bkflow._bk_iam_env_.hms":[183000]}}`,
		`{"StringContains":{"f":["x"]}}`,
		`{"NumericGt":{"f":[1]}}`,
		`{"NumericGte":{"f":[1]}}`,
		`{"NumericLt":{"f":[1]}}`,
		`{"AND":{"content":[]}}`,
		`{"OR":{"content":[{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}},{"AND":{"content":[{"StringEquals":{"bkflow.task.id":["7"]}},{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}}]}}]}}`,
		`{"StringEquals":{"f":["\u84dd\ud83d\ude00\"\\"]}}`,
	}
	for _, s := range good {
		c, err := ParseCondition([]byte(s))
		if err != nil {
			t.Errorf("%s: %v", s, err)
			continue
		}
		if got := js(t, c); got != s {
			t.Errorf("round trip: got %s, want %s", got, s)
		}
	}
	// What Python's json.loads then json.dumps would write.
	normalised := map[string]string{
		` { "StringEquals" : { "f" : [ "a" , "b" ] } } `: `{"StringEquals":{"f":["a","b"]}}`,
		`{"NumericEquals":{"f":[1.50,1E2,-0]}}`:          `{"NumericEquals":{"f":[1.5,100.0,0]}}`,
		`{"StringEquals":{"f":["蓝鲸<&>"]}}`:               `{"StringEquals":{"f":["\u84dd\u9cb8<&>"]}}`,
	}
	for in, want := range normalised {
		c, err := ParseCondition([]byte(in))
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if got := js(t, c); got != want {
			t.Errorf("%s: got %s, want %s", in, got, want)
		}
	}
	bad := map[string]string{
		``:                                       "EOF",
		`[]`:                                     "want a condition object",
		`{}`:                                     "an empty object",
		`{"NotIn":{"f":["1"]}}`:                  `can not support operator "NotIn"`,
		`{"StringEquals":{}}`:                    "an empty object",
		`{"StringEquals":{"f":"1"}}`:             "want an array",
		`{"StringEquals":{"f":[null]}}`:          "values must be strings, numbers or booleans",
		`{"StringEquals":{"f":[["1"]]}}`:         "values must be strings, numbers or booleans",
		`{"StringEquals":{"f":[{"a":1}]}}`:       "values must be strings, numbers or booleans",
		`{"StringEquals":{"f":["1"],"g":["2"]}}`: "more than one field key",
		`{"StringEquals":{"f":["1"]},"Any":{"":[]}}`: "more than one operator key",
		`{"AND":{"items":[]}}`:                       `AND needs the key "content", not "items"`,
		`{"OR":{"content":[{"Nope":{"f":[]}}]}}`:     `can not support operator "Nope"`,
		`{"OR":{"content":[1]}}`:                     "want a condition object",
		`{"Any":{"":[]}} {"Any":{"":[]}}`:            "data after the condition",
		`{"Any":{"":[]}`:                             "EOF",
		`{"Any":{"":[1}}`:                            "invalid character",
	}
	for in, want := range bad {
		_, err := ParseCondition([]byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want an error with %q", in, err, want)
		}
	}
}

func TestConditionJSON(t *testing.T) {
	t.Parallel()
	type doc struct {
		Expression Condition `json:"expression"`
	}
	var d doc
	const in = `{"expression":{"OR":{"content":[{"StringEquals":{"bkflow.task.id":["1"]}},{"Any":{"bkflow.task.id":[]}}]}}}`
	if err := json.Unmarshal([]byte(in), &d); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != in {
		t.Fatalf("got %s", b)
	}
	if err := json.Unmarshal([]byte(`{"expression":{"X":{}}}`), &d); err == nil {
		t.Fatal("a bad condition decoded")
	}
}
