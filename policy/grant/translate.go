package grant

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Attribute names the translator writes into fields.
const (
	attrID      = "id"
	attrIAMPath = "_bk_iam_path_"
)

// TranslateResourceType turns the selection for one related resource type
// into its stored condition by the SaaS translator's rules (iam.md §3.4
// Steps 1 to 3). Fields are "{system}.{type}.{attribute}" where system is
// rrt.SystemID, the resource type's own system, as the SaaS writes them;
// the system argument is used only when rrt.SystemID is empty.
//
// Run IgnorePath over the paths first: this function does not know the
// views.
func TranslateResourceType(system string, rrt RelatedResourceType) (Condition, error) {
	if rrt.SystemID != "" {
		system = rrt.SystemID
	}
	field := func(attr string) string { return system + "." + rrt.Type + "." + attr }
	if len(rrt.Condition) == 0 {
		return Leaf(OpAny, field(attrID)), nil
	}
	content := make([]Condition, 0, len(rrt.Condition))
	for i, item := range rrt.Condition {
		at := fmt.Sprintf("condition[%d]", i)
		var instances []Condition
		for j, inst := range item.Instances {
			c, err := translateInstance(field, rrt.Type, inst.Paths, fmt.Sprintf("%s.instances[%d]", at, j))
			if err != nil {
				return Condition{}, err
			}
			instances = append(instances, c)
		}
		var attributes []Condition
		for j, a := range item.Attributes {
			c, err := translateAttribute(field(a.ID), a.Values, fmt.Sprintf("%s.attributes[%d]", at, j))
			if err != nil {
				return Condition{}, err
			}
			attributes = append(attributes, c)
		}
		instance, hasInstance := combine(OpOR, instances)
		attribute, hasAttribute := combine(OpAND, attributes)
		switch {
		case hasInstance && hasAttribute:
			content = append(content, And(instance, attribute))
		case hasInstance:
			content = append(content, instance)
		case hasAttribute:
			content = append(content, attribute)
		default:
			return Condition{}, fieldErr(at, "has neither instances nor attributes")
		}
	}
	c, _ := combine(OpOR, content)
	return c, nil
}

// combine returns nothing for no conditions, the condition itself for
// one, and op over them for more.
func combine(op Operator, cs []Condition) (Condition, bool) {
	switch len(cs) {
	case 0:
		return Condition{}, false
	case 1:
		return cs[0], true
	}
	return Condition{Op: op, Content: cs}, true
}

// translateInstance is Step 2 for one instance entry: ids picked on
// their own, prefixes (subtrees picked through an ancestor, or "*" leaves)
// and ids picked under an ancestor, grouped by prefix in first-seen order.
func translateInstance(field func(string) string, typ string, paths [][]Node, at string) (Condition, error) {
	var ids, prefixes []any
	var order []string
	underPrefix := map[string][]any{}
	for i, p := range paths {
		pat := fmt.Sprintf("%s.path[%d]", at, i)
		if len(p) == 0 {
			return Condition{}, fieldErr(pat, "must not be empty")
		}
		last := p[len(p)-1]
		if last.Type != typ {
			if err := noRepeatedNodes(p, pat); err != nil {
				return Condition{}, err
			}
			prefixes = append(prefixes, translatePath(p))
			continue
		}
		if len(p) == 1 {
			if last.ID == AnyID {
				return Condition{}, fieldErr(pat, "is a single node %s:*; pick the whole type instead", typ)
			}
			ids = append(ids, last.ID)
			continue
		}
		if err := noRepeatedNodes(p[:len(p)-1], pat); err != nil {
			return Condition{}, err
		}
		prefix := translatePath(p[:len(p)-1])
		if last.ID == AnyID {
			prefixes = append(prefixes, prefix)
			continue
		}
		if _, seen := underPrefix[prefix]; !seen {
			order = append(order, prefix)
		}
		underPrefix[prefix] = append(underPrefix[prefix], last.ID)
	}
	var pieces []Condition
	if len(ids) > 0 {
		pieces = append(pieces, Leaf(OpStringEquals, field(attrID), ids...))
	}
	if len(prefixes) > 0 {
		pieces = append(pieces, Leaf(OpStringPrefix, field(attrIAMPath), prefixes...))
	}
	for _, prefix := range order {
		pieces = append(pieces, And(
			Leaf(OpStringEquals, field(attrID), underPrefix[prefix]...),
			Leaf(OpStringPrefix, field(attrIAMPath), prefix),
		))
	}
	c, ok := combine(OpOR, pieces)
	if !ok {
		return Condition{}, fieldErr(at+".path", "must not be empty")
	}
	return c, nil
}

// noRepeatedNodes rejects a path that passes the same type,id twice.
func noRepeatedNodes(nodes []Node, at string) error {
	seen := make(map[string]bool, len(nodes))
	for _, n := range nodes {
		k := n.Type + "," + n.ID
		if seen[k] {
			return fieldErr(at, "(%s) passes %s more than once", translatePath(nodes), k)
		}
		seen[k] = true
	}
	return nil
}

// translatePath is "/" followed by "type,id/" for each node.
func translatePath(nodes []Node) string {
	var b strings.Builder
	b.WriteByte('/')
	for _, n := range nodes {
		b.WriteString(n.Type)
		b.WriteByte(',')
		b.WriteString(n.ID)
		b.WriteByte('/')
	}
	return b.String()
}

// translateAttribute is Step 3: the operator follows the JSON type of the
// first value.
func translateAttribute(field string, values []AttrValue, at string) (Condition, error) {
	if len(values) == 0 {
		return Condition{}, fieldErr(at+".values", "must not be empty")
	}
	ids := make([]any, len(values))
	for i, v := range values {
		if _, err := appendPyValue(nil, v.ID); err != nil {
			return Condition{}, fieldErr(fmt.Sprintf("%s.values[%d].id", at, i), "must be a string, a finite number or a boolean")
		}
		ids[i] = v.ID
	}
	switch ids[0].(type) {
	case bool:
		if len(ids) != 1 {
			return Condition{}, fieldErr(at+".values", "must hold exactly one value when it is a boolean")
		}
		return Leaf(OpBool, field, ids...), nil
	case string:
		return Leaf(OpStringEquals, field, ids...), nil
	}
	return Leaf(OpNumericEquals, field, ids...), nil
}

// TranslateGroup is Step 4 for one resource group: the AND of its
// related resource types' conditions (one is used as it is; none gives an
// empty AND, as in the SaaS), followed by its environment conditions.
func TranslateGroup(system string, g ResourceGroup) (Condition, error) {
	rrts := make([]Condition, 0, len(g.RelatedResourceTypes))
	for i, rrt := range g.RelatedResourceTypes {
		c, err := TranslateResourceType(system, rrt)
		if err != nil {
			return Condition{}, prefixErr(fmt.Sprintf("related_resource_types[%d]", i), err)
		}
		rrts = append(rrts, c)
	}
	resources := And(rrts...)
	if len(rrts) == 1 {
		resources = rrts[0]
	}
	envs, err := translateEnvironments(system, g.Environments)
	if err != nil {
		return Condition{}, err
	}
	if len(envs) == 0 {
		return resources, nil
	}
	return And(append([]Condition{resources}, envs...)...), nil
}

// TranslateGroups turns a policy's resource groups into the stored
// expression the SaaS writes (Step 4): each group as TranslateGroup, the
// OR of them when there are several, and the empty list "[]" (which the
// backend reads as Any) when there are none. The bytes are those of
// Python's json.dumps with separators (",", ":").
//
// Apply IgnorePath to every group's paths first.
func TranslateGroups(system string, groups []ResourceGroup) (json.RawMessage, error) {
	if len(groups) == 0 {
		return json.RawMessage("[]"), nil
	}
	content := make([]Condition, 0, len(groups))
	for i, g := range groups {
		c, err := TranslateGroup(system, g)
		if err != nil {
			return nil, prefixErr(fmt.Sprintf("resource_groups[%d]", i), err)
		}
		content = append(content, c)
	}
	c, _ := combine(OpOR, content)
	b, err := c.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return json.RawMessage(b), nil
}

// prefixErr puts at in front of a FieldError's field.
func prefixErr(at string, err error) error {
	if fe, ok := err.(*FieldError); ok {
		field := at
		if fe.Field != "" {
			field += "." + fe.Field
		}
		return &FieldError{Field: field, Reason: fe.Reason}
	}
	return err
}
