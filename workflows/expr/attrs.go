package expr

import (
	"strings"
	"unicode/utf8"

	"go.starlark.net/starlark"
)

// helperAttr is `x.name`: Python's methods where Starlark's differ or are
// missing, budget checks for the methods that grow values, everything else
// from Starlark.
func helperAttr(thread *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
	x := args[0]
	name := string(args[1].(starlark.String))
	switch recv := x.(type) {
	case starlark.String:
		if m, ok := stringMethods[name]; ok {
			return starlark.NewBuiltin(name, m).BindReceiver(recv), nil
		}
		if err := charge(thread, uint64(len(recv)/64), 0); err != nil {
			return nil, err
		}
	case *starlark.Dict:
		switch name {
		case "keys", "values", "items":
			return starlark.NewBuiltin(name, dictViewMethod(name)).BindReceiver(recv), nil
		case "copy":
			return starlark.NewBuiltin(name, dictCopy).BindReceiver(recv), nil
		case "update":
			if err := charge(thread, uint64(recv.Len()), 0); err != nil {
				return nil, err
			}
		}
	case *starlark.List:
		if m, ok := listMethods[name]; ok {
			return starlark.NewBuiltin(name, m).BindReceiver(recv), nil
		}
	}
	if h, ok := x.(starlark.HasAttrs); ok {
		v, err := h.Attr(name)
		if err != nil {
			return nil, err
		}
		if v != nil {
			if b, ok := v.(*starlark.Builtin); ok && b.Receiver() != nil {
				return wrapMethod(b), nil
			}
			return v, nil
		}
	}
	return nil, newErr(ErrEval, "'%s' object has no attribute '%s'", pyTypeName(x), name)
}

// wrapMethod charges the elements of a Starlark method's list result.
func wrapMethod(m *starlark.Builtin) starlark.Value {
	return starlark.NewBuiltin(m.Name(), func(thread *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		for _, a := range args {
			if err := charge(thread, uint64(lenOf(a)/64), 0); err != nil {
				return nil, err
			}
		}
		res, err := starlark.Call(thread, m, args, kwargs)
		if err != nil {
			return nil, err
		}
		if err := charge(thread, uint64(lenOf(res)), valueBytes(res)); err != nil {
			return nil, err
		}
		return res, nil
	}).BindReceiver(m.Receiver())
}

type builtinFunc = func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error)

var stringMethods map[string]builtinFunc

func init() {
	stringMethods = map[string]builtinFunc{
		"replace": strReplace,
		"join":    strJoin,
		"find":    strFind("find", false, false),
		"rfind":   strFind("rfind", true, false),
		"index":   strFind("index", false, true),
		"rindex":  strFind("rindex", true, true),
		"count":   strCount,
		"zfill":   strZfill,
		"ljust":   strJust("ljust"),
		"rjust":   strJust("rjust"),
		"center":  strJust("center"),
	}
}

var listMethods = map[string]builtinFunc{
	"extend":  listExtend,
	"count":   listCount,
	"copy":    listCopy,
	"sort":    listSort,
	"reverse": listReverse,
}

func recvString(b *starlark.Builtin) string { return string(b.Receiver().(starlark.String)) }

func strReplace(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	s := recvString(b)
	var old, repl string
	count := -1
	if err := starlark.UnpackPositionalArgs("replace", args, kwargs, 2, &old, &repl, &count); err != nil {
		return nil, err
	}
	n := strings.Count(s, old)
	if count >= 0 && count < n {
		n = count
	}
	size := int64(len(s)) + int64(n)*(int64(len(repl))-int64(len(old)))
	if err := charge(thread, uint64(len(s)/64+n/64), size); err != nil {
		return nil, err
	}
	return starlark.String(strings.Replace(s, old, repl, count)), nil
}

func strJoin(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	sep := recvString(b)
	var iterable starlark.Value
	if err := starlark.UnpackPositionalArgs("join", args, kwargs, 1, &iterable); err != nil {
		return nil, err
	}
	seq, err := pyIterable(thread, iterable)
	if err != nil {
		return nil, err
	}
	it := starlark.Iterate(seq)
	if it == nil {
		return nil, newErr(ErrEval, "can only join an iterable")
	}
	defer it.Done()
	var parts []string
	var x starlark.Value
	for i := 0; it.Next(&x); i++ {
		s, ok := x.(starlark.String)
		if !ok {
			return nil, newErr(ErrEval, "sequence item %d: expected str instance, %s found", i, pyTypeName(x))
		}
		parts = append(parts, string(s))
		if err := charge(thread, 0, int64(len(s))+int64(len(sep))); err != nil {
			return nil, err
		}
	}
	return starlark.String(strings.Join(parts, sep)), nil
}

// runeView gives code-point positions on a string: the identity for ASCII.
type runeView struct {
	s     string
	ascii bool
	rs    []rune
}

func newRuneView(s string) runeView {
	if isASCII(s) {
		return runeView{s: s, ascii: true}
	}
	return runeView{s: s, rs: []rune(s)}
}

func (v runeView) len() int {
	if v.ascii {
		return len(v.s)
	}
	return len(v.rs)
}

func (v runeView) sub(i, j int) string {
	if v.ascii {
		return v.s[i:j]
	}
	return string(v.rs[i:j])
}

// runesIn counts the code points of s, a piece of the viewed string.
func (v runeView) runesIn(s string) int {
	if v.ascii {
		return len(s)
	}
	return utf8.RuneCountInString(s)
}

// pyBounds clamps optional start/end arguments like Python's str methods.
func pyBounds(args starlark.Tuple, n int) (int, int, error) {
	start, end := 0, n
	if len(args) > 0 && args[0] != starlark.None {
		i, err := clampInt(args[0], "slice indices")
		if err != nil {
			return 0, 0, err
		}
		start = i
	}
	if len(args) > 1 && args[1] != starlark.None {
		i, err := clampInt(args[1], "slice indices")
		if err != nil {
			return 0, 0, err
		}
		end = i
	}
	norm := func(i int) int {
		if i < 0 {
			i += n
			if i < 0 {
				i = 0
			}
		}
		if i > n {
			i = n
		}
		return i
	}
	return norm(start), norm(end), nil
}

func strFind(name string, last, raise bool) builtinFunc {
	return func(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		s := recvString(b)
		if len(kwargs) > 0 || len(args) < 1 || len(args) > 3 {
			return nil, newErr(ErrEval, "%s() takes from 1 to 3 positional arguments", name)
		}
		sub, ok := args[0].(starlark.String)
		if !ok {
			return nil, newErr(ErrEval, "must be str, not %s", pyTypeName(args[0]))
		}
		if err := charge(thread, uint64(len(s)/64), 0); err != nil {
			return nil, err
		}
		v := newRuneView(s)
		start, end, err := pyBounds(args[1:], v.len())
		if err != nil {
			return nil, err
		}
		idx := -1
		if start <= end {
			hay := v.sub(start, end)
			var bi int
			if last {
				bi = strings.LastIndex(hay, string(sub))
			} else {
				bi = strings.Index(hay, string(sub))
			}
			if bi >= 0 {
				idx = start + v.runesIn(hay[:bi])
			}
		}
		if idx < 0 && raise {
			return nil, newErr(ErrEval, "substring not found")
		}
		return starlark.MakeInt(idx), nil
	}
}

func strCount(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	s := recvString(b)
	if len(kwargs) > 0 || len(args) < 1 || len(args) > 3 {
		return nil, newErr(ErrEval, "count() takes from 1 to 3 positional arguments")
	}
	sub, ok := args[0].(starlark.String)
	if !ok {
		return nil, newErr(ErrEval, "must be str, not %s", pyTypeName(args[0]))
	}
	if err := charge(thread, uint64(len(s)/64), 0); err != nil {
		return nil, err
	}
	v := newRuneView(s)
	start, end, err := pyBounds(args[1:], v.len())
	if err != nil {
		return nil, err
	}
	if start > end {
		return starlark.MakeInt(0), nil
	}
	return starlark.MakeInt(strings.Count(v.sub(start, end), string(sub))), nil
}

func strZfill(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	s := recvString(b)
	var width int
	if err := starlark.UnpackPositionalArgs("zfill", args, kwargs, 1, &width); err != nil {
		return nil, err
	}
	n := utf8.RuneCountInString(s)
	if width <= n {
		return starlark.String(s), nil
	}
	if err := charge(thread, 0, int64(width)); err != nil {
		return nil, err
	}
	pad := strings.Repeat("0", width-n)
	if s != "" && (s[0] == '+' || s[0] == '-') {
		return starlark.String(s[:1] + pad + s[1:]), nil
	}
	return starlark.String(pad + s), nil
}

func strJust(name string) builtinFunc {
	return func(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		s := recvString(b)
		var width int
		fill := " "
		if err := starlark.UnpackPositionalArgs(name, args, kwargs, 1, &width, &fill); err != nil {
			return nil, err
		}
		if utf8.RuneCountInString(fill) != 1 {
			return nil, newErr(ErrEval, "The fill character must be exactly one character long")
		}
		n := utf8.RuneCountInString(s)
		if width <= n {
			return starlark.String(s), nil
		}
		if err := charge(thread, 0, int64(width)*int64(len(fill))); err != nil {
			return nil, err
		}
		total := width - n
		switch name {
		case "ljust":
			return starlark.String(s + strings.Repeat(fill, total)), nil
		case "rjust":
			return starlark.String(strings.Repeat(fill, total) + s), nil
		}
		// Python's center puts the extra character on the left when the
		// string length is odd.
		left := total/2 + (total & width & 1)
		return starlark.String(strings.Repeat(fill, left) + s + strings.Repeat(fill, total-left)), nil
	}
}

// ---- lists ----

func recvList(b *starlark.Builtin) *starlark.List { return b.Receiver().(*starlark.List) }

func listExtend(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	l := recvList(b)
	var iterable starlark.Value
	if err := starlark.UnpackPositionalArgs("extend", args, kwargs, 1, &iterable); err != nil {
		return nil, err
	}
	seq, err := pyIterable(thread, iterable)
	if err != nil {
		return nil, err
	}
	if err := charge(thread, 0, int64(lenOf(seq))*16); err != nil {
		return nil, err
	}
	m, err := l.Attr("extend")
	if err != nil {
		return nil, err
	}
	return starlark.Call(thread, m, starlark.Tuple{seq}, nil)
}

func listCount(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	l := recvList(b)
	var x starlark.Value
	if err := starlark.UnpackPositionalArgs("count", args, kwargs, 1, &x); err != nil {
		return nil, err
	}
	if err := charge(thread, uint64(l.Len()), 0); err != nil {
		return nil, err
	}
	n := 0
	for i := 0; i < l.Len(); i++ {
		eq, err := starlark.Equal(l.Index(i), x)
		if err != nil {
			return nil, err
		}
		if eq {
			n++
		}
	}
	return starlark.MakeInt(n), nil
}

func listCopy(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	l := recvList(b)
	if err := starlark.UnpackPositionalArgs("copy", args, kwargs, 0); err != nil {
		return nil, err
	}
	if err := charge(thread, uint64(l.Len()), int64(l.Len())*16); err != nil {
		return nil, err
	}
	elems := make([]starlark.Value, l.Len())
	for i := range elems {
		elems[i] = l.Index(i)
	}
	return starlark.NewList(elems), nil
}

func listSort(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	l := recvList(b)
	if len(args) > 0 {
		return nil, newErr(ErrEval, "sort() takes no positional arguments")
	}
	if err := charge(thread, uint64(l.Len()), 0); err != nil {
		return nil, err
	}
	sorted, err := starlark.Call(thread, starlark.Universe["sorted"], starlark.Tuple{l}, kwargs)
	if err != nil {
		return nil, err
	}
	sl := sorted.(*starlark.List)
	for i := 0; i < sl.Len(); i++ {
		if err := l.SetIndex(i, sl.Index(i)); err != nil {
			return nil, err
		}
	}
	return starlark.None, nil
}

func listReverse(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	l := recvList(b)
	if err := starlark.UnpackPositionalArgs("reverse", args, kwargs, 0); err != nil {
		return nil, err
	}
	if err := charge(thread, uint64(l.Len()), 0); err != nil {
		return nil, err
	}
	for i, j := 0, l.Len()-1; i < j; i, j = i+1, j-1 {
		a, c := l.Index(i), l.Index(j)
		if err := l.SetIndex(i, c); err != nil {
			return nil, err
		}
		if err := l.SetIndex(j, a); err != nil {
			return nil, err
		}
	}
	return starlark.None, nil
}

// ---- dicts ----

func dictCopy(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	d := b.Receiver().(*starlark.Dict)
	if err := starlark.UnpackPositionalArgs("copy", args, kwargs, 0); err != nil {
		return nil, err
	}
	if err := charge(thread, uint64(d.Len()), int64(d.Len())*32); err != nil {
		return nil, err
	}
	out := starlark.NewDict(d.Len())
	for _, kv := range d.Items() {
		if err := out.SetKey(kv[0], kv[1]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func dictViewMethod(kind string) builtinFunc {
	return func(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		if err := starlark.UnpackPositionalArgs(kind, args, kwargs, 0); err != nil {
			return nil, err
		}
		return &dictView{dict: b.Receiver().(*starlark.Dict), kind: kind}, nil
	}
}

// dictView is Python's dict_keys / dict_values / dict_items: iterable,
// sized, supports `in`, prints as "dict_keys(['a'])", not subscriptable.
type dictView struct {
	dict *starlark.Dict
	kind string
}

var _ starlark.Sequence = (*dictView)(nil)

func (v *dictView) String() string       { return PyStr(v) }
func (v *dictView) Type() string         { return "dict_" + v.kind }
func (v *dictView) Freeze()              {}
func (v *dictView) Truth() starlark.Bool { return v.dict.Len() > 0 }
func (v *dictView) Hash() (uint32, error) {
	return 0, newErr(ErrEval, "unhashable type: '%s'", v.Type())
}
func (v *dictView) Len() int { return v.dict.Len() }
func (v *dictView) Iterate() starlark.Iterator {
	return v.list().Iterate()
}

func (v *dictView) list() *starlark.List {
	items := v.dict.Items()
	out := make([]starlark.Value, len(items))
	for i, kv := range items {
		switch v.kind {
		case "keys":
			out[i] = kv[0]
		case "values":
			out[i] = kv[1]
		default:
			out[i] = kv
		}
	}
	return starlark.NewList(out)
}
