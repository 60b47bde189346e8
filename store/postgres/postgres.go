// Package postgres opens crewid's store on PostgreSQL through pgx. Several
// crewid processes may share one database; they behave as one service.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"crewid/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Flavor is PostgreSQL's dialect for sqlstore.
var Flavor = sqlstore.Flavor{
	Name:         "postgres",
	Numbered:     true,
	NextEventID:  "nextval(pg_get_serial_sequence('events', 'id'))",
	WritableWith: true,
	UniqueViolation: func(err error) (string, bool) {
		if e := pgError(err); e != nil && e.Code == "23505" {
			return e.ConstraintName, true
		}
		return "", false
	},
	ForeignKeyViolation: func(err error) bool {
		e := pgError(err)
		return e != nil && e.Code == "23503"
	},
	Retryable: func(err error) bool {
		e := pgError(err)
		return e != nil && (e.Code == "40001" || e.Code == "40P01")
	},
	// Migrations run one process at a time; the number is arbitrary but fixed.
	LockMigrations:  `SELECT pg_advisory_xact_lock(7243019861)`,
	LockSigningKeys: `LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE`,
	LockRevocations: `LOCK TABLE token_revocations IN SHARE ROW EXCLUSIVE MODE`,
}

func pgError(err error) *pgconn.PgError {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// Open connects to the database at url (postgres://…).
func Open(ctx context.Context, url string) (*sqlstore.DB, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(20)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	return sqlstore.New(db, db, Flavor, sub), nil
}

var _ = stdlib.GetDefaultDriver // registers the "pgx" database/sql driver
