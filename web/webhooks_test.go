package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"crewid"
	"crewid/access"
	"crewid/server/servertest"
	"crewid/store"
	"crewid/store/sqlite"
)

// receiver counts the deliveries it is sent and answers each with status.
type receiver struct {
	*httptest.Server
	got    atomic.Int32
	status atomic.Int32
}

func newReceiver(t testing.TB) *receiver {
	rc := &receiver{}
	rc.status.Store(http.StatusOK)
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.got.Add(1)
		w.WriteHeader(int(rc.status.Load()))
	}))
	t.Cleanup(rc.Close)
	return rc
}

// waitFor polls cond for a few seconds.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var webhookSecretPattern = regexp.MustCompile(`id="webhook-secret">([^<]+)<`)

// A webhook made in the console delivers, its log shows the delivery, one
// event is redelivered, and the subscription is edited and deleted.
func TestWebhookDeliveryLog(t *testing.T) {
	env := servertest.Start(t, sqlite.OpenTest(t), servertest.WithPrivateWebhooks())
	env.RunWebhooks(t, 100*time.Millisecond)
	addAdmin(t, env)
	rc := newReceiver(t)
	b := newBrowser(t, env.URL)
	b.signIn("ada", adminPassword)
	b.get("/settings/webhooks/new")
	status, body := b.post("/settings/webhooks/new", url.Values{"url": {rc.URL + "/events"}, "events": {"Technician.*\nEmployee.Created"}})
	m := webhookSecretPattern.FindStringSubmatch(body)
	if status != http.StatusOK || m == nil {
		t.Fatalf("create webhook: %d\n%s", status, body)
	}
	mustContain(t, body, "shown only on this page", "Employee.Created, Technician.*")
	page, err := env.Store.Webhooks(context.Background(), env.Tenant.ID, store.ListQuery{Active: store.ActiveAny, PageSize: 10})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("webhooks: %v %d", err, len(page.Items))
	}
	hook := page.Items[0]
	_, body = b.get("/settings/webhooks")
	mustContain(t, body, rc.URL+"/events", "Active")
	if strings.Contains(body, m[1]) {
		t.Fatal("the list shows the secret")
	}

	tech := addPerson(t, env, crewid.KindTechnician, "Tom Tech", "tom@acme.test", access.KeyTechnician, "", "")
	path := "/settings/webhooks/" + itoa(hook.ID)
	waitFor(t, "the delivery", func() bool {
		_, body = b.get(path + "?status=delivered")
		return strings.Contains(body, `class="delivery-status">delivered<`)
	})
	if strings.Contains(body, m[1]) {
		t.Fatal("the subscription's page shows the secret")
	}
	mustContain(t, body, "Technician.Created", "HTTP 200")
	events, err := env.Store.Events(context.Background(), env.Tenant.ID, store.EventQuery{RecordType: "Technician", RecordID: tech.ID})
	if err != nil || len(events) != 1 {
		t.Fatalf("events: %v %d", err, len(events))
	}
	status, body = b.post(path+"/redeliver", url.Values{"eventId": {itoa(events[0].ID)}})
	if status != http.StatusOK {
		t.Fatalf("redeliver: %d", status)
	}
	mustContain(t, body, "is queued for delivery again")
	waitFor(t, "the redelivery", func() bool { return rc.got.Load() >= 2 })
	if status, _ := b.post(path+"/redeliver", url.Values{"eventId": {"x"}}); status != http.StatusBadRequest {
		t.Fatalf("redeliver nonsense: %d", status)
	}

	status, body = b.post(path, url.Values{"url": {rc.URL + "/v2"}, "events": {"*"}})
	if status != http.StatusOK {
		t.Fatalf("edit: %d", status)
	}
	mustContain(t, body, "The webhook was saved.", `id="webhook-status">Disabled`)
	if got, _ := env.Store.Webhook(context.Background(), env.Tenant.ID, hook.ID); got.Active || got.URL != rc.URL+"/v2" || strings.Join(got.Events, ",") != "*" {
		t.Fatalf("edited webhook: %+v", got)
	}
	status, body = b.post(path+"/delete", url.Values{})
	if status != http.StatusOK {
		t.Fatalf("delete: %d", status)
	}
	mustContain(t, body, "was deleted", "No subscriptions.")
}
