package apps_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"crewid"
	"crewid/apps"
	"crewid/store"
	"crewid/store/sqlite"
)

// clock is a fake clock that moves only when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func openStore(tb testing.TB) store.Store {
	tb.Helper()
	st, err := sqlite.Open(filepath.Join(tb.TempDir(), "crewid.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return st
}

func createTenant(tb testing.TB, st store.Store, name string) int64 {
	tb.Helper()
	t := crewid.Tenant{Name: name, CreatedOn: time.Now(), ModifiedOn: time.Now()}
	if err := st.Update(context.Background(), func(tx store.Tx) error { return tx.CreateTenant(context.Background(), &t) }); err != nil {
		tb.Fatal(err)
	}
	return t.ID
}

type fixture struct {
	st     store.Store
	clock  *clock
	svc    *apps.Service
	tenant int64
}

const issuer = "http://crewid.test"

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	st := openStore(tb)
	c := newClock()
	return &fixture{st: st, clock: c, svc: newService(st, c, "production"), tenant: createTenant(tb, st, "Acme Heating")}
}

// newService is one node: its own key cache and application cache over st.
func newService(st store.Store, c *clock, env string) *apps.Service {
	return &apps.Service{Store: st, Keys: apps.NewKeys(st, c.Now), Now: c.Now, Issuer: issuer, Environment: env}
}

var admin = crewid.Actor{Type: crewid.ActorPerson, ID: 7, Name: "Ada Admin", IP: "192.0.2.1", UserAgent: "test"}

func (f *fixture) create(tb testing.TB, name string, scopes ...string) (crewid.App, string) {
	tb.Helper()
	app, secret, err := f.svc.Create(context.Background(), admin, f.tenant, name, scopes)
	if err != nil {
		tb.Fatal(err)
	}
	return app, secret
}

func wantCode(t *testing.T, err error, code crewid.ErrorCode) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	if got := crewid.CodeOf(err); got != code {
		t.Fatalf("got %s error %q, want %s", got, err, code)
	}
}
