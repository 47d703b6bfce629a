package expr

import (
	"encoding/json"
	"errors"
	"strings"
)

// kinds are the sentinel errors a RenderError can wrap.
var kinds = []error{ErrSyntax, ErrUndefined, ErrForbidden, ErrStepLimit, ErrMemoryLimit, ErrCycle, ErrLazyValue, ErrEval}

// kindOf names the sentinel an error wraps ("" for nil).
func kindOf(err error) string {
	if err == nil {
		return ""
	}
	for _, k := range kinds {
		if errors.Is(err, k) {
			return k.Error()
		}
	}
	return "unclassified: " + err.Error()
}

// errSummary is "template => kind" per render error, for table tests.
func errSummary(errs []RenderError) []string {
	out := []string{}
	for _, e := range errs {
		s := e.Template + " => " + kindOf(e.Err)
		if e.Var != "" {
			s = e.Var + ": " + s
		}
		out = append(out, s)
	}
	return out
}

// mustJSON decodes JSON test data with numbers as json.Number.
func mustJSON(s string) any {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		panic(err)
	}
	return v
}

func obj(s string) map[string]any { return mustJSON(s).(map[string]any) }
