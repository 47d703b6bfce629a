package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Credential is a space credential. Content is the sealed JSON object of
// its fields (secrets.Sealer); the store never sees it in clear.
type Credential struct {
	ID         int64     `db:"id"`
	SpaceID    int64     `db:"space_id"`
	Name       string    `db:"name"`
	Desc       *string   `db:"desc"`
	Type       string    `db:"type"`
	ScopeLevel string    `db:"scope_level"`
	Content    string    `db:"content"`
	Creator    string    `db:"creator"`
	UpdatedBy  string    `db:"updated_by"`
	CreateAt   time.Time `db:"create_at"`
	UpdateAt   time.Time `db:"update_at"`
	// Scopes are where a credential with scope level "part" may be used.
	Scopes []CredentialScope `db:"-"`
}

// CredentialScope is one (scope_type, scope_value) a credential may be used
// in; either part may be null.
type CredentialScope struct {
	ScopeType  *string `db:"scope_type" json:"scope_type"`
	ScopeValue *string `db:"scope_value" json:"scope_value"`
}

const credentialColumns = `id, space_id, name, "desc", type, scope_level, content, creator, updated_by, create_at, update_at`

// CredentialCreateParams are the fields of a new credential.
type CredentialCreateParams struct {
	SpaceID    int64
	Name       string
	Desc       *string
	Type       string
	ScopeLevel string
	// Content is the sealed content.
	Content string
	Scopes  []CredentialScope
	Creator string
	Now     time.Time
}

// CredentialCreate inserts a credential and its scopes; ErrConflict
// (credentials_space_id_name_key) when the name is taken in the space. Run
// it in a transaction so the scopes are written with it.
func (q *Queries) CredentialCreate(ctx context.Context, p CredentialCreateParams) (Credential, error) {
	c, err := credentialOne(q.db.Query(ctx, `INSERT INTO credentials (space_id, name, "desc", type, scope_level, content,
		creator, updated_by, create_at, update_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $8)
		RETURNING `+credentialColumns,
		p.SpaceID, p.Name, p.Desc, p.Type, p.ScopeLevel, p.Content, truncate(p.Creator, 32), p.Now))
	if err != nil {
		return Credential{}, err
	}
	if err := q.CredentialScopesSet(ctx, c.ID, p.Scopes); err != nil {
		return Credential{}, err
	}
	c.Scopes = scopesOrEmpty(p.Scopes)
	return c, nil
}

// CredentialGet returns credential id of space with its scopes, or
// ErrNotFound.
func (q *Queries) CredentialGet(ctx context.Context, spaceID, id int64) (Credential, error) {
	c, err := credentialOne(q.db.Query(ctx, `SELECT `+credentialColumns+` FROM credentials WHERE id = $1 AND space_id = $2`,
		id, spaceID))
	if err != nil {
		return Credential{}, err
	}
	scopes, err := q.credentialScopes(ctx, []int64{c.ID})
	if err != nil {
		return Credential{}, err
	}
	c.Scopes = scopesOrEmpty(scopes[c.ID])
	return c, nil
}

// CredentialNameTaken reports whether a credential of space other than
// exceptID (0 for none) is named name.
func (q *Queries) CredentialNameTaken(ctx context.Context, spaceID int64, name string, exceptID int64) (bool, error) {
	var taken bool
	err := q.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM credentials WHERE space_id = $1 AND name = $2 AND id <> $3)`,
		spaceID, name, exceptID).Scan(&taken)
	return taken, interpretError(err)
}

// CredentialUpdateParams change a credential; nil fields are left as they
// are.
type CredentialUpdateParams struct {
	SpaceID int64
	ID      int64
	Name    *string
	// DescSet writes Desc (which may be nil: NULL).
	DescSet    bool
	Desc       *string
	Type       *string
	ScopeLevel *string
	// Content is the new sealed content.
	Content *string
	// Scopes, when not nil, replace the credential's scopes.
	Scopes    []CredentialScope
	UpdatedBy string
	Now       time.Time
}

// CredentialUpdate changes credential id of space and returns it with its
// scopes; ErrNotFound when there is none, ErrConflict when the new name is
// taken. Run it in a transaction so the scopes are written with it.
func (q *Queries) CredentialUpdate(ctx context.Context, p CredentialUpdateParams) (Credential, error) {
	set := `updated_by = $3, update_at = $4`
	args := []any{p.ID, p.SpaceID, truncate(p.UpdatedBy, 32), p.Now}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if p.Name != nil {
		set += `, name = ` + arg(*p.Name)
	}
	if p.DescSet {
		set += `, "desc" = ` + arg(p.Desc)
	}
	if p.Type != nil {
		set += `, type = ` + arg(*p.Type)
	}
	if p.ScopeLevel != nil {
		set += `, scope_level = ` + arg(*p.ScopeLevel)
	}
	if p.Content != nil {
		set += `, content = ` + arg(*p.Content)
	}
	c, err := credentialOne(q.db.Query(ctx, `UPDATE credentials SET `+set+` WHERE id = $1 AND space_id = $2
		RETURNING `+credentialColumns, args...))
	if err != nil {
		return Credential{}, err
	}
	if p.Scopes != nil {
		if err := q.CredentialScopesSet(ctx, c.ID, p.Scopes); err != nil {
			return Credential{}, err
		}
	}
	scopes, err := q.credentialScopes(ctx, []int64{c.ID})
	if err != nil {
		return Credential{}, err
	}
	c.Scopes = scopesOrEmpty(scopes[c.ID])
	return c, nil
}

// CredentialScopesSet replaces the scopes of credential id.
func (q *Queries) CredentialScopesSet(ctx context.Context, id int64, scopes []CredentialScope) error {
	if _, err := q.db.Exec(ctx, `DELETE FROM credential_scopes WHERE credential_id = $1`, id); err != nil {
		return interpretError(err)
	}
	if len(scopes) == 0 {
		return nil
	}
	types := make([]*string, len(scopes))
	values := make([]*string, len(scopes))
	for i, s := range scopes {
		types[i], values[i] = s.ScopeType, s.ScopeValue
	}
	_, err := q.db.Exec(ctx, `INSERT INTO credential_scopes (credential_id, scope_type, scope_value)
		SELECT $1, t, v FROM unnest($2::text[], $3::text[]) AS s(t, v)`, id, types, values)
	return interpretError(err)
}

// CredentialDelete deletes credential id of space and its scopes, for good;
// ErrNotFound when there is none.
func (q *Queries) CredentialDelete(ctx context.Context, spaceID, id int64) error {
	return affected(q.db.Exec(ctx, `DELETE FROM credentials WHERE id = $1 AND space_id = $2`, id, spaceID))
}

// CredentialListParams filter and page get_credential_list; empty strings
// do not filter.
type CredentialListParams struct {
	SpaceID int64
	// Name keeps credentials whose name contains it, case-insensitively.
	Name string
	// Type keeps credentials of exactly this type.
	Type          string
	Offset, Limit int
}

// CredentialList returns one page of a space's credentials with their
// scopes, ordered by id, and how many match in all.
func (q *Queries) CredentialList(ctx context.Context, p CredentialListParams) ([]Credential, int, error) {
	const cond = `space_id = $1 AND ($2 = '' OR name ILIKE '%' || $2 || '%') AND ($3 = '' OR type = $3)`
	args := []any{p.SpaceID, escapeLike(p.Name), p.Type}
	list, count, err := listPage[Credential](ctx, q, listQuery{Columns: credentialColumns, From: "credentials",
		Where: cond, Order: "id", Args: args, Limit: p.Limit, Offset: p.Offset})
	if err != nil || len(list) == 0 {
		return list, count, err
	}
	ids := make([]int64, len(list))
	for i, c := range list {
		ids[i] = c.ID
	}
	scopes, err := q.credentialScopes(ctx, ids)
	if err != nil {
		return nil, 0, err
	}
	for i := range list {
		list[i].Scopes = scopesOrEmpty(scopes[list[i].ID])
	}
	return list, count, nil
}

// credentialScopes returns the scopes of each credential, ordered by type
// then value.
func (q *Queries) credentialScopes(ctx context.Context, ids []int64) (map[int64][]CredentialScope, error) {
	rows, err := q.db.Query(ctx, `SELECT credential_id, scope_type, scope_value FROM credential_scopes
		WHERE credential_id = ANY($1) ORDER BY credential_id, scope_type NULLS FIRST, scope_value NULLS FIRST`, ids)
	if err != nil {
		return nil, interpretError(err)
	}
	type owned struct {
		CredentialID int64 `db:"credential_id"`
		CredentialScope
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByName[owned])
	if err != nil {
		return nil, interpretError(err)
	}
	out := map[int64][]CredentialScope{}
	for _, o := range list {
		out[o.CredentialID] = append(out[o.CredentialID], o.CredentialScope)
	}
	return out, nil
}

func scopesOrEmpty(s []CredentialScope) []CredentialScope {
	if s == nil {
		return []CredentialScope{}
	}
	return s
}

func credentialOne(rows pgx.Rows, err error) (Credential, error) {
	if err != nil {
		return Credential{}, interpretError(err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Credential])
	return c, interpretError(err)
}
