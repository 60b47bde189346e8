package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"crewid"
	"crewid/server/servertest"
	"crewid/store"
	"crewid/store/sqlite"
)

// The outbox shows a delivery error while it matters: beside a message
// still being retried or given up on, not beside one sent after a retry.
func TestOutboxShowsOnlyLiveErrors(t *testing.T) {
	env := servertest.Start(t, sqlite.OpenTest(t))
	addAdmin(t, env)
	now := time.Now().UTC()
	msgs := []crewid.Message{
		{Recipient: "sent@acme.test", Status: crewid.MessageSent, Attempts: 2, LastError: "dial failed: connection refused", SentOn: now},
		{Recipient: "retrying@acme.test", Status: crewid.MessagePending, Attempts: 1, LastError: "dial failed: timeout", NextAttemptOn: now.Add(time.Minute)},
		{Recipient: "failed@acme.test", Status: crewid.MessageFailed, Attempts: 8, LastError: "550 mailbox unavailable"},
	}
	if err := env.Store.Update(context.Background(), func(tx store.Tx) error {
		for i := range msgs {
			m := &msgs[i]
			m.TenantID, m.Channel, m.Subject, m.Body, m.CreatedOn = env.Tenant.ID, crewid.ChannelEmail, "Hello", "Hello", now
			if err := tx.EnqueueMessage(context.Background(), m); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, env.URL)
	b.signIn("ada", adminPassword)
	status, body := b.get("/settings/outbox")
	if status != http.StatusOK {
		t.Fatalf("outbox: %d", status)
	}
	row := func(recipient string) string {
		i := strings.Index(body, `data-recipient="`+recipient+`"`)
		if i < 0 {
			t.Fatalf("no row for %s", recipient)
		}
		rest := body[i:]
		return rest[:strings.Index(rest, "</tr>")]
	}
	if r := row("sent@acme.test"); strings.Contains(r, "dial failed") || !strings.Contains(r, ">sent<") {
		t.Errorf("the sent message's row: %s", r)
	}
	if r := row("retrying@acme.test"); !strings.Contains(r, "pending <span class=\"muted\">(dial failed: timeout)</span>") {
		t.Errorf("the retried message's row lacks its error: %s", r)
	}
	if r := row("failed@acme.test"); !strings.Contains(r, "(550 mailbox unavailable)") {
		t.Errorf("the failed message's row lacks its error: %s", r)
	}
	// The store keeps the sent message's error all the same.
	got, err := env.Store.Messages(context.Background(), env.Tenant.ID, store.MessageQuery{Recipient: "sent@acme.test"})
	if err != nil || len(got) != 1 || got[0].LastError == "" {
		t.Fatalf("stored sent message: %v %+v", err, got)
	}
}

// Pages name an icon, and /favicon.ico, which browsers ask for anyway,
// answers with it instead of a 404.
func TestFavicon(t *testing.T) {
	env := servertest.Start(t, sqlite.OpenTest(t))
	b := newBrowser(t, env.URL)
	_, body := b.get("/signin")
	href := extract(t, body, `<link rel="icon" href="([^"]+)" type="image/svg\+xml">`)
	for _, path := range []string{href, "/favicon.ico"} {
		resp, err := http.Get(env.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		var head [64]byte
		n, _ := resp.Body.Read(head[:])
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(string(head[:n]), "<svg") {
			t.Errorf("GET %s: %d %q %q", path, resp.StatusCode, resp.Header.Get("Content-Type"), head[:n])
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("GET %s: CSP %q", path, csp)
		}
	}
}
