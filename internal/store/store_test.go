package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bkflow/bkflow/internal/pgtest"
	"github.com/bkflow/bkflow/internal/store"
)

func newStore(t *testing.T) *store.Store { return pgtest.NewStore(t) }

func TestMigrationsRoundTrip(t *testing.T) {
	t.Parallel()
	st, err := store.Open(t.Context(), pgtest.NewDatabase(t), 2)
	require.NoError(t, err)
	defer st.Close()
	m, err := store.NewMigrator(st, nil)
	require.NoError(t, err)
	defer m.Close()
	ctx := t.Context()

	cur, target, err := m.Versions(ctx)
	require.NoError(t, err)
	require.Zero(t, cur)
	require.Positive(t, target)

	n, err := m.Up(ctx)
	require.NoError(t, err)
	require.EqualValues(t, target, n, "one migration per version")
	status, err := m.Status(ctx)
	require.NoError(t, err)
	for _, s := range status {
		require.Equal(t, "applied", string(s.State), "migration %d", s.Source.Version)
	}
	// Every down section works: roll everything back, then forward again.
	for v := target; v > 0; v-- {
		got, err := m.Down(ctx)
		require.NoError(t, err)
		require.Equal(t, v, got)
	}
	got, err := m.Down(ctx)
	require.NoError(t, err)
	require.Zero(t, got, "nothing left to roll back")
	_, err = m.Up(ctx)
	require.NoError(t, err)
	cur, _, err = m.Versions(ctx)
	require.NoError(t, err)
	require.Equal(t, target, cur)
}

func TestSpacesAndConfigs(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := t.Context()
	sp, err := st.SpaceCreate(ctx, store.SpaceCreateParams{Name: "s1", AppCode: "app", PlatformURL: "http://x", CreateType: "API", Creator: "u"})
	require.NoError(t, err)
	require.Equal(t, "u", sp.UpdatedBy)

	_, err = st.SpaceCreate(ctx, store.SpaceCreateParams{Name: "s1", AppCode: "other", PlatformURL: "http://x", CreateType: "API"})
	require.ErrorIs(t, err, store.ErrConflict)
	var ce *store.ConflictError
	require.True(t, errors.As(err, &ce))
	require.Equal(t, "spaces_name_key", ce.Constraint)

	_, err = st.SpaceGet(ctx, sp.ID+1000)
	require.ErrorIs(t, err, store.ErrNotFound)

	n, err := st.SpaceCountByApp(ctx, "app")
	require.NoError(t, err)
	require.Equal(t, 1, n)

	require.NoError(t, st.SpaceConfigUpsert(ctx, sp.ID, "superusers", json.RawMessage(`["a"]`)))
	require.NoError(t, st.SpaceConfigUpsert(ctx, sp.ID, "canvas_mode", json.RawMessage(`"vertical"`)))
	require.NoError(t, st.SpaceConfigUpsert(ctx, sp.ID, "superusers", json.RawMessage(`["a", "b"]`)))
	list, err := st.SpaceConfigList(ctx, sp.ID)
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Equal(t, "canvas_mode", list[0].Name)
	require.JSONEq(t, `"vertical"`, string(list[0].Value))
	require.JSONEq(t, `["a", "b"]`, string(list[1].Value))
}

func TestInTxRollsBack(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := t.Context()
	boom := errors.New("boom")
	err := st.InTx(ctx, func(q *store.Queries) error {
		if _, err := q.SpaceCreate(ctx, store.SpaceCreateParams{Name: "gone", AppCode: "a", PlatformURL: "http://x", CreateType: "API"}); err != nil {
			return err
		}
		return boom
	})
	require.ErrorIs(t, err, boom)
	exists, err := st.SpaceNameExists(ctx, "gone")
	require.NoError(t, err)
	require.False(t, exists)
}

func TestSpaceLockAppSerialises(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	locked := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- st.InTx(ctx, func(q *store.Queries) error {
			if err := q.SpaceLockApp(ctx, "app"); err != nil {
				return err
			}
			close(locked)
			<-release
			return nil
		})
	}()
	<-locked
	second := make(chan error, 1)
	go func() {
		second <- st.InTx(ctx, func(q *store.Queries) error { return q.SpaceLockApp(ctx, "app") })
	}()
	select {
	case err := <-second:
		t.Fatalf("second lock taken while the first is held (err %v)", err)
	default:
	}
	// Another app's lock is independent.
	require.NoError(t, st.InTx(ctx, func(q *store.Queries) error { return q.SpaceLockApp(ctx, "other") }))
	close(release)
	require.NoError(t, <-done)
	require.NoError(t, <-second)
}
