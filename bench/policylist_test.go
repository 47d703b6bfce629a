package bench

// The permission-filtered list figure of issue 5: /sdk/space/{id}/get_task_list/
// over 100,000 tasks (the seed of BenchmarkListsAt100k), for users holding
// different task_view grants; the grant becomes a SQL condition on the
// tasks' iam_path and id (never rows filtered in Go). One request at a time,
// BKFLOW_BENCH_SAMPLES (1,000) each after 100 unmeasured.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bkflow/bkflow/internal/stacktest"
)

func BenchmarkPolicyFilteredList(b *testing.B) {
	samples := envInt(b, "BKFLOW_BENCH_SAMPLES", 1000)
	const warmup = 100
	s := startAPIStack(b)
	db := stackDB(b, s)
	sp := stacktest.NewSpace(b, s)
	labels := make([]int64, len(seedLabels))
	for i, name := range seedLabels {
		var l struct {
			ID int64 `json:"id"`
		}
		require.NoError(b, json.Unmarshal(sp.MustCall(http.MethodPost, "create_label/", map[string]any{
			"name": name, "color": "#123456", "label_scope": []string{"task", "template"}}), &l))
		labels[i] = l.ID
	}
	realTemplate := sp.CreateTemplate(seedTree(), map[string]any{"name": "seed template", "creator": "alice"})
	realTask := sp.CreateTask(realTemplate, map[string]any{"name": "seed task", "creator": "alice"})
	stacktest.OK(b, realTask.Operate("start"))
	realTask.WaitTask("FINISHED")
	info := seed(b, db, sp.ID, realTemplate, realTask.ID, labels)

	grant := func(user string, paths [][]map[string]any) {
		r := s.Do(http.MethodPost, "/api/v1/open/authorization/batch_path/", s.AuthHeader("admin"), map[string]any{
			"asynchronous": false, "operate": "grant", "system": "bkflow", "actions": []any{map[string]any{"id": "task_view"}},
			"subject":   map[string]any{"type": "user", "id": user},
			"resources": []any{map[string]any{"system": "bkflow", "type": "task", "paths": paths}}})
		require.Contains(b, string(r.Body), `"code":0`, "%s", r.Body)
	}
	n := func(typ string, id int64) map[string]any {
		return map[string]any{"type": typ, "id": fmt.Sprint(id), "name": ""}
	}
	idPaths := func(k int) [][]map[string]any {
		var out [][]map[string]any
		for i := range k {
			out = append(out, []map[string]any{n("space", sp.ID), n("task", info.finished[i*97%len(info.finished)])})
		}
		return out
	}
	grant("u-space", [][]map[string]any{{n("space", sp.ID)}})
	grant("u-popular", [][]map[string]any{{n("space", sp.ID), n("template", info.popularTemplate)}})
	grant("u-rare", [][]map[string]any{{n("space", sp.ID), n("template", info.rareTemplate)}})
	grant("u-ids", idPaths(20))
	grant("u-mix", append(idPaths(20), []map[string]any{n("space", sp.ID), n("template", info.rareTemplate)}))

	for range b.N {
		for _, user := range []string{"u-space", "u-popular", "u-rare", "u-ids", "u-mix", "u-none"} {
			c := newAPIClient(s, sp)
			c.base = s.URL(fmt.Sprintf("/sdk/space/%d/", sp.ID))
			c.auth = s.AuthHeader(user)
			report(b, "sdk_get_task_list/"+user, measure(c, http.MethodGet, warmup, samples, func(int) (string, any) {
				return "get_task_list/?limit=15", nil
			}, taskRows))
		}
	}
}
