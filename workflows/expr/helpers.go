package expr

import (
	"math"
	"strings"
	"unicode/utf8"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// ---- conversions between Python-ish views of values ----

// chars splits a string into one-code-point strings (Python iterates a str
// by code point).
func chars(s string) starlark.Tuple {
	out := make(starlark.Tuple, 0, len(s))
	for _, r := range s {
		out = append(out, starlark.String(string(r)))
	}
	return out
}

// pyIterable makes Python-iterable values iterable for Starlark: strings
// become tuples of characters and dict views lists.
func pyIterable(thread *starlark.Thread, v starlark.Value) (starlark.Value, error) {
	switch x := v.(type) {
	case starlark.String:
		if err := charge(thread, uint64(len(x)), int64(len(x))*16); err != nil {
			return nil, err
		}
		return chars(string(x)), nil
	case *dictView:
		if err := charge(thread, uint64(x.dict.Len()), 0); err != nil {
			return nil, err
		}
		return x.list(), nil
	}
	if err := charge(thread, uint64(lenOf(v)), 0); err != nil {
		return nil, err
	}
	return v, nil
}

// maxClamp bounds the ints clampInt returns.
const maxClamp = 1 << 30

// clampInt converts an int-like index or count to int, saturating huge
// values at ±maxClamp.
func clampInt(v starlark.Value, what string) (int, error) {
	switch x := v.(type) {
	case starlark.Bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case starlark.Int:
		if i, ok := x.Int64(); ok && i > -maxClamp && i < maxClamp {
			return int(i), nil
		}
		if x.Sign() < 0 {
			return -maxClamp, nil
		}
		return maxClamp, nil
	}
	return 0, newErr(ErrEval, "%s must be integers, not %s", what, pyTypeName(v))
}

// ---- rewrite helpers ----

func helperIter(thread *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
	return pyIterable(thread, args[0])
}

func helperIndex(thread *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
	x, y := args[0], args[1]
	switch recv := x.(type) {
	case starlark.String:
		i, err := clampInt(y, "string indices")
		if err != nil {
			return nil, err
		}
		return stringIndex(thread, string(recv), i)
	case starlark.Mapping:
		v, found, err := recv.Get(y)
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, newErr(ErrEval, "KeyError: %s", PyRepr(y))
		}
		return v, nil
	case starlark.Indexable:
		i, err := clampInt(y, pyTypeName(x)+" indices")
		if err != nil {
			return nil, err
		}
		n := recv.Len()
		if i < 0 {
			i += n
		}
		if i < 0 || i >= n {
			return nil, newErr(ErrEval, "%s index out of range", pyTypeName(x))
		}
		return recv.Index(i), nil
	}
	return nil, newErr(ErrEval, "'%s' object is not subscriptable", pyTypeName(x))
}

// scanCost is how many bytes of a string scan cost one step.
const scanCost = 1024

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func stringIndex(thread *starlark.Thread, s string, i int) (starlark.Value, error) {
	var off, scanned int
	var ok bool
	if i >= 0 {
		off, scanned, ok = runeOffset(s, i)
		ok = ok && off < len(s)
	} else {
		off, scanned, ok = runeOffsetFromEnd(s, -i)
	}
	if err := charge(thread, uint64(scanned/scanCost), 0); err != nil {
		return nil, err
	}
	if !ok {
		return nil, newErr(ErrEval, "string index out of range")
	}
	_, size := utf8.DecodeRuneInString(s[off:])
	return starlark.String(s[off : off+size]), nil
}

// runeOffset is the byte offset of code point n of s, walking forward; ok
// is false (and off is len(s)) when s has fewer than n code points.
func runeOffset(s string, n int) (off, scanned int, ok bool) {
	for off < len(s) && n > 0 {
		_, size := utf8.DecodeRuneInString(s[off:])
		off += size
		n--
	}
	return off, off, n == 0
}

// runeOffsetFromEnd is the byte offset of the n-th code point from the end
// (n >= 1), walking backward; ok is false (and off is 0) when s has fewer
// than n code points.
func runeOffsetFromEnd(s string, n int) (off, scanned int, ok bool) {
	off = len(s)
	for off > 0 && n > 0 {
		_, size := utf8.DecodeLastRuneInString(s[:off])
		off -= size
		n--
	}
	return off, len(s) - off, n == 0
}

// sliceIndices is Python's slice.indices(n).
func sliceIndices(lo, hi, stepV starlark.Value, n int) (start, stop, step int, err error) {
	step = 1
	if stepV != starlark.None {
		if step, err = clampInt(stepV, "slice indices"); err != nil {
			return
		}
		if step == 0 {
			err = newErr(ErrEval, "slice step cannot be zero")
			return
		}
	}
	lower, upper := 0, n
	if step < 0 {
		lower, upper = -1, n-1
	}
	adjust := func(v starlark.Value, def int) (int, error) {
		if v == starlark.None {
			return def, nil
		}
		i, err := clampInt(v, "slice indices")
		if err != nil {
			return 0, err
		}
		if i < 0 {
			i += n
			if i < lower {
				i = lower
			}
		} else if i > upper {
			i = upper
		}
		return i, nil
	}
	defStart, defStop := lower, upper
	if step < 0 {
		defStart, defStop = upper, lower
	}
	if start, err = adjust(lo, defStart); err != nil {
		return
	}
	if stop, err = adjust(hi, defStop); err != nil {
		return
	}
	// Starlark's Slice wants start <= stop for positive steps and
	// stop <= start for negative ones.
	if step > 0 && stop < start {
		stop = start
	}
	if step < 0 && stop > start {
		stop = start
	}
	return
}

func helperSlice(thread *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
	x, lo, hi, step := args[0], args[1], args[2], args[3]
	switch recv := x.(type) {
	case starlark.String:
		res, scanned, err := stringSlice(string(recv), lo, hi, step)
		if err != nil {
			return nil, err
		}
		if err := charge(thread, uint64(scanned/scanCost), int64(len(res))); err != nil {
			return nil, err
		}
		return starlark.String(res), nil
	case starlark.Sliceable:
		start, stop, st, err := sliceIndices(lo, hi, step, recv.Len())
		if err != nil {
			return nil, err
		}
		n := stop - start
		if n < 0 {
			n = -n
		}
		if err := charge(thread, uint64(n), int64(n)*16); err != nil {
			return nil, err
		}
		return recv.Slice(start, stop, st), nil
	}
	return nil, newErr(ErrEval, "'%s' object is not subscriptable", pyTypeName(x))
}

// stringSlice is Python's s[lo:hi:step], on code points. scanned is how
// many bytes it had to walk.
func stringSlice(s string, lo, hi, step starlark.Value) (res string, scanned int, err error) {
	if one, ok := step.(starlark.Int); step == starlark.None || ok && one.Sign() > 0 && one.BigInt().IsInt64() && one.BigInt().Int64() == 1 {
		// Walk only as far as the bounds need.
		bound := func(v starlark.Value, def int) (int, error) {
			if v == starlark.None {
				return def, nil
			}
			i, err := clampInt(v, "slice indices")
			if err != nil {
				return 0, err
			}
			var off, n int
			if i >= 0 {
				off, n, _ = runeOffset(s, i)
			} else {
				off, n, _ = runeOffsetFromEnd(s, -i)
			}
			scanned += n
			return off, nil
		}
		start, err := bound(lo, 0)
		if err != nil {
			return "", scanned, err
		}
		stop, err := bound(hi, len(s))
		if err != nil {
			return "", scanned, err
		}
		if stop < start {
			return "", scanned, nil
		}
		return s[start:stop], scanned, nil
	}
	rs := []rune(s)
	start, stop, st, err := sliceIndices(lo, hi, step, len(rs))
	if err != nil {
		return "", len(s), err
	}
	var b strings.Builder
	for i := start; (st > 0 && i < stop) || (st < 0 && i > stop); i += st {
		b.WriteRune(rs[i])
	}
	return b.String(), len(s), nil
}

// binop implements a binary operator with Python's bool-is-int rule,
// Python's %-formatting for strings and budget checks.
func binop(op syntax.Token) func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
	return func(thread *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
		x, y := args[0], args[1]
		switch op {
		case syntax.PERCENT:
			if s, ok := x.(starlark.String); ok {
				return pyPercent(thread, string(s), y)
			}
			x, y = boolsToInt(x, y, true)
		case syntax.PLUS, syntax.MINUS, syntax.STAR, syntax.SLASH, syntax.SLASHSLASH, syntax.LTLT, syntax.GTGT:
			x, y = boolsToInt(x, y, true)
		case syntax.EQL, syntax.NEQ, syntax.LT, syntax.LE, syntax.GT, syntax.GE, syntax.PIPE, syntax.AMP, syntax.CIRCUMFLEX:
			x, y = boolsToInt(x, y, false)
		}
		if err := precharge(thread, op, x, y); err != nil {
			return nil, err
		}
		switch op {
		case syntax.EQL, syntax.NEQ, syntax.LT, syntax.LE, syntax.GT, syntax.GE:
			ok, err := starlark.Compare(op, x, y)
			if err != nil {
				return nil, err
			}
			return starlark.Bool(ok), nil
		case syntax.IN, syntax.NOT_IN:
			found, err := contains(y, x)
			if err != nil {
				return nil, err
			}
			return starlark.Bool(found == (op == syntax.IN)), nil
		}
		return starlark.Binary(op, x, y)
	}
}

// boolsToInt applies Python's "bool is an int": with all set (arithmetic)
// every bool operand becomes an int; otherwise (comparisons, bitwise) only a
// bool facing a number does.
func boolsToInt(x, y starlark.Value, all bool) (starlark.Value, starlark.Value) {
	xb, xIsBool := x.(starlark.Bool)
	yb, yIsBool := y.(starlark.Bool)
	if xIsBool && (all || isNumber(y)) {
		x = boolInt(xb)
	}
	if yIsBool && (all || isNumber(x)) {
		y = boolInt(yb)
	}
	return x, y
}

func isNumber(v starlark.Value) bool {
	switch v.(type) {
	case starlark.Int, starlark.Float:
		return true
	}
	return false
}

func boolInt(b starlark.Bool) starlark.Int {
	if b {
		return starlark.MakeInt(1)
	}
	return starlark.MakeInt(0)
}

// contains is Python's `x in y`.
func contains(y, x starlark.Value) (bool, error) {
	switch c := y.(type) {
	case *dictView:
		if c.kind == "values" {
			for _, v := range c.dict.Items() {
				if eq, err := starlark.Equal(v[1], x); err != nil || eq {
					return eq, err
				}
			}
			return false, nil
		}
		if c.kind == "items" {
			t, ok := x.(starlark.Tuple)
			if !ok || len(t) != 2 {
				return false, nil
			}
			v, found, err := c.dict.Get(t[0])
			if err != nil || !found {
				return false, err
			}
			return starlark.Equal(v, t[1])
		}
		_, found, err := c.dict.Get(x)
		return found, err
	case starlark.String:
		s, ok := x.(starlark.String)
		if !ok {
			return false, newErr(ErrEval, "'in <string>' requires string as left operand, not %s", pyTypeName(x))
		}
		return strings.Contains(string(c), string(s)), nil
	}
	v, err := starlark.Binary(syntax.IN, x, y)
	if err != nil {
		return false, err
	}
	return bool(v.Truth()), nil
}

// precharge books the cost of an operator before it runs.
func precharge(thread *starlark.Thread, op syntax.Token, x, y starlark.Value) error {
	switch op {
	case syntax.PLUS, syntax.MINUS:
		switch x.(type) {
		case starlark.String, *starlark.List, starlark.Tuple:
			return charge(thread, uint64((lenOf(x)+lenOf(y))/64), valueBytes(x)+valueBytes(y))
		case starlark.Int:
			if err := checkIntBits(max(intBits(x), intBits(y)) + 1); err != nil {
				return err
			}
			return charge(thread, 0, valueBytes(x)+valueBytes(y))
		}
	case syntax.STAR:
		seq, n := x, y
		if _, ok := y.(starlark.Int); !ok {
			seq, n = y, x
		}
		count, ok := n.(starlark.Int)
		if !ok {
			return nil
		}
		switch seq.(type) {
		case starlark.String, *starlark.List, starlark.Tuple:
			c, _ := clampInt(count, "repeat count")
			if c <= 0 {
				return nil
			}
			total := float64(valueBytes(seq)) * float64(c)
			if total > float64(math.MaxInt64/2) {
				total = float64(math.MaxInt64 / 2)
			}
			elems := float64(lenOf(seq)) * float64(c)
			if elems > float64(math.MaxInt32) {
				elems = float64(math.MaxInt32)
			}
			return charge(thread, uint64(elems)/64, int64(total))
		case starlark.Int:
			if err := checkIntBits(intBits(x) + intBits(y)); err != nil {
				return err
			}
			return charge(thread, 0, valueBytes(x)+valueBytes(y))
		}
	case syntax.LTLT:
		if c, ok := y.(starlark.Int); ok {
			n, _ := clampInt(c, "shift count")
			if err := checkIntBits(intBits(x) + n); err != nil {
				return err
			}
		}
		return charge(thread, 0, valueBytes(x)+64)
	case syntax.IN, syntax.NOT_IN:
		switch y.(type) {
		case starlark.String:
			return charge(thread, uint64(lenOf(y)/scanCost), 0)
		case *starlark.Dict, *starlark.Set:
			return nil
		}
		if y.Type() == "range" {
			return nil // membership in a range is arithmetic
		}
		return charge(thread, uint64(lenOf(y)), 0)
	case syntax.EQL, syntax.NEQ, syntax.LT, syntax.LE, syntax.GT, syntax.GE, syntax.PIPE, syntax.AMP, syntax.CIRCUMFLEX:
		n := lenOf(x) + lenOf(y)
		if _, ok := x.(starlark.String); ok {
			n /= 64
		}
		return charge(thread, uint64(n), 0)
	}
	return nil
}

// maxIntBits bounds integer results: multiplying or printing huge integers
// costs time no step counter sees. Python refuses to print ints of more than
// 4300 digits (about 14,300 bits) anyway.
const maxIntBits = 1 << 16

// maxIntDigits is Python's default int/str conversion limit.
const maxIntDigits = 4300

func intBits(v starlark.Value) int {
	if i, ok := v.(starlark.Int); ok {
		if _, small := i.Int64(); small {
			return 64
		}
		return i.BigInt().BitLen()
	}
	return 0
}

func checkIntBits(bits int) error {
	if bits > maxIntBits {
		return newErr(ErrMemoryLimit, "integer result larger than %d bits", maxIntBits)
	}
	return nil
}
