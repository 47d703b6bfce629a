package wire

import (
	"encoding/json"
	"strings"
)

// ObjectSet holds the objects an expression is evaluated against, keyed by
// resource type; each is its attributes, including "id".
type ObjectSet map[string]map[string]any

// Get returns the attribute named by field "type.attr" (split at the first
// dot), nil when the object or the attribute is missing.
func (s ObjectSet) Get(field string) any {
	i := strings.IndexByte(field, '.')
	if i < 0 {
		return nil
	}
	o, ok := s[field[:i]]
	if !ok {
		return nil
	}
	return o[field[i+1:]]
}

// Eval evaluates e against objs with the Go SDK's rules: any is true; AND
// of nothing is true and OR of nothing false; scalar operators are false for
// an array value; positive operators hold for any element of an array
// attribute (none for an empty one), negative ones for every element (so an
// empty one passes); in/not_in need an array value; contains/not_contains an
// array attribute and a scalar value; string operators need strings on both
// sides; unknown operators, {} included, are false.
func (e Expr) Eval(objs ObjectSet) bool {
	switch e.Op {
	case OpAND:
		for _, c := range e.Content {
			if !c.Eval(objs) {
				return false
			}
		}
		return true
	case OpOR:
		for _, c := range e.Content {
			if c.Eval(objs) {
				return true
			}
		}
		return false
	case OpAny:
		return true
	}
	attr := objs.Get(e.Field)
	value := e.Value
	if e.Op == OpStartsWith && strings.HasSuffix(e.Field, "._bk_iam_path_") {
		if s, ok := value.(string); ok && strings.HasSuffix(s, ",*/") {
			value = strings.TrimSuffix(s, "*/")
		}
	}
	_, valueIsArray := value.([]any)
	switch e.Op {
	case OpEq, OpLt, OpLte, OpGt, OpGte, OpStartsWith, OpEndsWith, OpStringContains:
		if valueIsArray {
			return false
		}
		return positive(attr, func(a any) bool { return binary(e.Op, a, value) })
	case OpNotEq, OpNotStartsWith, OpNotEndsWith:
		if valueIsArray {
			return false
		}
		return negative(attr, func(a any) bool { return binary(e.Op, a, value) })
	case OpIn:
		if !valueIsArray {
			return false
		}
		return positive(attr, func(a any) bool { return member(a, value.([]any)) })
	case OpNotIn:
		if !valueIsArray {
			return false
		}
		return negative(attr, func(a any) bool { return !member(a, value.([]any)) })
	case OpContains, OpNotContains:
		list, ok := attr.([]any)
		if !ok || valueIsArray {
			return false
		}
		if e.Op == OpContains {
			return member(value, list)
		}
		return !member(value, list)
	}
	return false
}

func positive(attr any, f func(any) bool) bool {
	if list, ok := attr.([]any); ok {
		for _, a := range list {
			if f(a) {
				return true
			}
		}
		return false
	}
	return f(attr)
}

func negative(attr any, f func(any) bool) bool {
	if list, ok := attr.([]any); ok {
		for _, a := range list {
			if !f(a) {
				return false
			}
		}
		return true
	}
	return f(attr)
}

func member(a any, list []any) bool {
	for _, v := range list {
		if equal(a, v) {
			return true
		}
	}
	return false
}

func binary(op string, a, v any) bool {
	switch op {
	case OpEq:
		return equal(a, v)
	case OpNotEq:
		return !equal(a, v)
	case OpLt, OpLte, OpGt, OpGte:
		c, ok := compare(a, v)
		if !ok {
			return false
		}
		switch op {
		case OpLt:
			return c < 0
		case OpLte:
			return c <= 0
		case OpGt:
			return c > 0
		}
		return c >= 0
	}
	as, ok1 := a.(string)
	vs, ok2 := v.(string)
	if !ok1 || !ok2 {
		return false
	}
	switch op {
	case OpStartsWith:
		return strings.HasPrefix(as, vs)
	case OpNotStartsWith:
		return !strings.HasPrefix(as, vs)
	case OpEndsWith:
		return strings.HasSuffix(as, vs)
	case OpNotEndsWith:
		return !strings.HasSuffix(as, vs)
	case OpStringContains:
		return strings.Contains(as, vs)
	}
	return false
}

// number returns v as a float64 when it is a JSON or Go number.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case int32:
		return float64(n), true
	}
	return 0, false
}

func equal(a, v any) bool {
	if x, ok := number(a); ok {
		y, ok := number(v)
		return ok && x == y
	}
	switch x := a.(type) {
	case string:
		y, ok := v.(string)
		return ok && x == y
	case bool:
		y, ok := v.(bool)
		return ok && x == y
	case nil:
		return v == nil
	}
	return false
}

// compare orders numbers by value and strings lexically; other pairs are
// not comparable.
func compare(a, v any) (int, bool) {
	if x, ok := number(a); ok {
		y, ok := number(v)
		if !ok {
			return 0, false
		}
		switch {
		case x < y:
			return -1, true
		case x > y:
			return 1, true
		}
		return 0, true
	}
	x, ok1 := a.(string)
	y, ok2 := v.(string)
	if !ok1 || !ok2 {
		return 0, false
	}
	return strings.Compare(x, y), true
}

// Objects reads the CLI's objects document: an object keyed by resource
// type, each value an object of attributes (including "id").
func Objects(data []byte) (ObjectSet, error) {
	v, err := decodeValue(data)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errNotObjects
	}
	out := make(ObjectSet, len(m))
	for typ, o := range m {
		attrs, ok := o.(map[string]any)
		if !ok {
			return nil, &objectError{typ}
		}
		out[typ] = attrs
	}
	return out, nil
}
