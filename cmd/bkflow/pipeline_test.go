package main

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPipelineValidate(t *testing.T) {
	dir := filepath.Join("testdata", "pipelines")
	valid := filepath.Join(dir, "valid.json")
	gateway := filepath.Join(dir, "parallel_to_end.json")
	schema := filepath.Join(dir, "schema.json")
	malformed := filepath.Join(dir, "malformed.json")
	missing := filepath.Join(dir, "missing.json")
	cases := []struct {
		name   string
		args   []string
		stdout string
		code   int // exit code asked for (0: none)
		err    string
	}{
		{
			name:   "valid file",
			args:   []string{"validate", valid},
			stdout: valid + ": ok\n",
		},
		{
			name: "several files",
			args: []string{"validate", valid, gateway, schema, malformed, missing, dir},
			stdout: valid + ": ok\n" +
				gateway + ": [node pg1] 非法网关, 请检查其分支是否符合规则, cur_index: pg1, targets: ['cg1', 'end'] (a parallel gateway's branches must all join at one converge gateway, and a branch gateway's branches must join at one, end, or loop back)\n" +
				schema + ": [node a1] /activities/a1/name: length must be >= 1\n" +
				schema + ": [node pg1] /gateways/pg1/outgoing: must be a flow id or a non-empty list of flow ids\n" +
				malformed + ": malformed JSON: unexpected EOF\n" +
				missing + ": cannot read the file: no such file or directory\n" +
				dir + ": cannot read the file: is a directory\n",
			code: 1,
		},
		{
			name: "json format",
			args: []string{"validate", "--format", "json", valid, gateway},
			stdout: `{
  "files": [
    {
      "file": "` + valid + `",
      "valid": true,
      "problems": []
    },
    {
      "file": "` + gateway + `",
      "valid": false,
      "problems": [
        {
          "code": "gateway_invalid",
          "path": "/gateways/pg1",
          "node_ids": [
            "pg1"
          ],
          "flow_ids": [],
          "message": "非法网关, 请检查其分支是否符合规则, cur_index: pg1, targets: ['cg1', 'end'] (a parallel gateway's branches must all join at one converge gateway, and a branch gateway's branches must join at one, end, or loop back)"
        }
      ]
    }
  ]
}
`,
			code: 1,
		},
		{
			name: "json format, unreadable file",
			args: []string{"validate", "--format=json", missing},
			stdout: `{
  "files": [
    {
      "file": "` + missing + `",
      "valid": false,
      "problems": [
        {
          "code": "unreadable",
          "path": "",
          "node_ids": [],
          "flow_ids": [],
          "message": "cannot read the file: no such file or directory"
        }
      ]
    }
  ]
}
`,
			code: 1,
		},
		{
			name: "bad format",
			args: []string{"validate", "--format", "yaml", valid},
			err:  `--format must be text or json, not "yaml"`,
		},
		{
			name: "no file",
			args: []string{"validate"},
			err:  "requires at least 1 arg(s), only received 0",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			cmd := newPipelineCommand(env{stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }})
			cmd.SetOut(&stdout)
			cmd.SetErr(&stderr)
			cmd.SetArgs(tc.args)
			code, msg := outcome(cmd.Execute())
			require.Equal(t, tc.stdout, stdout.String())
			require.Empty(t, stderr.String())
			require.Equal(t, tc.code, code)
			require.Equal(t, tc.err, msg)
		})
	}
}

// outcome splits a command's error into the exit code it asks for and the
// message of any other error.
func outcome(err error) (code int, msg string) {
	var ee exitError
	switch {
	case err == nil:
		return 0, ""
	case errors.As(err, &ee):
		return ee.Code, ""
	}
	return 0, err.Error()
}
