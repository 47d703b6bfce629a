package policy

import (
	"fmt"
	"strings"

	"github.com/bkflow/bkflow/policy/grant"
	"github.com/bkflow/bkflow/policy/wire"
)

// AnyExpr is the wire expression of an unconditional permission (super
// users, actions without resources, policies the resources settle).
func AnyExpr() wire.Expr { return wire.Expr{Op: "any", Field: "", Value: []any{}} }

// Translate turns the remainders of partial evaluation into one wire
// expression by the backend's rules (iam.md §2.2.1): a remainder that is Any
// wins outright; several remainders are OR-ed with their top-level eq/in on
// the same field merged into one in; nothing left is the empty expression
// {} (no permission). ok is false for {}.
func Translate(rems []Remainder) (expr wire.Expr, ok bool, err error) {
	items := make([]wire.Expr, 0, len(rems))
	for _, r := range rems {
		if r.Any {
			return AnyExpr(), true, nil
		}
		x, err := translateClauses(r.Clauses)
		if err != nil {
			return wire.Expr{}, false, fmt.Errorf("policy %d: %w", r.PolicyID, err)
		}
		if x.Op == "any" {
			return AnyExpr(), true, nil
		}
		items = append(items, x)
	}
	switch len(items) {
	case 0:
		return wire.Expr{}, false, nil
	case 1:
		return items[0], true, nil
	}
	return wire.Expr{Op: "OR", Content: mergeEqIn(items)}, true, nil
}

// mergeEqIn keeps non-mergeable items first, then one in per field for the
// top-level eq/in items (values concatenated, duplicates kept), fields in
// first-seen order.
func mergeEqIn(items []wire.Expr) []wire.Expr {
	var rest []wire.Expr
	merged := map[string][]any{}
	var fields []string
	for _, x := range items {
		if x.Op != "eq" && x.Op != "in" {
			rest = append(rest, x)
			continue
		}
		if _, ok := merged[x.Field]; !ok {
			fields = append(fields, x.Field)
		}
		if vs, ok := x.Value.([]any); ok && x.Op == "in" {
			merged[x.Field] = append(merged[x.Field], vs...)
		} else {
			merged[x.Field] = append(merged[x.Field], x.Value)
		}
	}
	for _, f := range fields {
		rest = append(rest, wire.Expr{Op: "in", Field: f, Value: merged[f]})
	}
	return rest
}

func translateClauses(cs []Clause) (wire.Expr, error) {
	out := make([]wire.Expr, 0, len(cs))
	for _, c := range cs {
		x, err := translateClause(c)
		if err != nil {
			return wire.Expr{}, err
		}
		out = append(out, x)
	}
	if len(out) == 1 {
		return out[0], nil
	}
	return wire.Expr{Op: "OR", Content: out}, nil
}

func translateClause(c Clause) (wire.Expr, error) {
	if len(c) == 0 {
		return AnyExpr(), nil
	}
	out := make([]wire.Expr, 0, len(c))
	for _, l := range c {
		x, err := TranslateLeaf(l)
		if err != nil {
			return wire.Expr{}, err
		}
		out = append(out, x)
	}
	if len(out) == 1 {
		return out[0], nil
	}
	return wire.Expr{Op: "AND", Content: out}, nil
}

// TranslateLeaf turns one stored leaf into its wire form (the table of
// iam.md §2.2.1), with the system removed from the field.
func TranslateLeaf(l Leaf) (wire.Expr, error) {
	f := wireField(l.Field)
	n := len(l.Values)
	if l.Op == grant.OpAny {
		return wire.Expr{Op: "any", Field: f, Value: l.Values}, nil
	}
	if n == 0 {
		return wire.Expr{}, fmt.Errorf("%s %s: value must not be empty", l.Op, l.Field)
	}
	one := func(op string) (wire.Expr, error) {
		if n != 1 {
			return wire.Expr{}, fmt.Errorf("%s %s: takes exactly one value, got %d", l.Op, l.Field, n)
		}
		return wire.Expr{Op: op, Field: f, Value: l.Values[0]}, nil
	}
	eqOrIn := func() (wire.Expr, error) {
		if n == 1 {
			return wire.Expr{Op: "eq", Field: f, Value: l.Values[0]}, nil
		}
		return wire.Expr{Op: "in", Field: f, Value: append([]any(nil), l.Values...)}, nil
	}
	orOf := func(op string) (wire.Expr, error) {
		if n == 1 {
			return wire.Expr{Op: op, Field: f, Value: l.Values[0]}, nil
		}
		content := make([]wire.Expr, n)
		for i, v := range l.Values {
			content[i] = wire.Expr{Op: op, Field: f, Value: v}
		}
		return wire.Expr{Op: "OR", Content: content}, nil
	}
	switch l.Op {
	case grant.OpStringEquals, grant.OpNumericEquals:
		return eqOrIn()
	case grant.OpStringPrefix:
		return orOf("starts_with")
	case grant.OpStringContains:
		return orOf("string_contains")
	case grant.OpBool:
		return one("eq")
	case grant.OpNumericGt:
		return one("gt")
	case grant.OpNumericGte:
		return one("gte")
	case grant.OpNumericLt:
		return one("lt")
	case grant.OpNumericLte:
		return one("lte")
	}
	return wire.Expr{}, fmt.Errorf("can not support operator %s", l.Op)
}

// wireField drops the system from a stored field: with two dots or more,
// everything up to and including the first dot goes.
func wireField(f string) string {
	if strings.Count(f, ".") >= 2 {
		return f[strings.IndexByte(f, '.')+1:]
	}
	return f
}
