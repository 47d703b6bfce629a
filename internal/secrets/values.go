package secrets

import "strings"

// SealValue returns a copy of the JSON-like value v (maps, slices, strings,
// numbers, booleans) with every string sealed. Object keys, numbers and
// booleans stay as they are, so expressions can still walk the structure
// (${_system.credentials.name.bk_app_secret}) and get a token.
func (s *Sealer) SealValue(v any) (any, error) {
	return walk(v, func(str string) (string, error) { return s.Seal(str) })
}

// OpenValue returns a copy of v with every token inside its strings opened.
func (s *Sealer) OpenValue(v any) (any, error) {
	return walk(v, s.OpenString)
}

// MaskValue returns a copy of v with every token inside its strings masked.
func MaskValue(v any) any {
	out, _ := walk(v, func(str string) (string, error) { return MaskString(str), nil })
	return out
}

// ContainsSealed reports whether any string inside v holds a token.
func ContainsSealed(v any) bool {
	found := false
	_, _ = walk(v, func(str string) (string, error) {
		found = found || IsSealed(str)
		return str, nil
	})
	return found
}

func walk(v any, f func(string) (string, error)) (any, error) {
	switch t := v.(type) {
	case string:
		return f(t)
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			w, err := walk(e, f)
			if err != nil {
				return nil, err
			}
			out[k] = w
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			w, err := walk(e, f)
			if err != nil {
				return nil, err
			}
			out[i] = w
		}
		return out, nil
	case map[string]string:
		out := make(map[string]string, len(t))
		for k, e := range t {
			w, err := f(e)
			if err != nil {
				return nil, err
			}
			out[k] = w
		}
		return out, nil
	case []string:
		out := make([]string, len(t))
		for i, e := range t {
			w, err := f(e)
			if err != nil {
				return nil, err
			}
			out[i] = w
		}
		return out, nil
	default:
		return v, nil
	}
}

// Opened remembers the plain texts opened for one component call, so that
// they can be scrubbed from what the call returns before it is recorded.
type Opened struct {
	plains []string
}

// minScrubLen keeps trivial values ("1", "ok") from being scrubbed out of
// unrelated text.
const minScrubLen = 4

// OpenValueInto is OpenValue that also records the opened plain texts in o.
func (s *Sealer) OpenValueInto(v any, o *Opened) (any, error) {
	return walk(v, func(str string) (string, error) {
		if !IsSealed(str) {
			return str, nil
		}
		for _, m := range tokenPattern.FindAllStringSubmatch(str, -1) {
			plain, err := s.open(m[1], m[2])
			if err != nil {
				return "", err
			}
			if len(plain) >= minScrubLen {
				o.plains = append(o.plains, plain)
			}
		}
		return s.OpenString(str)
	})
}

// ScrubString replaces every recorded plain text inside str by Mask.
func (o *Opened) ScrubString(str string) string {
	if o == nil {
		return str
	}
	for _, p := range o.plains {
		str = strings.ReplaceAll(str, p, Mask)
	}
	return str
}

// Scrub returns a copy of v with every recorded plain text masked.
func (o *Opened) Scrub(v any) any {
	if o == nil || len(o.plains) == 0 {
		return v
	}
	out, _ := walk(v, func(str string) (string, error) { return o.ScrubString(str), nil })
	return out
}

// Empty reports whether nothing was opened.
func (o *Opened) Empty() bool { return o == nil || len(o.plains) == 0 }
