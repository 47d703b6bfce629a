package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Space variable types: "space" variables are provided to every task of the
// space as ${_space_<key>}; "scope" variables are stored only (BKFlow never
// injects them either).
const (
	VariableTypeSpace = "space"
	VariableTypeScope = "scope"
)

// SpaceVariable is a space variable.
type SpaceVariable struct {
	ID           int64     `db:"id"`
	SpaceID      int64     `db:"space_id"`
	Name         string    `db:"name"`
	Key          string    `db:"key"`
	VariableType string    `db:"variable_type"`
	Value        string    `db:"value"`
	Desc         *string   `db:"desc"`
	Creator      string    `db:"creator"`
	UpdatedBy    *string   `db:"updated_by"`
	CreateAt     time.Time `db:"create_at"`
	UpdateAt     time.Time `db:"update_at"`
}

const variableColumns = `id, space_id, name, key, variable_type, value, "desc", creator, updated_by, create_at, update_at`

// SpaceVariableCreateParams are the fields of a new space variable.
type SpaceVariableCreateParams struct {
	SpaceID      int64
	Name         string
	Key          string
	VariableType string
	Value        string
	Desc         *string
	Creator      string
	Now          time.Time
}

// SpaceVariableCreate inserts a variable; ErrConflict
// (space_variables_space_id_key_key) when the key is taken in the space.
func (q *Queries) SpaceVariableCreate(ctx context.Context, p SpaceVariableCreateParams) (SpaceVariable, error) {
	return variableOne(q.db.Query(ctx, `INSERT INTO space_variables (space_id, name, key, variable_type, value, "desc",
		creator, create_at, update_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING `+variableColumns,
		p.SpaceID, p.Name, p.Key, p.VariableType, p.Value, p.Desc, truncate(p.Creator, 32), p.Now))
}

// SpaceVariableGet returns variable id of space, or ErrNotFound.
func (q *Queries) SpaceVariableGet(ctx context.Context, spaceID, id int64) (SpaceVariable, error) {
	return variableOne(q.db.Query(ctx, `SELECT `+variableColumns+` FROM space_variables WHERE id = $1 AND space_id = $2`,
		id, spaceID))
}

// SpaceVariableKeyTaken reports whether a variable of space other than
// exceptID (0 for none) has key.
func (q *Queries) SpaceVariableKeyTaken(ctx context.Context, spaceID int64, key string, exceptID int64) (bool, error) {
	var taken bool
	err := q.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM space_variables WHERE space_id = $1 AND key = $2 AND id <> $3)`,
		spaceID, key, exceptID).Scan(&taken)
	return taken, interpretError(err)
}

// SpaceVariableUpdateParams change a variable; nil fields are left as they
// are.
type SpaceVariableUpdateParams struct {
	SpaceID      int64
	ID           int64
	Name         *string
	Key          *string
	VariableType *string
	Value        *string
	Desc         *string
	UpdatedBy    string
	Now          time.Time
}

// SpaceVariableUpdate changes variable id of space and returns it;
// ErrNotFound when there is none, ErrConflict when the new key is taken.
func (q *Queries) SpaceVariableUpdate(ctx context.Context, p SpaceVariableUpdateParams) (SpaceVariable, error) {
	set := `updated_by = $3, update_at = $4`
	args := []any{p.ID, p.SpaceID, truncate(p.UpdatedBy, 32), p.Now}
	add := func(col string, v *string) {
		if v != nil {
			args = append(args, *v)
			set += fmt.Sprintf(`, %s = $%d`, col, len(args))
		}
	}
	add("name", p.Name)
	add("key", p.Key)
	add("variable_type", p.VariableType)
	add("value", p.Value)
	add(`"desc"`, p.Desc)
	return variableOne(q.db.Query(ctx, `UPDATE space_variables SET `+set+` WHERE id = $1 AND space_id = $2
		RETURNING `+variableColumns, args...))
}

// SpaceVariableDelete deletes variable id of space (for good, so its key can
// be used again); ErrNotFound when there is none.
func (q *Queries) SpaceVariableDelete(ctx context.Context, spaceID, id int64) error {
	return affected(q.db.Exec(ctx, `DELETE FROM space_variables WHERE id = $1 AND space_id = $2`, id, spaceID))
}

// SpaceVariableListParams filter get_variable_list; empty strings do not
// filter.
type SpaceVariableListParams struct {
	SpaceID int64
	// Name and Key keep variables whose name (key) contains them,
	// case-insensitively.
	Name, Key string
	// VariableType keeps variables of exactly this type.
	VariableType string
}

// SpaceVariableList returns the variables of a space, ordered by id.
func (q *Queries) SpaceVariableList(ctx context.Context, p SpaceVariableListParams) ([]SpaceVariable, error) {
	rows, err := q.db.Query(ctx, `SELECT `+variableColumns+` FROM space_variables WHERE space_id = $1
		AND ($2 = '' OR name ILIKE '%' || $2 || '%')
		AND ($3 = '' OR key ILIKE '%' || $3 || '%')
		AND ($4 = '' OR variable_type = $4)
		ORDER BY id`, p.SpaceID, escapeLike(p.Name), escapeLike(p.Key), p.VariableType)
	if err != nil {
		return nil, interpretError(err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[SpaceVariable])
	return list, interpretError(err)
}

// SpaceVariablesForRun returns the space variables a task of space starts
// with: key → value of every variable of type "space" (a task renders them
// as ${_space_<key>}).
func (q *Queries) SpaceVariablesForRun(ctx context.Context, spaceID int64) (map[string]string, error) {
	rows, err := q.db.Query(ctx, `SELECT key, value FROM space_variables WHERE space_id = $1 AND variable_type = $2`,
		spaceID, VariableTypeSpace)
	if err != nil {
		return nil, interpretError(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, interpretError(err)
		}
		out[k] = v
	}
	return out, interpretError(rows.Err())
}

func variableOne(rows pgx.Rows, err error) (SpaceVariable, error) {
	if err != nil {
		return SpaceVariable{}, interpretError(err)
	}
	v, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[SpaceVariable])
	return v, interpretError(err)
}
