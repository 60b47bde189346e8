package storetest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"crewid"
	"crewid/store"
)

// RunWebhooks runs the conformance tests of webhook subscriptions and
// their deliveries (store/webhooks.go). open is as for Run.
func RunWebhooks(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"WebhookRoundTrip", testWebhookRoundTrip},
		{"WebhookList", testWebhookList},
		{"WebhookTenantIsolation", testWebhookTenantIsolation},
		{"QueueOnAppend", testQueueOnAppend},
		{"QueueRollback", testQueueRollback},
		{"ClaimDeliveries", testClaimDeliveries},
		{"ClaimValidation", testClaimDeliveriesValidation},
		{"MarkDelivery", testMarkDelivery},
		{"MarkDeliveries", testMarkDeliveries},
		{"ParkDeliveries", testParkDeliveries},
		{"RedeliverEvent", testRedeliverEvent},
		{"RedeliverRange", testRedeliverRange},
		{"DeliveryLog", testDeliveryLog},
		{"CountWebhookAttempts", testCountWebhookAttempts},
		{"DeleteWebhook", testDeleteWebhook},
		{"PrunedEvent", testDeliveryOfPrunedEvent},
		{"ConcurrentDeliveryClaims", testConcurrentDeliveryClaims},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			tc.fn(t, s)
		})
	}
}

// ---- fixtures --------------------------------------------------------------

func newWebhook(tenantID int64, url string, events ...string) crewid.Webhook {
	return crewid.Webhook{TenantID: tenantID, URL: url, Events: events, Secret: "whsec_" + url,
		Active: true, CreatedOn: fine(0), ModifiedOn: fine(0)}
}

func createWebhook(t testing.TB, s store.Store, w crewid.Webhook) crewid.Webhook {
	t.Helper()
	update(t, s, func(tx store.Tx) error { return tx.CreateWebhook(ctx(t), &w) })
	if w.ID == 0 {
		t.Fatalf("CreateWebhook(%s) did not set the id", w.URL)
	}
	return w
}

// webhookUTC is w as the store returns it: times in UTC.
func webhookUTC(w crewid.Webhook) crewid.Webhook {
	for _, tp := range []*time.Time{&w.FailingSince, &w.CreatedOn, &w.ModifiedOn} {
		if !tp.IsZero() {
			*tp = tp.UTC()
		}
	}
	return w
}

func readWebhook(t testing.TB, s store.Reader, tenantID, id int64) crewid.Webhook {
	t.Helper()
	w, err := s.Webhook(ctx(t), tenantID, id)
	if err != nil {
		t.Fatalf("Webhook(%d, %d): %v", tenantID, id, err)
	}
	return w
}

// appendTyped appends an event of the given type (the record type is the
// part before the dot) and returns it with its id.
func appendTyped(t testing.TB, s store.Store, tenantID int64, typ string, on time.Time) crewid.Event {
	t.Helper()
	record, _, _ := strings.Cut(typ, ".")
	e := crewid.Event{TenantID: tenantID, OccurredOn: on, Type: typ, RecordType: record, RecordID: 1,
		Actor: crewid.Actor{Type: crewid.ActorSystem, Name: "storetest"}, After: []byte(`{"n":1}`)}
	update(t, s, func(tx store.Tx) error { return tx.AppendEvent(ctx(t), &e) })
	if e.ID == 0 {
		t.Fatalf("AppendEvent(%s) did not set the id", typ)
	}
	return e
}

// deliveryLog is the whole delivery log of a subscription, newest first.
func deliveryLog(t testing.TB, s store.Reader, tenantID, webhookID int64, q store.DeliveryQuery) []crewid.WebhookDelivery {
	t.Helper()
	if q.PageSize == 0 {
		q.Page, q.PageSize = 1, 1000
	}
	page, err := s.WebhookDeliveries(ctx(t), tenantID, webhookID, q)
	if err != nil {
		t.Fatalf("WebhookDeliveries(%d, %d): %v", tenantID, webhookID, err)
	}
	return page.Items
}

// deliveredEvents lists the event ids of a delivery log, oldest first.
func deliveredEvents(ds []crewid.WebhookDelivery) []int64 {
	out := []int64{}
	for i := len(ds) - 1; i >= 0; i-- {
		out = append(out, ds[i].EventID)
	}
	return out
}

func deliveryOf(t testing.TB, s store.Reader, tenantID, webhookID, eventID int64) crewid.WebhookDelivery {
	t.Helper()
	ds := deliveryLog(t, s, tenantID, webhookID, store.DeliveryQuery{EventID: eventID})
	if len(ds) != 1 {
		t.Fatalf("deliveries of event %d to subscription %d: got %d, want 1", eventID, webhookID, len(ds))
	}
	return ds[0]
}

func claimAll(t testing.TB, s store.Store, owner string, now time.Time) []store.DueDelivery {
	t.Helper()
	got, err := s.ClaimDeliveries(ctx(t), owner, now, now.Add(time.Minute), 100)
	if err != nil {
		t.Fatalf("ClaimDeliveries(%s): %v", owner, err)
	}
	return got
}

func claimedIDs(ds []store.DueDelivery) []int64 {
	out := []int64{}
	for _, d := range ds {
		out = append(out, d.Delivery.ID)
	}
	return out
}

func mark(t testing.TB, s store.Store, m store.DeliveryMark) bool {
	t.Helper()
	var ok bool
	update(t, s, func(tx store.Tx) error {
		var err error
		ok, err = tx.MarkDelivery(ctx(t), m)
		return err
	})
	return ok
}

// ---- tests -----------------------------------------------------------------

func testWebhookRoundTrip(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	w := newWebhook(a.ID, "https://hooks.example.com/a", "Employee.Created", "Technician.*")
	update(t, s, func(tx store.Tx) error {
		if err := tx.CreateWebhook(ctx(t), &w); err != nil {
			return err
		}
		// A transaction reads its own writes.
		got, err := tx.Webhook(ctx(t), a.ID, w.ID)
		if err != nil || got.URL != w.URL {
			t.Errorf("Webhook inside the creating transaction: %+v, %v", got, err)
		}
		return nil
	})
	check(t, "created webhook", webhookUTC(w), readWebhook(t, s, a.ID, w.ID))

	// Every field but id, tenant, secret and CreatedOn is replaced.
	changed := w
	changed.URL = "https://hooks.example.com/b"
	changed.Events = []string{"*"}
	changed.Secret = "not-stored"
	changed.Active = false
	changed.DisabledReason = "Deliveries failed for 24 hours."
	changed.ConsecutiveFailures = 7
	changed.FailingSince = fine(time.Hour)
	changed.CreatedOn = fine(time.Hour)
	changed.ModifiedOn = fine(2 * time.Hour)
	update(t, s, func(tx store.Tx) error { return tx.UpdateWebhook(ctx(t), &changed) })
	want := changed
	want.Secret, want.CreatedOn = w.Secret, w.CreatedOn
	check(t, "updated webhook", webhookUTC(want), readWebhook(t, s, a.ID, w.ID))

	// An empty filter reads back as an empty slice, not nil.
	empty := createWebhook(t, s, newWebhook(a.ID, "https://hooks.example.com/none"))
	if got := readWebhook(t, s, a.ID, empty.ID); got.Events == nil {
		t.Errorf("a webhook with no events read back with nil Events")
	}

	_, err := s.Webhook(ctx(t), a.ID, missingID)
	wantNotFound(t, "Webhook(missing)", err)
	missing := newWebhook(a.ID, "https://x.example.com")
	missing.ID = missingID
	err = s.Update(ctx(t), func(tx store.Tx) error { return tx.UpdateWebhook(ctx(t), &missing) })
	wantNotFound(t, "UpdateWebhook(missing)", err)
	err = s.Update(ctx(t), func(tx store.Tx) error { return tx.DeleteWebhook(ctx(t), a.ID, missingID) })
	wantNotFound(t, "DeleteWebhook(missing)", err)
}

func testWebhookList(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	one := createWebhook(t, s, newWebhook(a.ID, "https://One.example.com/hook", "*"))
	two := createWebhook(t, s, newWebhook(a.ID, "https://two.example.com/hook", "*"))
	offW := newWebhook(a.ID, "https://three.example.com/hook", "*")
	offW.Active = false
	off := createWebhook(t, s, offW)
	webhookID := func(w crewid.Webhook) int64 { return w.ID }

	list := func(q store.ListQuery) store.Page[crewid.Webhook] {
		t.Helper()
		if q.PageSize == 0 {
			q.Page, q.PageSize = 1, 50
		}
		p, err := s.Webhooks(ctx(t), a.ID, q)
		if err != nil {
			t.Fatalf("Webhooks: %v", err)
		}
		return p
	}
	checkIDs(t, "active webhooks", []int64{one.ID, two.ID}, pageIDs(list(store.ListQuery{}).Items, webhookID))
	checkIDs(t, "inactive webhooks", []int64{off.ID}, pageIDs(list(store.ListQuery{Active: store.ActiveFalse}).Items, webhookID))
	checkIDs(t, "every webhook", []int64{one.ID, two.ID, off.ID}, pageIDs(list(store.ListQuery{Active: store.ActiveAny}).Items, webhookID))
	// name matches the URL, case-insensitively.
	checkIDs(t, "name=ONE", []int64{one.ID}, pageIDs(list(store.ListQuery{Name: "ONE.example"}).Items, webhookID))
	checkIDs(t, "ids", []int64{two.ID}, pageIDs(list(store.ListQuery{IDs: []int64{two.ID, off.ID}}).Items, webhookID))

	p := list(store.ListQuery{Active: store.ActiveAny, Page: 1, PageSize: 2, IncludeTotal: true})
	checkIDs(t, "page 1 of 2", []int64{one.ID, two.ID}, pageIDs(p.Items, webhookID))
	if !p.HasMore || p.Total != 3 {
		t.Errorf("page 1: hasMore %v total %d, want true and 3", p.HasMore, p.Total)
	}
	p = list(store.ListQuery{Active: store.ActiveAny, Page: 2, PageSize: 2})
	checkIDs(t, "page 2 of 2", []int64{off.ID}, pageIDs(p.Items, webhookID))
	if p.HasMore || p.Total != -1 {
		t.Errorf("page 2: hasMore %v total %d, want false and -1", p.HasMore, p.Total)
	}
	// Secrets are returned with the list, for the delivery side.
	if got := list(store.ListQuery{IDs: []int64{one.ID}}).Items; len(got) != 1 || got[0].Secret != one.Secret {
		t.Errorf("Webhooks did not return the secret: %+v", got)
	}
}

func testWebhookTenantIsolation(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	b := newTenant(t, s, "Bolt")
	hook := createWebhook(t, s, newWebhook(a.ID, "https://a.example.com", "*"))
	ev := appendTyped(t, s, a.ID, "Technician.Created", at(time.Minute))
	bEvent := appendTyped(t, s, b.ID, "Technician.Created", at(time.Minute))

	_, err := s.Webhook(ctx(t), b.ID, hook.ID)
	wantNotFound(t, "Webhook of another tenant", err)
	p, err := s.Webhooks(ctx(t), b.ID, store.ListQuery{Active: store.ActiveAny, Page: 1, PageSize: 50})
	must(t, "Webhooks", err)
	if len(p.Items) != 0 {
		t.Errorf("tenant b lists tenant a's webhooks: %+v", p.Items)
	}
	if got := deliveryLog(t, s, b.ID, hook.ID, store.DeliveryQuery{}); len(got) != 0 {
		t.Errorf("tenant b reads tenant a's delivery log: %+v", got)
	}
	if got := deliveredEvents(deliveryLog(t, s, a.ID, hook.ID, store.DeliveryQuery{})); len(got) != 1 || got[0] != ev.ID {
		t.Errorf("tenant a's log: events %v, want only its own %d (not tenant b's %d)", got, ev.ID, bEvent.ID)
	}

	stolen := hook
	stolen.TenantID = b.ID
	stolen.URL = "https://evil.example.com"
	err = s.Update(ctx(t), func(tx store.Tx) error { return tx.UpdateWebhook(ctx(t), &stolen) })
	wantNotFound(t, "UpdateWebhook through another tenant", err)
	err = s.Update(ctx(t), func(tx store.Tx) error { return tx.DeleteWebhook(ctx(t), b.ID, hook.ID) })
	wantNotFound(t, "DeleteWebhook through another tenant", err)
	err = s.Update(ctx(t), func(tx store.Tx) error {
		_, err := tx.QueueRedeliveries(ctx(t), b.ID, hook.ID, store.Redelivery{EventID: bEvent.ID}, at(time.Hour))
		return err
	})
	wantNotFound(t, "QueueRedeliveries of another tenant's subscription", err)
	err = s.Update(ctx(t), func(tx store.Tx) error {
		_, err := tx.QueueRedeliveries(ctx(t), a.ID, hook.ID, store.Redelivery{EventID: bEvent.ID}, at(time.Hour))
		return err
	})
	wantNotFound(t, "QueueRedeliveries of another tenant's event", err)
	update(t, s, func(tx store.Tx) error { return tx.ParkDeliveries(ctx(t), b.ID, hook.ID, true, at(time.Hour)) })
	if d := deliveryOf(t, s, a.ID, hook.ID, ev.ID); d.NextAttemptOn.IsZero() {
		t.Errorf("ParkDeliveries through another tenant parked tenant a's delivery")
	}
	update(t, s, func(tx store.Tx) error {
		_, _, found, err := tx.CountWebhookAttempts(ctx(t), b.ID, hook.ID, false, 3, at(time.Hour))
		if found {
			t.Errorf("CountWebhookAttempts found another tenant's subscription")
		}
		return err
	})
	check(t, "webhook after the other tenant's attempts", webhookUTC(hook), readWebhook(t, s, a.ID, hook.ID))
}

func testQueueOnAppend(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	b := newTenant(t, s, "Bolt")
	all := createWebhook(t, s, newWebhook(a.ID, "https://all.example.com", "*"))
	techs := createWebhook(t, s, newWebhook(a.ID, "https://techs.example.com", "Technician.*"))
	exact := createWebhook(t, s, newWebhook(a.ID, "https://exact.example.com", "Employee.Created", "Technician.Deleted"))
	offW := newWebhook(a.ID, "https://off.example.com", "*")
	offW.Active = false
	off := createWebhook(t, s, offW)
	other := createWebhook(t, s, newWebhook(b.ID, "https://other.example.com", "*"))
	// "Tech.*" must not match "Technician.Created", nor "Technician" a
	// type "Technician.Created", nor "Employee.Create" "Employee.Created".
	near := createWebhook(t, s, newWebhook(a.ID, "https://near.example.com", "Employee.Create", "Tech.*", "Technician"))

	created := appendTyped(t, s, a.ID, "Technician.Created", at(time.Minute))
	updated := appendTyped(t, s, a.ID, "Technician.Updated", at(2*time.Minute))
	emp := appendTyped(t, s, a.ID, "Employee.Created", at(3*time.Minute))
	deleted := appendTyped(t, s, a.ID, "Technician.Deleted", at(4*time.Minute))
	odd := appendTyped(t, s, a.ID, "Odd Type%\"", at(5*time.Minute))
	appendTyped(t, s, b.ID, "Technician.Created", at(time.Minute))

	for _, tc := range []struct {
		hook crewid.Webhook
		want []int64
	}{
		{all, []int64{created.ID, updated.ID, emp.ID, deleted.ID, odd.ID}},
		{techs, []int64{created.ID, updated.ID, deleted.ID}},
		{exact, []int64{emp.ID, deleted.ID}},
		{off, nil},
		{near, nil},
	} {
		checkIDs(t, "events queued for "+tc.hook.URL, tc.want, deliveredEvents(deliveryLog(t, s, a.ID, tc.hook.ID, store.DeliveryQuery{})))
	}
	if got := deliveryLog(t, s, b.ID, other.ID, store.DeliveryQuery{}); len(got) != 1 {
		t.Errorf("tenant b's subscription: %d deliveries, want 1 (only its own event)", len(got))
	}

	d := deliveryOf(t, s, a.ID, techs.ID, created.ID)
	want := crewid.WebhookDelivery{ID: d.ID, TenantID: a.ID, WebhookID: techs.ID, EventID: created.ID,
		EventType: "Technician.Created", Status: crewid.DeliveryPending, NextAttemptOn: at(time.Minute).UTC(),
		QueuedOn: at(time.Minute).UTC(), CreatedOn: at(time.Minute).UTC()}
	check(t, "queued delivery", want, d)

	// QueuedDeliveries counts what the transaction queued.
	update(t, s, func(tx store.Tx) error {
		if n := tx.QueuedDeliveries(); n != 0 {
			t.Errorf("QueuedDeliveries before any append: %d", n)
		}
		e := crewid.Event{TenantID: a.ID, OccurredOn: at(6 * time.Minute), Type: "Technician.Updated", RecordType: "Technician", RecordID: 2,
			Actor: crewid.Actor{Type: crewid.ActorSystem, Name: "storetest"}}
		if err := tx.AppendEvent(ctx(t), &e); err != nil {
			return err
		}
		if n := tx.QueuedDeliveries(); n != 2 {
			t.Errorf("QueuedDeliveries after an event matching two subscriptions: %d", n)
		}
		e2 := crewid.Event{TenantID: a.ID, OccurredOn: at(6 * time.Minute), Type: "Zone.Created", RecordType: "Zone", RecordID: 2,
			Actor: crewid.Actor{Type: crewid.ActorSystem, Name: "storetest"}}
		if err := tx.AppendEvent(ctx(t), &e2); err != nil {
			return err
		}
		if n := tx.QueuedDeliveries(); n != 3 {
			t.Errorf("QueuedDeliveries after a second event matching one: %d, want 3", n)
		}
		return nil
	})
}

func testQueueRollback(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	hook := createWebhook(t, s, newWebhook(a.ID, "https://all.example.com", "*"))
	err := s.Update(ctx(t), func(tx store.Tx) error {
		e := crewid.Event{TenantID: a.ID, OccurredOn: at(time.Minute), Type: "Technician.Created", RecordType: "Technician", RecordID: 1,
			Actor: crewid.Actor{Type: crewid.ActorSystem, Name: "storetest"}}
		if err := tx.AppendEvent(ctx(t), &e); err != nil {
			return err
		}
		return errRollback
	})
	if err != errRollback {
		t.Fatalf("Update: %v", err)
	}
	if got := deliveryLog(t, s, a.ID, hook.ID, store.DeliveryQuery{}); len(got) != 0 {
		t.Errorf("a rolled-back event left %d deliveries", len(got))
	}
	if got := claimAll(t, s, "node", at(time.Hour)); len(got) != 0 {
		t.Errorf("a rolled-back event left %d deliveries to claim", len(got))
	}
}

func testClaimDeliveries(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	b := newTenant(t, s, "Bolt")
	ha := createWebhook(t, s, newWebhook(a.ID, "https://a.example.com", "*"))
	hb := createWebhook(t, s, newWebhook(b.ID, "https://b.example.com", "*"))
	e1 := appendTyped(t, s, a.ID, "Technician.Created", at(time.Minute))
	e2 := appendTyped(t, s, b.ID, "Employee.Created", at(2*time.Minute))
	e3 := appendTyped(t, s, a.ID, "Technician.Updated", at(3*time.Minute))

	// Nothing is due before it was queued.
	if got := claimAll(t, s, "early", at(30*time.Second)); len(got) != 0 {
		t.Fatalf("claimed %d deliveries before any was due", len(got))
	}
	now := at(150 * time.Second) // e1 and e2 due, e3 not yet
	got := claimAll(t, s, "node-1", now)
	if len(got) != 2 {
		t.Fatalf("claimed %d deliveries, want 2 (of both tenants, oldest due first)", len(got))
	}
	first, second := got[0], got[1]
	if first.Delivery.EventID != e1.ID || second.Delivery.EventID != e2.ID {
		t.Errorf("claimed events %d, %d; want %d, %d", first.Delivery.EventID, second.Delivery.EventID, e1.ID, e2.ID)
	}
	if first.Delivery.Attempts != 1 || first.Delivery.EventType != "Technician.Created" {
		t.Errorf("claimed delivery: attempts %d type %q, want 1 and Technician.Created", first.Delivery.Attempts, first.Delivery.EventType)
	}
	check(t, "claimed subscription", webhookUTC(ha), first.Webhook)
	check(t, "claimed subscription of tenant b", webhookUTC(hb), second.Webhook)
	wantEvent := e1
	wantEvent.OccurredOn = wantEvent.OccurredOn.UTC()
	check(t, "claimed event", wantEvent, first.Event)

	// A live lease keeps them from other workers.
	if again := claimAll(t, s, "node-2", now.Add(20*time.Second)); len(again) != 0 {
		t.Errorf("node-2 claimed %v while node-1's lease was live", claimedIDs(again))
	}
	// A limit is kept.
	later := at(10 * time.Minute)
	one, err := s.ClaimDeliveries(ctx(t), "node-3", later, later.Add(time.Minute), 1)
	must(t, "ClaimDeliveries", err)
	if len(one) != 1 || one[0].Delivery.EventID != e1.ID {
		// The lease of node-1 ended at now+1m: e1 is the oldest due.
		t.Errorf("ClaimDeliveries(limit 1) after the lease ended: %v, want the delivery of event %d", claimedIDs(one), e1.ID)
	} else if one[0].Delivery.Attempts != 2 {
		t.Errorf("a second claim counts a second attempt: %d", one[0].Delivery.Attempts)
	}
	rest := claimAll(t, s, "node-3", later)
	if len(rest) != 2 || rest[0].Delivery.EventID != e2.ID || rest[1].Delivery.EventID != e3.ID {
		t.Errorf("ClaimDeliveries after the limit: %v, want the deliveries of events %d and %d", claimedIDs(rest), e2.ID, e3.ID)
	}
	// node-1 lost its lease to node-3: its result is not recorded.
	if mark(t, s, store.DeliveryMark{ID: first.Delivery.ID, Owner: "node-1", Status: crewid.DeliveryDelivered, Attempts: 1, On: later, Tried: true, StatusCode: 200}) {
		t.Errorf("MarkDelivery by a worker whose lease was taken over succeeded")
	}
	if !mark(t, s, store.DeliveryMark{ID: first.Delivery.ID, Owner: "node-3", Status: crewid.DeliveryDelivered, Attempts: 2, On: later, Tried: true, StatusCode: 204}) {
		t.Errorf("MarkDelivery by the lease holder failed")
	}
	d := deliveryOf(t, s, a.ID, ha.ID, e1.ID)
	if d.Status != crewid.DeliveryDelivered || d.Attempts != 2 || d.LastStatusCode != 204 || !sameTime(d.DeliveredOn, later.UTC()) {
		t.Errorf("delivered delivery: %+v", d)
	}
	// Delivered is final: not claimed again.
	if got := claimAll(t, s, "node-4", at(time.Hour)); len(got) != 2 {
		t.Errorf("after one was delivered, %d deliveries claimable once leases ended, want 2", len(got))
	}
}

func testClaimDeliveriesValidation(t *testing.T, s store.Store) {
	now := at(0)
	for _, tc := range []struct {
		what         string
		owner        string
		until        time.Time
		limit        int
		wantFieldErr string
	}{
		{"no owner", "", now.Add(time.Minute), 10, "owner"},
		{"lease ends at once", "node", now, 10, "leaseUntil"},
		{"zero limit", "node", now.Add(time.Minute), 0, "limit"},
	} {
		_, err := s.ClaimDeliveries(ctx(t), tc.owner, now, tc.until, tc.limit)
		if crewid.CodeOf(err) != crewid.Invalid {
			t.Errorf("ClaimDeliveries with %s: got %s, want an Invalid error", tc.what, describe(err))
		}
	}
	err := s.Update(ctx(t), func(tx store.Tx) error {
		_, err := tx.MarkDelivery(ctx(t), store.DeliveryMark{ID: 1, Owner: "node", Status: "lost"})
		return err
	})
	if crewid.CodeOf(err) != crewid.Invalid {
		t.Errorf("MarkDelivery with an unknown status: got %s, want an Invalid error", describe(err))
	}
}

func testMarkDelivery(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	hook := createWebhook(t, s, newWebhook(a.ID, "https://a.example.com", "*"))
	e1 := appendTyped(t, s, a.ID, "Technician.Created", at(time.Minute))
	e2 := appendTyped(t, s, a.ID, "Technician.Updated", at(time.Minute))
	e3 := appendTyped(t, s, a.ID, "Technician.Deleted", at(time.Minute))
	now := at(2 * time.Minute)
	got := claimAll(t, s, "node", now)
	if len(got) != 3 {
		t.Fatalf("claimed %d, want 3", len(got))
	}
	byEvent := map[int64]crewid.WebhookDelivery{}
	for _, d := range got {
		byEvent[d.Delivery.EventID] = d.Delivery
	}

	// A failed attempt: pending again, due later, with what went wrong.
	retryAt := now.Add(30 * time.Second)
	if !mark(t, s, store.DeliveryMark{ID: byEvent[e1.ID].ID, Owner: "node", Status: crewid.DeliveryPending, Attempts: 1,
		NextAttemptOn: retryAt, On: now, Tried: true, StatusCode: 500, Error: "HTTP 500"}) {
		t.Fatal("MarkDelivery(pending) by the lease holder failed")
	}
	d := deliveryOf(t, s, a.ID, hook.ID, e1.ID)
	if d.Status != crewid.DeliveryPending || d.Attempts != 1 || !sameTime(d.NextAttemptOn, retryAt.UTC()) ||
		d.LastStatusCode != 500 || d.LastError != "HTTP 500" {
		t.Errorf("delivery after a failed attempt: %+v", d)
	}
	// The lease is released: the mark cannot be made twice by the owner,
	// and another worker claims the delivery when it is due.
	if mark(t, s, store.DeliveryMark{ID: byEvent[e1.ID].ID, Owner: "node", Status: crewid.DeliveryDelivered, Attempts: 1, On: now}) {
		t.Errorf("MarkDelivery succeeded twice on one lease")
	}
	if early := claimAll(t, s, "other", now.Add(10*time.Second)); len(early) != 0 {
		t.Errorf("claimed %v before the retry was due", claimedIDs(early))
	}

	// Given back untried: the last status and error stay.
	if !mark(t, s, store.DeliveryMark{ID: byEvent[e2.ID].ID, Owner: "node", Status: crewid.DeliveryPending, Attempts: 0,
		NextAttemptOn: now, On: now, Tried: false, StatusCode: 999, Error: "ignored"}) {
		t.Fatal("MarkDelivery(given back) failed")
	}
	d = deliveryOf(t, s, a.ID, hook.ID, e2.ID)
	if d.Attempts != 0 || d.LastStatusCode != 0 || d.LastError != "" {
		t.Errorf("delivery given back untried: %+v", d)
	}

	// Given up on.
	if !mark(t, s, store.DeliveryMark{ID: byEvent[e3.ID].ID, Owner: "node", Status: crewid.DeliveryFailed, Attempts: 1,
		On: now, Tried: true, Error: "connection refused"}) {
		t.Fatal("MarkDelivery(failed) failed")
	}
	d = deliveryOf(t, s, a.ID, hook.ID, e3.ID)
	if d.Status != crewid.DeliveryFailed || d.LastError != "connection refused" || d.LastStatusCode != 0 {
		t.Errorf("failed delivery: %+v", d)
	}

	// Parked by its worker: never due until the subscription is resumed.
	again := claimAll(t, s, "node", retryAt)
	if len(again) != 2 {
		t.Fatalf("claimed %v at the retry time, want the deliveries of events %d and %d", claimedIDs(again), e1.ID, e2.ID)
	}
	for _, c := range again {
		if !mark(t, s, store.DeliveryMark{ID: c.Delivery.ID, Owner: "node", Status: crewid.DeliveryPending, Attempts: c.Delivery.Attempts - 1, Park: true, On: retryAt}) {
			t.Fatal("MarkDelivery(park) failed")
		}
	}
	if d := deliveryOf(t, s, a.ID, hook.ID, e1.ID); !d.NextAttemptOn.IsZero() || d.Status != crewid.DeliveryPending {
		t.Errorf("parked delivery: %+v, want pending with no next attempt", d)
	}
	if got := claimAll(t, s, "node", at(1000*time.Hour)); len(got) != 0 {
		t.Errorf("claimed %v parked deliveries", claimedIDs(got))
	}
}

func testParkDeliveries(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	hook := createWebhook(t, s, newWebhook(a.ID, "https://a.example.com", "*"))
	keep := createWebhook(t, s, newWebhook(a.ID, "https://keep.example.com", "*"))
	e1 := appendTyped(t, s, a.ID, "Technician.Created", at(time.Minute))
	e2 := appendTyped(t, s, a.ID, "Technician.Updated", at(2*time.Minute))

	// One delivery is under a live lease: parking leaves it to its worker.
	now := at(90 * time.Second)
	leased := claimAll(t, s, "node", now)
	if len(leased) != 2 {
		t.Fatalf("claimed %d, want the two deliveries of event %d", len(leased), e1.ID)
	}
	update(t, s, func(tx store.Tx) error { return tx.ParkDeliveries(ctx(t), a.ID, hook.ID, true, now) })
	if d := deliveryOf(t, s, a.ID, hook.ID, e2.ID); !d.NextAttemptOn.IsZero() {
		t.Errorf("ParkDeliveries(park) left the delivery of event %d due at %v", e2.ID, d.NextAttemptOn)
	}
	if d := deliveryOf(t, s, a.ID, hook.ID, e1.ID); d.NextAttemptOn.IsZero() {
		t.Errorf("ParkDeliveries(park) parked a delivery under a live lease")
	}
	if d := deliveryOf(t, s, a.ID, keep.ID, e2.ID); d.NextAttemptOn.IsZero() {
		t.Errorf("ParkDeliveries parked another subscription's delivery")
	}
	later := at(time.Hour)
	for _, c := range claimAll(t, s, "node-2", later) {
		if c.Delivery.WebhookID == hook.ID && c.Delivery.EventID == e2.ID {
			t.Errorf("a parked delivery was claimed")
		}
	}

	// Resuming makes every pending delivery due and queued at now.
	resume := at(2 * time.Hour)
	update(t, s, func(tx store.Tx) error { return tx.ParkDeliveries(ctx(t), a.ID, hook.ID, false, resume) })
	for _, e := range []crewid.Event{e1, e2} {
		d := deliveryOf(t, s, a.ID, hook.ID, e.ID)
		if !sameTime(d.NextAttemptOn, resume.UTC()) || !sameTime(d.QueuedOn, resume.UTC()) {
			t.Errorf("resumed delivery of event %d: next %v queued %v, want both %v", e.ID, d.NextAttemptOn, d.QueuedOn, resume.UTC())
		}
	}
	got := claimAll(t, s, "node-3", resume)
	var mine int
	for _, c := range got {
		if c.Delivery.WebhookID == hook.ID {
			mine++
		}
	}
	if mine != 2 {
		t.Errorf("after resuming, %d of the subscription's deliveries were claimed, want 2", mine)
	}
}

func testRedeliverEvent(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	hook := createWebhook(t, s, newWebhook(a.ID, "https://a.example.com", "Technician.*"))
	e1 := appendTyped(t, s, a.ID, "Technician.Created", at(time.Minute))
	emp := appendTyped(t, s, a.ID, "Employee.Created", at(2*time.Minute))
	now := at(3 * time.Minute)
	c := claimAll(t, s, "node", now)
	if len(c) != 1 {
		t.Fatalf("claimed %d, want 1", len(c))
	}
	mark(t, s, store.DeliveryMark{ID: c[0].Delivery.ID, Owner: "node", Status: crewid.DeliveryDelivered, Attempts: 1, On: now, Tried: true, StatusCode: 200})

	redo := at(time.Hour)
	redeliver := func(r store.Redelivery) (int, int, error) {
		var n, queued int
		err := s.Update(ctx(t), func(tx store.Tx) error {
			var err error
			n, err = tx.QueueRedeliveries(ctx(t), a.ID, hook.ID, r, redo)
			queued = tx.QueuedDeliveries()
			return err
		})
		return n, queued, err
	}
	n, queued, err := redeliver(store.Redelivery{EventID: e1.ID})
	must(t, "QueueRedeliveries(event)", err)
	if n != 1 || queued != 1 {
		t.Errorf("QueueRedeliveries(event) = %d (QueuedDeliveries %d), want 1", n, queued)
	}
	d := deliveryOf(t, s, a.ID, hook.ID, e1.ID)
	if d.ID != c[0].Delivery.ID || d.Status != crewid.DeliveryPending || d.Attempts != 0 || !d.DeliveredOn.IsZero() ||
		!sameTime(d.NextAttemptOn, redo.UTC()) || !sameTime(d.QueuedOn, redo.UTC()) {
		t.Errorf("redelivered delivery (the same row, reset): %+v", d)
	}
	// An event the subscription never had gets a delivery of its own.
	n, _, err = redeliver(store.Redelivery{EventID: emp.ID})
	must(t, "QueueRedeliveries(event never delivered)", err)
	if n != 1 {
		t.Errorf("QueueRedeliveries(event never delivered) = %d, want 1", n)
	}
	if got := deliveryLog(t, s, a.ID, hook.ID, store.DeliveryQuery{}); len(got) != 2 {
		t.Errorf("log after two redeliveries: %d deliveries, want 2 (one per event)", len(got))
	}
	_, _, err = redeliver(store.Redelivery{EventID: missingID})
	wantNotFound(t, "QueueRedeliveries(missing event)", err)
	err = s.Update(ctx(t), func(tx store.Tx) error {
		_, err := tx.QueueRedeliveries(ctx(t), a.ID, missingID, store.Redelivery{EventID: e1.ID}, redo)
		return err
	})
	wantNotFound(t, "QueueRedeliveries(missing subscription)", err)
}

func testRedeliverRange(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	hook := createWebhook(t, s, newWebhook(a.ID, "https://a.example.com", "Employee.Created", "Technician.*"))
	var evs []crewid.Event
	for i, typ := range []string{"Technician.Created", "Employee.Created", "Zone.Created", "Technician.Updated", "Employee.Updated", "Technician.Deleted"} {
		evs = append(evs, appendTyped(t, s, a.ID, typ, at(time.Duration(i+1)*time.Minute)))
	}
	// Everything is delivered.
	now := at(time.Hour)
	for _, c := range claimAll(t, s, "node", now) {
		mark(t, s, store.DeliveryMark{ID: c.Delivery.ID, Owner: "node", Status: crewid.DeliveryDelivered, Attempts: 1, On: now, Tried: true, StatusCode: 200})
	}

	redo := at(2 * time.Hour)
	redeliver := func(r store.Redelivery) (int, error) {
		var n int
		err := s.Update(ctx(t), func(tx store.Tx) error {
			var err error
			n, err = tx.QueueRedeliveries(ctx(t), a.ID, hook.ID, r, redo)
			return err
		})
		return n, err
	}
	// [2m, 5m): Employee.Created, Zone.Created, Technician.Updated; the
	// filter keeps two of them.
	n, err := redeliver(store.Redelivery{OccurredOnOrAfter: at(2 * time.Minute), OccurredBefore: at(5 * time.Minute), Max: 10})
	must(t, "QueueRedeliveries(range)", err)
	if n != 2 {
		t.Errorf("QueueRedeliveries(range) = %d, want 2", n)
	}
	pending := deliveryLog(t, s, a.ID, hook.ID, store.DeliveryQuery{Status: crewid.DeliveryPending})
	checkIDs(t, "redelivered events", []int64{evs[1].ID, evs[3].ID}, deliveredEvents(pending))

	// A range holding more than Max events queues nothing.
	_, err = redeliver(store.Redelivery{Max: 3})
	if crewid.CodeOf(err) != crewid.Invalid {
		t.Errorf("QueueRedeliveries(open range, Max 3 of 4 matching): got %s, want an Invalid error", describe(err))
	}
	if got := deliveryLog(t, s, a.ID, hook.ID, store.DeliveryQuery{Status: crewid.DeliveryPending}); len(got) != 2 {
		t.Errorf("a refused range changed the log: %d pending, want 2", len(got))
	}
	// Open bounds, no limit: every matching event.
	n, err = redeliver(store.Redelivery{})
	must(t, "QueueRedeliveries(everything)", err)
	if n != 4 {
		t.Errorf("QueueRedeliveries(everything) = %d, want 4", n)
	}
	// A range without matching events is not an error.
	n, err = redeliver(store.Redelivery{OccurredOnOrAfter: at(100 * time.Hour)})
	if err != nil || n != 0 {
		t.Errorf("QueueRedeliveries(empty range) = %d, %v; want 0, nil", n, err)
	}
}

func testDeliveryLog(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	hook := createWebhook(t, s, newWebhook(a.ID, "https://a.example.com", "*"))
	var evs []crewid.Event
	for i := range 5 {
		evs = append(evs, appendTyped(t, s, a.ID, fmt.Sprintf("Zone.Step%d", i), at(time.Duration(i+1)*time.Minute)))
	}
	now := at(time.Hour)
	for _, c := range claimAll(t, s, "node", now) {
		if c.Delivery.EventID == evs[1].ID || c.Delivery.EventID == evs[3].ID {
			mark(t, s, store.DeliveryMark{ID: c.Delivery.ID, Owner: "node", Status: crewid.DeliveryDelivered, Attempts: 1, On: now, Tried: true, StatusCode: 200})
		} else {
			mark(t, s, store.DeliveryMark{ID: c.Delivery.ID, Owner: "node", Status: crewid.DeliveryFailed, Attempts: 1, On: now, Tried: true, StatusCode: 410, Error: "HTTP 410"})
		}
	}
	all := deliveryLog(t, s, a.ID, hook.ID, store.DeliveryQuery{})
	checkIDs(t, "log (oldest first)", []int64{evs[0].ID, evs[1].ID, evs[2].ID, evs[3].ID, evs[4].ID}, deliveredEvents(all))
	for i := 1; i < len(all); i++ {
		if all[i].ID >= all[i-1].ID {
			t.Errorf("the log is not newest first: %d before %d", all[i-1].ID, all[i].ID)
		}
	}
	if all[0].EventType != "Zone.Step4" {
		t.Errorf("log entry event type %q, want Zone.Step4", all[0].EventType)
	}
	checkIDs(t, "delivered", []int64{evs[1].ID, evs[3].ID}, deliveredEvents(deliveryLog(t, s, a.ID, hook.ID, store.DeliveryQuery{Status: crewid.DeliveryDelivered})))
	checkIDs(t, "failed", []int64{evs[0].ID, evs[2].ID, evs[4].ID}, deliveredEvents(deliveryLog(t, s, a.ID, hook.ID, store.DeliveryQuery{Status: crewid.DeliveryFailed})))
	checkIDs(t, "by event", []int64{evs[2].ID}, deliveredEvents(deliveryLog(t, s, a.ID, hook.ID, store.DeliveryQuery{EventID: evs[2].ID})))

	page, err := s.WebhookDeliveries(ctx(t), a.ID, hook.ID, store.DeliveryQuery{Page: 2, PageSize: 2, IncludeTotal: true})
	must(t, "WebhookDeliveries(page 2)", err)
	checkIDs(t, "page 2 of the log", []int64{evs[1].ID, evs[2].ID}, deliveredEvents(page.Items))
	if !page.HasMore || page.Total != 5 {
		t.Errorf("page 2: hasMore %v total %d, want true and 5", page.HasMore, page.Total)
	}
}

func testCountWebhookAttempts(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	hook := createWebhook(t, s, newWebhook(a.ID, "https://a.example.com", "*"))
	count := func(reset bool, failures int, now time.Time) (int, time.Time, bool) {
		var n int
		var since time.Time
		var found bool
		update(t, s, func(tx store.Tx) error {
			var err error
			n, since, found, err = tx.CountWebhookAttempts(ctx(t), a.ID, hook.ID, reset, failures, now)
			return err
		})
		return n, since, found
	}
	if n, since, found := count(true, 0, at(0)); n != 0 || !since.IsZero() || !found {
		t.Errorf("success of a healthy subscription: %d, %v, %v", n, since, found)
	}
	if n, since, found := count(false, 2, at(time.Minute)); n != 2 || !sameTime(since, at(time.Minute).UTC()) || !found {
		t.Errorf("first failures: %d since %v (found %v), want 2 since %v", n, since, found, at(time.Minute).UTC())
	}
	// The streak keeps its start.
	if n, since, _ := count(false, 3, at(time.Hour)); n != 5 || !sameTime(since, at(time.Minute).UTC()) {
		t.Errorf("more failures: %d since %v, want 5 since %v", n, since, at(time.Minute).UTC())
	}
	w := readWebhook(t, s, a.ID, hook.ID)
	if w.ConsecutiveFailures != 5 || !sameTime(w.FailingSince, at(time.Minute).UTC()) {
		t.Errorf("stored streak: %d since %v", w.ConsecutiveFailures, w.FailingSince)
	}
	// A success with failures after it starts a new streak at now.
	if n, since, _ := count(true, 1, at(2*time.Hour)); n != 1 || !sameTime(since, at(2*time.Hour).UTC()) {
		t.Errorf("success then a failure: %d since %v, want 1 since %v", n, since, at(2*time.Hour).UTC())
	}
	if n, since, _ := count(true, 0, at(3*time.Hour)); n != 0 || !since.IsZero() {
		t.Errorf("success: %d since %v, want 0 and zero", n, since)
	}
	if w := readWebhook(t, s, a.ID, hook.ID); w.ConsecutiveFailures != 0 || !w.FailingSince.IsZero() {
		t.Errorf("stored streak after a success: %d since %v", w.ConsecutiveFailures, w.FailingSince)
	}
	update(t, s, func(tx store.Tx) error {
		for _, reset := range []bool{true, false} {
			_, _, found, err := tx.CountWebhookAttempts(ctx(t), a.ID, missingID, reset, 1, at(0))
			if err != nil || found {
				t.Errorf("CountWebhookAttempts(missing, reset %v): found %v, %v", reset, found, err)
			}
		}
		_, _, found, err := tx.CountWebhookAttempts(ctx(t), a.ID, missingID, true, 0, at(0))
		if err != nil || found {
			t.Errorf("CountWebhookAttempts(missing, success): found %v, %v", found, err)
		}
		return nil
	})
	err := s.Update(ctx(t), func(tx store.Tx) error {
		_, _, _, err := tx.CountWebhookAttempts(ctx(t), a.ID, hook.ID, false, -1, at(0))
		return err
	})
	if crewid.CodeOf(err) != crewid.Invalid {
		t.Errorf("CountWebhookAttempts(-1 failures): got %s, want an Invalid error", describe(err))
	}
}

func testDeleteWebhook(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	gone := createWebhook(t, s, newWebhook(a.ID, "https://gone.example.com", "*"))
	keep := createWebhook(t, s, newWebhook(a.ID, "https://keep.example.com", "*"))
	e := appendTyped(t, s, a.ID, "Technician.Created", at(time.Minute))
	now := at(2 * time.Minute)
	claimed := claimAll(t, s, "node", now)
	if len(claimed) != 2 {
		t.Fatalf("claimed %d, want 2", len(claimed))
	}
	update(t, s, func(tx store.Tx) error { return tx.DeleteWebhook(ctx(t), a.ID, gone.ID) })
	_, err := s.Webhook(ctx(t), a.ID, gone.ID)
	wantNotFound(t, "Webhook after DeleteWebhook", err)
	if got := deliveryLog(t, s, a.ID, gone.ID, store.DeliveryQuery{}); len(got) != 0 {
		t.Errorf("deliveries of a deleted subscription remain: %d", len(got))
	}
	// Its worker's result goes nowhere, and is not an error.
	for _, c := range claimed {
		ok := mark(t, s, store.DeliveryMark{ID: c.Delivery.ID, Owner: "node", Status: crewid.DeliveryDelivered, Attempts: 1, On: now, Tried: true, StatusCode: 200})
		if c.Delivery.WebhookID == gone.ID && ok {
			t.Errorf("MarkDelivery of a deleted subscription's delivery reported success")
		}
	}
	if d := deliveryOf(t, s, a.ID, keep.ID, e.ID); d.Status != crewid.DeliveryDelivered {
		t.Errorf("the other subscription's delivery: %+v", d)
	}
	// New events no longer go to it.
	appendTyped(t, s, a.ID, "Technician.Updated", at(3*time.Minute))
	if got := deliveryLog(t, s, a.ID, gone.ID, store.DeliveryQuery{}); len(got) != 0 {
		t.Errorf("a deleted subscription got new deliveries: %d", len(got))
	}
}

func testDeliveryOfPrunedEvent(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	hook := createWebhook(t, s, newWebhook(a.ID, "https://a.example.com", "*"))
	old := appendTyped(t, s, a.ID, "Technician.Created", at(time.Minute))
	appendTyped(t, s, a.ID, "Technician.Updated", at(48*time.Hour))
	update(t, s, func(tx store.Tx) error {
		_, err := tx.PruneEvents(ctx(t), a.ID, at(24*time.Hour), 100)
		return err
	})
	got := claimAll(t, s, "node", at(time.Hour))
	if len(got) != 1 || got[0].Delivery.EventID != old.ID {
		t.Fatalf("claimed %v, want the delivery of the pruned event %d", claimedIDs(got), old.ID)
	}
	if got[0].Event.ID != 0 || got[0].Delivery.EventType != "" {
		t.Errorf("the claim of a pruned event's delivery has event %d type %q, want none", got[0].Event.ID, got[0].Delivery.EventType)
	}
	if got[0].Webhook.ID != hook.ID {
		t.Errorf("claimed subscription %d, want %d", got[0].Webhook.ID, hook.ID)
	}
}

func testConcurrentDeliveryClaims(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	b := newTenant(t, s, "Bolt")
	for _, tid := range []int64{a.ID, b.ID} {
		for i := range 3 {
			createWebhook(t, s, newWebhook(tid, fmt.Sprintf("https://h%d.example.com", i), "*"))
		}
	}
	const events = 50 // 50 events × 3 subscriptions each
	for i := range events {
		tid := a.ID
		if i%2 == 0 {
			tid = b.ID
		}
		appendTyped(t, s, tid, "Technician.Updated", at(time.Duration(i%7)*time.Second))
	}
	now := at(time.Minute)
	until := now.Add(time.Hour)
	const workers = 6
	var (
		mu     sync.Mutex
		owners = map[int64][]string{}
		wg     sync.WaitGroup
		start  = make(chan struct{})
		errs   = make(chan error, workers)
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			owner := fmt.Sprintf("node-%d", w)
			<-start
			for {
				got, err := s.ClaimDeliveries(ctx(t), owner, now, until, 1+w*3)
				if err != nil {
					errs <- fmt.Errorf("%s: ClaimDeliveries: %w", owner, err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, d := range got {
					owners[d.Delivery.ID] = append(owners[d.Delivery.ID], owner)
				}
				mu.Unlock()
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(owners) != events*3 {
		t.Errorf("%d distinct deliveries claimed, want %d", len(owners), events*3)
	}
	for id, who := range owners {
		if len(who) != 1 {
			t.Errorf("delivery %d was leased to %v, want exactly one worker", id, who)
		}
	}
	// Every holder records its result at once.
	var mwg sync.WaitGroup
	for id, who := range owners {
		mwg.Add(1)
		go func() {
			defer mwg.Done()
			err := s.Update(ctx(t), func(tx store.Tx) error {
				ok, err := tx.MarkDelivery(ctx(t), store.DeliveryMark{ID: id, Owner: who[0], Status: crewid.DeliveryDelivered,
					Attempts: 1, On: now, Tried: true, StatusCode: 200})
				if err == nil && !ok {
					err = fmt.Errorf("not marked")
				}
				return err
			})
			if err != nil {
				t.Errorf("MarkDelivery(%d) by %s: %v", id, who[0], err)
			}
		}()
	}
	mwg.Wait()
	if left := claimAll(t, s, "late", at(2*time.Hour)); len(left) != 0 {
		t.Errorf("%d deliveries still claimable after every one was delivered", len(left))
	}
}

func testMarkDeliveries(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	hook := createWebhook(t, s, newWebhook(a.ID, "https://a.example.com", "*"))
	var evs []crewid.Event
	for i := range 5 {
		evs = append(evs, appendTyped(t, s, a.ID, fmt.Sprintf("Zone.Step%d", i), at(time.Minute)))
	}
	now := at(2 * time.Minute)
	claimed := claimAll(t, s, "node", now)
	if len(claimed) != 5 {
		t.Fatalf("claimed %d, want 5", len(claimed))
	}
	id := map[int64]int64{}
	for _, c := range claimed {
		id[c.Delivery.EventID] = c.Delivery.ID
	}
	retry := now.Add(30 * time.Second) // within the claim's one-minute lease
	marks := []store.DeliveryMark{
		{ID: id[evs[0].ID], Owner: "node", Status: crewid.DeliveryDelivered, Attempts: 1, On: now, Tried: true, StatusCode: 204},
		{ID: id[evs[1].ID], Owner: "node", Status: crewid.DeliveryPending, Attempts: 1, NextAttemptOn: retry, On: now, Tried: true, StatusCode: 502, Error: "HTTP 502"},
		{ID: id[evs[2].ID], Owner: "node", Status: crewid.DeliveryFailed, Attempts: 1, On: now, Tried: true, Error: "gave up"},
		{ID: id[evs[3].ID], Owner: "node", Status: crewid.DeliveryPending, Attempts: 0, Park: true, On: now, StatusCode: 999, Error: "not kept"},
		// Not recorded: another owner, no owner, no such delivery.
		{ID: id[evs[4].ID], Owner: "other", Status: crewid.DeliveryDelivered, Attempts: 1, On: now, Tried: true, StatusCode: 200},
		{ID: id[evs[4].ID], Owner: "", Status: crewid.DeliveryDelivered, Attempts: 1, On: now, Tried: true, StatusCode: 200},
		{ID: missingID, Owner: "node", Status: crewid.DeliveryDelivered, Attempts: 1, On: now, Tried: true, StatusCode: 200},
	}
	var n int
	update(t, s, func(tx store.Tx) error {
		var err error
		n, err = tx.MarkDeliveries(ctx(t), marks)
		return err
	})
	if n != 4 {
		t.Errorf("MarkDeliveries recorded %d, want 4", n)
	}
	d := deliveryOf(t, s, a.ID, hook.ID, evs[0].ID)
	if d.Status != crewid.DeliveryDelivered || !sameTime(d.DeliveredOn, now.UTC()) || d.LastStatusCode != 204 || d.Attempts != 1 {
		t.Errorf("delivered: %+v", d)
	}
	d = deliveryOf(t, s, a.ID, hook.ID, evs[1].ID)
	if d.Status != crewid.DeliveryPending || !sameTime(d.NextAttemptOn, retry.UTC()) || d.LastStatusCode != 502 || d.LastError != "HTTP 502" {
		t.Errorf("retry: %+v", d)
	}
	d = deliveryOf(t, s, a.ID, hook.ID, evs[2].ID)
	if d.Status != crewid.DeliveryFailed || d.LastError != "gave up" || !d.DeliveredOn.IsZero() {
		t.Errorf("failed: %+v", d)
	}
	d = deliveryOf(t, s, a.ID, hook.ID, evs[3].ID)
	if d.Status != crewid.DeliveryPending || !d.NextAttemptOn.IsZero() || d.Attempts != 0 || d.LastStatusCode != 0 || d.LastError != "" {
		t.Errorf("parked untried: %+v", d)
	}
	d = deliveryOf(t, s, a.ID, hook.ID, evs[4].ID)
	if d.Status != crewid.DeliveryPending || d.LastStatusCode != 0 {
		t.Errorf("a mark by another owner was recorded: %+v", d)
	}
	// The leases of the recorded ones are released: the retry is claimed
	// when due, the last one (still leased to node) is not.
	got := claimAll(t, s, "node-2", retry)
	checkIDs(t, "claimed after the marks", []int64{id[evs[1].ID]}, claimedIDs(got))

	// Many at once, past one statement's batch.
	for i := range 230 {
		appendTyped(t, s, a.ID, "Zone.Bulk", at(time.Duration(i)*time.Millisecond+3*time.Minute))
	}
	bulk := claimAll(t, s, "bulk", at(time.Hour))
	for len(bulk) < 230 {
		more := claimAll(t, s, "bulk", at(time.Hour))
		if len(more) == 0 {
			break
		}
		bulk = append(bulk, more...)
	}
	var all []store.DeliveryMark
	for _, c := range bulk {
		if c.Delivery.EventType == "Zone.Bulk" {
			all = append(all, store.DeliveryMark{ID: c.Delivery.ID, Owner: "bulk", Status: crewid.DeliveryDelivered,
				Attempts: c.Delivery.Attempts, On: at(time.Hour), Tried: true, StatusCode: 200})
		}
	}
	update(t, s, func(tx store.Tx) error {
		var err error
		n, err = tx.MarkDeliveries(ctx(t), all)
		return err
	})
	if n != 230 || len(all) != 230 {
		t.Errorf("MarkDeliveries of %d: recorded %d, want 230", len(all), n)
	}
	err := s.Update(ctx(t), func(tx store.Tx) error {
		_, err := tx.MarkDeliveries(ctx(t), []store.DeliveryMark{{ID: 1, Owner: "x", Status: "lost"}})
		return err
	})
	if crewid.CodeOf(err) != crewid.Invalid {
		t.Errorf("MarkDeliveries with an unknown status: got %s, want an Invalid error", describe(err))
	}
}
