package admission

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestCheck(t *testing.T) {
	ctx := context.Background()
	dir := write(t, map[string]string{
		"a.rego":          "package bkflow.admission\n\nimport rego.v1\n\ndeny contains \"zeta\" if input.user == \"bob\"\n\ndeny contains sprintf(\"%s in space %d\", [input.action, input.space.id]) if input.user == \"bob\"\n",
		"sub/b.rego":      "package bkflow.admission\n\nimport rego.v1\n\ndeny contains \"alpha\" if data.flags.strict\n",
		"sub/b_test.rego": "package bkflow.admission_test\n\nthis is not rego and is not loaded\n",
		"data.json":       `{"flags": {"strict": true}}`,
	})
	c, err := Load(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Modules() != 2 {
		t.Fatalf("modules %d", c.Modules())
	}
	got, err := c.Check(ctx, Input{Action: ActionTaskCreate, Space: Ref{ID: 3}, User: "bob", PipelineTree: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if want := "alpha|task_create in space 3|zeta"; strings.Join(got, "|") != want {
		t.Fatalf("got %v, want %s", got, want)
	}
	got, _ = c.Check(ctx, Input{Action: ActionTaskCreate, User: "amy"})
	if strings.Join(got, "|") != "alpha" {
		t.Fatalf("got %v", got)
	}
	var nilChecker *Checker
	if got, err := nilChecker.Check(ctx, Input{}); got != nil || err != nil {
		t.Fatalf("nil checker: %v %v", got, err)
	}
}

func TestLoadErrors(t *testing.T) {
	ctx := context.Background()
	dir := write(t, map[string]string{"bad.rego": "package bkflow.admission\n\ndeny contains x if {\n"})
	_, err := Load(ctx, dir)
	if err == nil || !strings.Contains(err.Error(), "bad.rego:4") {
		t.Fatalf("got %v, want file:line", err)
	}
	if _, err := Load(ctx, filepath.Join(dir, "missing")); err == nil {
		t.Fatal("a missing dir loaded")
	}
}

func TestRuntimeErrorFailsClosed(t *testing.T) {
	ctx := context.Background()
	dir := write(t, map[string]string{"a.rego": "package bkflow.admission\n\nimport rego.v1\n\ndeny contains x if {\n\tx := 1\n}\n"})
	c, err := Load(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Check(ctx, Input{}); err == nil || !strings.Contains(err.Error(), "not a string") {
		t.Fatalf("got %v", err)
	}
}
