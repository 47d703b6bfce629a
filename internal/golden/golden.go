// Package golden compares protocol shapes against files under testdata/golden.
// Run the tests with BKFLOW_UPDATE_GOLDEN=1 to rewrite the files after a
// deliberate change, then review the diff.
package golden

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// Placeholder replaces values that differ between runs (ids, trace ids, times).
const Placeholder = "<any>"

// AssertJSON checks that got, with the values at the given paths replaced by
// Placeholder, equals testdata/golden/<name>.json. A path is a list of
// object keys and array indexes, written "data.space.id" or "data.items.0.id".
func AssertJSON(t testing.TB, name string, got []byte, volatile ...string) {
	t.Helper()
	var v any
	if err := json.Unmarshal(got, &v); err != nil {
		t.Fatalf("golden %s: response is not JSON: %v\n%s", name, err, got)
	}
	for _, p := range volatile {
		redact(v, splitPath(p))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	norm := buf.Bytes()
	path := filepath.Join("testdata", "golden", name+".json")
	if os.Getenv("BKFLOW_UPDATE_GOLDEN") == "1" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, norm, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden %s: %v (run with BKFLOW_UPDATE_GOLDEN=1 to create it)", name, err)
	}
	if !bytes.Equal(want, norm) {
		t.Errorf("golden %s differs.\n--- want (%s)\n%s\n--- got\n%s", name, path, want, norm)
	}
}

func splitPath(p string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(p); i++ {
		if i == len(p) || p[i] == '.' {
			out = append(out, p[start:i])
			start = i + 1
		}
	}
	return out
}

func redact(v any, path []string) {
	if len(path) == 0 {
		return
	}
	switch x := v.(type) {
	case map[string]any:
		if path[0] == "*" {
			for k := range x {
				apply(x, k, path[1:])
			}
			return
		}
		if _, ok := x[path[0]]; ok {
			apply(x, path[0], path[1:])
		}
	case []any:
		for i := range x {
			if path[0] == "*" || path[0] == strconv.Itoa(i) {
				if len(path) == 1 {
					x[i] = Placeholder
				} else {
					redact(x[i], path[1:])
				}
			}
		}
	}
}

func apply(m map[string]any, k string, rest []string) {
	if len(rest) == 0 {
		m[k] = Placeholder
		return
	}
	redact(m[k], rest)
}
