// Package admission evaluates operators' own Rego rules when templates are
// saved and tasks are created or started. Rules live in a policy directory
// (--policy-dir) under package bkflow.admission and add messages to the set
// deny; any message refuses the request with that message. The input
// document is:
//
//	{
//	  "action": "template_save" | "task_create" | "task_start",
//	  "space": {"id": 3, "name": "...", "app_code": "..."},
//	  "user": "alice",                       // bk_username, or the body's creator/operator
//	  "template": {"id": 5, "name": "..."},  // null when the task has no template
//	  "task": {"id": 9, "name": "..."},      // task_start only
//	  "pipeline_tree": { ... }               // the web pipeline_tree being saved or run
//	}
//
// data.json / data.yaml files in the directory are loaded as base data.
// Evaluation errors refuse the request (fail closed).
package admission

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/loader"
	"github.com/open-policy-agent/opa/v1/rego"
)

// Actions of the input document.
const (
	ActionTemplateSave = "template_save"
	ActionTaskCreate   = "task_create"
	ActionTaskStart    = "task_start"
)

// Query is what a rule set answers.
const Query = "data.bkflow.admission.deny"

// Ref names a space, template or task in the input.
type Ref struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	AppCode string `json:"app_code,omitempty"`
}

// Input is the document rules read.
type Input struct {
	Action       string          `json:"action"`
	Space        Ref             `json:"space"`
	User         string          `json:"user"`
	Template     *Ref            `json:"template"`
	Task         *Ref            `json:"task,omitempty"`
	PipelineTree json.RawMessage `json:"pipeline_tree"`
}

// Checker holds the prepared rules. A nil *Checker admits everything.
type Checker struct {
	query rego.PreparedEvalQuery
	files int
}

// Load compiles every .rego file under dir (tests excluded) with the JSON
// and YAML data files beside them. Compile errors name the file and line.
func Load(ctx context.Context, dir string) (*Checker, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("policy dir: %w", err)
	}
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() || strings.HasSuffix(name, "_test.rego") {
			return nil
		}
		if strings.HasSuffix(name, ".rego") || name == "data.json" || name == "data.yaml" || name == "data.yml" {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("policy dir: %w", err)
	}
	res, err := loader.NewFileLoader().All(paths)
	if err != nil {
		return nil, fmt.Errorf("policy dir %s: %w", dir, err)
	}
	store, err := res.Store()
	if err != nil {
		return nil, fmt.Errorf("policy dir %s data: %w", dir, err)
	}
	opts := []func(*rego.Rego){rego.Query(Query), rego.Store(store)}
	for _, m := range res.ParsedModules() {
		opts = append(opts, rego.ParsedModule(m))
	}
	q, err := rego.New(opts...).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("policy dir %s: %w", dir, err)
	}
	return &Checker{query: q, files: len(res.Modules)}, nil
}

// Modules is how many rule files were loaded.
func (c *Checker) Modules() int {
	if c == nil {
		return 0
	}
	return c.files
}

// Check evaluates the rules for in and returns the deny messages, sorted.
func (c *Checker) Check(ctx context.Context, in Input) ([]string, error) {
	if c == nil {
		return nil, nil
	}
	var doc any
	b, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	rs, err := c.query.Eval(ctx, rego.EvalInput(doc))
	if err != nil {
		return nil, fmt.Errorf("admission rules failed: %w", err)
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return nil, nil
	}
	set, ok := rs[0].Expressions[0].Value.([]any)
	if !ok {
		return nil, errors.New("admission rules: data.bkflow.admission.deny must be a set of strings")
	}
	out := make([]string, 0, len(set))
	for _, m := range set {
		s, ok := m.(string)
		if !ok {
			return nil, fmt.Errorf("admission rules: deny holds %v, not a string", m)
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out, nil
}
