package grant_test

import (
	"encoding/json"
	"fmt"

	"github.com/bkflow/bkflow/policy/grant"
)

// A path grant through the open authorization API, merged into the
// subject's existing policy and then partly revoked.
func Example() {
	body := `{"asynchronous": false, "operate": "grant", "system": "bkflow",
	  "action": {"id": "task_view"}, "subject": {"type": "user", "id": "carol"},
	  "resources": [{"system": "bkflow", "type": "task",
	    "path": [{"type": "space", "id": "1", "name": "ops"}, {"type": "task", "id": "7", "name": "deploy"}]}]}`
	var req grant.Request
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		fmt.Println(err)
		return
	}
	req.Kind = grant.KindPath // from the URL
	if err := req.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	// task_view's one resource type and its views, from the model.
	chain := func(types ...string) []grant.TypeRef {
		var out []grant.TypeRef
		for _, t := range types {
			out = append(out, grant.TypeRef{SystemID: "bkflow", ID: t})
		}
		return out
	}
	related := []grant.RelatedType{{
		ResourceTypeRef: grant.ResourceTypeRef{SystemID: "bkflow", Type: "task"},
		Views: []grant.View{
			{ID: "task", Chain: chain("space", "task")},
			{ID: "task_by_template", Chain: chain("space", "template", "task")},
		},
	}}
	add, err := req.Translate(related)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("grant:   ", add)

	existing, err := grant.ParseCondition([]byte(`{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,2/"]}}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	policy := grant.Merge(existing, add)
	fmt.Println("merged:  ", policy)

	policy, ok := grant.Remove(policy, existing)
	fmt.Println("revoked: ", policy, ok)
	// Output:
	// grant:    {"AND":{"content":[{"StringEquals":{"bkflow.task.id":["7"]}},{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}}]}}
	// merged:   {"OR":{"content":[{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,2/"]}},{"AND":{"content":[{"StringEquals":{"bkflow.task.id":["7"]}},{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}}]}}]}}
	// revoked:  {"AND":{"content":[{"StringEquals":{"bkflow.task.id":["7"]}},{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,1/"]}}]}} true
}

// A SaaS policy's resource groups, with ignore_iam_path applied first.
func ExampleTranslateGroups() {
	task := grant.ResourceTypeRef{SystemID: "bkflow", Type: "task"}
	views := []grant.View{{ID: "task", IgnoreIAMPath: true,
		Chain: []grant.TypeRef{{SystemID: "bkflow", ID: "space"}, {SystemID: "bkflow", ID: "task"}}}}
	picked := [][]grant.Node{
		{{SystemID: "bkflow", Type: "space", ID: "1"}, {SystemID: "bkflow", Type: "task", ID: "7"}},
		{{SystemID: "bkflow", Type: "space", ID: "2"}},
	}
	groups := []grant.ResourceGroup{{RelatedResourceTypes: []grant.RelatedResourceType{{
		SystemID: "bkflow", Type: "task",
		Condition: []grant.ConditionItem{{Instances: []grant.Instance{{Type: "task", Paths: grant.IgnorePath(task, views, picked)}}}},
	}}}}
	expr, err := grant.TranslateGroups("bkflow", groups)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(expr))
	// Output:
	// {"OR":{"content":[{"StringEquals":{"bkflow.task.id":["7"]}},{"StringPrefix":{"bkflow.task._bk_iam_path_":["/space,2/"]}}]}}
}
