package activities

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Inputs arrive as JSON-decoded values (Temporal payloads are JSON), so
// numbers are float64, objects map[string]any and lists []any; components
// that run in-process may also see Go ints. These helpers convert them.

// stringify renders a scalar the way BKFlow's str() does for the values a
// rendered input can hold: strings as they are, integral numbers without a
// fraction, booleans as True/False; objects and lists as JSON.
func stringify(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		if x {
			return "True"
		}
		return "False"
	case float64:
		return formatFloat(x)
	case float32:
		return formatFloat(float64(x))
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return fmt.Sprint(x)
	case json.Number:
		return x.String()
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	}
}

func formatFloat(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// toInt converts a number or a decimal string (surrounding spaces allowed) to
// an int64. Fractional numbers are truncated toward zero, as Python's int()
// does; booleans are 1 and 0.
func toInt(v any) (int64, error) {
	switch x := v.(type) {
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case float64:
		return floatToInt(x)
	case float32:
		return floatToInt(float64(x))
	case int:
		return int64(x), nil
	case int8:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case int64:
		return x, nil
	case uint8:
		return int64(x), nil
	case uint16:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint:
		if uint64(x) > math.MaxInt64 {
			return 0, fmt.Errorf("%d is out of range", x)
		}
		return int64(x), nil
	case uint64:
		if x > math.MaxInt64 {
			return 0, fmt.Errorf("%d is out of range", x)
		}
		return int64(x), nil
	case json.Number:
		return toInt(x.String())
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not an integer", x)
		}
		return n, nil
	default:
		return 0, fmt.Errorf("%s is not an integer", typeName(v))
	}
}

func floatToInt(f float64) (int64, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) || f >= math.MaxInt64 || f < math.MinInt64 {
		return 0, fmt.Errorf("%v is out of range", f)
	}
	return int64(f), nil
}

// toBool converts a boolean, the strings true/yes/1/false/no/0 (any case,
// surrounding spaces allowed) or the numbers 1 and 0.
func toBool(v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "yes", "1":
			return true, nil
		case "false", "no", "0":
			return false, nil
		}
		return false, fmt.Errorf("%q is not a boolean", x)
	case nil:
		return false, fmt.Errorf("null is not a boolean")
	}
	n, err := toInt(v)
	if err != nil || (n != 0 && n != 1) {
		return false, fmt.Errorf("%s is not a boolean", stringify(v))
	}
	return n == 1, nil
}

// toObject returns a JSON object or list given as such or as JSON text.
func toObject(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any, []any:
		return x, nil
	case string:
		var parsed any
		if err := json.Unmarshal([]byte(x), &parsed); err != nil {
			return nil, fmt.Errorf("%q is not valid JSON", x)
		}
		switch parsed.(type) {
		case map[string]any, []any:
			return parsed, nil
		}
		return nil, fmt.Errorf("%q is not a JSON object or list", x)
	default:
		// Go maps and slices of other element types (in-process callers).
		b, err := json.Marshal(x)
		if err != nil {
			return nil, fmt.Errorf("%s is not an object", typeName(v))
		}
		var parsed any
		if err := json.Unmarshal(b, &parsed); err != nil {
			return nil, fmt.Errorf("%s is not an object", typeName(v))
		}
		switch parsed.(type) {
		case map[string]any, []any:
			return parsed, nil
		}
		return nil, fmt.Errorf("%s is not an object or list", typeName(v))
	}
}

// truthy reads an optional boolean flag: a missing (nil) value is def;
// strings follow toBool, and "" is false.
func truthy(v any, def bool) (bool, error) {
	if v == nil {
		return def, nil
	}
	if s, ok := v.(string); ok && strings.TrimSpace(s) == "" {
		return false, nil
	}
	return toBool(v)
}

// decodeInto converts a JSON-shaped value (a map from a payload, or already
// the target struct) into out by a JSON round trip.
func decodeInto(v any, out any) error {
	if s, ok := v.(string); ok {
		return json.Unmarshal([]byte(s), out)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case map[string]any:
		return "object"
	case []any:
		return "list"
	default:
		return fmt.Sprintf("%T", v)
	}
}
