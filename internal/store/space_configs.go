package store

import (
	"context"
	"encoding/json"

	"github.com/jackc/pgx/v5"
)

// SpaceConfig is one stored config key of a space.
type SpaceConfig struct {
	Name  string          `db:"name"`
	Value json.RawMessage `db:"value"`
}

// SpaceConfigUpsert stores value under name for the space, replacing any
// previous value of that key.
func (q *Queries) SpaceConfigUpsert(ctx context.Context, spaceID int64, name string, value json.RawMessage) error {
	_, err := q.db.Exec(ctx,
		`INSERT INTO space_configs (space_id, name, value) VALUES ($1, $2, $3)
		 ON CONFLICT (space_id, name) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
		spaceID, name, string(value))
	return interpretError(err)
}

// SpaceConfigList returns the stored configs of a space ordered by name.
// Keys never stored are not listed.
func (q *Queries) SpaceConfigList(ctx context.Context, spaceID int64) ([]SpaceConfig, error) {
	rows, err := q.db.Query(ctx,
		`SELECT name, value FROM space_configs WHERE space_id = $1 ORDER BY name`, spaceID)
	if err != nil {
		return nil, interpretError(err)
	}
	cs, err := pgx.CollectRows(rows, pgx.RowToStructByName[SpaceConfig])
	return cs, interpretError(err)
}

// SpaceConfigGet returns one stored config, or ErrNotFound.
func (q *Queries) SpaceConfigGet(ctx context.Context, spaceID int64, name string) (SpaceConfig, error) {
	rows, err := q.db.Query(ctx,
		`SELECT name, value FROM space_configs WHERE space_id = $1 AND name = $2`, spaceID, name)
	if err != nil {
		return SpaceConfig{}, interpretError(err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[SpaceConfig])
	return c, interpretError(err)
}
