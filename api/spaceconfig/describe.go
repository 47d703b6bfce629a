package spaceconfig

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// briefRunes is how much of a bad value a reason echoes.
const briefRunes = 40

// brief renders a decoded JSON value for an error message: strings quoted,
// other values as compact JSON followed by their kind, both shortened.
func brief(v any) string {
	switch v := v.(type) {
	case string:
		return quoteBrief(v)
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(v) + " (a boolean)"
	case json.Number:
		return shorten(v.String()) + " (a number)"
	case []any:
		return shorten(compactJSON(v)) + " (an array)"
	case map[string]any:
		return shorten(compactJSON(v)) + " (an object)"
	default:
		return shorten(compactJSON(v)) + " (" + jsonKind(v) + ")"
	}
}

// quoteBrief quotes s as a JSON string, shortened to briefRunes runes.
func quoteBrief(s string) string {
	if utf8.RuneCountInString(s) <= briefRunes {
		return jsonString(s)
	}
	r := []rune(s)
	q := jsonString(string(r[:briefRunes]))
	return q[:len(q)-1] + `..."`
}

func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes (invalid UTF-8 becomes U+FFFD)
	return strings.TrimSuffix(b.String(), "\n")
}

func compactJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprintf("%v", v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func shorten(s string) string {
	if utf8.RuneCountInString(s) <= briefRunes {
		return s
	}
	return string([]rune(s)[:briefRunes]) + "..."
}

// jsonKind names the JSON type of a decoded value, with an article.
func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number, float64, float32, int, int64, int32, uint, uint64, uint32:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("a %T", v)
}

// orList joins quoted choices as `"a"`, `"a" or "b"`, `"a", "b" or "c"`.
func orList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}
