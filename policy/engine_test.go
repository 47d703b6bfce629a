package policy

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/rego"
)

var alice = Subject{Type: SubjectUser, ID: "alice"}

func newTestEngine(t testing.TB, now time.Time, s Snapshot) *Engine {
	t.Helper()
	e, err := NewEngine(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	e.now = func() time.Time { return now }
	if errs := e.Replace(s); len(errs) > 0 {
		t.Fatalf("replace: %v", errs)
	}
	return e
}

var testNow = time.Unix(1700000000, 0)

func task(id string, attrs string) Resource {
	var a map[string]any
	if err := json.Unmarshal([]byte(attrs), &a); err != nil {
		panic(err)
	}
	return Resource{System: "bkflow", Type: "task", ID: id, Attribute: a}
}

// TestAllowedOperators runs every stored operator through OPA with the
// edge cases of iam.md §2.1.1.
func TestAllowedOperators(t *testing.T) {
	cases := []struct {
		name string
		expr string
		res  []Resource
		want bool
	}{
		{"eq one value", `{"StringEquals":{"bkflow.task.id":["1"]}}`, []Resource{task("1", `{}`)}, true},
		{"eq several values", `{"StringEquals":{"bkflow.task.id":["1","2"]}}`, []Resource{task("2", `{}`)}, true},
		{"eq no match", `{"StringEquals":{"bkflow.task.id":["1"]}}`, []Resource{task("3", `{}`)}, false},
		{"eq empty values", `{"StringEquals":{"bkflow.task.id":[]}}`, []Resource{task("1", `{}`)}, false},
		{"eq list attribute any", `{"StringEquals":{"bkflow.task.tag":["b"]}}`, []Resource{task("1", `{"tag":["a","b"]}`)}, true},
		{"eq empty list attribute", `{"StringEquals":{"bkflow.task.tag":["b"]}}`, []Resource{task("1", `{"tag":[]}`)}, false},
		{"eq string vs number", `{"StringEquals":{"bkflow.task.n":["1"]}}`, []Resource{task("1", `{"n":1}`)}, false},
		{"eq number vs number", `{"StringEquals":{"bkflow.task.n":[1]}}`, []Resource{task("1", `{"n":1.0}`)}, true},
		{"missing object", `{"StringEquals":{"bkflow.template.id":["1"]}}`, []Resource{task("1", `{}`)}, false},
		{"missing attribute", `{"StringEquals":{"bkflow.task.owner":["a"]}}`, []Resource{task("1", `{}`)}, false},
		{"id attribute is overwritten by the id", `{"StringEquals":{"bkflow.task.id":["9"]}}`, []Resource{task("1", `{"id":"9"}`)}, false},
		{"prefix any path", `{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/template,5/"]}}`,
			[]Resource{task("7", `{"_bk_iam_path_":["/space,1/","/space,1/template,5/"]}`)}, true},
		{"prefix no path matches", `{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,2/"]}}`,
			[]Resource{task("7", `{"_bk_iam_path_":["/space,1/","/space,1/template,5/"]}`)}, false},
		{"prefix scalar path", `{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}}`,
			[]Resource{task("7", `{"_bk_iam_path_":"/space,1/"}`)}, true},
		{"wildcard below any set", `{"StringPrefix":{"bkflow.task._bk_iam_path_":["/biz,1/set,*/"]}}`,
			[]Resource{task("7", `{"_bk_iam_path_":["/biz,1/set,7/module,3/"]}`)}, true},
		{"wildcard needs the type", `{"StringPrefix":{"bkflow.task._bk_iam_path_":["/biz,1/set,*/"]}}`,
			[]Resource{task("7", `{"_bk_iam_path_":["/biz,1/module,2/"]}`)}, false},
		{"wildcard only on paths", `{"StringPrefix":{"bkflow.task.name":["a,*/"]}}`,
			[]Resource{task("7", `{"name":"a,b/"}`)}, false},
		{"three-segment paths normalised", `{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}}`,
			[]Resource{task("7", `{"_bk_iam_path_":["/bkflow,space,1/"]}`)}, true},
		{"prefix on a number", `{"StringPrefix":{"bkflow.task.n":["1"]}}`, []Resource{task("7", `{"n":12}`)}, false},
		{"contains", `{"StringContains":{"bkflow.task.name":["lo w"]}}`, []Resource{task("7", `{"name":"hello world"}`)}, true},
		{"contains list", `{"StringContains":{"bkflow.task.name":["zz","ell"]}}`, []Resource{task("7", `{"name":["x","hello"]}`)}, true},
		{"bool", `{"Bool":{"bkflow.task.on":[true]}}`, []Resource{task("7", `{"on":true}`)}, true},
		{"bool false", `{"Bool":{"bkflow.task.on":[true]}}`, []Resource{task("7", `{"on":false}`)}, false},
		{"bool list attribute", `{"Bool":{"bkflow.task.on":[true]}}`, []Resource{task("7", `{"on":[true]}`)}, false},
		{"bool two values", `{"Bool":{"bkflow.task.on":[true,false]}}`, []Resource{task("7", `{"on":true}`)}, false},
		{"numeric equals mixed kinds", `{"NumericEquals":{"bkflow.task.n":[1,2]}}`, []Resource{task("7", `{"n":2.0}`)}, true},
		{"numeric equals strings", `{"NumericEquals":{"bkflow.task.n":["a"]}}`, []Resource{task("7", `{"n":"a"}`)}, true},
		{"numeric equals string vs number", `{"NumericEquals":{"bkflow.task.n":["1"]}}`, []Resource{task("7", `{"n":1}`)}, false},
		{"gt", `{"NumericGt":{"bkflow.task.n":[1]}}`, []Resource{task("7", `{"n":1.5}`)}, true},
		{"gt equal", `{"NumericGt":{"bkflow.task.n":[1]}}`, []Resource{task("7", `{"n":1}`)}, false},
		{"gt list any", `{"NumericGt":{"bkflow.task.n":[1]}}`, []Resource{task("7", `{"n":[0,2]}`)}, true},
		{"gte", `{"NumericGte":{"bkflow.task.n":[1]}}`, []Resource{task("7", `{"n":1}`)}, true},
		{"lt", `{"NumericLt":{"bkflow.task.n":[1]}}`, []Resource{task("7", `{"n":0}`)}, true},
		{"lte", `{"NumericLte":{"bkflow.task.n":[1]}}`, []Resource{task("7", `{"n":1}`)}, true},
		{"lte several values", `{"NumericLte":{"bkflow.task.n":[1,2]}}`, []Resource{task("7", `{"n":1}`)}, false},
		{"lt on a string", `{"NumericLt":{"bkflow.task.n":[1]}}`, []Resource{task("7", `{"n":"0"}`)}, false},
		{"any", `{"Any":{"bkflow.task.id":[]}}`, []Resource{task("7", `{}`)}, true},
		{"empty expression", ``, []Resource{task("7", `{}`)}, true},
		{"empty array expression", `[]`, []Resource{task("7", `{}`)}, true},
		{"and", `{"AND":{"content":[{"StringEquals":{"bkflow.task.id":["7"]}},{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}}]}}`,
			[]Resource{task("7", `{"_bk_iam_path_":["/space,1/"]}`)}, true},
		{"and one false", `{"AND":{"content":[{"StringEquals":{"bkflow.task.id":["7"]}},{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,2/"]}}]}}`,
			[]Resource{task("7", `{"_bk_iam_path_":["/space,1/"]}`)}, false},
		{"empty and", `{"AND":{"content":[]}}`, []Resource{task("7", `{}`)}, true},
		{"empty or", `{"OR":{"content":[]}}`, []Resource{task("7", `{}`)}, false},
		{"or of and", `{"OR":{"content":[{"StringEquals":{"bkflow.task.id":["1"]}},{"AND":{"content":[{"StringEquals":{"bkflow.task.id":["7"]}},{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}}]}}]}}`,
			[]Resource{task("7", `{"_bk_iam_path_":["/space,1/"]}`)}, true},
		{"and of or", `{"AND":{"content":[{"OR":{"content":[{"StringEquals":{"bkflow.task.id":["1"]}},{"StringEquals":{"bkflow.task.id":["7"]}}]}},{"OR":{"content":[{"StringEquals":{"bkflow.task.owner":["bob"]}},{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}}]}}]}}`,
			[]Resource{task("7", `{"_bk_iam_path_":["/space,1/"]}`)}, true},
		{"old format", `[{"system":"bkflow","type":"task","expression":{"StringEquals":{"id":["7"]}}}]`,
			[]Resource{task("7", `{}`)}, true},
		{"old format two items are AND-ed", `[{"system":"bkflow","type":"task","expression":{"StringEquals":{"id":["7"]}}},{"system":"bkflow","type":"template","expression":{"StringEquals":{"id":["5"]}}}]`,
			[]Resource{task("7", `{}`)}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newTestEngine(t, testNow, Snapshot{Policies: []Policy{
				{ID: 1, System: "bkflow", Action: "task_view", Subject: alice, Expression: c.expr, ExpiredAt: Permanent}}})
			got, err := e.Allowed(context.Background(), Request{System: "bkflow", Subject: alice, Action: "task_view", Resources: c.res})
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Fatalf("Allowed = %v, want %v", got, c.want)
			}
		})
	}
}

func TestAllowedSubjectsAndExpiry(t *testing.T) {
	all := `{"Any":{"bkflow.task.id":[]}}`
	e := newTestEngine(t, testNow, Snapshot{
		Policies: []Policy{
			{ID: 1, System: "bkflow", Action: "task_view", Subject: Subject{Type: SubjectGroup, ID: "ops"}, Expression: all, ExpiredAt: Permanent},
			{ID: 2, System: "bkflow", Action: "task_operate", Subject: alice, Expression: all, ExpiredAt: testNow.Unix() - 1},
			{ID: 3, System: "bkflow", Action: "task_edit", Subject: Subject{Type: SubjectGroup, ID: "old"}, Expression: all, ExpiredAt: Permanent},
		},
		Memberships: []Membership{
			{Group: "ops", User: "alice", ExpiredAt: Permanent},
			{Group: "old", User: "alice", ExpiredAt: testNow.Unix() - 1},
		},
	})
	for _, c := range []struct {
		user, action string
		want         bool
	}{
		{"alice", "task_view", true},     // through the group
		{"bob", "task_view", false},      // not a member
		{"alice", "task_operate", false}, // the policy expired
		{"alice", "task_edit", false},    // the membership expired
		{"alice", "task_delete", false},  // no policy
	} {
		got, err := e.Allowed(context.Background(), Request{System: "bkflow", Subject: Subject{Type: SubjectUser, ID: c.user},
			Action: c.action, Resources: []Resource{task("1", `{}`)}})
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s %s: got %v, want %v", c.user, c.action, got, c.want)
		}
	}
}

// TestIndexNeverHidesAClause compares indexed decisions with decisions over
// every clause on random policies and resources: the index may only narrow
// the clauses OPA sees to those that can hold.
func TestIndexNeverHidesAClause(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	ids := []string{"1", "2", "3", "10"}
	paths := []string{"/space,1/", "/space,1/template,2/", "/space,2/", "/space,1/template,*/", "/space,", "/space,1/template,2", "/"}
	leafExpr := func() string {
		switch rng.Intn(4) {
		case 0:
			return fmt.Sprintf(`{"StringEquals":{"bkflow.task.id":[%q,%q]}}`, ids[rng.Intn(len(ids))], ids[rng.Intn(len(ids))])
		case 1:
			return fmt.Sprintf(`{"StringPrefix":{"bkflow.task._bk_iam_path_":[%q,%q]}}`, paths[rng.Intn(len(paths))], paths[rng.Intn(len(paths))])
		case 2:
			return fmt.Sprintf(`{"StringEquals":{"bkflow.task.owner":[%q]}}`, []string{"a", "b"}[rng.Intn(2)])
		}
		return `{"NumericGt":{"bkflow.task.n":[1]}}`
	}
	var ps []Policy
	for i := 0; i < 60; i++ {
		expr := fmt.Sprintf(`{"%s":{"content":[%s,%s]}}`, []string{"AND", "OR"}[rng.Intn(2)], leafExpr(), leafExpr())
		ps = append(ps, Policy{ID: int64(i + 1), System: "bkflow", Action: "task_view", Subject: alice, Expression: expr, ExpiredAt: Permanent})
	}
	outcomes := map[bool]int{}
	for i := 0; i < 600; i++ {
		policy := ps[rng.Intn(len(ps))]
		second := ps[rng.Intn(len(ps))]
		second.ID = 1000 + int64(i)
		second.Action, second.Expression = policy.Action, fmt.Sprintf(`{"AND":{"content":[%s,%s,%s]}}`, leafExpr(), leafExpr(), leafExpr())
		e := newTestEngine(t, testNow, Snapshot{Policies: []Policy{policy, second}})
		res := task(ids[rng.Intn(len(ids))], fmt.Sprintf(`{"_bk_iam_path_":[%q,%q],"owner":["b","a"],"n":%d}`,
			"/space,1/template,2/", paths[rng.Intn(3)], rng.Intn(3)))
		req := Request{System: "bkflow", Subject: alice, Action: "task_view", Resources: []Resource{res}}
		got, err := e.Allowed(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		st := e.state.Load()
		in, err := evalInput(testNow.Unix(), objectsOf(req.Resources), st.index[indexKey("bkflow", "task_view")].subjects[alice.key()].all)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := e.allow.Eval(context.Background(), rego.EvalParsedInput(in))
		if err != nil {
			t.Fatal(err)
		}
		want := rs[0].Expressions[0].Value == true
		outcomes[want]++
		if got != want {
			t.Fatalf("policies %s and %s on %+v: indexed %v, every clause %v", policy.Expression, second.Expression, res, got, want)
		}
	}
	if outcomes[true] < 50 || outcomes[false] < 50 {
		t.Fatalf("the random cases should both allow and deny often: %v", outcomes)
	}
}
