// Package grant turns what a user picked in BlueKing IAM's instance views
// into stored policy conditions, by the SaaS translator's rules
// (ResourceExpressionTranslator; iam.md §3.4), and reads the open
// authorization API's grant and revoke requests (§3.5, §4.9).
//
// # Selections to conditions
//
// A policy's selection is a list of ResourceGroup values, each holding a
// RelatedResourceType per resource type of the action. Translation runs:
//
//   - Step 0, IgnorePath: with the action's views for the resource type, a
//     leaf picked through the full chain of a view that sets
//     ignore_iam_path is reduced to the leaf alone;
//   - Steps 1-3, TranslateResourceType: ids, _bk_iam_path_ prefixes and
//     ids under a prefix, attribute tests, condition items OR-ed;
//   - Step 4, TranslateGroup and TranslateGroups: AND per group with the
//     environment conditions, OR over groups, "[]" for none.
//
// Condition is a stored condition; its MarshalJSON writes the bytes the
// SaaS writes (Python's compact json.dumps), and ParseCondition reads one.
// It is the one reading of the stored format: the policy engine parses the
// conditions it evaluates with it too.
//
// # Open authorization requests
//
// A Request is the body of /api/v1/open/authorization/{instance,
// batch_instance,path,batch_path}/. The caller sets Request.Kind from the
// URL, calls Validate, checks expired_at against its clock, and for each
// action calls Translate with the action's related resource types and
// their views. Translate is Selections → CheckPaths → IgnorePath →
// TranslateResourceType, giving one stored condition per (subject,
// action).
//
// # Merging into an existing policy
//
// A subject holds at most one policy per action. BlueKing's effective
// permission is the OR over a subject's policies, and a grant adds to the
// policy the subject already has: the result is the OR of the existing
// condition and the new one. (The SaaS does this on the selection it keeps
// beside each policy, adding the new paths to it and translating the
// whole again, so its stored text can differ from Merge's; what it allows
// is the same.) So, per (subject, action):
//
//	add, err := req.Translate(related)
//	if no policy exists:      store add
//	else on grant:            store Merge(existing, add)
//	else on revoke:           next, ok := Remove(existing, add)
//	                          store next if ok, else delete the policy
//
// Merge flattens a top-level OR and drops exact duplicates, so granting the
// same thing twice changes nothing. Remove takes out matching OR branches
// and ids (or prefixes) from matching lists; it cannot carve an exception
// out of a broader grant, since stored conditions have no negation.
package grant
