package expr

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFEEL(t *testing.T) {
	ctx := map[string]any{
		"n": 5, "s": "abc", "f": 1.5, "b": true, "nothing": nil,
		"resp": map[string]any{"result": true, "data": map[string]any{"code": 0}},
		"num":  mustJSON(`7`),
	}
	cases := []condCase{
		{"1 = 1", nil, true}, {"1 = 0", nil, false}, {"1 != 2", nil, true}, {`1 != "1"`, nil, true},
		{"2 > 1", nil, true}, {"2 < 1", nil, false}, {"2 >= 2", nil, true}, {"1 <= 0", nil, false},
		{`"a" < "b"`, nil, true}, {`"abc" = "abc"`, nil, true}, {`"a" != "a"`, nil, false},
		{"true", nil, true}, {"false", nil, false}, {"null", nil, false}, {"null = null", nil, true},
		{"true = 1", nil, true}, // bool is an int for bkflow-feel's type check
		{"1.5 > 1.0", nil, true}, {".5 = 0.5", nil, true}, {"-1 < 0", nil, true},
		{"1 = 1 and 2 = 2", nil, true}, {"1 = 1 and 2 = 3", nil, false}, {"1 = 2 or 2 = 2", nil, true},
		{"1 = 2 or 2 = 3 and 3 = 3", nil, false}, // and binds tighter: 1 = 2 or (2 = 3 and 3 = 3)
		{"1 = 1 or 2 = 3 and 3 = 3", nil, true},
		{"not(1 = 2)", nil, true}, {"not(true) or not(null)", nil, true}, {"(1 = 1)", nil, true},
		{"(1 = 2 or 2 = 2) and 3 > 2", nil, true},
		{`"x" and "y"`, nil, true}, {`"" or 0`, nil, false},
		{"n > 3", ctx, true}, {`s = "abc"`, ctx, true}, {"f = 1.5", ctx, true}, {"b = true", ctx, true},
		{"nothing = null", ctx, true}, {"resp.result", ctx, true}, {"resp.data.code = 0", ctx, true},
		{"resp.missing = null", ctx, true}, {"resp.result.deeper = null", ctx, true}, {"num = 7", ctx, true},
		{`"a\"b" = "a\"b"`, nil, true},
	}
	for _, c := range cases {
		t.Run(c.expr, func(t *testing.T) {
			got, err := EvalFEEL(c.expr, c.ctx)
			require.NoError(t, err)
			require.Equal(t, c.want, got)
		})
	}
}

func TestFEELErrors(t *testing.T) {
	cases := []struct {
		expr string
		pos  int
		msg  string
	}{
		{"1 == 1", 3, `expected a value, found "="`},
		{"a = 1", 0, `unknown variable "a"`},
		{"1 = 1.0", 2, "type of both operators must be same, got int and float"},
		{"1 = true", 2, "type of both operators must be same, got int and bool"},
		{`1 = "1"`, 2, "type of both operators must be same, got int and str"},
		{`null < null`, 5, "'<' not supported between instances of 'NoneType' and 'NoneType'"},
		{"1 + 1 = 2", 2, "arithmetic (+) is not supported in conditions"},
		{"5 between 1 and 6", 2, `"between" expressions are not supported in conditions`},
		{`contains("abc", "b")`, 8, "function calls are not supported in conditions"},
		{"[1, 2]", 0, "list and context literals are not supported in conditions"},
		{"(1 = 1", 6, `expected ")", found end of expression`},
		{`"abc`, 0, "unterminated string literal"},
		{"1 = 1 2", 6, `unexpected "2"`},
		{"", 0, "expected a value, found end of expression"},
		{"1 = 1 ; 2", 6, "unexpected character ';'"},
		{"not 1", 4, `expected "(" after not, found "1"`},
		{"1 < 2 = true", 6, "type of both operators must be same, got int and bool"}, // = binds tighter than <
	}
	for _, c := range cases {
		t.Run(c.expr, func(t *testing.T) {
			_, err := EvalFEEL(c.expr, nil)
			var ce *ConditionError
			require.True(t, errors.As(err, &ce), "%v", err)
			require.Equal(t, ConditionError{Lang: "FEEL", Expr: c.expr, Pos: c.pos, Msg: c.msg}, *ce)
		})
	}
}

func TestMako(t *testing.T) {
	cases := []struct {
		in      string
		want    bool
		wantErr string
	}{
		{"True", true, ""},
		{"False", false, ""},
		{"  True \n", true, ""},
		{"true", false, `MAKO: the result of the expression must be True or False, got 'true' in "true"`},
		{"1", false, `MAKO: the result of the expression must be True or False, got '1' in "1"`},
		{"${a > 1}", false, `MAKO: the result of the expression must be True or False, got '${a > 1}' in "${a > 1}"`},
		{"", false, `MAKO: the result of the expression must be True or False, got '' in ""`},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got, err := EvalMako(c.in)
			require.Equal(t, c.want, got)
			require.Equal(t, c.wantErr, errString(err))
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Ported from bamboo-engine tests/utils/test_string.py plus edge cases.
func TestTransformEscapeChar(t *testing.T) {
	cases := []struct{ in, want string }{
		{"k", "k"},
		{"\nk", `\nk`},
		{`\nk`, `\nk`},
		{"a\r\nb\tc", `a\r\nb\tc`},
		{"real\nand escaped\\t", "real\nand escaped\\t"}, // an escaped form present: unchanged
		{"", ""},
	}
	for _, c := range cases {
		require.Equal(t, c.want, TransformEscapeChar(c.in), "%q", c.in)
	}
}

func TestEvalGatewayCondition(t *testing.T) {
	vars := map[string]any{
		"result": "success", "n": mustJSON("5"), "flag": true, "text": "hello world", "multi": "a\nb",
		"word": "abc", "resp": map[string]any{"code": 0},
	}
	cases := []struct {
		lang, evaluate string
		want           bool
	}{
		{"boolrule", `${result} == 'success'`, true},
		{"", `${result} == "success"`, true},
		{"boolrule", `${n} > 3`, true},
		{"boolrule", `${n} >= 6`, false},
		{"boolrule", `${flag} == True`, true},
		{"boolrule", `"${text}" == "hello world"`, true},
		{"boolrule", `"${multi}" == "a\nb"`, true},
		{"boolrule", `${word} == "abc"`, true},
		{"boolrule", `${missing} == "${missing}"`, true}, // verbatim template, then a bare word
		{"boolrule", `${resp["code"]} == 0`, true},
		{"boolrule", `1 == 1`, true},
		{"boolrule", `*`, true},
		{"FEEL", `1 = 1`, true},
		{"FEEL", `"${result}" = "success"`, true},
		{"FEEL", `${n} > 3 and "${word}" != "x"`, true},
		{"MAKO", `${1 == 1}`, true},
		{"MAKO", `${n > 10}`, false},
		{"MAKO", `${result == 'success' and flag}`, true},
		{"MAKO", `${flag}`, true},             // a raw True is stringified
		{"MAKO", ` ${'\n' in multi} `, false}, // string values went through TransformEscapeChar
	}
	for _, c := range cases {
		t.Run(c.lang+" "+c.evaluate, func(t *testing.T) {
			got, err := EvalGatewayCondition(c.lang, c.evaluate, vars, Options{})
			require.NoError(t, err)
			require.Equal(t, c.want, got)
		})
	}
}

func TestEvalGatewayConditionErrors(t *testing.T) {
	vars := map[string]any{"text": "hello world"}
	cases := []struct {
		lang, evaluate, msg string
	}{
		{"boolrule", `${text} == "x"`, `boolrule: syntax error: unexpected "world == \"x\"", expected an operator (== != < > <= >= in notin issuperset notissuperset) at offset 6 in "hello world == \"x\""`},
		{"feel", `1 = 1`, `feel: unknown condition language (want "boolrule", "FEEL" or "MAKO") in "1 = 1"`},
		{"FEEL", `${text} = 1`, `FEEL: unexpected "world" (names with spaces and FEEL functions are not supported) at offset 6 in "hello world = 1"`},
		{"MAKO", `${nope > 1}`, `MAKO: the result of the expression must be True or False, got '${nope > 1}' (templates left unrendered: ${nope > 1}: undefined name: name 'nope' is not defined) in "${nope > 1}"`},
	}
	for _, c := range cases {
		t.Run(c.lang+" "+c.evaluate, func(t *testing.T) {
			_, err := EvalGatewayCondition(c.lang, c.evaluate, vars, Options{})
			var ce *ConditionError
			require.True(t, errors.As(err, &ce))
			require.Equal(t, c.msg, err.Error())
		})
	}
}
