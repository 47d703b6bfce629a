package api

import "strconv"

// bkflow's IAM topology (policy/model/bkflow.json): the instance views are
// space → [space], template → [space, template], task → [space, task] and
// task_by_template → [space, template, task]. An instance's _bk_iam_path_
// holds, for every view it appears in, the chain of its ancestors in that
// view (iam.md §3.1), so:
//
//	space    []
//	template ["/space,S/"]
//	task     ["/space,S/", "/space,S/template,T/"] (["/space,S/"] without a template)
//
// These helpers are the one place that spells the paths out; the iam_path
// column of tasks and templates (migration 00009) stores the longest one,
// which every other path of the instance is a prefix of.

// spaceIAMPaths is a space's _bk_iam_path_: spaces are roots.
func spaceIAMPaths() []string { return []string{} }

// templateIAMPaths is a template's _bk_iam_path_.
func templateIAMPaths(spaceID int64) []string {
	return []string{spacePathNode(spaceID)}
}

// taskIAMPaths is a task's _bk_iam_path_; templateID is nil for a task
// created without a template.
func taskIAMPaths(spaceID int64, templateID *int64) []string {
	paths := []string{spacePathNode(spaceID)}
	if templateID != nil {
		paths = append(paths, spacePathNode(spaceID)+"template,"+strconv.FormatInt(*templateID, 10)+"/")
	}
	return paths
}

func spacePathNode(spaceID int64) string {
	return "/space," + strconv.FormatInt(spaceID, 10) + "/"
}
