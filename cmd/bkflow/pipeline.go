package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/bkflow/bkflow/workflows/pipeline"
)

// codeUnreadable is the problem code of a file that cannot be read.
const codeUnreadable = "unreadable"

func newPipelineCommand(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:           "pipeline",
		Short:         "Work with pipeline trees (BKFlow's pipeline_tree, web form)",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.AddCommand(newPipelineValidateCommand(e))
	return cmd
}

// fileResult is the outcome of validating one file.
type fileResult struct {
	File     string             `json:"file"`
	Valid    bool               `json:"valid"`
	Problems []pipeline.Problem `json:"problems"`
}

func newPipelineValidateCommand(e env) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Validate pipeline trees offline, as template save and task creation do",
		Long: `Validate each FILE, a pipeline tree in web form (JSON), without a server:
the JSON schema, ids and references, node options, constants, connection
rules, gateway matching and streams. Exits 0 when every file is valid, 1
otherwise. The text format prints "FILE: ok" or one line per problem; the json
format prints {"files": [{"file", "valid", "problems": [...]}]}.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			if format != "text" && format != "json" {
				return fmt.Errorf("--format must be text or json, not %q", format)
			}
			p, err := pipeline.NewParser()
			if err != nil {
				return err
			}
			results := make([]fileResult, 0, len(files))
			valid := true
			for _, f := range files {
				r := validateFile(p, f)
				valid = valid && r.Valid
				results = append(results, r)
			}
			if format == "json" {
				enc := json.NewEncoder(e.stdout)
				enc.SetEscapeHTML(false)
				enc.SetIndent("", "  ")
				if err := enc.Encode(map[string]any{"files": results}); err != nil {
					return err
				}
			} else {
				for _, r := range results {
					if r.Valid {
						fmt.Fprintf(e.stdout, "%s: ok\n", r.File)
					}
					for _, prob := range r.Problems {
						fmt.Fprintf(e.stdout, "%s: %s\n", r.File, prob.String())
					}
				}
			}
			if !valid {
				return exitError{Code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

// validateFile reads and validates one file; an unreadable file or malformed
// JSON is a problem of that file.
func validateFile(p *pipeline.Parser, file string) fileResult {
	r := fileResult{File: file, Problems: []pipeline.Problem{}}
	raw, err := os.ReadFile(file)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		r.Problems = append(r.Problems, pipeline.Problem{
			Code: codeUnreadable, NodeIDs: []string{}, FlowIDs: []string{},
			Message: "cannot read the file: " + err.Error(),
		})
		return r
	}
	_, err = p.Check(raw)
	var ve *pipeline.ValidationError
	switch {
	case err == nil:
		r.Valid = true
	case errors.As(err, &ve):
		r.Problems = ve.Problems
	default:
		r.Problems = append(r.Problems, pipeline.Problem{Code: "error", NodeIDs: []string{}, FlowIDs: []string{}, Message: err.Error()})
	}
	return r
}
