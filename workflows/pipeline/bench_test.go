package pipeline

import (
	"encoding/json"
	"fmt"
	"testing"
)

// linearTree is a web tree of n activities in a line.
func linearTree(n int) []byte {
	start := bStart("start")
	cur := start
	for i := 0; i < n; i++ {
		cur = cur.extend(bAct(fmt.Sprintf("act%05d", i)))
	}
	cur.extend(bEnd("end"))
	tree := build(start)
	for _, a := range objectAt(tree, "activities") {
		a.(map[string]any)["component"] = map[string]any{"code": "bk_display", "version": "v1.0", "data": map[string]any{
			"bk_display_message": map[string]any{"hook": false, "need_render": true, "value": "step ${n}"},
		}}
	}
	tree["constants"] = map[string]any{"${n}": map[string]any{"key": "${n}", "name": "n", "value": "1", "custom_type": "input", "source_type": "custom", "show_type": "show"}}
	raw, err := json.Marshal(tree)
	if err != nil {
		panic(err)
	}
	return raw
}

// BenchmarkParseValidateConvert5000 is Parse + Validate + ToEngine of a
// 5,000-node linear tree.
func BenchmarkParseValidateConvert5000(b *testing.B) {
	raw := linearTree(5000)
	p, err := NewParser()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	b.ResetTimer()
	for b.Loop() {
		w, err := p.Check(raw)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ToEngine(w); err != nil {
			b.Fatal(err)
		}
	}
}
