package grant

import (
	"cmp"
	"fmt"
	"slices"
)

// Selections returns what the request selects of resource type rt as
// instance entries, the input of IgnorePath and TranslateResourceType.
// An instance X of rt becomes the one-node path [X]. Paths are grouped as
// the SaaS groups them: by the system and type of their last node that is
// not "*", groups in that key's order, paths in request order within a
// group. The system ids are taken as they are; Translate first fills the
// missing ones from the views, as the SaaS does. It returns nil when the
// request selects nothing of rt. Call Validate first.
func (r Request) Selections(rt ResourceTypeRef) []Instance {
	var paths [][]Node
	for _, res := range r.Resources {
		if res.System == rt.SystemID && res.Type == rt.Type {
			ps, _ := resourcePaths(res)
			paths = append(paths, ps...)
		}
	}
	if len(paths) == 0 {
		return nil
	}
	type key struct{ system, typ string }
	keyOf := func(p []Node) key {
		n := p[len(p)-1]
		if n.ID == AnyID && len(p) > 1 {
			n = p[len(p)-2]
		}
		return key{n.SystemID, n.Type}
	}
	slices.SortStableFunc(paths, func(a, b []Node) int {
		ka, kb := keyOf(a), keyOf(b)
		return cmp.Or(cmp.Compare(ka.system, kb.system), cmp.Compare(ka.typ, kb.typ))
	})
	var out []Instance
	for i, p := range paths {
		if i == 0 || keyOf(p) != keyOf(paths[i-1]) {
			out = append(out, Instance{Type: keyOf(p).typ})
		}
		last := &out[len(out)-1]
		last.Paths = append(last.Paths, p)
	}
	return out
}

// resourcePaths lists a resource's selections as paths, copied, with the
// field each came from; empty paths are skipped.
func resourcePaths(res Resource) (paths [][]Node, fields []string) {
	add := func(p []Node, field string) {
		paths = append(paths, p)
		fields = append(fields, field)
	}
	if res.ID != "" {
		add([]Node{{SystemID: res.System, Type: res.Type, ID: res.ID, Name: res.Name}}, "id")
	}
	for j, n := range res.Instances {
		add([]Node{{SystemID: res.System, Type: res.Type, ID: n.ID, Name: n.Name}}, fmt.Sprintf("instances[%d]", j))
	}
	if len(res.Path) > 0 {
		add(slices.Clone(res.Path), "path")
	}
	for j, p := range res.Paths {
		if len(p) > 0 {
			add(slices.Clone(p), fmt.Sprintf("paths[%d]", j))
		}
	}
	return paths, fields
}

// fitViews checks res's selections against t's views as the SaaS does and
// returns res with its paths' missing system ids filled in. An instance
// must match a view by CheckPaths's rules. A path must match a view by
// the chain alone (a bare leaf needs an ignore_iam_path view, or a chain
// that starts with its type); nodes without a system id take it from the
// first view the path matches, and every matching view must agree.
func fitViews(kind Kind, t RelatedType, res Resource, at string) (Resource, error) {
	paths, fields := resourcePaths(res)
	noView := func(j int) error {
		return fieldErr(at+"."+fields[j], "(%s) matches none of the instance views of %s:%s",
			displayPath(paths[j]), t.SystemID, t.Type)
	}
	if kind == KindInstance || kind == KindBatchInstance {
		for j, p := range paths {
			if !matchesAnyView(t.ResourceTypeRef, t.Views, p) {
				return Resource{}, noView(j)
			}
		}
		return res, nil
	}
	for j, p := range paths {
		var systems []string
		for _, v := range t.Views {
			if !viewMatches(v, p) {
				continue
			}
			s := viewSystems(v, p)
			if systems != nil && !slices.Equal(s, systems) {
				return Resource{}, fieldErr(at+"."+fields[j], "(%s) gets different systems from the instance views it matches",
					displayPath(p))
			}
			systems = s
		}
		if systems == nil {
			return Resource{}, noView(j)
		}
		for k := range p {
			if p[k].SystemID == "" {
				p[k].SystemID = systems[k]
			}
		}
	}
	return Resource{System: res.System, Type: res.Type, Paths: paths}, nil
}

// RelatedType is one of an action's related resource types with the
// instance views the action offers for it, in the action's order.
type RelatedType struct {
	ResourceTypeRef
	Views []View
}

// Translate turns a validated request into the stored condition for one
// action whose related resource types are related, in the action's
// order, the usual caller flow:
//
//  1. every resource must be of one of the related types, and every
//     related type must have a selection;
//  2. every selection must match one of its type's views, and paths get
//     their missing system ids from the views, as in the SaaS (fitViews);
//  3. per related type, Selections, then IgnorePath over each instance
//     entry's paths, then TranslateResourceType;
//  4. one related type gives its condition, several their AND in the
//     action's order (Step 4 for a single resource group).
//
// An action without resource types takes no resources and gives
// {"Any":{"":[]}}, which the backend reads as Any, as it reads the "[]"
// the SaaS stores.
func (r Request) Translate(related []RelatedType) (Condition, error) {
	for i, res := range r.Resources {
		known := slices.ContainsFunc(related, func(t RelatedType) bool {
			return t.SystemID == res.System && t.Type == res.Type
		})
		if !known {
			return Condition{}, fieldErr(fmt.Sprintf("resources[%d]", i), "is of type %s:%s, which the action does not have",
				res.System, res.Type)
		}
	}
	if len(related) == 0 {
		return Leaf(OpAny, ""), nil
	}
	kind := r.kind()
	conds := make([]Condition, 0, len(related))
	for _, t := range related {
		var own []Resource
		for i, res := range r.Resources {
			if res.System != t.SystemID || res.Type != t.Type {
				continue
			}
			res, err := fitViews(kind, t, res, fmt.Sprintf("resources[%d]", i))
			if err != nil {
				return Condition{}, err
			}
			own = append(own, res)
		}
		instances := Request{Resources: own}.Selections(t.ResourceTypeRef)
		if len(instances) == 0 {
			return Condition{}, fieldErr("resources", "select nothing of %s:%s, a resource type of the action", t.SystemID, t.Type)
		}
		for i := range instances {
			instances[i].Paths = IgnorePath(t.ResourceTypeRef, t.Views, instances[i].Paths)
		}
		c, err := TranslateResourceType(r.System, RelatedResourceType{
			SystemID:  t.SystemID,
			Type:      t.Type,
			Condition: []ConditionItem{{Instances: instances}},
		})
		if err != nil {
			return Condition{}, prefixErr("resources", err)
		}
		conds = append(conds, c)
	}
	if len(conds) == 1 {
		return conds[0], nil
	}
	return And(conds...), nil
}
