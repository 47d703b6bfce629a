package expr

import (
	"errors"
	"reflect"
	"testing"
	"unicode/utf8"
)

var fuzzCtx = map[string]any{
	"a": "abc", "n": 3, "f": 1.5, "l": []any{1, "x", nil}, "d": map[string]any{"k": []any{true}},
	"_system": &System{Attrs: map[string]any{"task_id": 1}},
}

// fuzzOptions keep each template cheap so the fuzzer explores widely.
var fuzzOptions = Options{MaxSteps: 20_000, MaxAllocBytes: 1 << 20}

func FuzzRender(f *testing.F) {
	for _, s := range []string{
		"${a}", "x${a}y", "${a.upper() + str(n)}", "${[c for c in a]}", "${d['k'][0]}", "${l[1:]}", "${'%s-%d' % (a, n)}",
		"${_system.task_id}", "${a:b}", "${", "$${a}}", "${json.dumps(d)}", "${a[::-1] * n}", "${1/0}", "plain text",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want [][2]int
		for _, loc := range templatePattern.FindAllStringIndex(s, -1) {
			want = append(want, [2]int{loc[0], loc[1]})
		}
		if got := findTemplates(s); !reflect.DeepEqual(got, want) {
			t.Fatalf("findTemplates(%q) = %v, regexp finds %v", s, got, want)
		}
		out, errs := RenderString(s, fuzzCtx, fuzzOptions)
		for _, e := range errs {
			if e.Err == nil || e.Template == "" {
				t.Fatalf("bad render error %#v", e)
			}
		}
		if !templatePattern.MatchString(s) {
			if out != s || len(errs) != 0 {
				t.Fatalf("template-free %q rendered to %#v", s, out)
			}
		}
	})
}

func FuzzBoolrule(f *testing.F) {
	for _, s := range []string{
		"1 == 1", `"1" in (1, 2)`, "${a} == abc", "a.b >= 2 and (c != 'x' or d notin (1))", "*", "1e5 == 1",
		"(1, 2) issuperset (1)", `"a\nb" == 'a\tb'`, "((1 == 1))", "x ISSUPERSET y",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, err := EvalBoolrule(s, fuzzCtx)
		var ce *ConditionError
		if err != nil && !errors.As(err, &ce) {
			t.Fatalf("error is %T, not *ConditionError: %v", err, err)
		}
		_, err = EvalBoolrule(s, nil)
		if err != nil && !errors.As(err, &ce) {
			t.Fatalf("error is %T, not *ConditionError: %v", err, err)
		}
	})
}

func FuzzFEEL(f *testing.F) {
	for _, s := range []string{
		"1 = 1", `a = "abc"`, "n > 2 and not(f = 1.5)", "d.k = null", "(1 = 1) or false", `"x\"y" != null`, "1 < 2 = true",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, err := EvalFEEL(s, fuzzCtx)
		var ce *ConditionError
		if err != nil && !errors.As(err, &ce) {
			t.Fatalf("error is %T, not *ConditionError: %v", err, err)
		}
	})
}

func FuzzReferences(f *testing.F) {
	for _, s := range []string{
		"${a}", "${a.b + c[d]}", "${[x for x in y if z]}", "${(lambda p=q: p + r)(s)}", "${a:b}", "x ${_system.task_id} y",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		refs := References(s)
		for i, r := range refs {
			if i > 0 && refs[i-1] >= r {
				t.Fatalf("not sorted and unique: %q", refs)
			}
			if !utf8.ValidString(r) || r == "" {
				t.Fatalf("bad reference %q", r)
			}
		}
	})
}
