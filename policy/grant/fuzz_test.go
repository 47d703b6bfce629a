package grant

import (
	"encoding/json"
	"testing"
)

// FuzzRequest decodes a request body, validates it and translates it for
// bkflow's task actions; nothing may panic, and a translated condition
// must marshal, parse back to the same bytes, and merge and revoke
// cleanly. Seeds: testdata/fuzz/FuzzRequest.
func FuzzRequest(f *testing.F) {
	f.Add([]byte(`{"operate":"grant","system":"bkflow","action":{"id":"task_view"},"subject":{"type":"user","id":"u"},`+
		`"resources":[{"system":"bkflow","type":"task","path":[{"type":"space","id":"1","name":"s"},{"type":"task","id":"7","name":"t"}]}]}`), false)
	f.Fuzz(func(t *testing.T, body []byte, ignore bool) {
		var r Request
		if err := json.Unmarshal(body, &r); err != nil {
			return
		}
		valid := r.Validate() == nil
		r.Selections(bkflowTask())
		for _, related := range [][]RelatedType{
			bkflowTaskRelated(ignore),
			{
				{ResourceTypeRef: ResourceTypeRef{SystemID: "bkflow", Type: "template"},
					Views: []View{{ID: "template", Chain: chain("bkflow", "space", "template"), IgnoreIAMPath: ignore}}},
				{ResourceTypeRef: bkflowTask(), Views: bkflowTaskViews(!ignore)},
			},
		} {
			c, err := r.Translate(related)
			if err != nil || !valid {
				continue
			}
			checkCondition(t, c)
		}
	})
}

// FuzzTranslateGroups decodes SaaS resource groups and translates them;
// nothing may panic, and what translates must parse back to the same
// bytes. Seeds: testdata/fuzz/FuzzTranslateGroups.
func FuzzTranslateGroups(f *testing.F) {
	f.Add([]byte(`[{"related_resource_types":[{"system_id":"bkflow","type":"task","condition":[{"instances":[{"type":"space","path":[[{"type":"space","id":"1","name":"s"}]]}],"attributes":[]}]}],"environments":[]}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var groups []ResourceGroup
		if err := json.Unmarshal(body, &groups); err != nil {
			return
		}
		for i := range groups {
			for j := range groups[i].RelatedResourceTypes {
				rrt := &groups[i].RelatedResourceTypes[j]
				for k := range rrt.Condition {
					for l := range rrt.Condition[k].Instances {
						in := &rrt.Condition[k].Instances[l]
						in.Paths = IgnorePath(ResourceTypeRef{SystemID: rrt.SystemID, Type: rrt.Type}, bkflowTaskViews(true), in.Paths)
					}
				}
			}
		}
		out, err := TranslateGroups("bkflow", groups)
		if err != nil {
			return
		}
		if len(groups) == 0 {
			if string(out) != "[]" {
				t.Fatalf("no groups gave %s", out)
			}
			return
		}
		c, err := ParseCondition(out)
		if err != nil {
			t.Fatalf("%s does not parse: %v", out, err)
		}
		if again := js(t, c); again != string(out) {
			t.Fatalf("%s parsed and marshalled to %s", out, again)
		}
	})
}

// FuzzParseCondition parses stored conditions; nothing may panic, and a
// parsed condition marshals to bytes that parse to the same bytes again.
// Seeds: testdata/fuzz/FuzzParseCondition.
func FuzzParseCondition(f *testing.F) {
	f.Add([]byte(`{"OR":{"content":[{"StringEquals":{"bkflow.task.id":["1",2,true]}},{"Any":{"":[]}}]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := ParseCondition(body)
		if err != nil {
			return
		}
		b, err := c.MarshalJSON()
		if err != nil {
			// Only a number Python could not print round-trips badly.
			return
		}
		checkCondition(t, c)
		c2, err := ParseCondition(b)
		if err != nil {
			t.Fatalf("%s does not parse: %v", b, err)
		}
		if again := js(t, c2); again != string(b) {
			t.Fatalf("%s parsed and marshalled to %s", b, again)
		}
	})
}

// checkCondition checks a marshallable condition's invariants.
func checkCondition(t *testing.T, c Condition) {
	t.Helper()
	b := js(t, c)
	back, err := ParseCondition([]byte(b))
	if err != nil {
		t.Fatalf("%s does not parse: %v", b, err)
	}
	if s := js(t, back); s != b {
		t.Fatalf("%s parsed and marshalled to %s", b, s)
	}
	if len(branches(c)) == 0 {
		return // an empty OR grants nothing, and merges to nothing
	}
	merged := Merge(Condition{}, c)
	if merged.IsZero() {
		t.Fatalf("merging %s into nothing gave nothing", b)
	}
	twice := Merge(merged, c)
	if js(t, twice) != js(t, merged) {
		t.Fatalf("merging %s twice changed it: %s", b, js(t, twice))
	}
	if left, ok := Remove(twice, c); ok {
		t.Fatalf("revoking %s from itself left %s", b, js(t, left))
	}
}
