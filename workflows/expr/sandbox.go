package expr

import (
	"math"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// Limits of one template evaluation.
const (
	// DefaultMaxSteps is the Starlark step budget of one template.
	DefaultMaxSteps = 100_000
	// DefaultMaxAllocBytes bounds what one template may allocate through
	// the operations that can grow values quickly (+, *, %, join, replace,
	// str(), ...) and the length of its result.
	DefaultMaxAllocBytes = 16 << 20
)

// Options are the limits for one evaluation.
type Options struct {
	// MaxSteps is the Starlark execution steps per template; 0 means
	// DefaultMaxSteps. Builtins that walk a sequence (sorted, list, join,
	// in, ...) are charged one step per element as well.
	MaxSteps uint64
	// MaxAllocBytes bounds the bytes one template may allocate through
	// value-growing operations and the size of its str() result; 0 means
	// DefaultMaxAllocBytes.
	MaxAllocBytes int64
}

func (o Options) steps() uint64 {
	if o.MaxSteps == 0 {
		return DefaultMaxSteps
	}
	return o.MaxSteps
}

func (o Options) alloc() int64 {
	if o.MaxAllocBytes <= 0 {
		return DefaultMaxAllocBytes
	}
	return o.MaxAllocBytes
}

// evalState is the per-template budget, kept in the thread's locals.
type evalState struct {
	maxSteps uint64
	maxAlloc int64
	alloc    int64
	conv     *converter
}

const stateKey = "bkflow.expr.state"

func stateOf(thread *starlark.Thread) *evalState {
	if st, ok := thread.Local(stateKey).(*evalState); ok {
		return st
	}
	// Only reached by code running outside evaluate (not expected).
	st := &evalState{maxSteps: DefaultMaxSteps, maxAlloc: DefaultMaxAllocBytes, conv: &converter{}}
	thread.SetLocal(stateKey, st)
	return st
}

func (st *evalState) remaining() int {
	r := st.maxAlloc - st.alloc
	if r < 0 {
		return 0
	}
	if r > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(r)
}

// charge books work done inside a builtin: steps count against the step
// budget, bytes against the allocation budget.
func charge(thread *starlark.Thread, steps uint64, bytes int64) error {
	st := stateOf(thread)
	if bytes > 0 {
		st.alloc += bytes
		if st.alloc > st.maxAlloc {
			return newErr(ErrMemoryLimit, "more than %d bytes", st.maxAlloc)
		}
	}
	if steps > 0 {
		thread.Steps += steps
		if thread.Steps >= st.maxSteps {
			return newErr(ErrStepLimit, "more than %d steps", st.maxSteps)
		}
	}
	return nil
}

// lenOf is the element count of sequences (code points of strings are not
// needed here: the byte length is the cost).
func lenOf(v starlark.Value) int {
	switch x := v.(type) {
	case starlark.String:
		return len(x)
	case *dictView:
		return x.dict.Len()
	}
	if n := starlark.Len(v); n > 0 {
		return n
	}
	return 0
}

// valueBytes is a rough size of a value for allocation accounting.
func valueBytes(v starlark.Value) int64 {
	switch x := v.(type) {
	case starlark.String:
		return int64(len(x))
	case starlark.Int:
		return int64(x.BigInt().BitLen()/8 + 8)
	}
	return int64(lenOf(v))*16 + 16
}

// allowedBuiltins are the root names a template may use besides context
// keys: BKFlow's SAFE_BUILTIN_NAMES that are implemented here, and the
// `json` sandbox module.
var allowedBuiltins = map[string]bool{
	"True": true, "False": true, "None": true,
	"bool": true, "int": true, "float": true, "str": true, "list": true, "tuple": true, "dict": true, "set": true,
	"abs": true, "round": true, "pow": true, "sum": true, "min": true, "max": true, "len": true,
	"range": true, "enumerate": true, "zip": true, "sorted": true, "reversed": true,
	"all": true, "any": true,
	"json": true,
}

// unsupportedNames are allowed in BKFlow but not available here (they are
// either non-deterministic or not implemented); templates using them stay
// verbatim.
var unsupportedNames = map[string]string{
	"datetime": "module datetime is not available (non-deterministic)",
	"time":     "module time is not available (non-deterministic)",
	"random":   "module random is not available (non-deterministic)",
	"re":       "module re is not available",
	"hashlib":  "module hashlib is not available",
	"os":       "module os is not available",
	"slice":    "slice() is not available",
}

// reservedNames are Mako's render-time namespaces, always refused.
var reservedNames = map[string]bool{
	"self": true, "context": true, "local": true, "parent": true, "next": true, "caller": true,
	"pageargs": true, "UNDEFINED": true, "STOP_RENDERING": true,
}

// dangerousAttrs are attribute names BKFlow refuses anywhere in a chain.
var dangerousAttrs = map[string]bool{
	"os": true, "sys": true, "subprocess": true, "shutil": true, "ctypes": true, "socket": true,
	"_thread": true, "threading": true, "builtins": true, "__builtins__": true, "modules": true,
	"popen": true, "popen2": true, "popen3": true, "popen4": true, "system": true,
	"spawnl": true, "spawnle": true, "spawnlp": true, "spawnlpe": true, "spawnv": true, "spawnve": true,
	"spawnvp": true, "spawnvpe": true, "execl": true, "execle": true, "execlp": true, "execlpe": true,
	"execv": true, "execve": true, "execvp": true, "execvpe": true, "fork": true, "forkpty": true, "kill": true,
}

// Names of the rewrite helpers. They contain '$', which the template regex
// excludes, so a template can never name them.
const (
	hAttr  = "$attr"
	hIndex = "$index"
	hSlice = "$slice"
	hIter  = "$iter"
)

var binopHelpers = map[syntax.Token]string{
	syntax.PLUS: "$add", syntax.MINUS: "$sub", syntax.STAR: "$mul", syntax.SLASH: "$div",
	syntax.SLASHSLASH: "$floordiv", syntax.PERCENT: "$mod",
	syntax.PIPE: "$or", syntax.AMP: "$and", syntax.CIRCUMFLEX: "$xor", syntax.LTLT: "$lshift", syntax.GTGT: "$rshift",
	syntax.IN: "$in", syntax.NOT_IN: "$notin",
	syntax.EQL: "$eq", syntax.NEQ: "$ne", syntax.LT: "$lt", syntax.LE: "$le", syntax.GT: "$gt", syntax.GE: "$ge",
}

// sandboxEnv is the predeclared environment of every template.
var sandboxEnv = buildEnv()

func buildEnv() starlark.StringDict {
	u := starlark.Universe
	env := starlark.StringDict{
		"bool":      u["bool"],
		"abs":       u["abs"],
		"range":     u["range"],
		"int":       starlark.NewBuiltin("int", builtinInt),
		"float":     starlark.NewBuiltin("float", builtinFloat),
		"str":       starlark.NewBuiltin("str", builtinStr),
		"len":       starlark.NewBuiltin("len", builtinLen),
		"round":     starlark.NewBuiltin("round", builtinRound),
		"pow":       starlark.NewBuiltin("pow", builtinPow),
		"sum":       starlark.NewBuiltin("sum", builtinSum),
		"list":      iterWrap("list"),
		"tuple":     iterWrap("tuple"),
		"dict":      iterWrap("dict"),
		"set":       iterWrap("set"),
		"min":       iterWrap("min"),
		"max":       iterWrap("max"),
		"enumerate": iterWrap("enumerate"),
		"zip":       iterWrap("zip"),
		"sorted":    iterWrap("sorted"),
		"reversed":  iterWrap("reversed"),
		"all":       iterWrap("all"),
		"any":       iterWrap("any"),
		"json":      jsonModule,
		hAttr:       starlark.NewBuiltin("getattr", helperAttr),
		hIndex:      starlark.NewBuiltin("subscript", helperIndex),
		hSlice:      starlark.NewBuiltin("slice", helperSlice),
		hIter:       starlark.NewBuiltin("iter", helperIter),
	}
	for op, name := range binopHelpers {
		env[name] = starlark.NewBuiltin(op.String(), binop(op))
	}
	env.Freeze()
	return env
}
