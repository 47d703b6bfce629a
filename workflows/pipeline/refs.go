package pipeline

import (
	"regexp"
	"slices"
	"unicode"
	"unicode/utf8"
)

// templatePattern finds "${...}" templates the way bamboo-engine does: no $,
// {, } or # inside.
var templatePattern = regexp.MustCompile(`\$\{[^${}#]+\}`)

// References returns the context keys ("${name}") the templates in a value
// refer to: every "${expr}" in its strings (walking lists and object
// values, not keys) contributes the names expr reads but does not bind.
// This approximates bamboo-engine's Template.get_reference, which asks Mako
// for the expression's undeclared identifiers: attribute names, names in
// string literals, keywords and names bound by comprehensions or lambdas are
// not references; builtins used as functions (int, str, ...) are. The result
// is sorted.
func References(v any) []string {
	seen := map[string]bool{}
	walkStrings(v, func(s string) {
		for _, tpl := range templatePattern.FindAllString(s, -1) {
			for _, name := range expressionNames(tpl[2 : len(tpl)-1]) {
				seen["${"+name+"}"] = true
			}
		}
	})
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// hasReference reports whether a value refers to any context key, which
// makes it a splice (rendered) rather than a plain value.
func hasReference(v any) bool {
	found := false
	walkStrings(v, func(s string) {
		if found {
			return
		}
		for _, tpl := range templatePattern.FindAllString(s, -1) {
			if len(expressionNames(tpl[2:len(tpl)-1])) > 0 {
				found = true
				return
			}
		}
	})
	return found
}

func walkStrings(v any, f func(string)) {
	switch x := v.(type) {
	case string:
		f(x)
	case []any:
		for _, e := range x {
			walkStrings(e, f)
		}
	case map[string]any:
		for _, e := range x {
			walkStrings(e, f)
		}
	}
}

// pythonKeywords are not identifiers (True, False and None included).
func isPythonKeyword(s string) bool {
	switch s {
	case "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
		"continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
		"if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise",
		"return", "try", "while", "with", "yield":
		return true
	}
	return false
}

// expressionNames lists, in order of first use, the free names of a Python
// expression: identifiers not after a dot, not inside string literals, not
// keywords, minus the names a comprehension ("for x in") or lambda binds.
func expressionNames(expr string) []string {
	var names, bound []string
	prevDot := false
	binding := "" // "for" while reading comprehension targets, "lambda" for parameters
	for i := 0; i < len(expr); {
		r, size := utf8.DecodeRuneInString(expr[i:])
		switch {
		case r == '\'' || r == '"':
			i = skipString(expr, i)
			prevDot = false
			continue
		case r == '.':
			prevDot = true
			i += size
			// a number like .5 is consumed here digit by digit below.
			continue
		case unicode.IsDigit(r):
			for i < len(expr) {
				r, size = utf8.DecodeRuneInString(expr[i:])
				if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '.') {
					break
				}
				i += size
			}
			prevDot = false
			continue
		case r == '_' || unicode.IsLetter(r):
			start := i
			for i < len(expr) {
				r, size = utf8.DecodeRuneInString(expr[i:])
				if !(r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)) {
					break
				}
				i += size
			}
			word := expr[start:i]
			// string prefixes: r'..', b"..", f'..', rb'..'
			if i < len(expr) && (expr[i] == '\'' || expr[i] == '"') && isStringPrefix(word) {
				i = skipString(expr, i)
				prevDot = false
				continue
			}
			switch {
			case prevDot:
			case word == "for":
				binding = "for"
			case word == "lambda":
				binding = "lambda"
			case word == "in" && binding == "for":
				binding = ""
			case isPythonKeyword(word):
			case binding != "":
				bound = append(bound, word)
			default:
				if !slices.Contains(names, word) {
					names = append(names, word)
				}
			}
			prevDot = false
			continue
		case r == ':' && binding == "lambda":
			binding = ""
		}
		if !unicode.IsSpace(r) {
			prevDot = false
		}
		i += size
	}
	return slices.DeleteFunc(names, func(n string) bool { return slices.Contains(bound, n) })
}

func isStringPrefix(w string) bool {
	switch len(w) {
	case 1, 2:
		for _, c := range w {
			switch c {
			case 'r', 'R', 'b', 'B', 'u', 'U', 'f', 'F':
			default:
				return false
			}
		}
		return true
	}
	return false
}

// skipString returns the index after the string literal starting at i
// (a quote), or len(expr) when it is not closed.
func skipString(expr string, i int) int {
	q := expr[i]
	if i+2 < len(expr) && expr[i+1] == q && expr[i+2] == q {
		for j := i + 3; j+2 < len(expr); j++ {
			if expr[j] == '\\' {
				j++
				continue
			}
			if expr[j] == q && expr[j+1] == q && expr[j+2] == q {
				return j + 3
			}
		}
		return len(expr)
	}
	for j := i + 1; j < len(expr); j++ {
		switch expr[j] {
		case '\\':
			j++
		case q:
			return j + 1
		}
	}
	return len(expr)
}
