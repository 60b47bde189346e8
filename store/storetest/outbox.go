package storetest

import (
	"crypto/sha256"
	"errors"
	"fmt"
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
