package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bkflow/bkflow/internal/stacktest"
)

// grantsModel is an access system's model with the view shapes the
// translator distinguishes: a two-level view with and without
// ignore_iam_path, an action on two resource types and one on none.
func grantsModel(system string) map[string]any {
	ref := func(id string) map[string]any { return map[string]any{"system_id": system, "id": id} }
	sel := func(id string, ignore bool) map[string]any {
		return map[string]any{"system_id": system, "id": id, "ignore_iam_path": ignore}
	}
	rtype := func(id string, parents ...any) map[string]any {
		return map[string]any{"operation": "upsert_resource_type", "data": map[string]any{"id": id, "name": id, "name_en": id,
			"parents": append([]any{}, parents...), "provider_config": map[string]any{"path": "/r/"}}}
	}
	view := func(id string, chain ...any) map[string]any {
		return map[string]any{"operation": "upsert_instance_selection", "data": map[string]any{"id": id, "name": id,
			"name_en": id, "resource_type_chain": chain}}
	}
	action := func(id string, related ...any) map[string]any {
		return map[string]any{"operation": "upsert_action", "data": map[string]any{"id": id, "name": id, "name_en": id,
			"related_resource_types": append([]any{}, related...)}}
	}
	related := func(typ string, sels ...any) map[string]any {
		return map[string]any{"system_id": system, "id": typ, "related_instance_selections": sels}
	}
	return map[string]any{"system_id": system, "operations": []any{
		map[string]any{"operation": "upsert_system", "data": map[string]any{"id": system, "name": "作业", "name_en": "jobs",
			"clients": system, "provider_config": map[string]any{"host": "http://jobs.example", "auth": "basic"}}},
		rtype("project"), rtype("job", ref("project")), rtype("host"),
		view("project_job", ref("project"), ref("job")), view("host", ref("host")),
		action("job_run", related("job", sel("project_job", false))),
		action("job_view", related("job", sel("project_job", true))),
		action("job_deploy", related("job", sel("project_job", false)), related("host", sel("host", false))),
		action("audit"),
	}}
}

// TestIAMGrantTranslations grants and revokes through the open
// authorization APIs of an access system's model and reads back what was
// stored through /api/v1/policy/query: every shape of iam.md §3.4 that the
// model's views allow, end to end through HTTP and PostgreSQL.
func TestIAMGrantTranslations(t *testing.T) {
	t.Parallel()
	s := stacktest.Start(t, stacktest.Options{})
	const system = "bkflow-dev"
	iamOK(t, s, "/api/v1/model/systems/migrate/", grantsModel(system))

	n := func(typ, id string) map[string]any {
		return map[string]any{"type": typ, "id": id, "name": typ + " " + id}
	}
	path := func(typ string, nodes ...any) map[string]any {
		return map[string]any{"system": system, "type": typ, "path": nodes}
	}
	paths := func(typ string, ps ...[]any) map[string]any {
		return map[string]any{"system": system, "type": typ, "paths": ps}
	}
	query := func(user, action string) string {
		return string(iamOK(t, s, "/api/v1/policy/query", map[string]any{"system": system,
			"subject": map[string]any{"type": "user", "id": user}, "action": map[string]any{"id": action}, "resources": []any{}}))
	}
	eq := func(field, v string) string { return fmt.Sprintf(`{"op":"eq","field":%q,"value":%q}`, field, v) }
	prefix := func(v string) string {
		return fmt.Sprintf(`{"op":"starts_with","field":"job._bk_iam_path_","value":%q}`, v)
	}
	and := func(xs ...string) string { return `{"op":"AND","content":[` + strings.Join(xs, ",") + `]}` }
	or := func(xs ...string) string { return `{"op":"OR","content":[` + strings.Join(xs, ",") + `]}` }

	cases := []struct {
		name      string
		kind      string
		action    string
		resources []any
		want      string
	}{
		{"leaf through the view", "path", "job_run", []any{path("job", n("project", "p1"), n("job", "j1"))},
			and(eq("job.id", "j1"), prefix("/project,p1/"))},
		{"leaf with ignore_iam_path", "path", "job_view", []any{path("job", n("project", "p1"), n("job", "j1"))},
			eq("job.id", "j1")},
		{"intermediate node", "path", "job_run", []any{path("job", n("project", "p1"))}, prefix("/project,p1/")},
		{"leaf wildcard", "path", "job_run", []any{path("job", n("project", "p1"), n("job", "*"))}, prefix("/project,p1/")},
		{"ignore_iam_path keeps a wildcard", "path", "job_view", []any{path("job", n("project", "p1"), n("job", "*"))},
			prefix("/project,p1/")},
		{"batch paths", "batch_path", "job_run", []any{paths("job", []any{n("project", "p1"), n("job", "j1")},
			[]any{n("project", "p1"), n("job", "j2")}, []any{n("project", "p2")})},
			or(and(`{"op":"in","field":"job.id","value":["j1","j2"]}`, prefix("/project,p1/")), prefix("/project,p2/"))},
		{"one instance", "instance", "job_run", []any{map[string]any{"system": system, "type": "job", "id": "j1", "name": "j1"}},
			eq("job.id", "j1")},
		{"batch instances", "batch_instance", "job_run", []any{map[string]any{"system": system, "type": "job",
			"instances": []any{n("job", "j1"), n("job", "j2")}}}, `{"op":"in","field":"job.id","value":["j1","j2"]}`},
		{"two resource types", "path", "job_deploy", []any{path("job", n("project", "p1")), path("host", n("host", "h1"))},
			and(prefix("/project,p1/"), eq("host.id", "h1"))},
		{"no resource types", "instance", "audit", []any{}, `{"op":"any","field":"","value":[]}`},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			user := fmt.Sprintf("u%d", i)
			key := "action"
			var action any = map[string]any{"id": c.action}
			if c.kind == "batch_path" || c.kind == "batch_instance" {
				key, action = "actions", []any{action}
			}
			body := func(operate string) map[string]any {
				return map[string]any{"operate": operate, "system": system, key: action,
					"subject": map[string]any{"type": "user", "id": user}, "resources": c.resources}
			}
			iamOK(t, s, "/api/v1/open/authorization/"+c.kind+"/", body("grant"))
			require.JSONEq(t, c.want, query(user, c.action))
			iamOK(t, s, "/api/v1/open/authorization/"+c.kind+"/", body("grant"))
			require.JSONEq(t, c.want, query(user, c.action), "granting the same again changes nothing")
			iamOK(t, s, "/api/v1/open/authorization/"+c.kind+"/", body("revoke"))
			require.JSONEq(t, `{}`, query(user, c.action))
		})
	}

	// Grants OR into the subject's policy; a revoke takes out only what it names.
	iamOK(t, s, "/api/v1/open/authorization/path/", map[string]any{"operate": "grant", "system": system,
		"action": map[string]any{"id": "job_run"}, "subject": map[string]any{"type": "user", "id": "mia"},
		"resources": []any{path("job", n("project", "p1"))}})
	iamOK(t, s, "/api/v1/open/authorization/instance/", map[string]any{"operate": "grant", "system": system,
		"action": map[string]any{"id": "job_run"}, "subject": map[string]any{"type": "user", "id": "mia"},
		"resources": []any{map[string]any{"system": system, "type": "job", "id": "j9"}}})
	require.JSONEq(t, or(prefix("/project,p1/"), eq("job.id", "j9")), query("mia", "job_run"))
	iamOK(t, s, "/api/v1/open/authorization/path/", map[string]any{"operate": "revoke", "system": system,
		"action": map[string]any{"id": "job_run"}, "subject": map[string]any{"type": "user", "id": "mia"},
		"resources": []any{path("job", n("project", "p1"))}})
	require.JSONEq(t, eq("job.id", "j9"), query("mia", "job_run"))

	// Refusals name the field or the view the selection misses; nothing is stored.
	refusals := []struct {
		name, kind string
		body       map[string]any
		want       string
	}{
		{"path outside every view", "path", map[string]any{"operate": "grant", "system": system, "action": map[string]any{"id": "job_run"},
			"subject": map[string]any{"type": "user", "id": "zed"}, "resources": []any{path("job", n("host", "h1"), n("job", "j1"))}},
			"action job_run: resources[0].path (host:h1/job:j1) matches none of the instance views of bkflow-dev:job"},
		{"a bare leaf by path without an ignore_iam_path view", "batch_path", map[string]any{"operate": "grant", "system": system,
			"actions": []any{map[string]any{"id": "job_run"}}, "subject": map[string]any{"type": "user", "id": "zed"},
			"resources": []any{paths("job", []any{n("job", "j1")})}},
			"action job_run: resources[0].paths[0] (job:j1) matches none of the instance views of bkflow-dev:job"},
		{"a batch whose second action cannot take the selection", "batch_path", map[string]any{"operate": "grant", "system": system,
			"actions":   []any{map[string]any{"id": "job_run"}, map[string]any{"id": "job_deploy"}},
			"subject":   map[string]any{"type": "user", "id": "zed"},
			"resources": []any{paths("job", []any{n("project", "p1")})}},
			"action job_deploy: resources select nothing of bkflow-dev:host, a resource type of the action"},
		{"a lone wildcard", "path", map[string]any{"operate": "grant", "system": system, "action": map[string]any{"id": "job_run"},
			"subject": map[string]any{"type": "user", "id": "zed"}, "resources": []any{path("job", n("project", "*"))}},
			"resources[0].path is a single * node; a path must start at an instance"},
		{"missing subject id", "path", map[string]any{"operate": "grant", "system": system, "action": map[string]any{"id": "job_run"},
			"subject": map[string]any{"type": "user"}, "resources": []any{path("job", n("project", "p1"))}},
			"subject.id is required"},
		{"unknown action", "path", map[string]any{"operate": "grant", "system": system, "action": map[string]any{"id": "fly"},
			"subject": map[string]any{"type": "user", "id": "zed"}, "resources": []any{path("job", n("project", "p1"))}},
			`action "fly" does not exist in system bkflow-dev`},
		{"a type the action does not take", "path", map[string]any{"operate": "grant", "system": system, "action": map[string]any{"id": "job_run"},
			"subject": map[string]any{"type": "user", "id": "zed"}, "resources": []any{path("host", n("host", "h1"))}},
			"action job_run: resources[0] is of type bkflow-dev:host, which the action does not have"},
	}
	for _, c := range refusals {
		t.Run("refused/"+c.name, func(t *testing.T) {
			a := iamCall(t, s, http.MethodPost, "/api/v1/open/authorization/"+c.kind+"/", c.body)
			require.Equal(t, 1901400, a.Code, "%s", a.Data)
			require.Equal(t, c.want, a.Message)
		})
	}
	// Nothing was stored, not even job_run of the refused batch.
	require.JSONEq(t, `{}`, query("zed", "job_run"))
	require.JSONEq(t, `{}`, query("zed", "job_deploy"))
}
