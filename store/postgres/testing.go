package postgres

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"crewid/store/sqlstore"
)

// Environment variables read by the test helpers.
const (
	// TestURLEnv names a PostgreSQL server for tests, e.g.
	// postgres://postgres@127.0.0.1:5432/test?sslmode=disable. Tests create
	// their own scratch databases through it.
	TestURLEnv = "CREWID_TEST_POSTGRES_URL"
	// RequireEnv set to 1 turns a missing TestURLEnv from a skip into a
	// failure, so that CI cannot pass without running the PostgreSQL tests.
	RequireEnv = "CREWID_REQUIRE_POSTGRES"
)

// TestURL returns the server URL of TestURLEnv. When it is unset the test
// is skipped, or fails if RequireEnv is 1.
func TestURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(TestURLEnv)
	if u != "" {
		return u
	}
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("%s is not set but %s=1: the PostgreSQL tests must run", TestURLEnv, RequireEnv)
	}
	t.Skip("CREWID_TEST_POSTGRES_URL is not set; skipping the PostgreSQL suite")
	return ""
}

// OpenTest creates a scratch database crewid_test_<random> on the server of
// TestURLEnv, opens and migrates a store on it, and closes the store and
// drops the database (WITH (FORCE)) when the test ends. Parallel tests and
// reruns never share a database. Without TestURLEnv it skips (see TestURL).
func OpenTest(t testing.TB) *sqlstore.DB {
	t.Helper()
	db, _ := openTest(t)
	return db
}

// openTest is OpenTest, also returning the scratch database's name.
func openTest(t testing.TB) (*sqlstore.DB, string) {
	t.Helper()
	serverURL := TestURL(t)
	name := scratchName(t)

	admin, err := sql.Open("pgx", serverURL)
	if err != nil {
		t.Fatalf("postgres.OpenTest: %v", err)
	}
	admin.SetMaxOpenConns(1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		t.Fatalf("postgres.OpenTest: create database %s through %s: %v", name, redact(serverURL), err)
	}
	// Cleanups run last-registered first: the store closes before the drop.
	t.Cleanup(func() {
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("postgres.OpenTest: drop database %s: %v", name, err)
		}
	})

	dbURL, err := withDatabase(serverURL, name)
	if err != nil {
		t.Fatalf("postgres.OpenTest: %v", err)
	}
	db, err := Open(ctx, dbURL)
	if err != nil {
		t.Fatalf("postgres.OpenTest: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("postgres.OpenTest: close: %v", err)
		}
	})
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatalf("postgres.OpenTest: migrate: %v", err)
	}
	return db, name
}

// scratchName is a fresh database name; lower-case hex needs no quoting.
func scratchName(t testing.TB) string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("postgres.OpenTest: %v", err)
	}
	return "crewid_test_" + hex.EncodeToString(b[:])
}

// withDatabase points a connection string (URL or key=value form) at
// another database on the same server.
func withDatabase(conn, name string) (string, error) {
	if strings.HasPrefix(conn, "postgres://") || strings.HasPrefix(conn, "postgresql://") {
		u, err := url.Parse(conn)
		if err != nil {
			return "", fmt.Errorf("parse %s: %w", TestURLEnv, err)
		}
		u.Path = "/" + name
		u.RawPath = ""
		return u.String(), nil
	}
	return conn + " dbname=" + name, nil
}

// redact hides a password in a URL for error messages.
func redact(conn string) string {
	if u, err := url.Parse(conn); err == nil && u.User != nil {
		return u.Redacted()
	}
	return conn
}
