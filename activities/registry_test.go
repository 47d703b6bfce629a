package activities

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRegistryRegister(t *testing.T) {
	t.Parallel()
	r := NewRegistry()
	require.NoError(t, r.Register(newFake("bk_display", "v1.0")))
	require.NoError(t, r.Register(newFake("bk_display", "v2.0")))

	err := r.Register(newFake("bk_display", "v1.0"))
	require.EqualError(t, err, "component bk_display v1.0 is already registered")

	for _, c := range []Component{newFake("", "v1"), newFake("x", ""), newFake("a@b", "v1"), nil} {
		require.Error(t, r.Register(c))
	}
	require.Len(t, r.List(), 2)
}

func TestRegistryLookup(t *testing.T) {
	t.Parallel()
	r := NewRegistry()
	for _, c := range []*fakeComponent{
		newFake("single", "v1.0"),
		newFake("pause_node", "legacy"),
		newFake("multi", "v1.0"),
		newFake("multi", "v2.0"),
		newFake("both", "legacy"),
		newFake("both", "v2.0"),
	} {
		require.NoError(t, r.Register(c))
	}
	tests := []struct {
		name, code, version string
		wantVersion         string // "" = not found
	}{
		{"exact", "multi", "v2.0", "v2.0"},
		{"exact legacy", "pause_node", "legacy", "legacy"},
		{"empty means legacy", "pause_node", "", "legacy"},
		{"empty finds the only version", "single", "", "v1.0"},
		{"legacy finds the only version", "single", "legacy", "v1.0"},
		{"empty prefers legacy among several", "both", "", "legacy"},
		{"empty is ambiguous among several", "multi", "", ""},
		{"legacy is ambiguous among several", "multi", "legacy", ""},
		{"other version is exact only", "single", "v2.0", ""},
		{"unknown code", "nope", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, ok := r.Lookup(tt.code, tt.version)
			if tt.wantVersion == "" {
				require.False(t, ok)
				require.Nil(t, c)
				return
			}
			require.True(t, ok)
			require.Equal(t, tt.code, c.Spec().Code)
			require.Equal(t, tt.wantVersion, c.Spec().Version)
		})
	}
}

func TestRegistryListSorted(t *testing.T) {
	t.Parallel()
	r := NewRegistry()
	for _, cv := range [][2]string{{"value_assign", "v1.0.0"}, {"bk_http_request", "v1.0"}, {"a", "v2"}, {"a", "v10"}, {"a", "legacy"}} {
		require.NoError(t, r.Register(newFake(cv[0], cv[1])))
	}
	var got [][2]string
	for _, s := range r.List() {
		got = append(got, [2]string{s.Code, s.Version})
	}
	require.Equal(t, [][2]string{
		{"a", "legacy"}, {"a", "v10"}, {"a", "v2"}, {"bk_http_request", "v1.0"}, {"value_assign", "v1.0.0"},
	}, got)
}

func TestActivityName(t *testing.T) {
	t.Parallel()
	tests := []struct{ code, version, want string }{
		{"bk_http_request", "v1.0", "bk_http_request@v1.0"},
		{"pause_node", "legacy", "pause_node@legacy"},
		{"pause_node", "", "pause_node@legacy"},
		{"subprocess_plugin", "1.0.0", "subprocess_plugin@1.0.0"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, ActivityName(tt.code, tt.version))
	}
}
