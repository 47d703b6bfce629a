package policy

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/bkflow/bkflow/policy/grant"
)

//go:embed iam.rego
var iamModule string

// Subject is who a policy belongs to: a user or a user group.
type Subject struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// Subject types.
const (
	SubjectUser  = "user"
	SubjectGroup = "group"
)

func (s Subject) key() string { return s.Type + ":" + s.ID }

// Permanent is BlueKing IAM's expiry for "never expires" (2100-01-01 UTC).
const Permanent int64 = 4102444800

// Policy is one stored policy: a subject's condition for an action of a
// system, valid until ExpiredAt (unix seconds).
type Policy struct {
	ID         int64
	System     string
	Action     string
	Subject    Subject
	Expression string
	ExpiredAt  int64
}

// Membership puts a user in a group until ExpiredAt (unix seconds).
type Membership struct {
	Group     string
	User      string
	ExpiredAt int64
}

// Snapshot is everything decisions read: policies and group memberships.
type Snapshot struct {
	Policies    []Policy
	Memberships []Membership
}

// Resource is one node of a request's resource: an instance of a type with
// the attributes the caller passes (iam.md §4.1).
type Resource struct {
	System    string         `json:"system"`
	Type      string         `json:"type"`
	ID        string         `json:"id"`
	Attribute map[string]any `json:"attribute"`
}

// Request asks about one action of a system for a user, on resources.
type Request struct {
	System    string
	Subject   Subject
	Action    string
	Resources []Resource
}

// Engine decides requests against the stored policies with OPA. Its policy
// index is replaced as a whole (Replace), so decisions never see half an
// update and never take a lock.
type Engine struct {
	allow   rego.PreparedEvalQuery
	partial rego.PreparedPartialQuery
	now     func() time.Time
	state   atomic.Pointer[state]
}

// NewEngine compiles the Rego rules and starts with no policies.
func NewEngine(ctx context.Context) (*Engine, error) {
	compiler, err := ast.CompileModules(map[string]string{"iam.rego": iamModule})
	if err != nil {
		return nil, fmt.Errorf("compile iam.rego: %w", err)
	}
	allow, err := rego.New(rego.Query("data.bkflow.iam.allow"), rego.Compiler(compiler)).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("prepare allow: %w", err)
	}
	partial, err := rego.New(rego.Query("data.bkflow.iam.remaining == true"), rego.Compiler(compiler),
		rego.Unknowns([]string{"input.unknown"}),
		rego.DisableInlining([]string{"data.bkflow.iam.open", "data.bkflow.iam.labelled"})).
		PrepareForPartial(ctx)
	if err != nil {
		return nil, fmt.Errorf("prepare remaining: %w", err)
	}
	e := &Engine{allow: allow, partial: partial, now: time.Now}
	e.state.Store(&state{})
	return e, nil
}

// Replace installs a new snapshot of policies and memberships. Policies
// whose expression does not parse are skipped (they grant nothing, as in
// BlueKing IAM) and returned as errors for the caller to log.
func (e *Engine) Replace(s Snapshot) []error {
	st, errs := buildState(s)
	e.state.Store(st)
	return errs
}

// Allowed evaluates the request (iam.md §4.3): true when one of the user's
// or its groups' unexpired policies holds for the resources.
func (e *Engine) Allowed(ctx context.Context, r Request) (bool, error) {
	st := e.state.Load()
	now := e.now().Unix()
	objects := objectsOf(r.Resources)
	ai := st.index[indexKey(r.System, r.Action)]
	if ai == nil {
		return false, nil
	}
	cands, sure := ai.candidates(objects, st.asker(r.Subject, now))
	if sure {
		return true, nil
	}
	if len(cands) == 0 {
		return false, nil
	}
	in, err := evalInput(now, objects, cands)
	if err != nil {
		return false, err
	}
	rs, err := e.allow.Eval(ctx, rego.EvalParsedInput(in))
	if err != nil {
		return false, fmt.Errorf("evaluate policies: %w", err)
	}
	return len(rs) == 1 && len(rs[0].Expressions) == 1 && rs[0].Expressions[0].Value == true, nil
}

// Remainder is what is left of one policy after partial evaluation: Any
// when the resources given settle it, else its open clauses.
type Remainder struct {
	PolicyID int64
	Any      bool
	Clauses  []Clause
}

// Remaining partially evaluates the user's policies for the action (iam.md
// §4.6): leaves on resources in the request are settled, the others stay.
// Policies that fail are left out; an empty result means no permission.
func (e *Engine) Remaining(ctx context.Context, r Request) ([]Remainder, error) {
	st := e.state.Load()
	now := e.now().Unix()
	var cands []*clauseRef
	if ai := st.index[indexKey(r.System, r.Action)]; ai != nil {
		st.asker(r.Subject, now).each(func(sk string) {
			if sc := ai.subjects[sk]; sc != nil {
				cands = append(cands, sc.all...)
			}
		})
	}
	if len(cands) == 0 {
		return nil, nil
	}
	objects := objectsOf(r.Resources)
	in, err := evalInput(now, objects, cands)
	if err != nil {
		return nil, err
	}
	pq, err := e.partial.Partial(ctx, rego.EvalParsedInput(in))
	if err != nil {
		return nil, fmt.Errorf("partially evaluate policies: %w", err)
	}
	byPolicy := map[int64]*Remainder{}
	var order []int64
	for _, q := range pq.Queries {
		id, clause, err := readResidual(q)
		if err != nil {
			return nil, err
		}
		rem := byPolicy[id]
		if rem == nil {
			rem = &Remainder{PolicyID: id}
			byPolicy[id] = rem
			order = append(order, id)
		}
		if len(clause) == 0 {
			rem.Any, rem.Clauses = true, nil
		} else if !rem.Any {
			rem.Clauses = append(rem.Clauses, clause)
		}
	}
	sort.Slice(order, func(i, j int) bool { return order[i] < order[j] })
	out := make([]Remainder, 0, len(order))
	for _, id := range order {
		out = append(out, *byPolicy[id])
	}
	return out, nil
}

// readResidual reads one query of the partial result: labelled(id) and
// open(leaf) calls, nothing else.
func readResidual(q ast.Body) (int64, Clause, error) {
	id := int64(-1)
	var clause Clause
	for _, expr := range q {
		call, ok := expr.Terms.([]*ast.Term)
		if !ok || len(call) != 2 || expr.Negated {
			return 0, nil, fmt.Errorf("unexpected residual %v", expr)
		}
		arg, err := ast.JSON(call[1].Value)
		if err != nil {
			return 0, nil, fmt.Errorf("residual %v: %w", expr, err)
		}
		switch call[0].String() {
		case "data.partial.bkflow.iam.labelled":
			n, ok := arg.(json.Number)
			if !ok {
				return 0, nil, fmt.Errorf("residual %v: policy id is not a number", expr)
			}
			if id, err = n.Int64(); err != nil {
				return 0, nil, fmt.Errorf("residual %v: %w", expr, err)
			}
		case "data.partial.bkflow.iam.open":
			l, err := leafFromJSON(arg)
			if err != nil {
				return 0, nil, fmt.Errorf("residual %v: %w", expr, err)
			}
			clause = append(clause, l)
		default:
			return 0, nil, fmt.Errorf("unexpected residual %v", expr)
		}
	}
	if id < 0 {
		return 0, nil, errors.New("residual without its policy label")
	}
	return id, clause, nil
}

func leafFromJSON(v any) (Leaf, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return Leaf{}, errors.New("leaf is not an object")
	}
	op, _ := m["op"].(string)
	field, _ := m["field"].(string)
	vals, _ := m["values"].([]any)
	return newLeaf(grant.Operator(op), field, vals), nil
}

// objectsOf builds the evaluation context of iam.md §2.1.1: one object per
// resource keyed "{system}.{type}", its attributes plus id, with 3-segment
// _bk_iam_path_ strings normalised to 2 segments (§3.3).
func objectsOf(rs []Resource) map[string]any {
	out := make(map[string]any, len(rs))
	for _, r := range rs {
		o := make(map[string]any, len(r.Attribute)+1)
		for k, v := range r.Attribute {
			o[k] = v
		}
		if p, ok := o[IAMPath]; ok {
			o[IAMPath] = normalisePaths(p)
		}
		o["id"] = r.ID
		out[r.System+"."+r.Type] = o
	}
	return out
}

func normalisePaths(p any) any {
	switch v := p.(type) {
	case string:
		return []any{normalisePath(v)}
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			if s, ok := x.(string); ok {
				out[i] = normalisePath(s)
			} else {
				return v
			}
		}
		return out
	case []string:
		out := make([]any, len(v))
		for i, s := range v {
			out[i] = normalisePath(s)
		}
		return out
	}
	return p
}

// normalisePath rewrites "/sys,type,id/..." to "/type,id/..." when every
// node has three parts; other strings are returned unchanged.
func normalisePath(s string) string {
	if !strings.HasPrefix(s, "/") {
		return s
	}
	trailing := strings.HasSuffix(s, "/")
	nodes := strings.Split(strings.Trim(s, "/"), "/")
	for _, n := range nodes {
		if strings.Count(n, ",") != 2 {
			return s
		}
	}
	var b strings.Builder
	for _, n := range nodes {
		b.WriteByte('/')
		b.WriteString(n[strings.IndexByte(n, ',')+1:])
	}
	if trailing {
		b.WriteByte('/')
	}
	return b.String()
}

func evalInput(now int64, objects map[string]any, cands []*clauseRef) (ast.Value, error) {
	objs, err := ast.InterfaceToValue(objects)
	if err != nil {
		return nil, fmt.Errorf("resources: %w", err)
	}
	terms := make([]*ast.Term, len(cands))
	for i, c := range cands {
		terms[i] = c.term
	}
	return ast.NewObject(
		[2]*ast.Term{ast.StringTerm("now"), ast.IntNumberTerm(int(now))},
		[2]*ast.Term{ast.StringTerm("objects"), ast.NewTerm(objs)},
		[2]*ast.Term{ast.StringTerm("clauses"), ast.ArrayTerm(terms...)},
	), nil
}
