package apps_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bkflow/bkflow/internal/apps"
	"github.com/bkflow/bkflow/internal/pgtest"
	"github.com/bkflow/bkflow/internal/store"
)

func newService(t *testing.T) (*apps.Service, *store.Store) {
	t.Helper()
	st := pgtest.NewStore(t)
	svc, err := apps.New(st, time.Now)
	require.NoError(t, err)
	return svc, st
}

func TestCreateAndAuthenticate(t *testing.T) {
	t.Parallel()
	svc, st := newService(t)
	ctx := t.Context()
	secret, err := svc.Create(ctx, "my-app")
	require.NoError(t, err)
	require.Len(t, secret, 64)

	app, err := st.AppGet(ctx, "my-app")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(app.SecretHash, "$argon2id$"), "stored as an argon2id hash")
	require.NotContains(t, app.SecretHash, secret)

	require.NoError(t, svc.Authenticate(ctx, "my-app", secret))
	require.NoError(t, svc.Authenticate(ctx, "my-app", secret), "cached verification")
	require.ErrorIs(t, svc.Authenticate(ctx, "my-app", secret+"x"), apps.ErrInvalidCredentials)
	require.ErrorIs(t, svc.Authenticate(ctx, "nobody", secret), apps.ErrInvalidCredentials)
	require.ErrorIs(t, svc.Authenticate(ctx, "my-app", ""), apps.ErrInvalidCredentials)

	_, err = svc.Create(ctx, "my-app")
	require.ErrorIs(t, err, apps.ErrExists)
}

func TestCodeRule(t *testing.T) {
	t.Parallel()
	svc, _ := newService(t)
	for _, bad := range []string{"", "-x", "has space", strings.Repeat("a", 33), "ünï"} {
		_, err := svc.Create(t.Context(), bad)
		require.ErrorIs(t, err, apps.ErrInvalidCode, "%q", bad)
	}
	require.True(t, apps.ValidCode("bk_app-1"))
}

func TestEnsureRotatesTheSecret(t *testing.T) {
	t.Parallel()
	svc, _ := newService(t)
	ctx := t.Context()
	require.NoError(t, svc.Ensure(ctx, "dev", "first-secret"))
	require.NoError(t, svc.Authenticate(ctx, "dev", "first-secret"))
	require.NoError(t, svc.Ensure(ctx, "dev", "second-secret"))
	require.ErrorIs(t, svc.Authenticate(ctx, "dev", "first-secret"), apps.ErrInvalidCredentials,
		"the cached verification of the old secret must not survive a rotation")
	require.NoError(t, svc.Authenticate(ctx, "dev", "second-secret"))
}
