package grant

import "fmt"

// FieldError reports a bad input and names the field that holds it, as a
// path into the input: "resources[0].path[1].type",
// "condition[0].instances[1].path[2]".
type FieldError struct {
	// Field is the path of the bad field.
	Field string
	// Reason says what is wrong with it ("is required", "must not be empty").
	Reason string
}

// Error returns the field followed by the reason.
func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return e.Field + " " + e.Reason
}

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}
