package expr

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.starlark.net/starlark"
)

// pyPercent is Python's `format % args` for a str format.
func pyPercent(thread *starlark.Thread, format string, arg starlark.Value) (starlark.Value, error) {
	var args starlark.Tuple
	var mapping starlark.Value
	switch a := arg.(type) {
	case starlark.Tuple:
		args = a
	case *starlark.Dict, *starlark.List:
		// CPython treats any subscriptable non-tuple, non-str argument as
		// a possible mapping; it is also the single positional argument.
		mapping = a
		args = starlark.Tuple{a}
	default:
		args = starlark.Tuple{a}
	}
	st := stateOf(thread)
	out := pyWriter{limit: st.remaining()}
	argi := 0
	next := func() (starlark.Value, error) {
		if argi >= len(args) {
			return nil, newErr(ErrEval, "not enough arguments for format string")
		}
		v := args[argi]
		argi++
		return v, nil
	}
	for i := 0; i < len(format); {
		c := format[i]
		if c != '%' {
			j := strings.IndexByte(format[i:], '%')
			if j < 0 {
				j = len(format) - i
			}
			out.ws(format[i : i+j])
			i += j
			continue
		}
		i++
		if i >= len(format) {
			return nil, newErr(ErrEval, "incomplete format")
		}
		var key *string
		if format[i] == '(' {
			if mapping == nil {
				return nil, newErr(ErrEval, "format requires a mapping")
			}
			depth := 1
			j := i + 1
			for ; j < len(format) && depth > 0; j++ {
				switch format[j] {
				case '(':
					depth++
				case ')':
					depth--
				}
			}
			if depth > 0 {
				return nil, newErr(ErrEval, "incomplete format key")
			}
			k := format[i+1 : j-1]
			key = &k
			i = j
		}
		var flags string
		for i < len(format) && strings.IndexByte("-+ #0", format[i]) >= 0 {
			flags += format[i : i+1]
			i++
		}
		width := -1
		if i < len(format) && format[i] == '*' {
			v, err := next()
			if err != nil {
				return nil, err
			}
			w, ok := v.(starlark.Int)
			if !ok {
				return nil, newErr(ErrEval, "* wants int")
			}
			wi, _ := clampInt(w, "width")
			if wi < 0 {
				flags += "-"
				wi = -wi
			}
			width = wi
			i++
		} else {
			j := i
			for i < len(format) && format[i] >= '0' && format[i] <= '9' {
				i++
			}
			if i > j {
				w, err := strconv.Atoi(format[j:i])
				if err != nil || w > 1<<20 {
					return nil, newErr(ErrEval, "width too big")
				}
				width = w
			}
		}
		prec := -1
		if i < len(format) && format[i] == '.' {
			i++
			if i < len(format) && format[i] == '*' {
				v, err := next()
				if err != nil {
					return nil, err
				}
				p, ok := v.(starlark.Int)
				if !ok {
					return nil, newErr(ErrEval, "* wants int")
				}
				pi, _ := clampInt(p, "precision")
				if pi < 0 {
					pi = 0
				}
				prec = pi
				i++
			} else {
				j := i
				for i < len(format) && format[i] >= '0' && format[i] <= '9' {
					i++
				}
				prec = 0
				if i > j {
					p, err := strconv.Atoi(format[j:i])
					if err != nil || p > 1<<20 {
						return nil, newErr(ErrEval, "precision too big")
					}
					prec = p
				}
			}
		}
		for i < len(format) && strings.IndexByte("hlL", format[i]) >= 0 {
			i++
		}
		if i >= len(format) {
			return nil, newErr(ErrEval, "incomplete format")
		}
		conv := format[i]
		i++
		if conv == '%' {
			out.ws("%")
			continue
		}
		var v starlark.Value
		if key != nil {
			got, err := lookupFormatKey(mapping, *key)
			if err != nil {
				return nil, err
			}
			v = got
		} else {
			got, err := next()
			if err != nil {
				return nil, err
			}
			v = got
		}
		s, err := formatOne(conv, flags, width, prec, v, st.remaining(), i-1)
		if err != nil {
			return nil, err
		}
		out.ws(s)
		if out.err != nil {
			return nil, out.err
		}
	}
	if out.err != nil {
		return nil, out.err
	}
	if argi < len(args) && mapping == nil {
		return nil, newErr(ErrEval, "not all arguments converted during string formatting")
	}
	res := out.b.String()
	if err := charge(thread, uint64(len(res)/64), int64(len(res))); err != nil {
		return nil, err
	}
	return starlark.String(res), nil
}

func lookupFormatKey(mapping starlark.Value, key string) (starlark.Value, error) {
	m, ok := mapping.(starlark.Mapping)
	if !ok {
		return nil, newErr(ErrEval, "list indices must be integers or slices, not str")
	}
	v, found, err := m.Get(starlark.String(key))
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, newErr(ErrEval, "KeyError: %s", pyStrRepr(key))
	}
	return v, nil
}

// formatOne formats one conversion of Python's %-operator.
func formatOne(conv byte, flags string, width, prec int, v starlark.Value, limit, pos int) (string, error) {
	left := strings.Contains(flags, "-")
	zero := strings.Contains(flags, "0") && !left
	plus := strings.Contains(flags, "+")
	space := strings.Contains(flags, " ")
	alt := strings.Contains(flags, "#")
	pad := func(s string, numeric bool, signLen int) string {
		n := utf8.RuneCountInString(s)
		if width <= n {
			return s
		}
		fill := width - n
		switch {
		case left:
			return s + strings.Repeat(" ", fill)
		case zero && numeric:
			return s[:signLen] + strings.Repeat("0", fill) + s[signLen:]
		}
		return strings.Repeat(" ", fill) + s
	}
	sign := func(neg bool) string {
		switch {
		case neg:
			return "-"
		case plus:
			return "+"
		case space:
			return " "
		}
		return ""
	}
	switch conv {
	case 's', 'r', 'a':
		w := pyWriter{limit: limit}
		if conv == 's' {
			w.str(v)
		} else {
			w.repr(v)
		}
		if w.err != nil {
			return "", w.err
		}
		s := w.b.String()
		if conv == 'a' {
			s = asciiEscape(s)
		}
		if prec >= 0 && utf8.RuneCountInString(s) > prec {
			s = string([]rune(s)[:prec])
		}
		return pad(s, false, 0), nil
	case 'c':
		var r rune
		switch x := v.(type) {
		case starlark.String:
			if utf8.RuneCountInString(string(x)) != 1 {
				return "", newErr(ErrEval, "%%c requires int or char")
			}
			r, _ = utf8.DecodeRuneInString(string(x))
		case starlark.Int, starlark.Bool:
			i, err := clampInt(x, "%c")
			if err != nil || i < 0 || i > unicode.MaxRune {
				return "", newErr(ErrEval, "%%c arg not in range(0x110000)")
			}
			r = rune(i)
		default:
			return "", newErr(ErrEval, "%%c requires int or char")
		}
		return pad(string(r), false, 0), nil
	case 'd', 'i', 'u', 'o', 'x', 'X':
		var n *big.Int
		switch x := v.(type) {
		case starlark.Int:
			n = x.BigInt()
		case starlark.Bool:
			n = big.NewInt(0)
			if x {
				n = big.NewInt(1)
			}
		case starlark.Float:
			if conv != 'd' && conv != 'i' && conv != 'u' {
				return "", newErr(ErrEval, "%%%c format: an integer is required, not float", conv)
			}
			f := float64(x)
			if math.IsInf(f, 0) || math.IsNaN(f) {
				return "", newErr(ErrEval, "cannot convert float %s to integer", pyFloatRepr(f))
			}
			n, _ = new(big.Float).SetFloat64(math.Trunc(f)).Int(nil)
		default:
			if conv == 'd' || conv == 'i' || conv == 'u' {
				return "", newErr(ErrEval, "%%%c format: a real number is required, not %s", conv, pyTypeName(v))
			}
			return "", newErr(ErrEval, "%%%c format: an integer is required, not %s", conv, pyTypeName(v))
		}
		neg := n.Sign() < 0
		abs := new(big.Int).Abs(n)
		var digits, prefix string
		switch conv {
		case 'o':
			digits = abs.Text(8)
			if alt {
				prefix = "0o"
			}
		case 'x':
			digits = abs.Text(16)
			if alt {
				prefix = "0x"
			}
		case 'X':
			digits = strings.ToUpper(abs.Text(16))
			if alt {
				prefix = "0X"
			}
		default:
			digits = abs.Text(10)
		}
		if prec > len(digits) {
			digits = strings.Repeat("0", prec-len(digits)) + digits
		}
		sg := sign(neg) + prefix
		return pad(sg+digits, true, len(sg)), nil
	case 'e', 'E', 'f', 'F', 'g', 'G':
		var f float64
		switch x := v.(type) {
		case starlark.Float:
			f = float64(x)
		case starlark.Int:
			ff, ok := starlark.AsFloat(x)
			if !ok || math.IsInf(ff, 0) {
				return "", newErr(ErrEval, "int too large to convert to float")
			}
			f = ff
		case starlark.Bool:
			if x {
				f = 1
			}
		default:
			return "", newErr(ErrEval, "must be real number, not %s", pyTypeName(v))
		}
		if prec < 0 {
			prec = 6
		}
		neg := math.Signbit(f) && !math.IsNaN(f)
		abs := math.Abs(f)
		var body string
		switch {
		case math.IsInf(abs, 1):
			body = "inf"
		case math.IsNaN(abs):
			body = "nan"
		default:
			verb := "%"
			if alt {
				verb += "#"
			}
			body = fmt.Sprintf(verb+"."+strconv.Itoa(prec)+string(conv), abs)
		}
		if math.IsInf(abs, 0) || math.IsNaN(abs) {
			if conv == 'E' || conv == 'F' || conv == 'G' {
				body = strings.ToUpper(body)
			}
			s := sign(neg) + body
			n := utf8.RuneCountInString(s)
			if width > n {
				if left {
					return s + strings.Repeat(" ", width-n), nil
				}
				return strings.Repeat(" ", width-n) + s, nil
			}
			return s, nil
		}
		sg := sign(neg)
		return pad(sg+body, true, len(sg)), nil
	}
	return "", newErr(ErrEval, "unsupported format character '%c' (0x%x) at index %d", conv, conv, pos)
}

// asciiEscape is what ascii() adds to repr(): non-ASCII escaped.
func asciiEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			b.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x10000:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	return b.String()
}

// formatFixed formats f with n decimals, rounding the exact binary value
// half to even, as Python's round(f, n) does before parsing back.
func formatFixed(f float64, n int) string {
	return strconv.FormatFloat(f, 'f', n, 64)
}

func parseFloatLenient(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, nil
		}
		return 0, newErr(ErrEval, "could not convert string to float: %s", pyStrRepr(s))
	}
	return f, nil
}

// decimalDigit is the value of a Unicode decimal digit (category Nd), as
// Python's int() accepts them.
func decimalDigit(r rune) (int, bool) {
	if r >= '0' && r <= '9' {
		return int(r - '0'), true
	}
	if r < 0x80 || !unicode.Is(unicode.Nd, r) {
		return 0, false
	}
	// Nd code points come in runs of ten starting at a zero.
	for _, rg := range unicode.Nd.R16 {
		if rune(rg.Lo) <= r && r <= rune(rg.Hi) && rg.Stride == 1 {
			return int(r-rune(rg.Lo)) % 10, true
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if rune(rg.Lo) <= r && r <= rune(rg.Hi) && rg.Stride == 1 {
			return int(r-rune(rg.Lo)) % 10, true
		}
	}
	return 0, false
}
