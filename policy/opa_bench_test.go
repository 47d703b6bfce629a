package policy

import (
	"context"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"
)

func BenchmarkOPAClause(b *testing.B) {
	e := newTestEngine(b, testNow, Snapshot{Policies: []Policy{{ID: 1, System: "bkflow", Action: "task_view", Subject: alice,
		Expression: `{"AND":{"content":[{"StringEquals":{"bkflow.task.id":["7"]}},{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}}]}}`,
		ExpiredAt:  Permanent}}})
	res := []Resource{task("7", `{"_bk_iam_path_":["/space,1/","/space,1/template,3/"]}`)}
	st := e.state.Load()
	cands := st.index[indexKey("bkflow", "task_view")].subjects[alice.key()].all
	in, _ := evalInput(testNow.Unix(), objectsOf(res), cands)
	b.Run("opa", func(b *testing.B) {
		for range b.N {
			rs, err := e.allow.Eval(context.Background(), rego.EvalParsedInput(in))
			if err != nil || rs[0].Expressions[0].Value != true {
				b.Fatal(err, rs)
			}
		}
	})
	b.Run("allowed", func(b *testing.B) {
		for range b.N {
			ok, err := e.Allowed(context.Background(), Request{System: "bkflow", Subject: alice, Action: "task_view", Resources: res})
			if err != nil || !ok {
				b.Fatal(err)
			}
		}
	})
}
