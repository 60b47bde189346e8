package sqlstore

import (
	"context"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
)

// migration is one versioned schema file, NNNN_name.sql.
type migration struct {
	version int
	name    string
	sql     string
}

func (db *DB) loadMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(db.migrations, ".")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var out []migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		prefix, _, ok := strings.Cut(name, "_")
		version, err := strconv.Atoi(prefix)
		if !ok || err != nil || version <= 0 {
			return nil, fmt.Errorf("migration %q: name must start with a positive version and '_'", name)
		}
		body, err := fs.ReadFile(db.migrations, name)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: version, name: name, sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("migrations %q and %q share a version", out[i-1].name, out[i].name)
		}
	}
	return out, nil
}

// Migrate applies, in order and each in its own transaction, the migrations
// not yet recorded in schema_migrations.
// It returns how many it applied.
func (db *DB) Migrate(ctx context.Context) (int, error) {
	migrations, err := db.loadMigrations()
	if err != nil {
		return 0, err
	}
	if err := db.createMigrationsTable(ctx); err != nil {
		return 0, fmt.Errorf("create schema_migrations: %w", err)
	}
	applied := 0
	for _, m := range migrations {
		done, err := db.applyMigration(ctx, m)
		if err != nil {
			return applied, fmt.Errorf("migration %s: %w", m.name, err)
		}
		if done {
			applied++
		}
	}
	// Events written before the history chain existed join it now.
	return applied, db.sealHistory(ctx)
}

// createMigrationsTable makes the table that records applied migrations.
// It runs under the migration lock: two processes creating the same table
// at once would otherwise collide in PostgreSQL's catalog.
func (db *DB) createMigrationsTable(ctx context.Context) error {
	sqlTx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = sqlTx.Rollback() }()
	if db.flavor.LockMigrations != "" {
		if _, err := sqlTx.ExecContext(ctx, db.flavor.LockMigrations); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
	}
	if _, err := sqlTx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    BIGINT PRIMARY KEY,
		name       TEXT   NOT NULL,
		applied_on BIGINT NOT NULL)`); err != nil {
		return err
	}
	return sqlTx.Commit()
}

// applyMigration applies m unless the database records it already; it
// reports whether it applied it.
func (db *DB) applyMigration(ctx context.Context, m migration) (bool, error) {
	sqlTx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer func() { _ = sqlTx.Rollback() }()
	if db.flavor.LockMigrations != "" {
		if _, err := sqlTx.ExecContext(ctx, db.flavor.LockMigrations); err != nil {
			return false, fmt.Errorf("lock: %w", err)
		}
	}
	var applied int
	if err := sqlTx.QueryRowContext(ctx, db.rebind(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), m.version).Scan(&applied); err != nil {
		return false, err
	}
	if applied > 0 {
		return false, nil
	}
	if _, err := sqlTx.ExecContext(ctx, m.sql); err != nil {
		return false, err
	}
	if _, err := sqlTx.ExecContext(ctx, db.rebind(`INSERT INTO schema_migrations (version, name, applied_on) VALUES (?, ?, ?)`),
		m.version, m.name, time.Now().UnixMicro()); err != nil {
		return false, err
	}
	return true, sqlTx.Commit()
}
