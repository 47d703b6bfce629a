package policy

import (
	"fmt"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// state is one immutable snapshot of the policy index: policies by system
// and action, then by subject, so a decision reads only the subject's own
// policies and its groups' (never all policies), and within those only the
// clauses that can hold for the request's values.
type state struct {
	index  map[string]map[string]*subjectIndex
	groups map[string][]Membership
}

func indexKey(system, action string) string { return system + "\x00" + action }

// clauseRef is one clause of one policy, with its Rego input term built once.
type clauseRef struct {
	policy    int64
	expiredAt int64
	leaves    Clause
	term      *ast.Term
}

// subjectIndex holds a subject's clauses for one action. A clause is filed
// under one anchor leaf: a StringEquals on string values (under each value),
// a StringPrefix on _bk_iam_path_ whose values end at a path boundary (under
// each value, the wildcard's "*/" removed), or else in scan. The anchor is
// a filter that can only over-select; OPA evaluates every selected clause.
type subjectIndex struct {
	eq   map[string][]*clauseRef
	path map[string][]*clauseRef
	scan []*clauseRef
	all  []*clauseRef
}

func buildState(s Snapshot) (*state, []error) {
	st := &state{index: map[string]map[string]*subjectIndex{}, groups: map[string][]Membership{}}
	var errs []error
	for _, p := range s.Policies {
		cond, err := ParseExpression(p.Expression)
		var clauses []Clause
		if err == nil {
			clauses, err = cond.DNF()
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("policy %d (%s %s of %s %s): %w", p.ID, p.System, p.Action, p.Subject.Type, p.Subject.ID, err))
			continue
		}
		k := indexKey(p.System, p.Action)
		bySubject := st.index[k]
		if bySubject == nil {
			bySubject = map[string]*subjectIndex{}
			st.index[k] = bySubject
		}
		si := bySubject[p.Subject.key()]
		if si == nil {
			si = &subjectIndex{eq: map[string][]*clauseRef{}, path: map[string][]*clauseRef{}}
			bySubject[p.Subject.key()] = si
		}
		for _, c := range clauses {
			ref, err := newClauseRef(p, c)
			if err != nil {
				errs = append(errs, fmt.Errorf("policy %d: %w", p.ID, err))
				continue
			}
			si.add(ref)
		}
	}
	for _, m := range s.Memberships {
		st.groups[m.User] = append(st.groups[m.User], m)
	}
	return st, errs
}

func newClauseRef(p Policy, c Clause) (*clauseRef, error) {
	leaves := make([]any, len(c))
	for i, l := range c {
		leaves[i] = map[string]any{"op": l.Op, "field": l.Field, "obj": l.Obj, "attr": l.Attr, "values": l.Values}
	}
	v, err := ast.InterfaceToValue(map[string]any{"policy": p.ID, "expired_at": p.ExpiredAt, "leaves": leaves})
	if err != nil {
		return nil, fmt.Errorf("clause: %w", err)
	}
	return &clauseRef{policy: p.ID, expiredAt: p.ExpiredAt, leaves: c, term: ast.NewTerm(v)}, nil
}

func (si *subjectIndex) add(c *clauseRef) {
	si.all = append(si.all, c)
	for _, l := range c.leaves {
		if keys, ok := eqKeys(l); ok {
			for _, k := range keys {
				si.eq[k] = append(si.eq[k], c)
			}
			return
		}
	}
	for _, l := range c.leaves {
		if keys, ok := pathKeys(l); ok {
			for _, k := range keys {
				si.path[k] = append(si.path[k], c)
			}
			return
		}
	}
	si.scan = append(si.scan, c)
}

func eqKeys(l Leaf) ([]string, bool) {
	if l.Op != OpStringEquals || len(l.Values) == 0 {
		return nil, false
	}
	keys := make([]string, len(l.Values))
	for i, v := range l.Values {
		s, ok := v.(string)
		if !ok {
			return nil, false
		}
		keys[i] = l.Obj + "\x00" + l.Attr + "\x00" + s
	}
	return keys, true
}

func pathKeys(l Leaf) ([]string, bool) {
	if l.Op != OpStringPrefix || l.Attr != IAMPath || len(l.Values) == 0 {
		return nil, false
	}
	keys := make([]string, len(l.Values))
	for i, v := range l.Values {
		s, ok := v.(string)
		if !ok {
			return nil, false
		}
		switch {
		case strings.HasSuffix(s, ",*/"):
			s = strings.TrimSuffix(s, "*/")
		case strings.HasSuffix(s, "/"):
		default:
			return nil, false
		}
		keys[i] = l.Obj + "\x00" + s
	}
	return keys, true
}

// probe holds the index keys of a request's values, computed once per
// request and looked up in every subject's index.
type probe struct {
	eq   []string
	path []string
}

func probeOf(objects map[string]any) probe {
	var p probe
	for obj, o := range objects {
		attrs, _ := o.(map[string]any)
		for attr, v := range attrs {
			for _, s := range stringsOf(v) {
				p.eq = append(p.eq, obj+"\x00"+attr+"\x00"+s)
				if attr != IAMPath {
					continue
				}
				for i := 0; i < len(s); i++ {
					if s[i] == '/' || s[i] == ',' {
						p.path = append(p.path, obj+"\x00"+s[:i+1])
					}
				}
			}
		}
	}
	return p
}

// candidates appends the clauses that may hold for the probed values: those
// anchored on one of them, and every scanned clause. seen keeps each clause
// from being appended twice.
func (si *subjectIndex) candidates(p probe, seen map[*clauseRef]bool, out []*clauseRef) []*clauseRef {
	add := func(cs []*clauseRef) {
		for _, c := range cs {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	if len(si.eq) > 0 {
		for _, k := range p.eq {
			add(si.eq[k])
		}
	}
	if len(si.path) > 0 {
		for _, k := range p.path {
			add(si.path[k])
		}
	}
	add(si.scan)
	return out
}

func stringsOf(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case []string:
		return x
	}
	return nil
}

// subjects lists the index keys of the user and of its groups whose
// membership has not expired.
func (st *state) subjects(s Subject, now int64) []string {
	out := []string{s.key()}
	if s.Type != SubjectUser {
		return out
	}
	for _, m := range st.groups[s.ID] {
		if m.ExpiredAt > now {
			out = append(out, Subject{Type: SubjectGroup, ID: m.Group}.key())
		}
	}
	return out
}
