package expr

import (
	"encoding/json"
	"io"
	"sort"
	"strings"

	"go.starlark.net/starlark"
)

// Lazy variable types (BKFlow bkflow/pipeline_plugins/variables). Types not
// listed here (input, textarea, int, datetime, datetime_range, "" ...)
// behave as splice variables.
const (
	LazySelect         = "select"
	LazyJSONVariable   = "json_variable"
	LazyDataTable      = "datatable"
	LazyBkUserSelector = "bk_user_selector"
)

// lazyGetValue applies the type's get_value to the rendered value. On
// failure the rendered value is returned with the error, as BKFlow's
// LazyVariable.get does (it logs and returns the value).
func lazyGetValue(customType string, rendered any) (any, error) {
	switch customType {
	case LazySelect:
		if items, ok := rendered.([]any); ok {
			parts := make([]string, len(items))
			for i, it := range items {
				parts[i] = PyStr(it)
			}
			return strings.Join(parts, ","), nil
		}
		return rendered, nil
	case LazyJSONVariable:
		s, ok := rendered.(string)
		if !ok {
			return rendered, nil
		}
		v, err := decodeJSON(s)
		if err != nil {
			return rendered, newErr(ErrLazyValue, "json_variable: %v", err)
		}
		return v, nil
	case LazyDataTable:
		t, err := NewDataTable(rendered)
		if err != nil {
			return rendered, err
		}
		return t, nil
	default:
		return rendered, nil
	}
}

// decodeJSON decodes one JSON value keeping numbers as json.Number.
func decodeJSON(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var extra any
	if err := dec.Decode(&extra); err != io.EOF {
		return nil, newErr(ErrLazyValue, "extra data after the JSON value")
	}
	return v, nil
}

// DataTable is the value of a BKFlow `datatable` lazy variable: a list of
// row objects. In templates `${KEY.column}` is the column as a list,
// `${KEY.column[0]}` one cell and `${KEY.flat__column}` the column's values
// joined with "\n"; str() of the table is BKFlow's
// "DataTable with <columns> Fields".
type DataTable struct {
	Rows []map[string]any
}

// NewDataTable builds a table from a rendered variable value, which must be
// a list of objects.
func NewDataTable(v any) (*DataTable, error) {
	items, ok := v.([]any)
	if !ok {
		return nil, newErr(ErrLazyValue, "datatable: value is %s, not a list of rows", goTypeName(v))
	}
	t := &DataTable{Rows: make([]map[string]any, len(items))}
	for i, it := range items {
		row, ok := it.(map[string]any)
		if !ok {
			return nil, newErr(ErrLazyValue, "datatable: row %d is %s, not an object", i, goTypeName(it))
		}
		t.Rows[i] = row
	}
	return t, nil
}

// Columns returns the column names in order of first appearance (the keys
// of one row in sorted order, as Go maps keep no order).
func (t *DataTable) Columns() []string {
	seen := map[string]bool{}
	var cols []string
	for _, row := range t.Rows {
		keys := make([]string, 0, len(row))
		for k := range row {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !seen[k] {
				seen[k] = true
				cols = append(cols, k)
			}
		}
	}
	return cols
}

// Column returns the values of one column, skipping rows without it.
func (t *DataTable) Column(name string) []any {
	var out []any
	for _, row := range t.Rows {
		if v, ok := row[name]; ok {
			out = append(out, v)
		}
	}
	return out
}

// String is Python's str() of BKFlow's DataTableValue.
func (t *DataTable) String() string {
	return "DataTable with " + strings.Join(t.Columns(), ",") + " Fields"
}

// MarshalJSON encodes the rows.
func (t *DataTable) MarshalJSON() ([]byte, error) { return json.Marshal(t.Rows) }

// dataTableValue is a DataTable seen from Starlark.
type dataTableValue struct {
	table *DataTable
	conv  *converter
	attrs map[string]starlark.Value
	names []string
}

var _ starlark.HasAttrs = (*dataTableValue)(nil)

func (v *dataTableValue) String() string       { return v.table.String() }
func (v *dataTableValue) Type() string         { return "DataTableValue" }
func (v *dataTableValue) Freeze()              {}
func (v *dataTableValue) Truth() starlark.Bool { return starlark.True }
func (v *dataTableValue) Hash() (uint32, error) {
	return 0, newErr(ErrEval, "unhashable type: 'DataTableValue'")
}

func (v *dataTableValue) build() error {
	if v.attrs != nil {
		return nil
	}
	attrs := map[string]starlark.Value{}
	for _, col := range v.table.Columns() {
		vals := v.table.Column(col)
		list := make([]starlark.Value, len(vals))
		flat := make([]string, len(vals))
		for i, x := range vals {
			sv, err := v.conv.toStarlark(x, 1)
			if err != nil {
				return err
			}
			list[i] = sv
			flat[i] = PyStr(x)
		}
		attrs[col] = starlark.NewList(list)
		attrs["flat__"+col] = starlark.String(strings.Join(flat, "\n"))
	}
	names := make([]string, 0, len(attrs))
	for k := range attrs {
		names = append(names, k)
	}
	sort.Strings(names)
	v.attrs, v.names = attrs, names
	return nil
}

func (v *dataTableValue) Attr(name string) (starlark.Value, error) {
	if err := v.build(); err != nil {
		return nil, err
	}
	return v.attrs[name], nil
}

func (v *dataTableValue) AttrNames() []string {
	if err := v.build(); err != nil {
		return nil
	}
	return v.names
}
