package storetest

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"crewid"
	"crewid/store"
)

// RunOutbox runs the conformance tests of invitations and the message
// outbox. open is as for Run.
func RunOutbox(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"InvitationRoundTrip", testInvitationRoundTrip},
		{"InvitationReferences", testInvitationReferences},
		{"InvitationTokenUnique", testInvitationTokenUnique},
		{"VoidInvitations", testVoidInvitations},
		{"InvitationRollback", testInvitationRollback},
		{"MessageRoundTrip", testMessageRoundTrip},
		{"MessageValidation", testMessageValidation},
		{"MessageOrderAndPaging", testMessageOrderAndPaging},
		{"MessageFilters", testMessageFilters},
		{"MessageLimit", testMessageLimit},
		{"MessageTenantIsolation", testMessageTenantIsolation},
		{"MessageRollback", testMessageRollback},
		{"MessageOffset", testMessageOffset},
		{"ClaimMessages", testClaimMessages},
		{"ClaimChannelsAndLimit", testClaimChannelsAndLimit},
		{"ClaimLeaseExpiry", testClaimLeaseExpiry},
		{"ClaimValidation", testClaimValidation},
		{"MarkMessages", testMarkMessages},
		{"MarkNeedsLease", testMarkNeedsLease},
		{"ConcurrentClaims", testConcurrentClaims},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			tc.fn(t, s)
		})
	}
}

// errRollback is returned from a transaction to roll it back on purpose.
var errRollback = errors.New("storetest: roll back on purpose")

// tokenHash is a stand-in for the hash of an invitation token.
func tokenHash(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

func invitationFor(p crewid.Person, token, channel string, created time.Time) crewid.Invitation {
	return crewid.Invitation{
		TenantID:  p.TenantID,
		PersonID:  p.ID,
		TokenHash: tokenHash(token),
		Channel:   channel,
		CreatedOn: created,
		ExpiresOn: created.Add(7 * 24 * time.Hour),
	}
}

func createInvitation(t testing.TB, s store.Store, i crewid.Invitation) crewid.Invitation {
	t.Helper()
	update(t, s, func(tx store.Tx) error { return tx.CreateInvitation(ctx(t), &i) })
	if i.ID == 0 {
		t.Fatalf("CreateInvitation did not set the id")
	}
	return i
}

// invitationUTC is i as the store returns it: times in UTC.
func invitationUTC(i crewid.Invitation) crewid.Invitation {
	for _, tp := range []*time.Time{&i.CreatedOn, &i.ExpiresOn, &i.UsedOn, &i.VoidedOn} {
		if !tp.IsZero() {
			*tp = tp.UTC()
		}
	}
	return i
}

func readInvitation(t testing.TB, s store.Reader, hash []byte) crewid.Invitation {
	t.Helper()
	i, err := s.InvitationByTokenHash(ctx(t), hash)
	if err != nil {
		t.Fatalf("InvitationByTokenHash: %v", err)
	}
	return i
}

func testInvitationRoundTrip(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	b := newTenant(t, s, "Bolt")
	ann := createPerson(t, s, withContact(employee(a.ID, "Ann"), "ann@example.com", ""))
	bob := createPerson(t, s, withContact(technician(b.ID, "Bob"), "", "+15550001111"))

	live := invitationFor(ann, "ann-token", crewid.ChannelEmail, fine(0))
	update(t, s, func(tx store.Tx) error {
		if err := tx.CreateInvitation(ctx(t), &live); err != nil {
			return err
		}
		// A transaction reads its own writes.
		got, err := tx.InvitationByTokenHash(ctx(t), live.TokenHash)
		if err != nil {
			t.Errorf("InvitationByTokenHash inside the creating transaction: %v", err)
		} else if got.ID != live.ID {
			t.Errorf("InvitationByTokenHash inside the creating transaction: id %d, want %d", got.ID, live.ID)
		}
		return nil
	})
	if live.ID == 0 {
		t.Fatal("CreateInvitation did not set the id")
	}
	check(t, "live invitation", invitationUTC(live), readInvitation(t, s, live.TokenHash))

	// Every field round-trips, used and voided times included.
	done := invitationFor(ann, "ann-old-token", crewid.ChannelSMS, fine(-48*time.Hour))
	done.UsedOn = fine(-24 * time.Hour)
	done.VoidedOn = fine(-time.Hour)
	done = createInvitation(t, s, done)
	check(t, "used and voided invitation", invitationUTC(done), readInvitation(t, s, done.TokenHash))

	// Lookups by hash span tenants: the token is all the caller has.
	other := createInvitation(t, s, invitationFor(bob, "bob-token", crewid.ChannelSMS, fine(time.Minute)))
	got := readInvitation(t, s, other.TokenHash)
	if got.TenantID != b.ID || got.PersonID != bob.ID {
		t.Errorf("InvitationByTokenHash of another tenant's invitation: tenant %d person %d, want %d and %d", got.TenantID, got.PersonID, b.ID, bob.ID)
	}

	_, err := s.InvitationByTokenHash(ctx(t), tokenHash("unknown"))
	wantNotFound(t, "InvitationByTokenHash(unknown hash)", err)
	_, err = s.InvitationByTokenHash(ctx(t), nil)
	wantNotFound(t, "InvitationByTokenHash(nil)", err)
	_, err = s.InvitationByTokenHash(ctx(t), []byte{})
	wantNotFound(t, "InvitationByTokenHash(empty)", err)
	// The token itself is not its hash.
	_, err = s.InvitationByTokenHash(ctx(t), []byte("ann-token"))
	wantNotFound(t, "InvitationByTokenHash(the unhashed token)", err)
}

func testInvitationReferences(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	b := newTenant(t, s, "Bolt")
	ann := createPerson(t, s, withContact(employee(a.ID, "Ann"), "ann@example.com", ""))

	// An invitation of tenant b cannot point at a person of tenant a.
	i := invitationFor(ann, "cross", crewid.ChannelEmail, at(0))
	i.TenantID = b.ID
	err := s.Update(ctx(t), func(tx store.Tx) error { return tx.CreateInvitation(ctx(t), &i) })
	wantRefused(t, "CreateInvitation for a person of another tenant", err)

	missing := invitationFor(ann, "missing", crewid.ChannelEmail, at(0))
	missing.PersonID = missingID
	err = s.Update(ctx(t), func(tx store.Tx) error { return tx.CreateInvitation(ctx(t), &missing) })
	wantRefused(t, "CreateInvitation for a missing person", err)

	bad := invitationFor(ann, "fax", "fax", at(0))
	err = s.Update(ctx(t), func(tx store.Tx) error { return tx.CreateInvitation(ctx(t), &bad) })
	if crewid.CodeOf(err) != crewid.Invalid {
		t.Errorf("CreateInvitation with channel %q: got %s, want an Invalid error", bad.Channel, describe(err))
	}

	for _, token := range []string{"cross", "missing", "fax"} {
		_, err := s.InvitationByTokenHash(ctx(t), tokenHash(token))
		wantNotFound(t, "InvitationByTokenHash after a refused CreateInvitation ("+token+")", err)
	}
}

func testInvitationTokenUnique(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	b := newTenant(t, s, "Bolt")
	ann := createPerson(t, s, withContact(employee(a.ID, "Ann"), "ann@example.com", ""))
	bob := createPerson(t, s, withContact(employee(b.ID, "Bob"), "bob@example.com", ""))
	first := createInvitation(t, s, invitationFor(ann, "same", crewid.ChannelEmail, at(0)))

	// Token hashes are unique across tenants.
	for _, p := range []crewid.Person{ann, bob} {
		dup := invitationFor(p, "same", crewid.ChannelEmail, at(time.Hour))
		err := s.Update(ctx(t), func(tx store.Tx) error { return tx.CreateInvitation(ctx(t), &dup) })
		wantConflict(t, fmt.Sprintf("CreateInvitation with a token hash already stored (tenant %d)", p.TenantID), err, "")
	}
	check(t, "first invitation after the refused duplicates", invitationUTC(first), readInvitation(t, s, first.TokenHash))
}

func testVoidInvitations(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	b := newTenant(t, s, "Bolt")
	ann := createPerson(t, s, withContact(employee(a.ID, "Ann"), "ann@example.com", ""))
	amy := createPerson(t, s, withContact(technician(a.ID, "Amy"), "", "+15550002222"))
	bob := createPerson(t, s, withContact(employee(b.ID, "Bob"), "bob@example.com", ""))

	live1 := createInvitation(t, s, invitationFor(ann, "live1", crewid.ChannelEmail, at(0)))
	live2 := createInvitation(t, s, invitationFor(ann, "live2", crewid.ChannelEmail, at(time.Minute)))
	usedInv := invitationFor(ann, "used", crewid.ChannelEmail, at(-time.Hour))
	usedInv.UsedOn = at(-30 * time.Minute)
	used := createInvitation(t, s, usedInv)
	voidedInv := invitationFor(ann, "voided", crewid.ChannelEmail, at(-2*time.Hour))
	voidedInv.VoidedOn = at(-90 * time.Minute)
	voided := createInvitation(t, s, voidedInv)
	otherPerson := createInvitation(t, s, invitationFor(amy, "amy", crewid.ChannelSMS, at(0)))
	otherTenant := createInvitation(t, s, invitationFor(bob, "bob", crewid.ChannelEmail, at(0)))

	now := fine(2 * time.Hour)
	update(t, s, func(tx store.Tx) error {
		if err := tx.VoidInvitations(ctx(t), a.ID, ann.ID, now); err != nil {
			return err
		}
		// A transaction reads its own writes.
		got, err := tx.InvitationByTokenHash(ctx(t), live1.TokenHash)
		if err != nil {
			t.Errorf("InvitationByTokenHash inside the voiding transaction: %v", err)
		} else if got.VoidedOn.IsZero() {
			t.Errorf("InvitationByTokenHash inside the voiding transaction: not voided")
		}
		return nil
	})

	for _, i := range []crewid.Invitation{live1, live2} {
		want := i
		want.VoidedOn = now
		check(t, "live invitation after VoidInvitations", invitationUTC(want), readInvitation(t, s, i.TokenHash))
	}
	check(t, "used invitation after VoidInvitations (must stay as it was)", invitationUTC(used), readInvitation(t, s, used.TokenHash))
	check(t, "voided invitation after VoidInvitations (keeps its first void time)", invitationUTC(voided), readInvitation(t, s, voided.TokenHash))
	check(t, "another person's invitation after VoidInvitations", invitationUTC(otherPerson), readInvitation(t, s, otherPerson.TokenHash))
	check(t, "another tenant's invitation after VoidInvitations", invitationUTC(otherTenant), readInvitation(t, s, otherTenant.TokenHash))

	// Nothing left to void, or nothing at all: not an error.
	update(t, s, func(tx store.Tx) error { return tx.VoidInvitations(ctx(t), a.ID, ann.ID, fine(3*time.Hour)) })
	again := live1
	again.VoidedOn = now
	check(t, "invitation after a second VoidInvitations (keeps its first void time)", invitationUTC(again), readInvitation(t, s, live1.TokenHash))
	update(t, s, func(tx store.Tx) error { return tx.VoidInvitations(ctx(t), a.ID, missingID, now) })

	// The tenant is part of the match: voiding ann's invitations under
	// tenant b changes nothing.
	fresh := createInvitation(t, s, invitationFor(ann, "fresh", crewid.ChannelEmail, at(3*time.Hour)))
	update(t, s, func(tx store.Tx) error { return tx.VoidInvitations(ctx(t), b.ID, ann.ID, fine(4*time.Hour)) })
	check(t, "invitation after VoidInvitations under another tenant", invitationUTC(fresh), readInvitation(t, s, fresh.TokenHash))
	check(t, "tenant b's invitation after VoidInvitations of another tenant's person", invitationUTC(otherTenant), readInvitation(t, s, otherTenant.TokenHash))
}

func testInvitationRollback(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	ann := createPerson(t, s, withContact(employee(a.ID, "Ann"), "ann@example.com", ""))
	kept := createInvitation(t, s, invitationFor(ann, "kept", crewid.ChannelEmail, at(0)))

	ghost := invitationFor(ann, "ghost", crewid.ChannelEmail, at(time.Hour))
	err := s.Update(ctx(t), func(tx store.Tx) error {
		if err := tx.VoidInvitations(ctx(t), a.ID, ann.ID, at(time.Hour)); err != nil {
			return err
		}
		if err := tx.CreateInvitation(ctx(t), &ghost); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("Update: got %v, want the error fn returned", err)
	}
	_, err = s.InvitationByTokenHash(ctx(t), ghost.TokenHash)
	wantNotFound(t, "invitation created in a rolled back transaction", err)
	check(t, "invitation voided in a rolled back transaction", invitationUTC(kept), readInvitation(t, s, kept.TokenHash))
}

// ---- messages --------------------------------------------------------------

func outboxMessage(tenantID int64, channel, recipient, status string, created time.Time) crewid.Message {
	m := crewid.Message{
		TenantID:  tenantID,
		Channel:   channel,
		Recipient: recipient,
		Body:      "Hello from " + recipient,
		Status:    status,
		CreatedOn: created,
	}
	if channel == crewid.ChannelEmail {
		m.Subject = "A message for " + recipient
	}
	if status == crewid.MessagePending {
		m.NextAttemptOn = created
	}
	return m
}

// enqueue adds messages in one transaction and returns them with their ids.
func enqueue(t testing.TB, s store.Store, msgs ...crewid.Message) []crewid.Message {
	t.Helper()
	update(t, s, func(tx store.Tx) error {
		for i := range msgs {
			if err := tx.EnqueueMessage(ctx(t), &msgs[i]); err != nil {
				return err
			}
			if msgs[i].ID == 0 {
				return fmt.Errorf("EnqueueMessage did not set the id")
			}
		}
		return nil
	})
	return msgs
}

// messageUTC is m as the store returns it: times in UTC.
func messageUTC(m crewid.Message) crewid.Message {
	for _, tp := range []*time.Time{&m.NextAttemptOn, &m.CreatedOn, &m.SentOn} {
		if !tp.IsZero() {
			*tp = tp.UTC()
		}
	}
	return m
}

func messageIDs(msgs []crewid.Message) []int64 {
	return pageIDs(msgs, func(m crewid.Message) int64 { return m.ID })
}

func listMessages(t testing.TB, s store.Reader, tenantID int64, q store.MessageQuery) []crewid.Message {
	t.Helper()
	msgs, err := s.Messages(ctx(t), tenantID, q)
	if err != nil {
		t.Fatalf("Messages(%+v): %v", q, err)
	}
	return msgs
}

func testMessageRoundTrip(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	email := crewid.Message{
		TenantID:      a.ID,
		Channel:       crewid.ChannelEmail,
		Recipient:     "ann@example.com",
		Subject:       "You're invited to Acme — Ünïcode",
		Body:          "Hello Ann,\n\nLine two with a link: https://crewid.example.com/x?token=abc_-\n",
		Status:        crewid.MessagePending,
		NextAttemptOn: fine(time.Minute),
		CreatedOn:     fine(0),
	}
	sms := crewid.Message{
		TenantID:  a.ID,
		Channel:   crewid.ChannelSMS,
		Recipient: "+15550001111",
		Body:      "Acme: Hi Bob, tap https://crewid.example.com/y",
		Status:    crewid.MessageLocal,
		CreatedOn: fine(time.Second),
	}
	// What a delivery worker leaves behind round-trips too.
	sent := crewid.Message{
		TenantID:      a.ID,
		Channel:       crewid.ChannelEmail,
		Recipient:     "cy@example.com",
		Subject:       "s",
		Body:          "b",
		Status:        crewid.MessageSent,
		Attempts:      2,
		NextAttemptOn: fine(time.Hour),
		LastError:     "421 try again later",
		CreatedOn:     fine(2 * time.Second),
		SentOn:        fine(2 * time.Hour),
	}
	failed := sent
	failed.Recipient, failed.Status, failed.Attempts, failed.SentOn = "dee@example.com", crewid.MessageFailed, 9, time.Time{}

	update(t, s, func(tx store.Tx) error {
		for _, m := range []*crewid.Message{&email, &sms, &sent, &failed} {
			if err := tx.EnqueueMessage(ctx(t), m); err != nil {
				return err
			}
		}
		// A transaction reads its own writes.
		got, err := tx.Messages(ctx(t), a.ID, store.MessageQuery{})
		if err != nil {
			t.Errorf("Messages inside the enqueuing transaction: %v", err)
		} else if len(got) != 4 {
			t.Errorf("Messages inside the enqueuing transaction: %d messages, want 4", len(got))
		}
		return nil
	})
	ids := map[int64]bool{}
	for _, m := range []crewid.Message{email, sms, sent, failed} {
		if m.ID == 0 || ids[m.ID] {
			t.Fatalf("EnqueueMessage ids %d, %d, %d, %d: want distinct non-zero ids", email.ID, sms.ID, sent.ID, failed.ID)
		}
		ids[m.ID] = true
	}
	got := listMessages(t, s, a.ID, store.MessageQuery{})
	want := []crewid.Message{messageUTC(failed), messageUTC(sent), messageUTC(sms), messageUTC(email)}
	check(t, "Messages (newest first)", want, got)
}

func testMessageValidation(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	valid := outboxMessage(a.ID, crewid.ChannelEmail, "ann@example.com", crewid.MessagePending, at(0))
	cases := []struct {
		what   string
		change func(m *crewid.Message)
	}{
		{"unknown channel", func(m *crewid.Message) { m.Channel = "fax" }},
		{"empty channel", func(m *crewid.Message) { m.Channel = "" }},
		{"unknown status", func(m *crewid.Message) { m.Status = "queued" }},
		{"empty status", func(m *crewid.Message) { m.Status = "" }},
		{"empty recipient", func(m *crewid.Message) { m.Recipient = "" }},
	}
	for _, tc := range cases {
		m := valid
		tc.change(&m)
		err := s.Update(ctx(t), func(tx store.Tx) error { return tx.EnqueueMessage(ctx(t), &m) })
		if crewid.CodeOf(err) != crewid.Invalid {
			t.Errorf("EnqueueMessage with %s: got %s, want an Invalid error", tc.what, describe(err))
		}
	}
	m := valid
	m.TenantID = missingID
	err := s.Update(ctx(t), func(tx store.Tx) error { return tx.EnqueueMessage(ctx(t), &m) })
	wantRefused(t, "EnqueueMessage for a missing tenant", err)

	if got := listMessages(t, s, a.ID, store.MessageQuery{}); len(got) != 0 {
		t.Errorf("Messages after refused enqueues: %d messages, want none", len(got))
	}
}

func testMessageOrderAndPaging(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	var msgs []crewid.Message
	for i := range 7 {
		msgs = append(msgs, outboxMessage(a.ID, crewid.ChannelEmail, fmt.Sprintf("p%d@example.com", i), crewid.MessagePending, at(time.Duration(i)*time.Minute)))
	}
	// One transaction per message: ids follow commit order.
	for i := range msgs {
		msgs[i] = enqueue(t, s, msgs[i])[0]
	}
	ids := messageIDs(msgs) // ascending
	desc := func(ids ...int64) []int64 {
		out := make([]int64, len(ids))
		for i, id := range ids {
			out[len(ids)-1-i] = id
		}
		return out
	}

	checkIDs(t, "Messages()", desc(ids...), messageIDs(listMessages(t, s, a.ID, store.MessageQuery{})))

	page1 := listMessages(t, s, a.ID, store.MessageQuery{Limit: 3})
	checkIDs(t, "Messages(Limit 3)", desc(ids[4:]...), messageIDs(page1))
	page2 := listMessages(t, s, a.ID, store.MessageQuery{Limit: 3, BeforeID: page1[len(page1)-1].ID})
	checkIDs(t, "Messages(Limit 3, BeforeID) page 2", desc(ids[1:4]...), messageIDs(page2))
	page3 := listMessages(t, s, a.ID, store.MessageQuery{Limit: 3, BeforeID: page2[len(page2)-1].ID})
	checkIDs(t, "Messages(Limit 3, BeforeID) page 3", desc(ids[0]), messageIDs(page3))
	page4 := listMessages(t, s, a.ID, store.MessageQuery{Limit: 3, BeforeID: ids[0]})
	if page4 == nil || len(page4) != 0 {
		t.Errorf("Messages past the oldest: got %v, want an empty, non-nil list", messageIDs(page4))
	}

	checkIDs(t, "Messages(AfterID)", desc(ids[3:]...), messageIDs(listMessages(t, s, a.ID, store.MessageQuery{AfterID: ids[2]})))
	checkIDs(t, "Messages(AfterID, BeforeID)", desc(ids[3:5]...), messageIDs(listMessages(t, s, a.ID, store.MessageQuery{AfterID: ids[2], BeforeID: ids[5]})))
	checkIDs(t, "Messages(AfterID, Limit 2) keeps the newest", desc(ids[5:]...), messageIDs(listMessages(t, s, a.ID, store.MessageQuery{AfterID: ids[2], Limit: 2})))
}

func testMessageFilters(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	msgs := enqueue(t, s,
		outboxMessage(a.ID, crewid.ChannelEmail, "ann@example.com", crewid.MessagePending, at(0)),
		outboxMessage(a.ID, crewid.ChannelSMS, "+15550001111", crewid.MessageLocal, at(time.Minute)),
		outboxMessage(a.ID, crewid.ChannelEmail, "ann@example.com", crewid.MessageLocal, at(2*time.Minute)),
		outboxMessage(a.ID, crewid.ChannelEmail, "bob@example.com", crewid.MessagePending, at(3*time.Minute)),
	)
	sent := msgs[3]
	sent.Recipient, sent.Status, sent.SentOn = "cy@example.com", crewid.MessageSent, at(time.Hour)
	sent = enqueue(t, s, sent)[0]
	ids := messageIDs(msgs)

	for _, tc := range []struct {
		what string
		q    store.MessageQuery
		want []int64
	}{
		{"Recipient", store.MessageQuery{Recipient: "ann@example.com"}, []int64{ids[2], ids[0]}},
		{"Recipient (a phone number)", store.MessageQuery{Recipient: "+15550001111"}, []int64{ids[1]}},
		{"Recipient (no match)", store.MessageQuery{Recipient: "ann@example"}, nil},
		{"Status pending", store.MessageQuery{Status: crewid.MessagePending}, []int64{ids[3], ids[0]}},
		{"Status local", store.MessageQuery{Status: crewid.MessageLocal}, []int64{ids[2], ids[1]}},
		{"Status sent", store.MessageQuery{Status: crewid.MessageSent}, []int64{sent.ID}},
		{"Status failed", store.MessageQuery{Status: crewid.MessageFailed}, nil},
		{"Recipient and Status", store.MessageQuery{Recipient: "ann@example.com", Status: crewid.MessageLocal}, []int64{ids[2]}},
		{"Recipient and BeforeID", store.MessageQuery{Recipient: "ann@example.com", BeforeID: ids[2]}, []int64{ids[0]}},
	} {
		checkIDs(t, "Messages("+tc.what+")", tc.want, messageIDs(listMessages(t, s, a.ID, tc.q)))
	}
}

func testMessageLimit(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	const n = 502
	msgs := make([]crewid.Message, n)
	for i := range msgs {
		msgs[i] = outboxMessage(a.ID, crewid.ChannelSMS, fmt.Sprintf("+1555%07d", i), crewid.MessageLocal, at(time.Duration(i)*time.Second))
	}
	msgs = enqueue(t, s, msgs...)
	newest := msgs[n-1].ID
	for _, tc := range []struct {
		limit, want int
	}{
		{0, 100}, {-1, 100}, {1, 1}, {250, 250}, {500, 500}, {501, 500}, {100000, 500},
	} {
		got := listMessages(t, s, a.ID, store.MessageQuery{Limit: tc.limit})
		if len(got) != tc.want {
			t.Errorf("Messages(Limit %d): %d messages, want %d", tc.limit, len(got), tc.want)
			continue
		}
		if got[0].ID != newest {
			t.Errorf("Messages(Limit %d): first id %d, want the newest, %d", tc.limit, got[0].ID, newest)
		}
	}
}

func testMessageTenantIsolation(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	b := newTenant(t, s, "Bolt")
	ma := enqueue(t, s, outboxMessage(a.ID, crewid.ChannelEmail, "same@example.com", crewid.MessagePending, at(0)))[0]
	mb := enqueue(t, s, outboxMessage(b.ID, crewid.ChannelEmail, "same@example.com", crewid.MessagePending, at(0)))[0]

	checkIDs(t, "Messages(tenant a)", []int64{ma.ID}, messageIDs(listMessages(t, s, a.ID, store.MessageQuery{})))
	checkIDs(t, "Messages(tenant b)", []int64{mb.ID}, messageIDs(listMessages(t, s, b.ID, store.MessageQuery{})))
	checkIDs(t, "Messages(tenant a, Recipient)", []int64{ma.ID}, messageIDs(listMessages(t, s, a.ID, store.MessageQuery{Recipient: "same@example.com"})))
	checkIDs(t, "Messages(tenant a, paging across b's ids)", []int64{ma.ID}, messageIDs(listMessages(t, s, a.ID, store.MessageQuery{BeforeID: mb.ID + 1})))
	if got := listMessages(t, s, missingID, store.MessageQuery{}); got == nil || len(got) != 0 {
		t.Errorf("Messages(unknown tenant): got %v, want an empty, non-nil list", messageIDs(got))
	}
}

func testMessageRollback(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	kept := enqueue(t, s, outboxMessage(a.ID, crewid.ChannelEmail, "kept@example.com", crewid.MessagePending, at(0)))[0]
	ghost := outboxMessage(a.ID, crewid.ChannelEmail, "ghost@example.com", crewid.MessagePending, at(time.Minute))
	err := s.Update(ctx(t), func(tx store.Tx) error {
		if err := tx.EnqueueMessage(ctx(t), &ghost); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("Update: got %v, want the error fn returned", err)
	}
	checkIDs(t, "Messages after a rolled back enqueue", []int64{kept.ID}, messageIDs(listMessages(t, s, a.ID, store.MessageQuery{})))
}

func testMessageOffset(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	var msgs []crewid.Message
	for i := range 7 {
		status := crewid.MessageLocal
		if i%2 == 0 {
			status = crewid.MessagePending
		}
		msgs = append(msgs, enqueue(t, s, outboxMessage(a.ID, crewid.ChannelEmail, fmt.Sprintf("p%d@example.com", i), status, at(time.Duration(i)*time.Minute)))[0])
	}
	ids := messageIDs(msgs)
	desc := slices.Clone(ids)
	slices.Reverse(desc)
	pending := []int64{ids[6], ids[4], ids[2], ids[0]}
	for _, tc := range []struct {
		what string
		q    store.MessageQuery
		want []int64
	}{
		{"Offset 0", store.MessageQuery{Offset: 0, Limit: 3}, desc[:3]},
		{"Offset -5 (none skipped)", store.MessageQuery{Offset: -5, Limit: 3}, desc[:3]},
		{"Offset 3", store.MessageQuery{Offset: 3, Limit: 3}, desc[3:6]},
		{"Offset 6", store.MessageQuery{Offset: 6, Limit: 3}, desc[6:]},
		{"Offset 7", store.MessageQuery{Offset: 7, Limit: 3}, nil},
		{"Offset 1000", store.MessageQuery{Offset: 1000}, nil},
		{"Offset with Status", store.MessageQuery{Offset: 1, Limit: 2, Status: crewid.MessagePending}, pending[1:3]},
		{"Offset with BeforeID", store.MessageQuery{Offset: 1, BeforeID: ids[5]}, desc[3:]},
	} {
		got := listMessages(t, s, a.ID, tc.q)
		if got == nil {
			t.Errorf("Messages(%s): nil list, want a non-nil one", tc.what)
		}
		checkIDs(t, "Messages("+tc.what+")", tc.want, messageIDs(got))
	}
}

// ---- delivery ----------------------------------------------------------------

// claim calls ClaimMessages and fails the test on error.
func claim(t testing.TB, s store.Store, owner string, now, until time.Time, limit int, channels ...string) []crewid.Message {
	t.Helper()
	got, err := s.ClaimMessages(ctx(t), owner, now, until, limit, channels...)
	if err != nil {
		t.Fatalf("ClaimMessages(%q, limit %d, channels %v): %v", owner, limit, channels, err)
	}
	if got == nil {
		t.Fatalf("ClaimMessages(%q): nil list, want a non-nil one", owner)
	}
	return got
}

// readMessage finds one message of the tenant by id.
func readMessage(t testing.TB, s store.Reader, tenantID, id int64) crewid.Message {
	t.Helper()
	for _, m := range listMessages(t, s, tenantID, store.MessageQuery{AfterID: id - 1, BeforeID: id + 1}) {
		if m.ID == id {
			return m
		}
	}
	t.Fatalf("message %d of tenant %d not found", id, tenantID)
	return crewid.Message{}
}

func wantLeaseLost(t testing.TB, what string, err error) {
	t.Helper()
	if !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("%s: got %s, want store.ErrLeaseLost", what, describe(err))
	}
}

func testClaimMessages(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	b := newTenant(t, s, "Bolt")
	p1 := outboxMessage(a.ID, crewid.ChannelEmail, "ann@example.com", crewid.MessagePending, fine(0))
	p1.Attempts, p1.LastError = 2, "421 try later"
	p2 := outboxMessage(b.ID, crewid.ChannelSMS, "+15550001111", crewid.MessagePending, fine(time.Minute))
	future := outboxMessage(a.ID, crewid.ChannelEmail, "later@example.com", crewid.MessagePending, fine(time.Hour))
	local := outboxMessage(a.ID, crewid.ChannelEmail, "local@example.com", crewid.MessageLocal, at(0))
	sent := outboxMessage(a.ID, crewid.ChannelEmail, "sent@example.com", crewid.MessageSent, at(0))
	sent.SentOn = at(time.Second)
	failed := outboxMessage(b.ID, crewid.ChannelSMS, "+15550002222", crewid.MessageFailed, at(0))
	// Enqueued last but due first: claims go by due time, not by id.
	p0 := outboxMessage(b.ID, crewid.ChannelEmail, "early@example.com", crewid.MessagePending, fine(-time.Minute))
	msgs := enqueue(t, s, p1, p2, future, local, sent, failed, p0)
	p1, p2, future, p0 = msgs[0], msgs[1], msgs[2], msgs[6]

	now := fine(2 * time.Minute)
	until := now.Add(5 * time.Minute)
	got := claim(t, s, "node-1", now, until, 10)
	var want []crewid.Message
	for _, m := range []crewid.Message{p0, p1, p2} {
		m.Attempts++
		want = append(want, messageUTC(m))
	}
	check(t, "ClaimMessages (due pending messages of every tenant, oldest due first, attempts counted)", want, got)

	// The claim is stored: the list shows the counted attempts.
	check(t, "message after its claim", want[1], readMessage(t, s, a.ID, p1.ID))
	for _, m := range []crewid.Message{future, msgs[3], msgs[4], msgs[5]} {
		check(t, "message not claimed", messageUTC(m), readMessage(t, s, m.TenantID, m.ID))
	}

	// Live leases keep the messages from every other claim, the owner's too.
	if got := claim(t, s, "node-2", now, until, 10); len(got) != 0 {
		t.Errorf("ClaimMessages by another owner during the leases: got %v, want none", messageIDs(got))
	}
	if got := claim(t, s, "node-1", now.Add(time.Minute), until, 10); len(got) != 0 {
		t.Errorf("ClaimMessages by the same owner during the leases: got %v, want none", messageIDs(got))
	}

	// The future message is claimed once due (the others are done by then).
	for _, m := range want {
		must(t, "MarkSent", s.MarkSent(ctx(t), m.ID, "node-1", now))
	}
	later := future.NextAttemptOn
	got = claim(t, s, "node-2", later, later.Add(time.Minute), 10)
	checkIDs(t, "ClaimMessages when the future message is due", []int64{future.ID}, messageIDs(got))
}

func testClaimChannelsAndLimit(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	var msgs []crewid.Message
	for i := range 5 {
		msgs = append(msgs,
			outboxMessage(a.ID, crewid.ChannelEmail, fmt.Sprintf("p%d@example.com", i), crewid.MessagePending, at(time.Duration(i)*time.Second)),
			outboxMessage(a.ID, crewid.ChannelSMS, fmt.Sprintf("+1555000%04d", i), crewid.MessagePending, at(time.Duration(i)*time.Second)))
	}
	msgs = enqueue(t, s, msgs...)
	var email, sms []int64
	for _, m := range msgs {
		if m.Channel == crewid.ChannelEmail {
			email = append(email, m.ID)
		} else {
			sms = append(sms, m.ID)
		}
	}
	now := at(time.Minute)
	until := now.Add(time.Minute)
	checkIDs(t, "ClaimMessages(sms, limit 3)", sms[:3], messageIDs(claim(t, s, "w", now, until, 3, crewid.ChannelSMS)))
	checkIDs(t, "ClaimMessages(email, limit 100)", email, messageIDs(claim(t, s, "w", now, until, 100, crewid.ChannelEmail)))
	checkIDs(t, "ClaimMessages(email) when none is left", nil, messageIDs(claim(t, s, "w", now, until, 100, crewid.ChannelEmail)))
	checkIDs(t, "ClaimMessages(every channel, limit 1)", sms[3:4], messageIDs(claim(t, s, "w", now, until, 1)))
	checkIDs(t, "ClaimMessages(email and sms)", sms[4:], messageIDs(claim(t, s, "w", now, until, 10, crewid.ChannelEmail, crewid.ChannelSMS)))
}

func testClaimLeaseExpiry(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	m := enqueue(t, s, outboxMessage(a.ID, crewid.ChannelEmail, "ann@example.com", crewid.MessagePending, at(0)))[0]
	now := at(time.Minute)
	until := now.Add(time.Minute)
	checkIDs(t, "first claim", []int64{m.ID}, messageIDs(claim(t, s, "node-1", now, until, 5)))
	checkIDs(t, "claim just before the lease ends", nil, messageIDs(claim(t, s, "node-2", until.Add(-time.Microsecond), until.Add(time.Hour), 5)))

	// node-1 died: once its lease has ended, node-2 takes the message over.
	got := claim(t, s, "node-2", until, until.Add(time.Minute), 5)
	checkIDs(t, "claim when the lease has ended", []int64{m.ID}, messageIDs(got))
	if got[0].Attempts != 2 {
		t.Errorf("attempts after two claims: %d, want 2", got[0].Attempts)
	}
	// node-1 comes back: it can no longer record anything.
	wantLeaseLost(t, "MarkSent by the owner of an ended lease taken over by another", s.MarkSent(ctx(t), m.ID, "node-1", until))
	wantLeaseLost(t, "MarkRetry by the owner of an ended lease taken over by another", s.MarkRetry(ctx(t), m.ID, "node-1", 1, until, "x"))
	wantLeaseLost(t, "MarkFailed by the owner of an ended lease taken over by another", s.MarkFailed(ctx(t), m.ID, "node-1", "x"))
	if st := readMessage(t, s, a.ID, m.ID); st.Status != crewid.MessagePending || st.Attempts != 2 || st.LastError != "" {
		t.Errorf("message after refused marks: status %q attempts %d lastError %q, want pending, 2, empty", st.Status, st.Attempts, st.LastError)
	}
	must(t, "MarkSent by the new owner", s.MarkSent(ctx(t), m.ID, "node-2", until.Add(time.Second)))

	// An ended lease nobody took over still lets its owner record the result.
	m2 := enqueue(t, s, outboxMessage(a.ID, crewid.ChannelEmail, "bob@example.com", crewid.MessagePending, at(0)))[0]
	claim(t, s, "node-3", now, until, 5)
	must(t, "MarkSent after the lease ended, not taken over", s.MarkSent(ctx(t), m2.ID, "node-3", until.Add(time.Hour)))
	if st := readMessage(t, s, a.ID, m2.ID); st.Status != crewid.MessageSent {
		t.Errorf("status after MarkSent: %q, want sent", st.Status)
	}
}

func testClaimValidation(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	m := enqueue(t, s, outboxMessage(a.ID, crewid.ChannelEmail, "ann@example.com", crewid.MessagePending, at(0)))[0]
	now := at(time.Minute)
	for _, tc := range []struct {
		what     string
		owner    string
		until    time.Time
		limit    int
		channels []string
	}{
		{"no owner", "", now.Add(time.Minute), 5, nil},
		{"a lease ending when it starts", "w", now, 5, nil},
		{"a lease ending before it starts", "w", now.Add(-time.Second), 5, nil},
		{"limit 0", "w", now.Add(time.Minute), 0, nil},
		{"a negative limit", "w", now.Add(time.Minute), -1, nil},
		{"an unknown channel", "w", now.Add(time.Minute), 5, []string{"fax"}},
	} {
		got, err := s.ClaimMessages(ctx(t), tc.owner, now, tc.until, tc.limit, tc.channels...)
		if crewid.CodeOf(err) != crewid.Invalid {
			t.Errorf("ClaimMessages with %s: got %v and %s, want an Invalid error", tc.what, messageIDs(got), describe(err))
		}
	}
	check(t, "message after refused claims", messageUTC(m), readMessage(t, s, a.ID, m.ID))
}

func testMarkMessages(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	var in []crewid.Message
	for i := range 4 {
		m := outboxMessage(a.ID, crewid.ChannelEmail, fmt.Sprintf("p%d@example.com", i), crewid.MessagePending, fine(time.Duration(i)*time.Second))
		m.LastError = "earlier error"
		in = append(in, m)
	}
	in = enqueue(t, s, in...)
	now := fine(time.Minute)
	got := claim(t, s, "w", now, now.Add(time.Minute), 10)
	checkIDs(t, "claim", messageIDs(in), messageIDs(got))
	sent, retry, failed, back := got[0], got[1], got[2], got[3]

	sentOn := fine(90 * time.Second)
	must(t, "MarkSent", s.MarkSent(ctx(t), sent.ID, "w", sentOn))
	wantSent := sent
	wantSent.Status, wantSent.SentOn = crewid.MessageSent, sentOn.UTC()
	check(t, "message after MarkSent (attempts and last error kept)", wantSent, readMessage(t, s, a.ID, sent.ID))

	next := fine(2 * time.Minute)
	must(t, "MarkRetry", s.MarkRetry(ctx(t), retry.ID, "w", retry.Attempts, next, "421 mailbox busy"))
	wantRetry := retry
	wantRetry.NextAttemptOn, wantRetry.LastError = next.UTC(), "421 mailbox busy"
	check(t, "message after MarkRetry", wantRetry, readMessage(t, s, a.ID, retry.ID))

	must(t, "MarkFailed", s.MarkFailed(ctx(t), failed.ID, "w", "550 no such user"))
	wantFailed := failed
	wantFailed.Status, wantFailed.LastError = crewid.MessageFailed, "550 no such user"
	check(t, "message after MarkFailed (attempts kept)", wantFailed, readMessage(t, s, a.ID, failed.ID))

	// Giving a message back untried restores what the claim changed.
	must(t, "MarkRetry (give back)", s.MarkRetry(ctx(t), back.ID, "w", back.Attempts-1, in[3].NextAttemptOn, in[3].LastError))
	check(t, "message given back", messageUTC(in[3]), readMessage(t, s, a.ID, back.ID))

	// Results are final: nothing changes a sent or failed message.
	wantLeaseLost(t, "MarkSent of a sent message", s.MarkSent(ctx(t), sent.ID, "w", now))
	wantLeaseLost(t, "MarkRetry of a sent message", s.MarkRetry(ctx(t), sent.ID, "w", 1, now, "x"))
	wantLeaseLost(t, "MarkFailed of a sent message", s.MarkFailed(ctx(t), sent.ID, "w", "x"))
	wantLeaseLost(t, "MarkSent of a failed message", s.MarkSent(ctx(t), failed.ID, "w", now))
	check(t, "sent message after refused marks", wantSent, readMessage(t, s, a.ID, sent.ID))
	check(t, "failed message after refused marks", wantFailed, readMessage(t, s, a.ID, failed.ID))

	// Released messages wait for their due time, then are claimed again,
	// by anyone.
	checkIDs(t, "claim before the retry is due", []int64{back.ID}, messageIDs(claim(t, s, "v", next.Add(-time.Microsecond), next.Add(time.Hour), 10)))
	again := claim(t, s, "v", next, next.Add(time.Hour), 10)
	checkIDs(t, "claim when the retry is due", []int64{retry.ID}, messageIDs(again))
	if again[0].Attempts != retry.Attempts+1 {
		t.Errorf("attempts at the second claim: %d, want %d", again[0].Attempts, retry.Attempts+1)
	}
}

func testMarkNeedsLease(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	free := enqueue(t, s, outboxMessage(a.ID, crewid.ChannelEmail, "free@example.com", crewid.MessagePending, at(0)))[0]
	// An empty owner must not match the empty owner of an unleased message.
	wantLeaseLost(t, "MarkSent of an unleased message with an empty owner", s.MarkSent(ctx(t), free.ID, "", at(0)))
	wantLeaseLost(t, "MarkRetry of an unleased message with an empty owner", s.MarkRetry(ctx(t), free.ID, "", 1, at(0), "x"))
	wantLeaseLost(t, "MarkFailed of an unleased message with an empty owner", s.MarkFailed(ctx(t), free.ID, "", "x"))
	wantLeaseLost(t, "MarkSent of an unleased message", s.MarkSent(ctx(t), free.ID, "w", at(0)))
	check(t, "unleased message after refused marks", messageUTC(free), readMessage(t, s, a.ID, free.ID))

	now := at(time.Minute)
	leased := claim(t, s, "owner", now, now.Add(time.Minute), 1)[0]
	wantLeaseLost(t, "MarkSent by another worker", s.MarkSent(ctx(t), leased.ID, "other", now))
	wantLeaseLost(t, "MarkRetry by another worker", s.MarkRetry(ctx(t), leased.ID, "other", 5, now, "x"))
	wantLeaseLost(t, "MarkFailed by another worker", s.MarkFailed(ctx(t), leased.ID, "other", "x"))
	wantLeaseLost(t, "MarkSent with an empty owner", s.MarkSent(ctx(t), leased.ID, "", now))
	check(t, "leased message after refused marks", leased, readMessage(t, s, a.ID, leased.ID))

	wantLeaseLost(t, "MarkSent of a missing message", s.MarkSent(ctx(t), missingID, "owner", now))

	local := enqueue(t, s, outboxMessage(a.ID, crewid.ChannelEmail, "local@example.com", crewid.MessageLocal, at(0)))[0]
	wantLeaseLost(t, "MarkSent of a local message", s.MarkSent(ctx(t), local.ID, "owner", now))

	if err := s.MarkRetry(ctx(t), leased.ID, "owner", -1, now, "x"); crewid.CodeOf(err) != crewid.Invalid {
		t.Errorf("MarkRetry with a negative attempt count: got %s, want an Invalid error", describe(err))
	}
}

// testConcurrentClaims runs several workers claiming from one store at
// once, each as if on its own node, until nothing is left. Nothing is
// marked while they claim: only the leases keep the sets apart.
func testConcurrentClaims(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	b := newTenant(t, s, "Bolt")
	const n = 300
	msgs := make([]crewid.Message, n)
	for i := range msgs {
		tid, channel, to := a.ID, crewid.ChannelEmail, fmt.Sprintf("p%d@example.com", i)
		if i%3 == 0 {
			tid, channel, to = b.ID, crewid.ChannelSMS, fmt.Sprintf("+1555%07d", i)
		}
		msgs[i] = outboxMessage(tid, channel, to, crewid.MessagePending, at(time.Duration(i%17)*time.Second))
	}
	msgs = enqueue(t, s, msgs...)

	now := at(time.Minute)
	until := now.Add(time.Hour)
	const workers = 6
	var (
		mu      sync.Mutex
		owners  = map[int64][]string{}
		claims  = make([]int, workers)
		start   = make(chan struct{})
		wg      sync.WaitGroup
		errs    = make(chan error, workers)
		perCall = []int{1, 3, 7, 11, 2, 5}
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			owner := fmt.Sprintf("node-%d", w)
			<-start
			for {
				got, err := s.ClaimMessages(ctx(t), owner, now, until, perCall[w])
				if err != nil {
					errs <- fmt.Errorf("%s: ClaimMessages: %w", owner, err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				claims[w]++
				for _, m := range got {
					owners[m.ID] = append(owners[m.ID], owner)
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
	for _, m := range msgs {
		if got := owners[m.ID]; len(got) != 1 {
			t.Errorf("message %d was claimed by %v, want exactly one worker", m.ID, got)
		}
	}
	if len(owners) != n {
		t.Errorf("%d distinct messages claimed, want %d", len(owners), n)
	}
	t.Logf("claims per worker: %v", claims)

	// Every owner records its results at once; each message ends sent.
	var mwg sync.WaitGroup
	for id, who := range owners {
		mwg.Add(1)
		go func() {
			defer mwg.Done()
			if err := s.MarkSent(ctx(t), id, who[0], now.Add(time.Second)); err != nil {
				t.Errorf("MarkSent(%d) by %s: %v", id, who[0], err)
			}
		}()
	}
	mwg.Wait()
	for _, tid := range []int64{a.ID, b.ID} {
		if left := listMessages(t, s, tid, store.MessageQuery{Status: crewid.MessagePending}); len(left) != 0 {
			t.Errorf("tenant %d: %d messages still pending after every MarkSent", tid, len(left))
		}
	}
}
