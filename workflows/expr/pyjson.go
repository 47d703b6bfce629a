package expr

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

// jsonModule is BKFlow's sandbox `json` (a mock exposing dumps and loads),
// with Python's output format.
var jsonModule = &starlarkstruct.Module{
	Name: "json",
	Members: starlark.StringDict{
		"dumps": starlark.NewBuiltin("dumps", jsonDumps),
		"loads": starlark.NewBuiltin("loads", jsonLoads),
	},
}

type jsonEncoder struct {
	w           pyWriter
	ensureASCII bool
	sortKeys    bool
	indent      string
	hasIndent   bool
	itemSep     string
	keySep      string
}

func jsonDumps(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var obj starlark.Value
	ensureASCII := true
	sortKeys := false
	var indent starlark.Value = starlark.None
	var separators starlark.Value = starlark.None
	if err := starlark.UnpackArgs("dumps", args, kwargs,
		"obj", &obj, "ensure_ascii?", &ensureASCII, "sort_keys?", &sortKeys,
		"indent?", &indent, "separators?", &separators); err != nil {
		return nil, err
	}
	enc := jsonEncoder{ensureASCII: ensureASCII, sortKeys: sortKeys, itemSep: ", ", keySep: ": "}
	enc.w.limit = stateOf(thread).remaining()
	switch x := indent.(type) {
	case starlark.NoneType:
	case starlark.Int:
		n, _ := clampInt(x, "indent")
		if n > 1000 {
			n = 1000
		}
		if n < 0 {
			n = 0
		}
		enc.indent, enc.hasIndent, enc.itemSep = strings.Repeat(" ", n), true, ","
	case starlark.String:
		enc.indent, enc.hasIndent, enc.itemSep = string(x), true, ","
	default:
		return nil, newErr(ErrEval, "indent must be an int or a str")
	}
	if separators != starlark.None {
		t, ok := separators.(starlark.Tuple)
		if !ok {
			if l, isList := separators.(*starlark.List); isList {
				for i := 0; i < l.Len(); i++ {
					t = append(t, l.Index(i))
				}
				ok = true
			}
		}
		if !ok || len(t) != 2 {
			return nil, newErr(ErrEval, "separators must be a (item_separator, key_separator) pair")
		}
		is, ok1 := t[0].(starlark.String)
		ks, ok2 := t[1].(starlark.String)
		if !ok1 || !ok2 {
			return nil, newErr(ErrEval, "separators must be strings")
		}
		enc.itemSep, enc.keySep = string(is), string(ks)
	}
	if err := enc.encode(obj, 0); err != nil {
		return nil, err
	}
	if enc.w.err != nil {
		return nil, enc.w.err
	}
	s := enc.w.b.String()
	if err := charge(thread, uint64(len(s)/64), int64(len(s))); err != nil {
		return nil, err
	}
	return starlark.String(s), nil
}

func (e *jsonEncoder) newline(level int) {
	if e.hasIndent {
		e.w.ws("\n")
		for range level {
			e.w.ws(e.indent)
		}
	}
}

func (e *jsonEncoder) encode(v starlark.Value, level int) error {
	if e.w.full() {
		return e.w.err
	}
	if level > maxReprDepth {
		return newErr(ErrEval, "maximum recursion depth exceeded while encoding a JSON object")
	}
	switch x := v.(type) {
	case starlark.NoneType:
		e.w.ws("null")
	case starlark.Bool:
		if x {
			e.w.ws("true")
		} else {
			e.w.ws("false")
		}
	case starlark.Int:
		e.w.ws(x.String())
	case starlark.Float:
		e.w.ws(jsonFloat(float64(x)))
	case starlark.String:
		e.w.ws(pyJSONString(string(x), e.ensureASCII))
	case *starlark.List, starlark.Tuple, *dictView:
		seq := x.(starlark.Sequence)
		if seq.Len() == 0 {
			e.w.ws("[]")
			return nil
		}
		e.w.ws("[")
		it := seq.Iterate()
		defer it.Done()
		var elem starlark.Value
		for i := 0; it.Next(&elem); i++ {
			if i > 0 {
				e.w.ws(e.itemSep)
			}
			e.newline(level + 1)
			if err := e.encode(elem, level+1); err != nil {
				return err
			}
		}
		e.newline(level)
		e.w.ws("]")
	case *starlark.Dict:
		items := x.Items()
		if len(items) == 0 {
			e.w.ws("{}")
			return nil
		}
		type kv struct {
			k string
			v starlark.Value
		}
		pairs := make([]kv, 0, len(items))
		for _, it := range items {
			var k string
			switch key := it[0].(type) {
			case starlark.String:
				k = string(key)
			case starlark.Int:
				k = key.String()
			case starlark.Float:
				k = jsonFloat(float64(key))
			case starlark.Bool:
				k = map[bool]string{true: "true", false: "false"}[bool(key)]
			case starlark.NoneType:
				k = "null"
			default:
				return newErr(ErrEval, "keys must be str, int, float, bool or None, not %s", pyTypeName(key))
			}
			pairs = append(pairs, kv{k, it[1]})
		}
		if e.sortKeys {
			sort.SliceStable(pairs, func(i, j int) bool { return pairs[i].k < pairs[j].k })
		}
		e.w.ws("{")
		for i, p := range pairs {
			if i > 0 {
				e.w.ws(e.itemSep)
			}
			e.newline(level + 1)
			e.w.ws(pyJSONString(p.k, e.ensureASCII))
			e.w.ws(e.keySep)
			if err := e.encode(p.v, level+1); err != nil {
				return err
			}
		}
		e.newline(level)
		e.w.ws("}")
	default:
		return newErr(ErrEval, "Object of type %s is not JSON serializable", pyTypeName(v))
	}
	return e.w.err
}

func jsonFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case math.IsNaN(f):
		return "NaN"
	}
	return pyFloatRepr(f)
}

// pyJSONString is Python json's string encoding.
func pyJSONString(s string, ensureASCII bool) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case r < 0x20:
				fmt.Fprintf(&b, `\u%04x`, r)
			case r < utf8.RuneSelf || !ensureASCII:
				b.WriteRune(r)
			case r > 0xffff:
				r -= 0x10000
				fmt.Fprintf(&b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
			default:
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

func jsonLoads(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var s string
	if err := starlark.UnpackPositionalArgs("loads", args, kwargs, 1, &s); err != nil {
		return nil, err
	}
	if err := charge(thread, uint64(len(s)/16), int64(len(s))*4); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	v, err := decodeOrdered(dec, 0)
	if err != nil {
		return nil, newErr(ErrEval, "JSONDecodeError: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, newErr(ErrEval, "JSONDecodeError: Extra data")
	}
	return v, nil
}

// decodeOrdered decodes one JSON value into Starlark values, keeping the
// document's key order as Python's json.loads does.
func decodeOrdered(dec *json.Decoder, depth int) (starlark.Value, error) {
	if depth > maxValueDepth {
		return nil, fmt.Errorf("nesting too deep")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '[':
			var elems []starlark.Value
			for dec.More() {
				v, err := decodeOrdered(dec, depth+1)
				if err != nil {
					return nil, err
				}
				elems = append(elems, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return starlark.NewList(elems), nil
		case '{':
			d := starlark.NewDict(0)
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := decodeOrdered(dec, depth+1)
				if err != nil {
					return nil, err
				}
				if err := d.SetKey(starlark.String(k), v); err != nil {
					return nil, err
				}
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return d, nil
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case json.Number:
		i, f, isInt, ok := parseJSONNumber(t)
		if !ok {
			return nil, fmt.Errorf("invalid number %s", strconv.Quote(string(t)))
		}
		if isInt {
			return starlark.MakeBigInt(i), nil
		}
		return starlark.Float(f), nil
	case string:
		return starlark.String(t), nil
	case bool:
		return starlark.Bool(t), nil
	case nil:
		return starlark.None, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}
