package expr

import (
	"encoding/json"
	"sort"

	"go.starlark.net/starlark"
)

// System is the ${_system.*} object: attribute access in templates
// (`${_system.task_name}`), str() like BKFlow's SystemObject
// ("<SystemObject: {'task_id': 1, ...}>", keys sorted).
type System struct{ Attrs map[string]any }

// String is Python's str() of the object.
func (s *System) String() string { return PyStr(s) }

// MarshalJSON encodes the attributes.
func (s *System) MarshalJSON() ([]byte, error) { return json.Marshal(s.Attrs) }

// systemValue is a System seen from Starlark.
type systemValue struct {
	sys   *System
	conv  *converter
	cache map[string]starlark.Value
}

var (
	_ starlark.HasAttrs = (*systemValue)(nil)
)

func (v *systemValue) String() string       { return PyStr(v.sys) }
func (v *systemValue) Type() string         { return "SystemObject" }
func (v *systemValue) Freeze()              {}
func (v *systemValue) Truth() starlark.Bool { return starlark.True }
func (v *systemValue) Hash() (uint32, error) {
	return 0, newErr(ErrEval, "unhashable type: 'SystemObject'")
}

func (v *systemValue) Attr(name string) (starlark.Value, error) {
	if sv, ok := v.cache[name]; ok {
		return sv, nil
	}
	raw, ok := v.sys.Attrs[name]
	if !ok {
		return nil, nil
	}
	sv, err := v.conv.toStarlark(raw, 1)
	if err != nil {
		return nil, err
	}
	if v.cache == nil {
		v.cache = map[string]starlark.Value{}
	}
	v.cache[name] = sv
	return sv, nil
}

func (v *systemValue) AttrNames() []string {
	names := make([]string, 0, len(v.sys.Attrs))
	for k := range v.sys.Attrs {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
