// Package regotest is `opa test policy/` and `opa fmt --list policy/` as a
// Go test, so that `make test` runs every Rego test in the repository and
// keeps the files formatted.
package regotest

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/format"
	"github.com/open-policy-agent/opa/v1/tester"
)

const root = ".." // policy/

func regoFiles(t *testing.T) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".rego") {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("no .rego files under policy/")
	}
	return out
}

// TestEveryRuleFileHasTests requires x_test.rego beside every x.rego.
func TestEveryRuleFileHasTests(t *testing.T) {
	for _, p := range regoFiles(t) {
		if strings.HasSuffix(p, "_test.rego") {
			continue
		}
		if _, err := os.Stat(strings.TrimSuffix(p, ".rego") + "_test.rego"); err != nil {
			t.Errorf("%s has no %s", p, filepath.Base(strings.TrimSuffix(p, ".rego")+"_test.rego"))
		}
	}
}

// TestFormatted fails for a file `opa fmt` would change.
func TestFormatted(t *testing.T) {
	for _, p := range regoFiles(t) {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := format.Source(p, src)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if string(got) != string(src) {
			t.Errorf("%s is not formatted as opa fmt would; the formatted file:\n%s", p, got)
		}
	}
}

// TestRego runs every Rego test under policy/, with the data files there.
func TestRego(t *testing.T) {
	results, err := tester.Run(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) == 0 {
		t.Fatal("no Rego tests ran")
	}
	for _, r := range results {
		switch {
		case r.Error != nil:
			t.Errorf("%s.%s (%s): error: %v", r.Package, r.Name, r.Location, r.Error)
		case r.Fail:
			t.Errorf("%s.%s (%s): FAIL", r.Package, r.Name, r.Location)
		default:
			t.Logf("%s.%s: PASS (%v)", r.Package, r.Name, r.Duration)
		}
	}
}
