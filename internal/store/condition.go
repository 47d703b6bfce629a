package store

import (
	"fmt"
	"strings"
)

// Condition is a SQL boolean expression with "?" placeholders for Args, in
// order, that a list query ANDs into its WHERE. Its SQL must hold no other
// "?" (values always travel as arguments).
type Condition struct {
	SQL  string
	Args []any
}

// render numbers c's placeholders after args and returns the fragment and
// the extended arguments.
func (c *Condition) render(args []any) (string, []any) {
	var b strings.Builder
	i := 0
	for _, r := range c.SQL {
		if r == '?' && i < len(c.Args) {
			args = append(args, c.Args[i])
			i++
			fmt.Fprintf(&b, "$%d", len(args))
			continue
		}
		b.WriteRune(r)
	}
	return "(" + b.String() + ")", args
}
