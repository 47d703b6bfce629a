package api

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3gen"
	"github.com/go-chi/chi/v5"
)

// route is one endpoint: how it is served and how it is documented. Routes
// are registered only through routes.add, so the OpenAPI document cannot
// drift from the router (TestOpenAPIMatchesRouter checks the rest).
type route struct {
	Method      string
	Path        string // chi pattern, also the OpenAPI path
	OperationID string
	Summary     string
	Tag         string
	AppAuth     bool // requires X-Bkapi-Authorization
	Request     any  // zero value of the JSON body type, nil for none
	Query       []queryParam
	Response    any // zero value of the envelope's data type
	Handler     handler
	// Raw serves the route without the envelope (metrics, openapi.json);
	// RawContentType documents its media type.
	Raw            http.Handler
	RawContentType string
}

type queryParam struct {
	Name, Type, Description string
	Required                bool
}

// routes registers documented endpoints on a chi router.
type routes struct {
	r    chi.Router
	a    adapter
	spec *openapi3.T
	gen  *openapi3gen.Generator
}

func newRoutes(r chi.Router, a adapter, spec *openapi3.T) *routes {
	return &routes{r: r, a: a, spec: spec, gen: openapi3gen.NewGenerator(
		openapi3gen.UseAllExportedFields(),
		openapi3gen.SchemaCustomizer(docTagCustomizer),
	)}
}

// with returns routes that register on a sub-router (e.g. one with more
// middleware) but document into the same spec.
func (rs *routes) with(r chi.Router) *routes {
	return &routes{r: r, a: rs.a, spec: rs.spec, gen: rs.gen}
}

func (rs *routes) add(rt route) {
	h := rt.Raw
	if h == nil {
		h = rs.a.wrap(rt.Handler)
	}
	rs.r.Method(rt.Method, rt.Path, h)
	rs.spec.AddOperation(rt.Path, rt.Method, rs.operation(rt))
}

func (rs *routes) operation(rt route) *openapi3.Operation {
	op := openapi3.NewOperation()
	op.OperationID = rt.OperationID
	op.Summary = rt.Summary
	if rt.Tag != "" {
		op.Tags = []string{rt.Tag}
	}
	if rt.AppAuth {
		op.Security = &openapi3.SecurityRequirements{{"bkapiAuthorization": {}}}
	} else {
		op.Security = &openapi3.SecurityRequirements{}
	}
	for _, name := range pathParams(rt.Path) {
		op.AddParameter(openapi3.NewPathParameter(name).WithSchema(openapi3.NewIntegerSchema()))
	}
	for _, q := range rt.Query {
		p := openapi3.NewQueryParameter(q.Name).WithDescription(q.Description).WithRequired(q.Required)
		p.Schema = openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{q.Type}})
		op.AddParameter(p)
	}
	if rt.Request != nil {
		op.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().
			WithRequired(true).WithJSONSchemaRef(rs.schema(rt.Request))}
	}
	if rt.Raw != nil {
		ct := rt.RawContentType
		if ct == "" {
			ct = "application/json"
		}
		op.AddResponse(http.StatusOK, openapi3.NewResponse().WithDescription("OK").
			WithContent(openapi3.NewContentWithSchema(openapi3.NewStringSchema(), []string{ct})))
		return op
	}
	var data *openapi3.SchemaRef
	list, counted := rt.Response.(listResult)
	switch {
	case counted:
		data = rs.schema(list.Data)
	case rt.Response != nil:
		data = rs.schema(rt.Response)
	default:
		data = openapi3.NewSchemaRef("", &openapi3.Schema{Nullable: true, Description: "always null"})
	}
	ok := envelopeSchema(data)
	if counted {
		ok.WithProperty("count", openapi3.NewIntegerSchema().WithMin(0))
		ok.Properties["count"].Value.Description = "how many items match, before paging"
	}
	op.AddResponse(http.StatusOK, openapi3.NewResponse().
		WithDescription("BKFlow envelope: result true with data, or result false with code 400 (validation, message is a JSON object text) or 500").
		WithJSONSchema(ok))
	if rt.AppAuth {
		op.AddResponse(http.StatusUnauthorized, openapi3.NewResponse().WithDescription("missing or wrong app credentials").
			WithJSONSchema(envelopeSchema(nil)))
	}
	if strings.Contains(rt.Path, "{space_id}") {
		op.AddResponse(http.StatusForbidden, openapi3.NewResponse().
			WithDescription("the space does not exist or belongs to another app").WithJSONSchema(envelopeSchema(nil)))
	}
	if rt.Request != nil {
		op.AddResponse(http.StatusRequestEntityTooLarge, openapi3.NewResponse().
			WithDescription("the body exceeds the configured limit").WithJSONSchema(envelopeSchema(nil)))
	}
	return op
}

func (rs *routes) schema(v any) *openapi3.SchemaRef {
	ref, err := rs.gen.NewSchemaRefForValue(v, rs.spec.Components.Schemas)
	if err != nil { // only for types openapi3gen cannot describe: a programming error caught by the tests
		return openapi3.NewSchemaRef("", &openapi3.Schema{Description: fmt.Sprintf("undocumentable type %T: %v", v, err)})
	}
	return ref
}

func envelopeSchema(data *openapi3.SchemaRef) *openapi3.Schema {
	s := openapi3.NewObjectSchema().
		WithProperty("result", openapi3.NewBoolSchema()).
		WithProperty("code", openapi3.NewIntegerSchema()).
		WithProperty("message", openapi3.NewStringSchema()).
		WithProperty("trace_id", openapi3.NewStringSchema())
	if data == nil {
		data = openapi3.NewSchemaRef("", &openapi3.Schema{Nullable: true})
	}
	s.Properties["data"] = data
	s.Required = []string{"result", "code", "message", "data"}
	return s
}

// docTagCustomizer copies a field's `doc:"..."` tag into its description.
func docTagCustomizer(_ string, _ reflect.Type, tag reflect.StructTag, schema *openapi3.Schema) error {
	if d := tag.Get("doc"); d != "" {
		schema.Description = d
	}
	return nil
}

func pathParams(path string) []string {
	var out []string
	for _, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			name := strings.TrimSuffix(strings.TrimPrefix(seg, "{"), "}")
			if i := strings.IndexByte(name, ':'); i >= 0 {
				name = name[:i]
			}
			out = append(out, name)
		}
	}
	return out
}

func newSpec(version string) *openapi3.T {
	return &openapi3.T{
		OpenAPI: "3.0.3",
		Info: &openapi3.Info{
			Title:   "bkflow API",
			Version: version,
			Description: "BKFlow-compatible process engine API. Gateway endpoints authenticate the calling app with the " +
				AuthHeader + " header and answer in BKFlow's envelope {result, code, message, data, trace_id}.",
		},
		Paths: openapi3.NewPaths(),
		Components: &openapi3.Components{
			Schemas: openapi3.Schemas{},
			SecuritySchemes: openapi3.SecuritySchemes{
				"bkapiAuthorization": &openapi3.SecuritySchemeRef{Value: openapi3.NewSecurityScheme().
					WithType("apiKey").WithIn("header").WithName(AuthHeader).
					WithDescription(`JSON: {"bk_app_code": "...", "bk_app_secret": "...", "bk_username": "..."}`)},
			},
		},
	}
}
