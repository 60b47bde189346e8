package history_test

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"crewid"
	"crewid/history"
	"crewid/server/servertest"
	"crewid/store"
	"crewid/store/sqlstore"
)

// vectorEvent is the event of the test vector.
func vectorEvent() crewid.Event {
	return crewid.Event{
		ID: 42, TenantID: 7, OccurredOn: time.Date(2024, 3, 10, 14, 30, 0, 123456000, time.UTC),
		Type: "Technician.Updated", RecordType: "Technician", RecordID: 1001,
		Actor:    crewid.Actor{Type: crewid.ActorApplication, ID: 9, Name: "Dispatch Sync", IP: "203.0.113.7", UserAgent: "sync/2.1"},
		Before:   []byte(`{"name":"Ana"}`),
		After:    []byte(`{"name":"Ana Torres"}`),
		PrevHash: make([]byte, 32),
	}
}

// TestEventHashVector pins the canonical encoding: a change to it must come
// with a new ChainVersion (or the chains already stored stop verifying).
func TestEventHashVector(t *testing.T) {
	// Computed independently from the documented encoding.
	const want = "95f2f7ffff5e7d4a2774e6ddb6f9784dcc7da371696041bdf6c2c613c108697b"
	if got := hex.EncodeToString(history.EventHash(vectorEvent())); got != want {
		t.Errorf("EventHash of the test vector = %s, want %s (encoding %s)", got, want, history.ChainVersion)
	}
}

// TestEventHashCoversEveryField changes each stored field in turn.
func TestEventHashCoversEveryField(t *testing.T) {
	base := history.EventHash(vectorEvent())
	for name, change := range map[string]func(e *crewid.Event){
		"PrevHash":        func(e *crewid.Event) { e.PrevHash[31] = 1 },
		"no PrevHash":     func(e *crewid.Event) { e.PrevHash = nil },
		"ID":              func(e *crewid.Event) { e.ID++ },
		"TenantID":        func(e *crewid.Event) { e.TenantID++ },
		"OccurredOn":      func(e *crewid.Event) { e.OccurredOn = e.OccurredOn.Add(time.Microsecond) },
		"Type":            func(e *crewid.Event) { e.Type = "Technician.Created" },
		"RecordType":      func(e *crewid.Event) { e.RecordType = "Employee" },
		"RecordID":        func(e *crewid.Event) { e.RecordID++ },
		"Actor.Type":      func(e *crewid.Event) { e.Actor.Type = crewid.ActorPerson },
		"Actor.ID":        func(e *crewid.Event) { e.Actor.ID++ },
		"Actor.Name":      func(e *crewid.Event) { e.Actor.Name += "!" },
		"Actor.IP":        func(e *crewid.Event) { e.Actor.IP = "203.0.113.8" },
		"Actor.UserAgent": func(e *crewid.Event) { e.Actor.UserAgent = "" },
		"Before":          func(e *crewid.Event) { e.Before = []byte(`{"name":"Ann"}`) },
		"Before null":     func(e *crewid.Event) { e.Before = nil },
		"Before empty":    func(e *crewid.Event) { e.Before = []byte{} },
		"After":           func(e *crewid.Event) { e.After = []byte(`{"name":"Ana T."}`) },
		"After null":      func(e *crewid.Event) { e.After = nil },
		// Moving bytes between adjacent fields must not give the same
		// encoding.
		"shift Name/IP": func(e *crewid.Event) { e.Actor.Name, e.Actor.IP = "Dispatch Sync2", "03.0.113.7" },
	} {
		e := vectorEvent()
		change(&e)
		if got := history.EventHash(e); string(got) == string(base) {
			t.Errorf("changing %s does not change the hash", name)
		}
	}
	// Sub-microsecond time and the stored hash itself do not count: the
	// store keeps microseconds and Hash is the output.
	e := vectorEvent()
	e.OccurredOn = e.OccurredOn.Add(999 * time.Nanosecond)
	e.Hash = []byte("anything")
	if got := history.EventHash(e); string(got) != string(base) {
		t.Errorf("nanoseconds or Hash change the hash")
	}
}

// chainEnv is a server whose history can be tampered with by SQL.
type chainEnv struct {
	env *servertest.Env
	db  *sql.DB
	tid int64
	ctx context.Context
	mu  sync.Mutex
	now time.Time
}

func (c *chainEnv) clock() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *chainEnv) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newChainEnv(t *testing.T, b servertest.Backend) *chainEnv {
	t.Helper()
	st := b.Open(t)
	c := &chainEnv{ctx: context.Background(), now: time.Now().UTC().Add(-400 * 24 * time.Hour)}
	c.env = servertest.Start(t, st, servertest.WithClock(c.clock))
	c.tid = c.env.Tenant.ID
	c.db = st.(*sqlstore.DB).SQL()
	return c
}

// changes makes n changes through the services, an hour apart.
func (c *chainEnv) changes(t *testing.T, n int) {
	t.Helper()
	actor := crewid.Actor{Type: crewid.ActorPerson, ID: 1, Name: "Ada", IP: "203.0.113.9", UserAgent: "Mozilla/5.0"}
	for i := range n {
		c.advance(time.Hour)
		unit, err := c.env.Server.Org.CreateBusinessUnit(c.ctx, actor, c.tid, crewid.BusinessUnit{Name: fmt.Sprintf("Unit %d", i), Active: true})
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			c.advance(time.Hour)
			_, err = c.env.Server.Org.UpdateBusinessUnit(c.ctx, actor, c.tid, unit.ID, func(b *crewid.BusinessUnit) error {
				b.OfficialName = "Official " + b.Name
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
}

func (c *chainEnv) exec(t *testing.T, query string, args ...any) {
	t.Helper()
	if _, ok := c.env.Store.(*sqlstore.DB); ok && c.env.Store.(*sqlstore.DB).Flavor().Numbered {
		for i := 1; strings.Contains(query, "?"); i++ {
			query = strings.Replace(query, "?", fmt.Sprintf("$%d", i), 1)
		}
	}
	if _, err := c.db.ExecContext(c.ctx, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func (c *chainEnv) events(t *testing.T) []crewid.Event {
	t.Helper()
	events, err := c.env.Store.Events(c.ctx, c.tid, store.EventQuery{Limit: 5000})
	if err != nil {
		t.Fatal(err)
	}
	return events
}

func (c *chainEnv) verify(t *testing.T) history.Report {
	t.Helper()
	report, err := history.Verify(c.ctx, c.env.Store, c.tid)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return report
}

func wantBreak(t *testing.T, report history.Report, id int64, problem string) {
	t.Helper()
	if report.OK() {
		t.Fatalf("Verify passed; want %s at event %d", problem, id)
	}
	if report.Break.EventID != id || report.Break.Problem != problem {
		t.Errorf("Verify: %s; want %s at event %d", report.Break, problem, id)
	}
}

func TestVerifyFindsTampering(t *testing.T) {
	t.Parallel()
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		t.Parallel()
		for _, tc := range []struct {
			name string
			// tamper changes the history and returns the event where the
			// chain must break and how.
			tamper func(t *testing.T, c *chainEnv, events []crewid.Event) (int64, string)
		}{
			{"after", func(t *testing.T, c *chainEnv, ev []crewid.Event) (int64, string) {
				c.exec(t, `UPDATE events SET after = ? WHERE id = ?`, `{"name":"Forged"}`, ev[4].ID)
				return ev[4].ID, history.ProblemHashMismatch
			}},
			{"before set to null", func(t *testing.T, c *chainEnv, ev []crewid.Event) (int64, string) {
				id := updatedEvent(t, ev).ID
				c.exec(t, `UPDATE events SET before = NULL WHERE id = ?`, id)
				return id, history.ProblemHashMismatch
			}},
			{"actor", func(t *testing.T, c *chainEnv, ev []crewid.Event) (int64, string) {
				c.exec(t, `UPDATE events SET actor_name = 'Someone Else', ip = '10.0.0.1' WHERE id = ?`, ev[2].ID)
				return ev[2].ID, history.ProblemHashMismatch
			}},
			{"time", func(t *testing.T, c *chainEnv, ev []crewid.Event) (int64, string) {
				c.exec(t, `UPDATE events SET occurred_on = occurred_on - 1 WHERE id = ?`, ev[3].ID)
				return ev[3].ID, history.ProblemHashMismatch
			}},
			{"first event", func(t *testing.T, c *chainEnv, ev []crewid.Event) (int64, string) {
				c.exec(t, `UPDATE events SET event_type = 'Tenant.Renamed' WHERE id = ?`, ev[0].ID)
				return ev[0].ID, history.ProblemHashMismatch
			}},
			{"event removed", func(t *testing.T, c *chainEnv, ev []crewid.Event) (int64, string) {
				c.exec(t, `DELETE FROM events WHERE id = ?`, ev[3].ID)
				return ev[4].ID, history.ProblemBrokenLink
			}},
			{"oldest removed", func(t *testing.T, c *chainEnv, ev []crewid.Event) (int64, string) {
				c.exec(t, `DELETE FROM events WHERE id = ?`, ev[0].ID)
				return ev[1].ID, history.ProblemBrokenLink
			}},
			{"newest removed", func(t *testing.T, c *chainEnv, ev []crewid.Event) (int64, string) {
				c.exec(t, `DELETE FROM events WHERE id = ?`, ev[len(ev)-1].ID)
				return ev[len(ev)-2].ID, history.ProblemHeadMismatch
			}},
			{"rehashed forgery", func(t *testing.T, c *chainEnv, ev []crewid.Event) (int64, string) {
				// The forger recomputes the changed event's hash: the next
				// event no longer links to it.
				forged := ev[4]
				forged.After = []byte(`{"name":"Forged"}`)
				c.exec(t, `UPDATE events SET after = ?, hash = ? WHERE id = ?`, string(forged.After), history.EventHash(forged), forged.ID)
				return ev[5].ID, history.ProblemBrokenLink
			}},
			{"moved to another tenant", func(t *testing.T, c *chainEnv, ev []crewid.Event) (int64, string) {
				other, _, _ := c.env.NewTenant(t, "Other")
				c.exec(t, `UPDATE events SET tenant_id = ? WHERE id = ?`, other.ID, ev[2].ID)
				return ev[3].ID, history.ProblemBrokenLink
			}},
			{"hash removed", func(t *testing.T, c *chainEnv, ev []crewid.Event) (int64, string) {
				c.exec(t, `UPDATE events SET hash = NULL WHERE id = ?`, ev[5].ID)
				return ev[5].ID, history.ProblemMissingHash
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				c := newChainEnv(t, b)
				c.changes(t, 6)
				events := c.events(t)
				if report := c.verify(t); !report.OK() || report.Events != len(events) {
					t.Fatalf("before tampering: %d of %d verified, break %v", report.Events, len(events), report.Break)
				}
				id, problem := tc.tamper(t, c, events)
				report := c.verify(t)
				wantBreak(t, report, id, problem)
				// Pruning refuses to destroy the evidence.
				_, err := history.Prune(c.ctx, c.env.Store, c.clock(), crewid.Actor{Type: crewid.ActorOperator, Name: "test"}, c.tid, c.clock())
				if !errors.Is(err, history.ErrChainBroken) {
					t.Errorf("Prune of a broken chain: %v, want ErrChainBroken", err)
				}
			})
		}
	})
}

// updatedEvent is the first event with a before document.
func updatedEvent(t *testing.T, events []crewid.Event) crewid.Event {
	for _, e := range events {
		if e.Before != nil {
			return e
		}
	}
	t.Fatal("no update event")
	return crewid.Event{}
}

func TestPruneKeepsTheChainVerifiable(t *testing.T) {
	t.Parallel()
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		t.Parallel()
		c := newChainEnv(t, b)
		c.changes(t, 10) // 15 changes an hour apart, after the tenant's creation
		all := c.events(t)
		c.advance(24 * time.Hour)
		now := c.clock()
		// Keep the last 5 hours of changes and what came after.
		cutoff := all[len(all)-1].OccurredOn.Add(-4*time.Hour - time.Minute)
		var keepFrom int
		for i, e := range all {
			if !e.OccurredOn.Before(cutoff) {
				keepFrom = i
				break
			}
		}
		operator := crewid.Actor{Type: crewid.ActorOperator, Name: "crewid command line"}
		res, err := history.Prune(c.ctx, c.env.Store, now, operator, c.tid, cutoff)
		if err != nil {
			t.Fatal(err)
		}
		last := all[keepFrom-1]
		if res.Deleted != keepFrom || res.AnchorID != last.ID || string(res.Anchor) != string(last.Hash) {
			t.Errorf("Prune = %d deleted, anchor %d; want %d, anchor %d", res.Deleted, res.AnchorID, keepFrom, last.ID)
		}
		kept := c.events(t)
		if len(kept) != len(all)-keepFrom+1 || kept[0].ID != all[keepFrom].ID {
			t.Fatalf("kept %d events from %d; want %d from %d", len(kept), kept[0].ID, len(all)-keepFrom+1, all[keepFrom].ID)
		}
		pruned := kept[len(kept)-1]
		if pruned.Type != history.EventPruned || pruned.RecordType != "Tenant" || pruned.RecordID != c.tid || pruned.Actor != operator {
			t.Errorf("the prune's own event: %+v", pruned)
		}
		if !strings.Contains(string(pruned.After), fmt.Sprintf(`"anchorId":%d`, last.ID)) ||
			!strings.Contains(string(pruned.After), fmt.Sprintf(`"deleted":%d`, keepFrom)) ||
			!strings.Contains(string(pruned.After), hex.EncodeToString(last.Hash)) {
			t.Errorf("History.Pruned after = %s", pruned.After)
		}
		report := c.verify(t)
		if !report.OK() || report.Events != len(kept) || report.AnchorID != last.ID {
			t.Fatalf("Verify after pruning: %d verified (anchor %d), break %v; want %d", report.Events, report.AnchorID, report.Break, len(kept))
		}

		// Tampering with the oldest kept event is still found.
		c.exec(t, `UPDATE events SET after = ? WHERE id = ?`, `{"name":"Forged"}`, kept[0].ID)
		wantBreak(t, c.verify(t), kept[0].ID, history.ProblemHashMismatch)
		c.exec(t, `UPDATE events SET after = ? WHERE id = ?`, string(kept[0].After), kept[0].ID)
		if report := c.verify(t); !report.OK() {
			t.Fatalf("after restoring: %s", report.Break)
		}
		// So is a change of the anchor.
		c.exec(t, `UPDATE tenants SET history_anchor = ? WHERE id = ?`, make([]byte, 32), c.tid)
		wantBreak(t, c.verify(t), kept[0].ID, history.ProblemBrokenLink)
		c.exec(t, `UPDATE tenants SET history_anchor = ? WHERE id = ?`, last.Hash, c.tid)

		// Nothing older: nothing pruned, no event.
		res, err = history.Prune(c.ctx, c.env.Store, now, operator, c.tid, cutoff)
		if err != nil || res.Deleted != 0 {
			t.Errorf("second Prune: %+v, %v", res, err)
		}
		if n := len(c.events(t)); n != len(kept) {
			t.Errorf("a prune that removed nothing recorded an event")
		}
		// Changes go on from the head.
		c.changes(t, 1) // two events
		if report := c.verify(t); !report.OK() || report.Events != len(kept)+2 {
			t.Errorf("after a change: %d verified, %v", report.Events, report.Break)
		}
		// Pruning up to now (the newest change occurred now and stays)
		// keeps the chain.
		res, err = history.Prune(c.ctx, c.env.Store, c.clock(), operator, c.tid, c.clock())
		if err != nil || res.Deleted != len(kept)+1 {
			t.Errorf("prune everything: %+v, %v", res, err)
		}
		if report := c.verify(t); !report.OK() || report.Events != 2 {
			t.Errorf("after pruning everything: %d verified, %v", report.Events, report.Break)
		}
		if _, err := history.Prune(c.ctx, c.env.Store, now, operator, c.tid, now.Add(time.Hour)); crewid.CodeOf(err) != crewid.Invalid {
			t.Errorf("Prune with a cutoff in the future: %v, want Invalid", err)
		}
	})
}

// TestSealLegacyEvents: events written before the chain existed (no hash)
// are chained by Migrate, or by the tenant's next change.
func TestSealLegacyEvents(t *testing.T) {
	t.Parallel()
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		t.Parallel()
		c := newChainEnv(t, b)
		c.changes(t, 4)
		n := len(c.events(t))
		unchain := func() {
			c.exec(t, `UPDATE events SET hash = NULL, prev_hash = NULL`)
			c.exec(t, `UPDATE tenants SET history_head = NULL`)
		}
		unchain()
		report := c.verify(t)
		if report.OK() || report.Break.Problem != history.ProblemMissingHash {
			t.Fatalf("Verify of unchained events: %+v", report)
		}
		if _, err := c.env.Store.Migrate(c.ctx); err != nil {
			t.Fatal(err)
		}
		if report := c.verify(t); !report.OK() || report.Events != n {
			t.Fatalf("after Migrate: %d of %d verified, %v", report.Events, n, report.Break)
		}
		unchain()
		c.changes(t, 1) // two events
		if report := c.verify(t); !report.OK() || report.Events != n+2 {
			t.Fatalf("after a change: %d of %d verified, %v", report.Events, n+2, report.Break)
		}
	})
}
