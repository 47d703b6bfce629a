package grant

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file writes JSON the way the SaaS stores expressions: Python's
// json.dumps(obj, separators=(",", ":")) with its default ensure_ascii=True.
// Strings escape '"', '\\', the five short control escapes, and every other
// rune outside ' '..'~' as \uXXXX (lower-case hex, surrogate pairs above
// U+FFFF). Integers print as Python ints, floats as Python's repr.

const hexDigits = "0123456789abcdef"

// appendPyString appends s as a Python json.dumps string literal. Invalid
// UTF-8 bytes are written as U+FFFD.
func appendPyString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= ' ' && c <= '~' && c != '"' && c != '\\' {
			b = append(b, c)
			i++
			continue
		}
		if e := shortEscape(c); e != 0 {
			b = append(b, '\\', e)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r >= 0x10000 {
			r -= 0x10000
			b = appendU4(b, 0xd800|(r>>10)&0x3ff)
			b = appendU4(b, 0xdc00|r&0x3ff)
			continue
		}
		b = appendU4(b, r)
	}
	return append(b, '"')
}

// shortEscape is the letter of c's two-character escape (\" \\ \n \r
// \t \b \f), or 0 when c has none.
func shortEscape(c byte) byte {
	switch c {
	case '"', '\\':
		return c
	case '\n':
		return 'n'
	case '\r':
		return 'r'
	case '\t':
		return 't'
	case '\b':
		return 'b'
	case '\f':
		return 'f'
	}
	return 0
}

func appendU4(b []byte, r rune) []byte {
	return append(b, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}

// appendPyValue appends one stored-condition value: a string, a bool, a
// json.Number (an integer literal prints as a Python int, any other as a
// Python float), a Go integer, or a Go float (as a Python float: 1 prints
// "1.0").
func appendPyValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case string:
		return appendPyString(b, x), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case json.Number:
		return appendPyNumber(b, x)
	case float32:
		return appendPyFloat(b, float64(x))
	case float64:
		return appendPyFloat(b, x)
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(b, rv.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.AppendUint(b, rv.Uint(), 10), nil
	}
	return b, fmt.Errorf("value %v of type %T is not a string, number or boolean", v, v)
}

// appendPyNumber writes a JSON number literal as Python re-dumps what
// json.loads made of it: an integer literal stays an int ("-0" becomes
// "0"), anything with a fraction or exponent becomes a float.
func appendPyNumber(b []byte, n json.Number) ([]byte, error) {
	s := string(n)
	if !isJSONNumber(s) {
		return b, fmt.Errorf("%q is not a JSON number", s)
	}
	if !strings.ContainsAny(s, ".eE") {
		if s == "-0" {
			s = "0"
		}
		return append(b, s...), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return b, fmt.Errorf("number %s is out of range", s)
	}
	return appendPyFloat(b, f)
}

// appendPyFloat writes f as Python's repr(float): the shortest digits that
// read back to f, in positional notation with at least one decimal when
// the decimal exponent is in (-4, 16], otherwise as d.ddde±XX.
func appendPyFloat(b []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, errors.New("a stored value cannot be infinite or NaN")
	}
	if f == 0 {
		if math.Signbit(f) {
			return append(b, "-0.0"...), nil
		}
		return append(b, "0.0"...), nil
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // [-]d[.ddd]e±XX
	if s[0] == '-' {
		b = append(b, '-')
		s = s[1:]
	}
	mant, exp, _ := strings.Cut(s, "e")
	e, _ := strconv.Atoi(exp)
	digits := strings.Replace(mant, ".", "", 1)
	decpt := e + 1 // the value is 0.DIGITS × 10^decpt
	switch {
	case decpt <= -4 || decpt > 16:
		b = append(b, digits[0])
		if len(digits) > 1 {
			b = append(b, '.')
			b = append(b, digits[1:]...)
		}
		b = append(b, 'e')
		if e < 0 {
			b = append(b, '-')
			e = -e
		} else {
			b = append(b, '+')
		}
		if e < 10 {
			b = append(b, '0')
		}
		b = strconv.AppendInt(b, int64(e), 10)
	case decpt <= 0:
		b = append(b, "0."...)
		b = append(b, strings.Repeat("0", -decpt)...)
		b = append(b, digits...)
	case decpt >= len(digits):
		b = append(b, digits...)
		b = append(b, strings.Repeat("0", decpt-len(digits))...)
		b = append(b, ".0"...)
	default:
		b = append(b, digits[:decpt]...)
		b = append(b, '.')
		b = append(b, digits[decpt:]...)
	}
	return b, nil
}

// isJSONNumber reports whether s is a number literal by the JSON grammar.
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	return i == len(s)
}
