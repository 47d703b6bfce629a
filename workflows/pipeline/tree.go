package pipeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// DecodeTree decodes a JSON object into a Tree, keeping numbers as
// json.Number.
func DecodeTree(raw []byte) (Tree, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("malformed JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("malformed JSON: unexpected data after the top-level value")
	}
	t, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the pipeline tree must be a JSON object, not %s", JSONType(v))
	}
	return t, nil
}

// CloneTree returns a deep copy of a tree.
func CloneTree(t Tree) Tree {
	if t == nil {
		return nil
	}
	return cloneValue(t).(map[string]any)
}

func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = cloneValue(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = cloneValue(e)
		}
		return l
	}
	return v
}

// JSONType names the JSON type of a decoded value, for messages ("must be
// an object, got string").
func JSONType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number, float64, int:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// truthy is Python's truth value of a decoded JSON value, which is how
// BKFlow reads its boolean options.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case json.Number:
		f, err := x.Float64()
		return err != nil || f != 0
	case float64:
		return x != 0
	case int:
		return x != 0
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	return true
}

// pyInt converts a value as Python's int() does for the values BKFlow
// passes it (numbers truncate, numeric strings parse, booleans are 0/1).
func pyInt(v any) (int, bool) {
	switch x := v.(type) {
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return clampInt(i), true
		}
		f, err := x.Float64()
		if err != nil || f != f || f > 1e18 || f < -1e18 {
			return 0, false
		}
		return clampInt(int64(f)), true
	case float64:
		if x != x || x > 1e18 || x < -1e18 {
			return 0, false
		}
		return clampInt(int64(x)), true
	case int:
		return x, true
	case string:
		return parsePyIntString(x)
	}
	return 0, false
}

// exactInt reports a JSON integer (Python isinstance(v, int) after
// json.loads: no fraction, no exponent).
func exactInt(v any) (int, bool) {
	switch x := v.(type) {
	case json.Number:
		i, err := x.Int64()
		if err != nil {
			return 0, false
		}
		return clampInt(i), true
	case int:
		return x, true
	}
	return 0, false
}

func clampInt(i int64) int {
	const maxInt = int64(^uint(0) >> 1)
	if i > maxInt {
		return int(maxInt)
	}
	if i < -maxInt {
		return int(-maxInt)
	}
	return int(i)
}

// parsePyIntString parses a decimal integer the way int(str) does:
// surrounding whitespace, an optional sign, digits with single underscores.
func parsePyIntString(s string) (int, bool) {
	b := []byte(s)
	for len(b) > 0 && isPySpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isPySpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	neg := false
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	var n int64
	prevDigit := false
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			if n < 1e17 {
				n = n*10 + int64(c-'0')
			}
			prevDigit = true
		case c == '_' && prevDigit:
			prevDigit = false
		default:
			return 0, false
		}
	}
	if !prevDigit {
		return 0, false
	}
	if neg {
		n = -n
	}
	return clampInt(n), true
}

func isPySpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// flowList reads an incoming/outgoing field: a flow id, a list of flow ids,
// or an empty value (format_to_list).
func flowList(v any) ([]string, bool) {
	switch x := v.(type) {
	case nil:
		return []string{}, true
	case string:
		if x == "" {
			return []string{}, true
		}
		return []string{x}, true
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	if !truthy(v) {
		return []string{}, true
	}
	return nil, false
}

// mapFlowField rewrites the flow ids of an incoming/outgoing field in
// place, keeping its shape (string or list).
func mapFlowField(node map[string]any, field string, f func(string) string) {
	switch x := node[field].(type) {
	case string:
		if x != "" {
			node[field] = f(x)
		}
	case []any:
		for i, e := range x {
			if s, ok := e.(string); ok {
				x[i] = f(s)
			}
		}
	}
}

// objectAt returns m[key] when it is an object.
func objectAt(m map[string]any, key string) map[string]any {
	o, _ := m[key].(map[string]any)
	return o
}

// stringAt returns m[key] when it is a string.
func stringAt(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

// jsonInt is an integer as DecodeTree represents numbers.
func jsonInt(n int) json.Number { return json.Number(strconv.Itoa(n)) }
