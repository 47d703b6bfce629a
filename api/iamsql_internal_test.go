package api

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bkflow/bkflow/internal/pgtest"
	"github.com/bkflow/bkflow/policy/wire"
)

// TestIAMSQLMatchesEval runs wire expressions as SQL over real task rows
// and compares the ids with policy/wire's evaluation of the same rows.
func TestIAMSQLMatchesEval(t *testing.T) {
	st := pgtest.NewStore(t)
	ctx := context.Background()
	db := st.Pool()
	_, err := db.Exec(ctx, `INSERT INTO spaces (id, name, app_code, platform_url) VALUES (1, 's1', 'a', 'http://x'), (2, 's2', 'a', 'http://x')`)
	require.NoError(t, err)
	type row struct {
		id, space int64
		template  *int64
		creator   string
		scope     *string
	}
	five, six, prod := int64(5), int64(6), "prod"
	rows := []row{{1, 1, &five, "alice", &prod}, {2, 1, nil, "bob", nil}, {3, 1, &six, "carol", nil},
		{4, 2, &five, "alice", &prod}, {5, 2, nil, "a_b", nil}, {15, 1, &five, "bob%", nil}}
	for _, r := range rows {
		_, err := db.Exec(ctx, `INSERT INTO tasks (id, space_id, template_id, instance_id, name, creator, scope_type, task_queue)
			VALUES ($1, $2, $3, 'i', 'n', $4, $5, 'q')`, r.id, r.space, r.template, r.creator, r.scope)
		require.NoError(t, err)
	}
	objects := func(r row) wire.ObjectSet {
		paths := []any{fmt.Sprintf("/space,%d/", r.space)}
		if r.template != nil {
			paths = append(paths, fmt.Sprintf("/space,%d/template,%d/", r.space, *r.template))
		}
		o := map[string]any{"id": fmt.Sprint(r.id), "_bk_iam_path_": paths, "creator": r.creator, "name": "n"}
		if r.scope != nil {
			o["scope_type"] = *r.scope
		}
		return wire.ObjectSet{"task": o}
	}
	exprs := []string{
		`{"op":"any","field":"","value":[]}`, `{}`,
		`{"op":"starts_with","field":"task._bk_iam_path_","value":"/space,1/"}`,
		`{"op":"starts_with","field":"task._bk_iam_path_","value":"/space,1/template,5/"}`,
		`{"op":"starts_with","field":"task._bk_iam_path_","value":"/space,1/template,*/"}`,
		`{"op":"starts_with","field":"task._bk_iam_path_","value":"/space,1"}`,
		`{"op":"not_starts_with","field":"task._bk_iam_path_","value":"/space,1/template,5/"}`,
		`{"op":"eq","field":"task._bk_iam_path_","value":"/space,2/"}`,
		`{"op":"not_eq","field":"task._bk_iam_path_","value":"/space,2/"}`,
		`{"op":"contains","field":"task._bk_iam_path_","value":"/space,1/template,6/"}`,
		`{"op":"not_contains","field":"task._bk_iam_path_","value":"/space,1/"}`,
		`{"op":"ends_with","field":"task._bk_iam_path_","value":"template,5/"}`,
		`{"op":"string_contains","field":"task._bk_iam_path_","value":"template"}`,
		`{"op":"eq","field":"task.id","value":"3"}`, `{"op":"eq","field":"task.id","value":3}`,
		`{"op":"in","field":"task.id","value":["1","4","x"]}`, `{"op":"not_in","field":"task.id","value":["1"]}`,
		`{"op":"not_eq","field":"task.id","value":"1"}`, `{"op":"gt","field":"task.id","value":"2"}`,
		`{"op":"eq","field":"task.creator","value":"alice"}`, `{"op":"not_eq","field":"task.creator","value":"alice"}`,
		`{"op":"starts_with","field":"task.creator","value":"a_"}`, `{"op":"string_contains","field":"task.creator","value":"%"}`,
		`{"op":"eq","field":"task.scope_type","value":"prod"}`, `{"op":"not_eq","field":"task.scope_type","value":"prod"}`,
		`{"op":"not_in","field":"task.scope_type","value":["prod"]}`, `{"op":"not_starts_with","field":"task.scope_type","value":"p"}`,
		`{"op":"eq","field":"task.owner","value":"x"}`, `{"op":"not_eq","field":"task.owner","value":"x"}`,
		`{"op":"eq","field":"template.id","value":"5"}`, `{"op":"not_in","field":"template.id","value":["5"]}`,
		`{"op":"eq","field":"task.id","value":["3"]}`, `{"op":"in","field":"task.id","value":"3"}`,
		`{"op":"lt","field":"task.creator","value":"b"}`, `{"op":"contains","field":"task.creator","value":"a"}`,
		`{"op":"AND","content":[{"op":"eq","field":"task.id","value":"1"},{"op":"starts_with","field":"task._bk_iam_path_","value":"/space,1/"}]}`,
		`{"op":"OR","content":[{"op":"in","field":"task.id","value":["4"]},{"op":"starts_with","field":"task._bk_iam_path_","value":"/space,1/template,6/"}]}`,
		`{"op":"AND","content":[]}`, `{"op":"OR","content":[]}`,
	}
	for _, x := range exprs {
		var e wire.Expr
		require.NoError(t, e.UnmarshalJSON([]byte(x)))
		var want []int64
		for _, r := range rows {
			if e.Eval(objects(r)) {
				want = append(want, r.id)
			}
		}
		cond := taskTable.whereOf(e)
		sql, args := renderForTest(cond.SQL, cond.Args)
		got := []int64{}
		q, err := db.Query(ctx, `SELECT id FROM tasks WHERE `+sql+` ORDER BY id`, args...)
		require.NoError(t, err, "%s: %s", x, sql)
		for q.Next() {
			var id int64
			require.NoError(t, q.Scan(&id))
			got = append(got, id)
		}
		require.NoError(t, q.Err())
		if want == nil {
			want = []int64{}
		}
		slices.Sort(want)
		require.Equal(t, want, got, "%s\nSQL: %s %v", x, sql, args)
	}
}

func renderForTest(sql string, args []any) (string, []any) {
	out := ""
	i := 0
	for _, r := range sql {
		if r == '?' {
			i++
			out += fmt.Sprintf("$%d", i)
			continue
		}
		out += string(r)
	}
	return out, args
}

func TestIAMSQLShape(t *testing.T) {
	var e wire.Expr
	require.NoError(t, e.UnmarshalJSON([]byte(`{"op":"OR","content":[{"op":"in","field":"task.id","value":["1","2"]},{"op":"starts_with","field":"task._bk_iam_path_","value":"/space,1/template,*/"}]}`)))
	c := taskTable.whereOf(e)
	require.Equal(t, `(tasks.id = ANY(?) OR tasks.iam_path LIKE ?)`, c.SQL)
	require.Equal(t, []any{[]int64{1, 2}, `/space,1/template,%`}, c.Args)
}
