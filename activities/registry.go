package activities

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// LegacyVersion is the version BKFlow gives a component whose node names
// none.
const LegacyVersion = "legacy"

// Registry is a set of components keyed by code and version. It is a value:
// each worker, server and test builds its own (no package-level state).
// It is safe for concurrent use.
type Registry struct {
	mu     sync.RWMutex
	byCode map[string]map[string]Component // code → version → component
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{byCode: map[string]map[string]Component{}}
}

// Register adds c. The code and version of its Spec must be non-empty and not
// registered yet.
func (r *Registry) Register(c Component) error {
	if c == nil {
		return errors.New("register component: nil component")
	}
	s := c.Spec()
	if s.Code == "" || s.Version == "" {
		return fmt.Errorf("register component %q: code and version must not be empty (version %q)", s.Code, s.Version)
	}
	if strings.Contains(s.Code, "@") {
		return fmt.Errorf("register component %q: code must not contain @", s.Code)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	versions := r.byCode[s.Code]
	if versions == nil {
		versions = map[string]Component{}
		r.byCode[s.Code] = versions
	}
	if _, dup := versions[s.Version]; dup {
		return fmt.Errorf("component %s %s is already registered", s.Code, s.Version)
	}
	versions[s.Version] = c
	return nil
}

// Lookup finds a component. The version must match exactly, except that ""
// means "legacy" (BKFlow's default) and that "" or "legacy" also find the
// only registered version of a code that has exactly one.
func (r *Registry) Lookup(code, version string) (Component, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	versions := r.byCode[code]
	if c, ok := versions[version]; ok {
		return c, true
	}
	if version != "" && version != LegacyVersion {
		return nil, false
	}
	if c, ok := versions[LegacyVersion]; ok {
		return c, true
	}
	if len(versions) == 1 {
		for _, c := range versions {
			return c, true
		}
	}
	return nil, false
}

// List returns the specs of all components, sorted by code then version.
func (r *Registry) List() []Spec {
	r.mu.RLock()
	specs := make([]Spec, 0, len(r.byCode))
	for _, versions := range r.byCode {
		for _, c := range versions {
			specs = append(specs, c.Spec())
		}
	}
	r.mu.RUnlock()
	slices.SortFunc(specs, func(a, b Spec) int {
		if c := strings.Compare(a.Code, b.Code); c != 0 {
			return c
		}
		return strings.Compare(a.Version, b.Version)
	})
	return specs
}

// ActivityName is the Temporal activity type under which the component with
// this code and version runs: "<code>@<version>". An empty version names the
// legacy one, as in Lookup.
func ActivityName(code, version string) string {
	if version == "" {
		version = LegacyVersion
	}
	return code + "@" + version
}
