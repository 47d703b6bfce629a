package expr

import (
	"math"
	"math/big"
	"strings"
	"unicode/utf8"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// ---- builtins ----

// pyStrip removes what Python's str.strip() removes by default (for int()
// and float() arguments).
func pyStrip(s string) string {
	return strings.TrimFunc(s, isPySpace)
}

func isPySpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x1f, 0x85, 0xa0, 0x1680,
		0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

func builtinInt(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if len(args) >= 1 {
		switch x := args[0].(type) {
		case starlark.String:
			s := pyStrip(string(x))
			if len(args) == 1 && len(kwargs) == 0 {
				return parsePyInt(s)
			}
			args = append(starlark.Tuple{starlark.String(s)}, args[1:]...)
		case starlark.Float:
			f := float64(x)
			if math.IsInf(f, 0) {
				return nil, newErr(ErrEval, "cannot convert float infinity to integer")
			}
			if math.IsNaN(f) {
				return nil, newErr(ErrEval, "cannot convert float NaN to integer")
			}
		}
	}
	return starlark.Call(thread, starlark.Universe["int"], args, kwargs)
}

// parsePyInt is Python's int(str) in base 10: optional sign, digits with
// single underscores between them.
func parsePyInt(s string) (starlark.Value, error) {
	i, ok := pyIntLiteral(s)
	if !ok {
		return nil, newErr(ErrEval, "invalid literal for int() with base 10: %s", pyStrRepr(s))
	}
	return starlark.MakeBigInt(i), nil
}

// pyIntLiteral parses what Python's int() accepts in base 10 (after
// stripping whitespace): sign, ASCII or other Unicode decimal digits,
// single underscores between digits.
func pyIntLiteral(s string) (*big.Int, bool) {
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" || len(s) > 4*maxIntDigits {
		return nil, false
	}
	var digits strings.Builder
	prevUnderscore := true // a leading underscore is invalid
	for _, r := range s {
		if r == '_' {
			if prevUnderscore {
				return nil, false
			}
			prevUnderscore = true
			continue
		}
		d, ok := decimalDigit(r)
		if !ok {
			return nil, false
		}
		digits.WriteByte(byte('0' + d))
		prevUnderscore = false
	}
	if prevUnderscore || digits.Len() > maxIntDigits {
		return nil, false
	}
	i, ok := new(big.Int).SetString(digits.String(), 10)
	if !ok {
		return nil, false
	}
	if neg {
		i.Neg(i)
	}
	return i, true
}

func builtinFloat(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if len(args) == 1 {
		switch x := args[0].(type) {
		case starlark.String:
			s := strings.ReplaceAll(pyStrip(string(x)), "_", "")
			args = starlark.Tuple{starlark.String(s)}
		case starlark.Bool:
			if x {
				return starlark.Float(1), nil
			}
			return starlark.Float(0), nil
		}
	}
	return starlark.Call(thread, starlark.Universe["float"], args, kwargs)
}

func builtinStr(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if len(kwargs) > 0 || len(args) > 1 {
		return nil, newErr(ErrEval, "str() takes at most 1 argument")
	}
	if len(args) == 0 {
		return starlark.String(""), nil
	}
	if s, ok := args[0].(starlark.String); ok {
		return s, nil
	}
	st := stateOf(thread)
	w := pyWriter{limit: st.remaining()}
	w.str(args[0])
	if w.err != nil {
		return nil, w.err
	}
	if err := charge(thread, uint64(w.b.Len()/64), int64(w.b.Len())); err != nil {
		return nil, err
	}
	return starlark.String(w.b.String()), nil
}

func builtinLen(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var x starlark.Value
	if err := starlark.UnpackPositionalArgs("len", args, kwargs, 1, &x); err != nil {
		return nil, err
	}
	switch v := x.(type) {
	case starlark.String:
		if err := charge(thread, uint64(len(v)/scanCost), 0); err != nil {
			return nil, err
		}
		return starlark.MakeInt(utf8.RuneCountInString(string(v))), nil
	case *dictView:
		return starlark.MakeInt(v.dict.Len()), nil
	}
	if n := starlark.Len(x); n >= 0 {
		return starlark.MakeInt(n), nil
	}
	return nil, newErr(ErrEval, "object of type '%s' has no len()", pyTypeName(x))
}

// iterWrap wraps a Starlark builtin that consumes iterables so that strings
// iterate by character (as in Python) and the elements are charged.
func iterWrap(name string) *starlark.Builtin {
	base := starlark.Universe[name]
	return starlark.NewBuiltin(name, func(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		conv := make(starlark.Tuple, len(args))
		for i, a := range args {
			if name == "dict" {
				// dict(x) copies a mapping or a list of pairs; strings are
				// not sequences of pairs, so leave them to fail.
				if err := charge(thread, uint64(lenOf(a)), 0); err != nil {
					return nil, err
				}
				if v, ok := a.(*dictView); ok {
					conv[i] = v.list()
				} else {
					conv[i] = a
				}
				continue
			}
			v, err := pyIterable(thread, a)
			if err != nil {
				return nil, err
			}
			conv[i] = v
		}
		res, err := starlark.Call(thread, base, conv, kwargs)
		if err != nil {
			return nil, err
		}
		if err := charge(thread, 0, valueBytes(res)); err != nil {
			return nil, err
		}
		return res, nil
	})
}

func builtinSum(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var iterable starlark.Value
	var start starlark.Value = starlark.MakeInt(0)
	if err := starlark.UnpackArgs("sum", args, kwargs, "iterable", &iterable, "start?", &start); err != nil {
		return nil, err
	}
	if _, ok := start.(starlark.String); ok {
		return nil, newErr(ErrEval, "sum() can't sum strings [use ''.join(seq) instead]")
	}
	seq, err := pyIterable(thread, iterable)
	if err != nil {
		return nil, err
	}
	it := starlark.Iterate(seq)
	if it == nil {
		return nil, newErr(ErrEval, "'%s' object is not iterable", pyTypeName(iterable))
	}
	defer it.Done()
	add := binop(syntax.PLUS)
	acc := start
	var x starlark.Value
	for it.Next(&x) {
		if _, ok := x.(starlark.String); ok {
			return nil, newErr(ErrEval, "unsupported operand type(s) for +: '%s' and 'str'", pyTypeName(acc))
		}
		if acc, err = add(thread, nil, starlark.Tuple{acc, x}, nil); err != nil {
			return nil, err
		}
	}
	return acc, nil
}

func builtinRound(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var x starlark.Value
	var nd starlark.Value = starlark.None
	if err := starlark.UnpackArgs("round", args, kwargs, "number", &x, "ndigits?", &nd); err != nil {
		return nil, err
	}
	if bv, ok := x.(starlark.Bool); ok {
		x = boolInt(bv)
	}
	switch v := x.(type) {
	case starlark.Int:
		if nd == starlark.None {
			return v, nil
		}
		n, err := clampInt(nd, "ndigits")
		if err != nil {
			return nil, err
		}
		if n >= 0 {
			return v, nil
		}
		if n < -4000 {
			return starlark.MakeInt(0), nil
		}
		// Round half to even to a multiple of 10**-n.
		p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-n)), nil)
		q, r := new(big.Int).QuoRem(v.BigInt(), p, new(big.Int))
		twice := new(big.Int).Mul(new(big.Int).Abs(r), big.NewInt(2))
		if c := twice.Cmp(p); c > 0 || (c == 0 && q.Bit(0) == 1) {
			if v.Sign() < 0 {
				q.Sub(q, big.NewInt(1))
			} else {
				q.Add(q, big.NewInt(1))
			}
		}
		return starlark.MakeBigInt(q.Mul(q, p)), nil
	case starlark.Float:
		f := float64(v)
		if nd == starlark.None {
			if math.IsInf(f, 0) || math.IsNaN(f) {
				return nil, newErr(ErrEval, "cannot convert float %s to integer", pyFloatRepr(f))
			}
			return starlark.NumberToInt(starlark.Float(math.RoundToEven(f)))
		}
		n, err := clampInt(nd, "ndigits")
		if err != nil {
			return nil, err
		}
		if math.IsInf(f, 0) || math.IsNaN(f) || n > 323 {
			return v, nil
		}
		if n >= 0 {
			r, err := parseFloatLenient(formatFixed(f, n))
			if err != nil {
				return nil, err
			}
			return starlark.Float(r), nil
		}
		if n < -308 {
			return starlark.Float(math.Copysign(0, f)), nil
		}
		p := math.Pow(10, float64(-n))
		return starlark.Float(math.RoundToEven(f/p) * p), nil
	}
	return nil, newErr(ErrEval, "type %s doesn't define __round__ method", pyTypeName(x))
}

func builtinPow(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var base, exp starlark.Value
	var mod starlark.Value = starlark.None
	if err := starlark.UnpackArgs("pow", args, kwargs, "base", &base, "exp", &exp, "mod?", &mod); err != nil {
		return nil, err
	}
	base, exp = boolsToInt(base, exp, true)
	if bv, ok := mod.(starlark.Bool); ok {
		mod = boolInt(bv)
	}
	bi, bInt := base.(starlark.Int)
	ei, eInt := exp.(starlark.Int)
	if bInt && eInt {
		if mod != starlark.None {
			mi, ok := mod.(starlark.Int)
			if !ok {
				return nil, newErr(ErrEval, "pow() 3rd argument not allowed unless all arguments are integers")
			}
			if mi.Sign() == 0 {
				return nil, newErr(ErrEval, "pow() 3rd argument cannot be 0")
			}
			if ei.Sign() < 0 {
				return nil, newErr(ErrEval, "pow() negative exponent with modulus is not supported")
			}
			m := mi.BigInt()
			r := new(big.Int).Exp(bi.BigInt(), ei.BigInt(), new(big.Int).Abs(m))
			if r.Sign() != 0 && m.Sign() < 0 {
				r.Add(r, m)
			}
			return starlark.MakeBigInt(r), nil
		}
		if ei.Sign() >= 0 {
			e, ok := ei.Int64()
			bits := int64(bi.BigInt().BitLen())
			if !ok || (bits > 1 && e*bits > maxIntBits) {
				return nil, newErr(ErrMemoryLimit, "pow() result larger than %d bits", maxIntBits)
			}
			if err := charge(thread, 0, e*bits/8+8); err != nil {
				return nil, err
			}
			return starlark.MakeBigInt(new(big.Int).Exp(bi.BigInt(), ei.BigInt(), nil)), nil
		}
	}
	if mod != starlark.None {
		return nil, newErr(ErrEval, "pow() 3rd argument not allowed unless all arguments are integers")
	}
	bf, ok1 := starlark.AsFloat(base)
	ef, ok2 := starlark.AsFloat(exp)
	if !ok1 || !ok2 {
		return nil, newErr(ErrEval, "unsupported operand type(s) for ** or pow(): '%s' and '%s'", pyTypeName(base), pyTypeName(exp))
	}
	if bf == 0 && ef < 0 {
		return nil, newErr(ErrEval, "0.0 cannot be raised to a negative power")
	}
	r := math.Pow(bf, ef)
	if math.IsNaN(r) && bf < 0 {
		return nil, newErr(ErrEval, "negative number cannot be raised to a fractional power (complex results are not supported)")
	}
	if math.IsInf(r, 0) && !math.IsInf(bf, 0) && !math.IsInf(ef, 0) {
		return nil, newErr(ErrEval, "OverflowError: (34, 'Numerical result out of range')")
	}
	return starlark.Float(r), nil
}
