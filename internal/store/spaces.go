package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Space is a tenant: every template, task and config belongs to one.
type Space struct {
	ID          int64     `db:"id"`
	Name        string    `db:"name"`
	AppCode     string    `db:"app_code"`
	Desc        *string   `db:"desc"`
	PlatformURL string    `db:"platform_url"`
	CreateType  string    `db:"create_type"`
	Creator     string    `db:"creator"`
	UpdatedBy   string    `db:"updated_by"`
	CreatedAt   time.Time `db:"created_at"`
	UpdatedAt   time.Time `db:"updated_at"`
	IsDeleted   bool      `db:"is_deleted"`
}

const spaceColumns = `id, name, app_code, "desc", platform_url, create_type, creator, updated_by,
	created_at, updated_at, is_deleted`

// SpaceCreateParams are the fields of a new space.
type SpaceCreateParams struct {
	Name        string
	AppCode     string
	Desc        *string
	PlatformURL string
	CreateType  string
	Creator     string
}

// SpaceCreate inserts a space; ErrConflict (constraint spaces_name_key) when
// the name is taken.
func (q *Queries) SpaceCreate(ctx context.Context, p SpaceCreateParams) (Space, error) {
	return spaceOne(q.db.Query(ctx,
		`INSERT INTO spaces (name, app_code, "desc", platform_url, create_type, creator, updated_by)
		 VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING `+spaceColumns,
		p.Name, p.AppCode, p.Desc, p.PlatformURL, p.CreateType, p.Creator))
}

// SpaceGet returns the space with id (deleted or not), or ErrNotFound.
func (q *Queries) SpaceGet(ctx context.Context, id int64) (Space, error) {
	return spaceOne(q.db.Query(ctx, `SELECT `+spaceColumns+` FROM spaces WHERE id = $1`, id))
}

// SpaceLockApp takes a transaction-scoped lock on appCode's spaces, so that
// counting them and creating one is atomic against concurrent creations.
func (q *Queries) SpaceLockApp(ctx context.Context, appCode string) error {
	_, err := q.db.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('bkflow.spaces.' || $1, 0))`, appCode)
	return interpretError(err)
}

// SpaceCountByApp counts the live spaces owned by appCode.
func (q *Queries) SpaceCountByApp(ctx context.Context, appCode string) (int, error) {
	var n int
	err := q.db.QueryRow(ctx,
		`SELECT count(*) FROM spaces WHERE app_code = $1 AND NOT is_deleted`, appCode).Scan(&n)
	return n, interpretError(err)
}

// SpaceNameExists reports whether any space (deleted ones included, as the
// unique index covers them) has name.
func (q *Queries) SpaceNameExists(ctx context.Context, name string) (bool, error) {
	var ok bool
	err := q.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM spaces WHERE name = $1)`, name).Scan(&ok)
	return ok, interpretError(err)
}

func spaceOne(rows pgx.Rows, err error) (Space, error) {
	if err != nil {
		return Space{}, interpretError(err)
	}
	s, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Space])
	return s, interpretError(err)
}
