package model

import (
	"fmt"
	"strings"
)

// NotFoundError names a model object that does not exist.
type NotFoundError struct {
	Kind, ID string
}

func (e *NotFoundError) Error() string { return fmt.Sprintf("%s %q does not exist", e.Kind, e.ID) }

// Problem is one rule a model breaks, at a path such as
// actions[task_view].related_resource_types[0].id.
type Problem struct {
	Path    string
	Message string
}

// ValidationError lists every problem of a model at once.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Path + ": " + p.Message
	}
	return "invalid iam model: " + strings.Join(parts, "; ")
}
