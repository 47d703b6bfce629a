package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// App is a registered access system.
type App struct {
	Code       string    `db:"code"`
	SecretHash string    `db:"secret_hash"`
	CreatedAt  time.Time `db:"created_at"`
	UpdatedAt  time.Time `db:"updated_at"`
}

const appColumns = `code, secret_hash, created_at, updated_at`

// AppGet returns the app with code, or ErrNotFound.
func (q *Queries) AppGet(ctx context.Context, code string) (App, error) {
	return appOne(q.db.Query(ctx, `SELECT `+appColumns+` FROM apps WHERE code = $1`, code))
}

// AppCreate inserts a new app; ErrConflict if the code is taken.
func (q *Queries) AppCreate(ctx context.Context, code, secretHash string) (App, error) {
	return appOne(q.db.Query(ctx,
		`INSERT INTO apps (code, secret_hash) VALUES ($1, $2) RETURNING `+appColumns, code, secretHash))
}

// AppUpsert creates the app or replaces its secret hash.
func (q *Queries) AppUpsert(ctx context.Context, code, secretHash string) (App, error) {
	return appOne(q.db.Query(ctx,
		`INSERT INTO apps (code, secret_hash) VALUES ($1, $2)
		 ON CONFLICT (code) DO UPDATE SET secret_hash = EXCLUDED.secret_hash, updated_at = now()
		 RETURNING `+appColumns, code, secretHash))
}

func appOne(rows pgx.Rows, err error) (App, error) {
	if err != nil {
		return App{}, interpretError(err)
	}
	a, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[App])
	return a, interpretError(err)
}
