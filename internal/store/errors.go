package store

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

var (
	// ErrNotFound means the row asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a unique constraint refused the write.
	ErrConflict = errors.New("conflict")
)

// ConflictError names the constraint a write collided with. It matches
// ErrConflict with errors.Is.
type ConflictError struct {
	Constraint string
}

func (e *ConflictError) Error() string { return fmt.Sprintf("conflict on %s", e.Constraint) }

// Is reports whether target is ErrConflict.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// interpretError translates driver errors into the store's errors. It is the
// only place that knows pgx's error values.
func interpretError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" { // unique_violation
		return &ConflictError{Constraint: pgErr.ConstraintName}
	}
	return err
}

// affected turns an Exec's result into ErrNotFound when it touched no row,
// for writes addressed to one row by id.
func affected(tag pgconn.CommandTag, err error) error {
	if err != nil {
		return interpretError(err)
	}
	if tag.RowsAffected() == 0 {
		return ErrNotFound
	}
	return nil
}
