package policy

import "fmt"

// BlueKing IAM's error codes (iam.md §4.1), which the API returns in its
// {"code","message","data"} envelope.
const (
	CodeBadRequest   = 1901400
	CodeUnauthorized = 1901401
	CodeForbidden    = 1901403
	CodeNotFound     = 1901404
	CodeConflict     = 1901409
	CodeSystem       = 1901500
)

// Error is a refusal with IAM's code; callers branch on it with errors.As.
type Error struct {
	Code    int
	Message string
}

func (e *Error) Error() string { return e.Message }

func badRequest(format string, a ...any) error {
	return &Error{Code: CodeBadRequest, Message: fmt.Sprintf(format, a...)}
}

func systemError(format string, a ...any) error {
	return &Error{Code: CodeSystem, Message: fmt.Sprintf(format, a...)}
}
