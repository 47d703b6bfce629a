package grant

import (
	"encoding/json"
	"slices"

	"github.com/bkflow/bkflow/policy"
)

// branches lists a condition's top-level OR branches (itself otherwise).
func branches(c policy.Condition) []policy.Condition {
	if c.Op == policy.OpOR {
		return c.Content
	}
	if c.Op == "" {
		return nil
	}
	return []policy.Condition{c}
}

func join(bs []policy.Condition) (policy.Condition, bool) {
	switch len(bs) {
	case 0:
		return policy.Condition{}, false
	case 1:
		return bs[0], true
	}
	return policy.Condition{Op: policy.OpOR, Content: bs}, true
}

func key(c policy.Condition) string {
	b, _ := json.Marshal(c)
	return string(b)
}

// Merge adds a grant to an existing policy condition: their OR, with the
// existing top-level OR flattened and exact duplicates dropped. Any absorbs
// everything.
func Merge(existing, add policy.Condition) policy.Condition {
	all := append(slices.Clone(branches(existing)), branches(add)...)
	seen := map[string]bool{}
	var out []policy.Condition
	for _, b := range all {
		if b.Op == policy.OpAny {
			return b
		}
		k := key(b)
		if !seen[k] {
			seen[k] = true
			out = append(out, b)
		}
	}
	c, _ := join(out)
	return c
}

// Remove revokes rm from existing: OR branches equal to one of rm's go, and
// ids rm names are taken out of id lists (alone or AND-ed with the same path
// prefix). ok is false when nothing is left, so the policy is deleted.
func Remove(existing, rm policy.Condition) (c policy.Condition, ok bool) {
	out := slices.Clone(branches(existing))
	for _, r := range branches(rm) {
		k := key(r)
		next := out[:0]
		for _, b := range out {
			if key(b) == k {
				continue
			}
			if nb, keep := removeIDs(b, r); keep {
				next = append(next, nb)
			}
		}
		out = next
	}
	return join(out)
}

// removeIDs takes r's ids out of b when both are id lists on the same field
// (and, for AND forms, under the same path prefix).
func removeIDs(b, r policy.Condition) (policy.Condition, bool) {
	bIDs, bRest := idPart(b)
	rIDs, rRest := idPart(r)
	if bIDs == nil || rIDs == nil || bIDs.Field != rIDs.Field || key(bRest) != key(rRest) {
		return b, true
	}
	var left []any
	for _, v := range bIDs.Values {
		if !slices.Contains(rIDs.Values, v) {
			left = append(left, v)
		}
	}
	if len(left) == 0 {
		return policy.Condition{}, false
	}
	ids := policy.Condition{Op: policy.OpStringEquals, Field: bIDs.Field, Values: left}
	if bRest.Op == "" {
		return ids, true
	}
	return policy.Condition{Op: policy.OpAND, Content: []policy.Condition{ids, bRest}}, true
}

func idPart(c policy.Condition) (*policy.Condition, policy.Condition) {
	if c.Op == policy.OpStringEquals {
		return &c, policy.Condition{}
	}
	if c.Op == policy.OpAND && len(c.Content) == 2 && c.Content[0].Op == policy.OpStringEquals {
		return &c.Content[0], c.Content[1]
	}
	return nil, policy.Condition{}
}
