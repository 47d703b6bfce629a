package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// valueAssign is value_assign v1.0.0 (变量赋值): it converts each entry of
// bk_assignment_list to its value_type and returns the results as
// Result.ContextUpdates, which the interpreter writes over the existing
// pipeline variables. The component cannot see the pipeline context: the
// interpreter checks that each target exists, is PLAIN and holds the same
// type (BKFlow's "target variable X is not exist" and friends).
//
// Unlike BKFlow, whose path for entries without value_type always fails
// (a bug), such an entry fails with "value_type is required for key X".
type valueAssign struct{}

var _ Component = (*valueAssign)(nil)

// Value types of a bk_assignment_list entry.
const (
	assignString = "String"
	assignInt    = "Int"
	assignBool   = "Bool"
	assignObject = "Object"
)

// NewValueAssign returns the value_assign component.
func NewValueAssign() Component { return &valueAssign{} }

func (*valueAssign) Spec() Spec {
	return Spec{
		Code:    "value_assign",
		Version: "v1.0.0",
		Name:    "变量赋值",
		Description: "对变量赋值：先按所选类型（String、Int、Bool、Object）转换值，再写入对应的变量。" +
			"Bool 接受 true/yes/1 与 false/no/0（不区分大小写）；Object 仅支持键值对与列表（或其 JSON 文本）",
		Group: groupBK,
		Inputs: []Field{
			{Key: "bk_assignment_list", Name: "赋值变量或常量与被赋值变量列表", Type: "list", Required: true,
				Description: `[{"key": "<变量 key，不含 ${}>", "value": <值>, "value_type": "String|Int|Bool|Object"}]`},
		},
		Outputs: withDefaultOutputs(),
	}
}

func (*valueAssign) Execute(_ context.Context, req Request) (Result, error) {
	list, err := assignmentList(req.Inputs["bk_assignment_list"])
	if err != nil {
		return failed(err.Error()), nil
	}
	updates := make(map[string]any, len(list))
	for i, raw := range list {
		entry, ok := raw.(map[string]any)
		if !ok {
			return failed(fmt.Sprintf("bk_assignment_list[%d] is not an object", i)), nil
		}
		key := strings.TrimSpace(stringify(entry["key"]))
		key = strings.TrimSuffix(strings.TrimPrefix(key, "${"), "}")
		if key == "" {
			return failed(fmt.Sprintf("bk_assignment_list[%d] has no key", i)), nil
		}
		value, hasValue := entry["value"]
		if !hasValue {
			return failed(fmt.Sprintf("value is required for key %s", key)), nil
		}
		valueType := stringify(entry["value_type"])
		if valueType == "" {
			return failed(fmt.Sprintf("value_type is required for key %s", key)), nil
		}
		converted, err := convertAssignment(value, valueType)
		if err != nil {
			return failed(fmt.Sprintf("input variable '%s' cannot be converted to the type of expected %s for key %s: %v",
				stringify(value), valueType, key, err)), nil
		}
		updates[key] = converted
	}
	return Result{Outcome: OutcomeFinished, ContextUpdates: updates}, nil
}

func (*valueAssign) Schedule(context.Context, Request) (Result, error) {
	return Result{Outcome: OutcomeFinished}, nil
}

// assignmentList reads bk_assignment_list: a list, or its JSON text.
func assignmentList(v any) ([]any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []any:
		return x, nil
	case string:
		if strings.TrimSpace(x) == "" {
			return nil, nil
		}
		var list []any
		if err := json.Unmarshal([]byte(x), &list); err != nil {
			return nil, fmt.Errorf("bk_assignment_list is not a list: %v", err)
		}
		return list, nil
	default:
		var list []any
		if err := decodeInto(x, &list); err != nil {
			return nil, fmt.Errorf("bk_assignment_list is not a list")
		}
		return list, nil
	}
}

// convertAssignment converts value to valueType.
func convertAssignment(value any, valueType string) (any, error) {
	switch valueType {
	case assignString:
		return stringify(value), nil
	case assignInt:
		return toInt(value)
	case assignBool:
		return toBool(value)
	case assignObject:
		return toObject(value)
	default:
		return nil, fmt.Errorf("unknown value_type %q (want String, Int, Bool or Object)", valueType)
	}
}
