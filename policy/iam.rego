# BlueKing IAM's stored-condition semantics (iam.md §2.1), evaluated by OPA.
#
# The engine hands in the clauses that may apply to a request (a stored
# condition in disjunctive normal form: every clause an AND of leaves; Rego
# has no recursion, so AND/OR trees are flattened before they get here) and
# the request's objects keyed "{system}.{type}", each with its attributes and
# "id". Leaves on absent objects or attributes are false, as in the backend.
package bkflow.iam

import rego.v1

# allow holds when one unexpired clause has every leaf true.
default allow := false

allow if {
	some c in input.clauses
	c.expired_at > input.now
	every l in c.leaves {
		leaf(l.op, l)
	}
}

# remaining is the partial-evaluation entry point behind /query and list
# filters: leaves on objects the request holds are settled here, leaves on
# absent objects stay open. Partial evaluation (with input.unknown unknown and
# open/labelled not inlined) leaves one query per surviving clause, made of
# labelled(policy id) and open(leaf) calls that the engine translates into a
# wire expression.
remaining if {
	some c in input.clauses
	c.expired_at > input.now
	labelled(c.policy)
	every l in c.leaves {
		settled_or_open(l)
	}
}

settled_or_open(l) if {
	present(l.obj)
	leaf(l.op, l)
}

settled_or_open(l) if {
	not present(l.obj)
	open(l)
}

present(obj) if input.objects[obj]

# open and labelled only exist to survive partial evaluation as markers.
open(l) if input.unknown.open[l.field]

labelled(id) if input.unknown.labelled[id]

# values is an attribute as a list: list attributes are tested element by
# element ("forOr"), scalars as themselves.
values(x) := x if is_array(x)

else := [x]

attr(l) := input.objects[l.obj][l.attr]

leaf("StringEquals", l) if {
	some a in values(input.objects[l.obj][l.attr])
	a in l.values
}

leaf("StringPrefix", l) if {
	some a in values(input.objects[l.obj][l.attr])
	is_string(a)
	some v in l.values
	is_string(v)
	startswith(a, prefix(l.attr, v))
}

leaf("StringContains", l) if {
	some v in l.values
	is_string(v)
	some a in values(attr(l))
	is_string(a)
	contains(a, v)
}

leaf("Bool", l) if {
	count(l.values) == 1
	is_boolean(l.values[0])
	a := attr(l)
	is_boolean(a)
	a == l.values[0]
}

leaf("NumericEquals", l) if {
	some v in l.values
	some a in values(attr(l))
	numeric_equal(a, v)
}

leaf("NumericGt", l) if {
	some a in compared(l)
	a > l.values[0]
}

leaf("NumericGte", l) if {
	some a in compared(l)
	a >= l.values[0]
}

leaf("NumericLt", l) if {
	some a in compared(l)
	a < l.values[0]
}

leaf("NumericLte", l) if {
	some a in compared(l)
	a <= l.values[0]
}

leaf("Any", _) := true

# prefix applies the path wildcard: on _bk_iam_path_, "/biz,1/set,*/" means
# "below any set of biz 1" and matches as "/biz,1/set,".
prefix(attr, v) := trim_suffix(v, "*/") if {
	attr == "_bk_iam_path_"
	endswith(v, ",*/")
} else := v

numeric_equal(a, v) if {
	is_number(a)
	is_number(v)
	a == v
}

numeric_equal(a, v) if {
	is_string(a)
	is_string(v)
	a == v
}

# compared lists the numeric attribute values an ordering leaf compares with
# its single numeric value; a leaf with several values never holds.
compared(l) := [a |
	count(l.values) == 1
	is_number(l.values[0])
	some a in values(attr(l))
	is_number(a)
]
