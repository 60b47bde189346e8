package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"crewid"
	"crewid/history"
	"crewid/store"
)

// RunHistory runs the conformance tests of the history hash chain, the
// history list, the history export and pruning. open must return a
// migrated store; RunHistory calls it once.
func RunHistory(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Chain", testHistoryChain},
		{"ChainPerTenant", testHistoryChainPerTenant},
		{"ConcurrentAppends", testHistoryConcurrentAppends},
		{"List", testHistoryList},
		{"Export", testHistoryExport},
		{"Prune", testHistoryPrune},
		{"PruneLimit", testHistoryPruneLimit},
		{"PruneOutOfOrder", testHistoryPruneOutOfOrder},
		{"UnknownTenant", testHistoryUnknownTenant},
	}
	s := open(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, s) })
	}
}

// histEvent is the i-th event of a test history.
func histEvent(tenantID int64, i int, occurred time.Time) crewid.Event {
	actor := crewid.Actor{Type: crewid.ActorApplication, ID: 7, Name: "Sync", IP: "198.51.100.2", UserAgent: "sync/1.0"}
	if i%3 == 1 {
		actor = crewid.Actor{Type: crewid.ActorPerson, ID: 11, Name: "Ada", IP: "203.0.113.9", UserAgent: "Mozilla/5.0"}
	}
	e := crewid.Event{TenantID: tenantID, OccurredOn: occurred, Type: "Technician.Updated", RecordType: "Technician",
		RecordID: int64(100 + i%4), Actor: actor,
		Before: []byte(fmt.Sprintf(`{"name":"v%d"}`, i)), After: []byte(fmt.Sprintf(`{"name":"v%d"}`, i+1))}
	switch i % 5 {
	case 0:
		e.Type, e.Before = "Technician.Created", nil
	case 4:
		e.Type, e.RecordType, e.RecordID, e.After = "Zone.Deleted", "Zone", int64(500+i), nil
	}
	return e
}

// appendEvents appends events one transaction each and returns them as
// appended.
func appendEvents(t testing.TB, s store.Store, events ...crewid.Event) []crewid.Event {
	t.Helper()
	for i := range events {
		update(t, s, func(tx store.Tx) error { return tx.AppendEvent(ctx(t), &events[i]) })
	}
	return events
}

// seedHistory appends n events to the tenant, a minute apart from start.
func seedHistory(t testing.TB, s store.Store, tenantID int64, n int, start time.Duration) []crewid.Event {
	t.Helper()
	events := make([]crewid.Event, n)
	for i := range events {
		events[i] = histEvent(tenantID, i, fine(start+time.Duration(i)*time.Minute))
	}
	return appendEvents(t, s, events...)
}

// wantVerified fails unless the tenant's chain verifies with n events.
func wantVerified(t testing.TB, s store.Reader, tenantID int64, n int) history.Report {
	t.Helper()
	report, err := history.Verify(ctx(t), s, tenantID)
	must(t, "history.Verify", err)
	if !report.OK() {
		t.Errorf("history.Verify: %s", report.Break)
	} else if report.Events != n {
		t.Errorf("history.Verify: %d events verified, want %d", report.Events, n)
	}
	return report
}

func eventIDs(events []crewid.Event) []int64 {
	return pageIDs(events, func(e crewid.Event) int64 { return e.ID })
}

func testHistoryChain(t *testing.T, s store.Store) {
	c := ctx(t)
	tn := newTenant(t, s, "Chain")
	chain, err := s.HistoryChain(c, tn.ID)
	must(t, "HistoryChain", err)
	if len(chain.Head) != 0 || len(chain.Anchor) != 0 || chain.AnchorID != 0 {
		t.Errorf("HistoryChain of a new tenant = %+v, want all empty", chain)
	}
	wantVerified(t, s, tn.ID, 0)

	// Absent and empty documents, unicode and a zero actor all round-trip
	// and hash as stored.
	events := seedHistory(t, s, tn.ID, 6, 0)
	events = append(events, appendEvents(t, s,
		crewid.Event{TenantID: tn.ID, OccurredOn: fine(time.Hour), Type: "Tenant.Created", RecordType: "Tenant", RecordID: tn.ID,
			Actor: crewid.Actor{Type: crewid.ActorOperator, Name: "crewid command line"}, Before: []byte{}, After: []byte(`{"memo":"ünïcödé ✓"}`)})...)
	prev := []byte{}
	for i, e := range events {
		if !bytes.Equal(e.PrevHash, prev) {
			t.Errorf("event #%d: PrevHash %x, want the previous event's hash %x", i, e.PrevHash, prev)
		}
		if len(e.Hash) != history.HashSize || !bytes.Equal(e.Hash, history.EventHash(e)) {
			t.Errorf("event #%d: Hash %x, want history.EventHash %x", i, e.Hash, history.EventHash(e))
		}
		prev = e.Hash
	}
	chain, err = s.HistoryChain(c, tn.ID)
	must(t, "HistoryChain", err)
	if !bytes.Equal(chain.Head, prev) {
		t.Errorf("HistoryChain head %x, want the newest event's hash %x", chain.Head, prev)
	}
	got, err := s.Events(c, tn.ID, store.EventQuery{})
	must(t, "Events", err)
	want := make([]crewid.Event, len(events))
	for i, e := range events {
		e.OccurredOn = e.OccurredOn.UTC()
		want[i] = e
	}
	check(t, "Events with their hashes", want, got)
	if len(got) == len(events) && (got[0].Before != nil || got[6].Before == nil || len(got[6].Before) != 0) {
		t.Errorf("absent and empty documents: got before %q (nil %v) and %q (nil %v); want nil and empty",
			got[0].Before, got[0].Before == nil, got[6].Before, got[6].Before == nil)
	}
	for _, e := range got {
		if !bytes.Equal(history.EventHash(e), e.Hash) {
			t.Errorf("event %d read back does not hash to its stored hash", e.ID)
		}
	}
	wantVerified(t, s, tn.ID, len(events))

	// A failed transaction leaves the chain as it was.
	err = s.Update(c, func(tx store.Tx) error {
		e := histEvent(tn.ID, 1, at(2*time.Hour))
		if err := tx.AppendEvent(c, &e); err != nil {
			return err
		}
		return errBoom
	})
	if err != errBoom {
		t.Fatalf("Update: %v, want the function's error", err)
	}
	after, err := s.HistoryChain(c, tn.ID)
	must(t, "HistoryChain", err)
	if !bytes.Equal(after.Head, chain.Head) {
		t.Errorf("a rolled back append moved the head")
	}

	// Several events in one transaction chain in order.
	var two [2]crewid.Event
	update(t, s, func(tx store.Tx) error {
		for i := range two {
			two[i] = histEvent(tn.ID, i, at(3*time.Hour))
			if err := tx.AppendEvent(c, &two[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if !bytes.Equal(two[0].PrevHash, chain.Head) || !bytes.Equal(two[1].PrevHash, two[0].Hash) {
		t.Errorf("two events of one transaction are not chained in order")
	}
	wantVerified(t, s, tn.ID, len(events)+2)
}

var errBoom = errors.New("boom")

func testHistoryChainPerTenant(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Chain A")
	b := newTenant(t, s, "Chain B")
	for i := range 6 {
		tid := a.ID
		if i%2 == 1 {
			tid = b.ID
		}
		appendEvents(t, s, histEvent(tid, i, at(time.Duration(i)*time.Minute)))
	}
	for _, tid := range []int64{a.ID, b.ID} {
		events, err := s.Events(ctx(t), tid, store.EventQuery{})
		must(t, "Events", err)
		if len(events) != 3 || len(events[0].PrevHash) != 0 {
			t.Errorf("tenant %d: %d events, first linked to %x; want 3 starting a chain of their own", tid, len(events), events[0].PrevHash)
		}
		wantVerified(t, s, tid, 3)
	}
}

func testHistoryConcurrentAppends(t *testing.T, s store.Store) {
	tn := newTenant(t, s, "Concurrent History")
	other := newTenant(t, s, "Concurrent Other")
	const writers, each = 8, 15
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				tid := tn.ID
				if w == 0 {
					tid = other.ID
				}
				err := s.Update(ctx(t), func(tx store.Tx) error {
					e := histEvent(tid, w*each+i, at(time.Duration(i)*time.Second))
					if err := tx.AppendEvent(ctx(t), &e); err != nil {
						return err
					}
					if i%2 == 0 {
						// A second event in the same transaction.
						e2 := histEvent(tid, w*each+i+1, at(time.Duration(i)*time.Second))
						return tx.AppendEvent(ctx(t), &e2)
					}
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent append: %v", err)
	}
	perWriter := each + (each+1)/2
	wantVerified(t, s, tn.ID, (writers-1)*perWriter)
	wantVerified(t, s, other.ID, perWriter)
}

func testHistoryList(t *testing.T, s store.Store) {
	c := ctx(t)
	tn := newTenant(t, s, "History List")
	other := newTenant(t, s, "History List Other")
	events := seedHistory(t, s, tn.ID, 12, 0)
	seedHistory(t, s, other.ID, 3, 0)
	ids := eventIDs(events)
	reversed := make([]int64, len(ids))
	for i, id := range ids {
		reversed[len(ids)-1-i] = id
	}

	page, err := s.History(c, tn.ID, store.HistoryQuery{Page: 1, PageSize: 5, IncludeTotal: true})
	must(t, "History", err)
	checkIDs(t, "History page 1 (newest first)", reversed[:5], eventIDs(page.Items))
	if !page.HasMore || page.Total != 12 {
		t.Errorf("History page 1: hasMore %v total %d, want true and 12", page.HasMore, page.Total)
	}
	page, err = s.History(c, tn.ID, store.HistoryQuery{Page: 3, PageSize: 5})
	must(t, "History", err)
	checkIDs(t, "History page 3", reversed[10:], eventIDs(page.Items))
	if page.HasMore || page.Total != -1 {
		t.Errorf("History page 3: hasMore %v total %d, want false and -1", page.HasMore, page.Total)
	}
	page, err = s.History(c, tn.ID, store.HistoryQuery{Page: 2, PageSize: 5, OldestFirst: true})
	must(t, "History", err)
	checkIDs(t, "History page 2 oldest first", ids[5:10], eventIDs(page.Items))
	if len(page.Items) > 0 {
		check(t, "History item", func() crewid.Event { e := events[5]; e.OccurredOn = e.OccurredOn.UTC(); return e }(), page.Items[0])
	}

	pick := func(keep func(crewid.Event) bool) []int64 {
		var out []int64
		for _, e := range events {
			if keep(e) {
				out = append(out, e.ID)
			}
		}
		return out
	}
	mid := events[6].OccurredOn.Truncate(time.Microsecond)
	for _, tc := range []struct {
		what string
		q    store.EventQuery
		keep func(crewid.Event) bool
	}{
		{"RecordType", store.EventQuery{RecordType: "Zone"}, func(e crewid.Event) bool { return e.RecordType == "Zone" }},
		{"RecordType and RecordID", store.EventQuery{RecordType: "Technician", RecordID: 101}, func(e crewid.Event) bool {
			return e.RecordType == "Technician" && e.RecordID == 101
		}},
		{"ActorID", store.EventQuery{ActorID: 11}, func(e crewid.Event) bool { return e.Actor.ID == 11 }},
		{"ActorType", store.EventQuery{ActorType: crewid.ActorApplication}, func(e crewid.Event) bool { return e.Actor.Type == crewid.ActorApplication }},
		{"EventType", store.EventQuery{EventType: "Technician.Created"}, func(e crewid.Event) bool { return e.Type == "Technician.Created" }},
		{"OccurredOnOrAfter", store.EventQuery{OccurredOnOrAfter: mid}, func(e crewid.Event) bool { return !e.OccurredOn.Before(mid) }},
		{"OccurredBefore", store.EventQuery{OccurredBefore: mid}, func(e crewid.Event) bool { return e.OccurredOn.Before(mid) }},
		{"AfterID is ignored", store.EventQuery{AfterID: ids[8]}, func(crewid.Event) bool { return true }},
	} {
		page, err := s.History(c, tn.ID, store.HistoryQuery{EventQuery: tc.q, Page: 1, PageSize: 50, IncludeTotal: true, OldestFirst: true})
		must(t, "History", err)
		want := pick(tc.keep)
		checkIDs(t, "History("+tc.what+")", want, eventIDs(page.Items))
		if page.Total != len(want) {
			t.Errorf("History(%s): total %d, want %d", tc.what, page.Total, len(want))
		}
		exp, err := s.ExportEvents(c, tn.ID, tc.q)
		must(t, "ExportEvents", err)
		if tc.q.AfterID == 0 {
			checkIDs(t, "ExportEvents("+tc.what+")", want, eventIDs(exp.Items))
		}
	}
	page, err = s.History(c, missingID, store.HistoryQuery{Page: 1, PageSize: 50, IncludeTotal: true})
	must(t, "History", err)
	if len(page.Items) != 0 || page.Total != 0 {
		t.Errorf("History of an unknown tenant: %d items, total %d", len(page.Items), page.Total)
	}
}

func testHistoryExport(t *testing.T, s store.Store) {
	c := ctx(t)
	tn := newTenant(t, s, "History Export")
	events := seedHistory(t, s, tn.ID, 23, 0)
	var got []int64
	after := int64(0)
	for range 20 {
		b, err := s.ExportEvents(c, tn.ID, store.EventQuery{AfterID: after, Limit: 5})
		must(t, "ExportEvents", err)
		got = append(got, eventIDs(b.Items)...)
		if n := len(b.Items); n > 0 && b.LastSeq != b.Items[n-1].ID {
			t.Errorf("ExportEvents: LastSeq %d, want the last id %d", b.LastSeq, b.Items[n-1].ID)
		}
		if len(b.Items) == 0 && b.LastSeq != after {
			t.Errorf("ExportEvents of an empty page: LastSeq %d, want %d", b.LastSeq, after)
		}
		after = b.LastSeq
		if !b.HasMore {
			break
		}
	}
	checkIDs(t, "ExportEvents paged by five", eventIDs(events), got)

	// Appended later, found by resuming from the last position.
	more := seedHistory(t, s, tn.ID, 2, time.Hour)
	b, err := s.ExportEvents(c, tn.ID, store.EventQuery{AfterID: after})
	must(t, "ExportEvents", err)
	checkIDs(t, "ExportEvents after new events", eventIDs(more), eventIDs(b.Items))
	if b.HasMore {
		t.Errorf("ExportEvents: hasMore at the end")
	}
	b, err = s.ExportEvents(c, tn.ID, store.EventQuery{Limit: 25})
	must(t, "ExportEvents", err)
	if len(b.Items) != 25 || b.HasMore {
		t.Errorf("ExportEvents of exactly everything: %d items, hasMore %v; want 25, false", len(b.Items), b.HasMore)
	}
}

func testHistoryPrune(t *testing.T, s store.Store) {
	c := ctx(t)
	tn := newTenant(t, s, "History Prune")
	other := newTenant(t, s, "History Prune Other")
	events := seedHistory(t, s, tn.ID, 10, 0) // minutes 0 to 9
	seedHistory(t, s, other.ID, 10, 0)

	// Nothing is older than the first event.
	var p store.Pruned
	update(t, s, func(tx store.Tx) (err error) {
		p, err = tx.PruneEvents(c, tn.ID, events[0].OccurredOn.Truncate(time.Microsecond), 100)
		return
	})
	if p.Deleted != 0 || p.AnchorID != 0 || len(p.Anchor) != 0 {
		t.Errorf("PruneEvents before the first event = %+v, want nothing", p)
	}

	// Events of minutes 0 to 3 go.
	cutoff := at(4 * time.Minute)
	update(t, s, func(tx store.Tx) (err error) { p, err = tx.PruneEvents(c, tn.ID, cutoff, 100); return })
	if p.Deleted != 4 || p.AnchorID != events[3].ID || !bytes.Equal(p.Anchor, events[3].Hash) {
		t.Errorf("PruneEvents = %+v, want 4 deleted and event %d as the anchor", p, events[3].ID)
	}
	chain, err := s.HistoryChain(c, tn.ID)
	must(t, "HistoryChain", err)
	if chain.AnchorID != events[3].ID || !bytes.Equal(chain.Anchor, events[3].Hash) || !bytes.Equal(chain.Head, events[9].Hash) {
		t.Errorf("HistoryChain after pruning = %+v", chain)
	}
	kept, err := s.Events(c, tn.ID, store.EventQuery{})
	must(t, "Events", err)
	checkIDs(t, "events kept", eventIDs(events[4:]), eventIDs(kept))
	report := wantVerified(t, s, tn.ID, 6)
	if report.AnchorID != events[3].ID {
		t.Errorf("Verify: anchor %d, want %d", report.AnchorID, events[3].ID)
	}
	wantVerified(t, s, other.ID, 10)

	// Appending continues the chain; pruning everything leaves the anchor
	// at the newest event, which the next event links to.
	newer := seedHistory(t, s, tn.ID, 1, time.Hour)
	update(t, s, func(tx store.Tx) (err error) { p, err = tx.PruneEvents(c, tn.ID, at(2*time.Hour), 0); return })
	if p.Deleted != 7 || p.AnchorID != newer[0].ID {
		t.Errorf("PruneEvents of everything = %+v, want 7 deleted, anchor %d", p, newer[0].ID)
	}
	wantVerified(t, s, tn.ID, 0)
	last := seedHistory(t, s, tn.ID, 1, 3*time.Hour)
	if !bytes.Equal(last[0].PrevHash, newer[0].Hash) {
		t.Errorf("the event after a full prune does not link to the anchor")
	}
	if last[0].ID <= newer[0].ID {
		t.Errorf("the event after a full prune has id %d, not above the anchor's %d", last[0].ID, newer[0].ID)
	}
	wantVerified(t, s, tn.ID, 1)
}

func testHistoryPruneLimit(t *testing.T, s store.Store) {
	c := ctx(t)
	tn := newTenant(t, s, "History Prune Limit")
	events := seedHistory(t, s, tn.ID, 9, 0)
	var p store.Pruned
	total := 0
	for range 5 {
		update(t, s, func(tx store.Tx) (err error) { p, err = tx.PruneEvents(c, tn.ID, at(7*time.Minute), 3); return })
		if p.Deleted > 3 {
			t.Fatalf("PruneEvents with limit 3 deleted %d", p.Deleted)
		}
		total += p.Deleted
		if p.Deleted == 0 {
			break
		}
		wantVerified(t, s, tn.ID, 9-total)
	}
	if total != 7 || p.AnchorID != events[6].ID {
		t.Errorf("pruning by threes removed %d (anchor %d), want 7 (anchor %d)", total, p.AnchorID, events[6].ID)
	}
}

// testHistoryPruneOutOfOrder: an old event after a newer one stays, so the
// pruned events are always the start of the chain.
func testHistoryPruneOutOfOrder(t *testing.T, s store.Store) {
	c := ctx(t)
	tn := newTenant(t, s, "History Prune Order")
	events := appendEvents(t, s,
		histEvent(tn.ID, 0, at(1*time.Minute)),
		histEvent(tn.ID, 1, at(10*time.Minute)),
		histEvent(tn.ID, 2, at(2*time.Minute)), // late, older than the cutoff
		histEvent(tn.ID, 3, at(11*time.Minute)),
	)
	var p store.Pruned
	update(t, s, func(tx store.Tx) (err error) { p, err = tx.PruneEvents(c, tn.ID, at(5*time.Minute), 100); return })
	if p.Deleted != 1 || p.AnchorID != events[0].ID {
		t.Errorf("PruneEvents = %+v, want only the first event", p)
	}
	wantVerified(t, s, tn.ID, 3)
}

func testHistoryUnknownTenant(t *testing.T, s store.Store) {
	c := ctx(t)
	_, err := s.HistoryChain(c, missingID)
	wantNotFound(t, "HistoryChain(unknown tenant)", err)
	err = s.Update(c, func(tx store.Tx) error {
		e := histEvent(missingID, 0, at(0))
		return tx.AppendEvent(c, &e)
	})
	wantRefused(t, "AppendEvent(unknown tenant)", err)
	err = s.Update(c, func(tx store.Tx) error {
		_, err := tx.PruneEvents(c, missingID, at(0), 10)
		return err
	})
	wantNotFound(t, "PruneEvents(unknown tenant)", err)
	_, err = history.Verify(c, s, missingID)
	wantNotFound(t, "history.Verify(unknown tenant)", err)
}
