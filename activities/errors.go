package activities

import (
	"errors"
	"fmt"
)

// Application error types the Call activity returns to the workflow. They are
// stable strings: the interpreter and retry policies match on them.
const (
	// ErrTypeUnknownComponent: no component with the code and version is
	// registered on this worker (non-retryable).
	ErrTypeUnknownComponent = "UnknownComponent"
	// ErrTypeInvalidCall: the CallInput itself is malformed, e.g. an unknown
	// phase (non-retryable).
	ErrTypeInvalidCall = "InvalidComponentCall"
	// ErrTypeRetryable: the component asked to be retried (see Retryable).
	ErrTypeRetryable = "ComponentRetryable"
)

// RetryableError marks a component error as transient: the Call activity
// returns it to Temporal, which retries the call by the activity's retry
// policy, instead of failing the node. Build it with Retryable.
type RetryableError struct {
	Err error
}

// Retryable marks err as transient (a database or network hiccup). A nil err
// stays nil.
func Retryable(err error) error {
	if err == nil {
		return nil
	}
	return &RetryableError{Err: err}
}

func (e *RetryableError) Error() string { return "retryable: " + e.Err.Error() }

// Unwrap returns the transient error.
func (e *RetryableError) Unwrap() error { return e.Err }

// IsRetryable reports whether err (or an error it wraps) was marked with
// Retryable.
func IsRetryable(err error) bool {
	var re *RetryableError
	return errors.As(err, &re)
}

// notRegisteredMessage is the text of an unknown-component error.
func notRegisteredMessage(code, version string) string {
	return fmt.Sprintf("component %s %s is not registered", code, version)
}
