package main

import (
	"bytes"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"
)

func runExpr(args ...string) (stdout, stderr string, code int) {
	var out, errb bytes.Buffer
	e := env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	root := &cobra.Command{Use: "bkflow", SilenceUsage: true, SilenceErrors: true}
	root.SetOut(&out)
	root.SetErr(&errb)
	root.AddCommand(newExprCommand(e))
	root.SetArgs(append([]string{"expr"}, args...))
	err := root.Execute()
	code = 0
	if err != nil {
		code = 1
		if c, ok := exitCode(err); ok {
			code = c
		}
	}
	return out.String(), errb.String(), code
}

func TestExprCommand(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		stdout string
		stderr string
		code   int
	}{
		{"render text", []string{"render", "${a}-x", "--context", `{"a": 1}`}, "\"1-x\"\n", "", 0},
		{"render raw object", []string{"render", "${a}", "--context", `{"a": {"b": [1, 2.50]}}`}, "{\"b\":[1,2.50]}\n", "", 0},
		{"render python str", []string{"render", "v=${a}", "--context", `{"a": {"b": [1, 2.50, null, true]}}`},
			"\"v={'b': [1, 2.5, None, True]}\"\n", "", 0},
		{"render json", []string{"render", "--json", `{"k": "${a}", "${a}": ["${a}!", 3]}`, "--context", `{"a": "v"}`},
			"{\"${a}\":[\"v!\",3],\"k\":\"v\"}\n", "", 0},
		{"render no html escaping", []string{"render", "<b>&${a}", "--context", `{"a": "'"}`}, "\"<b>&'\"\n", "", 0},
		{"render warnings", []string{"render", "${missing} ${a:b} ok"}, "\"${missing} ${a:b} ok\"\n",
			"warning: ${missing}: undefined name: name 'missing' is not defined\n" +
				"warning: ${a:b}: syntax error: got ':' after expression, want EOF\n", 0},
		{"render step limit", []string{"render", "${[x for x in range(100000000)]}"}, "\"${[x for x in range(100000000)]}\"\n",
			"warning: ${[x for x in range(100000000)]}: step limit exceeded: more than 100000 steps\n", 0},
		{"render bad context", []string{"render", "x", "--context", "nope"}, "",
			"bkflow expr: --context is not valid JSON: invalid character 'o' in literal null (expecting 'u')\n", 2},
		{"render context not object", []string{"render", "x", "--context", "[1]"}, "", "bkflow expr: --context must be a JSON object\n", 2},
		{"render bad template json", []string{"render", "--json", "{bad"}, "",
			"bkflow expr: TEMPLATE is not valid JSON: invalid character 'b' looking for beginning of object key string\n", 2},
		{"render trailing json", []string{"render", "--json", "1 2"}, "",
			"bkflow expr: TEMPLATE is not valid JSON: unexpected data after the JSON value\n", 2},

		{"boolrule", []string{"condition", "1 == 1"}, "true\n", "", 0},
		{"boolrule false", []string{"condition", `"a" <= "49"`}, "false\n", "", 0},
		{"boolrule context", []string{"condition", "${n} > 3 and resp.result == True", "--context", `{"n": 5, "resp": {"result": true}}`},
			"true\n", "", 0},
		{"boolrule syntax error", []string{"condition", "1 = 1"}, "",
			"bkflow expr condition: boolrule: syntax error: unexpected \"= 1\", expected an operator (== != < > <= >= in notin issuperset notissuperset) at offset 2 in \"1 = 1\"\n", 2},
		{"boolrule eval error", []string{"condition", `"a" < 1`}, "",
			"bkflow expr condition: boolrule: cannot evaluate condition: '<' not supported between instances of 'str' and 'int' at offset 0 in \"\\\"a\\\" < 1\"\n", 2},
		{"feel", []string{"condition", "--lang", "FEEL", "1 = 1"}, "true\n", "", 0},
		{"feel context", []string{"condition", "--lang", "FEEL", "n > 3 or s = \"x\"", "--context", `{"n": 1, "s": "y"}`}, "false\n", "", 0},
		{"feel unknown name", []string{"condition", "--lang", "FEEL", "n > 3"}, "",
			"bkflow expr condition: FEEL: unknown variable \"n\" at offset 0 in \"n > 3\"\n", 2},
		{"mako", []string{"condition", "--lang", "MAKO", "${n > 3}", "--context", `{"n": 5}`}, "true\n", "", 0},
		{"mako not boolean", []string{"condition", "--lang", "MAKO", "${n}", "--context", `{"n": 5}`}, "",
			"bkflow expr condition: MAKO: the result of the expression must be True or False, got '5' in \"5\"\n", 2},
		{"gateway quoted", []string{"condition", "--gateway", `"${x}" == "hello world"`, "--context", `{"x": "hello world"}`}, "true\n", "", 0},
		{"gateway bare word", []string{"condition", "--gateway", `${x} == "abc"`, "--context", `{"x": "abc"}`}, "true\n", "", 0},
		{"gateway unquoted space", []string{"condition", "--gateway", `${x} == "hello world"`, "--context", `{"x": "hello world"}`}, "",
			"bkflow expr condition: boolrule: syntax error: unexpected \"world == \\\"he…\", expected an operator (== != < > <= >= in notin issuperset notissuperset) at offset 6 in \"hello world == \\\"hello world\\\"\"\n", 2},
		{"gateway feel", []string{"condition", "--gateway", "--lang", "FEEL", `${n} >= 5`, "--context", `{"n": 5}`}, "true\n", "", 0},
		{"gateway mako", []string{"condition", "--gateway", "--lang", "MAKO", `${n > 5}`, "--context", `{"n": 5}`}, "false\n", "", 0},
		{"unknown lang", []string{"condition", "--lang", "python", "1"}, "",
			"bkflow expr: unknown --lang \"python\" (want boolrule, MAKO or FEEL)\n", 2},
		{"unknown lang gateway", []string{"condition", "--gateway", "--lang", "feel", "1 = 1"}, "",
			"bkflow expr condition: feel: unknown condition language (want \"boolrule\", \"FEEL\" or \"MAKO\") in \"1 = 1\"\n", 2},
		{"condition bad context", []string{"condition", "1 == 1", "--context", "{"}, "",
			"bkflow expr: --context is not valid JSON: unexpected EOF\n", 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := runExpr(c.args...)
			require.Equal(t, c.stdout, stdout)
			require.Equal(t, c.stderr, stderr)
			require.Equal(t, c.code, code)
		})
	}
}
