package policy

import (
	"fmt"
	"math/bits"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/bkflow/bkflow/policy/grant"
)

// state is one immutable snapshot of the policy index: policies by system
// and action, then by subject, so a decision reads only the subject's own
// policies and its groups' (never all policies), and within those only the
// clauses that can hold for the request's values.
type state struct {
	index map[string]*actionIndex
	// groups are each user's memberships, the group's index key made once;
	// memberOf is the same as a set, so that a decision asks "is this
	// subject one of the user's?" without building a set per request.
	groups   map[string][]groupKey
	memberOf map[string]map[string]int64
}

func indexKey(system, action string) string { return system + "\x00" + action }

// clauseRef is one clause of one policy, with its Rego input term built once.
type clauseRef struct {
	policy    int64
	expiredAt int64
	leaves    Clause
	term      *ast.Term
	// anchors is the bit set of the leaves the index decides (at most 64);
	// others is how many leaves only OPA decides.
	anchors uint64
	others  int
}

// anchorHit is a clause of a subject, found through one of its anchored
// leaves.
type anchorHit struct {
	c       *clauseRef
	leaf    int
	subject string
}

// actionIndex holds every subject's clauses for one action of a system.
// A clause is filed under each leaf the index decides exactly (see add), so
// one lookup per request value finds the clauses of all the asking
// subjects; clauses without such a leaf are scanned, per subject.
type actionIndex struct {
	eq       map[eqKey][]anchorHit
	path     map[pathKey][]anchorHit
	subjects map[string]*subjectClauses
}

// eqKey files a StringEquals leaf under one of its values; pathKey a
// _bk_iam_path_ StringPrefix leaf under one of its prefixes. Struct keys
// make lookups allocation-free.
type (
	eqKey   struct{ obj, attr, value string }
	pathKey struct{ obj, prefix string }
)

// subjectClauses are one subject's clauses for an action.
type subjectClauses struct {
	scan []*clauseRef
	all  []*clauseRef
}

func buildState(s Snapshot) (*state, []error) {
	st := &state{index: map[string]*actionIndex{}, groups: map[string][]groupKey{}, memberOf: map[string]map[string]int64{}}
	var errs []error
	for _, p := range s.Policies {
		cond, err := ParseExpression(p.Expression)
		var clauses []Clause
		if err == nil {
			clauses, err = DNF(cond)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("policy %d (%s %s of %s %s): %w", p.ID, p.System, p.Action, p.Subject.Type, p.Subject.ID, err))
			continue
		}
		k := indexKey(p.System, p.Action)
		ai := st.index[k]
		if ai == nil {
			ai = &actionIndex{eq: map[eqKey][]anchorHit{}, path: map[pathKey][]anchorHit{}, subjects: map[string]*subjectClauses{}}
			st.index[k] = ai
		}
		for _, c := range clauses {
			ref, err := newClauseRef(p, c)
			if err != nil {
				errs = append(errs, fmt.Errorf("policy %d: %w", p.ID, err))
				continue
			}
			ai.add(p.Subject.key(), ref)
		}
	}
	for _, m := range s.Memberships {
		key := Subject{Type: SubjectGroup, ID: m.Group}.key()
		st.groups[m.User] = append(st.groups[m.User], groupKey{key, m.ExpiredAt})
		set := st.memberOf[m.User]
		if set == nil {
			set = map[string]int64{}
			st.memberOf[m.User] = set
		}
		set[key] = max(set[key], m.ExpiredAt)
	}
	return st, errs
}

func newClauseRef(p Policy, c Clause) (*clauseRef, error) {
	leaves := make([]any, len(c))
	for i, l := range c {
		leaves[i] = map[string]any{"op": string(l.Op), "field": l.Field, "obj": l.Obj, "attr": l.Attr, "values": l.Values}
	}
	v, err := ast.InterfaceToValue(map[string]any{"policy": p.ID, "expired_at": p.ExpiredAt, "leaves": leaves})
	if err != nil {
		return nil, fmt.Errorf("clause: %w", err)
	}
	return &clauseRef{policy: p.ID, expiredAt: p.ExpiredAt, leaves: c, term: ast.NewTerm(v)}, nil
}

// add files c under every leaf the index decides exactly: a StringEquals on
// string values (one key per value) and a StringPrefix on _bk_iam_path_
// whose values end at a path boundary. A clause with no such leaf (or more
// than 64 leaves) is scanned.
func (ai *actionIndex) add(subject string, c *clauseRef) {
	sc := ai.subjects[subject]
	if sc == nil {
		sc = &subjectClauses{}
		ai.subjects[subject] = sc
	}
	sc.all = append(sc.all, c)
	if len(c.leaves) <= 64 {
		for i, l := range c.leaves {
			if keys, ok := eqKeys(l); ok {
				c.anchors |= 1 << i
				for _, k := range keys {
					ai.eq[k] = append(ai.eq[k], anchorHit{c, i, subject})
				}
			} else if keys, ok := pathKeys(l); ok {
				c.anchors |= 1 << i
				for _, k := range keys {
					ai.path[k] = append(ai.path[k], anchorHit{c, i, subject})
				}
			}
		}
	}
	c.others = len(c.leaves) - bits.OnesCount64(c.anchors)
	if c.anchors == 0 {
		sc.scan = append(sc.scan, c)
	}
}

func eqKeys(l Leaf) ([]eqKey, bool) {
	if l.Op != grant.OpStringEquals || len(l.Values) == 0 {
		return nil, false
	}
	keys := make([]eqKey, len(l.Values))
	for i, v := range l.Values {
		s, ok := v.(string)
		if !ok {
			return nil, false
		}
		keys[i] = eqKey{l.Obj, l.Attr, s}
	}
	return keys, true
}

func pathKeys(l Leaf) ([]pathKey, bool) {
	if l.Op != grant.OpStringPrefix || l.Attr != IAMPath || len(l.Values) == 0 {
		return nil, false
	}
	keys := make([]pathKey, len(l.Values))
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
		keys[i] = pathKey{l.Obj, s}
	}
	return keys, true
}

// candidates returns the clauses of subjects that may hold for the probed
// values. A leaf the index decides holds exactly when the clause is found
// through it (StringEquals on one of the attribute's strings; StringPrefix
// at a path boundary of one of its paths), so a clause not found through all
// of its anchored leaves is false and left out, and an unexpired clause
// found through all of them with no other leaf is true: sure, and OPA need
// not be asked. Clauses with other leaves, and scanned clauses, go to OPA.
// The differential test TestIndexNeverHidesAClause checks this against OPA.
func (ai *actionIndex) candidates(objects map[string]any, who asker) ([]*clauseRef, bool) {
	var found map[*clauseRef]uint64
	hit := func(hs []anchorHit) {
		for _, h := range hs {
			if who.has(h.subject) {
				if found == nil {
					found = map[*clauseRef]uint64{}
				}
				found[h.c] |= 1 << h.leaf
			}
		}
	}
	for obj, o := range objects {
		attrs, _ := o.(map[string]any)
		for attr, v := range attrs {
			forStrings(v, func(s string) {
				if len(ai.eq) > 0 {
					hit(ai.eq[eqKey{obj, attr, s}])
				}
				if attr == IAMPath && len(ai.path) > 0 {
					for i := 0; i < len(s); i++ {
						if s[i] == '/' || s[i] == ',' {
							hit(ai.path[pathKey{obj, s[:i+1]}])
						}
					}
				}
			})
		}
	}
	var out []*clauseRef
	for c, bits := range found {
		if bits != c.anchors {
			continue
		}
		if c.others == 0 && c.expiredAt > who.now {
			return nil, true
		}
		out = append(out, c)
	}
	who.each(func(s string) {
		if sc := ai.subjects[s]; sc != nil {
			out = append(out, sc.scan...)
		}
	})
	return out, false
}

// forStrings calls f with v when it is a string, or with each string of a
// list.
func forStrings(v any, f func(string)) {
	switch x := v.(type) {
	case string:
		f(x)
	case []any:
		for _, e := range x {
			if s, ok := e.(string); ok {
				f(s)
			}
		}
	case []string:
		for _, s := range x {
			f(s)
		}
	}
}

// asker is who asks at a moment: a subject's index key and, for a user,
// its groups whose membership has not expired by now. It reads the state's
// precomputed memberships and allocates nothing.
type asker struct {
	self     string
	groups   []groupKey
	memberOf map[string]int64
	now      int64
}

func (st *state) asker(s Subject, now int64) asker {
	a := asker{self: s.key(), now: now}
	if s.Type == SubjectUser {
		a.groups, a.memberOf = st.groups[s.ID], st.memberOf[s.ID]
	}
	return a
}

// has reports whether key is the subject's or one of its current groups'.
func (a asker) has(key string) bool {
	if key == a.self {
		return true
	}
	exp, ok := a.memberOf[key]
	return ok && exp > a.now
}

// each calls f with the subject's key and each current group's.
func (a asker) each(f func(string)) {
	f(a.self)
	for _, g := range a.groups {
		if g.expiredAt > a.now {
			f(g.key)
		}
	}
}

type groupKey struct {
	key       string
	expiredAt int64
}
