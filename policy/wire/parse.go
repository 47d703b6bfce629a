package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// MaxDepth bounds how deeply Parse lets AND/OR nest.
const MaxDepth = 64

// Parse reads an expression strictly: every operator known, logical
// operators with a content array, binary ones with a "type.attr" field and a
// value, nothing else. Errors name the JSON path of the problem. {} parses to
// the empty expression.
func Parse(data []byte) (Expr, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var raw any
	if err := d.Decode(&raw); err != nil {
		return Expr{}, fmt.Errorf("expression is not JSON: %w", err)
	}
	if d.More() {
		return Expr{}, errors.New("expression has data after its JSON value")
	}
	if m, ok := raw.(map[string]any); ok && len(m) == 0 {
		return Expr{}, nil
	}
	return parse(raw, "$", 0)
}

func parse(raw any, path string, depth int) (Expr, error) {
	if depth > MaxDepth {
		return Expr{}, fmt.Errorf("%s: expressions nest deeper than %d levels", path, MaxDepth)
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return Expr{}, fmt.Errorf("%s: must be an object", path)
	}
	op, ok := m["op"].(string)
	if !ok {
		return Expr{}, fmt.Errorf("%s.op: is required and must be a string", path)
	}
	if op == OpAND || op == OpOR {
		for k := range m {
			if k != "op" && k != "content" {
				return Expr{}, fmt.Errorf("%s: %s takes op and content only, not %q", path, op, k)
			}
		}
		items, ok := m["content"].([]any)
		if !ok {
			return Expr{}, fmt.Errorf("%s.content: %s needs an array of expressions", path, op)
		}
		e := Expr{Op: op, Content: make([]Expr, 0, len(items))}
		for i, it := range items {
			sub, err := parse(it, fmt.Sprintf("%s.content[%d]", path, i), depth+1)
			if err != nil {
				return Expr{}, err
			}
			e.Content = append(e.Content, sub)
		}
		return e, nil
	}
	if !binaryOps[op] {
		return Expr{}, fmt.Errorf("%s.op: operator %q is not supported", path, op)
	}
	for k := range m {
		if k != "op" && k != "field" && k != "value" {
			return Expr{}, fmt.Errorf("%s: %s takes op, field and value only, not %q", path, op, k)
		}
	}
	field, _ := m["field"].(string)
	if op != OpAny {
		if i := strings.IndexByte(field, '.'); i <= 0 || i == len(field)-1 {
			return Expr{}, fmt.Errorf("%s.field: must be \"<type>.<attribute>\", got %q", path, field)
		}
	}
	v, ok := m["value"]
	if !ok {
		return Expr{}, fmt.Errorf("%s.value: is required", path)
	}
	if err := checkValue(v, path+".value", true); err != nil {
		return Expr{}, err
	}
	return Expr{Op: op, Field: field, Value: v}, nil
}

func checkValue(v any, path string, top bool) error {
	switch x := v.(type) {
	case string, bool, json.Number, nil:
		return nil
	case []any:
		if !top {
			return fmt.Errorf("%s: arrays do not nest", path)
		}
		for i, e := range x {
			if err := checkValue(e, fmt.Sprintf("%s[%d]", path, i), false); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("%s: must be a string, number, boolean or an array of them", path)
}
