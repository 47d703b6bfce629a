package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bkflow/bkflow/policy/model"
	"github.com/bkflow/bkflow/policy/wire"
)

// newPolicyCommand groups the offline IAM tools: evaluating a wire
// expression as BlueKing's SDKs do, and printing bkflow's IAM model.
func newPolicyCommand(e env) *cobra.Command {
	cmd := &cobra.Command{Use: "policy", Short: "BlueKing IAM tools: evaluate wire expressions, print bkflow's model"}
	var exprJSON, objectsJSON string
	eval := &cobra.Command{
		Use:   "eval --expr JSON --objects JSON",
		Short: "Evaluate an IAM wire expression against objects; prints true or false (exit 2: invalid input)",
		Long: "Evaluates a wire expression ({\"op\", \"field\", \"value\"} / {\"op\": \"AND\"|\"OR\", \"content\"}) with the Go SDK's\n" +
			"semantics against objects keyed by resource type, each with its attributes including id, e.g.\n" +
			`  bkflow policy eval --expr '{"op":"starts_with","field":"task._bk_iam_path_","value":"/space,1/"}' \` + "\n" +
			`    --objects '{"task": {"id": "7", "_bk_iam_path_": ["/space,1/template,5/"]}}'`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			x, err := wire.Parse([]byte(exprJSON))
			if err != nil {
				fmt.Fprintln(e.stderr, "bkflow policy eval: --expr:", err)
				return exitError{Code: 2}
			}
			objs, err := wire.Objects([]byte(objectsJSON))
			if err != nil {
				fmt.Fprintln(e.stderr, "bkflow policy eval: --objects:", err)
				return exitError{Code: 2}
			}
			fmt.Fprintln(e.stdout, x.Eval(objs))
			return nil
		},
	}
	eval.Flags().StringVar(&exprJSON, "expr", "", "the wire expression (JSON)")
	eval.Flags().StringVar(&objectsJSON, "objects", "{}", "objects by resource type (JSON)")
	show := &cobra.Command{
		Use:   "model",
		Short: "Print bkflow's IAM model as a BlueKing IAM migration (for do_migrate.py / iammigrate)",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := e.stdout.Write(model.BkflowJSON())
			return err
		},
	}
	cmd.AddCommand(eval, show)
	return cmd
}
