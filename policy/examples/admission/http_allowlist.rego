# bk_http_request nodes may only call hosts on the space's allow-list.
#
# The allow-list is data (data.json beside this file):
#   data.bkflow.http_allowlist.default            hosts every space may call
#   data.bkflow.http_allowlist.spaces["<id>"]     hosts of one space (replaces default)
#   data.bkflow.http_allowlist.allow_variables    true: let URLs built from ${...}
#                                                 through (their host is only known at run time)
# Checked when a template is saved and when a task is created or started.
package bkflow.admission

import rego.v1

allowed_hosts := object.get(data.bkflow.http_allowlist.spaces, sprintf("%d", [input.space.id]), data.bkflow.http_allowlist["default"])

http_nodes contains [id, url] if {
	some id, node in input.pipeline_tree.activities
	node.component.code == "bk_http_request"
	url := trim_space(sprintf("%v", [node.component.data.bk_http_request_url.value]))
}

deny contains msg if {
	some [id, url] in http_nodes
	not contains(url, "${")
	host := url_host(url)
	not host in allowed_hosts
	msg := sprintf("node %s: bk_http_request to %q is not allowed in space %d (allowed: %s)", [id, host, input.space.id, concat(", ", sort(allowed_hosts))])
}

deny contains msg if {
	some [id, url] in http_nodes
	contains(url, "${")
	not data.bkflow.http_allowlist.allow_variables
	msg := sprintf("node %s: bk_http_request URL %q uses variables, so its host cannot be checked against the allow-list", [id, url])
}

# url_host is the lower-cased host of an absolute URL, "" when there is none.
url_host(url) := host if {
	i := indexof(url, "://")
	i > 0
	rest := substring(url, i + 3, -1)
	authority := split(split(split(rest, "/")[0], "?")[0], "#")[0]
	parts := split(authority, "@")
	host := lower(split(parts[count(parts) - 1], ":")[0])
} else := ""
