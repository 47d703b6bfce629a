package expr

import "sort"

// References returns the sorted, de-duplicated root identifiers referenced
// by the templates in v: the free variables of each expression
// (`${a.upper() + b}` → a, b; comprehension and lambda variables excluded;
// builtins such as int/str/len included, they are simply absent from
// contexts; `${_system.task_id}` → _system). Templates that do not parse
// contribute nothing, as in bamboo-engine.
func References(v any) []string {
	set := map[string]bool{}
	collectRefs(v, set)
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func collectRefs(v any, set map[string]bool) {
	switch x := v.(type) {
	case string:
		for _, loc := range findTemplates(x) {
			for _, name := range analyze(x[loc[0]+2 : loc[1]-1]).free {
				set[name] = true
			}
		}
	case []any:
		for _, e := range x {
			collectRefs(e, set)
		}
	case map[string]any:
		for _, e := range x {
			collectRefs(e, set)
		}
	}
}

// Templates returns the distinct `${...}` templates found in v, sorted.
func Templates(v any) []string {
	set := map[string]bool{}
	collectTemplates(v, set)
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func collectTemplates(v any, set map[string]bool) {
	switch x := v.(type) {
	case string:
		for _, loc := range findTemplates(x) {
			set[x[loc[0]:loc[1]]] = true
		}
	case []any:
		for _, e := range x {
			collectTemplates(e, set)
		}
	case map[string]any:
		for _, e := range x {
			collectTemplates(e, set)
		}
	}
}
