package expr

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

// PyStr returns Python's str() of a JSON-like Go value (or a Starlark value):
// strings as they are, True/False/None, floats the way Python prints them,
// containers with Python's repr of their items, dicts in sorted-key order.
func PyStr(v any) string {
	w := pyWriter{}
	w.str(v)
	return w.b.String()
}

// PyRepr returns Python's repr() of v (strings quoted and escaped).
func PyRepr(v any) string {
	w := pyWriter{}
	w.repr(v)
	return w.b.String()
}

// pyWriter formats values like Python. With limit > 0 it stops, setting
// err, once the output grows beyond limit bytes.
type pyWriter struct {
	b     strings.Builder
	limit int
	err   error
	depth int
}

const maxReprDepth = 200

func (w *pyWriter) full() bool {
	if w.err != nil {
		return true
	}
	if w.limit > 0 && w.b.Len() > w.limit {
		w.err = newErr(ErrMemoryLimit, "the result is longer than %d bytes", w.limit)
		return true
	}
	return false
}

func (w *pyWriter) ws(s string) {
	if w.err != nil {
		return
	}
	if w.limit > 0 && w.b.Len()+len(s) > w.limit {
		w.err = newErr(ErrMemoryLimit, "the result is longer than %d bytes", w.limit)
		return
	}
	w.b.WriteString(s)
}

// str writes str(v).
func (w *pyWriter) str(v any) {
	switch x := v.(type) {
	case string:
		w.ws(x)
	case starlark.String:
		w.ws(string(x))
	default:
		w.repr(v)
	}
}

// repr writes repr(v).
func (w *pyWriter) repr(v any) {
	if w.full() {
		return
	}
	w.depth++
	defer func() { w.depth-- }()
	if w.depth > maxReprDepth {
		w.err = newErr(ErrEval, "maximum recursion depth exceeded while getting the repr of an object")
		return
	}
	switch x := v.(type) {
	case nil:
		w.ws("None")
	case bool:
		w.ws(pyBool(x))
	case string:
		w.ws(pyStrRepr(x))
	case json.Number:
		w.ws(pyNumberRepr(x))
	case float64:
		w.ws(pyFloatRepr(x))
	case float32:
		w.ws(pyFloatRepr(float64(x)))
	case int:
		w.ws(strconv.FormatInt(int64(x), 10))
	case int8:
		w.ws(strconv.FormatInt(int64(x), 10))
	case int16:
		w.ws(strconv.FormatInt(int64(x), 10))
	case int32:
		w.ws(strconv.FormatInt(int64(x), 10))
	case int64:
		w.ws(strconv.FormatInt(x, 10))
	case uint:
		w.ws(strconv.FormatUint(uint64(x), 10))
	case uint8:
		w.ws(strconv.FormatUint(uint64(x), 10))
	case uint16:
		w.ws(strconv.FormatUint(uint64(x), 10))
	case uint32:
		w.ws(strconv.FormatUint(uint64(x), 10))
	case uint64:
		w.ws(strconv.FormatUint(x, 10))
	case *big.Int:
		w.bigInt(x)
	case []any:
		w.ws("[")
		for i, e := range x {
			if i > 0 {
				w.ws(", ")
			}
			w.repr(e)
			if w.full() {
				return
			}
		}
		w.ws("]")
	case []string:
		w.ws("[")
		for i, e := range x {
			if i > 0 {
				w.ws(", ")
			}
			w.ws(pyStrRepr(e))
		}
		w.ws("]")
	case map[string]any:
		w.ws("{")
		for i, k := range sortedKeys(x) {
			if i > 0 {
				w.ws(", ")
			}
			w.ws(pyStrRepr(k))
			w.ws(": ")
			w.repr(x[k])
			if w.full() {
				return
			}
		}
		w.ws("}")
	case *System:
		w.system(x.Attrs)
	case *DataTable:
		w.ws(x.String())
	case starlark.Value:
		w.starlarkRepr(x)
	default:
		w.ws(goFallbackRepr(v))
	}
}

// bigInt writes an integer, refusing more than Python's 4300 digits.
func (w *pyWriter) bigInt(i *big.Int) {
	if i.BitLen() > maxIntDigits*3322/1000+1 {
		s := i.String()
		if len(strings.TrimPrefix(s, "-")) > maxIntDigits {
			w.err = newErr(ErrEval, "exceeds the limit (%d digits) for integer string conversion", maxIntDigits)
			return
		}
		w.ws(s)
		return
	}
	w.ws(i.String())
}

func (w *pyWriter) system(attrs map[string]any) {
	w.ws("<SystemObject: ")
	w.repr(attrs)
	w.ws(">")
}

func (w *pyWriter) starlarkRepr(v starlark.Value) {
	switch x := v.(type) {
	case starlark.NoneType:
		w.ws("None")
	case starlark.Bool:
		w.ws(pyBool(bool(x)))
	case starlark.Int:
		if i, ok := x.Int64(); ok {
			w.ws(strconv.FormatInt(i, 10))
		} else {
			w.bigInt(x.BigInt())
		}
	case starlark.Float:
		w.ws(pyFloatRepr(float64(x)))
	case starlark.String:
		w.ws(pyStrRepr(string(x)))
	case *starlark.List:
		w.ws("[")
		for i := 0; i < x.Len(); i++ {
			if i > 0 {
				w.ws(", ")
			}
			w.repr(x.Index(i))
			if w.full() {
				return
			}
		}
		w.ws("]")
	case starlark.Tuple:
		w.ws("(")
		for i, e := range x {
			if i > 0 {
				w.ws(", ")
			}
			w.repr(e)
			if w.full() {
				return
			}
		}
		if len(x) == 1 {
			w.ws(",")
		}
		w.ws(")")
	case *starlark.Dict:
		w.ws("{")
		for i, kv := range x.Items() {
			if i > 0 {
				w.ws(", ")
			}
			w.repr(kv[0])
			w.ws(": ")
			w.repr(kv[1])
			if w.full() {
				return
			}
		}
		w.ws("}")
	case *starlark.Set:
		if x.Len() == 0 {
			w.ws("set()")
			return
		}
		w.ws("{")
		it := x.Iterate()
		defer it.Done()
		var e starlark.Value
		for i := 0; it.Next(&e); i++ {
			if i > 0 {
				w.ws(", ")
			}
			w.repr(e)
			if w.full() {
				return
			}
		}
		w.ws("}")
	case *systemValue:
		w.system(x.sys.Attrs)
	case *dataTableValue:
		w.ws(x.table.String())
	case *dictView:
		w.ws("dict_" + x.kind + "(")
		w.repr(x.list())
		w.ws(")")
	case *starlark.Function:
		name := x.Name()
		if name == "lambda" {
			name = "<lambda>"
		}
		w.ws("<function " + name + ">")
	case *starlark.Builtin:
		if recv := x.Receiver(); recv != nil {
			w.ws("<built-in method " + x.Name() + " of " + pyTypeName(recv) + " object>")
		} else {
			w.ws("<built-in function " + x.Name() + ">")
		}
	case *starlarkstruct.Module:
		w.ws("<module '" + x.Name + "'>")
	default:
		if x.Type() == "range" {
			w.ws(pyRangeRepr(x.String()))
			return
		}
		w.ws(x.String())
	}
}

// pyTypeName is Python's type name for a Starlark value.
func pyTypeName(v starlark.Value) string {
	switch v.(type) {
	case starlark.String:
		return "str"
	case starlark.NoneType:
		return "NoneType"
	case *starlark.Dict:
		return "dict"
	case starlark.Tuple:
		return "tuple"
	}
	return v.Type()
}

// pyRangeRepr turns Starlark's "range(3)" into Python's "range(0, 3)".
func pyRangeRepr(s string) string {
	inner := strings.TrimSuffix(strings.TrimPrefix(s, "range("), ")")
	if !strings.Contains(inner, ",") {
		return "range(0, " + inner + ")"
	}
	return s
}

func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// pyFloatRepr formats f like Python's repr(float): the shortest digits that
// round-trip, positional for exponents in [-4, 16), scientific otherwise.
func pyFloatRepr(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	s := strconv.FormatFloat(f, 'e', -1, 64)
	neg := false
	if s[0] == '-' {
		neg = true
		s = s[1:]
	}
	mant, expStr, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(expStr)
	digits := strings.Replace(mant, ".", "", 1)
	var out string
	if exp >= -4 && exp < 16 {
		var intPart, frac string
		if exp >= 0 {
			if len(digits) <= exp+1 {
				intPart = digits + strings.Repeat("0", exp+1-len(digits))
				frac = "0"
			} else {
				intPart = digits[:exp+1]
				frac = digits[exp+1:]
			}
		} else {
			intPart = "0"
			frac = strings.Repeat("0", -exp-1) + digits
		}
		out = intPart + "." + frac
	} else {
		m := digits[:1]
		if len(digits) > 1 {
			m += "." + digits[1:]
		}
		sign := "+"
		if exp < 0 {
			sign = "-"
			exp = -exp
		}
		es := strconv.Itoa(exp)
		if len(es) < 2 {
			es = "0" + es
		}
		out = m + "e" + sign + es
	}
	if neg {
		return "-" + out
	}
	return out
}

// pyNumberRepr is repr() of the Python value json.loads makes of n.
func pyNumberRepr(n json.Number) string {
	if i, f, isInt, ok := parseJSONNumber(n); ok {
		if isInt {
			return i.String()
		}
		return pyFloatRepr(f)
	}
	return string(n)
}

// parseJSONNumber converts n the way Python's json.loads does: a number
// with a fraction or exponent is a float, otherwise an int.
func parseJSONNumber(n json.Number) (i *big.Int, f float64, isInt, ok bool) {
	s := string(n)
	if strings.ContainsAny(s, ".eE") {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			if ne, isNum := err.(*strconv.NumError); isNum && ne.Err == strconv.ErrRange {
				return nil, v, false, true
			}
			return nil, 0, false, false
		}
		return nil, v, false, true
	}
	if len(s) > maxIntDigits+1 {
		return nil, 0, false, false
	}
	bi, good := new(big.Int).SetString(s, 10)
	if !good {
		return nil, 0, false, false
	}
	return bi, 0, true, true
}

// pyStrRepr is Python 3's repr() of a str.
func pyStrRepr(s string) string {
	quote := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		quote = '"'
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte(quote)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			fmt.Fprintf(&b, `\x%02x`, s[i])
			i++
			continue
		}
		i += size
		switch {
		case r == rune(quote) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x7f:
			b.WriteRune(r)
		case unicode.IsPrint(r):
			b.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x10000:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	b.WriteByte(quote)
	return b.String()
}

// goFallbackRepr formats Go values outside the JSON-like set: slices and
// maps by reflection, anything else with fmt.
func goFallbackRepr(v any) string {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		items := make([]any, rv.Len())
		for i := range items {
			items[i] = rv.Index(i).Interface()
		}
		return PyRepr(items)
	case reflect.Map:
		if rv.Type().Key().Kind() == reflect.String {
			m := make(map[string]any, rv.Len())
			it := rv.MapRange()
			for it.Next() {
				m[it.Key().String()] = it.Value().Interface()
			}
			return PyRepr(m)
		}
	case reflect.Pointer:
		if rv.IsNil() {
			return "None"
		}
	}
	return fmt.Sprint(v)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
