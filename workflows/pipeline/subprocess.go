package pipeline

import "slices"

// SubprocessPluginCode is the component that runs a subprocess as an
// independent child task in BKFlow task trees.
const (
	SubprocessPluginCode    = "subprocess_plugin"
	SubprocessPluginVersion = "1.0.0"
)

// subprocessKeptFields are copied as they are from a SubProcess node to the
// subprocess_plugin node replacing it (BKFlow's REMAIN_FIELDS).
func subprocessKeptField(f string) bool {
	switch f {
	case "id", "name", "optional", "outgoing", "stage_name", "labels", "incoming",
		"original_template_id", "original_template_version", "error_ignorable", "skippable",
		"retryable", "timeout_config", "auto_retry", "template_node_id", "loop_config":
		return true
	}
	return false
}

// subprocessMovedField are moved into the plugin's subprocess input
// (BKFlow's CONVERT_FIELDS).
func subprocessMovedField(f string) bool {
	switch f {
	case "template_id", "version", "always_use_latest", "constants":
		return true
	}
	return false
}

// ConvertSubprocesses replaces every SubProcess activity of a web tree with a
// ServiceActivity running subprocess_plugin 1.0.0, as BKFlow does when it
// creates a task (PipelineTreeSubprocessConverter): the node keeps its id,
// name, flows and options; template_id, version, always_use_latest and
// constants go into component.data.subprocess.value with subprocess_name (the
// node's name); any other field (an embedded pipeline included) is dropped.
// Defaults are BKFlow's, including its auto_retry/timeout_config default
// spelled with "enabled" (which reads as disabled). The converted nodes'
// canvas locations of type "subflow" become "tasknode". It returns the ids of the converted nodes,
// sorted.
func ConvertSubprocesses(t Tree) []string {
	return convertSubprocesses(t, func(map[string]any) bool { return true })
}

// ConvertTemplateSubprocesses is ConvertSubprocesses for the SubProcess
// nodes that name a template (a non-empty template_id). Nodes that only
// embed their pipeline are left as they are: the engine runs those as child
// tasks of their own.
func ConvertTemplateSubprocesses(t Tree) []string {
	return convertSubprocesses(t, func(a map[string]any) bool {
		v, ok := a["template_id"]
		return ok && v != nil && v != ""
	})
}

func convertSubprocesses(t Tree, want func(map[string]any) bool) []string {
	var converted []string
	acts := objectAt(t, "activities")
	for _, id := range sortedKeys(acts) {
		a := asObject(acts[id])
		if a == nil || stringAt(a, "type") != TypeSubProcess || !want(a) {
			continue
		}
		acts[id] = convertSubprocess(a)
		converted = append(converted, id)
	}
	for _, l := range asList(t["location"]) {
		if lm := asObject(l); lm != nil && lm["type"] == "subflow" && slices.Contains(converted, stringAt(lm, "id")) {
			lm["type"] = "tasknode"
		}
	}
	slices.Sort(converted)
	return converted
}

func convertSubprocess(a map[string]any) map[string]any {
	value := map[string]any{}
	node := map[string]any{
		"error_ignorable": false,
		"auto_retry":      map[string]any{"enabled": false, "interval": jsonInt(0), "times": jsonInt(1)},
		"timeout_config":  map[string]any{"enabled": false, "seconds": jsonInt(10), "action": TimeoutForcedFail},
		"skippable":       true,
		"retryable":       true,
		"type":            TypeActivity,
		"component": map[string]any{
			"code":    SubprocessPluginCode,
			"version": SubprocessPluginVersion,
			"data": map[string]any{
				"subprocess": map[string]any{"hook": false, "need_render": false, "value": value},
			},
		},
		"loop_config": map[string]any{},
	}
	for f, v := range a {
		switch {
		case subprocessMovedField(f):
			value[f] = v
		case subprocessKeptField(f):
			node[f] = v
		}
	}
	value["subprocess_name"] = a["name"]
	return node
}
