package api

import "github.com/bkflow/bkflow/activities"

// pluginsHandler answers plugin discovery from the component registry.
type pluginsHandler struct {
	registry *activities.Registry
}

func (h *pluginsHandler) routes(space *routes) {}
