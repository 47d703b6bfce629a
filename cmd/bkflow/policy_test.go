package main

import (
	"bytes"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"
)

func runPolicy(args ...string) (stdout, stderr string, code int) {
	var out, errb bytes.Buffer
	e := env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	root := &cobra.Command{Use: "bkflow", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(newPolicyCommand(e))
	root.SetArgs(append([]string{"policy"}, args...))
	if err := root.Execute(); err != nil {
		code = 1
		if c, ok := exitCode(err); ok {
			code = c
		}
	}
	return out.String(), errb.String(), code
}

func TestPolicyEvalCommand(t *testing.T) {
	task := `{"task": {"id": "7", "_bk_iam_path_": ["/space,1/", "/space,1/template,5/"]}}`
	for _, c := range []struct {
		expr, objects, stdout, stderr string
		code                          int
	}{
		{`{"op":"starts_with","field":"task._bk_iam_path_","value":"/space,1/template,*/"}`, task, "true\n", "", 0},
		{`{"op":"eq","field":"task.id","value":"8"}`, task, "false\n", "", 0},
		{`{"op":"not_eq","field":"template.id","value":"8"}`, task, "true\n", "", 0},
		{`{}`, task, "false\n", "", 0},
		{`{"op":"like","field":"task.id","value":"7"}`, task, "", "bkflow policy eval: --expr: $.op: operator \"like\" is not supported\n", 2},
		{`{"op":"eq","field":"task.id","value":"7"}`, `[]`, "", "bkflow policy eval: --objects: objects must be a JSON object keyed by resource type, e.g. {\"task\": {\"id\": \"1\"}}\n", 2},
	} {
		out, errOut, code := runPolicy("eval", "--expr", c.expr, "--objects", c.objects)
		require.Equal(t, c.stdout, out, c.expr)
		require.Equal(t, c.stderr, errOut, c.expr)
		require.Equal(t, c.code, code, c.expr)
	}
	out, _, code := runPolicy("model")
	require.Equal(t, 0, code)
	require.Contains(t, out, `"system_id": "bkflow"`)
}
