package postgres

import (
	"context"
	"database/sql"
	"testing"

	"crewid/store"
	"crewid/store/storetest"
)

func TestStore(t *testing.T) {
	TestURL(t) // skip (or fail under CREWID_REQUIRE_POSTGRES=1) once, up front
	storetest.Run(t, func(t *testing.T) store.Store { return OpenTest(t) })
}

// TestOpenTestDropsDatabase checks the helper other packages rely on: each
// call gets its own database, and the database is gone after the test.
func TestOpenTestDropsDatabase(t *testing.T) {
	serverURL := TestURL(t)
	var names []string
	t.Run("open", func(t *testing.T) {
		for range 2 {
			_, name := openTest(t)
			names = append(names, name)
		}
		if names[0] == names[1] {
			t.Fatalf("two OpenTest calls shared database %s", names[0])
		}
	})
	admin, err := sql.Open("pgx", serverURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	for _, name := range names {
		var n int
		if err := admin.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM pg_database WHERE datname = $1`, name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("scratch database %s still exists after its test ended", name)
		}
	}
}

func TestWithDatabase(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "postgres://postgres@127.0.0.1:5432/crewid_test_x?sslmode=disable"},
		{"postgresql://u:p@db/", "postgresql://u:p@db/crewid_test_x"},
		{"host=db user=u dbname=test", "host=db user=u dbname=test dbname=crewid_test_x"},
	} {
		got, err := withDatabase(tc.in, "crewid_test_x")
		if err != nil || got != tc.want {
			t.Errorf("withDatabase(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestOutbox(t *testing.T) {
	TestURL(t) // skip (or fail under CREWID_REQUIRE_POSTGRES=1) once, up front
	storetest.RunOutbox(t, func(t *testing.T) store.Store { return OpenTest(t) })
}

func TestSessions(t *testing.T) {
	TestURL(t) // skip (or fail under CREWID_REQUIRE_POSTGRES=1) once, up front
	storetest.RunSessions(t, func(t *testing.T) store.Store { return OpenTest(t) })
}

func TestHistory(t *testing.T) {
	TestURL(t) // skip (or fail under CREWID_REQUIRE_POSTGRES=1) once, up front
	storetest.RunHistory(t, func(t *testing.T) store.Store { return OpenTest(t) })
}

func TestFilter(t *testing.T) {
	TestURL(t) // skip (or fail under CREWID_REQUIRE_POSTGRES=1) once, up front
	storetest.RunFilter(t, func(t *testing.T) store.Store { return OpenTest(t) })
}

func TestWebhooks(t *testing.T) {
	TestURL(t) // skip (or fail under CREWID_REQUIRE_POSTGRES=1) once, up front
	storetest.RunWebhooks(t, func(t *testing.T) store.Store { return OpenTest(t) })
}

func TestSSO(t *testing.T) {
	TestURL(t) // skip (or fail under CREWID_REQUIRE_POSTGRES=1) once, up front
	storetest.RunSSO(t, func(t *testing.T) store.Store { return OpenTest(t) })
}

func TestRevocations(t *testing.T) {
	TestURL(t) // skip (or fail under CREWID_REQUIRE_POSTGRES=1) once, up front
	storetest.RunRevocations(t, func(t *testing.T) store.Store { return OpenTest(t) })
}
