package pipeline

import "strings"

// NameMaxLength is the longest node or constant name, in characters.
const NameMaxLength = 50

// StandardizeName removes the characters < > $ & ' " from a name and
// truncates it to NameMaxLength characters (BKFlow's standardize_name).
func StandardizeName(name string) string {
	name = strings.Map(func(r rune) rune {
		switch r {
		case '<', '>', '$', '&', '\'', '"':
			return -1
		}
		return r
	}, name)
	n := 0
	for i := range name {
		if n == NameMaxLength {
			return name[:i]
		}
		n++
	}
	return name
}

// StandardizeNames standardises, in place, the string "name" of every object
// one or two levels below the top of the tree: start_event and end_event,
// each activity, gateway, flow and constant, and each entry of the top-level
// lists (location). This is what BKFlow does before validating a tree it
// receives (standardize_pipeline_node_name); deeper names (conditions,
// embedded subprocess trees) are left alone.
func StandardizeNames(t Tree) {
	for _, v := range t {
		switch x := v.(type) {
		case map[string]any:
			for _, info := range x {
				if m, ok := info.(map[string]any); ok {
					standardizeNameField(m)
				}
			}
			standardizeNameField(x)
		case []any:
			for _, item := range x {
				if m, ok := item.(map[string]any); ok {
					standardizeNameField(m)
				}
			}
		}
	}
}

func standardizeNameField(m map[string]any) {
	if s, ok := m["name"].(string); ok {
		m["name"] = StandardizeName(s)
	}
}
