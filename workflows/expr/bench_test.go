package expr

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// resolveFixture is 1,000 variables: plain values, splice chains, Starlark
// expressions, selects and JSON variables, plus node inputs referencing
// them.
func resolveFixture() (map[string]Variable, map[string]any, any) {
	vars := map[string]Variable{}
	inputs := map[string]any{}
	for i := range 1000 {
		name := fmt.Sprintf("v%d", i)
		switch i % 5 {
		case 0:
			vars[name] = plain(fmt.Sprintf("value-%d", i))
		case 1:
			vars[name] = splice(fmt.Sprintf("${v%d}-suffix", i-1))
		case 2:
			vars[name] = splice(fmt.Sprintf("${v%d.upper()[:12]} ${len(v%d) + %d}", i-1, i-2, i))
		case 3:
			vars[name] = lazy(LazySelect, []any{fmt.Sprintf("${v%d}", i-3), "b", "c"})
		case 4:
			vars[name] = lazy(LazyJSONVariable, fmt.Sprintf(`{"k": "${v%d}", "n": %d}`, i-4, i))
		}
		inputs[name] = fmt.Sprintf("in ${%s}", name)
	}
	extra := map[string]any{"_system": &System{Attrs: map[string]any{"task_id": 1}}}
	return vars, extra, inputs
}

func resolveAndRender(vars map[string]Variable, extra map[string]any, inputs any) (any, int) {
	ctx, errs := Resolve(vars, extra, References(inputs), Options{})
	out, rerrs := Render(inputs, ctx, Options{})
	return out, len(errs) + len(rerrs)
}

func BenchmarkResolveRender1000(b *testing.B) {
	vars, extra, inputs := resolveFixture()
	b.ReportAllocs()
	for b.Loop() {
		resolveAndRender(vars, extra, inputs)
	}
}

func TestResolveRender1000(t *testing.T) {
	vars, extra, inputs := resolveFixture()
	start := time.Now()
	out, nerr := resolveAndRender(vars, extra, inputs)
	elapsed := time.Since(start)
	require.Zero(t, nerr)
	m := out.(map[string]any)
	require.Equal(t, "in value-5-suffix", m["v6"])
	require.Equal(t, "in VALUE-5-SUFF 14", m["v7"])
	require.Equal(t, "in {'k': 'value-5', 'n': 9}", m["v9"])
	t.Logf("resolve+render of 1,000 variables: %v", elapsed)
}
