package expr

import (
	"encoding/json"
	"fmt"
	"math/big"
	"reflect"

	"go.starlark.net/starlark"
)

const maxValueDepth = 1000

// converter turns JSON-like Go values into fresh Starlark values. Each
// template evaluation converts what it references anew, so a template that
// mutates a list cannot affect another template.
type converter struct{}

func (c *converter) toStarlark(v any, depth int) (starlark.Value, error) {
	if depth > maxValueDepth {
		return nil, newErr(ErrEval, "context value nested deeper than %d levels", maxValueDepth)
	}
	switch x := v.(type) {
	case nil:
		return starlark.None, nil
	case bool:
		return starlark.Bool(x), nil
	case string:
		return starlark.String(x), nil
	case json.Number:
		i, f, isInt, ok := parseJSONNumber(x)
		if !ok {
			return starlark.String(string(x)), nil
		}
		if isInt {
			return starlark.MakeBigInt(i), nil
		}
		return starlark.Float(f), nil
	case float64:
		return starlark.Float(x), nil
	case float32:
		return starlark.Float(float64(x)), nil
	case int:
		return starlark.MakeInt(x), nil
	case int8:
		return starlark.MakeInt64(int64(x)), nil
	case int16:
		return starlark.MakeInt64(int64(x)), nil
	case int32:
		return starlark.MakeInt64(int64(x)), nil
	case int64:
		return starlark.MakeInt64(x), nil
	case uint:
		return starlark.MakeUint64(uint64(x)), nil
	case uint8:
		return starlark.MakeUint64(uint64(x)), nil
	case uint16:
		return starlark.MakeUint64(uint64(x)), nil
	case uint32:
		return starlark.MakeUint64(uint64(x)), nil
	case uint64:
		return starlark.MakeUint64(x), nil
	case *big.Int:
		return starlark.MakeBigInt(x), nil
	case []any:
		elems := make([]starlark.Value, len(x))
		for i, e := range x {
			sv, err := c.toStarlark(e, depth+1)
			if err != nil {
				return nil, err
			}
			elems[i] = sv
		}
		return starlark.NewList(elems), nil
	case []string:
		elems := make([]starlark.Value, len(x))
		for i, e := range x {
			elems[i] = starlark.String(e)
		}
		return starlark.NewList(elems), nil
	case map[string]any:
		d := starlark.NewDict(len(x))
		for _, k := range sortedKeys(x) {
			sv, err := c.toStarlark(x[k], depth+1)
			if err != nil {
				return nil, err
			}
			if err := d.SetKey(starlark.String(k), sv); err != nil {
				return nil, err
			}
		}
		return d, nil
	case *System:
		if x == nil {
			return starlark.None, nil
		}
		return &systemValue{sys: x, conv: c}, nil
	case *DataTable:
		if x == nil {
			return starlark.None, nil
		}
		return &dataTableValue{table: x, conv: c}, nil
	case starlark.Value:
		return x, nil
	}
	return c.reflectValue(v, depth)
}

// reflectValue converts other slices and string-keyed maps.
func (c *converter) reflectValue(v any, depth int) (starlark.Value, error) {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		items := make([]any, rv.Len())
		for i := range items {
			items[i] = rv.Index(i).Interface()
		}
		return c.toStarlark(items, depth)
	case reflect.Map:
		if rv.Type().Key().Kind() == reflect.String {
			m := make(map[string]any, rv.Len())
			it := rv.MapRange()
			for it.Next() {
				m[it.Key().String()] = it.Value().Interface()
			}
			return c.toStarlark(m, depth)
		}
	case reflect.Pointer:
		if rv.IsNil() {
			return starlark.None, nil
		}
		return c.toStarlark(rv.Elem().Interface(), depth+1)
	case reflect.String:
		return starlark.String(rv.String()), nil
	case reflect.Bool:
		return starlark.Bool(rv.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return starlark.MakeInt64(rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return starlark.MakeUint64(rv.Uint()), nil
	case reflect.Float32, reflect.Float64:
		return starlark.Float(rv.Float()), nil
	}
	return nil, newErr(ErrEval, "unsupported context value of Go type %T", v)
}

// goTypeName is the Python type name of a JSON-like Go value.
func goTypeName(v any) string {
	switch x := v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case string:
		return "str"
	case json.Number:
		if _, _, isInt, ok := parseJSONNumber(x); ok && isInt {
			return "int"
		}
		return "float"
	case float32, float64:
		return "float"
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, *big.Int:
		return "int"
	case []any, []string:
		return "list"
	case map[string]any:
		return "dict"
	case *System:
		return "SystemObject"
	case *DataTable:
		return "DataTableValue"
	case starlark.Value:
		return pyTypeName(x)
	}
	return fmt.Sprintf("%T", v)
}
