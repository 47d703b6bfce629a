package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// IAMPolicy is a stored IAM policy row.
type IAMPolicy struct {
	ID          int64  `db:"id"`
	SystemID    string `db:"system_id"`
	ActionID    string `db:"action_id"`
	SubjectType string `db:"subject_type"`
	SubjectID   string `db:"subject_id"`
	Expression  string `db:"expression"`
	ExpiredAt   int64  `db:"expired_at"`
}

// IAMMember is a user's membership of a group until ExpiredAt (unix s).
type IAMMember struct {
	GroupID   string `db:"group_id"`
	UserID    string `db:"user_id"`
	ExpiredAt int64  `db:"expired_at"`
}

const iamPolicyColumns = `id, system_id, action_id, subject_type, subject_id, expression, expired_at`

// IAMGeneration returns the counter that every IAM write bumps.
func (q *Queries) IAMGeneration(ctx context.Context) (int64, error) {
	var g int64
	err := q.db.QueryRow(ctx, `SELECT generation FROM iam_state WHERE id = 1`).Scan(&g)
	return g, interpretError(err)
}

// IAMBump increments the generation; every IAM write calls it in its
// transaction so that readers reload.
func (q *Queries) IAMBump(ctx context.Context) error {
	_, err := q.db.Exec(ctx, `UPDATE iam_state SET generation = generation + 1 WHERE id = 1`)
	return interpretError(err)
}

// IAMPolicies returns every policy that has not expired at now (unix s).
func (q *Queries) IAMPolicies(ctx context.Context, now int64) ([]IAMPolicy, error) {
	rows, err := q.db.Query(ctx, `SELECT `+iamPolicyColumns+` FROM iam_policies WHERE expired_at > $1 ORDER BY id`, now)
	if err != nil {
		return nil, interpretError(err)
	}
	ps, err := pgx.CollectRows(rows, pgx.RowToStructByName[IAMPolicy])
	return ps, interpretError(err)
}

// IAMMembers returns every membership that has not expired at now.
func (q *Queries) IAMMembers(ctx context.Context, now int64) ([]IAMMember, error) {
	rows, err := q.db.Query(ctx, `SELECT group_id, user_id, expired_at FROM iam_group_members WHERE expired_at > $1
		ORDER BY group_id, user_id`, now)
	if err != nil {
		return nil, interpretError(err)
	}
	ms, err := pgx.CollectRows(rows, pgx.RowToStructByName[IAMMember])
	return ms, interpretError(err)
}

// IAMPolicyGetForUpdate returns the subject's policy for the action, locked
// for the rest of the transaction, or ErrNotFound.
func (q *Queries) IAMPolicyGetForUpdate(ctx context.Context, system, action, subjectType, subjectID string) (IAMPolicy, error) {
	rows, err := q.db.Query(ctx, `SELECT `+iamPolicyColumns+` FROM iam_policies
		WHERE system_id = $1 AND action_id = $2 AND subject_type = $3 AND subject_id = $4 FOR UPDATE`,
		system, action, subjectType, subjectID)
	if err != nil {
		return IAMPolicy{}, interpretError(err)
	}
	p, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[IAMPolicy])
	return p, interpretError(err)
}

// IAMPolicyLock serialises grants to one subject and action, including the
// first one (when there is no row to lock yet).
func (q *Queries) IAMPolicyLock(ctx context.Context, system, action, subjectType, subjectID string) error {
	_, err := q.db.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`,
		system+"/"+action+"/"+subjectType+"/"+subjectID)
	return interpretError(err)
}

// IAMPolicyUpsert stores the subject's policy for the action.
func (q *Queries) IAMPolicyUpsert(ctx context.Context, p IAMPolicy) (IAMPolicy, error) {
	rows, err := q.db.Query(ctx, `INSERT INTO iam_policies (system_id, action_id, subject_type, subject_id, expression, expired_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (system_id, action_id, subject_type, subject_id)
		DO UPDATE SET expression = EXCLUDED.expression, expired_at = EXCLUDED.expired_at, updated_at = now()
		RETURNING `+iamPolicyColumns, p.SystemID, p.ActionID, p.SubjectType, p.SubjectID, p.Expression, p.ExpiredAt)
	if err != nil {
		return IAMPolicy{}, interpretError(err)
	}
	out, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[IAMPolicy])
	return out, interpretError(err)
}

// IAMPolicyDelete removes policy id.
func (q *Queries) IAMPolicyDelete(ctx context.Context, id int64) error {
	tag, err := q.db.Exec(ctx, `DELETE FROM iam_policies WHERE id = $1`, id)
	return affected(tag, err)
}

// IAMPoliciesOf lists a subject's policies in a system (every action).
func (q *Queries) IAMPoliciesOf(ctx context.Context, system, subjectType, subjectID string) ([]IAMPolicy, error) {
	rows, err := q.db.Query(ctx, `SELECT `+iamPolicyColumns+` FROM iam_policies
		WHERE system_id = $1 AND subject_type = $2 AND subject_id = $3 ORDER BY action_id`, system, subjectType, subjectID)
	if err != nil {
		return nil, interpretError(err)
	}
	ps, err := pgx.CollectRows(rows, pgx.RowToStructByName[IAMPolicy])
	return ps, interpretError(err)
}

// IAMMemberUpsert adds user to group until expiredAt (or moves the expiry).
func (q *Queries) IAMMemberUpsert(ctx context.Context, m IAMMember) error {
	_, err := q.db.Exec(ctx, `INSERT INTO iam_group_members (group_id, user_id, expired_at) VALUES ($1, $2, $3)
		ON CONFLICT (group_id, user_id) DO UPDATE SET expired_at = EXCLUDED.expired_at`, m.GroupID, m.UserID, m.ExpiredAt)
	return interpretError(err)
}

// IAMMemberDelete removes users from group and returns how many were members.
func (q *Queries) IAMMemberDelete(ctx context.Context, group string, users []string) (int64, error) {
	tag, err := q.db.Exec(ctx, `DELETE FROM iam_group_members WHERE group_id = $1 AND user_id = ANY($2)`, group, users)
	if err != nil {
		return 0, interpretError(err)
	}
	return tag.RowsAffected(), nil
}

// IAMMembersOf lists a group's memberships (expired ones included).
func (q *Queries) IAMMembersOf(ctx context.Context, group string) ([]IAMMember, error) {
	rows, err := q.db.Query(ctx, `SELECT group_id, user_id, expired_at FROM iam_group_members WHERE group_id = $1
		ORDER BY user_id`, group)
	if err != nil {
		return nil, interpretError(err)
	}
	ms, err := pgx.CollectRows(rows, pgx.RowToStructByName[IAMMember])
	return ms, interpretError(err)
}

// IAMSystemUpsert stores a registered system's model.
func (q *Queries) IAMSystemUpsert(ctx context.Context, id string, model json.RawMessage) error {
	_, err := q.db.Exec(ctx, `INSERT INTO iam_systems (id, model) VALUES ($1, $2)
		ON CONFLICT (id) DO UPDATE SET model = EXCLUDED.model, updated_at = now()`, id, model)
	return interpretError(err)
}

// IAMSystemGet returns a registered system's model, or ErrNotFound.
func (q *Queries) IAMSystemGet(ctx context.Context, id string) (json.RawMessage, error) {
	var m json.RawMessage
	err := q.db.QueryRow(ctx, `SELECT model FROM iam_systems WHERE id = $1`, id).Scan(&m)
	return m, interpretError(err)
}

// IAMSystems returns every registered system's model by id.
func (q *Queries) IAMSystems(ctx context.Context) (map[string]json.RawMessage, error) {
	rows, err := q.db.Query(ctx, `SELECT id, model FROM iam_systems`)
	if err != nil {
		return nil, interpretError(err)
	}
	defer rows.Close()
	out := map[string]json.RawMessage{}
	for rows.Next() {
		var id string
		var m json.RawMessage
		if err := rows.Scan(&id, &m); err != nil {
			return nil, fmt.Errorf("scan iam system: %w", interpretError(err))
		}
		out[id] = m
	}
	return out, interpretError(rows.Err())
}
