package bkflow.admission_test

import rego.v1

import data.bkflow.admission

tree(url) := {"activities": {"n1": {"type": "ServiceActivity", "component": {"code": "bk_http_request", "data": {"bk_http_request_url": {"hook": false, "value": url}}}}}}

lists := {"default": ["example.com"], "spaces": {"3": ["api.example.com"]}}

deny(space, url) := d if {
	d := admission.deny with input as {"action": "template_save", "space": {"id": space}, "pipeline_tree": tree(url)}
		with data.bkflow.http_allowlist as lists
}

test_default_list_allows if {
	count(deny(1, "https://example.com/x?y=1")) == 0
	count(deny(1, "http://user@EXAMPLE.com:8080/")) == 0
}

test_default_list_denies if {
	deny(1, "https://evil.test/steal") == {`node n1: bk_http_request to "evil.test" is not allowed in space 1 (allowed: example.com)`}
}

test_space_list_replaces_default if {
	count(deny(3, "https://api.example.com/v1")) == 0
	count(deny(3, "https://example.com/")) == 1
}

test_url_without_scheme_is_denied if {
	deny(1, "example.com/x") == {`node n1: bk_http_request to "" is not allowed in space 1 (allowed: example.com)`}
}

test_variables_denied_unless_allowed if {
	count(deny(1, "${base}/x")) == 1
	count(admission.deny) == 0 with input as {"action": "task_create", "space": {"id": 1}, "pipeline_tree": tree("${base}/x")}
		with data.bkflow.http_allowlist as object.union(lists, {"allow_variables": true})
}

test_other_components_ignored if {
	t := {"activities": {"n1": {"type": "ServiceActivity", "component": {"code": "bk_display", "data": {}}}}}
	count(admission.deny) == 0 with input as {"action": "template_save", "space": {"id": 1}, "pipeline_tree": t}
		with data.bkflow.http_allowlist as lists
}
