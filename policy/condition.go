package policy

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/bkflow/bkflow/policy/grant"
)

// IAMPath is the attribute that holds an instance's topology paths.
const IAMPath = "_bk_iam_path_"

// MaxClauses bounds a condition's disjunctive normal form: a stored
// condition whose AND-of-OR structure multiplies out to more clauses is
// refused rather than evaluated slowly.
const MaxClauses = 1024

// Condition is a parsed stored condition. The stored format has one
// reading, policy/grant's, shared by the translator that writes
// conditions and the engine that evaluates them.
type Condition = grant.Condition

// Leaf is one value test of a stored condition, with its field split into
// the object ("{system}.{type}") and the attribute, at the last dot as the
// backend does. It is the unit the Rego rules evaluate.
type Leaf struct {
	Op     grant.Operator `json:"op"`
	Field  string         `json:"field"`
	Obj    string         `json:"obj"`
	Attr   string         `json:"attr"`
	Values []any          `json:"values"`
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
		return Condition{Op: grant.OpAny}, nil
	}
	if strings.HasPrefix(s, "{") {
		return grant.ParseCondition([]byte(s))
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
		c, err := grant.ParseCondition(it.Expression)
		if err != nil {
			return Condition{}, fmt.Errorf("[%d].expression: %w", i, err)
		}
		all = append(all, prefixed(c, it.System+"."+it.Type+"."))
	}
	switch len(all) {
	case 0:
		return Condition{Op: grant.OpAny}, nil
	case 1:
		return all[0], nil
	}
	return grant.And(all...), nil
}

// prefixed gives c's fields the old format's "{system}.{type}." prefix.
func prefixed(c Condition, p string) Condition {
	if c.Op.Logical() {
		out := c
		out.Content = make([]Condition, len(c.Content))
		for i, x := range c.Content {
			out.Content[i] = prefixed(x, p)
		}
		return out
	}
	if c.Op == grant.OpAny && c.Field == "" {
		return c
	}
	c.Field = p + c.Field
	return c
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

// DNF returns the condition as an OR of clauses (each an AND of leaves):
// Any is the empty clause, AND multiplies its children's clauses out, OR
// concatenates them. Rego has no recursion, so stored trees are flattened
// this way before the rules see them; the result is equivalent.
func DNF(c Condition) ([]Clause, error) {
	switch c.Op {
	case grant.OpAny:
		return []Clause{{}}, nil
	case grant.OpOR:
		var out []Clause
		for _, x := range c.Content {
			cs, err := DNF(x)
			if err != nil {
				return nil, err
			}
			out = append(out, cs...)
			if len(out) > MaxClauses {
				return nil, errTooComplex
			}
		}
		return out, nil
	case grant.OpAND:
		out := []Clause{{}}
		for _, x := range c.Content {
			cs, err := DNF(x)
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
	vals := make([]any, len(c.Values))
	for i, v := range c.Values {
		vals[i] = normalNumber(v)
	}
	return []Clause{{newLeaf(c.Op, c.Field, vals)}}, nil
}

var errTooComplex = fmt.Errorf("condition expands to more than %d alternatives", MaxClauses)

func newLeaf(op grant.Operator, field string, values []any) Leaf {
	l := Leaf{Op: op, Field: field, Attr: field, Values: values}
	if i := strings.LastIndexByte(field, '.'); i >= 0 {
		l.Obj, l.Attr = field[:i], field[i+1:]
	}
	if l.Values == nil {
		l.Values = []any{}
	}
	return l
}
