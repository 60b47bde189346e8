package invite_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"crewid"
	"crewid/access"
	"crewid/accounts/invite"
	"crewid/people"
	"crewid/store"
	"crewid/store/postgres"
	"crewid/store/sqlite"
)

const publicURL = "https://crew.example.com"

var admin = crewid.Actor{Type: crewid.ActorPerson, ID: 1, Name: "Office Admin"}

// fixture is one tenant in a fresh SQLite store, with the invitation and
// people services wired as the server wires them.
type fixture struct {
	t      *testing.T
	store  store.Store
	now    time.Time
	svc    *invite.Service
	people *people.Service
	tenant crewid.Tenant
	// office and field are built-in roles for employees and technicians.
	office, field int64
}

func newFixture(t *testing.T, local bool) *fixture {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return newFixtureOn(t, db, local)
}

// newFixtureOn sets up the tenant in a fresh, migrated store.
func newFixtureOn(t *testing.T, db store.Store, local bool) *fixture {
	t.Helper()
	f := &fixture{t: t, store: db, now: time.Date(2025, 4, 1, 15, 4, 5, 0, time.UTC)}
	clock := func() time.Time { return f.now }
	// A trailing slash in the configured URL must not double the slash.
	f.svc = &invite.Service{Store: db, Now: clock, PublicURL: publicURL + "/", Local: local}
	f.people = &people.Service{Store: db, Now: clock, Inviter: f.svc}
	f.tenant = crewid.Tenant{Name: "Northwind Heating & Air", CreatedOn: f.now, ModifiedOn: f.now}
	err := db.Update(context.Background(), func(tx store.Tx) error {
		if err := tx.CreateTenant(context.Background(), &f.tenant); err != nil {
			return err
		}
		roles, err := access.SeedRoles(context.Background(), tx, f.tenant.ID, f.now)
		if err != nil {
			return err
		}
		for _, r := range roles {
			switch r.BuiltIn {
			case access.KeyOfficeStaff:
				f.office = r.ID
			case access.KeyTechnician:
				f.field = r.ID
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if f.office == 0 || f.field == 0 {
		t.Fatal("seeded roles lack Office Staff or Technician")
	}
	return f
}

func (f *fixture) employee(name, email string) crewid.Person {
	return crewid.Person{TenantID: f.tenant.ID, Kind: crewid.KindEmployee, Name: name, Email: email, RoleIDs: []int64{f.office}}
}

func (f *fixture) technician(name, email, mobile string) crewid.Person {
	return crewid.Person{TenantID: f.tenant.ID, Kind: crewid.KindTechnician, Name: name, Email: email, MobilePhone: mobile,
		RoleIDs: []int64{f.field}, LicenseType: crewid.LicenseManagedTech, MobileAccessEnabled: true}
}

func (f *fixture) create(p crewid.Person, method people.Method) (crewid.Person, error) {
	setup := people.AccountSetup{Method: method}
	if method == people.AssignLoginAndPassword {
		setup.Login, setup.Password = strings.Fields(p.Name)[0]+"-login", "Tr1cky-Valve-Gasket"
	}
	return f.people.Create(context.Background(), admin, p, setup)
}

func (f *fixture) mustCreate(p crewid.Person, method people.Method) crewid.Person {
	f.t.Helper()
	p, err := f.create(p, method)
	if err != nil {
		f.t.Fatalf("Create %s: %v", p.Name, err)
	}
	return p
}

func (f *fixture) messages() []crewid.Message {
	f.t.Helper()
	msgs, err := f.store.Messages(context.Background(), f.tenant.ID, store.MessageQuery{})
	if err != nil {
		f.t.Fatal(err)
	}
	return msgs
}

func (f *fixture) events() []crewid.Event {
	f.t.Helper()
	events, err := f.store.Events(context.Background(), f.tenant.ID, store.EventQuery{})
	if err != nil {
		f.t.Fatal(err)
	}
	return events
}

func (f *fixture) person(id int64) crewid.Person {
	f.t.Helper()
	p, err := f.store.Person(context.Background(), f.tenant.ID, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *fixture) invitation(token string) crewid.Invitation {
	f.t.Helper()
	inv, err := f.store.InvitationByTokenHash(context.Background(), invite.HashToken(token))
	if err != nil {
		f.t.Fatalf("InvitationByTokenHash: %v", err)
	}
	return inv
}

var linkRE = regexp.MustCompile(`https://crew\.example\.com/invitations/accept\?token=([A-Za-z0-9_-]+)`)

// tokenIn returns the token of the one invitation link in body.
func tokenIn(t *testing.T, body string) string {
	t.Helper()
	all := linkRE.FindAllStringSubmatch(body, -1)
	if len(all) != 1 {
		t.Fatalf("message has %d invitation links, want 1:\n%s", len(all), body)
	}
	token := all[0][1]
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) != 32 {
		t.Fatalf("token %q is not 32 bytes of unpadded base64url (%d bytes, %v)", token, len(raw), err)
	}
	return token
}

// checkNoSecrets fails when any history event holds the token or its hash.
func checkNoSecrets(t *testing.T, events []crewid.Event, tokens ...string) {
	t.Helper()
	for _, token := range tokens {
		hash := invite.HashToken(token)
		forms := []string{token, hex.EncodeToString(hash), base64.StdEncoding.EncodeToString(hash), base64.RawURLEncoding.EncodeToString(hash)}
		for _, e := range events {
			for _, doc := range [][]byte{e.Before, e.After} {
				for _, form := range forms {
					if bytes.Contains(doc, []byte(form)) {
						t.Errorf("event %d (%s) holds the token or its hash: %s", e.ID, e.Type, doc)
					}
				}
			}
		}
	}
}

// sentEvents returns the Invitation.Sent events.
func sentEvents(events []crewid.Event) []crewid.Event {
	var out []crewid.Event
	for _, e := range events {
		if e.Type == "Invitation.Sent" {
			out = append(out, e)
		}
	}
	return out
}

func wantInvalid(t *testing.T, what string, err error, field string) {
	t.Helper()
	var e *crewid.Error
	if !errors.As(err, &e) || e.Code != crewid.Invalid {
		t.Fatalf("%s: got %v, want an Invalid error", what, err)
	}
	if _, ok := e.Fields[field]; !ok {
		t.Fatalf("%s: got %v, want an Invalid error about %q", what, err, field)
	}
}

func TestEmployeeInvitedByEmail(t *testing.T) {
	f := newFixture(t, true)
	p := f.mustCreate(f.employee("Maria Lopez", "Maria.Lopez@Example.com"), people.SendInvite)

	if got := f.person(p.ID).Account.State; got != crewid.AccountInvited {
		t.Errorf("account state %q, want %q", got, crewid.AccountInvited)
	}
	msgs := f.messages()
	if len(msgs) != 1 {
		t.Fatalf("outbox has %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if m.Channel != crewid.ChannelEmail || m.Recipient != "maria.lopez@example.com" || m.Status != crewid.MessageLocal {
		t.Errorf("message channel %q recipient %q status %q, want email to maria.lopez@example.com, local", m.Channel, m.Recipient, m.Status)
	}
	if !m.CreatedOn.Equal(f.now) {
		t.Errorf("message created %v, want %v", m.CreatedOn, f.now)
	}
	if !strings.Contains(m.Subject, f.tenant.Name) || strings.ContainsAny(m.Subject, "\r\n") {
		t.Errorf("subject %q: want one line naming the company", m.Subject)
	}
	for _, want := range []string{
		"Hello Maria Lopez,",
		f.tenant.Name + " has invited you",
		"maria.lopez@example.com, is your username by default",
		"You can change it",
		"expires in 7 days",
		"April 8, 2025 at 15:04 UTC",
	} {
		if !strings.Contains(m.Body, want) {
			t.Errorf("body lacks %q:\n%s", want, m.Body)
		}
	}
	if strings.Contains(m.Body, "crew.example.com//") {
		t.Errorf("link has a doubled slash:\n%s", m.Body)
	}
	token := tokenIn(t, m.Body)

	sum := sha256.Sum256([]byte(token))
	if !bytes.Equal(invite.HashToken(token), sum[:]) {
		t.Errorf("HashToken is not the SHA-256 of the token")
	}
	inv := f.invitation(token)
	want := crewid.Invitation{
		ID: inv.ID, TenantID: f.tenant.ID, PersonID: p.ID, TokenHash: sum[:], Channel: crewid.ChannelEmail,
		CreatedOn: f.now, ExpiresOn: f.now.Add(invite.DefaultTTL),
	}
	if inv.ID == 0 || !equalInvitation(inv, want) {
		t.Errorf("invitation %+v, want %+v", inv, want)
	}

	events := f.events()
	sent := sentEvents(events)
	if len(sent) != 1 {
		t.Fatalf("%d Invitation.Sent events, want 1", len(sent))
	}
	e := sent[0]
	if e.RecordType != "Employee" || e.RecordID != p.ID || e.Actor.ID != admin.ID || !e.OccurredOn.Equal(f.now) {
		t.Errorf("event %+v: want record Employee %d by actor %d at %v", e, p.ID, admin.ID, f.now)
	}
	var after map[string]any
	if err := json.Unmarshal(e.After, &after); err != nil {
		t.Fatalf("event after %s: %v", e.After, err)
	}
	wantAfter := map[string]any{"channel": "email", "recipient": "maria.lopez@example.com", "expiresOn": "2025-04-08T15:04:05Z"}
	if len(after) != len(wantAfter) {
		t.Errorf("event after %s, want exactly %v", e.After, wantAfter)
	}
	for k, v := range wantAfter {
		if after[k] != v {
			t.Errorf("event after[%q] = %v, want %v", k, after[k], v)
		}
	}
	if e.Before != nil {
		t.Errorf("event before %s, want none", e.Before)
	}
	checkNoSecrets(t, events, token)
	// The person's own creation event is recorded in the same transaction.
	if !slices.ContainsFunc(events, func(e crewid.Event) bool { return e.Type == "Employee.Created" && e.RecordID == p.ID }) {
		t.Errorf("no Employee.Created event")
	}
}

func equalInvitation(a, b crewid.Invitation) bool {
	return a.ID == b.ID && a.TenantID == b.TenantID && a.PersonID == b.PersonID && bytes.Equal(a.TokenHash, b.TokenHash) &&
		a.Channel == b.Channel && a.CreatedOn.Equal(b.CreatedOn) && a.ExpiresOn.Equal(b.ExpiresOn) &&
		a.UsedOn.Equal(b.UsedOn) && a.VoidedOn.Equal(b.VoidedOn)
}

func TestQueuedForDeliveryWhenNotLocal(t *testing.T) {
	f := newFixture(t, false)
	f.mustCreate(f.employee("Dana Kim", "dana@example.com"), people.SendInvite)
	msgs := f.messages()
	if len(msgs) != 1 {
		t.Fatalf("outbox has %d messages, want 1", len(msgs))
	}
	if m := msgs[0]; m.Status != crewid.MessagePending || !m.NextAttemptOn.Equal(f.now) || m.Attempts != 0 {
		t.Errorf("message status %q next attempt %v attempts %d, want pending, due %v, 0 attempts", m.Status, m.NextAttemptOn, m.Attempts, f.now)
	}
}

func TestTechnicianWithOnlyMobileInvitedBySMS(t *testing.T) {
	f := newFixture(t, true)
	f.svc.TTL = 48 * time.Hour
	p := f.mustCreate(f.technician("Sam Ortiz", "", "(555) 010-2030"), people.SendInvite)

	msgs := f.messages()
	if len(msgs) != 1 {
		t.Fatalf("outbox has %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if m.Channel != crewid.ChannelSMS || m.Recipient != "+15550102030" || m.Subject != "" {
		t.Errorf("message channel %q recipient %q subject %q, want an SMS to +15550102030 without subject", m.Channel, m.Recipient, m.Subject)
	}
	if n := utf8.RuneCountInString(m.Body); n > 320 {
		t.Errorf("SMS has %d characters, want at most 320: %s", n, m.Body)
	}
	for _, want := range []string{f.tenant.Name, "Hi Sam Ortiz", "expires in 2 days"} {
		if !strings.Contains(m.Body, want) {
			t.Errorf("SMS lacks %q: %s", want, m.Body)
		}
	}
	token := tokenIn(t, m.Body)
	inv := f.invitation(token)
	if inv.Channel != crewid.ChannelSMS || inv.PersonID != p.ID || !inv.ExpiresOn.Equal(f.now.Add(48*time.Hour)) {
		t.Errorf("invitation %+v: want an SMS invitation of person %d expiring in 48h", inv, p.ID)
	}
	sent := sentEvents(f.events())
	if len(sent) != 1 || sent[0].RecordType != "Technician" || !strings.Contains(string(sent[0].After), `"channel":"sms"`) {
		t.Errorf("Invitation.Sent events %+v: want one on the technician, channel sms", sent)
	}
	checkNoSecrets(t, f.events(), token)
}

func TestTechnicianWithEmailAndMobileInvitedByEmail(t *testing.T) {
	f := newFixture(t, true)
	f.mustCreate(f.technician("Lee Park", "lee@example.com", "+15550109999"), people.SendInvite)
	msgs := f.messages()
	if len(msgs) != 1 || msgs[0].Channel != crewid.ChannelEmail || msgs[0].Recipient != "lee@example.com" {
		t.Fatalf("messages %+v: want one email to lee@example.com", msgs)
	}
}

func TestResendVoidsEarlierInvitation(t *testing.T) {
	f := newFixture(t, true)
	p := f.mustCreate(f.employee("Maria Lopez", "maria@example.com"), people.SendInvite)
	first := tokenIn(t, f.messages()[0].Body)
	invitedAt := f.now

	f.now = f.now.Add(time.Hour)
	if err := f.svc.Resend(context.Background(), admin, f.tenant.ID, p.ID); err != nil {
		t.Fatalf("Resend: %v", err)
	}
	msgs := f.messages()
	if len(msgs) != 2 {
		t.Fatalf("outbox has %d messages, want 2", len(msgs))
	}
	second := tokenIn(t, msgs[0].Body) // newest first
	if second == first {
		t.Fatal("the new invitation reuses the old token")
	}
	old := f.invitation(first)
	if !old.VoidedOn.Equal(f.now) || !old.UsedOn.IsZero() || !old.CreatedOn.Equal(invitedAt) {
		t.Errorf("earlier invitation %+v: want voided at %v", old, f.now)
	}
	cur := f.invitation(second)
	if !cur.VoidedOn.IsZero() || !cur.UsedOn.IsZero() || !cur.ExpiresOn.Equal(f.now.Add(invite.DefaultTTL)) {
		t.Errorf("new invitation %+v: want live, expiring 7 days from %v", cur, f.now)
	}
	if got := f.person(p.ID); got.Account.State != crewid.AccountInvited || !got.ModifiedOn.Equal(f.now) {
		t.Errorf("person state %q modified %v, want Invited, %v", got.Account.State, got.ModifiedOn, f.now)
	}
	events := f.events()
	if n := len(sentEvents(events)); n != 2 {
		t.Errorf("%d Invitation.Sent events, want 2", n)
	}
	// The state did not change, so no Employee.Updated event.
	if slices.ContainsFunc(events, func(e crewid.Event) bool { return e.Type == "Employee.Updated" }) {
		t.Errorf("a re-send recorded an Employee.Updated event")
	}
	checkNoSecrets(t, events, first, second)
}

func TestResendToPersonWithoutAccount(t *testing.T) {
	f := newFixture(t, false)
	p := f.mustCreate(f.technician("Sam Ortiz", "", "+15550102030"), people.CreateLater)
	if len(f.messages()) != 0 {
		t.Fatal("CreateLater queued a message")
	}
	f.now = f.now.Add(time.Minute)
	if err := f.svc.Resend(context.Background(), admin, f.tenant.ID, p.ID); err != nil {
		t.Fatalf("Resend: %v", err)
	}
	if got := f.person(p.ID).Account.State; got != crewid.AccountInvited {
		t.Errorf("account state %q, want Invited", got)
	}
	msgs := f.messages()
	if len(msgs) != 1 || msgs[0].Channel != crewid.ChannelSMS || msgs[0].Status != crewid.MessagePending {
		t.Fatalf("messages %+v: want one pending SMS", msgs)
	}
	events := f.events()
	var updated []crewid.Event
	for _, e := range events {
		if e.Type == "Technician.Updated" {
			updated = append(updated, e)
		}
	}
	if len(updated) != 1 || !strings.Contains(string(updated[0].Before), `"None"`) || !strings.Contains(string(updated[0].After), `"Invited"`) {
		t.Errorf("Technician.Updated events %+v: want one showing the state going from None to Invited", updated)
	}
	if len(sentEvents(events)) != 1 {
		t.Errorf("want one Invitation.Sent event")
	}
	checkNoSecrets(t, events, tokenIn(t, msgs[0].Body))
}

func TestResendRefused(t *testing.T) {
	f := newFixture(t, true)
	ctx := context.Background()

	assigned := f.mustCreate(f.employee("Ann Assigned", "ann@example.com"), people.AssignLoginAndPassword)
	err := f.svc.Resend(ctx, admin, f.tenant.ID, assigned.ID)
	wantInvalid(t, "Resend to a person with an admin-assigned account", err, "action")

	noMobileAccess := f.technician("Nat NoAccess", "nat@example.com", "")
	noMobileAccess.MobileAccessEnabled = false
	noAccess := f.mustCreate(noMobileAccess, people.CreateLater)
	err = f.svc.Resend(ctx, admin, f.tenant.ID, noAccess.ID)
	wantInvalid(t, "Resend to a technician without mobile access", err, "action")

	inactive := f.mustCreate(f.employee("Ina Inactive", "ina@example.com"), people.CreateLater)
	if err := f.people.Deactivate(ctx, admin, f.tenant.ID, crewid.KindEmployee, inactive.ID); err != nil {
		t.Fatal(err)
	}
	err = f.svc.Resend(ctx, admin, f.tenant.ID, inactive.ID)
	wantInvalid(t, "Resend to an inactive person", err, "action")

	err = f.svc.Resend(ctx, admin, f.tenant.ID, inactive.ID+1000)
	if !crewid.IsNotFound(err) {
		t.Errorf("Resend to a missing person: got %v, want NotFound", err)
	}
	other := crewid.Tenant{Name: "Other Co", CreatedOn: f.now, ModifiedOn: f.now}
	if err := f.store.Update(ctx, func(tx store.Tx) error { return tx.CreateTenant(ctx, &other) }); err != nil {
		t.Fatal(err)
	}
	err = f.svc.Resend(ctx, admin, other.ID, inactive.ID)
	if !crewid.IsNotFound(err) {
		t.Errorf("Resend to another tenant's person: got %v, want NotFound", err)
	}

	if n := len(f.messages()); n != 0 {
		t.Errorf("refused re-sends left %d messages", n)
	}
	for _, p := range []crewid.Person{assigned, noAccess, inactive} {
		if got, want := f.person(p.ID).Account.State, p.Account.State; got != want {
			t.Errorf("%s: account state %q after a refused re-send, want %q", p.Name, got, want)
		}
	}
	if n := len(sentEvents(f.events())); n != 0 {
		t.Errorf("refused re-sends recorded %d Invitation.Sent events", n)
	}
}

func TestHasAccount(t *testing.T) {
	for state, want := range map[crewid.AccountState]bool{
		"":                          false,
		crewid.AccountNone:          false,
		crewid.AccountInvited:       false,
		crewid.AccountAccepted:      true,
		crewid.AccountAdminAssigned: true,
		crewid.AccountEstablished:   true,
	} {
		if got := invite.HasAccount(crewid.Person{Account: crewid.Account{State: state}}); got != want {
			t.Errorf("HasAccount(state %q) = %v, want %v", state, got, want)
		}
	}
	if !invite.HasAccount(crewid.Person{Account: crewid.Account{State: crewid.AccountNone, PasswordHash: "$argon2id$..."}}) {
		t.Errorf("HasAccount with a stored password = false, want true")
	}
}

func TestInviteRefusesPersonWhoCannotHaveAccount(t *testing.T) {
	f := newFixture(t, true)
	ctx := context.Background()
	tech := f.technician("Nat NoAccess", "nat@example.com", "")
	tech.MobileAccessEnabled = false
	p := f.mustCreate(tech, people.CreateLater)
	err := f.store.Update(ctx, func(tx store.Tx) error { return f.svc.Invite(ctx, tx, f.now, admin, p) })
	wantInvalid(t, "Invite of a technician without mobile access", err, "accountCreationMethod")
	if n := len(f.messages()); n != 0 {
		t.Errorf("a refused invitation left %d messages", n)
	}
}

// failingAfter runs the real Invite, notes the token it sent, then fails
// as a later step of the same transaction would.
type failingAfter struct {
	svc    *invite.Service
	tokens []string
	t      *testing.T
}

var errLater = crewid.ConflictError("login", "A later step failed.")

func (f *failingAfter) Invite(ctx context.Context, tx store.Tx, now time.Time, actor crewid.Actor, p crewid.Person) error {
	if err := f.svc.Invite(ctx, tx, now, actor, p); err != nil {
		return err
	}
	msgs, err := tx.Messages(ctx, p.TenantID, store.MessageQuery{Limit: 1})
	if err != nil || len(msgs) != 1 {
		f.t.Errorf("Messages inside the transaction: %d messages, %v", len(msgs), err)
		return errLater
	}
	if m := linkRE.FindStringSubmatch(msgs[0].Body); m != nil {
		f.tokens = append(f.tokens, m[1])
	}
	return errLater
}

func TestNothingRemainsWhenTransactionFails(t *testing.T) {
	f := newFixture(t, true)
	ctx := context.Background()

	// A uniqueness conflict on create: no person, no invitation, no message.
	f.mustCreate(f.employee("First Holder", "shared@example.com"), people.CreateLater)
	_, err := f.create(f.employee("Second Holder", "Shared@example.com"), people.SendInvite)
	if crewid.CodeOf(err) != crewid.Conflict {
		t.Fatalf("Create with a taken email: got %v, want Conflict", err)
	}
	if n := len(f.messages()); n != 0 {
		t.Errorf("failed create left %d messages", n)
	}

	// A failure after the invitation was written rolls it back too.
	failing := &failingAfter{svc: f.svc, t: t}
	ps := &people.Service{Store: f.store, Now: func() time.Time { return f.now }, Inviter: failing}
	_, err = ps.Create(ctx, admin, f.employee("Ghost Person", "ghost@example.com"), people.AccountSetup{Method: people.SendInvite})
	if !errors.Is(err, errLater) {
		t.Fatalf("Create with a failing later step: got %v, want the step's error", err)
	}
	if len(failing.tokens) != 1 {
		t.Fatalf("the invitation was not written inside the transaction (tokens %v)", failing.tokens)
	}
	if _, err := f.store.InvitationByTokenHash(ctx, invite.HashToken(failing.tokens[0])); !crewid.IsNotFound(err) {
		t.Errorf("invitation of a rolled back transaction: got %v, want NotFound", err)
	}
	if n := len(f.messages()); n != 0 {
		t.Errorf("rolled back transaction left %d messages", n)
	}
	page, err := f.store.People(ctx, f.tenant.ID, store.PersonQuery{ListQuery: store.ListQuery{Active: store.ActiveAny}})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 {
		t.Errorf("%d people after the failed creates, want 1", len(page.Items))
	}
	events := f.events()
	if len(sentEvents(events)) != 0 {
		t.Errorf("rolled back invitations left Invitation.Sent events")
	}
	checkNoSecrets(t, events, failing.tokens...)

	// A re-send that fails later leaves the earlier invitation live.
	p := f.mustCreate(f.employee("Kept Person", "kept@example.com"), people.SendInvite)
	kept := tokenIn(t, f.messages()[0].Body)
	err = f.store.Update(ctx, func(tx store.Tx) error {
		return failing.Invite(ctx, tx, f.now.Add(time.Hour), admin, p)
	})
	if !errors.Is(err, errLater) {
		t.Fatalf("failing re-invite: got %v", err)
	}
	if inv := f.invitation(kept); !inv.VoidedOn.IsZero() {
		t.Errorf("a rolled back re-invite voided the earlier invitation: %+v", inv)
	}
	if n := len(f.messages()); n != 1 {
		t.Errorf("%d messages after a rolled back re-invite, want 1", n)
	}
}

func TestInviteNeedsPublicURL(t *testing.T) {
	f := newFixture(t, true)
	f.svc.PublicURL = ""
	_, err := f.create(f.employee("Maria Lopez", "maria@example.com"), people.SendInvite)
	if err == nil {
		t.Fatal("Create with invitation and no public URL succeeded")
	}
	if n := len(f.messages()); n != 0 {
		t.Errorf("failed invitation left %d messages", n)
	}
}

func TestTokensDiffer(t *testing.T) {
	f := newFixture(t, true)
	seen := map[string]bool{}
	for i, email := range []string{"a@example.com", "b@example.com", "c@example.com", "d@example.com"} {
		f.mustCreate(f.employee("Person "+string(rune('A'+i)), email), people.SendInvite)
	}
	for _, m := range f.messages() {
		token := tokenIn(t, m.Body)
		if seen[token] {
			t.Fatalf("token %q issued twice", token)
		}
		seen[token] = true
	}
}

// TestConcurrentResendsLeaveOneLiveInvitation re-sends to one person from
// several goroutines at once: each re-send voids the ones before it, so
// exactly one invitation stays live. It runs on SQLite and, when
// CREWID_TEST_POSTGRES_URL is set, on PostgreSQL, where the transactions
// truly overlap.
func TestConcurrentResendsLeaveOneLiveInvitation(t *testing.T) {
	stores := map[string]func(t *testing.T) store.Store{
		"sqlite":   func(t *testing.T) store.Store { return sqlite.OpenTest(t) },
		"postgres": func(t *testing.T) store.Store { return postgres.OpenTest(t) },
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			f := newFixtureOn(t, open(t), false)
			// Already invited: the re-sends change no field of the person.
			p := f.mustCreate(f.employee("Maria Lopez", "maria@example.com"), people.SendInvite)
			const n = 8
			errs := make(chan error, n)
			for range n {
				go func() { errs <- f.svc.Resend(context.Background(), admin, f.tenant.ID, p.ID) }()
			}
			for range n {
				if err := <-errs; err != nil {
					t.Errorf("Resend: %v", err)
				}
			}
			msgs := f.messages()
			if len(msgs) != n+1 {
				t.Fatalf("%d messages, want %d", len(msgs), n+1)
			}
			live := 0
			for _, m := range msgs {
				if f.invitation(tokenIn(t, m.Body)).VoidedOn.IsZero() {
					live++
				}
			}
			if live != 1 {
				t.Errorf("%d live invitations after %d concurrent re-sends, want 1", live, n)
			}
			if got := f.person(p.ID).Account.State; got != crewid.AccountInvited {
				t.Errorf("account state %q, want Invited", got)
			}
		})
	}
}
