package spaceconfig

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// The JSON-shaped rules are JSON Schema (draft 2020-12) documents. Besides
// the standard keywords they may carry "x-errors": {"<keyword>": "<reason>"}
// to replace the generic reason for a failed keyword of that schema. They
// avoid "propertyNames": jsonschema v6.0.3 reports its errors at an aliased
// (wrong) instance location; key patterns are written as patternProperties
// plus "additionalProperties": false instead.
//
//go:embed schemas/*.json
var schemaFiles embed.FS

// maxIssues caps how many problems one reason lists.
const maxIssues = 10

// jsonSchema is one compiled schema with its source document, which is
// consulted to word error messages.
type jsonSchema struct {
	schema *jsonschema.Schema
	url    string
	doc    any
}

// compileSchemas compiles schemas/<key>.json for each key; the API gateway
// URL format checks URLs against opts.
func compileSchemas(opts Options, keys ...string) (map[string]*jsonSchema, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.RegisterFormat(&jsonschema.Format{Name: apigwFormat, Validate: func(v any) error {
		s, ok := v.(string)
		if !ok {
			return nil // the "type" keyword reports non-strings
		}
		return opts.checkAPIGWURL(s)
	}})
	out := make(map[string]*jsonSchema, len(keys))
	for _, key := range keys {
		raw, err := schemaFiles.ReadFile("schemas/" + key + ".json")
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("schema %s: %w", key, err)
		}
		u := "mem:///" + key + ".json"
		if err := c.AddResource(u, doc); err != nil {
			return nil, fmt.Errorf("schema %s: %w", key, err)
		}
		sch, err := c.Compile(u)
		if err != nil {
			return nil, fmt.Errorf("schema %s: %w", key, err)
		}
		out[key] = &jsonSchema{schema: sch, url: u, doc: doc}
	}
	return out, nil
}

// check validates v and returns "" or one reason naming every problem.
func (s *jsonSchema) check(v any) string {
	err := s.schema.Validate(v)
	if err == nil {
		return ""
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err.Error()
	}
	var issues []issue
	s.collect(ve, v, &issues)
	return joinIssues(issues)
}

// collect turns the leaves of a jsonschema error tree into issues.
func (s *jsonSchema) collect(e *jsonschema.ValidationError, root any, out *[]issue) {
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			s.collect(c, root, out)
		}
		return
	}
	path, value := locate(root, e.InstanceLocation)
	override := s.override(e)
	add := func(p []pathElem, msg string) {
		*out = append(*out, issue{path: p, msg: msg})
	}
	mustBe := func(generic string) string {
		if override != "" {
			return override + ", got " + brief(value)
		}
		return generic + ", got " + brief(value)
	}
	switch k := e.ErrorKind.(type) {
	case *kind.Type:
		add(path, mustBe("must be "+typesPhrase(k.Want)))
	case *kind.Required:
		for _, m := range k.Missing {
			add(child(path, m), "missing")
		}
	case *kind.Enum:
		add(path, mustBe(oneOf(k.Want)))
	case *kind.Const:
		add(path, mustBe(oneOf([]any{k.Want})))
	case *kind.AdditionalProperties:
		msg := override
		if msg == "" {
			msg = "unknown key; allowed keys: " + s.allowedKeys(e)
		}
		for _, p := range k.Properties {
			add(child(path, p), msg)
		}
	case *kind.MinLength:
		add(path, mustBe(fmt.Sprintf("must be at least %d characters long", k.Want)))
	case *kind.Pattern:
		add(path, mustBe("must match "+k.Want))
	case *kind.Format:
		add(path, fmt.Sprintf("%v, got %s", k.Err, brief(value)))
	default:
		add(path, k.LocalizedString(message.NewPrinter(language.English)))
	}
}

// node returns the schema object an error was raised by.
func (s *jsonSchema) node(e *jsonschema.ValidationError) map[string]any {
	base, frag, _ := strings.Cut(e.SchemaURL, "#")
	if base != s.url {
		return nil
	}
	cur := s.doc
	for _, tok := range strings.Split(frag, "/")[1:] {
		if t, err := url.PathUnescape(tok); err == nil {
			tok = t
		}
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[tok]
	}
	m, _ := cur.(map[string]any)
	return m
}

// override returns the x-errors reason for the failed keyword, if any.
func (s *jsonSchema) override(e *jsonschema.ValidationError) string {
	kw := e.ErrorKind.KeywordPath()
	if len(kw) == 0 {
		return ""
	}
	xe, _ := s.node(e)["x-errors"].(map[string]any)
	msg, _ := xe[kw[0]].(string)
	return msg
}

// allowedKeys lists the "properties" of the schema that refused a key.
func (s *jsonSchema) allowedKeys(e *jsonschema.ValidationError) string {
	props, _ := s.node(e)["properties"].(map[string]any)
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

// typesPhrase words JSON schema type names: "a string or null".
func typesPhrase(types []string) string {
	types = slices.Clone(types)
	sort.SliceStable(types, func(i, j int) bool { return types[j] == "null" && types[i] != "null" })
	words := make([]string, len(types))
	for i, t := range types {
		switch t {
		case "object", "array", "integer":
			words[i] = "an " + t
		case "null":
			words[i] = "null"
		default:
			words[i] = "a " + t
		}
	}
	return orList(words)
}

// oneOf words an enum: `must be "a"`, `must be "a" or "b"`,
// `must be one of "a", "b" or "c"`.
func oneOf(want []any) string {
	items := make([]string, len(want))
	for i, w := range want {
		items[i] = compactJSON(w)
	}
	if len(items) > 2 {
		return "must be one of " + orList(items)
	}
	return "must be " + orList(items)
}

// pathElem is one step of a path inside a config value.
type pathElem struct {
	key     string
	index   int
	isIndex bool
}

// issue is one problem at a path inside a config value.
type issue struct {
	path []pathElem
	msg  string
}

func child(path []pathElem, key string) []pathElem {
	return append(append([]pathElem(nil), path...), pathElem{key: key})
}

// locate follows a jsonschema instance location through v, returning the
// path (telling array indexes from object keys) and the value found there.
func locate(v any, tokens []string) ([]pathElem, any) {
	path := make([]pathElem, 0, len(tokens))
	for _, tok := range tokens {
		switch c := v.(type) {
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return append(path, pathElem{key: tok}), nil
			}
			path = append(path, pathElem{index: i, isIndex: true})
			v = c[i]
		case map[string]any:
			path = append(path, pathElem{key: tok})
			v = c[tok]
		default:
			return append(path, pathElem{key: tok}), nil
		}
	}
	return path, v
}

// renderPath writes a path as api.my_key.meta_apis, plugin_codes[2] or
// headers["X Odd.Key"].
func renderPath(path []pathElem) string {
	var b strings.Builder
	for _, p := range path {
		switch {
		case p.isIndex:
			b.WriteString("[" + strconv.Itoa(p.index) + "]")
		case isPlainKey(p.key):
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(p.key)
		default:
			b.WriteString("[" + jsonString(p.key) + "]")
		}
	}
	return b.String()
}

// isPlainKey tells keys that read unambiguously after a '.'.
func isPlainKey(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if !(r == '_' || r == '-' || r == '$' || r == '{' || r == '}' ||
			(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')) {
			return false
		}
	}
	return true
}

// comparePaths orders paths element by element, indexes numerically.
func comparePaths(a, b []pathElem) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := a[i], b[i]
		switch {
		case x.isIndex && y.isIndex:
			if x.index != y.index {
				return x.index - y.index
			}
		case x.isIndex != y.isIndex:
			if x.isIndex {
				return -1
			}
			return 1
		case x.key != y.key:
			return strings.Compare(x.key, y.key)
		}
	}
	return len(a) - len(b)
}

// joinIssues sorts issues by path, drops duplicates and joins at most
// maxIssues of them with "; ".
func joinIssues(issues []issue) string {
	sort.SliceStable(issues, func(i, j int) bool {
		if c := comparePaths(issues[i].path, issues[j].path); c != 0 {
			return c < 0
		}
		return issues[i].msg < issues[j].msg
	})
	var parts []string
	seen := make(map[string]bool, len(issues))
	for _, is := range issues {
		text := is.msg
		if p := renderPath(is.path); p != "" {
			text = p + ": " + is.msg
		}
		if !seen[text] {
			seen[text] = true
			parts = append(parts, text)
		}
	}
	if len(parts) > maxIssues {
		more := len(parts) - maxIssues
		parts = append(parts[:maxIssues], fmt.Sprintf("and %d more problem(s)", more))
	}
	return strings.Join(parts, "; ")
}

// toJSONValue returns v if it only holds decoded-JSON types (string,
// json.Number, bool, nil, []any, map[string]any); any other Go value is
// passed through encoding/json so that it does.
func toJSONValue(v any) (any, error) {
	if isJSONValue(v) {
		return v, nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	return out, nil
}

func isJSONValue(v any) bool {
	switch v := v.(type) {
	case nil, string, bool, json.Number:
		return true
	case []any:
		for _, e := range v {
			if !isJSONValue(e) {
				return false
			}
		}
		return true
	case map[string]any:
		for _, e := range v {
			if !isJSONValue(e) {
				return false
			}
		}
		return true
	}
	return false
}
