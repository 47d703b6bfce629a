package activities

import (
	"context"
	"errors"
	"fmt"

	"github.com/bkflow/bkflow/internal/store"
	"github.com/bkflow/bkflow/workflows/pipeline"
)

// StoreTemplates is the TemplateSource of a bkflow deployment: templates
// come from PostgreSQL and their trees get the task-creation transforms, as
// the API gives a task created from a template.
type StoreTemplates struct {
	store  *store.Store
	parser *pipeline.Parser
}

var _ TemplateSource = (*StoreTemplates)(nil)

// NewStoreTemplates returns the TemplateSource over st.
func NewStoreTemplates(st *store.Store) (*StoreTemplates, error) {
	p, err := pipeline.NewParser()
	if err != nil {
		return nil, fmt.Errorf("pipeline parser: %w", err)
	}
	return &StoreTemplates{store: st, parser: p}, nil
}

// LoadTemplateTree loads a template of the space: its live tree with
// latest, else the released version (semver) or snapshot (md5) named by
// version. Database failures are retryable; a missing template or version
// and an invalid tree are not.
func (s *StoreTemplates) LoadTemplateTree(ctx context.Context, spaceID, templateID int64, version string, latest bool) (*pipeline.Engine, error) {
	t, err := s.store.TemplateGet(ctx, templateID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (t.IsDeleted || t.SpaceID != spaceID)) {
		return nil, fmt.Errorf("template %d does not exist in space %d", templateID, spaceID)
	}
	if err != nil {
		return nil, Retryable(fmt.Errorf("load template %d: %w", templateID, err))
	}
	var snap store.Snapshot
	if latest || version == "" {
		snap, err = s.store.SnapshotGet(ctx, t.SnapshotID)
	} else {
		snap, err = s.store.SnapshotByVersion(ctx, templateID, version)
		if errors.Is(err, store.ErrNotFound) {
			snap, err = s.store.SnapshotByMD5(ctx, templateID, version)
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("template %d has no version %s", templateID, version)
	}
	if err != nil {
		return nil, Retryable(fmt.Errorf("load template %d version %q: %w", templateID, version, err))
	}
	tree, err := pipeline.DecodeTree(snap.Data)
	if err != nil {
		return nil, fmt.Errorf("template %d: %w", templateID, err)
	}
	p, err := s.parser.Prepare(tree, pipeline.PrepareOptions{InstanceID: NewInstanceID()})
	if err != nil {
		return nil, fmt.Errorf("template %d is not valid: %w", templateID, err)
	}
	return p.Engine, nil
}
