package api

import "github.com/bkflow/bkflow/internal/store"

// variablesHandler serves a space's variables (${_space_<key>} at run time).
type variablesHandler struct {
	store *store.Store
	fmt   formatter
}

func (h *variablesHandler) routes(space *routes) {}
