package model

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestBkflowModel(t *testing.T) {
	m, err := Bkflow()
	if err != nil {
		t.Fatal(err)
	}
	views, err := m.Views("task_operate", "task")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range views {
		var chain []string
		for _, r := range v.Chain {
			chain = append(chain, r.ID)
		}
		got = append(got, v.ID+"="+strings.Join(chain, ">"))
	}
	if want := "task=space>task,task_by_template=space>template>task"; strings.Join(got, ",") != want {
		t.Fatalf("views %v, want %s", got, want)
	}
	for _, id := range []string{"space_manage", "template_create", "template_view", "template_edit", "template_delete",
		"task_create", "task_view", "task_operate"} {
		if _, ok := m.Action(id); !ok {
			t.Errorf("action %s missing", id)
		}
	}
	if _, err := m.Views("task_view", "template"); err == nil || err.Error() != `related resource type of action task_view "template" does not exist` {
		t.Errorf("got %v", err)
	}
}

func migration(ops ...string) []byte {
	return []byte(`{"system_id":"demo","operations":[` + strings.Join(ops, ",") + `]}`)
}

const (
	sys  = `{"operation":"upsert_system","data":{"id":"demo","name":"演示","name_en":"demo","clients":"demo","provider_config":{"host":"http://demo.example","auth":"basic"}}}`
	host = `{"operation":"upsert_resource_type","data":{"id":"host","name":"主机","name_en":"host","parents":[],"provider_config":{"path":"/r/"}}}`
	view = `{"operation":"upsert_instance_selection","data":{"id":"hosts","name":"主机","name_en":"hosts","resource_type_chain":[{"system_id":"demo","id":"host"}]}}`
)

func action(body string) string {
	return `{"operation":"upsert_action","data":{"id":"host_view","name":"查看","name_en":"view",` + body + `}}`
}

// TestValidate has one row per rule; each message is asserted exactly.
func TestValidate(t *testing.T) {
	okRRT := `"related_resource_types":[{"system_id":"demo","id":"host","related_instance_selections":[{"system_id":"demo","id":"hosts"}]}]`
	cases := []struct {
		name string
		ops  []string
		want string
	}{
		{"valid", []string{sys, host, view, action(okRRT)}, ""},
		{"bad id", []string{sys, strings.Replace(host, `"id":"host"`, `"id":"Host"`, 1)},
			`resource_types[Host].id: "Host" must match ^[a-z]+[a-z0-9_-]*$`},
		{"long id", []string{sys, strings.Replace(host, `"id":"host"`, `"id":"`+strings.Repeat("h", 33)+`"`, 1)},
			`resource_types[` + strings.Repeat("h", 33) + `].id: "` + strings.Repeat("h", 33) + `" is longer than 32 characters`},
		{"name required", []string{sys, strings.Replace(host, `"name":"主机",`, ``, 1)}, `resource_types[host].name: is required`},
		{"name unique", []string{sys, host, strings.Replace(strings.Replace(host, `"id":"host"`, `"id":"vm"`, 1), `"name_en":"host"`, `"name_en":"vm"`, 1)},
			`resource_types[vm].name: "主机" is used by another resource type`},
		{"path required", []string{sys, strings.Replace(host, `"/r/"`, `""`, 1)}, `resource_types[host].provider_config.path: is required`},
		{"parent exists", []string{sys, strings.Replace(host, `"parents":[]`, `"parents":[{"system_id":"demo","id":"module"}]`, 1)},
			`resource_types[host].parents[0].id: resource type "module" does not exist`},
		{"host url", []string{strings.Replace(sys, `http://demo.example`, `demo`, 1)}, `system.provider_config.host: must be an http(s) URL, got "demo"`},
		{"auth", []string{strings.Replace(sys, `"basic"`, `"digest"`, 1)}, `system.provider_config.auth: must be none or basic, got "digest"`},
		{"chain empty", []string{sys, host, strings.Replace(view, `[{"system_id":"demo","id":"host"}]`, `[]`, 1)},
			`instance_selections[hosts].resource_type_chain: must not be empty`},
		{"chain type exists", []string{sys, host, strings.Replace(view, `"id":"host"}`, `"id":"vm"}`, 1)},
			`instance_selections[hosts].resource_type_chain[0].id: resource type "vm" does not exist`},
		{"action type", []string{sys, host, view, action(`"type":"run",` + okRRT)},
			`actions[host_view].type: must be one of create edit view delete list manage execute debug use, got "run"`},
		{"selection needed", []string{sys, host, view, action(`"related_resource_types":[{"system_id":"demo","id":"host","related_instance_selections":[]}]`)},
			`actions[host_view].related_resource_types[0].related_instance_selections: needs at least one instance selection unless selection_mode is attribute`},
		{"attribute mode needs none", []string{sys, host, view, action(`"related_resource_types":[{"system_id":"demo","id":"host","selection_mode":"attribute","related_instance_selections":[]}]`)}, ""},
		{"selection exists", []string{sys, host, view, action(`"related_resource_types":[{"system_id":"demo","id":"host","related_instance_selections":[{"system_id":"demo","id":"nope"}]}]`)},
			`actions[host_view].related_resource_types[0].related_instance_selections[0].id: instance selection "nope" does not exist`},
		{"rbac ignore path", []string{sys, host, view, action(`"auth_type":"rbac",` + okRRT)},
			`actions[host_view].related_resource_types[0].related_instance_selections[0].ignore_iam_path: must be true for an rbac action`},
		{"related action", []string{sys, host, view, action(`"related_actions":["host_edit"],` + okRRT)},
			`actions[host_view].related_actions[0]: action "host_edit" does not exist`},
		{"environment", []string{sys, host, view, action(`"related_environments":[{"type":"weekly"}],` + okRRT)},
			`actions[host_view].related_environments[0].type: only period_daily is supported, got "weekly"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(migration(c.ops...))
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("got %v, want a ValidationError", err)
			}
			if len(ve.Problems) != 1 || ve.Problems[0].Path+": "+ve.Problems[0].Message != c.want {
				t.Fatalf("got %v\nwant %s", ve.Problems, c.want)
			}
		})
	}
}

func TestApply(t *testing.T) {
	for _, c := range []struct {
		ops  []string
		want string
	}{
		{[]string{sys, strings.Replace(host, "upsert_", "add_", 1), strings.Replace(host, "upsert_", "add_", 1)},
			`operations[2] (add_resource_type): "host" already exists`},
		{[]string{sys, strings.Replace(host, "upsert_", "update_", 1)}, `operations[1] (update_resource_type): "host" does not exist`},
		{[]string{sys, `{"operation":"rename_action","data":{}}`}, `operations[1] (rename_action): unknown operation`},
		{[]string{sys, `{"operation":"upsert_action","data":{"id":"x","bogus":1}}`}, `operations[1] (upsert_action): json: unknown field "bogus"`},
	} {
		_, err := Load(migration(c.ops...))
		if err == nil || err.Error() != c.want {
			t.Errorf("got %v, want %s", err, c.want)
		}
	}
	m, err := Load(migration(sys, host, view, action(`"related_resource_types":[]`),
		`{"operation":"delete_action","data":{"id":"host_view"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Actions) != 0 {
		t.Fatalf("delete_action left %v", m.Actions)
	}
}

func FuzzLoad(f *testing.F) {
	f.Add(string(bkflowJSON))
	f.Add(string(migration(sys, host, view)))
	f.Fuzz(func(t *testing.T, s string) {
		m, err := Load([]byte(s))
		if err != nil {
			return
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var again Model
		if err := json.Unmarshal(b, &again); err != nil {
			t.Fatal(err)
		}
		if err := again.Validate(); err != nil {
			t.Fatalf("a loaded model no longer validates: %v", err)
		}
	})
}
