package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// Envelope codes. BKFlow uses 0 for success, 400 for input validation and 500
// for everything else; bkflow adds the HTTP status as the code for the
// refusals that BKFlow answers with a non-200 status.
const (
	codeOK         = 0
	codeValidation = 400
	codeInternal   = 500
)

// Error is what handlers return for anything that is not a success. Status is
// the HTTP status, Code the envelope code, Message the text the caller sees.
// Err is the internal cause: logged once by the adapter, never sent.
type Error struct {
	Status  int
	Code    int
	Message string
	Data    any
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Message, e.Err)
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// FieldErrors maps a request field (dotted for nested ones, e.g.
// "config.token_expiration") to what is wrong with it. It renders as BKFlow's
// validation envelope: HTTP 200, code 400, message = the JSON text of the map.
type FieldErrors map[string]string

// Add records msg for field; messages for the same field are joined with
// ",", as DRF does.
func (f FieldErrors) Add(field, msg string) {
	if prev, ok := f[field]; ok {
		f[field] = prev + "," + msg
		return
	}
	f[field] = msg
}

// Err returns f as an *Error, or nil when f is empty.
func (f FieldErrors) Err() error {
	if len(f) == 0 {
		return nil
	}
	msg, _ := json.Marshal(map[string]string(f)) // keys come out sorted
	return &Error{Status: http.StatusOK, Code: codeValidation, Message: string(msg)}
}

func (f FieldErrors) Error() string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + f[k]
	}
	return strings.Join(parts, "; ")
}

// fieldError is a validation refusal of one field.
func fieldError(field, msg string) error {
	return FieldErrors{field: msg}.Err()
}

// DRF's standard messages, used where bkflow validates what DRF validated.
const (
	msgRequired = "This field is required."
	msgNull     = "This field may not be null."
	msgBlank    = "This field may not be blank."
	msgURL      = "Enter a valid URL."
)

func msgMaxLength(n int) string {
	return fmt.Sprintf("Ensure this field has no more than %d characters.", n)
}

// refusal is a request the current state does not allow, in BKFlow's
// envelope: code 400 and the message as it is.
func refusal(format string, args ...any) error {
	return &Error{Status: http.StatusOK, Code: codeValidation, Message: fmt.Sprintf(format, args...)}
}

func errUnauthorized(msg string) error {
	return &Error{Status: http.StatusUnauthorized, Code: http.StatusUnauthorized, Message: msg}
}

func errForbidden(msg string) error {
	return &Error{Status: http.StatusForbidden, Code: http.StatusForbidden, Message: msg}
}

func errNotFound(msg string) error {
	return &Error{Status: http.StatusNotFound, Code: http.StatusNotFound, Message: msg}
}

// errInternal hides cause from the caller; the adapter logs it with the trace id.
func errInternal(cause error) error {
	return &Error{Status: http.StatusOK, Code: codeInternal, Message: "internal error", Err: cause}
}

// asAPIError turns any handler error into an *Error. Unknown errors become
// internal errors whose cause is kept for the log only.
func asAPIError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var fe FieldErrors
	if errors.As(err, &fe) {
		var out *Error
		errors.As(fe.Err(), &out)
		return out
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &Error{Status: http.StatusGatewayTimeout, Code: http.StatusGatewayTimeout,
			Message: "the request took longer than the server's request timeout", Err: err}
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: http.StatusRequestEntityTooLarge,
			Message: fmt.Sprintf("request body exceeds the limit of %d bytes", mbe.Limit)}
	}
	var out *Error
	errors.As(errInternal(err), &out)
	return out
}
