package bkflow.iam_test

import rego.v1

import data.bkflow.iam

task(id, paths) := {"bkflow.task": {"id": id, "_bk_iam_path_": paths}}

leaf(op, field, values) := {"op": op, "field": field, "obj": "bkflow.task", "attr": field, "values": values}

clause(leaves) := {"policy": 1, "expired_at": 4102444800, "leaves": leaves}

allowed(leaves, objects) if iam.allow with input as {"now": 1700000000, "objects": objects, "clauses": [clause(leaves)]}

test_string_equals_scalar_and_list if {
	allowed([leaf("StringEquals", "id", ["1", "2"])], task("2", []))
	not allowed([leaf("StringEquals", "id", ["1"])], task("3", []))
	allowed([leaf("StringEquals", "tags", ["b"])], {"bkflow.task": {"id": "1", "tags": ["a", "b"]}})
	not allowed([leaf("StringEquals", "tags", ["b"])], {"bkflow.task": {"id": "1", "tags": []}})
}

test_string_equals_is_type_strict if {
	not allowed([leaf("StringEquals", "n", ["1"])], {"bkflow.task": {"id": "1", "n": 1}})
	allowed([leaf("StringEquals", "n", [1])], {"bkflow.task": {"id": "1", "n": 1}})
}

test_missing_object_or_attribute_is_false if {
	not allowed([leaf("StringEquals", "id", ["1"])], {"bkflow.template": {"id": "1"}})
	not allowed([leaf("StringEquals", "owner", ["a"])], task("1", []))
	not allowed([leaf("StringEquals", "id", [])], task("1", []))
}

test_path_prefix_any_path if {
	allowed([leaf("StringPrefix", "_bk_iam_path_", ["/space,1/"])], task("9", ["/space,1/", "/space,1/template,5/"]))
	allowed([leaf("StringPrefix", "_bk_iam_path_", ["/space,1/template,5/"])], task("9", ["/space,1/", "/space,1/template,5/"]))
	not allowed([leaf("StringPrefix", "_bk_iam_path_", ["/space,2/"])], task("9", ["/space,1/", "/space,1/template,5/"]))
	allowed([leaf("StringPrefix", "_bk_iam_path_", ["/space,1/"])], task("9", "/space,1/"))
}

test_path_wildcard if {
	allowed([leaf("StringPrefix", "_bk_iam_path_", ["/biz,1/set,*/"])], task("9", ["/biz,1/set,7/module,3/"]))
	not allowed([leaf("StringPrefix", "_bk_iam_path_", ["/biz,1/set,*/"])], task("9", ["/biz,1/module,2/"]))

	# the wildcard rule is for _bk_iam_path_ only
	not allowed([leaf("StringPrefix", "name", ["a,*/"])], {"bkflow.task": {"id": "1", "name": "a,b/"}})
}

test_string_contains if {
	allowed([leaf("StringContains", "name", ["lo w"])], {"bkflow.task": {"id": "1", "name": "hello world"}})
	not allowed([leaf("StringContains", "name", ["x"])], {"bkflow.task": {"id": "1", "name": "hello"}})
	not allowed([leaf("StringContains", "n", ["1"])], {"bkflow.task": {"id": "1", "n": 1}})
}

test_bool if {
	allowed([leaf("Bool", "b", [true])], {"bkflow.task": {"id": "1", "b": true}})
	not allowed([leaf("Bool", "b", [true])], {"bkflow.task": {"id": "1", "b": false}})
	not allowed([leaf("Bool", "b", [true])], {"bkflow.task": {"id": "1", "b": [true]}})
	not allowed([leaf("Bool", "b", [true, false])], {"bkflow.task": {"id": "1", "b": true}})
	not allowed([leaf("Bool", "b", ["true"])], {"bkflow.task": {"id": "1", "b": true}})
}

test_numeric if {
	allowed([leaf("NumericEquals", "n", [1, 2])], {"bkflow.task": {"id": "1", "n": 2.0}})
	allowed([leaf("NumericEquals", "n", ["a"])], {"bkflow.task": {"id": "1", "n": "a"}})
	not allowed([leaf("NumericEquals", "n", ["1"])], {"bkflow.task": {"id": "1", "n": 1}})
	allowed([leaf("NumericGt", "n", [1])], {"bkflow.task": {"id": "1", "n": [0, 2]}})
	not allowed([leaf("NumericGt", "n", [1])], {"bkflow.task": {"id": "1", "n": 1}})
	allowed([leaf("NumericGte", "n", [1])], {"bkflow.task": {"id": "1", "n": 1}})
	allowed([leaf("NumericLt", "n", [1])], {"bkflow.task": {"id": "1", "n": 0.5}})
	allowed([leaf("NumericLte", "n", [1])], {"bkflow.task": {"id": "1", "n": 1}})
	not allowed([leaf("NumericLte", "n", [1, 2])], {"bkflow.task": {"id": "1", "n": 1}})
	not allowed([leaf("NumericLt", "n", [1])], {"bkflow.task": {"id": "1", "n": "0"}})
}

test_clause_is_a_conjunction if {
	both := [leaf("StringEquals", "id", ["7"]), leaf("StringPrefix", "_bk_iam_path_", ["/space,1/"])]
	allowed(both, task("7", ["/space,1/"]))
	not allowed(both, task("7", ["/space,2/"]))
	not allowed(both, task("8", ["/space,1/"]))
	allowed([], task("8", []))
}

test_expired_clause_is_ignored if {
	not iam.allow with input as {"now": 1700000000, "objects": task("1", []), "clauses": [{"policy": 1, "expired_at": 1600000000, "leaves": []}]}
}

test_no_clause_no_permission if {
	not iam.allow with input as {"now": 1700000000, "objects": task("1", []), "clauses": []}
}
