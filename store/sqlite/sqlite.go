// Package sqlite opens crewid's store on an embedded SQLite database
// (modernc.org/sqlite, pure Go). Writes go through one connection that
// begins transactions with BEGIN IMMEDIATE, so concurrent requests queue for
// it instead of failing with "database is locked"; reads use a pool.
package sqlite

import (
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"crewid/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Flavor is SQLite's dialect for sqlstore.
var Flavor = sqlstore.Flavor{
	Name:            "sqlite",
	CacheStatements: true,
	SteerPlanner:    true,
	// AUTOINCREMENT keeps the highest id ever given in sqlite_sequence,
	// so an id is never reused, even once its event has been pruned.
	NextEventID:         "COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0) + 1",
	UniqueViolation:     uniqueViolation,
	ForeignKeyViolation: func(err error) bool { return code(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY },
	Retryable: func(err error) bool {
		c := code(err) & 0xff // primary result code
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	},
}

func code(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

// uniqueViolation returns the columns SQLite names in a UNIQUE failure,
// e.g. "people.login_norm".
func uniqueViolation(err error) (string, bool) {
	c := code(err)
	if c != sqlite3.SQLITE_CONSTRAINT_UNIQUE && c != sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY {
		return "", false
	}
	msg := err.Error()
	const marker = "constraint failed: "
	i := strings.LastIndex(msg, marker)
	if i < 0 {
		return "", true
	}
	cols := msg[i+len(marker):]
	if j := strings.Index(cols, " ("); j >= 0 {
		cols = cols[:j]
	}
	return strings.TrimSpace(cols), true
}

// Open opens (creating if needed) the database file at path.
func Open(path string) (*sqlstore.DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("sqlite: create %s: %w", dir, err)
		}
	}
	// busy_timeout comes first so that the pragmas after it wait for other
	// processes instead of failing.
	pragmas := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(1)",
		// Statement journals (INSERT … SELECT, multi-row UPDATE) and
		// temporary sorts stay in memory instead of temporary files.
		"temp_store(MEMORY)"} {
		pragmas.Add("_pragma", p)
	}
	base := "file:" + path + "?" + pragmas.Encode()

	writer, err := sql.Open("sqlite", base+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)

	reader, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	n := max(4, runtime.GOMAXPROCS(0)*2)
	reader.SetMaxOpenConns(n)
	reader.SetMaxIdleConns(n)
	reader.SetConnMaxIdleTime(0)

	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	return sqlstore.New(reader, writer, Flavor, sub), nil
}
