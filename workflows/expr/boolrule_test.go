package expr

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

type condCase struct {
	expr string
	ctx  map[string]any
	want bool
}

func runBoolrule(t *testing.T, cases []condCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.expr, func(t *testing.T) {
			got, err := EvalBoolrule(c.expr, c.ctx)
			require.NoError(t, err)
			require.Equal(t, c.want, got)
		})
	}
}

// Ported from bamboo-engine tests/utils/boolrule/test_boolrule.py.
func TestBoolruleBambooEngineCases(t *testing.T) {
	v1v2 := map[string]any{"v1": 1, "v2": "1"}
	trueCtx := map[string]any{"v1": true, "v2": "True"}
	falseCtx := map[string]any{"v1": false, "v2": "False"}
	runBoolrule(t, []condCase{
		// test_eq
		{"1 == 1", nil, true}, {`"1" == 1`, nil, true}, {"True == true", nil, true}, {"False == false", nil, true},
		{"1 == True", nil, true}, {"0 == False", nil, true}, {`"1" == True`, nil, true}, {`"0" == False`, nil, true},
		{`"3.14" == 3.14`, nil, true}, {`"abc" == "abc"`, nil, true}, {"1 == 2", nil, false}, {`123 == "123a"`, nil, false},
		{`1 == "2"`, nil, false}, {`True == "true"`, nil, false}, {`False == "false"`, nil, false},
		// test_ne
		{"1 != 2", nil, true}, {`"1" != 2`, nil, true}, {`True != "true"`, nil, true}, {`"abc" != "cba"`, nil, true}, {"1 != 1", nil, false},
		// test_gt / test_lt
		{"2 > 1", nil, true}, {`"2" > 1`, nil, true}, {"1 > 2", nil, false}, {`"1" > 2`, nil, false},
		{"1 < 2", nil, true}, {`"1" < 2`, nil, true}, {"2 < 1", nil, false}, {"2 < 2", nil, false},
		// test_in / test_notin
		{"1 in (1, 2)", nil, true}, {`1 in ("1", "2")`, nil, true}, {`"1" in (1, 2)`, nil, true}, {`"1" in ("1", "2")`, nil, true},
		{"1 in (0, 2)", nil, false}, {`1 in ("11", 2)`, nil, false},
		{"1 notin (0, 2)", nil, true}, {`1 notin ("0", "2")`, nil, true}, {`"abc" notin (0, 2)`, nil, true},
		// test_and / test_or
		{"1 < 2 and 2 < 3", nil, true}, {`"a" < "s" and 2 < 3`, nil, true}, {"1 > 2 and 2 > 1", nil, false},
		{"2 > 1 and 1 > 2", nil, false}, {`"s" > "s" and 2 < 3`, nil, false}, {`"s" < "s" and 2 < 3`, nil, false},
		{"1 < 2 or 2 < 3", nil, true}, {"1 < 2 or 2 < 1", nil, true}, {"1 > 2 or 2 > 1", nil, true},
		{`"s" > "s" or "su" > "st"`, nil, true}, {"1 > 2 or 2 > 3", nil, false}, {`"a" > "s" or "s" > "st"`, nil, false},
		// test_context
		{"${v1} == ${v2}", v1v2, true}, {"${v1} == 1", v1v2, true}, {`${v1} == "1"`, v1v2, true}, {`${v2} == "1"`, v1v2, true},
		{`${v1} in ("1")`, v1v2, true},
		// test_gt_or_equal / test_lt_or_equal
		{"${v1} >= ${v2}", v1v2, true}, {"${v1} >= 1", v1v2, true}, {`${v1} >= "1"`, v1v2, true}, {"${v1} >= 0", v1v2, true},
		{`${v1} >= "0"`, v1v2, true}, {`${v2} >= "2"`, v1v2, false},
		{"${v1} <= ${v2}", v1v2, true}, {"${v1} <= 1", v1v2, true}, {`${v1} <= "2"`, v1v2, true}, {`${v1} <= "123456789111"`, v1v2, true},
		{"${v1} <= 123456789111", v1v2, true}, {"${v1} <= 0", v1v2, false}, {`${v1} <= "0"`, v1v2, false},
		{`"a" <= "b"`, v1v2, true}, {`"a" <= "49"`, v1v2, false},
		// test_true_equal
		{"${v1} == True", trueCtx, true}, {"${v1} == true", trueCtx, true}, {"${v1} == ${v1}", trueCtx, true},
		{"${v1} == 1", trueCtx, true}, {`${v1} == "1"`, trueCtx, true}, {`${v1} == "s"`, trueCtx, false},
		{"${v1} == 0", trueCtx, false}, {`${v1} == "0"`, trueCtx, false}, {"${v1} == false", trueCtx, false},
		{"${v1} == False", trueCtx, false}, {`${v1} == "false"`, trueCtx, false}, {`${v1} == "False"`, trueCtx, false},
		// test_false_equal
		{"${v1} == ${v1}", falseCtx, true}, {"${v1} == false", falseCtx, true}, {"${v1} == False", falseCtx, true},
		{`${v1} == "0"`, falseCtx, true}, {"${v1} == 0", falseCtx, true}, {`${v1} == "1"`, falseCtx, false},
		{"${v1} == true", falseCtx, false}, {`${v1} == "true"`, falseCtx, false}, {"${v1} == True", falseCtx, false},
		{`${v1} == "True"`, falseCtx, false}, {`${v1} == "s"`, falseCtx, false},
		// test_multi_or / test_multi_and
		{`("s" > "s" or "su" > "st") or (1 > 3 and 2 < 3)`, nil, true},
		{`(1 > 3 and 2 < 3)  or ("s" > "s" or "su" > "st")`, nil, true},
		{`(1 < 3 and 2 < 3)  or ("s" > "s" or "su" > "st")`, nil, true},
		{`(1 > 2 or 2 > 3) or ("s" > "s" or "su" > "st") or (4  > 5 and 5 < 6)`, nil, true},
		{`(1 > 2 or 2 > 3) or ("s" > "s" or "su" < "st")`, nil, false},
		{`(1 > 2 or 2 > 3) or ("s" > "s" or "su" < "st") or (4  > 5 and 5 < 6)`, nil, false},
		{`("s" > "s" or "su" > "st") and (1 < 3 and 2 < 3)`, nil, true},
		{`(1 < 2 or 2 > 3) and ("s" > "s" or "su" < "st")`, nil, false},
		{`(1 > 2 or 2 > 3) and ("s" > "s" or "su" > "st")`, nil, false},
		{`(1 > 2 or 2 > 3) and ("s" > "s" or "su" < "st")`, nil, false},
		{`(1 < 3 and 2 < 3)  and ("s" > "s" or "su" > "st") and (4 > 5 and 5 < 6)`, nil, false},
	})
}

func TestBoolruleGrammarAndCoercion(t *testing.T) {
	runBoolrule(t, []condCase{
		{"*", nil, true},
		// right-nested chains with short-circuit, no precedence
		{"1 == 2 and 1 == 1 or 1 == 1", nil, false}, // A and (B or C)
		{"1 == 1 or 1 == 2 and 1 == 2", nil, true},  // A or (B and C)
		{"1 == 1 and 1 == 2 or 1 == 1", nil, true},
		{`1 == 1 or "a" < 1`, nil, true}, // the right side is never evaluated
		{`1 == 2 and "a" < 1`, nil, false},
		// bare words are literals after rendering
		{`abc == "abc"`, nil, true},
		{`${abc} == "${abc}"`, nil, true},
		{`_x == "_x"`, nil, true},
		{`resp.result == "resp.result"`, nil, true},
		{`hello == "world"`, nil, false},
		// context paths
		{"resp.result == True", map[string]any{"resp": map[string]any{"result": true}}, true},
		{`${resp}.${code} == 0`, map[string]any{"resp": map[string]any{"code": 0}}, true},
		{`resp.missing == "resp.missing"`, map[string]any{"resp": map[string]any{}}, true},
		// numbers
		{".5 == 0.5", nil, true}, {"+1 == 1", nil, true}, {"-1.5e1 == -15", nil, true}, {"-1.5e1 == -15.0", nil, true},
		// facing an int, the other side goes through int(), which truncates
		{"1.5 > 1", nil, false}, {"1 == 1.5", nil, true}, {"1.5 > 1.0", nil, true},
		{"2 > 1.5", nil, true}, {"9999999999999999999999 > 1", nil, true},
		// strings keep backslashes except \t \n \f \r
		{`"a\nb" == 'a\nb'`, nil, true}, {`'a\qb' == "a\qb"`, nil, true}, {`"" == ''`, nil, true},
		// case-insensitive operators and booleans
		{"1 IN (1, 2)", nil, true}, {"1 NotIn (2)", nil, true}, {"FALSE == 0", nil, true}, {"1 == 1 AND 2 == 2", nil, true},
		// issuperset
		{`("a", "b") issuperset ("a")`, nil, true}, {`"a" issuperset ("a")`, nil, true}, {`("a") notissuperset ("b")`, nil, true},
		{`(1, 2) issuperset (1, True)`, nil, true},
		{`l issuperset ("x")`, map[string]any{"l": []any{"x", "y"}}, true},
		// in with context collections
		{`"b" in s`, map[string]any{"s": "abc"}, true},
		{`"k" in d`, map[string]any{"d": map[string]any{"k": 1}}, true},
		{`2 in l`, map[string]any{"l": []any{"1", "2"}}, true},
		// lists
		{"(1, 2) == (1, 2)", nil, true}, {"(1) == 1", nil, false}, {"(1, 2) < (1, 3)", nil, true},
		// whitespace
		{" \t1==1\n", nil, true},
	})
}

// The §8.7 examples of the reference.
func TestBoolruleReferenceExamples(t *testing.T) {
	for _, e := range []string{`1 == 1`, `"1" == 1`, `True == true`, `1 == True`, `0 == False`, `"1" == True`, `"3.14" == 3.14`,
		`"1" in (1, 2)`, `1 in ("1", "2")`, `1 notin ("0", "2")`, `"a" <= "b"`} {
		got, err := EvalBoolrule(e, nil)
		require.NoError(t, err, e)
		require.True(t, got, e)
	}
	for _, e := range []string{`123 == "123a"`, `True == "true"`, `1 in ("11", 2)`, `"a" <= "49"`, `"s" > "s" and 2 < 3`} {
		got, err := EvalBoolrule(e, nil)
		require.NoError(t, err, e)
		require.False(t, got, e)
	}
}

func TestBoolruleErrors(t *testing.T) {
	cases := []struct {
		expr string
		pos  int
		msg  string
	}{
		{"1 = 1", 2, `syntax error: unexpected "= 1", expected an operator (== != < > <= >= in notin issuperset notissuperset)`},
		{"", 0, `syntax error: unexpected end of expression, expected "(" or a value (number, quoted string, true/false, name)`},
		{" *", 1, `syntax error: unexpected "*", expected "(" or a value (number, quoted string, true/false, name)`},
		{"1e5 == 100000", 0, "invalid literal for int() with base 10: '1E5'"},
		{"trueabc == 1", 4, `syntax error: unexpected "abc == 1", expected an operator (== != < > <= >= in notin issuperset notissuperset)`},
		{"hello world == 1", 6, `syntax error: unexpected "world == 1", expected an operator (== != < > <= >= in notin issuperset notissuperset)`},
		{"中文 == 1", 0, `syntax error: unexpected "中文 == 1", expected "(" or a value (number, quoted string, true/false, name)`},
		{"1 == 1 and", 10, `syntax error: unexpected end of expression, expected "(" or a value (number, quoted string, true/false, name)`},
		{"1 == 1and 2 == 2", 6, `syntax error: unexpected "and 2 == 2", expected and/or or the end of the expression`},
		{`"a`, 0, `syntax error: unexpected "\"a", expected "(" or a value (number, quoted string, true/false, name)`},
		{`"a" < 1`, 0, "cannot evaluate condition: '<' not supported between instances of 'str' and 'int'"},
		{`1 in 2`, 0, "cannot evaluate condition: argument of type 'int' is not iterable"},
		{`1 == 1 and 1 in "abc"`, 11, "cannot evaluate condition: 'in <string>' requires string as left operand, not int"},
		{`1 issuperset 1`, 0, "cannot evaluate condition: 'int' object is not iterable"},
		{"(1 == 1", 7, `syntax error: unexpected end of expression, expected ")" or and/or`},
	}
	for _, c := range cases {
		t.Run(c.expr, func(t *testing.T) {
			_, err := EvalBoolrule(c.expr, nil)
			var ce *ConditionError
			require.True(t, errors.As(err, &ce), "%v", err)
			require.Equal(t, ConditionError{Lang: "boolrule", Expr: c.expr, Pos: c.pos, Msg: c.msg}, *ce)
		})
	}
}
