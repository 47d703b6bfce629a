package spaceconfig

import (
	"sort"
	"strings"
)

// ValidationError reports every refused config key. Fields maps the key
// ("token_expiration", or an unknown key as sent) to a reason in English
// that says what was expected and echoes the bad value. Reasons about a
// place inside a JSON value start with its path ("api.my_key.meta_apis:
// missing"); several problems in one value are joined with "; ".
type ValidationError struct {
	Fields map[string]string
}

// Error lists the fields sorted by key: "invalid space config: k1: r1; k2: r2".
func (e *ValidationError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("invalid space config")
	for i, k := range keys {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(k)
		b.WriteString(": ")
		b.WriteString(e.Fields[k])
	}
	return b.String()
}
