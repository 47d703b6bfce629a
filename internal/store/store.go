// Package store is bkflow's PostgreSQL access: a connection pool, the queries
// for each table (one file per table, methods named EntityVerb), transactions
// and migrations. Driver errors are translated into ErrNotFound/ErrConflict
// here, so nothing above this package knows pgx.
package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DBTX is what queries run on: the pool or a transaction.
type DBTX interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// Queries runs bkflow's queries on a DBTX.
type Queries struct {
	db DBTX
}

// Store owns the connection pool. Its embedded Queries run outside any
// transaction; InTx runs a function inside one.
type Store struct {
	*Queries
	pool *pgxpool.Pool
}

// Open creates a pool for url without connecting; the first query (or Ping)
// connects.
func Open(ctx context.Context, url string, maxConns int32) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open pool: %w", err)
	}
	return &Store{Queries: &Queries{db: pool}, pool: pool}, nil
}

// Pool exposes the pool for health checks and migrations.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Ping checks that PostgreSQL answers.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// Close releases every connection.
func (s *Store) Close() { s.pool.Close() }

// InTx runs fn in a transaction, committing when fn returns nil and rolling
// back otherwise. fn's error is returned unchanged.
func (s *Store) InTx(ctx context.Context, fn func(q *Queries) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", interpretError(err))
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	if err := fn(&Queries{db: tx}); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", interpretError(err))
	}
	return nil
}

// escapeLike escapes LIKE's wildcards in s (PostgreSQL's default escape
// character is the backslash), so user text matches literally.
func escapeLike(s string) string {
	return likeEscaper.Replace(s)
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
