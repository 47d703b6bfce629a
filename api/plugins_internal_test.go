package api

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bkflow/bkflow/activities"
)

func TestCompareComponentVersions(t *testing.T) {
	t.Parallel()
	// Each version sorts strictly before the next.
	ordered := []string{
		"legacy",
		"beta",    // not semver-like: after legacy, before every number
		"latest",  // not semver-like, by text
		"0.9",     // numbers
		"1.0.0-a", // a pre-release before its release
		"1.0.0-b",
		"1.0", // 1.0 = 1.0.0 = v1.0 by number; ties by text
		"1.0.0",
		"v1.0",
		"v1.0.0",
		"v1.0.1",
		"v1.2",
		"v1.10", // numeric, not textual: 10 > 2
		"2.0.0+build5",
		"v10.0",
		"v99999999999999999999999.0", // beyond int64
	}
	for i := range ordered {
		for j := range ordered {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			require.Equal(t, want, compareComponentVersions(ordered[i], ordered[j]), "%s vs %s", ordered[i], ordered[j])
		}
	}
	shuffled := slices.Clone(ordered)
	slices.Reverse(shuffled)
	slices.SortFunc(shuffled, compareComponentVersions)
	require.Equal(t, ordered, shuffled)
}

func pluginTestSpec(code, version, group string) activities.Spec {
	return activities.Spec{Code: code, Version: version, Name: code, Group: group}
}

func TestPluginLatestSpecs(t *testing.T) {
	t.Parallel()
	got := pluginLatestSpecs([]activities.Spec{
		pluginTestSpec("multi", "legacy", "B"),
		pluginTestSpec("multi", "v1.10", "B"),
		pluginTestSpec("multi", "v1.2", "B"),
		pluginTestSpec("single", "legacy", "B"),
		pluginTestSpec("aaa", "v1.0", "C"),
		pluginTestSpec("zzz", "v1.0", "A"),
		pluginTestSpec("subprocess_plugin", "1.0.0", ""),
		pluginTestSpec("remote_plugin", "1.0.0", ""),
		pluginTestSpec("uniform_api", "v4.0.0", ""),
	})
	var codes []string
	for _, s := range got {
		codes = append(codes, s.Code+"@"+s.Version)
	}
	require.Equal(t, []string{"zzz@v1.0", "multi@v1.10", "single@legacy", "aaa@v1.0"}, codes)
}

func TestPluginResolveSpec(t *testing.T) {
	t.Parallel()
	specs := []activities.Spec{pluginTestSpec("multi", "legacy", ""), pluginTestSpec("multi", "v2.0", ""), pluginTestSpec("multi", "v1.0", "")}
	tests := []struct {
		name, code, version string
		want, latest        string // "" = not found
	}{
		{"exact", "multi", "v1.0", "v1.0", "v2.0"},
		{"exact legacy", "multi", "legacy", "legacy", "v2.0"},
		{"empty is the highest", "multi", "", "v2.0", "v2.0"},
		{"unregistered is the highest", "multi", "v9.0", "v2.0", "v2.0"},
		{"unknown code", "nope", "v1.0", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, latest, ok := pluginResolveSpec(specs, tt.code, tt.version)
			require.Equal(t, tt.want != "", ok)
			require.Equal(t, tt.want, s.Version)
			require.Equal(t, tt.latest, latest.Version)
		})
	}
}

func TestPluginRuleAllows(t *testing.T) {
	t.Parallel()
	allow := pluginRule{Mode: "allow_list", PluginCodes: []string{"bk_display"}}
	deny := pluginRule{Mode: "deny_list", PluginCodes: []string{"bk_display"}}
	require.True(t, allow.allows("bk_display"))
	require.False(t, allow.allows("bk_http_request"))
	require.False(t, deny.allows("bk_display"))
	require.True(t, deny.allows("bk_http_request"))
	require.True(t, pluginRule{}.allows("anything"))
}
