package bench

// The in-process decision figure of issue 5: `bench/policy.sh`, or
// `go test -run '^$' -bench PolicyDecision -benchtime 1x ./bench/`.
// 10,000 policies are stored; the asking user holds 100 of them for the
// action (one of its own and one through each of 99 groups), in the shapes
// BlueKing's SaaS writes: id lists, one task under a space, a whole space, a
// whole template, "any template of a space". Requests are tasks with both
// of their _bk_iam_path_ entries; some are allowed, some not.

import (
	"context"
	"fmt"
	"math/rand"
	"runtime"
	"testing"
	"time"

	"github.com/bkflow/bkflow/policy"
)

// decisionSnapshot builds the policies; with extra, every condition is
// AND-ed with it (a leaf the index cannot decide, so OPA evaluates).
func decisionSnapshot(users, perUser int, extra string) policy.Snapshot {
	var s policy.Snapshot
	id := int64(0)
	add := func(subject policy.Subject, expr string) {
		if extra != "" {
			expr = `{"AND":{"content":[` + expr + `,` + extra + `]}}`
		}
		id++
		s.Policies = append(s.Policies, policy.Policy{ID: id, System: "bkflow", Action: "task_view", Subject: subject,
			Expression: expr, ExpiredAt: policy.Permanent})
	}
	shape := func(n int) string {
		switch n % 5 {
		case 0:
			return fmt.Sprintf(`{"StringEquals":{"bkflow.task.id":["%d","%d","%d"]}}`, n*7, n*7+1, n*7+2)
		case 1:
			return fmt.Sprintf(`{"AND":{"content":[{"StringEquals":{"bkflow.task.id":["%d"]}},{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,%d/"]}}]}}`, n*3, n%50)
		case 2:
			return fmt.Sprintf(`{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,%d/"]}}`, 1000+n)
		case 3:
			return fmt.Sprintf(`{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,%d/template,%d/"]}}`, n%50, n)
		}
		return fmt.Sprintf(`{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,%d/template,*/"]}}`, 2000+n)
	}
	for u := 0; u < users; u++ {
		user := fmt.Sprintf("user%d", u)
		add(policy.Subject{Type: policy.SubjectUser, ID: user}, shape(u*perUser))
		for g := 1; g < perUser; g++ {
			group := fmt.Sprintf("g%d-%d", u, g)
			s.Memberships = append(s.Memberships, policy.Membership{Group: group, User: user, ExpiredAt: policy.Permanent})
			add(policy.Subject{Type: policy.SubjectGroup, ID: group}, shape(u*perUser+g))
		}
	}
	return s
}

func BenchmarkPolicyDecision(b *testing.B) {
	b.Run("index", func(b *testing.B) { decisionFigures(b, "") })
	// Every clause also tests the task's name (StringContains): OPA decides.
	b.Run("opa", func(b *testing.B) { decisionFigures(b, `{"StringContains":{"bkflow.task.name":["deploy"]}}`) })
}

func decisionFigures(b *testing.B, extra string) {
	ctx := context.Background()
	e, err := policy.NewEngine(ctx)
	if err != nil {
		b.Fatal(err)
	}
	snap := decisionSnapshot(100, 100, extra)
	if errs := e.Replace(snap); len(errs) > 0 {
		b.Fatal(errs)
	}
	rng := rand.New(rand.NewSource(1))
	const n = 20000
	reqs := make([]policy.Request, n)
	for i := range reqs {
		space, template := rng.Intn(60), rng.Intn(120)
		if rng.Intn(4) == 0 {
			space = 1000 + rng.Intn(120)
		}
		reqs[i] = policy.Request{System: "bkflow", Subject: policy.Subject{Type: policy.SubjectUser, ID: "user0"},
			Action: "task_view", Resources: []policy.Resource{{System: "bkflow", Type: "task", ID: fmt.Sprint(rng.Intn(400)),
				Attribute: map[string]any{"name": []string{"deploy payments", "nightly build"}[rng.Intn(2)],
					"_bk_iam_path_": []any{fmt.Sprintf("/space,%d/", space),
						fmt.Sprintf("/space,%d/template,%d/", space, template)}}}}}
	}
	for range 2000 { // warm up
		if _, err := e.Allowed(ctx, reqs[rng.Intn(n)]); err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC() // collect the setup's garbage now, not during the measures
	durations := map[bool][]time.Duration{}
	for _, r := range reqs {
		start := time.Now()
		ok, err := e.Allowed(ctx, r)
		d := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		durations[ok] = append(durations[ok], d)
	}
	all := append(append([]time.Duration(nil), durations[true]...), durations[false]...)
	for _, f := range []struct {
		name string
		ds   []time.Duration
	}{{"all", all}, {"allowed", durations[true]}, {"denied", durations[false]}} {
		s := summarize(f.ds, 0, nil)
		b.Run(f.name, func(b *testing.B) {
			for range b.N {
			}
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(float64(s.P50.Nanoseconds())/1000, "p50-µs")
			b.ReportMetric(float64(s.P99.Nanoseconds())/1000, "p99-µs")
			b.ReportMetric(float64(s.Max.Nanoseconds())/1000, "max-µs")
			b.ReportMetric(float64(s.N), "samples")
		})
	}
	b.Logf("%d policies stored, %d memberships; the user holds %d for the action", len(snap.Policies), len(snap.Memberships), 100)
}
