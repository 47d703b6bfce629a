package api

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bkflow/bkflow/internal/pgtest"
	"github.com/bkflow/bkflow/internal/store"
	"github.com/bkflow/bkflow/policy/wire"
)

func mustExpr(t *testing.T, s string) wire.Expr {
	t.Helper()
	var e wire.Expr
	require.NoError(t, json.Unmarshal([]byte(s), &e), s)
	return e
}

// TestIAMSQLShape pins the SQL and arguments of each kind of condition.
func TestIAMSQLShape(t *testing.T) {
	cases := []struct {
		table iamTable
		expr  string
		sql   string
		args  []any
	}{
		{taskTable, `{}`, `FALSE`, nil},
		{taskTable, `{"op":"any","field":"","value":[]}`, `TRUE`, nil},
		{taskTable, `{"op":"AND","content":[]}`, `TRUE`, nil},
		{taskTable, `{"op":"OR","content":[]}`, `FALSE`, nil},
		{taskTable, `{"op":"bogus","field":"task.id","value":"1"}`, `FALSE`, nil},
		// Paths: the shapes IAM grants use space_id and template_id.
		{taskTable, `{"op":"starts_with","field":"task._bk_iam_path_","value":"/space,1/"}`,
			`tasks.space_id = ?`, []any{int64(1)}},
		{taskTable, `{"op":"starts_with","field":"task._bk_iam_path_","value":"/space,1/template,5/"}`,
			`(tasks.space_id = ? AND tasks.template_id = ?)`, []any{int64(1), int64(5)}},
		{taskTable, `{"op":"starts_with","field":"task._bk_iam_path_","value":"/space,1/template,*/"}`,
			`(tasks.space_id = ? AND tasks.template_id IS NOT NULL)`, []any{int64(1)}},
		{taskTable, `{"op":"starts_with","field":"task._bk_iam_path_","value":"/space,*/"}`, `TRUE`, nil},
		{taskTable, `{"op":"starts_with","field":"task._bk_iam_path_","value":"/space,1"}`,
			`tasks.iam_path LIKE ?`, []any{`/space,1%`}},
		{taskTable, `{"op":"starts_with","field":"task._bk_iam_path_","value":"/space,01/"}`,
			`tasks.iam_path LIKE ?`, []any{`/space,01/%`}},
		{taskTable, `{"op":"starts_with","field":"task._bk_iam_path_","value":"/space,1/template,5/x_"}`,
			`tasks.iam_path LIKE ?`, []any{`/space,1/template,5/x\_%`}},
		{taskTable, `{"op":"not_starts_with","field":"task._bk_iam_path_","value":"/space,1/template,*/"}`,
			`tasks.iam_path NOT LIKE ?`, []any{`/space,1/template,*/%`}},
		{taskTable, `{"op":"string_contains","field":"task._bk_iam_path_","value":"/template,5/"}`,
			`tasks.iam_path LIKE ?`, []any{`%/template,5/%`}},
		{taskTable, `{"op":"eq","field":"task._bk_iam_path_","value":"/space,1/"}`,
			`(('/space,' || tasks.space_id || '/') = ? OR tasks.iam_path = ?)`, []any{"/space,1/", "/space,1/"}},
		{taskTable, `{"op":"not_in","field":"task._bk_iam_path_","value":["/space,1/"]}`,
			`(('/space,' || tasks.space_id || '/') <> ALL(?) AND tasks.iam_path <> ALL(?))`,
			[]any{[]string{"/space,1/"}, []string{"/space,1/"}}},
		{templateTable, `{"op":"starts_with","field":"template._bk_iam_path_","value":"/space,1/"}`,
			`t.space_id = ?`, []any{int64(1)}},
		{templateTable, `{"op":"starts_with","field":"template._bk_iam_path_","value":"/space,1/template,*/"}`,
			`t.iam_path LIKE ?`, []any{`/space,1/template,%`}},
		{templateTable, `{"op":"eq","field":"template._bk_iam_path_","value":"/space,1/"}`,
			`t.iam_path = ?`, []any{"/space,1/"}},
		{spaceTable, `{"op":"starts_with","field":"space._bk_iam_path_","value":"/"}`, `FALSE`, nil},
		{spaceTable, `{"op":"not_eq","field":"space._bk_iam_path_","value":"/"}`, `TRUE`, nil},
		// Ids are strings.
		{taskTable, `{"op":"eq","field":"task.id","value":"7"}`, `tasks.id = ?`, []any{int64(7)}},
		{taskTable, `{"op":"eq","field":"task.id","value":7}`, `FALSE`, nil},
		{taskTable, `{"op":"eq","field":"task.id","value":"07"}`, `FALSE`, nil},
		{taskTable, `{"op":"eq","field":"task.id","value":["7"]}`, `FALSE`, nil},
		{taskTable, `{"op":"in","field":"task.id","value":"7"}`, `FALSE`, nil},
		{taskTable, `{"op":"in","field":"task.id","value":["1","x","2",3]}`, `tasks.id = ANY(?)`, []any{[]int64{1, 2}}},
		{taskTable, `{"op":"not_in","field":"task.id","value":["1"]}`, `tasks.id <> ALL(?)`, []any{[]int64{1}}},
		{taskTable, `{"op":"not_eq","field":"task.id","value":"x"}`, `TRUE`, nil},
		{taskTable, `{"op":"gt","field":"task.id","value":"2"}`, `tasks.id::text COLLATE "C" > ?`, []any{"2"}},
		{taskTable, `{"op":"contains","field":"task.id","value":"2"}`, `FALSE`, nil},
		{spaceTable, `{"op":"in","field":"space.id","value":["3"]}`, `spaces.id = ANY(?)`, []any{[]int64{3}}},
		// Attributes.
		{templateTable, `{"op":"eq","field":"template.creator","value":"alice"}`, `t.creator = ?`, []any{"alice"}},
		{taskTable, `{"op":"not_eq","field":"task.scope_type","value":"biz"}`,
			`(tasks.scope_type IS NULL OR tasks.scope_type <> ?)`, []any{"biz"}},
		{taskTable, `{"op":"eq","field":"task.scope_type","value":null}`, `tasks.scope_type IS NULL`, nil},
		{taskTable, `{"op":"eq","field":"task.creator","value":null}`, `FALSE`, nil},
		{taskTable, `{"op":"not_eq","field":"task.creator","value":true}`, `TRUE`, nil},
		{taskTable, `{"op":"in","field":"task.scope_value","value":["1",null]}`,
			`(tasks.scope_value = ANY(?) OR tasks.scope_value IS NULL)`, []any{[]string{"1"}}},
		{taskTable, `{"op":"not_in","field":"task.scope_value","value":["1"]}`,
			`(tasks.scope_value IS NULL OR tasks.scope_value <> ALL(?))`, []any{[]string{"1"}}},
		{taskTable, `{"op":"not_in","field":"task.scope_value","value":["1",null]}`,
			`(tasks.scope_value IS NOT NULL AND tasks.scope_value <> ALL(?))`, []any{[]string{"1"}}},
		{taskTable, `{"op":"starts_with","field":"task.creator","value":"a%"}`, `tasks.creator LIKE ?`, []any{`a\%%`}},
		{taskTable, `{"op":"not_ends_with","field":"task.creator","value":"\\"}`, `tasks.creator NOT LIKE ?`, []any{`%\\`}},
		{taskTable, `{"op":"lte","field":"task.creator","value":"b"}`, `tasks.creator COLLATE "C" <= ?`, []any{"b"}},
		{taskTable, `{"op":"lt","field":"task.creator","value":1}`, `FALSE`, nil},
		// Missing objects and attributes are decided by Eval.
		{taskTable, `{"op":"eq","field":"template.id","value":"5"}`, `FALSE`, nil},
		{taskTable, `{"op":"not_eq","field":"template.id","value":"5"}`, `TRUE`, nil},
		{taskTable, `{"op":"not_in","field":"task.owner","value":["x"]}`, `TRUE`, nil},
		{taskTable, `{"op":"starts_with","field":"task.owner","value":"x"}`, `FALSE`, nil},
		{taskTable, `{"op":"eq","field":"task.name","value":"x"}`, `FALSE`, nil},
		{taskTable, `{"op":"eq","field":"taskid","value":null}`, `TRUE`, nil},
		// Nesting keeps each argument in order.
		{taskTable, `{"op":"OR","content":[{"op":"in","field":"task.id","value":["1","2"]},
			{"op":"AND","content":[{"op":"starts_with","field":"task._bk_iam_path_","value":"/space,1/template,*/"},
			{"op":"eq","field":"task.creator","value":"bob"}]}]}`,
			`(tasks.id = ANY(?) OR ((tasks.space_id = ? AND tasks.template_id IS NOT NULL) AND tasks.creator = ?))`,
			[]any{[]int64{1, 2}, int64(1), "bob"}},
		{taskTable, `{"op":"AND","content":[{"op":"eq","field":"task.id","value":"1"}]}`, `tasks.id = ?`, []any{int64(1)}},
	}
	for _, c := range cases {
		got := c.table.whereOf(mustExpr(t, c.expr))
		require.Equal(t, c.sql, got.SQL, c.expr)
		require.Equal(t, c.args, got.Args, c.expr)
	}
}

func TestIAMSQLDepth(t *testing.T) {
	require.Equal(t, 1, wireDepth(mustExpr(t, `{}`)))
	require.Equal(t, 3, wireDepth(mustExpr(t, `{"op":"AND","content":[{"op":"eq","field":"task.id","value":"1"},
		{"op":"OR","content":[{"op":"AND","content":[]}]}]}`)))
}

// iamFixture is a database holding spaces, templates and tasks whose
// attributes cover the converter's cases (NULL and empty scopes, LIKE
// wildcards in names, ids sharing digits, deleted and expired rows).
func iamFixture(t *testing.T) *store.Store {
	t.Helper()
	st := pgtest.NewStore(t)
	_, err := st.Pool().Exec(context.Background(), `
		INSERT INTO spaces (id, name, app_code, platform_url, creator, is_deleted) VALUES
			(1, 's1', 'a', 'http://x', 'alice', false), (2, 's2', 'a', 'http://x', 'bob', false),
			(10, 's10', 'a', 'http://x', '', false), (3, 's3', 'a', 'http://x', 'alice', true);
		INSERT INTO template_snapshots (id, template_id, data, md5sum, create_time, update_time)
			SELECT g, g, '{}', repeat('0', 32), now(), now() FROM unnest(ARRAY[5, 6, 50, 7]) g;
		INSERT INTO templates (id, space_id, snapshot_id, name, creator, scope_type, scope_value, create_at, update_at, is_deleted) VALUES
			(5, 1, 5, 'deploy', 'alice', 'biz', '1', now(), now(), false),
			(6, 1, 6, 'a_b', 'a_b', NULL, NULL, now(), now(), false),
			(50, 10, 50, 'x%y', 'bob%', '', NULL, now(), now(), false),
			(7, 2, 7, 'gone', 'alice', NULL, NULL, now(), now(), true);
		INSERT INTO tasks (id, space_id, template_id, instance_id, name, creator, scope_type, scope_value, task_queue, is_deleted, is_expired) VALUES
			(1, 1, 5, 'i', 'n', 'alice', 'biz', '1', 'q', false, false),
			(2, 1, NULL, 'i', 'n', 'bob', NULL, NULL, 'q', false, false),
			(3, 1, 6, 'i', 'n', 'carol', 'biz', NULL, 'q', false, false),
			(4, 2, 5, 'i', 'n', 'alice', '', '', 'q', false, false),
			(5, 2, NULL, 'i', 'n', 'a_b', NULL, NULL, 'q', false, false),
			(15, 1, 5, 'i', 'n', 'bob%', NULL, NULL, 'q', false, false),
			(16, 10, 50, 'i', 'n', '', 'biz', '2', 'q', false, false),
			(17, 10, NULL, 'i', 'n', 'x', NULL, NULL, 'q', false, false),
			(18, 1, 5, 'i', 'n', 'alice', NULL, NULL, 'q', true, false),
			(19, 1, 5, 'i', 'n', 'alice', NULL, NULL, 'q', false, true)`)
	require.NoError(t, err)
	return st
}

// iamObjects returns the live instances of t's type and, for each, the
// object Eval sees: what fetch_instance_info reports, through JSON.
func iamObjects(t *testing.T, st *store.Store, table iamTable) ([]int64, []wire.ObjectSet) {
	t.Helper()
	rows, _, err := st.IAMInstances(context.Background(), table.Type, store.IAMInstanceFilter{Limit: 1000})
	require.NoError(t, err)
	var ids []int64
	var objs []wire.ObjectSet
	for _, row := range rows {
		b, err := json.Marshal(instanceInfo(table, row, nil))
		require.NoError(t, err)
		o, err := wire.Objects([]byte(fmt.Sprintf(`{%q: %s}`, table.Type, b)))
		require.NoError(t, err)
		ids = append(ids, row.ID)
		objs = append(objs, o)
	}
	return ids, objs
}

// iamValues are the values every operator is tried with.
var iamValues = []string{`"1"`, `"2"`, `"07"`, `""`, `"alice"`, `"a_"`, `"%"`, `"\\"`, `"biz"`, `"b"`,
	`"/space,1/"`, `"/space,2/"`, `"/space,1/template,5/"`, `"/space,1/template,*/"`, `"/space,1/template,"`,
	`"/space,1"`, `"/space,"`, `"/space,*/"`, `"/"`, `"template,5/"`, `"/space,10/template,50/"`, `"/space,1/template,5"`,
	`1`, `5.0`, `true`, `null`, `{"a":1}`,
	`[]`, `["1","/space,1/"]`, `[null,"alice"]`, `[3,"3","biz"]`, `["/space,1/template,5/","/space,2/"]`, `[null]`}

var iamOps = []string{wire.OpEq, wire.OpNotEq, wire.OpIn, wire.OpNotIn, wire.OpContains, wire.OpNotContains,
	wire.OpStartsWith, wire.OpNotStartsWith, wire.OpEndsWith, wire.OpNotEndsWith, wire.OpStringContains,
	wire.OpLt, wire.OpLte, wire.OpGt, wire.OpGte, wire.OpAny, "bogus", "EQ"}

// TestIAMSQLMatchesEval converts every operator × field × value (and
// logical combinations) for each table, runs the SQL over real rows and
// requires exactly the rows policy/wire's Eval accepts, given what
// fetch_instance_info reports for them.
func TestIAMSQLMatchesEval(t *testing.T) {
	st := iamFixture(t)
	ctx := context.Background()
	for _, table := range []iamTable{spaceTable, templateTable, taskTable} {
		ids, objs := iamObjects(t, st, table)
		require.NotEmpty(t, ids)
		var exprs []string
		for _, typ := range []string{table.Type, "space", "task"} {
			for _, attr := range []string{"id", "_bk_iam_path_", "creator", "scope_type", "scope_value", "name", "nope", "id.x"} {
				for _, op := range iamOps {
					for _, v := range iamValues {
						exprs = append(exprs, fmt.Sprintf(`{"op":%q,"field":"%s.%s","value":%s}`, op, typ, attr, v))
					}
				}
			}
		}
		for _, field := range []string{"", "id", ".id", table.Type + "."} {
			exprs = append(exprs, fmt.Sprintf(`{"op":"eq","field":%q,"value":null}`, field),
				fmt.Sprintf(`{"op":"not_eq","field":%q,"value":"1"}`, field))
		}
		typ := table.Type
		exprs = append(exprs, `{}`, `{"op":"AND","content":[]}`, `{"op":"OR","content":[]}`,
			`{"op":"AND","content":[{"op":"eq","field":"`+typ+`.id","value":"1"},{"op":"starts_with","field":"`+typ+`._bk_iam_path_","value":"/space,1/"}]}`,
			`{"op":"OR","content":[{"op":"in","field":"`+typ+`.id","value":["4"]},{"op":"starts_with","field":"`+typ+`._bk_iam_path_","value":"/space,1/template,6/"}]}`,
			`{"op":"OR","content":[{"op":"not_eq","field":"`+typ+`.scope_type","value":"biz"},{"op":"AND","content":[{"op":"eq","field":"`+typ+`.creator","value":"alice"},{"op":"OR","content":[]}]}]}`,
			`{"op":"AND","content":[{"op":"not_in","field":"`+typ+`.scope_value","value":["1"]},{"op":"not_starts_with","field":"`+typ+`._bk_iam_path_","value":"/space,2/"}]}`,
			`{"op":"OR","content":[{"op":"lt","field":"`+typ+`.scope_type","value":"c"},{"op":"any","field":"","value":[]}]}`)

		got := evalSQL(t, st, table, exprs)
		for i, x := range exprs {
			e := mustExpr(t, x)
			want := []int64{}
			for j, o := range objs {
				if e.Eval(o) {
					want = append(want, ids[j])
				}
			}
			slices.Sort(want)
			c := table.whereOf(e)
			require.Equal(t, want, got[i], "%s: %s\nSQL: %s %v", table.Type, x, c.SQL, c.Args)
		}
		// The list query itself (the store's numbering after its own
		// arguments) on a sample.
		for i := 0; i < len(exprs); i += 97 {
			c := table.whereOf(mustExpr(t, exprs[i]))
			rows, count, err := st.IAMInstances(ctx, table.Type, store.IAMInstanceFilter{Where: &c, Limit: 1000})
			require.NoError(t, err, exprs[i])
			listed := []int64{}
			for _, r := range rows {
				listed = append(listed, r.ID)
			}
			slices.Sort(listed)
			require.Equal(t, got[i], listed, exprs[i])
			require.Equal(t, len(listed), count)
		}
	}
}

// evalSQL returns, for each expression, the sorted ids of the live rows its
// condition selects, evaluating many conditions per query.
func evalSQL(t *testing.T, st *store.Store, table iamTable, exprs []string) [][]int64 {
	t.Helper()
	src := map[string]string{
		"space":    `spaces WHERE NOT spaces.is_deleted`,
		"template": `templates t WHERE NOT t.is_deleted`,
		"task":     `tasks WHERE NOT tasks.is_deleted AND NOT tasks.is_expired`}[table.Type]
	out := make([][]int64, len(exprs))
	const batch = 200
	for start := 0; start < len(exprs); start += batch {
		end := min(start+batch, len(exprs))
		var cols []string
		var args []any
		for _, x := range exprs[start:end] {
			c := table.whereOf(mustExpr(t, x))
			var b strings.Builder
			for _, r := range c.SQL {
				if r == '?' {
					args = append(args, c.Args[0])
					c.Args = c.Args[1:]
					fmt.Fprintf(&b, "$%d", len(args))
					continue
				}
				b.WriteRune(r)
			}
			require.Empty(t, c.Args, x)
			cols = append(cols, "("+b.String()+") IS TRUE")
		}
		rows, err := st.Pool().Query(context.Background(),
			`SELECT `+table.Col+`id, ARRAY[`+strings.Join(cols, ", ")+`] FROM `+src+` ORDER BY 1`, args...)
		require.NoError(t, err)
		for rows.Next() {
			var id int64
			var hits []bool
			require.NoError(t, rows.Scan(&id, &hits))
			for i, hit := range hits {
				if out[start+i] == nil {
					out[start+i] = []int64{}
				}
				if hit {
					out[start+i] = append(out[start+i], id)
				}
			}
		}
		require.NoError(t, rows.Err())
	}
	return out
}

// TestIAMSQLInListQueries ANDs converted conditions into the store's list
// queries after their own filters: the placeholders must be numbered after
// the query's arguments and before its limit and offset.
func TestIAMSQLInListQueries(t *testing.T) {
	st := iamFixture(t)
	ctx := context.Background()
	cond := func(table iamTable, x string) *store.Condition {
		c := table.whereOf(mustExpr(t, x))
		return &c
	}
	taskIDs := func(list []store.Task) []int64 {
		ids := []int64{}
		for _, x := range list {
			ids = append(ids, x.ID)
		}
		return ids
	}

	tasks, n, err := st.TaskList(ctx, store.TaskFilter{SpaceID: 1, Creator: "alice", Limit: 10, Where: cond(taskTable,
		`{"op":"OR","content":[{"op":"starts_with","field":"task._bk_iam_path_","value":"/space,1/template,5/"},{"op":"in","field":"task.id","value":["2","3"]}]}`)})
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, []int64{1}, taskIDs(tasks))

	scope := "biz"
	tasks, n, err = st.TaskList(ctx, store.TaskFilter{SpaceID: 1, ScopeType: &scope, Limit: 1, Offset: 1, Where: cond(taskTable,
		`{"op":"starts_with","field":"task._bk_iam_path_","value":"/space,1/template,*/"}`)})
	require.NoError(t, err)
	require.Equal(t, 2, n) // tasks 1 and 3, newest (highest id, same time) first
	require.Len(t, tasks, 1)

	templates, n, err := st.TemplateList(ctx, store.TemplateFilter{SpaceID: 1, Name: "a", Limit: 10, Where: cond(templateTable,
		`{"op":"AND","content":[{"op":"starts_with","field":"template._bk_iam_path_","value":"/space,1/"},{"op":"not_eq","field":"template.creator","value":"alice"}]}`)})
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Len(t, templates, 1)
	require.Equal(t, int64(6), templates[0].ID)

	rows, n, err := st.IAMInstances(ctx, "task", store.IAMInstanceFilter{ParentType: "template", ParentID: 5, Keyword: "N",
		Limit: 10, Where: cond(taskTable, `{"op":"not_in","field":"task.id","value":["15"]}`)})
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, int64(1), rows[0].ID)
}
