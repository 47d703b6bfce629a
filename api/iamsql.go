package api

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/bkflow/bkflow/internal/store"
	"github.com/bkflow/bkflow/policy"
	"github.com/bkflow/bkflow/policy/wire"
)

// iamTable maps a resource type's wire fields onto a table, for filtering
// lists with a wire expression in SQL instead of loading rows.
type iamTable struct {
	// Type is the resource type ("task", "template").
	Type string
	// Col qualifies a column ("tasks.", "t.").
	Col string
	// Strings are the plain string attributes and their columns.
	Strings map[string]string
	// NoPath: the type's _bk_iam_path_ is always empty (spaces).
	NoPath bool
}

var (
	taskTable = iamTable{Type: "task", Col: "tasks.", Strings: map[string]string{
		"creator": "creator", "name": "name", "scope_type": "scope_type", "scope_value": "scope_value"}}
	spaceTable = iamTable{Type: "space", Col: "spaces.", NoPath: true, Strings: map[string]string{
		"creator": "creator", "name": "name"}}
	templateTable = iamTable{Type: "template", Col: "t.", Strings: map[string]string{
		"creator": "creator", "name": "name", "scope_type": "scope_type", "scope_value": "scope_value"}}
)

// whereOf converts e into a store.Condition with the Go SDK's semantics
// (policy/wire): any is TRUE, {} and unknown operators FALSE, an unknown
// attribute is a missing one (only negative operators hold for it).
// _bk_iam_path_ is the set {"/space,S/", iam_path}: starts_with uses the
// iam_path column (indexed; every path is a prefix of the longest), the
// other operators test both paths.
func (t iamTable) whereOf(e wire.Expr) store.Condition {
	var c sqlBuilder
	c.expr(t, e)
	return store.Condition{SQL: c.b.String(), Args: c.args}
}

type sqlBuilder struct {
	b    strings.Builder
	args []any
}

func (c *sqlBuilder) w(s string)  { c.b.WriteString(s) }
func (c *sqlBuilder) arg(v any)   { c.args = append(c.args, v); c.w("?") }
func (c *sqlBuilder) bool(v bool) { c.w(map[bool]string{true: "TRUE", false: "FALSE"}[v]) }

func (c *sqlBuilder) expr(t iamTable, e wire.Expr) {
	switch e.Op {
	case wire.OpAND, wire.OpOR:
		if len(e.Content) == 0 {
			c.bool(e.Op == wire.OpAND)
			return
		}
		c.w("(")
		for i, x := range e.Content {
			if i > 0 {
				c.w(" " + e.Op + " ")
			}
			c.expr(t, x)
		}
		c.w(")")
		return
	case wire.OpAny:
		c.w("TRUE")
		return
	}
	negative := e.Op == wire.OpNotEq || e.Op == wire.OpNotIn || e.Op == wire.OpNotStartsWith ||
		e.Op == wire.OpNotEndsWith || e.Op == wire.OpNotContains
	typ, attr, _ := strings.Cut(e.Field, ".")
	vals, isArray := e.Value.([]any)
	switch e.Op {
	case wire.OpIn, wire.OpNotIn:
		if !isArray {
			c.w("FALSE")
			return
		}
	case wire.OpContains, wire.OpNotContains:
		if isArray || typ != t.Type || attr != policy.IAMPath || t.NoPath {
			c.w("FALSE") // only _bk_iam_path_ is a list attribute
			return
		}
		vals = []any{e.Value}
	case wire.OpEq, wire.OpNotEq, wire.OpStartsWith, wire.OpNotStartsWith, wire.OpEndsWith, wire.OpNotEndsWith,
		wire.OpStringContains, wire.OpLt, wire.OpLte, wire.OpGt, wire.OpGte:
		if isArray {
			c.w("FALSE")
			return
		}
		vals = []any{e.Value}
	default:
		c.w("FALSE")
		return
	}
	if typ != t.Type {
		c.bool(negative && e.Op != wire.OpNotContains) // a missing object
		return
	}
	switch {
	case attr == "id":
		c.id(t, e.Op, vals)
	case attr == policy.IAMPath && t.NoPath:
		c.bool(negative) // an empty list: only negative operators hold
	case attr == policy.IAMPath:
		c.path(t, e.Op, vals)
	case t.Strings[attr] != "":
		c.str(t.Col+t.Strings[attr], e.Op, vals)
	default:
		c.bool(negative && e.Op != wire.OpNotContains)
	}
}

func str(v any) (string, bool) {
	s, ok := v.(string)
	return s, ok
}

// id: IAM ids are strings; "7" matches row 7, anything else matches nothing.
func (c *sqlBuilder) id(t iamTable, op string, vals []any) {
	var ids []int64
	for _, v := range vals {
		if s, ok := str(v); ok {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil && strconv.FormatInt(n, 10) == s {
				ids = append(ids, n)
			}
		}
	}
	switch op {
	case wire.OpEq, wire.OpIn:
		c.w(t.Col + "id = ANY(")
		c.arg(ids)
		c.w(")")
	case wire.OpNotEq, wire.OpNotIn:
		c.w("NOT (" + t.Col + "id = ANY(")
		c.arg(ids)
		c.w("))")
	default:
		c.str(t.Col+"id::text", op, vals)
	}
}

// path tests the task's two paths (or the template's one).
func (c *sqlBuilder) path(t iamTable, op string, vals []any) {
	col := t.Col + "iam_path"
	if op == wire.OpStartsWith {
		v, ok := str(vals[0])
		if !ok {
			c.w("FALSE")
			return
		}
		if strings.HasSuffix(v, ",*/") {
			v = strings.TrimSuffix(v, "*/")
		}
		c.w(col + " LIKE ")
		c.arg(escapeLikePrefix(v))
		return
	}
	if op == wire.OpNotStartsWith {
		c.w("NOT (")
		c.path(t, wire.OpStartsWith, vals)
		c.w(")")
		return
	}
	// Any (positive) or all (negative) of the paths.
	joiner := " OR "
	switch op {
	case wire.OpNotEq, wire.OpNotIn, wire.OpNotEndsWith, wire.OpNotContains:
		joiner = " AND "
	}
	first := "('/space,' || " + t.Col + "space_id || '/')"
	c.w("(")
	for i, p := range []string{first, col} {
		if i > 0 {
			c.w(joiner)
		}
		switch op {
		case wire.OpContains:
			c.str(p, wire.OpEq, vals)
		case wire.OpNotContains:
			c.str(p, wire.OpNotEq, vals)
		default:
			c.str(p, op, vals)
		}
	}
	c.w(")")
}

// str applies a string operator to a text column; NULL columns are missing
// attributes.
func (c *sqlBuilder) str(col, op string, vals []any) {
	var ss []string
	for _, v := range vals {
		if s, ok := str(v); ok {
			ss = append(ss, s)
		}
	}
	one := func(sql string, v any) {
		if len(ss) != 1 {
			c.w("FALSE")
			return
		}
		c.w(col + sql)
		c.arg(v)
	}
	switch op {
	case wire.OpEq:
		one(" = ", firstOr(ss))
	case wire.OpNotEq:
		if len(ss) != 1 {
			_, isNum := vals[0].(json.Number)
			c.bool(isNum || vals[0] == nil) // a string never equals a number
			return
		}
		c.w("(" + col + " IS NULL OR " + col + " <> ")
		c.arg(ss[0])
		c.w(")")
	case wire.OpIn:
		c.w(col + " = ANY(")
		c.arg(ss)
		c.w(")")
	case wire.OpNotIn:
		c.w("(" + col + " IS NULL OR NOT (" + col + " = ANY(")
		c.arg(ss)
		c.w(")))")
	case wire.OpStartsWith:
		one(" LIKE ", escapeLikePrefix(firstOr(ss)))
	case wire.OpEndsWith:
		one(" LIKE ", "%"+escapeLike(firstOr(ss)))
	case wire.OpStringContains:
		one(" LIKE ", "%"+escapeLike(firstOr(ss))+"%")
	case wire.OpNotStartsWith, wire.OpNotEndsWith:
		if len(ss) != 1 {
			c.w("FALSE")
			return
		}
		pattern := escapeLikePrefix(ss[0])
		if op == wire.OpNotEndsWith {
			pattern = "%" + escapeLike(ss[0])
		}
		c.w("(" + col + " NOT LIKE ")
		c.arg(pattern)
		c.w(")")
	case wire.OpLt, wire.OpLte, wire.OpGt, wire.OpGte:
		sym := map[string]string{wire.OpLt: " < ", wire.OpLte: " <= ", wire.OpGt: " > ", wire.OpGte: " >= "}[op]
		one(" COLLATE \"C\""+sym, firstOr(ss))
	default:
		c.w("FALSE")
	}
}

func firstOr(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return ss[0]
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func escapeLikePrefix(s string) string { return escapeLike(s) + "%" }
