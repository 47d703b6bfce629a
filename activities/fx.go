package activities

import (
	"cmp"
	"log/slog"
	"slices"
	"time"

	"go.uber.org/fx"

	"github.com/bkflow/bkflow/internal/secrets"
)

// ComponentsGroup is the fx value group components are provided into.
const ComponentsGroup = `group:"components"`

// Module provides the *Registry built from the "components" value group and
// the *Components activities over it. Add Builtins() (and any other
// component providers) next to it.
var Module = fx.Module("activities",
	fx.Provide(NewRegistryFromGroup, NewComponents),
)

// RegistryParams are the components of the "components" value group.
type RegistryParams struct {
	fx.In
	Components []Component `group:"components"`
}

// NewRegistryFromGroup registers every component of the group. fx hands the
// group over in random order, so they are registered sorted by code and
// version (a duplicate is then always reported the same way).
func NewRegistryFromGroup(p RegistryParams) (*Registry, error) {
	comps := slices.Clone(p.Components)
	slices.SortStableFunc(comps, func(a, b Component) int {
		sa, sb := a.Spec(), b.Spec()
		return cmp.Or(cmp.Compare(sa.Code, sb.Code), cmp.Compare(sa.Version, sb.Version))
	})
	r := NewRegistry()
	for _, c := range comps {
		if err := r.Register(c); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// ComponentsParams are the dependencies of the Components activities.
type ComponentsParams struct {
	fx.In
	Registry *Registry
	Log      *slog.Logger    `optional:"true"`
	Sealer   *secrets.Sealer `optional:"true"`
}

// NewComponents returns the activities over the registry.
func NewComponents(p ComponentsParams) *Components {
	return &Components{Registry: p.Registry, Log: p.Log, Now: time.Now, Sealer: p.Sealer}
}

// BuiltinConfig configures the built-in components; every field has a
// default. Supply it with fx.Supply to change them.
type BuiltinConfig struct {
	// Location is the time zone of sleep_timer dates and of child task
	// names (BKFlow's TIME_ZONE setting). nil: UTC.
	Location *time.Location
	// HTTPPolicy guards bk_http_request's outbound requests. nil:
	// DefaultHTTPPolicy().
	HTTPPolicy *HTTPPolicy
	// Now is the clock. nil: time.Now.
	Now func() time.Time
}

// BuiltinParams are the optional dependencies of the built-in components.
type BuiltinParams struct {
	fx.In
	Config *BuiltinConfig `optional:"true"`
	// Templates feeds subprocess_plugin (nil: its nodes fail).
	Templates TemplateSource `optional:"true"`
	// Evaluator evaluates bk_http_success_exp (nil: nodes with a success
	// expression fail).
	Evaluator ConditionEvaluator `optional:"true"`
}

func (p BuiltinParams) config() BuiltinConfig {
	var c BuiltinConfig
	if p.Config != nil {
		c = *p.Config
	}
	if c.Location == nil {
		c.Location = time.UTC
	}
	if c.HTTPPolicy == nil {
		def := DefaultHTTPPolicy()
		c.HTTPPolicy = &def
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Builtins provides every built-in component into the "components" group.
func Builtins() fx.Option {
	return fx.Provide(
		fx.Annotate(NewDisplay, fx.ResultTags(ComponentsGroup)),
		fx.Annotate(NewPause, fx.ResultTags(ComponentsGroup)),
		fx.Annotate(NewValueAssign, fx.ResultTags(ComponentsGroup)),
		fx.Annotate(NewDebugPlugin, fx.ResultTags(ComponentsGroup)),
		fx.Annotate(func(p BuiltinParams) Component {
			c := p.config()
			return NewSleepTimer(c.Location, c.Now)
		}, fx.ResultTags(ComponentsGroup)),
		fx.Annotate(func(p BuiltinParams) Component {
			c := p.config()
			return NewHTTPRequest(NewHTTPClient(*c.HTTPPolicy, 0), p.Evaluator)
		}, fx.ResultTags(ComponentsGroup)),
		fx.Annotate(func(p BuiltinParams) Component {
			c := p.config()
			return NewSubprocess(p.Templates, c.Now, c.Location)
		}, fx.ResultTags(ComponentsGroup)),
	)
}
