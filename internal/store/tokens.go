package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Token is a stored canvas token (without the token itself).
type Token struct {
	ID             int64     `db:"id"`
	SpaceID        int64     `db:"space_id"`
	Username       string    `db:"username"`
	ResourceType   string    `db:"resource_type"`
	ResourceID     string    `db:"resource_id"`
	PermissionType string    `db:"permission_type"`
	TokenSealed    *string   `db:"token_sealed"`
	ExpiredAt      time.Time `db:"expired_at"`
}

const tokenColumns = `id, space_id, username, resource_type, resource_id, permission_type, token_sealed, expired_at`

// TokenCreateParams are a new token's fields.
type TokenCreateParams struct {
	Token
	Hash []byte
}

// TokenCreate stores a token.
func (q *Queries) TokenCreate(ctx context.Context, p TokenCreateParams) (Token, error) {
	rows, err := q.db.Query(ctx, `INSERT INTO tokens (space_id, username, resource_type, resource_id, permission_type,
		token_hash, token_sealed, expired_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING `+tokenColumns,
		p.SpaceID, p.Username, p.ResourceType, p.ResourceID, p.PermissionType, p.Hash, p.TokenSealed, p.ExpiredAt)
	return tokenOne(rows, err)
}

// TokenReusable returns the latest-expiring token of the same space, user,
// resource and permission still valid at now, or ErrNotFound.
func (q *Queries) TokenReusable(ctx context.Context, t Token, now time.Time) (Token, error) {
	rows, err := q.db.Query(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE space_id = $1 AND username = $2
		AND resource_type = $3 AND resource_id = $4 AND permission_type = $5 AND expired_at > $6
		AND token_sealed IS NOT NULL ORDER BY expired_at DESC LIMIT 1`,
		t.SpaceID, t.Username, t.ResourceType, t.ResourceID, t.PermissionType, now)
	return tokenOne(rows, err)
}

// TokenByHash returns the token whose hash is hash, or ErrNotFound.
func (q *Queries) TokenByHash(ctx context.Context, hash []byte) (Token, error) {
	rows, err := q.db.Query(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE token_hash = $1`, hash)
	return tokenOne(rows, err)
}

// TokenSetExpiry moves token id's expiry.
func (q *Queries) TokenSetExpiry(ctx context.Context, id int64, at time.Time) error {
	tag, err := q.db.Exec(ctx, `UPDATE tokens SET expired_at = $2 WHERE id = $1`, id, at)
	return affected(tag, err)
}

// TokenRevokeFilter selects a space's tokens to revoke; empty fields match
// every token.
type TokenRevokeFilter struct {
	SpaceID        int64
	Hash           []byte
	Username       string
	ResourceType   string
	ResourceID     string
	PermissionType string
}

// TokenRevoke expires the matching unexpired tokens at now and returns how
// many.
func (q *Queries) TokenRevoke(ctx context.Context, f TokenRevokeFilter, now time.Time) (int64, error) {
	where := []string{"space_id = $1", "expired_at > $2"}
	args := []any{f.SpaceID, now}
	add := func(col string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf("%s = $%d", col, len(args)))
	}
	if f.Hash != nil {
		add("token_hash", f.Hash)
	}
	for _, c := range []struct{ col, v string }{{"username", f.Username}, {"resource_type", f.ResourceType},
		{"resource_id", f.ResourceID}, {"permission_type", f.PermissionType}} {
		if c.v != "" {
			add(c.col, c.v)
		}
	}
	tag, err := q.db.Exec(ctx, `UPDATE tokens SET expired_at = $2 WHERE `+strings.Join(where, " AND "), args...)
	if err != nil {
		return 0, interpretError(err)
	}
	return tag.RowsAffected(), nil
}

func tokenOne(rows pgx.Rows, err error) (Token, error) {
	if err != nil {
		return Token{}, interpretError(err)
	}
	t, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Token])
	return t, interpretError(err)
}
