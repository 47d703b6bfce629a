package grant

import "testing"

// pc parses a condition or fails the test.
func pc(t *testing.T, s string) Condition {
	t.Helper()
	c, err := ParseCondition([]byte(s))
	if err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return c
}

const (
	ids12    = `{"StringEquals":{"bkflow.task.id":["1","2"]}}`
	id1      = `{"StringEquals":{"bkflow.task.id":["1"]}}`
	id2      = `{"StringEquals":{"bkflow.task.id":["2"]}}`
	space1   = `{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}}`
	space2   = `{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,2/"]}}`
	spaces12 = `{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/","/space,2/"]}}`
	t78in1   = `{"AND":{"content":[{"StringEquals":{"bkflow.task.id":["7","8"]}},{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}}]}}`
	t7in1    = `{"AND":{"content":[{"StringEquals":{"bkflow.task.id":["7"]}},{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}}]}}`
	t8in1    = `{"AND":{"content":[{"StringEquals":{"bkflow.task.id":["8"]}},{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}}]}}`
	t8in2    = `{"AND":{"content":[{"StringEquals":{"bkflow.task.id":["8"]}},{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,2/"]}}]}}`
	anyTask  = `{"Any":{"bkflow.task.id":[]}}`
)

func or(parts ...string) string {
	s := `{"OR":{"content":[`
	for i, p := range parts {
		if i > 0 {
			s += ","
		}
		s += p
	}
	return s + `]}}`
}

func TestMerge(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name          string
		existing, add string // "" is no policy
		want          string
	}{
		{"into no policy", "", space1, space1},
		{"two leaves", ids12, space1, or(ids12, space1)},
		{"into an OR: flattened", or(ids12, space1), t7in1, or(ids12, space1, t7in1)},
		{"an OR into an OR: flattened", or(ids12, space1), or(space2, t7in1), or(ids12, space1, space2, t7in1)},
		{"the same grant twice", space1, space1, space1},
		{"a duplicate branch is dropped", or(ids12, space1), or(space1, space2), or(ids12, space1, space2)},
		{"duplicates already in existing are dropped", or(space1, space1), id1, or(space1, id1)},
		{"Any absorbs the existing policy", or(ids12, space1), anyTask, anyTask},
		{"Any absorbs the grant", anyTask, space1, anyTask},
		{"nothing into nothing", "", "", ""},
		{"nothing into a policy", space1, "", space1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var existing, add Condition
			if c.existing != "" {
				existing = pc(t, c.existing)
			}
			if c.add != "" {
				add = pc(t, c.add)
			}
			got := Merge(existing, add)
			if c.want == "" {
				if !got.IsZero() {
					t.Fatalf("got %s, want no condition", got)
				}
				return
			}
			if s := js(t, got); s != c.want {
				t.Fatalf("got  %s\nwant %s", s, c.want)
			}
		})
	}
}

func TestMergeLeavesInputsAlone(t *testing.T) {
	t.Parallel()
	existing := Or(pc(t, ids12), pc(t, space1))
	existing.Content = append(make([]Condition, 0, 8), existing.Content...)
	before := js(t, existing)
	spare := existing.Content[:3]
	spare[2] = pc(t, anyTask)
	_ = Merge(existing, pc(t, space2))
	if js(t, existing) != before || js(t, spare[2]) != anyTask {
		t.Fatal("Merge wrote into the existing condition's array")
	}
}

func TestRemove(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name         string
		existing, rm string
		want         string // "" is nothing left
	}{
		{"an exact branch", or(ids12, space1), space1, ids12},
		{"the whole policy", space1, space1, ""},
		{"an id out of a list", or(ids12, space1), id2, or(id1, space1)},
		{"the last id of a list", or(id1, space1), id1, space1},
		{"a prefix out of a list", spaces12, space1, space2},
		{"an id under a prefix", or(t78in1, space2), t8in1, or(t7in1, space2)},
		{"the last id under a prefix", or(t7in1, space2), t7in1, space2},
		{"an id under another prefix stays", t78in1, t8in2, t78in1},
		{"every branch of an OR", or(ids12, space1, t7in1), or(space1, ids12, t7in1), ""},
		{"a narrower revoke leaves a broader grant", space1, t7in1, space1},
		{"an id without its path leaves the path form", t78in1, id1, t78in1},
		{"something not granted", or(ids12, space1), space2, or(ids12, space1)},
		{"an id under a prefix from a plain id list is not matched", ids12, t7in1, ids12},
		{"duplicate values all go", `{"StringEquals":{"bkflow.task.id":["1","2","1"]}}`, id1, id2},
		{"Any from Any", anyTask, anyTask, ""},
		{"ids from Any change nothing", anyTask, id1, anyTask},
		{"a different operator on the same field stays", `{"StringContains":{"bkflow.task._bk_iam_path_":["/space,1/"]}}`, space1,
			`{"StringContains":{"bkflow.task._bk_iam_path_":["/space,1/"]}}`},
		{"numbers compare by their stored form", `{"NumericEquals":{"bkflow.task.p":[1,2,1.0]}}`, `{"NumericEquals":{"bkflow.task.p":[1]}}`,
			`{"NumericEquals":{"bkflow.task.p":[2,1.0]}}`},
		{"strings and numbers differ", `{"StringEquals":{"bkflow.task.id":["1",1]}}`, id1, `{"StringEquals":{"bkflow.task.id":[1]}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			existing := pc(t, c.existing)
			before := js(t, existing)
			got, ok := Remove(existing, pc(t, c.rm))
			if js(t, existing) != before {
				t.Fatal("Remove changed its input")
			}
			if c.want == "" {
				if ok || !got.IsZero() {
					t.Fatalf("got %s, %v; want nothing left", got, ok)
				}
				return
			}
			if !ok {
				t.Fatal("nothing left")
			}
			if s := js(t, got); s != c.want {
				t.Fatalf("got  %s\nwant %s", s, c.want)
			}
		})
	}
	if got, ok := Remove(Condition{}, pc(t, space1)); ok || !got.IsZero() {
		t.Fatalf("removing from no policy: %s %v", got, ok)
	}
}

// TestMergeThenRemove grants and revokes through the translator.
func TestMergeThenRemove(t *testing.T) {
	t.Parallel()
	grant := func(ps ...[]Node) Condition {
		t.Helper()
		c, err := TranslateResourceType("bkflow", RelatedResourceType{SystemID: "bkflow", Type: "task",
			Condition: []ConditionItem{instances(inst(IgnorePath(bkflowTask(), bkflowTaskViews(false), ps)...))}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	task7 := grant(path(nd("space", "1"), nd("task", "7")))
	task8 := grant(path(nd("space", "1"), nd("task", "8")))
	wholeSpace2 := grant(path(nd("space", "2")))
	var policy Condition
	for _, g := range []Condition{task7, task8, wholeSpace2, task7} {
		policy = Merge(policy, g)
	}
	if s := js(t, policy); s != or(t7in1, t8in1, space2) {
		t.Fatal(s)
	}
	policy, ok := Remove(policy, task7)
	if !ok || js(t, policy) != or(t8in1, space2) {
		t.Fatal(policy)
	}
	policy, ok = Remove(policy, Merge(task8, wholeSpace2))
	if ok {
		t.Fatalf("left %s", policy)
	}
}
