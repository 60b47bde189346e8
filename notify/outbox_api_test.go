package notify_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"crewid"
	"crewid/server/servertest"
)

// TestLocalOutboxAPI: with no provider configured, invitations land in the
// local outbox, read through GET /settings/v2/tenant/{tenant}/outbox.
func TestLocalOutboxAPI(t *testing.T) {
	t.Parallel()
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		t.Parallel()
		env := servertest.Start(t, b.Open(t))
		if env.Server.Notify != nil {
			t.Fatal("a server without senders has an outbox worker")
		}
		w := &world{env: env, auth: env.Authorize(t, env.App)}
		w.employee(t, "Ann Example", "ann@example.com", "SendInvite")
		w.technician(t, "Bob Tech", "+15550001234", "SendInvite")
		w.employee(t, "Cy Example", "cy@example.com", "SendInvite")
		w.employee(t, "Dee Later", "dee@example.com", "CreateLater")

		all := w.outbox(t, "")
		if all.Page != 1 || all.PageSize != 50 || all.HasMore || all.TotalCount != nil || len(all.Data) != 3 {
			t.Fatalf("outbox: page %d size %d hasMore %v total %v, %d messages; want page 1 of 50, 3 messages",
				all.Page, all.PageSize, all.HasMore, all.TotalCount, len(all.Data))
		}
		wantOrder := []string{"cy@example.com", "+15550001234", "ann@example.com"}
		for i, m := range all.Data {
			if m.Recipient != wantOrder[i] {
				t.Errorf("message %d is to %s, want %s (newest first)", i, m.Recipient, wantOrder[i])
			}
			if m.Status != "Local" || m.Attempts != 0 || m.SentOn != nil || m.LastError != nil || m.NextAttemptOn != nil || m.ID == 0 || m.CreatedOn.IsZero() {
				t.Errorf("local message %+v: want Local, never attempted", m)
			}
			if m.Body == nil || !strings.Contains(*m.Body, env.URL+"/invitations/accept?token=") || !strings.Contains(*m.Body, "Acme Heating") {
				t.Errorf("local message to %s: body %v, want the company and the link", m.Recipient, m.Body)
			}
		}
		if sms := all.Data[1]; sms.Channel != "Sms" || sms.Subject != nil {
			t.Errorf("the SMS: %+v; want channel Sms and no subject", sms)
		}
		if email := all.Data[0]; email.Channel != "Email" || email.Subject == nil || !strings.Contains(*email.Subject, "Acme Heating") {
			t.Errorf("the email: %+v; want channel Email and a subject naming the company", email)
		}

		for _, tc := range []struct {
			query string
			want  []string
			more  bool
		}{
			{"?recipient=ANN@Example.com", []string{"ann@example.com"}, false},
			{"?recipient=%2B15550001234", []string{"+15550001234"}, false},
			{"?recipient=nobody@example.com", nil, false},
			{"?status=local", wantOrder, false},
			{"?status=Sent", nil, false},
			{"?status=Pending&recipient=ann@example.com", nil, false},
			{"?pageSize=2", wantOrder[:2], true},
			{"?pageSize=2&page=2", wantOrder[2:], false},
			{"?pageSize=2&page=3", nil, false},
			{"?pageSize=3", wantOrder, false},
			{"?PAGESIZE=1&Page=2", wantOrder[1:2], true},
		} {
			page := w.outbox(t, tc.query)
			var got []string
			for _, m := range page.Data {
				got = append(got, m.Recipient)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") || page.HasMore != tc.more || page.Data == nil {
				t.Errorf("outbox%s: %v hasMore %v, want %v hasMore %v", tc.query, got, page.HasMore, tc.want, tc.more)
			}
		}
		for _, query := range []string{"?status=queued", "?pageSize=501", "?pageSize=0", "?page=0", "?page=x"} {
			if status, raw := env.Do(t, w.auth, "GET", w.path("/outbox")+query, nil); status != http.StatusBadRequest {
				t.Errorf("outbox%s: status %d, want 400; body %s", query, status, raw)
			}
		}

		// Another tenant sees its own outbox only, and not this one.
		other, _, creds := env.NewTenant(t, "Bolt Plumbing")
		otherAuth := env.Authorize(t, creds)
		status, raw := env.Do(t, otherAuth, "GET", fmt.Sprintf("/settings/v2/tenant/%d/outbox", other.ID), nil)
		if status != http.StatusOK || len(decode[outboxPage](t, raw).Data) != 0 {
			t.Errorf("another tenant's outbox: status %d body %s; want it empty", status, raw)
		}
		if status, _ := env.Do(t, otherAuth, "GET", w.path("/outbox"), nil); status != http.StatusNotFound {
			t.Errorf("this tenant's outbox with another tenant's token: status %d, want 404", status)
		}
		if status, _ := env.Do(t, nil, "GET", w.path("/outbox"), nil); status != http.StatusUnauthorized {
			t.Errorf("outbox without a token: status %d, want 401", status)
		}

		// The bodies hold live links: a read-only application may not see them.
		operator := crewid.Actor{Type: crewid.ActorOperator, Name: "test"}
		for scopes, want := range map[string]int{"settings.read,people.read": http.StatusForbidden, "people.write": http.StatusOK} {
			app, secret, err := env.Server.Apps.Create(context.Background(), operator, env.Tenant.ID, "app "+scopes, strings.Split(scopes, ","))
			if err != nil {
				t.Fatal(err)
			}
			auth := env.Authorize(t, servertest.Credentials{AppID: app.ID, AppKey: app.AppKey, ClientID: app.ClientID, ClientSecret: secret})
			if status, raw := env.Do(t, auth, "GET", w.path("/outbox"), nil); status != want {
				t.Errorf("outbox with scopes %s: status %d, want %d; body %s", scopes, status, want, raw)
			}
		}
	})
}
