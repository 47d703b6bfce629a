package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bkflow/bkflow/workflows/expr"
)

// newExprCommand is `bkflow expr`: render templates and evaluate gateway
// conditions the way the engine does, for trying expressions out.
func newExprCommand(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "expr",
		Short: "Render ${...} templates and evaluate gateway conditions",
	}
	cmd.AddCommand(newExprRenderCommand(e), newExprConditionCommand(e))
	return cmd
}

func newExprRenderCommand(e env) *cobra.Command {
	var contextJSON string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "render TEMPLATE",
		Short: "Render the templates in TEMPLATE and print the result as JSON",
		Long: "Render the ${...} templates in TEMPLATE against --context (a JSON object of\n" +
			"variables, keys without ${}) and print the result as one line of JSON. With\n" +
			"--json, TEMPLATE is a JSON value whose strings are rendered (dict keys are not).\n" +
			"Templates that cannot be rendered stay verbatim and are reported on stderr.",
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			vars, err := exprContext(e, contextJSON)
			if err != nil {
				return err
			}
			var tpl any = args[0]
			if asJSON {
				if tpl, err = decodeJSONValue(args[0]); err != nil {
					return exprUsage(e, "TEMPLATE is not valid JSON: %v", err)
				}
			}
			out, rerrs := expr.Render(tpl, vars, expr.Options{})
			for _, re := range rerrs {
				fmt.Fprintf(e.stderr, "warning: %s: %v\n", re.Template, re.Err)
			}
			return writeJSONLine(e.stdout, out)
		},
	}
	cmd.Flags().StringVar(&contextJSON, "context", "", "variables as a JSON object (keys without ${})")
	cmd.Flags().BoolVar(&asJSON, "json", false, "TEMPLATE is a JSON value whose strings are rendered")
	return cmd
}

func newExprConditionCommand(e env) *cobra.Command {
	var contextJSON, lang string
	var gateway bool
	cmd := &cobra.Command{
		Use:   "condition EXPR",
		Short: "Evaluate a gateway condition and print true or false",
		Long: "Evaluate EXPR in --lang (boolrule, MAKO or FEEL) and print true or false.\n" +
			"With --gateway, EXPR is first rendered against --context as the engine does\n" +
			"for gateway conditions and then evaluated with an empty context (bare words\n" +
			"are literals in boolrule). Without it, --context is handed to the language:\n" +
			"boolrule resolves ${name} and dotted paths to typed values, FEEL looks names\n" +
			"up, and MAKO renders EXPR against it.",
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			vars, err := exprContext(e, contextJSON)
			if err != nil {
				return err
			}
			var res bool
			switch {
			case gateway:
				res, err = expr.EvalGatewayCondition(lang, args[0], vars, expr.Options{})
			case lang == "boolrule" || lang == "":
				res, err = expr.EvalBoolrule(args[0], vars)
			case lang == "FEEL":
				res, err = expr.EvalFEEL(args[0], vars)
			case lang == "MAKO":
				rendered, rerrs := expr.RenderString(args[0], vars, expr.Options{})
				for _, re := range rerrs {
					fmt.Fprintf(e.stderr, "warning: %s: %v\n", re.Template, re.Err)
				}
				text, ok := rendered.(string)
				if !ok {
					text = expr.PyStr(rendered)
				}
				res, err = expr.EvalMako(text)
			default:
				return exprUsage(e, "unknown --lang %q (want boolrule, MAKO or FEEL)", lang)
			}
			if err != nil {
				fmt.Fprintln(e.stderr, "bkflow expr condition:", err)
				return exitError{Code: 2}
			}
			fmt.Fprintln(e.stdout, res)
			return nil
		},
	}
	cmd.Flags().StringVar(&contextJSON, "context", "", "variables as a JSON object (keys without ${})")
	cmd.Flags().StringVar(&lang, "lang", "boolrule", "condition language: boolrule, MAKO or FEEL")
	cmd.Flags().BoolVar(&gateway, "gateway", false, "render EXPR against --context first, as gateways do")
	return cmd
}

// exprContext decodes --context.
func exprContext(e env, s string) (map[string]any, error) {
	if strings.TrimSpace(s) == "" {
		return map[string]any{}, nil
	}
	v, err := decodeJSONValue(s)
	if err != nil {
		return nil, exprUsage(e, "--context is not valid JSON: %v", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, exprUsage(e, "--context must be a JSON object")
	}
	return m, nil
}

// decodeJSONValue decodes exactly one JSON value, numbers as json.Number.
func decodeJSONValue(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("unexpected data after the JSON value")
	}
	return v, nil
}

func exprUsage(e env, format string, args ...any) error {
	fmt.Fprintf(e.stderr, "bkflow expr: "+format+"\n", args...)
	return exitError{Code: 2}
}

func writeJSONLine(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}
