package expr

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"reflect"
)

// This file holds Python value semantics on plain Go values for the
// condition languages: ints are *big.Int, floats float64, and bools,
// strings, nil, []any and map[string]any; anything else is an opaque
// object.

// pyValue normalises a context value into the model above.
func pyValue(v any) any {
	return pyValueDepth(v, 0)
}

func pyValueDepth(v any, depth int) any {
	if depth > maxValueDepth {
		return v
	}
	switch x := v.(type) {
	case nil, bool, string, float64, *big.Int:
		return v
	case json.Number:
		i, f, isInt, ok := parseJSONNumber(x)
		if !ok {
			return string(x)
		}
		if isInt {
			return i
		}
		return f
	case float32:
		return float64(x)
	case int:
		return big.NewInt(int64(x))
	case int8:
		return big.NewInt(int64(x))
	case int16:
		return big.NewInt(int64(x))
	case int32:
		return big.NewInt(int64(x))
	case int64:
		return big.NewInt(x)
	case uint:
		return new(big.Int).SetUint64(uint64(x))
	case uint8:
		return new(big.Int).SetUint64(uint64(x))
	case uint16:
		return new(big.Int).SetUint64(uint64(x))
	case uint32:
		return new(big.Int).SetUint64(uint64(x))
	case uint64:
		return new(big.Int).SetUint64(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = pyValueDepth(e, depth+1)
		}
		return out
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = pyValueDepth(e, depth+1)
		}
		return out
	}
	return v
}

// pyType is the Python type name of a normalised value.
func pyType(v any) string {
	switch v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case *big.Int:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []any:
		return "list"
	case map[string]any:
		return "dict"
	}
	return goTypeName(v)
}

// isPyInt reports isinstance(v, int) (bools are ints).
func isPyInt(v any) bool {
	switch v.(type) {
	case *big.Int, bool:
		return true
	}
	return false
}

func isPyNumber(v any) bool {
	switch v.(type) {
	case *big.Int, bool, float64:
		return true
	}
	return false
}

func bigOfBool(b bool) *big.Int {
	if b {
		return big.NewInt(1)
	}
	return big.NewInt(0)
}

// pyIntOf is Python's int(v).
func pyIntOf(v any) (*big.Int, error) {
	switch x := v.(type) {
	case *big.Int:
		return x, nil
	case bool:
		return bigOfBool(x), nil
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return nil, fmt.Errorf("cannot convert float %s to integer", pyFloatRepr(x))
		}
		i, _ := new(big.Float).SetFloat64(math.Trunc(x)).Int(nil)
		return i, nil
	case string:
		if i, ok := pyIntLiteral(pyStrip(x)); ok {
			return i, nil
		}
		return nil, fmt.Errorf("invalid literal for int() with base 10: %s", pyStrRepr(x))
	}
	return nil, fmt.Errorf("int() argument must be a string, a bytes-like object or a number, not '%s'", pyType(v))
}

// numCmp compares two numbers exactly; ok is false when either is NaN.
func numCmp(a, b any) (c int, ok bool) {
	fa, aIsFloat := a.(float64)
	fb, bIsFloat := b.(float64)
	if (aIsFloat && math.IsNaN(fa)) || (bIsFloat && math.IsNaN(fb)) {
		return 0, false
	}
	return bigFloatOf(a).Cmp(bigFloatOf(b)), true
}

func bigFloatOf(v any) *big.Float {
	switch x := v.(type) {
	case bool:
		return new(big.Float).SetInt(bigOfBool(x))
	case *big.Int:
		return new(big.Float).SetInt(x)
	case float64:
		return new(big.Float).SetFloat64(x)
	}
	return new(big.Float)
}

// pyEqual is Python's ==.
func pyEqual(a, b any) bool {
	if isPyNumber(a) && isPyNumber(b) {
		c, ok := numCmp(a, b)
		return ok && c == 0
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !pyEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !pyEqual(xv, yv) {
				return false
			}
		}
		return true
	}
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	if ta != tb || ta == nil || !ta.Comparable() {
		return false
	}
	return a == b
}

// pyCompare is Python's ordering comparisons (<, <=, >, >=).
func pyCompare(op string, a, b any) (bool, error) {
	if isPyNumber(a) && isPyNumber(b) {
		c, ok := numCmp(a, b)
		if !ok {
			return false, nil
		}
		return cmpResult(op, c), nil
	}
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			c := 0
			if x < y {
				c = -1
			} else if x > y {
				c = 1
			}
			return cmpResult(op, c), nil
		}
	case []any:
		if y, ok := b.([]any); ok {
			for i := 0; i < len(x) && i < len(y); i++ {
				if !pyEqual(x[i], y[i]) {
					return pyCompare(op, x[i], y[i])
				}
			}
			return cmpResult(op, len(x)-len(y)), nil
		}
	}
	return false, fmt.Errorf("'%s' not supported between instances of '%s' and '%s'", op, pyType(a), pyType(b))
}

func cmpResult(op string, c int) bool {
	switch op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	case "==":
		return c == 0
	}
	return c != 0
}

// pyTruth is Python's bool(v).
func pyTruth(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case *big.Int:
		return x.Sign() != 0
	case float64:
		return x != 0
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	return true
}

// pyHashable reports whether v could be a set element or dict key.
func pyHashable(v any) bool {
	switch v.(type) {
	case []any, map[string]any:
		return false
	}
	return true
}
