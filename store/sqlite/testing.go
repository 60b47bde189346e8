package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"crewid/store/sqlstore"
)

// OpenTest opens a fresh, migrated store in a database file under
// t.TempDir() and closes it when the test ends. It is for tests of any
// package that need a real store.
func OpenTest(t testing.TB) *sqlstore.DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "crewid.db"))
	if err != nil {
		t.Fatalf("sqlite.OpenTest: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("sqlite.OpenTest: close: %v", err)
		}
	})
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("sqlite.OpenTest: migrate: %v", err)
	}
	return db
}
