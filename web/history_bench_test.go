package web_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"crewid"
	"crewid/history"
	"crewid/server/servertest"
	"crewid/store"
	"crewid/store/sqlite"
)

const busyEvents = 10_000

// newBusyHistory starts a server whose tenant has 10,000 history events
// (updates of technicians by two people, a minute apart), with an
// administrator's session cookies to render pages with.
func newBusyHistory(tb testing.TB, st store.Store) *bigTenant {
	tb.Helper()
	env := servertest.Start(tb, st)
	addAdmin(tb, env)
	ctx := context.Background()
	start := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	type tech struct {
		Name        string
		MobilePhone string
		TeamName    string
		Active      bool
	}
	// Written straight to history, in batches: making 10,000 real changes
	// would only make the set-up slow.
	for batch := range busyEvents / 1000 {
		err := env.Store.Update(ctx, func(tx store.Tx) error {
			for i := batch * 1000; i < (batch+1)*1000; i++ {
				actor := crewid.Actor{Type: crewid.ActorPerson, ID: int64(1 + i%2), Name: fmt.Sprintf("Dispatcher %d", i%2),
					IP: "192.0.2.10", UserAgent: "Mozilla/5.0"}
				before := tech{Name: fmt.Sprintf("Technician %05d", i), MobilePhone: fmt.Sprintf("+1555%07d", i), TeamName: "North", Active: true}
				after := before
				after.TeamName = "South"
				if err := history.Record(ctx, tx, start.Add(time.Duration(i)*time.Minute), actor, history.Change{TenantID: env.Tenant.ID,
					Type: "Technician.Updated", RecordType: "Technician", RecordID: int64(1000 + i), Before: before, After: after}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	b := newBrowser(tb, env.URL)
	if status, _ := b.signIn("ada", adminPassword); status != http.StatusOK {
		tb.Fatalf("sign in: %d", status)
	}
	req, _ := http.NewRequest(http.MethodGet, env.URL+"/", nil)
	return &bigTenant{env: env, cookies: b.client.Jar.Cookies(req.URL)}
}

var historyPages = []page{
	{"first-page", "/settings/history", "Technician #10999"},
	{"page-150", "/settings/history?page=150", "Technician #3549"},
	{"record", "/settings/history?recordType=Technician&recordId=5000", "Technician #5000"},
	{"actor-and-type", "/settings/history?actorType=Person&actorId=2&eventType=Technician.Updated&page=20", "Dispatcher 1"},
	{"dates", "/settings/history?from=2026-01-03&to=2026-01-03", "Technician #4839"},
}

// TestHistoryRendersFastWith10000Events holds the history page under
// 100 ms server-side with 10,000 events in the tenant.
func TestHistoryRendersFastWith10000Events(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 10,000 events")
	}
	newBusyHistory(t, sqlite.OpenTest(t)).holdUnder(t, 100*time.Millisecond, "10,000 events", historyPages)
}

// BenchmarkHistoryPage renders the history page of a tenant with 10,000
// events, on each backend:
//
//	CREWID_TEST_POSTGRES_URL=… go test ./web -run '^$' -bench HistoryPage
func BenchmarkHistoryPage(b *testing.B) {
	benchPages(b, newBusyHistory, historyPages)
}
