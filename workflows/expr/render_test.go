package expr

import (
	"encoding/json"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type renderCase struct {
	name string
	tpl  any
	ctx  map[string]any
	want any
	errs []string // "template => error kind"
}

func runRenderCases(t *testing.T, cases []renderCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, errs := Render(c.tpl, c.ctx, Options{})
			require.Equal(t, c.want, got)
			want := c.errs
			if want == nil {
				want = []string{}
			}
			require.Equal(t, want, errSummary(errs))
		})
	}
}

// Ported from bamboo-engine tests/template/test_template.py.
func TestRenderBambooEngineCases(t *testing.T) {
	runRenderCases(t, []renderCase{
		{name: "conditional in text", tpl: "a-${1 if t else 2}-${a}", ctx: map[string]any{"t": false, "a": "c"}, want: "a-2-c"},
		{name: "percent with conditional", tpl: "${'a-%s-c' % 1 if t else 2}", ctx: map[string]any{"t": true}, want: "a-1-c"},
		{name: "list", tpl: []any{"${a}", []any{"${a}", "${a+int(b)}"}}, ctx: map[string]any{"a": 2, "b": "3"},
			want: []any{2, []any{2, "5"}}},
		{name: "dict values", tpl: map[string]any{"aaaa": map[string]any{"a": "${a}", "b": "${a+int(b)}"}},
			ctx: map[string]any{"a": 2, "b": "3"}, want: map[string]any{"aaaa": map[string]any{"a": 2, "b": "5"}}},
		{name: "simple", tpl: "${a}", ctx: map[string]any{"a": "1"}, want: "1"},
		{name: "calculate", tpl: "${a+int(b)}", ctx: map[string]any{"a": 2, "b": "3"}, want: "5"},
		{name: "index chain returns raw int", tpl: "${a[0]}", ctx: map[string]any{"a": []any{1, 2}}, want: 1},
		{name: "dict item returns raw", tpl: `${a["b"]}`, ctx: map[string]any{"a": map[string]any{"b": 1}}, want: 1},
		{name: "not exists", tpl: "${a}", ctx: map[string]any{}, want: "${a}", errs: []string{"${a} => undefined name"}},
		{name: "attribute of missing", tpl: "${a.b}", ctx: map[string]any{}, want: "${a.b}", errs: []string{"${a.b} => undefined name"}},
		{name: "syntax error", tpl: "${a:b}", ctx: map[string]any{}, want: "${a:b}", errs: []string{"${a:b} => syntax error"}},
		{name: "raw list", tpl: "${a}", ctx: map[string]any{"a": []any{1, 2, 3}}, want: []any{1, 2, 3}},
		{name: "nested list", tpl: "${a[0][3]}", ctx: obj(`{"a": [[1, 2, 3, {"a": "b"}], [5, 6, 7, 8]]}`), want: map[string]any{"a": "b"}},
		{name: "raw dict", tpl: "${a}", ctx: obj(`{"a": {"a": "b"}}`), want: map[string]any{"a": "b"}},
		{name: "nested dict", tpl: "${a[0][3]['a']}", ctx: obj(`{"a": [[1, 2, 3, {"a": [1, 2, 3]}], [5, 6, 7, 8]]}`),
			want: []any{json.Number("1"), json.Number("2"), json.Number("3")}},
		{name: "type error", tpl: "${a[1]}", ctx: map[string]any{"a": 1}, want: "${a[1]}", errs: []string{"${a[1]} => evaluation error"}},
		{name: "int builtin", tpl: "${int(111)}", want: "111"},
		{name: "str builtin", tpl: "${str('aaa')}", want: "aaa"},
		{name: "builtin covered by context", tpl: "${int}", ctx: map[string]any{"int": "cover"}, want: "cover"},
		{name: "builtin covered in expression", tpl: "${int + 'x'}", ctx: map[string]any{"int": "cover"}, want: "coverx"},
		{name: "upper", tpl: "${name.upper()}", ctx: map[string]any{"name": "abc"}, want: "ABC"},
		{name: "split", tpl: "${name.split('-')}", ctx: map[string]any{"name": "a-b-c"}, want: "['a', 'b', 'c']"},
		{name: "comprehension", tpl: "${[x * 2 for x in items]}", ctx: map[string]any{"items": []any{1, 2, 3}}, want: "[2, 4, 6]"},
		{name: "lambda", tpl: "${(lambda y: y + 1)(seed)}", ctx: map[string]any{"seed": 4}, want: "5"},
		{name: "empty is falsy", tpl: "${a if a else 'default'}", ctx: map[string]any{"a": ""}, want: "default"},
		{name: "len", tpl: "${len(items)}", ctx: map[string]any{"items": []any{1, 2, 3}}, want: "3"},
		{name: "_loop raw", tpl: "${_loop}", ctx: map[string]any{"_loop": 7}, want: 7},
		{name: "_loop expression", tpl: "${_loop + 1}", ctx: map[string]any{"_loop": 2}, want: "3"},
		{name: "unknown root name", tpl: "${secret_var}", want: "${secret_var}", errs: []string{"${secret_var} => undefined name"}},
	})
}

func TestRenderSandbox(t *testing.T) {
	attacks := []string{
		`${"".__class__.__mro__[-1].__subclasses__()[127].__init__.__globals__["system"]("whoami")}`,
		`${getattr("", dir(0)[0][0] + dir(0)[0][0] + "class" + dir(0)[0][0]+ dir(0)[0][0])}`,
		`a-${__import__("os").system("whoami")}`,
		`${while True: pass}`,
		`${self.module.cache.util.os.popen("echo PWNED").read()}`,
		`${context.lookup}`,
		`${local.something}`,
		`${parent.foo}`,
		`${caller.body()}`,
		`${pageargs.x}`,
		`${os.path.os.popen("echo PWNED").read()}`,
		`${datetime.sys.modules["os"].popen("echo PWNED").read()}`,
		`${obj._secret}`,
		`${obj.public._private}`,
		`${().__class__.mro()}`,
		`${getattr('', '__cl' + 'ass__')}`,
		`${type('').mro()}`,
		`${vars()}`,
		`${format('', '')}`,
		`${breakpoint()}`,
		`${exec(print(''))}`,
		`${datetime.datetime.now().strftime("%Y")}`,
		`${hasattr(obj, 'x')}`,
		`${dir(obj)}`,
		`${print('x')}`,
		`${load('x')}`,
		`${obj['__class__']}`,
		`${obj.format_map(obj)}`,
		`${"%s".format(obj)}`,
		`${json.dumps.__call__}`,
	}
	for _, a := range attacks {
		t.Run(a, func(t *testing.T) {
			got, errs := Render(a, map[string]any{"obj": map[string]any{"public": 1}}, Options{})
			require.Equal(t, a, got)
			require.Len(t, errs, 1)
		})
	}
}

func TestRenderPythonStr(t *testing.T) {
	sys := &System{Attrs: map[string]any{"task_id": 12, "task_name": "t", "operator": "admin"}}
	runRenderCases(t, []renderCase{
		{name: "true", tpl: "x${a}", ctx: map[string]any{"a": true}, want: "xTrue"},
		{name: "none", tpl: "x${a}", ctx: map[string]any{"a": nil}, want: "xNone"},
		{name: "raw none", tpl: "${a}", ctx: map[string]any{"a": nil}, want: nil},
		{name: "float json number", tpl: "x${a}", ctx: obj(`{"a": 1.0}`), want: "x1.0"},
		{name: "float64", tpl: "x${a}", ctx: map[string]any{"a": 1e16}, want: "x1e+16"},
		{name: "small float", tpl: "${1e-5}", want: "1e-05"},
		{name: "division", tpl: "${int(a)/10}", ctx: map[string]any{"a": "15"}, want: "1.5"},
		{name: "float division of ints", tpl: "${10/5}", want: "2.0"},
		{name: "floor division", tpl: "${-7//2}", want: "-4"},
		{name: "list of strings", tpl: "x${a}", ctx: obj(`{"a": ["a", "it's", "b\"c", "\n"]}`), want: `x['a', "it's", 'b"c', '\n']`},
		{name: "nested containers", tpl: "x${a}", ctx: obj(`{"a": {"k": [1, 2.5, null, true, {"z": "y"}]}}`),
			want: "x{'k': [1, 2.5, None, True, {'z': 'y'}]}"},
		{name: "dict keys sorted", tpl: "${a}-", ctx: obj(`{"a": {"b": 1, "a": 2}}`), want: "{'a': 2, 'b': 1}-"},
		{name: "tuple one", tpl: "${(a,)}", ctx: map[string]any{"a": "x"}, want: "('x',)"},
		{name: "tuple", tpl: "${(1, 'b')}", want: "(1, 'b')"},
		{name: "empty set", tpl: "${set()}", want: "set()"},
		{name: "set", tpl: "${set([3, 1])}", want: "{3, 1}"},
		{name: "range", tpl: "${range(3)}", want: "range(0, 3)"},
		{name: "dict views", tpl: "${d.keys()} ${d.values()} ${list(d.items())}", ctx: obj(`{"d": {"b": 1, "a": 2}}`),
			want: "dict_keys(['a', 'b']) dict_values([2, 1]) [('a', 2), ('b', 1)]"},
		{name: "view membership and len", tpl: "${'a' in d.keys()} ${len(d.values())} ${sorted(d)}", ctx: obj(`{"d": {"b": 1, "a": 2}}`),
			want: "True 2 ['a', 'b']"},
		{name: "big int", tpl: "${a * a}", ctx: map[string]any{"a": new(big.Int).Lsh(big.NewInt(1), 70)},
			want: "1393796574908163946345982392040522594123776"},
		{name: "system attr", tpl: "${_system.task_id}", ctx: map[string]any{"_system": sys}, want: "12"},
		{name: "system str", tpl: "[${_system}]", ctx: map[string]any{"_system": sys},
			want: "[<SystemObject: {'operator': 'admin', 'task_id': 12, 'task_name': 't'}>]"},
		{name: "system raw", tpl: "${_system}", ctx: map[string]any{"_system": sys}, want: sys},
		{name: "system missing attr", tpl: "${_system.nope}", ctx: map[string]any{"_system": sys}, want: "${_system.nope}",
			errs: []string{"${_system.nope} => evaluation error"}},
		{name: "int64", tpl: "${a + 1}", ctx: map[string]any{"a": int64(41)}, want: "42"},
		{name: "bool is int", tpl: "${True + 1} ${True == 1} ${sum([True, True])} ${1 < True}", want: "2 True 2 False"},
		{name: "repeated template", tpl: "${a}${a}", ctx: map[string]any{"a": 1}, want: "11"},
		{name: "spaces inside", tpl: "${ a }", ctx: map[string]any{"a": 1}, want: "1"},
		{name: "no template", tpl: "plain $ { } text", want: "plain $ { } text"},
		{name: "hash excluded", tpl: "${a#b}", ctx: map[string]any{"a": 1}, want: "${a#b}"},
		{name: "non-string leaves", tpl: []any{json.Number("1"), 2.5, true, nil}, want: []any{json.Number("1"), 2.5, true, nil}},
		{name: "dict keys not rendered", tpl: map[string]any{"${a}": "${a}"}, ctx: map[string]any{"a": "v"}, want: map[string]any{"${a}": "v"}},
		{name: "index chain on missing key falls back", tpl: `${a["x"]}`, ctx: obj(`{"a": {"b": 1}}`), want: `${a["x"]}`,
			errs: []string{`${a["x"]} => evaluation error`}},
		{name: "index chain on string evaluates", tpl: "${a[1]}", ctx: map[string]any{"a": "xyz"}, want: "y"},
		{name: "quoted index on list falls back", tpl: `${a["0"]}`, ctx: obj(`{"a": [1]}`), want: `${a["0"]}`,
			errs: []string{`${a["0"]} => evaluation error`}},
		{name: "chinese key index chain", tpl: "${变量[0]}", ctx: obj(`{"变量": ["x"]}`), want: "x"},
	})
}

func TestRenderStringSemantics(t *testing.T) {
	runRenderCases(t, []renderCase{
		{name: "code point slice", tpl: "${s[0:2]}|${s[-1]}|${len(s)}|${s[::-1]}", ctx: map[string]any{"s": "中文字"}, want: "中文|字|3|字文中"},
		{name: "slices", tpl: "${s[2:-1]}|${s[-2:]}|${s[:100]}|${s[5:2]}|${s[::2]}|${s[-100:2]}|${s[1:1]}|${s[True:]}|${s[-1]}${s[0]}",
			ctx: map[string]any{"s": "中文ab字"}, want: "ab|b字|中文ab字||中a字|中文||文ab字|字中"},
		{name: "list slices", tpl: "${l[1:]} ${l[::-1]} ${l[-2:]} ${l[5:]} ${l[-1]}", ctx: obj(`{"l": [1, 2, 3]}`), want: "[2, 3] [3, 2, 1] [2, 3] [] 3"},
		{name: "list of chars", tpl: "${list(s)}", ctx: map[string]any{"s": "中a"}, want: "['中', 'a']"},
		{name: "iterate chars", tpl: "${[c for c in s]}", ctx: map[string]any{"s": "ab"}, want: "['a', 'b']"},
		{name: "join chars", tpl: "${'-'.join(s)}", ctx: map[string]any{"s": "abc"}, want: "a-b-c"},
		{name: "find code points", tpl: "${s.find('字')} ${s.index('a')} ${'aaa'.count('')} ${'abcabc'.rfind('b', 0, 4)}",
			ctx: map[string]any{"s": "中文字abc"}, want: "2 3 4 1"},
		{name: "strip split", tpl: "${[i.strip() for i in s.split(',')]}", ctx: map[string]any{"s": " a , b "}, want: "['a', 'b']"},
		{name: "replace newline", tpl: `${s.replace("\n", ",")}`, ctx: map[string]any{"s": "a\nb"}, want: "a,b"},
		{name: "prefix concat", tpl: `${"prefix" + s}`, ctx: map[string]any{"s": "x"}, want: "prefixx"},
		{name: "prefix percent", tpl: `${"prefix%s" % s}`, ctx: map[string]any{"s": "x"}, want: "prefixx"},
		{name: "padding", tpl: "${'abc'.center(6, '*')} ${'ab'.center(5, '*')} ${'-42'.zfill(6)} ${s.ljust(4, '.')} ${'x'.rjust(3)}",
			ctx: map[string]any{"s": "中文"}, want: "*abc** **ab* -00042 中文..   x"},
		{name: "int strips", tpl: "${int(' 12 ') + int('1_000')} ${float(' 1.5 ')}", want: "1012 1.5"},
		{name: "round", tpl: "${round(2.675, 2)} ${round(2.5)} ${round(3.5)} ${round(-2.5)} ${round(1234.5, -2)} ${round(1250, -2)} ${round(1350, -2)}",
			want: "2.67 2 4 -2 1200.0 1200 1400"},
		{name: "pow abs min max", tpl: "${pow(2, 10)} ${pow(2, -1)} ${abs(-3)} ${min(3, 1)} ${max('ab')}", want: "1024 0.5 3 1 b"},
		{name: "sorted enumerate zip", tpl: "${sorted(['b', 'a'])} ${list(enumerate('ab'))} ${list(zip([1, 2], 'xy'))}",
			want: "['a', 'b'] [(0, 'a'), (1, 'b')] [(1, 'x'), (2, 'y')]"},
		{name: "list methods", tpl: "${[l.sort(), l][1]} ${l.count(1)} ${l.copy()}", ctx: obj(`{"l": [3, 1, 1]}`), want: "[1, 1, 3] 2 [3, 1, 1]"},
		{name: "mutation stays in the template", tpl: "${l.append(9)} ${l}", ctx: obj(`{"l": [1]}`), want: "None [1]"},
		{name: "json dumps", tpl: "${json.dumps(d)} ${json.dumps(d, ensure_ascii=False)} ${json.dumps(l, indent=2)}",
			ctx: obj(`{"d": {"b": 1, "a": "中"}, "l": [1, 2]}`), want: "{\"a\": \"\\u4e2d\", \"b\": 1} {\"a\": \"中\", \"b\": 1} [\n  1,\n  2\n]"},
		{name: "json loads", tpl: "${json.loads(s)['a'][0]}", ctx: map[string]any{"s": `{"z": 1, "a": [1.0]}`}, want: "1.0"},
		{name: "json loads keeps order", tpl: "${json.loads(s)}", ctx: map[string]any{"s": `{"z": 1, "a": 2}`}, want: "{'z': 1, 'a': 2}"},
		{name: "string index out of range", tpl: "${s[5]}", ctx: map[string]any{"s": "ab"}, want: "${s[5]}",
			errs: []string{"${s[5]} => evaluation error"}},
		{name: "division by zero", tpl: "${1/0}", want: "${1/0}", errs: []string{"${1/0} => evaluation error"}},
		{name: "unsupported module", tpl: "${re.sub('a', 'b', s)}", ctx: map[string]any{"s": "a"}, want: "${re.sub('a', 'b', s)}",
			errs: []string{"${re.sub('a', 'b', s)} => undefined name"}},
	})
}

func TestRenderPercentFormat(t *testing.T) {
	runRenderCases(t, []renderCase{
		{name: "mixed", tpl: "${'%05.2f|%-4d|%x|%r|%s|%+d|% d|%X|%o|%e|%g|%G|%c|%5s|%-5s|%.2s|%a|%i' % (3.14159, 7, 255, 'a', l, 5, 5, 255, 8, 12345.678, 0.00001234, 1e20, 65, 'ab', 'ab', 'abcdef', '中', True)}",
			ctx: obj(`{"l": [1]}`), want: `03.14|7   |ff|'a'|[1]|+5| 5|FF|10|1.234568e+04|1.234e-05|1E+20|A|   ab|ab   |ab|'\u4e2d'|1`},
		{name: "numbers", tpl: "${'%.3g|%10.4e|%-10.1f|%010.3f|%+.0f|%x|%.3d|%*d|%f' % (1234567, 3.14159, 2.25, -3.14159, 2.5, -255, 7, 4, 2, float('inf'))}",
			want: "1.23e+06|3.1416e+00|2.2       |-00003.142|+2|-ff|007|   2|inf"},
		{name: "hash is not a template", tpl: "${'%#x' % 255}", want: "${'%#x' % 255}"},
		{name: "d truncates float", tpl: "${'%d' % 3.9}", want: "3"},
		{name: "mapping", tpl: "${'%(a)s-%(b)d' % d} ${'%s' % d} ${'abc' % d}", ctx: obj(`{"d": {"a": "x", "b": 2}}`), want: "x-2 {'a': 'x', 'b': 2} abc"},
		{name: "percent literal", tpl: "${'100%%' % ()}", want: "100%"},
		{name: "too few", tpl: "${'%s %s' % ('a',)}", want: "${'%s %s' % ('a',)}", errs: []string{"${'%s %s' % ('a',)} => evaluation error"}},
		{name: "too many", tpl: "${'%s' % ('a', 'b')}", want: "${'%s' % ('a', 'b')}", errs: []string{"${'%s' % ('a', 'b')} => evaluation error"}},
		{name: "int modulo", tpl: "${-7 % 3}", want: "2"},
	})
}

func TestRenderLimits(t *testing.T) {
	start := time.Now()
	runRenderCases(t, []renderCase{
		{name: "huge comprehension", tpl: "${[x for x in range(100000000)]}", want: "${[x for x in range(100000000)]}",
			errs: []string{"${[x for x in range(100000000)]} => step limit exceeded"}},
		{name: "huge list()", tpl: "${list(range(100000000))}", want: "${list(range(100000000))}",
			errs: []string{"${list(range(100000000))} => step limit exceeded"}},
		{name: "huge sorted", tpl: "${sorted(range(100000000))}", want: "${sorted(range(100000000))}",
			errs: []string{"${sorted(range(100000000))} => step limit exceeded"}},
		{name: "string repeat", tpl: "${'x' * 1000000000}", want: "${'x' * 1000000000}",
			errs: []string{"${'x' * 1000000000} => allocation limit exceeded"}},
		{name: "list repeat", tpl: "${[0] * 100000000}", want: "${[0] * 100000000}",
			errs: []string{"${[0] * 100000000} => allocation limit exceeded"}},
		{name: "doubling lambdas", tpl: "${(lambda f: f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(s))))))))))))))))))))))))))(lambda x: x + x)}",
			ctx: map[string]any{"s": "0123456789"}, want: "${(lambda f: f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(s))))))))))))))))))))))))))(lambda x: x + x)}",
			errs: []string{"${(lambda f: f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(f(s))))))))))))))))))))))))))(lambda x: x + x)} => step limit exceeded"}},
		{name: "replace blowup", tpl: "${(s * 3000).replace('', s * 3000)}", ctx: map[string]any{"s": "abc"},
			want: "${(s * 3000).replace('', s * 3000)}", errs: []string{"${(s * 3000).replace('', s * 3000)} => allocation limit exceeded"}},
		{name: "str of shared references", tpl: "${str([s] * 20000)}", ctx: map[string]any{"s": strings.Repeat("x", 10000)},
			want: "${str([s] * 20000)}", errs: []string{"${str([s] * 20000)} => allocation limit exceeded"}},
		{name: "result too large", tpl: "${[s] * 20000}", ctx: map[string]any{"s": strings.Repeat("x", 10000)},
			want: "${[s] * 20000}", errs: []string{"${[s] * 20000} => allocation limit exceeded"}},
		{name: "join of shared references", tpl: "${''.join([s] * 20000)}", ctx: map[string]any{"s": strings.Repeat("x", 10000)},
			want: "${''.join([s] * 20000)}", errs: []string{"${''.join([s] * 20000)} => allocation limit exceeded"}},
		{name: "pow", tpl: "${pow(10, 100000000)}", want: "${pow(10, 100000000)}", errs: []string{"${pow(10, 100000000)} => allocation limit exceeded"}},
		{name: "membership in a loop", tpl: "${[1 in l for i in range(1000)]}", ctx: map[string]any{"l": make([]any, 10000)},
			want: "${[1 in l for i in range(1000)]}", errs: []string{"${[1 in l for i in range(1000)]} => step limit exceeded"}},
		{name: "huge int", tpl: "${[x * x * x * x * x for x in [pow(7, 5000)]]}", want: "${[x * x * x * x * x for x in [pow(7, 5000)]]}",
			errs: []string{"${[x * x * x * x * x for x in [pow(7, 5000)]]} => allocation limit exceeded"}},
		{name: "int to str limit", tpl: "${pow(7, 6000)}", want: "${pow(7, 6000)}", errs: []string{"${pow(7, 6000)} => evaluation error"}},
		{name: "int parse limit", tpl: "${int('9' * 5000)}", want: "${int('9' * 5000)}", errs: []string{"${int('9' * 5000)} => evaluation error"}},
		{name: "range membership is cheap", tpl: "${5 in range(100000000)}", want: "True"},
		{name: "slicing a long string repeatedly", tpl: "${len([s[i:i+2] + s[-1] for i in range(500)])}",
			ctx: map[string]any{"s": strings.Repeat("中", 1<<18)}, want: "500"},
		{name: "recursion refused", tpl: "${(lambda f: f(f))(lambda f: f(f))}", want: "${(lambda f: f(f))(lambda f: f(f))}",
			errs: []string{"${(lambda f: f(f))(lambda f: f(f))} => evaluation error"}},
	})
	require.Less(t, time.Since(start), 5*time.Second)
}

func TestRenderStepOption(t *testing.T) {
	_, errs := RenderString("${[x for x in range(1000)]}", nil, Options{MaxSteps: 100})
	require.Len(t, errs, 1)
	require.ErrorIs(t, errs[0].Err, ErrStepLimit)
	require.Contains(t, errs[0].Error(), "step limit")
	got, errs := RenderString("${len([x for x in range(1000)])}", nil, Options{MaxSteps: 1_000_000})
	require.Empty(t, errs)
	require.Equal(t, "1000", got)
}

func TestRenderDeterministic(t *testing.T) {
	ctx := obj(`{"d": {"z": 1, "y": [3, 2], "x": {"b": null, "a": 1.5}}, "m": {"k3": "c", "k1": "a", "k2": "b"}}`)
	tpl := map[string]any{
		"a": "${d}",
		"b": "x${d}",
		"c": "${[k for k in m]} ${dict(m)} ${m.items()}",
		"d": []any{"${sorted(m.values())}", "${json.dumps(d)}"},
	}
	first, errs := Render(tpl, ctx, Options{})
	require.Empty(t, errs)
	require.Equal(t, "x{'x': {'a': 1.5, 'b': None}, 'y': [3, 2], 'z': 1}", first.(map[string]any)["b"])
	for range 50 {
		got, errs := Render(tpl, ctx, Options{})
		require.Empty(t, errs)
		require.Equal(t, first, got)
	}
}

func TestRenderDoesNotModifyInput(t *testing.T) {
	in := map[string]any{"a": []any{"${x}"}}
	out, _ := Render(in, map[string]any{"x": 1}, Options{})
	require.Equal(t, map[string]any{"a": []any{"${x}"}}, in)
	require.Equal(t, map[string]any{"a": []any{1}}, out)
}

func TestPyStrFloats(t *testing.T) {
	cases := []struct {
		in   float64
		want string
	}{
		{1, "1.0"}, {0.1, "0.1"}, {1e16, "1e+16"}, {1e15, "1000000000000000.0"}, {1e-5, "1e-05"}, {0.0001, "0.0001"},
		{1234567, "1234567.0"}, {123456789012345680, "1.2345678901234568e+17"}, {1e22, "1e+22"}, {2.5e-7, "2.5e-07"},
		{math.Copysign(0, -1), "-0.0"}, {-1.5, "-1.5"}, {1.0 / 3, "0.3333333333333333"},
	}
	for _, c := range cases {
		require.Equal(t, c.want, PyStr(c.in), "%v", c.in)
	}
}

func TestPyRepr(t *testing.T) {
	cases := []struct {
		in   any
		want string
	}{
		{"it's", `"it's"`},
		{`a"b`, `'a"b'`},
		{"\x00\x7f\u00a0\u200b\U0001F600é", `'\x00\x7f\xa0\u200b😀é'`},
		{`both ' and "`, `'both \' and "'`},
		{`back\slash`, `'back\\slash'`},
		{[]any{"a\nb", "it's"}, `['a\nb', "it's"]`},
		{map[string]any{}, "{}"},
		{[]any{}, "[]"},
		{json.Number("1e3"), "1000.0"},
		{json.Number("-0"), "0"},
		{[]string{"a"}, "['a']"},
		{&DataTable{Rows: []map[string]any{{"b": 1, "a": 2}, {"c": 3}}}, "DataTable with a,b,c Fields"},
	}
	for _, c := range cases {
		require.Equal(t, c.want, PyRepr(c.in), "%#v", c.in)
	}
}

func TestRenderConcurrent(t *testing.T) {
	ctx := obj(`{"a": "x-y", "l": [3, 1, 2], "d": {"k": "v"}}`)
	ctx["_system"] = &System{Attrs: map[string]any{"task_id": 1}}
	tpl := []any{"${a.split('-')}", "${sorted(l)}", "${d['k'] * 2}", "${_system.task_id + 1}", "${[x for x in l if x > 1]}"}
	want, errs := Render(tpl, ctx, Options{})
	require.Empty(t, errs)
	done := make(chan any)
	for range 8 {
		go func() {
			var got any
			for range 50 {
				got, _ = Render(tpl, ctx, Options{})
			}
			done <- got
		}()
	}
	for range 8 {
		require.Equal(t, want, <-done)
	}
}
