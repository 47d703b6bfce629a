package expr

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Sentinel errors wrapped by the errors of RenderError.Err, so callers can
// classify a failed template with errors.Is.
var (
	// ErrSyntax: the template's expression does not parse.
	ErrSyntax = errors.New("syntax error")
	// ErrUndefined: the expression names something that is neither a context
	// key nor an allowed builtin.
	ErrUndefined = errors.New("undefined name")
	// ErrForbidden: the expression uses something the sandbox forbids
	// (private attributes, .format, reserved Mako namespaces, ...).
	ErrForbidden = errors.New("forbidden by the template sandbox")
	// ErrStepLimit: evaluation ran out of execution steps.
	ErrStepLimit = errors.New("step limit exceeded")
	// ErrMemoryLimit: evaluation would allocate more than allowed.
	ErrMemoryLimit = errors.New("allocation limit exceeded")
	// ErrEval: the expression raised while evaluating.
	ErrEval = errors.New("evaluation error")
	// ErrCycle: variables reference each other in a cycle.
	ErrCycle = errors.New("reference cycle")
	// ErrLazyValue: a lazy variable's get_value failed; its rendered value is
	// kept as is (BKFlow's LazyVariable.get does the same).
	ErrLazyValue = errors.New("lazy variable value")
)

// RenderError is one template that could not be rendered and was left
// verbatim.
type RenderError struct {
	// Var is the context variable whose value was being rendered (Resolve),
	// empty for a plain Render.
	Var string
	// Template is the `${...}` text left in place (empty for errors about a
	// whole variable, e.g. a json_variable that does not decode).
	Template string
	Err      error
}

func (e RenderError) Error() string {
	var b strings.Builder
	if e.Var != "" {
		b.WriteString("${")
		b.WriteString(e.Var)
		b.WriteString("}")
		if e.Template != "" {
			b.WriteString(" ")
		}
	}
	b.WriteString(e.Template)
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e RenderError) Unwrap() error { return e.Err }

// CycleError reports variables that reference each other.
type CycleError struct {
	// Members are the variables of the cycle, sorted.
	Members []string
}

func (e *CycleError) Error() string {
	return "reference cycle between " + strings.Join(e.Members, ", ")
}

func (e *CycleError) Is(target error) bool { return target == ErrCycle }

// evalError wraps a sentinel kind with a human message.
type evalError struct {
	kind error
	msg  string
}

func (e *evalError) Error() string { return e.kind.Error() + ": " + e.msg }
func (e *evalError) Unwrap() error { return e.kind }

func newErr(kind error, format string, args ...any) error {
	return &evalError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// ConditionError is every error of the gateway-condition evaluators.
type ConditionError struct {
	// Lang is "boolrule", "FEEL" or "MAKO".
	Lang string
	// Expr is the expression as evaluated (after rendering for gateways).
	Expr string
	// Pos is the byte offset in Expr where parsing failed or of the
	// comparison that could not be evaluated; -1 when the error is not tied
	// to a position.
	Pos int
	Msg string
}

func (e *ConditionError) Error() string {
	var b strings.Builder
	b.WriteString(e.Lang)
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Pos >= 0 {
		b.WriteString(" at offset ")
		b.WriteString(strconv.Itoa(e.Pos))
	}
	b.WriteString(" in ")
	b.WriteString(strconv.Quote(e.Expr))
	return b.String()
}
