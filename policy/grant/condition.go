package grant

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Operator is a stored condition's operator key (iam.md §2.1).
type Operator string

// The operators of stored conditions. There are no negative operators.
const (
	OpAND            Operator = "AND"
	OpOR             Operator = "OR"
	OpAny            Operator = "Any"
	OpBool           Operator = "Bool"
	OpStringEquals   Operator = "StringEquals"
	OpStringPrefix   Operator = "StringPrefix"
	OpStringContains Operator = "StringContains"
	OpNumericEquals  Operator = "NumericEquals"
	OpNumericGt      Operator = "NumericGt"
	OpNumericGte     Operator = "NumericGte"
	OpNumericLt      Operator = "NumericLt"
	OpNumericLte     Operator = "NumericLte"
)

// Logical reports whether op combines conditions (AND, OR) rather than
// testing a field.
func (op Operator) Logical() bool { return op == OpAND || op == OpOR }

// Known reports whether op is one of the stored operators.
func (op Operator) Known() bool {
	switch op {
	case OpAND, OpOR, OpAny, OpBool, OpStringEquals, OpStringPrefix, OpStringContains,
		OpNumericEquals, OpNumericGt, OpNumericGte, OpNumericLt, OpNumericLte:
		return true
	}
	return false
}

// Condition is a stored policy condition: either a logical node
// {"AND"|"OR":{"content":[...]}} over Content, or a field test
// {"<Op>":{"<Field>":[<Values>...]}}. The zero Condition is "no condition"
// (no policy); it does not marshal.
//
// Values hold strings, bools and numbers. ParseCondition yields
// json.Number for numbers, keeping Python's int/float distinction; Go
// integers and floats are accepted too (a Go float prints as a Python
// float, so 1.0 is "1.0").
type Condition struct {
	Op      Operator
	Field   string      // value operators only
	Values  []any       // value operators only; nil marshals as []
	Content []Condition // AND and OR only
}

// Leaf returns the field test {"op":{"field":[values...]}}.
func Leaf(op Operator, field string, values ...any) Condition {
	if values == nil {
		values = []any{}
	}
	return Condition{Op: op, Field: field, Values: values}
}

// And returns {"AND":{"content":[cs...]}}.
func And(cs ...Condition) Condition { return Condition{Op: OpAND, Content: cs} }

// Or returns {"OR":{"content":[cs...]}}.
func Or(cs ...Condition) Condition { return Condition{Op: OpOR, Content: cs} }

// IsZero reports whether c is the zero Condition (no condition at all).
func (c Condition) IsZero() bool {
	return c.Op == "" && c.Field == "" && c.Values == nil && c.Content == nil
}

// MarshalJSON writes c in the stored format, byte for byte as the SaaS
// writes it (Python's compact json.dumps with ensure_ascii). Note that
// json.Marshal HTML-escapes '<', '>' and '&' in a marshaller's output; call
// MarshalJSON directly, or use an Encoder with SetEscapeHTML(false), when
// the exact bytes matter.
func (c Condition) MarshalJSON() ([]byte, error) {
	return c.appendJSON(nil)
}

func (c Condition) appendJSON(b []byte) ([]byte, error) {
	if !c.Op.Known() {
		if c.IsZero() {
			return nil, errors.New("grant: the zero Condition has no JSON form")
		}
		return nil, fmt.Errorf("grant: can not support operator %q", string(c.Op))
	}
	b = append(b, '{')
	b = appendPyString(b, string(c.Op))
	b = append(b, ":{"...)
	if c.Op.Logical() {
		b = append(b, `"content":[`...)
		for i, sub := range c.Content {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = sub.appendJSON(b); err != nil {
				return nil, err
			}
		}
	} else {
		b = appendPyString(b, c.Field)
		b = append(b, ":["...)
		for i, v := range c.Values {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendPyValue(b, v); err != nil {
				return nil, fmt.Errorf("grant: %s %s: %w", c.Op, c.Field, err)
			}
		}
	}
	return append(b, "]}}"...), nil
}

// String returns c's stored JSON, or a description of why it has none.
func (c Condition) String() string {
	b, err := c.MarshalJSON()
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return string(b)
}

// UnmarshalJSON reads a stored condition with ParseCondition's rules.
func (c *Condition) UnmarshalJSON(b []byte) error {
	parsed, err := ParseCondition(b)
	if err != nil {
		return err
	}
	*c = parsed
	return nil
}

// ParseCondition reads one stored condition (the "{...}" form of iam.md
// §2.1). Each object must hold exactly one operator key and, inside it,
// exactly one field key ("content" for AND and OR) whose value is an
// array; values must be strings, numbers (kept as json.Number) or bools;
// AND and OR nest at most 32 levels. Errors name the JSON path of the
// problem ("$.OR.content[1]: ...").
// The backend's other expression forms ("" and "[]" meaning Any, and the
// old array format) are not conditions and are rejected.
func ParseCondition(data []byte) (Condition, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	c, err := parseCondition(dec, "$", 0)
	if err != nil {
		return Condition{}, fmt.Errorf("grant: parse condition: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Condition{}, errors.New("grant: parse condition: data after the condition")
	}
	return c, nil
}

// maxDepth bounds how deeply AND and OR may nest in a stored condition.
const maxDepth = 32

// parseCondition reads the condition at path ("$", "$.OR.content[0]"...),
// which errors name.
func parseCondition(dec *json.Decoder, path string, depth int) (Condition, error) {
	fail := func(err error) (Condition, error) { return Condition{}, fmt.Errorf("%s: %w", path, err) }
	if depth > maxDepth {
		return fail(fmt.Errorf("conditions nest deeper than %d levels", maxDepth))
	}
	if err := expectDelim(dec, '{', "a condition object"); err != nil {
		return fail(err)
	}
	key, err := objectKey(dec)
	if err != nil {
		return fail(err)
	}
	op := Operator(key)
	if !op.Known() {
		return fail(fmt.Errorf("can not support operator %q", key))
	}
	if err := expectDelim(dec, '{', "the operator's object"); err != nil {
		return fail(err)
	}
	field, err := objectKey(dec)
	if err != nil {
		return fail(err)
	}
	if err := expectDelim(dec, '[', "an array"); err != nil {
		return fail(fmt.Errorf("%s %s: %w", op, field, err))
	}
	c := Condition{Op: op}
	if op.Logical() {
		if field != "content" {
			return fail(fmt.Errorf("%s needs the key \"content\", not %q", op, field))
		}
		c.Content = []Condition{}
		for i := 0; dec.More(); i++ {
			sub, err := parseCondition(dec, fmt.Sprintf("%s.%s.content[%d]", path, op, i), depth+1)
			if err != nil {
				return Condition{}, err
			}
			c.Content = append(c.Content, sub)
		}
	} else {
		c.Field = field
		c.Values = []any{}
		for i := 0; dec.More(); i++ {
			tok, err := dec.Token()
			if err != nil {
				return fail(err)
			}
			switch v := tok.(type) {
			case string, bool, json.Number:
				c.Values = append(c.Values, v)
			default:
				return fail(fmt.Errorf("%s %s[%d]: values must be strings, numbers or booleans", op, field, i))
			}
		}
	}
	if _, err := dec.Token(); err != nil { // ']'
		return fail(err)
	}
	if dec.More() {
		return fail(fmt.Errorf("%s: more than one field key", op))
	}
	if _, err := dec.Token(); err != nil { // '}'
		return fail(err)
	}
	if dec.More() {
		return fail(errors.New("more than one operator key"))
	}
	if _, err := dec.Token(); err != nil { // '}'
		return fail(err)
	}
	return c, nil
}

func expectDelim(dec *json.Decoder, d json.Delim, what string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != d {
		return fmt.Errorf("want %s, got %v", what, tok)
	}
	return nil
}

// objectKey reads the first key of an object just opened; an empty object
// is an error.
func objectKey(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	key, ok := tok.(string)
	if !ok {
		return "", errors.New("an empty object")
	}
	return key, nil
}
