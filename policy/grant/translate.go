// Package grant turns instance-view selections into BlueKing IAM stored
// conditions by the SaaS translator's exact rules (iam.md §3.4), and reads
// the open authorization API's grant and revoke requests (§3.5).
package grant

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/bkflow/bkflow/policy"
	"github.com/bkflow/bkflow/policy/model"
)

// Node is one step of a selected path.
type Node struct {
	SystemID string `json:"system_id,omitempty"`
	Type     string `json:"type"`
	ID       string `json:"id"`
	Name     string `json:"name,omitempty"`
}

// Target is the action's resource type the selection is for.
type Target struct {
	SystemID string
	Type     string
}

// IgnorePath applies Step 0: a path that ends at a leaf instance (of the
// target type) through the whole chain of the first view it matches is
// reduced to that leaf when the view sets ignore_iam_path.
func IgnorePath(t Target, views []model.View, paths [][]Node) [][]Node {
	out := make([][]Node, len(paths))
	for i, p := range paths {
		out[i] = ignorePath(t, views, p)
	}
	return out
}

func ignorePath(t Target, views []model.View, p []Node) []Node {
	if len(p) == 0 {
		return p
	}
	last := p[len(p)-1]
	if len(p) >= 2 && last.ID == "*" {
		last = p[len(p)-2]
	}
	if !sameType(last, t) {
		return p
	}
	for _, v := range views {
		if !matches(p, v, t) {
			continue
		}
		if v.IgnoreIAMPath && len(p) == len(v.Chain) && p[len(p)-1].ID != "*" {
			return p[len(p)-1:]
		}
		return p
	}
	return p
}

func sameType(n Node, t Target) bool {
	return n.Type == t.Type && (n.SystemID == "" || n.SystemID == t.SystemID)
}

// matches: a one-node path of the target type always matches; otherwise the
// nodes follow the chain position by position, and nodes beyond the chain
// are of its last type.
func matches(p []Node, v model.View, t Target) bool {
	if len(p) == 1 && sameType(p[0], t) {
		return true
	}
	if len(v.Chain) == 0 {
		return false
	}
	for i, n := range p {
		ref := v.Chain[len(v.Chain)-1]
		if i < len(v.Chain) {
			ref = v.Chain[i]
		}
		if n.Type != ref.ID || (n.SystemID != "" && n.SystemID != ref.SystemID) {
			return false
		}
	}
	return true
}

// Instances translates selected paths of the target type (Step 2) into one
// stored condition: ids picked directly, whole subtrees picked through an
// ancestor, and ids picked under an ancestor.
func Instances(system string, t Target, paths [][]Node) (policy.Condition, error) {
	field := func(attr string) string { return system + "." + t.Type + "." + attr }
	var ids []any
	var prefixes []any
	pathIDs := map[string][]any{}
	var order []string
	for i, p := range paths {
		if len(p) == 0 {
			return policy.Condition{}, fmt.Errorf("paths[%d] is empty", i)
		}
		last := p[len(p)-1]
		if last.Type == t.Type {
			if len(p) == 1 {
				if last.ID == "*" {
					return policy.Condition{}, fmt.Errorf("paths[%d]: a single node cannot be *", i)
				}
				ids = append(ids, last.ID)
				continue
			}
			if err := noRepeats(p[:len(p)-1]); err != nil {
				return policy.Condition{}, fmt.Errorf("paths[%d]: %w", i, err)
			}
			prefix := translatePath(p[:len(p)-1])
			if last.ID == "*" {
				prefixes = append(prefixes, prefix)
				continue
			}
			if _, ok := pathIDs[prefix]; !ok {
				order = append(order, prefix)
			}
			pathIDs[prefix] = append(pathIDs[prefix], last.ID)
			continue
		}
		if err := noRepeats(p); err != nil {
			return policy.Condition{}, fmt.Errorf("paths[%d]: %w", i, err)
		}
		prefixes = append(prefixes, translatePath(p))
	}
	var pieces []policy.Condition
	if len(ids) > 0 {
		pieces = append(pieces, policy.Condition{Op: policy.OpStringEquals, Field: field("id"), Values: ids})
	}
	if len(prefixes) > 0 {
		pieces = append(pieces, policy.Condition{Op: policy.OpStringPrefix, Field: field(policy.IAMPath), Values: prefixes})
	}
	for _, prefix := range order {
		pieces = append(pieces, policy.Condition{Op: policy.OpAND, Content: []policy.Condition{
			{Op: policy.OpStringEquals, Field: field("id"), Values: pathIDs[prefix]},
			{Op: policy.OpStringPrefix, Field: field(policy.IAMPath), Values: []any{prefix}},
		}})
	}
	switch len(pieces) {
	case 0:
		return policy.Condition{}, fmt.Errorf("nothing selected")
	case 1:
		return pieces[0], nil
	}
	return policy.Condition{Op: policy.OpOR, Content: pieces}, nil
}

func noRepeats(p []Node) error {
	seen := map[string]bool{}
	for _, n := range p {
		k := n.Type + "," + n.ID
		if seen[k] {
			return fmt.Errorf("the path passes %s twice", k)
		}
		seen[k] = true
	}
	return nil
}

// translatePath is "/" then "type,id/" per node.
func translatePath(nodes []Node) string {
	var b strings.Builder
	b.WriteByte('/')
	for _, n := range nodes {
		b.WriteString(n.Type + "," + n.ID + "/")
	}
	return b.String()
}

// Attribute is an attribute condition (Step 3): the values' ids, the
// operator chosen by the first value's JSON type.
type Attribute struct {
	ID     string `json:"id"`
	Values []struct {
		ID   any    `json:"id"`
		Name string `json:"name"`
	} `json:"values"`
}

// Attributes translates attribute conditions, AND-ed.
func Attributes(system string, t Target, attrs []Attribute) (policy.Condition, error) {
	var out []policy.Condition
	for i, a := range attrs {
		if len(a.Values) == 0 {
			return policy.Condition{}, fmt.Errorf("attributes[%d].values must not be empty", i)
		}
		vals := make([]any, len(a.Values))
		for j, v := range a.Values {
			vals[j] = v.ID
		}
		op := ""
		switch vals[0].(type) {
		case bool:
			op = policy.OpBool
			if len(vals) != 1 {
				return policy.Condition{}, fmt.Errorf("attributes[%d]: a boolean attribute takes one value", i)
			}
		case float64, json.Number, int, int64:
			op = policy.OpNumericEquals
		case string:
			op = policy.OpStringEquals
		default:
			return policy.Condition{}, fmt.Errorf("attributes[%d].values[0].id must be a string, number or boolean", i)
		}
		out = append(out, policy.Condition{Op: op, Field: system + "." + t.Type + "." + a.ID, Values: vals})
	}
	if len(out) == 1 {
		return out[0], nil
	}
	return policy.Condition{Op: policy.OpAND, Content: out}, nil
}
