// Package sqlstore implements store.Store over database/sql. One
// implementation serves SQLite and PostgreSQL; a Flavor carries what differs
// (placeholders, error codes, migration locking), and the store/sqlite and
// store/postgres packages open connections and supply their migrations.
//
// Queries are written with '?' placeholders and rebound for the flavor.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"crewid"
	"crewid/store"
)

// Flavor is what differs between SQL databases.
type Flavor struct {
	Name string
	// Numbered placeholders ($1, $2 …) instead of '?'.
	Numbered bool
	// UniqueViolation returns the violated index or constraint: its name
	// (PostgreSQL) or "table.col, table.col" (SQLite).
	UniqueViolation func(err error) (string, bool)
	// ForeignKeyViolation reports a reference to a missing row, or a delete
	// of a row still referenced.
	ForeignKeyViolation func(err error) bool
	// Retryable reports a transient failure (serialization, deadlock, busy)
	// after which the whole transaction may be run again.
	Retryable func(err error) bool
	// LockMigrations is run first in the migration transaction so that
	// several processes starting at once migrate one at a time.
	LockMigrations string
	// LockSigningKeys locks the signing_keys table against inserts for the
	// rest of a transaction; empty where transactions already run one at a
	// time (SQLite's single writer).
	LockSigningKeys string
	// LockRevocations does the same for token_revocations, so that their
	// ids commit in increasing order (pollers resume from the last id).
	LockRevocations string
	// CacheStatements keeps the read pool's statements prepared, keyed by
	// their text: SQLite otherwise parses every query anew, which costs a
	// fifth of a list request. (pgx caches PostgreSQL's statements itself.)
	CacheStatements bool
	// SteerPlanner: the planner has no statistics (SQLite), so queries
	// steer it away from a poor index with a unary + on a column.
	SteerPlanner bool
	// NextEventID is an SQL expression for the id the next history event
	// gets. It is evaluated under the tenant's chain lock, so a tenant's
	// event ids rise in commit order.
	NextEventID string
	// WritableWith: INSERT and UPDATE may stand in a WITH clause
	// (PostgreSQL), so appending an event writes it, the chain head and the
	// webhook deliveries in one statement.
	WritableWith bool
}

// DB is the store. Reads go to the read pool; every transaction goes to the
// write pool (a single connection on SQLite).
type DB struct {
	// conn over the read pool gives DB every read method of store.Reader.
	conn
	reader     *sql.DB
	writer     *sql.DB
	flavor     Flavor
	migrations fs.FS

	rebindMu sync.RWMutex
	rebound  map[string]string

	stmtMu sync.RWMutex
	stmts  map[string]*sql.Stmt
}

// maxCachedStatements bounds the statement cache; list queries are built
// from their filters, so their texts vary, but within a small set.
const maxCachedStatements = 2000

var _ store.Store = (*DB)(nil)

// New makes a store over the given pools. migrations holds NNNN_name.sql files.
func New(reader, writer *sql.DB, flavor Flavor, migrations fs.FS) *DB {
	db := &DB{reader: reader, writer: writer, flavor: flavor, migrations: migrations, rebound: map[string]string{},
		stmts: map[string]*sql.Stmt{}}
	db.conn = conn{db: db, q: reader}
	return db
}

// Close closes both pools.
func (db *DB) Close() error {
	db.stmtMu.Lock()
	for _, st := range db.stmts {
		_ = st.Close()
	}
	db.stmts = map[string]*sql.Stmt{}
	db.stmtMu.Unlock()
	err := db.reader.Close()
	if db.writer != db.reader {
		err = errors.Join(err, db.writer.Close())
	}
	return err
}

// Flavor returns the flavor the store was made with.
func (db *DB) Flavor() Flavor { return db.flavor }

// SQL returns the write pool, for tools and tests that must reach the
// tables directly (a test that tampers with history, for one). The store's
// own methods never need it; on SQLite it is the single write connection,
// so do not hold it across a call to Update.
func (db *DB) SQL() *sql.DB { return db.writer }

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn runs queries for one reader or transaction.
type conn struct {
	db *DB
	q  querier
}

// rebind turns '?' placeholders into the flavor's own, caching the result.
func (db *DB) rebind(query string) string {
	if !db.flavor.Numbered {
		return query
	}
	db.rebindMu.RLock()
	out, ok := db.rebound[query]
	db.rebindMu.RUnlock()
	if ok {
		return out
	}
	var b strings.Builder
	n := 0
	inString := false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			inString = !inString
			b.WriteByte(c)
		case c == '?' && !inString:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	out = b.String()
	db.rebindMu.Lock()
	if len(db.rebound) < 10000 { // dynamic list queries vary; keep the cache bounded
		db.rebound[query] = out
	}
	db.rebindMu.Unlock()
	return out
}

// cachedStmt returns the prepared statement of query when the flavor caches
// statements and q is the read pool; nil otherwise, or when preparing
// failed (the caller then runs the query plainly and reports its error).
func (db *DB) cachedStmt(ctx context.Context, q querier, query string) *sql.Stmt {
	if !db.flavor.CacheStatements {
		return nil
	}
	if r, ok := q.(*sql.DB); !ok || r != db.reader {
		return nil
	}
	db.stmtMu.RLock()
	st := db.stmts[query]
	db.stmtMu.RUnlock()
	if st != nil {
		return st
	}
	st, err := db.reader.PrepareContext(ctx, db.rebind(query))
	if err != nil {
		return nil
	}
	db.stmtMu.Lock()
	defer db.stmtMu.Unlock()
	if have := db.stmts[query]; have != nil {
		_ = st.Close()
		return have
	}
	if len(db.stmts) >= maxCachedStatements {
		// Full: the caller runs this query unprepared.
		_ = st.Close()
		return nil
	}
	db.stmts[query] = st
	return st
}

func (c conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := checkText(args); err != nil {
		return nil, err
	}
	return c.q.ExecContext(ctx, c.db.rebind(query), args...)
}

func (c conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := checkText(args); err != nil {
		return nil, err
	}
	if st := c.db.cachedStmt(ctx, c.q, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return c.q.QueryContext(ctx, c.db.rebind(query), args...)
}

func (c conn) queryRow(ctx context.Context, query string, args ...any) row {
	if err := checkText(args); err != nil {
		return row{err: err}
	}
	if st := c.db.cachedStmt(ctx, c.q, query); st != nil {
		return row{Row: st.QueryRowContext(ctx, args...)}
	}
	return row{Row: c.q.QueryRowContext(ctx, c.db.rebind(query), args...)}
}

// row is a *sql.Row, or the error that kept its statement from running.
type row struct {
	*sql.Row
	err error
}

func (r row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	return r.Row.Scan(dest...)
}

func (r row) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.Row.Err()
}

// ErrUnstorableText refuses text that contains the NUL character or is not
// valid UTF-8. PostgreSQL cannot hold such text, so the store refuses it on
// every backend, before the statement runs, and a lookup by such a value
// is refused the same way rather than failing inside the database.
var ErrUnstorableText = crewid.Errorf(crewid.Invalid, "Text may not contain the NUL character or invalid UTF-8.")

// checkText returns ErrUnstorableText when a text argument is one no
// backend may store.
func checkText(args []any) error {
	for _, a := range args {
		var s string
		switch v := a.(type) {
		case string:
			s = v
		case sql.NullString:
			s = v.String
		case nil, int, int64, bool, time.Time, []byte:
			continue
		default:
			rv := reflect.ValueOf(a)
			if rv.Kind() == reflect.Pointer && !rv.IsNil() {
				rv = rv.Elem()
			}
			if rv.Kind() != reflect.String {
				continue
			}
			s = rv.String()
		}
		if strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) {
			return ErrUnstorableText
		}
	}
	return nil
}

// tx is one read-write transaction; it implements store.Tx.
type tx struct {
	conn
	// queued counts the webhook deliveries queued in the transaction.
	queued int
}

var _ store.Tx = (*tx)(nil)

// Update runs fn in one transaction, again (up to a few times) when the
// database reports a transient conflict.
func (db *DB) Update(ctx context.Context, fn func(store.Tx) error) error {
	const attempts = 8
	var err error
	for attempt := 0; attempt < attempts; attempt++ {
		err = db.updateOnce(ctx, fn)
		if err == nil || !db.retryable(err) {
			return err
		}
		wait := time.Duration(1+rand.IntN(5<<attempt)) * time.Millisecond
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
	return err
}

func (db *DB) retryable(err error) bool {
	return db.flavor.Retryable != nil && db.flavor.Retryable(err)
}

func (db *DB) updateOnce(ctx context.Context, fn func(store.Tx) error) (err error) {
	sqlTx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = sqlTx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = sqlTx.Rollback()
		}
	}()
	if err = fn(&tx{conn: conn{db: db, q: sqlTx}}); err != nil {
		return err
	}
	if err = sqlTx.Commit(); err != nil {
		return db.translate(fmt.Errorf("commit: %w", err))
	}
	return nil
}
