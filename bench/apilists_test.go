package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/bkflow/bkflow/internal/stacktest"
	"github.com/bkflow/bkflow/workflows/pipeline/pipelinetest"
)

// seedRows is how many tasks and how many templates the list benchmarks
// put in their space.
const seedRows = 100_000

var postgresReady = regexp.MustCompile(`"msg":"postgres ready".*?"port":(\d+)`)

// stackDB connects to the stack's database: the test server's database, or
// the private cluster `bkflow dev` started (its superuser bkflow, the
// password it keeps in <data dir>/postgres/password, the port it logged).
func stackDB(b *testing.B, s *stacktest.Stack) *pgx.Conn {
	b.Helper()
	dsn := s.DatabaseURL
	if dsn == "" {
		m := postgresReady.FindAllStringSubmatch(s.Logs(), -1)
		require.NotEmpty(b, m, "no \"postgres ready\" line in the stack's logs")
		pw, err := os.ReadFile(filepath.Join(s.DataDir, "postgres", "password"))
		require.NoError(b, err)
		dsn = (&url.URL{Scheme: "postgres", User: url.UserPassword("bkflow", string(bytesTrim(pw))),
			Host: "127.0.0.1:" + m[len(m)-1][1], Path: "/bkflow", RawQuery: "sslmode=disable"}).String()
	}
	conn, err := pgx.Connect(context.Background(), dsn)
	require.NoError(b, err)
	b.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func bytesTrim(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == ' ' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// The value generators of the seed, in SQL over a row's random numbers:
// skewed creators (alice 30% … judy 1%), names from an operator's
// vocabulary (verb 1/12 each, service 1/10 each, " hotfix" in 0.1%).
const (
	sqlCreator = `CASE WHEN %[1]s < .30 THEN 'alice' WHEN %[1]s < .50 THEN 'bob' WHEN %[1]s < .65 THEN 'carol'
		WHEN %[1]s < .75 THEN 'dave' WHEN %[1]s < .85 THEN 'erin' WHEN %[1]s < .90 THEN 'frank' WHEN %[1]s < .94 THEN 'grace'
		WHEN %[1]s < .97 THEN 'heidi' WHEN %[1]s < .99 THEN 'ivan' ELSE 'judy' END`
	sqlVerb = `(ARRAY['deploy','backup','release','nightly build','rollback','scale out','db migration','sync config',
		'cleanup','daily report','canary','restart'])[1 + floor(%s * 12)::int]`
	sqlService = `(ARRAY['payments','search','gateway','billing','user-center','cmdb','monitor','log-agent','order',
		'inventory'])[1 + floor(%s * 10)::int]`
	// sqlLabel picks a leaf label by weight: env/prod 40%, env/test 30%,
	// team/payments 15%, team/search 10%, nightly 4%, hotfix 1% (of the
	// labelled rows).
	sqlLabel = `CASE WHEN %[1]s < .40 THEN $2::bigint WHEN %[1]s < .70 THEN $3::bigint WHEN %[1]s < .85 THEN $4::bigint
		WHEN %[1]s < .95 THEN $5::bigint WHEN %[1]s < .99 THEN $6::bigint ELSE $7::bigint END`
)

// seedLabels are the leaf labels of the seed, in sqlLabel's order.
var seedLabels = []string{"env/prod", "env/test", "team/payments", "team/search", "nightly", "hotfix"}

// seedInfo is what the list combos need to know about the seeded rows.
type seedInfo struct {
	popularTemplate, rareTemplate int64
	taskRareTemplateRows          int
	finished                      []int64
}

// seed inserts seedRows templates (with their snapshots) and seedRows tasks
// into space with SQL, copying the variable-size columns (trees, outputs,
// root state) from a template and a finished task made through the API,
// labels some of them and analyses the tables. Tasks reference 2,000
// templates with a skew (the most used has about 8% of the tasks); their
// creation times span 180 days, templates' 730 days, in id order.
func seed(b *testing.B, db *pgx.Conn, spaceID, realTemplate, realTask int64, labels []int64) seedInfo {
	b.Helper()
	ctx := context.Background()
	begin := time.Now()
	tx, err := db.Begin(ctx)
	require.NoError(b, err)
	defer func() { _ = tx.Rollback(ctx) }()
	exec := func(sql string, args ...any) {
		b.Helper()
		_, err := tx.Exec(ctx, sql, args...)
		require.NoError(b, err, "%s", sql)
	}
	// Reserve id ranges so the API's own inserts never collide.
	reserve := func(table string) int64 {
		var base int64
		require.NoError(b, tx.QueryRow(ctx, fmt.Sprintf(`SELECT nextval(pg_get_serial_sequence('%s', 'id'))`, table)).Scan(&base))
		exec(fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%s', 'id'), $1)`, table), base+seedRows-1)
		return base
	}
	tplBase, snapBase, taskBase := reserve("templates"), reserve("template_snapshots"), reserve("tasks")
	exec(`SELECT setseed(0.42)`)

	// Templates and their live snapshots.
	exec(`CREATE TEMP TABLE seed_tpl ON COMMIT DROP AS
		SELECT $1::bigint + g - 1 AS id, $2::bigint + g - 1 AS sid, g,
			random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5, random() AS r6,
			random() AS r7, random() AS r8, random() AS r9,
			now() - interval '730 days' * (1 - g::float8 / $3::int) AS created
		FROM generate_series(1, $3::int) g`, tplBase, snapBase, seedRows)
	exec(fmt.Sprintf(`INSERT INTO templates (id, space_id, snapshot_id, name, "desc", notify_config, scope_type,
			scope_value, is_enabled, extra_info, creator, updated_by, create_at, update_at, is_deleted)
		SELECT s.id, $1, s.sid, %s || ' ' || %s || CASE WHEN s.r3 < .001 THEN ' hotfix' ELSE '' END || ' #' || s.g,
			r."desc", r.notify_config, 'project', (1 + floor(s.r5 * 50))::text, true, r.extra_info, %s, %s,
			s.created, least(now(), s.created + interval '30 days' * s.r6), s.r7 < .02
		FROM seed_tpl s CROSS JOIN (SELECT * FROM templates WHERE id = $2) r`,
		fmt.Sprintf(sqlVerb, "s.r1"), fmt.Sprintf(sqlService, "s.r2"), fmt.Sprintf(sqlCreator, "s.r4"),
		fmt.Sprintf(sqlCreator, "s.r4")), spaceID, realTemplate)
	exec(`INSERT INTO template_snapshots (id, template_id, data, md5sum, draft, creator, operator, create_time, update_time)
		SELECT t.snapshot_id, t.id, r.data, r.md5sum, false, t.creator, t.updated_by, t.create_at, t.update_at
		FROM templates t JOIN seed_tpl s ON s.id = t.id
		CROSS JOIN (SELECT rs.* FROM templates rt JOIN template_snapshots rs ON rs.id = rt.snapshot_id WHERE rt.id = $1) r`,
		realTemplate)
	// 15% of the templates have a label.
	exec(fmt.Sprintf(`INSERT INTO template_labels (template_id, label_id)
		SELECT id, %s FROM seed_tpl WHERE r8 < .15 AND $1::bigint > 0`, fmt.Sprintf(sqlLabel, "r9")),
		append([]any{int64(1)}, toAny(labels)...)...)

	// Tasks: 70% FINISHED, 10% FAILED, 5% REVOKED, 5% RUNNING, 10% CREATED;
	// 2% without a template, 1% deleted, 0.5% expired.
	exec(`CREATE TEMP TABLE seed_task ON COMMIT DROP AS
		SELECT $1::bigint + g - 1 AS id, g,
			random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5, random() AS r6,
			random() AS r7, random() AS r8, random() AS r9, random() AS r10, random() AS r11, random() AS r12,
			now() - interval '180 days' * (1 - g::float8 / $2::int) AS created
		FROM generate_series(1, $2::int) g`, taskBase, seedRows)
	exec(`ALTER TABLE seed_task ADD COLUMN state text`)
	exec(`UPDATE seed_task SET state = CASE WHEN r6 < .70 THEN 'FINISHED' WHEN r6 < .80 THEN 'FAILED'
		WHEN r6 < .85 THEN 'REVOKED' WHEN r6 < .90 THEN 'RUNNING' ELSE 'CREATED' END`)
	exec(fmt.Sprintf(`INSERT INTO tasks (id, space_id, template_id, instance_id, name, description, creator, executor,
			create_method, trigger_method, scope_type, scope_value, pipeline_tree, execution_tree, extra_info, namespace,
			task_queue, state, state_seq, is_started, is_finished, is_revoked, is_expired, is_deleted, root_state, outputs,
			create_time, start_time, finish_time)
		SELECT s.id, $1, CASE WHEN s.r9 < .02 THEN NULL ELSE $3::bigint + floor(power(s.r1, 3) * 2000)::bigint END,
			md5(s.id::text), %s || ' ' || %s || CASE WHEN s.r3 < .001 THEN ' hotfix' ELSE '' END
				|| ' ' || to_char(s.created, 'MMDD-HH24MI'),
			'', %s, CASE WHEN s.state = 'CREATED' THEN '' ELSE %s END, 'API', 'api', 'project',
			(1 + floor(s.r5 * 50))::text, r.pipeline_tree, r.execution_tree, r.extra_info, r.namespace, r.task_queue,
			s.state, CASE WHEN s.state = 'CREATED' THEN 0 ELSE r.state_seq END, s.state <> 'CREATED',
			s.state = 'FINISHED', s.state = 'REVOKED', s.r7 < .005, s.r8 < .01,
			CASE WHEN s.state IN ('FINISHED', 'FAILED', 'REVOKED') THEN r.root_state END,
			CASE WHEN s.state IN ('FINISHED', 'FAILED', 'REVOKED') THEN r.outputs END,
			s.created, CASE WHEN s.state <> 'CREATED' THEN s.created + interval '2 seconds' END,
			CASE WHEN s.state IN ('FINISHED', 'FAILED', 'REVOKED')
				THEN s.created + interval '2 seconds' + interval '10 minutes' * s.r10 END
		FROM seed_task s CROSS JOIN (SELECT * FROM tasks WHERE id = $2) r`,
		fmt.Sprintf(sqlVerb, "s.r2"), fmt.Sprintf(sqlService, "s.r4"), fmt.Sprintf(sqlCreator, "s.r12"),
		fmt.Sprintf(sqlCreator, "s.r12")), spaceID, realTask, tplBase)
	// 20% of the tasks have a label, 2% a second one (nightly).
	exec(fmt.Sprintf(`INSERT INTO task_labels (task_id, label_id)
		SELECT id, %s FROM seed_task WHERE r11 < .20 AND $1::bigint > 0`, fmt.Sprintf(sqlLabel, "(r11 * 5)")),
		append([]any{int64(1)}, toAny(labels)...)...)
	exec(`INSERT INTO task_labels (task_id, label_id) SELECT id, $1 FROM seed_task WHERE r11 < .02
		ON CONFLICT DO NOTHING`, labels[4])
	require.NoError(b, tx.Commit(ctx))
	// Analysed and checkpointed, so that no autovacuum or checkpoint of the
	// bulk load runs during the measures.
	for _, t := range []string{"templates", "template_snapshots", "template_labels", "tasks", "task_labels", "labels"} {
		_, err := db.Exec(ctx, "VACUUM (ANALYZE) "+t)
		require.NoError(b, err)
	}
	_, err = db.Exec(ctx, "CHECKPOINT")
	require.NoError(b, err)

	var info seedInfo
	require.NoError(b, db.QueryRow(ctx, `SELECT template_id FROM tasks WHERE space_id = $1 AND template_id IS NOT NULL
		GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`, spaceID).Scan(&info.popularTemplate))
	require.NoError(b, db.QueryRow(ctx, `SELECT template_id, count(*) FROM tasks WHERE space_id = $1
		AND template_id IS NOT NULL AND NOT is_deleted AND NOT is_expired GROUP BY 1 ORDER BY abs(count(*) - 50), 1 LIMIT 1`,
		spaceID).Scan(&info.rareTemplate, &info.taskRareTemplateRows))
	rows, err := db.Query(ctx, `SELECT id FROM tasks WHERE space_id = $1 AND state = 'FINISHED' AND NOT is_deleted
		AND NOT is_expired`, spaceID)
	require.NoError(b, err)
	info.finished, err = pgx.CollectRows(rows, pgx.RowTo[int64])
	require.NoError(b, err)
	var size string
	require.NoError(b, db.QueryRow(ctx, `SELECT pg_size_pretty(pg_total_relation_size('tasks')) || ' tasks, '
		|| pg_size_pretty(pg_total_relation_size('templates') + pg_total_relation_size('template_snapshots'))
		|| ' templates and snapshots'`).Scan(&size))
	var pages, visible int
	require.NoError(b, db.QueryRow(ctx, `SELECT relpages, relallvisible FROM pg_class WHERE relname = 'tasks'`).Scan(&pages, &visible))
	b.Logf("seeded %d templates and %d tasks in space %d in %s (%s; %d of %d task pages all-visible)", seedRows, seedRows, spaceID,
		time.Since(begin).Round(time.Millisecond), size, visible, pages)
	return info
}

func toAny(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// seedTree is the tree of the real template the seed copies: 10 nodes, a
// constant, an output (about the size of a small production template).
func seedTree() *pipelinetest.Tree {
	t := pipelinetest.Linear(10)
	t.Constant("who", "world")
	t.Output("shown", "n1", "_result")
	t.Export("who", "shown")
	return t
}

// combo is one list request: its name and the query string of request i.
type combo struct {
	name  string
	query func(i int) string
}

func fixed(name, q string) combo { return combo{name, func(int) string { return q }} }

// measure sends warm-up requests, then samples requests one after the
// other, and summarises their latencies; Rows is the count of the last
// answer.
func measure(c *apiClient, method string, warmup, samples int, req func(i int) (string, any),
	rows func(answer) int) summary {
	var ds []time.Duration
	errs, last := 0, -1
	var firstErr error
	for i := range warmup + samples {
		path, body := req(i)
		begin := time.Now()
		a, err := c.call(method, path, body)
		d := time.Since(begin)
		if i < warmup {
			continue
		}
		if err != nil {
			errs++
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		ds = append(ds, d)
		if rows != nil {
			last = rows(a)
		}
	}
	s := summarize(ds, errs, firstErr)
	s.Rows = last
	return s
}

func taskRows(a answer) int {
	var p struct {
		Count int `json:"count"`
	}
	_ = json.Unmarshal(a.Data, &p)
	return p.Count
}

func templateRows(a answer) int {
	if a.Count == nil {
		return -1
	}
	return *a.Count
}

// BenchmarkListsAt100k: get_task_list and get_template_list with filters
// over 100,000 tasks and 100,000 templates of one space, and
// get_tasks_states of 50 finished tasks, one request at a time
// (BKFLOW_BENCH_SAMPLES each, default 1,000, after 100 unmeasured).
func BenchmarkListsAt100k(b *testing.B) {
	samples := envInt(b, "BKFLOW_BENCH_SAMPLES", 1000)
	const warmup = 100
	s := startAPIStack(b)
	db := stackDB(b, s)
	sp := stacktest.NewSpace(b, s)
	c := newAPIClient(s, sp)

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
	if hold := envDuration(b, "BKFLOW_BENCH_HOLD", 0); hold > 0 {
		// For EXPLAIN ANALYZE by hand on the seeded database.
		b.Logf("holding %s: space %d, database %s, API %s", hold, sp.ID, db.Config().ConnString(), s.URL("/"))
		time.Sleep(hold)
	}

	loc := time.Local
	window := func(from, to time.Time) string {
		return url.Values{"create_at_start": {from.In(loc).Format(time.RFC3339)},
			"create_at_end": {to.In(loc).Format(time.RFC3339)}}.Encode()
	}
	now := time.Now()
	taskWeek := window(now.AddDate(0, 0, -90), now.AddDate(0, 0, -83))
	tplMonth := window(now.AddDate(0, 0, -365), now.AddDate(0, 0, -335))
	rng := rand.New(rand.NewPCG(1, 2))
	randomIDs := func(n int) []int64 {
		out := make([]int64, n)
		for i := range out {
			out[i] = info.finished[rng.IntN(len(info.finished))]
		}
		return out
	}
	idList := func(int) string {
		v := url.Values{}
		for _, id := range randomIDs(50) {
			v.Add("task_id_list", fmt.Sprint(id))
		}
		return v.Encode()
	}

	tasks := []combo{
		fixed("plain(limit=100)", ""),
		fixed("limit=20", "limit=20"),
		fixed("offset=5000&limit=20", "offset=5000&limit=20"),
		fixed("creator=alice(30%)", "creator=alice"),
		fixed("creator=judy(1%)", "creator=judy"),
		fixed("name=backup(8%)", "name=backup"),
		fixed("name=hotfix(0.1%)", "name=hotfix"),
		fixed("template_id=popular", fmt.Sprintf("template_id=%d", info.popularTemplate)),
		fixed("template_id=rare", fmt.Sprintf("template_id=%d", info.rareTemplate)),
		fixed("label=env(prod+test)", "label=env"),
		fixed("label=hotfix", "label=hotfix"),
		fixed("create_at_7_days", taskWeek),
		fixed("creator+template_id+create_at", fmt.Sprintf("creator=alice&template_id=%d&%s", info.popularTemplate,
			window(now.AddDate(0, 0, -60), now))),
		fixed("scope_type+scope_value", "scope_type=project&scope_value=7"),
		{"task_id_list(50)", idList},
	}
	templates := []combo{
		fixed("plain(limit=100)", ""),
		fixed("limit=20", "limit=20"),
		fixed("offset=5000&limit=20", "offset=5000&limit=20"),
		fixed("creator=alice(30%)", "creator=alice"),
		fixed("creator=judy(1%)", "creator=judy"),
		fixed("name=backup(8%)", "name=backup"),
		fixed("name=hotfix(0.1%)", "name=hotfix"),
		fixed("label=env(prod+test)", "label=env"),
		fixed("label=hotfix", "label=hotfix"),
		fixed("order_by=name", "order_by=name&limit=20"),
		fixed("order_by=-update_at", "order_by=-update_at&limit=20"),
		fixed("order_by=id", "order_by=id&limit=20"),
		fixed("create_at_30_days", tplMonth),
		fixed("scope_type+scope_value", "scope_type=project&scope_value=7"),
		fixed("creator+name+order_by", "creator=alice&name=backup&order_by=-update_at&limit=20"),
	}
	for range b.N {
		for _, cb := range tasks {
			report(b, "get_task_list/"+cb.name, measure(c, http.MethodGet, warmup, samples, func(i int) (string, any) {
				return "get_task_list/?" + cb.query(i), nil
			}, taskRows))
		}
		for _, cb := range templates {
			report(b, "get_template_list/"+cb.name, measure(c, http.MethodGet, warmup, samples, func(i int) (string, any) {
				return "get_template_list/?" + cb.query(i), nil
			}, templateRows))
		}
		report(b, "get_tasks_states/50_finished", measure(c, http.MethodPost, warmup, samples, func(int) (string, any) {
			return "get_tasks_states/", map[string]any{"task_ids": randomIDs(50)}
		}, func(a answer) int {
			var m map[string]any
			_ = json.Unmarshal(a.Data, &m)
			return len(m)
		}))
	}
}
