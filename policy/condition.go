package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Stored-condition operators (BlueKing IAM's backend names, iam.md §2.1).
const (
	OpAND           = "AND"
	OpOR            = "OR"
	OpAny           = "Any"
	OpBool          = "Bool"
	OpStringEquals  = "StringEquals"
	OpStringPrefix  = "StringPrefix"
	OpStringContain = "StringContains"
	OpNumericEquals = "NumericEquals"
	OpNumericGt     = "NumericGt"
	OpNumericGte    = "NumericGte"
	OpNumericLt     = "NumericLt"
	OpNumericLte    = "NumericLte"
)

// IAMPath is the attribute that holds an instance's topology paths.
const IAMPath = "_bk_iam_path_"

// MaxClauses bounds a condition's disjunctive normal form: a stored
// condition whose AND-of-OR structure multiplies out to more clauses is
// refused rather than evaluated slowly.
const MaxClauses = 1024

var valueOps = map[string]bool{
	OpAny: true, OpBool: true, OpStringEquals: true, OpStringPrefix: true, OpStringContain: true,
	OpNumericEquals: true, OpNumericGt: true, OpNumericGte: true, OpNumericLt: true, OpNumericLte: true,
}

// Condition is a parsed stored condition: a logical node (AND/OR with
// Content) or a value test of Field against Values.
type Condition struct {
	Op      string
	Field   string
	Values  []any
	Content []Condition
}

// Leaf is one value test of a stored condition, with its field split into
// the object ("{system}.{type}") and the attribute, at the last dot as the
// backend does. It is the unit the Rego rules evaluate.
type Leaf struct {
	Op     string `json:"op"`
	Field  string `json:"field"`
	Obj    string `json:"obj"`
	Attr   string `json:"attr"`
	Values []any  `json:"values"`
}

// Clause is a conjunction of leaves; an empty clause always holds.
type Clause []Leaf

// ParseExpression reads a policy's stored expression string the way the
// backend does (iam.md §2.1): "" and "[]" mean Any; a string starting with
// "{" is a condition; anything else is the old format, a JSON array of
// {"system","type","expression"} items whose fields get the "{system}.{type}."
// prefix and are AND-ed.
func ParseExpression(expr string) (Condition, error) {
	s := strings.TrimSpace(expr)
	if s == "" || s == "[]" {
		return Condition{Op: OpAny}, nil
	}
	if strings.HasPrefix(s, "{") {
		return ParseCondition([]byte(s))
	}
	var items []struct {
		System     string          `json:"system"`
		Type       string          `json:"type"`
		Expression json.RawMessage `json:"expression"`
	}
	if err := json.Unmarshal([]byte(s), &items); err != nil {
		return Condition{}, fmt.Errorf("expression is neither a condition object nor an array of {system, type, expression}: %w", err)
	}
	var all []Condition
	for i, it := range items {
		c, err := ParseCondition(it.Expression)
		if err != nil {
			return Condition{}, fmt.Errorf("[%d].expression: %w", i, err)
		}
		all = append(all, c.prefixed(it.System+"."+it.Type+"."))
	}
	switch len(all) {
	case 0:
		return Condition{Op: OpAny}, nil
	case 1:
		return all[0], nil
	}
	return Condition{Op: OpAND, Content: all}, nil
}

func (c Condition) prefixed(p string) Condition {
	if c.Op == OpAND || c.Op == OpOR {
		out := c
		out.Content = make([]Condition, len(c.Content))
		for i, x := range c.Content {
			out.Content[i] = x.prefixed(p)
		}
		return out
	}
	if c.Op == OpAny && c.Field == "" {
		return c
	}
	c.Field = p + c.Field
	return c
}

// ParseCondition reads one stored condition: an object with exactly one
// operator key whose value is an object with exactly one field key ("content"
// for AND/OR) mapped to an array. Anything else is refused with the JSON path
// of the problem.
func ParseCondition(data []byte) (Condition, error) {
	var raw any
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if err := d.Decode(&raw); err != nil {
		return Condition{}, fmt.Errorf("condition is not JSON: %w", err)
	}
	if d.More() {
		return Condition{}, fmt.Errorf("condition has data after its JSON value")
	}
	return parseCondition(raw, "$", 0)
}

const maxDepth = 32

func parseCondition(raw any, path string, depth int) (Condition, error) {
	if depth > maxDepth {
		return Condition{}, fmt.Errorf("%s: conditions nest deeper than %d levels", path, maxDepth)
	}
	obj, ok := raw.(map[string]any)
	if !ok || len(obj) != 1 {
		return Condition{}, fmt.Errorf("%s: a condition is an object with exactly one operator key", path)
	}
	for op, body := range obj {
		fields, ok := body.(map[string]any)
		if !ok || len(fields) != 1 {
			return Condition{}, fmt.Errorf("%s.%s: the operator's value is an object with exactly one field key", path, op)
		}
		for field, v := range fields {
			vals, ok := v.([]any)
			if !ok {
				return Condition{}, fmt.Errorf("%s.%s.%s: must be an array", path, op, field)
			}
			switch {
			case op == OpAND || op == OpOR:
				if field != "content" {
					return Condition{}, fmt.Errorf("%s.%s: the field key of %s must be \"content\", not %q", path, op, op, field)
				}
				c := Condition{Op: op, Content: make([]Condition, 0, len(vals))}
				for i, x := range vals {
					sub, err := parseCondition(x, fmt.Sprintf("%s.%s.content[%d]", path, op, i), depth+1)
					if err != nil {
						return Condition{}, err
					}
					c.Content = append(c.Content, sub)
				}
				return c, nil
			case valueOps[op]:
				for i, x := range vals {
					if !scalar(x) {
						return Condition{}, fmt.Errorf("%s.%s.%s[%d]: values are strings, numbers or booleans", path, op, field, i)
					}
					vals[i] = normalNumber(x)
				}
				return Condition{Op: op, Field: field, Values: vals}, nil
			default:
				return Condition{}, fmt.Errorf("%s: can not support operator %s", path, op)
			}
		}
	}
	panic("unreachable")
}

func scalar(x any) bool {
	switch x.(type) {
	case string, bool, json.Number:
		return true
	}
	return false
}

// normalNumber turns a json.Number into float64, as the backend's JSON
// decoding does, so that 1 and 1.0 are the same number everywhere.
func normalNumber(x any) any {
	if n, ok := x.(json.Number); ok {
		f, err := n.Float64()
		if err == nil {
			return f
		}
	}
	return x
}

// MarshalJSON writes the condition back in the stored format.
func (c Condition) MarshalJSON() ([]byte, error) {
	if c.Op == OpAND || c.Op == OpOR {
		content := c.Content
		if content == nil {
			content = []Condition{}
		}
		return json.Marshal(map[string]map[string][]Condition{c.Op: {"content": content}})
	}
	vals := c.Values
	if vals == nil {
		vals = []any{}
	}
	return json.Marshal(map[string]map[string][]any{c.Op: {c.Field: vals}})
}

// DNF returns the condition as an OR of clauses (each an AND of leaves):
// Any is the empty clause, AND multiplies its children's clauses out, OR
// concatenates them. Rego has no recursion, so stored trees are flattened
// this way before the rules see them; the result is equivalent.
func (c Condition) DNF() ([]Clause, error) {
	switch c.Op {
	case OpAny:
		return []Clause{{}}, nil
	case OpOR:
		var out []Clause
		for _, x := range c.Content {
			cs, err := x.DNF()
			if err != nil {
				return nil, err
			}
			out = append(out, cs...)
			if len(out) > MaxClauses {
				return nil, errTooComplex
			}
		}
		return out, nil
	case OpAND:
		out := []Clause{{}}
		for _, x := range c.Content {
			cs, err := x.DNF()
			if err != nil {
				return nil, err
			}
			if len(out)*len(cs) > MaxClauses {
				return nil, errTooComplex
			}
			next := make([]Clause, 0, len(out)*len(cs))
			for _, a := range out {
				for _, b := range cs {
					m := make(Clause, 0, len(a)+len(b))
					next = append(next, append(append(m, a...), b...))
				}
			}
			out = next
		}
		return out, nil
	}
	return []Clause{{newLeaf(c.Op, c.Field, c.Values)}}, nil
}

var errTooComplex = fmt.Errorf("condition expands to more than %d alternatives", MaxClauses)

func newLeaf(op, field string, values []any) Leaf {
	l := Leaf{Op: op, Field: field, Attr: field, Values: values}
	if i := strings.LastIndexByte(field, '.'); i >= 0 {
		l.Obj, l.Attr = field[:i], field[i+1:]
	}
	if l.Values == nil {
		l.Values = []any{}
	}
	return l
}
