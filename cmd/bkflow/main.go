// Command bkflow is the one binary of bkflow: the dev stack, the API server,
// the workers and the operator tools.
package main

import (
	"fmt"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// run executes the command line and returns the process exit code: 0 on
// success, 1 on failure, or the code a command asks for (exitError).
func run(args []string) int {
	root := newRootCommand(os.Stdout, os.Stderr, os.Getenv)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	if code, ok := exitCode(err); ok {
		return code
	}
	fmt.Fprintln(os.Stderr, "bkflow:", err)
	return 1
}
