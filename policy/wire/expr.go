// Package wire is BlueKing IAM's wire expression: what /api/v1/policy/query
// returns, what SDKs evaluate locally and what the resource callback's
// list_instance_by_policy receives (iam.md §2.2):
//
//	{"op": "<binary op>", "field": "<type>.<attr>", "value": <scalar | array>}
//	{"op": "AND" | "OR", "content": [<expr>, ...]}
//
// and {} for "no permission". Eval follows the Go SDK's semantics (§2.2.4),
// which match the backend's "missing means false": a missing object or
// attribute is nil and never an error.
//
// Numbers: values are decoded with json.Number and compared by value for
// ordering; eq/not_eq/in/not_in compare numbers by their float64 value and
// never equal a string or a bool ("1" is not 1). The SDK's DeepEqual makes
// Go's int 1 differ from float64 1 only because of how a caller built its
// objects; on JSON input both are the same number, so they are equal here.
package wire

import (
	"bytes"
	"encoding/json"
)

// Operators.
const (
	OpAND            = "AND"
	OpOR             = "OR"
	OpAny            = "any"
	OpEq             = "eq"
	OpNotEq          = "not_eq"
	OpIn             = "in"
	OpNotIn          = "not_in"
	OpContains       = "contains"
	OpNotContains    = "not_contains"
	OpStartsWith     = "starts_with"
	OpNotStartsWith  = "not_starts_with"
	OpEndsWith       = "ends_with"
	OpNotEndsWith    = "not_ends_with"
	OpStringContains = "string_contains"
	OpLt             = "lt"
	OpLte            = "lte"
	OpGt             = "gt"
	OpGte            = "gte"
)

// binaryOps are the operators with a field and a value.
var binaryOps = map[string]bool{
	OpAny: true, OpEq: true, OpNotEq: true, OpIn: true, OpNotIn: true, OpContains: true, OpNotContains: true,
	OpStartsWith: true, OpNotStartsWith: true, OpEndsWith: true, OpNotEndsWith: true, OpStringContains: true,
	OpLt: true, OpLte: true, OpGt: true, OpGte: true,
}

// Expr is one wire expression; the zero value is {} (no permission).
type Expr struct {
	Op      string
	Field   string
	Value   any
	Content []Expr
}

// IsEmpty reports whether e is {}.
func (e Expr) IsEmpty() bool { return e.Op == "" }

// MarshalJSON writes BlueKing's shapes: logical ops with content only,
// binary ops with field and value only, {} for the zero value.
func (e Expr) MarshalJSON() ([]byte, error) {
	switch {
	case e.Op == "":
		return []byte("{}"), nil
	case e.Op == OpAND || e.Op == OpOR:
		content := e.Content
		if content == nil {
			content = []Expr{}
		}
		return marshal(struct {
			Op      string `json:"op"`
			Content []Expr `json:"content"`
		}{e.Op, content})
	}
	return marshal(struct {
		Op    string `json:"op"`
		Field string `json:"field"`
		Value any    `json:"value"`
	}{e.Op, e.Field, e.Value})
}

func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// UnmarshalJSON decodes leniently, as SDKs do: unknown operators are kept
// (they evaluate false) and {} is the empty expression. Parse is the strict
// reader.
func (e *Expr) UnmarshalJSON(data []byte) error {
	var raw struct {
		Op      string          `json:"op"`
		Field   string          `json:"field"`
		Value   json.RawMessage `json:"value"`
		Content []Expr          `json:"content"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*e = Expr{Op: raw.Op, Field: raw.Field, Content: raw.Content}
	if len(raw.Value) > 0 {
		v, err := decodeValue(raw.Value)
		if err != nil {
			return err
		}
		e.Value = v
	}
	return nil
}

func decodeValue(data []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}
