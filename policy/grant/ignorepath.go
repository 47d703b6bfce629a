package grant

import (
	"fmt"
	"slices"
	"strings"
)

// IgnorePath applies the SaaS's ignore_iam_path preprocessing (iam.md §3.4
// Step 0) to the paths picked for resource type rt, with views the
// action's instance views for rt in the action's order. It returns new
// slices and leaves paths untouched.
//
// A path is reduced to its final node when all of these hold:
//   - its last node whose id is not "*" (the second to last node when a
//     path of two or more ends in "*") is of type rt;
//   - the first view the path matches has ignore_iam_path set;
//   - the path is exactly as long as that view's chain;
//   - its final node's id is not "*".
//
// Every other path, including the invalid single "*" node (which
// TranslateResourceType rejects), is kept as it is. For the matching rules
// see CheckPaths.
//
// The SaaS compares the last node's system_id with rt's strictly, after
// filling the system_id of open-API paths from the first matching view; a
// node whose system_id is empty is taken here to be of rt's system, which
// gives the same result without the fill.
func IgnorePath(rt ResourceTypeRef, views []View, paths [][]Node) [][]Node {
	out := make([][]Node, len(paths))
	for i, p := range paths {
		out[i] = ignorePath(rt, views, p)
	}
	return out
}

func ignorePath(rt ResourceTypeRef, views []View, p []Node) []Node {
	kept := append([]Node(nil), p...)
	if len(p) == 0 {
		return kept
	}
	last := p[len(p)-1]
	if len(p) >= 2 && last.ID == AnyID {
		last = p[len(p)-2]
	} else if last.ID == AnyID {
		return kept
	}
	if !nodeOf(last, rt) {
		return kept
	}
	for _, v := range views {
		if !pathMatchesView(rt, v, p) {
			continue
		}
		if v.IgnoreIAMPath && len(p) == len(v.Chain) && p[len(p)-1].ID != AnyID {
			return []Node{p[len(p)-1]}
		}
		return kept
	}
	return kept
}

// CheckPaths reports the first path that matches none of views, as the
// SaaS checks every granted path against the action's instance views. A
// path matches a view when
//   - it is a single node of type rt; or
//   - the view has ignore_iam_path, the path is a single node, and the
//     node is of the chain's last type; or
//   - its nodes are of the chain's types position by position (a path
//     shorter than the chain compares only its own nodes), and any nodes
//     beyond the chain's length are of the chain's last type.
//
// A node's empty system_id matches any system.
func CheckPaths(rt ResourceTypeRef, views []View, paths [][]Node) error {
	for i, p := range paths {
		if !matchesAnyView(rt, views, p) {
			return fieldErr(fmt.Sprintf("paths[%d]", i), "(%s) matches none of the instance views of %s:%s",
				displayPath(p), rt.SystemID, rt.Type)
		}
	}
	return nil
}

func matchesAnyView(rt ResourceTypeRef, views []View, p []Node) bool {
	return slices.ContainsFunc(views, func(v View) bool { return pathMatchesView(rt, v, p) })
}

// nodeOf reports whether n is an instance of rt; an empty system_id
// matches.
func nodeOf(n Node, rt ResourceTypeRef) bool {
	return n.Type == rt.Type && (n.SystemID == "" || n.SystemID == rt.SystemID)
}

// nodeOfRef reports whether n is an instance of the chain type ref; an
// empty system_id matches.
func nodeOfRef(n Node, ref TypeRef) bool {
	return n.Type == ref.ID && (n.SystemID == "" || n.SystemID == ref.SystemID)
}

// pathMatchesView is the SaaS's PathNodeList.match_selection: a single
// node of type rt, or viewMatches.
func pathMatchesView(rt ResourceTypeRef, v View, p []Node) bool {
	if len(p) == 1 && nodeOf(p[0], rt) {
		return true
	}
	return viewMatches(v, p)
}

// viewMatches is the SaaS's InstanceSelection.match_path: with
// ignore_iam_path a single node of the chain's last type, otherwise the
// nodes position by position (a shorter path compares only its own
// nodes), any nodes beyond the chain of its last type.
func viewMatches(v View, p []Node) bool {
	if len(p) == 0 || len(v.Chain) == 0 {
		return false
	}
	lastRef := v.Chain[len(v.Chain)-1]
	if v.IgnoreIAMPath && len(p) == 1 && nodeOfRef(p[0], lastRef) {
		return true
	}
	for i, n := range p {
		if !nodeOfRef(n, chainRef(v, i)) {
			return false
		}
	}
	return true
}

// chainRef is the chain's type at position i of a path, the last type
// for positions beyond the chain.
func chainRef(v View, i int) TypeRef {
	if i < len(v.Chain) {
		return v.Chain[i]
	}
	return v.Chain[len(v.Chain)-1]
}

// viewSystems is the SaaS's list_match_path_system_id: the system of each
// node of p by view v, which p matches.
func viewSystems(v View, p []Node) []string {
	lastRef := v.Chain[len(v.Chain)-1]
	if v.IgnoreIAMPath && len(p) == 1 && nodeOfRef(p[0], lastRef) {
		return []string{lastRef.SystemID}
	}
	out := make([]string, len(p))
	for i := range p {
		out[i] = chainRef(v, i).SystemID
	}
	return out
}

// displayPath writes a path as type:id/type:id for messages.
func displayPath(p []Node) string {
	parts := make([]string, len(p))
	for i, n := range p {
		parts[i] = n.Type + ":" + n.ID
	}
	return strings.Join(parts, "/")
}
