package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"crewid"
	"crewid/store"
)

func testEvents(t *testing.T, s store.Store) {
	c := ctx(t)
	a := newTenant(t, s, "Acme")
	b := newTenant(t, s, "Bolt")
	admin := crewid.Actor{Type: crewid.ActorPerson, ID: 5, Name: "Ada Admin", IP: "203.0.113.7", UserAgent: "Mozilla/5.0"}
	sync := crewid.Actor{Type: crewid.ActorApplication, ID: 7, Name: "Dispatch Sync", IP: "198.51.100.2"}
	app5 := crewid.Actor{Type: crewid.ActorApplication, ID: 5, Name: "App Five"}
	evs := []crewid.Event{
		{TenantID: a.ID, OccurredOn: fine(1 * time.Minute), Type: "PersonCreated", RecordType: "Person", RecordID: 10, Actor: admin,
			After: []byte(`{"name":"Ana","active":true}`)},
		{TenantID: a.ID, OccurredOn: fine(2 * time.Minute), Type: "PersonUpdated", RecordType: "Person", RecordID: 10, Actor: sync,
			Before: []byte(`{"name":"Ana"}`), After: []byte(`{"name":"Ana Torres"}`)},
		{TenantID: a.ID, OccurredOn: fine(3 * time.Minute), Type: "RoleCreated", RecordType: "Role", RecordID: 20, Actor: admin,
			After: []byte(`{"name":"Dispatcher","permissions":[1,2]}`)},
		{TenantID: a.ID, OccurredOn: fine(4 * time.Minute), Type: "SignInFailed", RecordType: "Person", RecordID: 11,
			Actor: crewid.Actor{Type: crewid.ActorPerson, ID: 11, Name: "Tom"}},
		{TenantID: a.ID, OccurredOn: fine(5 * time.Minute), Type: "PersonUpdated", RecordType: "Person", RecordID: 11, Actor: app5,
			Before: []byte(`{}`), After: []byte(`{"memo":"ünïcödé ✓"}`)},
		// The same record and actor ids in another tenant.
		{TenantID: b.ID, OccurredOn: fine(2 * time.Minute), Type: "PersonCreated", RecordType: "Person", RecordID: 10, Actor: admin,
			After: []byte(`{"name":"Other"}`)},
	}
	for i := range evs {
		update(t, s, func(tx store.Tx) error { return tx.AppendEvent(c, &evs[i]) })
		if evs[i].ID == 0 {
			t.Fatalf("AppendEvent #%d did not set the id", i)
		}
		if i > 0 && evs[i].ID <= evs[i-1].ID {
			t.Errorf("AppendEvent #%d: id %d not above the previous %d", i, evs[i].ID, evs[i-1].ID)
		}
	}
	want := make([]crewid.Event, len(evs))
	for i, e := range evs {
		e.OccurredOn = e.OccurredOn.UTC()
		want[i] = e
	}
	pick := func(idx ...int) []crewid.Event {
		out := []crewid.Event{}
		for _, i := range idx {
			out = append(out, want[i])
		}
		return out
	}

	for _, tc := range []struct {
		what   string
		tenant int64
		q      store.EventQuery
		want   []crewid.Event
	}{
		{"all of A", a.ID, store.EventQuery{}, pick(0, 1, 2, 3, 4)},
		{"all of B", b.ID, store.EventQuery{}, pick(5)},
		{"RecordType", a.ID, store.EventQuery{RecordType: "Person"}, pick(0, 1, 3, 4)},
		{"RecordType and RecordID", a.ID, store.EventQuery{RecordType: "Person", RecordID: 10}, pick(0, 1)},
		{"RecordID", a.ID, store.EventQuery{RecordID: 20}, pick(2)},
		{"ActorID", a.ID, store.EventQuery{ActorID: 5}, pick(0, 2, 4)},
		{"ActorID and ActorType", a.ID, store.EventQuery{ActorID: 5, ActorType: crewid.ActorPerson}, pick(0, 2)},
		{"ActorType", a.ID, store.EventQuery{ActorType: crewid.ActorApplication}, pick(1, 4)},
		{"EventType", a.ID, store.EventQuery{EventType: "PersonUpdated"}, pick(1, 4)},
		{"OccurredOnOrAfter", a.ID, store.EventQuery{OccurredOnOrAfter: fine(2 * time.Minute).Truncate(time.Microsecond)}, pick(1, 2, 3, 4)},
		{"OccurredBefore", a.ID, store.EventQuery{OccurredBefore: fine(3 * time.Minute).Truncate(time.Microsecond)}, pick(0, 1)},
		{"occurred range", a.ID, store.EventQuery{OccurredOnOrAfter: at(2 * time.Minute), OccurredBefore: at(4 * time.Minute)}, pick(1, 2)},
		{"AfterID", a.ID, store.EventQuery{AfterID: evs[2].ID}, pick(3, 4)},
		{"Limit", a.ID, store.EventQuery{Limit: 2}, pick(0, 1)},
		{"AfterID and Limit", a.ID, store.EventQuery{AfterID: evs[0].ID, Limit: 2}, pick(1, 2)},
		{"AfterID past the end", a.ID, store.EventQuery{AfterID: evs[5].ID}, nil},
		{"filters combined", a.ID, store.EventQuery{RecordType: "Person", EventType: "PersonUpdated", ActorType: crewid.ActorApplication, AfterID: evs[1].ID}, pick(4)},
		{"unknown tenant", missingID, store.EventQuery{}, nil},
	} {
		got, err := s.Events(c, tc.tenant, tc.q)
		if err != nil {
			t.Errorf("Events(%s): %v", tc.what, err)
			continue
		}
		check(t, fmt.Sprintf("Events(%s)", tc.what), tc.want, got)
	}

	// Paging through history with AfterID and Limit sees everything once.
	var all []crewid.Event
	var after int64
	for range 10 {
		page, err := s.Events(c, a.ID, store.EventQuery{AfterID: after, Limit: 2})
		must(t, "Events", err)
		if len(page) == 0 {
			break
		}
		all = append(all, page...)
		after = page[len(page)-1].ID
	}
	check(t, "Events paged by two", pick(0, 1, 2, 3, 4), all)

	// Events written in a failed transaction are not kept.
	boom := errors.New("boom")
	lost := crewid.Event{TenantID: a.ID, OccurredOn: at(time.Hour), Type: "Lost", RecordType: "Person", RecordID: 1, Actor: admin}
	err := s.Update(c, func(tx store.Tx) error {
		if err := tx.AppendEvent(c, &lost); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("Update returned %v, want fn's error", err)
	}
	got, err := s.Events(c, a.ID, store.EventQuery{EventType: "Lost"})
	must(t, "Events", err)
	if len(got) != 0 {
		t.Errorf("an event appended in a rolled back transaction is visible: %+v", got)
	}
}
