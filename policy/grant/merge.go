package grant

import (
	"fmt"
	"slices"
)

// Merge grants add on top of existing: the OR of the two. Top-level ORs
// on either side are flattened into one OR, branches equal to an earlier
// one are dropped, and one branch left is returned on its own. An Any
// branch absorbs everything and is returned alone. Merging into the zero
// Condition (no policy yet) returns add.
func Merge(existing, add Condition) Condition {
	var out []Condition
	seen := map[string]bool{}
	for _, b := range slices.Concat(branches(existing), branches(add)) {
		if b.Op == OpAny {
			return b
		}
		k := key(b)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, b)
	}
	c, _ := combine(OpOR, out)
	return c
}

// Remove revokes rm from existing, one top-level OR branch r of rm at a
// time:
//   - every branch of existing equal to r is dropped;
//   - a value list is narrowed: when r and a branch test the same field
//     with the same list operator (StringEquals, StringPrefix,
//     StringContains, NumericEquals), r's values are taken out of the
//     branch's, and the branch is dropped once it has none;
//   - an AND branch is narrowed the same way when r is an AND whose
//     children equal the branch's but for one value list (the
//     ids-under-a-prefix form: ids 7 and 8 under /space,1/ less id 8
//     under /space,1/ leaves id 7 under /space,1/).
//
// Nothing else changes: revoking never narrows a broader grant (revoking
// task 7 leaves "every task of space 1" in place), as in BlueKing. ok is
// false when nothing is left, meaning the policy should be deleted.
func Remove(existing, rm Condition) (c Condition, ok bool) {
	out := slices.Clone(branches(existing))
	for _, r := range branches(rm) {
		k := key(r)
		next := out[:0]
		for _, b := range out {
			if key(b) == k {
				continue
			}
			if nb, keep := subtract(b, r); keep {
				next = append(next, nb)
			}
		}
		out = next
	}
	return combine(OpOR, out)
}

// branches lists c's top-level OR branches, c itself when it is not an
// OR, and nothing for the zero Condition.
func branches(c Condition) []Condition {
	switch {
	case c.IsZero():
		return nil
	case c.Op == OpOR:
		return c.Content
	}
	return []Condition{c}
}

// key identifies a condition by its stored JSON.
func key(c Condition) string {
	if b, err := c.MarshalJSON(); err == nil {
		return string(b)
	}
	return fmt.Sprintf("%#v", c)
}

// listOp reports whether op tests membership in a value list.
func listOp(op Operator) bool {
	switch op {
	case OpStringEquals, OpStringPrefix, OpStringContains, OpNumericEquals:
		return true
	}
	return false
}

// subtract takes r out of b where r narrows a value list of b; keep is
// false when b has nothing left.
func subtract(b, r Condition) (Condition, bool) {
	if listOp(b.Op) && b.Op == r.Op && b.Field == r.Field {
		left := subtractValues(b.Values, r.Values)
		if len(left) == 0 {
			return Condition{}, false
		}
		return Leaf(b.Op, b.Field, left...), true
	}
	if b.Op != OpAND || r.Op != OpAND || len(b.Content) != len(r.Content) {
		return b, true
	}
	differ := -1
	for i := range b.Content {
		if key(b.Content[i]) == key(r.Content[i]) {
			continue
		}
		if differ >= 0 {
			return b, true
		}
		differ = i
	}
	if differ < 0 {
		return b, true
	}
	bc, rc := b.Content[differ], r.Content[differ]
	if !listOp(bc.Op) || bc.Op != rc.Op || bc.Field != rc.Field {
		return b, true
	}
	narrowed, keep := subtract(bc, rc)
	if !keep {
		return Condition{}, false
	}
	content := slices.Clone(b.Content)
	content[differ] = narrowed
	return And(content...), true
}

// subtractValues returns the values of have that are not in drop,
// comparing their stored JSON.
func subtractValues(have, drop []any) []any {
	gone := make(map[string]bool, len(drop))
	for _, v := range drop {
		gone[valueKey(v)] = true
	}
	var left []any
	for _, v := range have {
		if !gone[valueKey(v)] {
			left = append(left, v)
		}
	}
	return left
}

func valueKey(v any) string {
	if b, err := appendPyValue(nil, v); err == nil {
		return string(b)
	}
	return fmt.Sprintf("%T:%v", v, v)
}
