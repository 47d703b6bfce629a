package pipeline

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

//go:embed schema/web_pipeline_tree.json
var webSchemaJSON []byte

const webSchemaURL = "https://bkflow.invalid/schema/web_pipeline_tree.json"

// compileWebSchema compiles the embedded web tree schema.
func compileWebSchema() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(webSchemaJSON))
	if err != nil {
		return nil, fmt.Errorf("pipeline: web tree schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(webSchemaURL, doc); err != nil {
		return nil, fmt.Errorf("pipeline: web tree schema: %w", err)
	}
	sch, err := c.Compile(webSchemaURL)
	if err != nil {
		return nil, fmt.Errorf("pipeline: web tree schema: %w", err)
	}
	return sch, nil
}

// schemaProblems validates a tree against the schema and returns one problem
// per failed leaf keyword, with base prefixed to each path.
func schemaProblems(sch *jsonschema.Schema, t Tree, base string, out *problems) {
	err := sch.Validate(map[string]any(t))
	if err == nil {
		return
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		out.add(Problem{Code: CodeSchema, Path: base, Message: err.Error()})
		return
	}
	collectSchemaErrors(ve, base, out)
}

func collectSchemaErrors(e *jsonschema.ValidationError, base string, out *problems) {
	path := pointer(base, e.InstanceLocation...)
	switch k := e.ErrorKind.(type) {
	case *kind.Schema, *kind.Group, *kind.AllOf, *kind.Reference, *kind.OneOf:
		for _, c := range e.Causes {
			collectSchemaErrors(c, base, out)
		}
		return
	case *kind.AnyOf:
		switch {
		case strings.HasSuffix(e.SchemaURL, "/definitions/oneFlow"):
			addSchemaProblem(out, path, "must be a flow id or a list of exactly one flow id")
		case strings.HasSuffix(e.SchemaURL, "/definitions/multipleFlow"):
			addSchemaProblem(out, path, "must be a flow id or a non-empty list of flow ids")
		default:
			for _, c := range e.Causes {
				collectSchemaErrors(c, base, out)
			}
		}
		return
	case *kind.Required:
		for _, m := range k.Missing {
			addSchemaProblem(out, pointer(path, m), "required property is missing")
		}
		return
	case *kind.Type:
		addSchemaProblem(out, path, fmt.Sprintf("must be %s, not %s", strings.Join(k.Want, " or "), k.Got))
		return
	case *kind.Enum:
		want := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = fmt.Sprintf("%q", w)
		}
		addSchemaProblem(out, path, "must be one of "+strings.Join(want, ", "))
		return
	case *kind.MaxLength:
		addSchemaProblem(out, path, fmt.Sprintf("length must be <= %d", k.Want))
		return
	case *kind.MinLength:
		addSchemaProblem(out, path, fmt.Sprintf("length must be >= %d", k.Want))
		return
	case *kind.MinItems:
		addSchemaProblem(out, path, fmt.Sprintf("must have at least %d items", k.Want))
		return
	case *kind.MaxItems:
		addSchemaProblem(out, path, fmt.Sprintf("must have at most %d items", k.Want))
		return
	case *kind.Pattern:
		addSchemaProblem(out, path, fmt.Sprintf("must match the pattern %q", k.Want))
		return
	}
	addSchemaProblem(out, path, e.ErrorKind.LocalizedString(message.NewPrinter(language.English)))
}

// addSchemaProblem records a schema problem, naming the node or flow its
// path is in.
func addSchemaProblem(out *problems, path, msg string) {
	p := Problem{Code: CodeSchema, Path: path, Message: msg}
	p.NodeIDs, p.FlowIDs = idsOfPath(path)
	out.add(p)
}

// idsOfPath names the node or flow a JSON pointer is in: /activities/<id>/...,
// /gateways/<id>/..., /flows/<id>/..., looking into embedded subprocess
// trees (/activities/<id>/pipeline/...) for the innermost one.
func idsOfPath(path string) (nodes, flows []string) {
	toks := strings.Split(path, "/")
	if len(toks) < 3 || toks[0] != "" {
		return nil, nil
	}
	for i := 1; i+1 < len(toks); {
		id := strings.ReplaceAll(strings.ReplaceAll(toks[i+1], "~1", "/"), "~0", "~")
		switch toks[i] {
		case "activities", "gateways":
			nodes, flows = []string{id}, nil
		case "flows":
			nodes, flows = nil, []string{id}
		default:
			return nodes, flows
		}
		if toks[i] == "activities" && i+3 < len(toks) && toks[i+2] == "pipeline" {
			i += 3
			continue
		}
		break
	}
	return nodes, flows
}
