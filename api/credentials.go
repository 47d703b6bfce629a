package api

import (
	"github.com/bkflow/bkflow/internal/secrets"
	"github.com/bkflow/bkflow/internal/store"
)

// credentialsHandler serves a space's credentials, sealed at rest and
// masked on every read.
type credentialsHandler struct {
	store  *store.Store
	sealer *secrets.Sealer
	fmt    formatter
}

func (h *credentialsHandler) routes(space *routes) {}
