package api

import (
	"strconv"
	"strings"

	"github.com/bkflow/bkflow/internal/store"
	"github.com/bkflow/bkflow/policy"
	"github.com/bkflow/bkflow/policy/wire"
)

// iamAttr is an attribute of a resource type that IAM policies may test:
// what list_attr offers, fetch_instance_info reports and the SQL conversion
// reads from Column.
type iamAttr struct {
	ID, Column, Name, NameEn string
	// Nullable: the column may be NULL, which IAM sees as a missing
	// attribute (fetch_instance_info reports null).
	Nullable bool
}

// iamTable maps a resource type's wire fields onto its table, for filtering
// lists with a wire expression in SQL instead of loading rows.
type iamTable struct {
	// Type is the resource type ("space", "template", "task").
	Type string
	// Col qualifies a column as the list queries name the table ("tasks.",
	// "t.", "spaces.").
	Col string
	// Attrs are the type's policy attributes besides id and _bk_iam_path_.
	Attrs []iamAttr
	// NoPath: the type's _bk_iam_path_ is always empty (spaces).
	NoPath bool
}

var scopedAttrs = []iamAttr{
	{ID: "creator", Column: "creator", Name: "创建者", NameEn: "Creator"},
	{ID: "scope_type", Column: "scope_type", Name: "作用域类型", NameEn: "Scope type", Nullable: true},
	{ID: "scope_value", Column: "scope_value", Name: "作用域值", NameEn: "Scope value", Nullable: true},
}

var (
	spaceTable    = iamTable{Type: "space", Col: "spaces.", NoPath: true}
	templateTable = iamTable{Type: "template", Col: "t.", Attrs: scopedAttrs}
	taskTable     = iamTable{Type: "task", Col: "tasks.", Attrs: scopedAttrs}
)

func (t iamTable) attr(id string) (iamAttr, bool) {
	for _, a := range t.Attrs {
		if a.ID == id {
			return a, true
		}
	}
	return iamAttr{}, false
}

// whereOf converts e into a condition on t's table that holds for exactly
// the rows policy/wire's Eval accepts when given the attributes
// fetch_instance_info reports for them (the Go SDK's rules, iam.md §2.2.4):
//
//   - any is TRUE; AND of nothing TRUE, OR of nothing FALSE; {} and unknown
//     operators FALSE;
//   - a field of another resource type, or an attribute t does not have, is
//     a missing attribute: the expression is decided without the table, by
//     Eval itself (so eq/in/starts_with… are FALSE, while not_eq and not_in
//     hold, as in every IAM SDK);
//   - id compares as a string ("7" is row 7, "07" and 7 match nothing);
//     eq, in, not_eq and not_in compare the bigint key, the other operators
//     its text;
//   - _bk_iam_path_ tests the type's paths (see iampath.go). starts_with
//     applies the ",*/" rule, then uses the longest path alone: every other
//     path is its prefix, so "some path starts with P" is "the longest one
//     does". Prefixes of the shapes IAM builds ("/space,S/",
//     "/space,S/template,T/", "/space,S/template,*/") become conditions on
//     space_id and template_id that the list indexes answer; any other
//     prefix is iam_path LIKE P || '%'. The operators other than
//     starts_with, not_starts_with and string_contains test each path;
//   - the SQL is bound through Args (placeholders "?", numbered by the
//     store after the list query's own arguments): no value is ever
//     spliced into it.
//
// The fragment may be NULL where it means FALSE (a nullable column in a
// positive test): AND it into a WHERE, never put it under NOT.
func (t iamTable) whereOf(e wire.Expr) store.Condition {
	var b sqlBuilder
	b.expr(t, e)
	return store.Condition{SQL: b.sql.String(), Args: b.args}
}

// wireDepth is how deeply e's AND/OR nest (1 for a binary expression).
func wireDepth(e wire.Expr) int {
	d := 0
	for _, c := range e.Content {
		d = max(d, wireDepth(c))
	}
	return d + 1
}

type sqlBuilder struct {
	sql  strings.Builder
	args []any
}

func (b *sqlBuilder) w(s ...string) {
	for _, x := range s {
		b.sql.WriteString(x)
	}
}

func (b *sqlBuilder) arg(v any) { b.args = append(b.args, v); b.sql.WriteByte('?') }

func (b *sqlBuilder) constant(v bool) {
	if v {
		b.w("TRUE")
	} else {
		b.w("FALSE")
	}
}

// join writes the atoms joined by op ("OR", "AND"), each atom writing
// itself; no atoms is op's identity.
func (b *sqlBuilder) join(op string, atoms []func()) {
	switch len(atoms) {
	case 0:
		b.constant(op == "AND")
		return
	case 1:
		atoms[0]()
		return
	}
	b.w("(")
	for i, a := range atoms {
		if i > 0 {
			b.w(" ", op, " ")
		}
		a()
	}
	b.w(")")
}

func (b *sqlBuilder) expr(t iamTable, e wire.Expr) {
	switch e.Op {
	case wire.OpAND, wire.OpOR:
		atoms := make([]func(), len(e.Content))
		for i, c := range e.Content {
			atoms[i] = func() { b.expr(t, c) }
		}
		b.join(e.Op, atoms)
		return
	case wire.OpAny:
		b.w("TRUE")
		return
	}
	vals, ok := operands(e)
	if !ok {
		b.w("FALSE")
		return
	}
	typ, attr, _ := strings.Cut(e.Field, ".")
	switch {
	case typ != t.Type:
		b.constant(e.Eval(wire.ObjectSet{})) // a missing object
	case attr == "id":
		b.id(t, e.Op, vals)
	case attr == policy.IAMPath && t.NoPath:
		b.constant(e.Eval(wire.ObjectSet{t.Type: {policy.IAMPath: []any{}}}))
	case attr == policy.IAMPath:
		b.path(t, e.Op, vals)
	default:
		a, ok := t.attr(attr)
		if !ok {
			b.constant(e.Eval(wire.ObjectSet{t.Type: {}})) // a missing attribute
			return
		}
		b.str(t.Col+a.Column, a.Nullable, e.Op, vals)
	}
}

// operands checks e's value against its operator as Eval does and returns
// the values to test: the array of in/not_in, the scalar of the others.
// Not ok means e is FALSE whatever the row.
func operands(e wire.Expr) ([]any, bool) {
	list, isArray := e.Value.([]any)
	switch e.Op {
	case wire.OpIn, wire.OpNotIn:
		return list, isArray
	case wire.OpEq, wire.OpNotEq, wire.OpLt, wire.OpLte, wire.OpGt, wire.OpGte, wire.OpStartsWith,
		wire.OpNotStartsWith, wire.OpEndsWith, wire.OpNotEndsWith, wire.OpStringContains,
		wire.OpContains, wire.OpNotContains:
		return []any{e.Value}, !isArray
	}
	return nil, false
}

// strings splits values into their strings and whether one is null.
func stringsOf(vals []any) (ss []string, hasNull bool) {
	ss = []string{}
	for _, v := range vals {
		switch x := v.(type) {
		case string:
			ss = append(ss, x)
		case nil:
			hasNull = true
		}
	}
	return ss, hasNull
}

// canonicalID reads s as an integer id written as PostgreSQL writes a
// bigint (no sign, zeros or spaces a bigint's text would not have).
func canonicalID(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && strconv.FormatInt(n, 10) == s
}

var orderOps = map[string]string{wire.OpLt: " < ", wire.OpLte: " <= ", wire.OpGt: " > ", wire.OpGte: " >= "}

// id: IAM ids are strings; "7" is row 7 and anything else is no row.
func (b *sqlBuilder) id(t iamTable, op string, vals []any) {
	col := t.Col + "id"
	ss, _ := stringsOf(vals)
	ids := []int64{}
	for _, s := range ss {
		if n, ok := canonicalID(s); ok {
			ids = append(ids, n)
		}
	}
	switch op {
	case wire.OpEq, wire.OpIn:
		if len(ids) == 0 {
			b.w("FALSE")
			return
		}
		if op == wire.OpEq {
			b.w(col, " = ")
			b.arg(ids[0])
			return
		}
		b.w(col, " = ANY(")
		b.arg(ids)
		b.w(")")
	case wire.OpNotEq, wire.OpNotIn:
		if len(ids) == 0 {
			b.w("TRUE")
			return
		}
		if op == wire.OpNotEq {
			b.w(col, " <> ")
			b.arg(ids[0])
			return
		}
		b.w(col, " <> ALL(")
		b.arg(ids)
		b.w(")")
	case wire.OpContains, wire.OpNotContains:
		b.w("FALSE") // id is no list
	default:
		b.str(col+"::text", false, op, vals)
	}
}

// str tests a text column; a NULL column is a missing attribute.
func (b *sqlBuilder) str(col string, nullable bool, op string, vals []any) {
	ss, hasNull := stringsOf(vals)
	one := len(ss) == 1 // a scalar operator's value is a string
	switch op {
	case wire.OpEq:
		switch {
		case one:
			b.w(col, " = ")
			b.arg(ss[0])
		case hasNull && nullable:
			b.w(col, " IS NULL")
		default:
			b.w("FALSE")
		}
	case wire.OpNotEq:
		switch {
		case one && nullable:
			b.w("(", col, " IS NULL OR ", col, " <> ")
			b.arg(ss[0])
			b.w(")")
		case one:
			b.w(col, " <> ")
			b.arg(ss[0])
		case hasNull && nullable:
			b.w(col, " IS NOT NULL")
		default:
			b.w("TRUE") // a string or null never equals a number or a boolean
		}
	case wire.OpIn:
		var atoms []func()
		if len(ss) > 0 {
			atoms = append(atoms, func() { b.w(col, " = ANY("); b.arg(ss); b.w(")") })
		}
		if hasNull && nullable {
			atoms = append(atoms, func() { b.w(col, " IS NULL") })
		}
		b.join("OR", atoms)
	case wire.OpNotIn:
		var atoms []func()
		if len(ss) > 0 {
			atoms = append(atoms, func() { b.w(col, " <> ALL("); b.arg(ss); b.w(")") })
		}
		switch {
		case nullable && hasNull:
			atoms = append([]func(){func() { b.w(col, " IS NOT NULL") }}, atoms...)
			b.join("AND", atoms)
		case nullable && len(atoms) > 0:
			b.join("OR", append([]func(){func() { b.w(col, " IS NULL") }}, atoms...))
		default:
			b.join("AND", atoms)
		}
	case wire.OpStartsWith, wire.OpNotStartsWith, wire.OpEndsWith, wire.OpNotEndsWith, wire.OpStringContains:
		if !one {
			b.w("FALSE") // string operators need strings on both sides
			return
		}
		b.w(col, likeOp(op))
		b.arg(likePattern(op, ss[0]))
	case wire.OpLt, wire.OpLte, wire.OpGt, wire.OpGte:
		if !one {
			b.w("FALSE")
			return
		}
		b.w(col, ` COLLATE "C"`, orderOps[op]) // bytewise, as Go compares strings
		b.arg(ss[0])
	default: // contains, not_contains: the attribute is no list
		b.w("FALSE")
	}
}

func likeOp(op string) string {
	if op == wire.OpNotStartsWith || op == wire.OpNotEndsWith {
		return " NOT LIKE "
	}
	return " LIKE "
}

func likePattern(op, s string) string {
	switch op {
	case wire.OpStartsWith, wire.OpNotStartsWith:
		return escapeLike(s) + "%"
	case wire.OpEndsWith, wire.OpNotEndsWith:
		return "%" + escapeLike(s)
	}
	return "%" + escapeLike(s) + "%"
}

// path tests _bk_iam_path_ of a template (one path, the iam_path column) or
// a task (the space's path and iam_path, which may be the same).
func (b *sqlBuilder) path(t iamTable, op string, vals []any) {
	longest := t.Col + "iam_path"
	paths := []string{longest}
	if t.Type == taskTable.Type {
		paths = []string{"('/space,' || " + t.Col + "space_id || '/')", longest}
	}
	ss, _ := stringsOf(vals)
	one := len(ss) == 1
	// each tests every path with test, joined by OR (some path) or AND
	// (every path).
	each := func(join string, test func(col string)) {
		atoms := make([]func(), len(paths))
		for i, p := range paths {
			atoms[i] = func() { test(p) }
		}
		b.join(join, atoms)
	}
	switch op {
	case wire.OpStartsWith:
		if !one {
			b.w("FALSE")
			return
		}
		p := ss[0]
		if strings.HasSuffix(p, ",*/") {
			p = strings.TrimSuffix(p, "*/")
		}
		b.pathPrefix(t, p)
	case wire.OpNotStartsWith, wire.OpStringContains:
		// No path starts with (contains) P exactly when the longest does
		// not: the others are its prefixes. No ",*/" rule for these.
		if !one {
			b.w("FALSE")
			return
		}
		b.w(longest, likeOp(op))
		b.arg(likePattern(op, ss[0]))
	case wire.OpEq, wire.OpContains:
		if !one {
			b.w("FALSE") // a path never equals a non-string
			return
		}
		each("OR", func(col string) { b.w(col, " = "); b.arg(ss[0]) })
	case wire.OpNotEq, wire.OpNotContains:
		if !one {
			b.w("TRUE")
			return
		}
		each("AND", func(col string) { b.w(col, " <> "); b.arg(ss[0]) })
	case wire.OpIn:
		if len(ss) == 0 {
			b.w("FALSE")
			return
		}
		each("OR", func(col string) { b.w(col, " = ANY("); b.arg(ss); b.w(")") })
	case wire.OpNotIn:
		if len(ss) == 0 {
			b.w("TRUE")
			return
		}
		each("AND", func(col string) { b.w(col, " <> ALL("); b.arg(ss); b.w(")") })
	case wire.OpEndsWith, wire.OpNotEndsWith:
		if !one {
			b.w("FALSE")
			return
		}
		join := "OR"
		if op == wire.OpNotEndsWith {
			join = "AND"
		}
		each(join, func(col string) { b.w(col, likeOp(op)); b.arg(likePattern(op, ss[0])) })
	case wire.OpLt, wire.OpLte, wire.OpGt, wire.OpGte:
		if !one {
			b.w("FALSE")
			return
		}
		each("OR", func(col string) { b.w(col, ` COLLATE "C"`, orderOps[op]); b.arg(ss[0]) })
	default:
		b.w("FALSE")
	}
}

// pathPrefix writes "the longest path starts with p". The prefixes IAM
// grants ("/space,S/", "/space,S/template,T/" and, from the wildcard,
// "/space,S/template,") are conditions on space_id and template_id, which
// the list indexes answer with index-only counts; they are exact because
// iam_path is generated from those columns and PostgreSQL writes a bigint
// canonically. Every other prefix is a LIKE on iam_path.
func (b *sqlBuilder) pathPrefix(t iamTable, p string) {
	const root = "/space,"
	if strings.HasPrefix(root, p) {
		b.w("TRUE") // every path starts with "/space,"
		return
	}
	rest, _ := strings.CutPrefix(p, root)
	sid, after, found := strings.Cut(rest, "/")
	space, ok := canonicalID(sid)
	if strings.HasPrefix(p, root) && found && ok {
		tid, isTemplate := strings.CutPrefix(after, "template,")
		tid, endsNode := strings.CutSuffix(tid, "/")
		template, canonicalT := canonicalID(tid)
		switch {
		case after == "":
			b.w(t.Col, "space_id = ")
			b.arg(space)
			return
		case t.Type == taskTable.Type && after == "template,":
			b.w("(", t.Col, "space_id = ")
			b.arg(space)
			b.w(" AND ", t.Col, "template_id IS NOT NULL)")
			return
		case t.Type == taskTable.Type && isTemplate && endsNode && canonicalT:
			b.w("(", t.Col, "space_id = ")
			b.arg(space)
			b.w(" AND ", t.Col, "template_id = ")
			b.arg(template)
			b.w(")")
			return
		}
	}
	b.w(t.Col, "iam_path LIKE ")
	b.arg(escapeLike(p) + "%")
}

// escapeLike quotes LIKE's wildcards (and its escape character, the
// backslash) in s.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
