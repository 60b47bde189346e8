package storetest

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"crewid"
	"crewid/store"
)

// RunSessions runs the conformance tests of sign-in bookkeeping (failed
// sign-ins, lockout, successful sign-ins), sessions, invitation use and
// forgotten-password secrets. open is as for Run; every test gets a store of
// its own.
func RunSessions(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"LockPerson", testLockPerson},
		{"FailedSignIns", testFailedSignIns},
		{"ConcurrentFailedSignIns", testConcurrentFailedSignIns},
		{"RecordSignIn", testRecordSignIn},
		{"UseInvitation", testUseInvitation},
		{"SessionRoundTrip", testSessionRoundTrip},
		{"SessionRotation", testSessionRotation},
		{"SessionRevocation", testSessionRevocation},
		{"ResetCodes", testResetCodes},
		{"ResetTokens", testResetTokens},
		{"SessionsRollback", testSessionsRollback},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			tc.fn(t, s)
		})
	}
}

// accountHolder is an employee with a login and a password hash.
func accountHolder(tenantID int64, name, login string) crewid.Person {
	p := withContact(employee(tenantID, name), login+"@example.com", "")
	p.Account = crewid.Account{State: crewid.AccountAccepted, Login: login, PasswordHash: "hash-" + login, PasswordSetOn: at(0)}
	return p
}

// inTx runs fn in a transaction and returns its error.
func inTx(t testing.TB, s store.Store, fn func(c context.Context, tx store.Tx) error) error {
	return s.Update(ctx(t), func(tx store.Tx) error { return fn(ctx(t), tx) })
}

func testLockPerson(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	b := newTenant(t, s, "Bolt")
	ann := createPerson(t, s, accountHolder(a.ID, "Ann", "ann"))
	before := readPerson(t, s, a.ID, ann.ID)
	must(t, "LockPerson", inTx(t, s, func(c context.Context, tx store.Tx) error { return tx.LockPerson(c, a.ID, ann.ID) }))
	after := readPerson(t, s, a.ID, ann.ID)
	check(t, "person after LockPerson", before, after)
	wantNotFound(t, "LockPerson of a missing person", inTx(t, s, func(c context.Context, tx store.Tx) error {
		return tx.LockPerson(c, a.ID, missingID)
	}))
	wantNotFound(t, "LockPerson in another tenant", inTx(t, s, func(c context.Context, tx store.Tx) error {
		return tx.LockPerson(c, b.ID, ann.ID)
	}))
}

func recordFailure(t testing.TB, s store.Store, tenantID, personID int64, now time.Time, threshold int, until time.Time) store.FailedSignIn {
	t.Helper()
	var res store.FailedSignIn
	update(t, s, func(tx store.Tx) error {
		var err error
		res, err = tx.RecordFailedSignIn(ctx(t), tenantID, personID, now, threshold, until)
		return err
	})
	return res
}

func testFailedSignIns(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	b := newTenant(t, s, "Bolt")
	ann := createPerson(t, s, accountHolder(a.ID, "Ann", "ann"))
	const threshold = 3
	until := at(30 * time.Minute)

	for i := 1; i < threshold; i++ {
		res := recordFailure(t, s, a.ID, ann.ID, at(time.Duration(i)*time.Second), threshold, until)
		if want := (store.FailedSignIn{Counted: true, Failures: i}); res != want {
			t.Fatalf("failure %d: got %+v, want %+v", i, res, want)
		}
	}
	p := readPerson(t, s, a.ID, ann.ID)
	if p.Account.FailedSignIns != threshold-1 || !p.Account.LockedUntil.IsZero() {
		t.Errorf("after %d failures: count %d, locked until %v; want %d and not locked", threshold-1, p.Account.FailedSignIns, p.Account.LockedUntil, threshold-1)
	}
	if p.Seq != ann.Seq {
		t.Errorf("failures that do not lock moved the change number: %d → %d", ann.Seq, p.Seq)
	}

	lockAt := at(10 * time.Second)
	res := recordFailure(t, s, a.ID, ann.ID, lockAt, threshold, until)
	if want := (store.FailedSignIn{Counted: true, Failures: 0, Locked: true}); res != want {
		t.Fatalf("failure at the threshold: got %+v, want %+v", res, want)
	}
	p = readPerson(t, s, a.ID, ann.ID)
	if !sameTime(p.Account.LockedUntil, until.UTC()) || p.Account.FailedSignIns != 0 {
		t.Errorf("after locking: locked until %v, count %d; want %v and 0", p.Account.LockedUntil, p.Account.FailedSignIns, until.UTC())
	}
	if p.Seq <= ann.Seq || !sameTime(p.ModifiedOn, lockAt.UTC()) {
		t.Errorf("locking did not move the change number and ModifiedOn: seq %d → %d, modified %v", ann.Seq, p.Seq, p.ModifiedOn)
	}

	// While locked nothing is counted.
	res = recordFailure(t, s, a.ID, ann.ID, at(11*time.Second), threshold, at(time.Hour))
	if res != (store.FailedSignIn{}) {
		t.Errorf("failure while locked: got %+v, want nothing counted", res)
	}
	if got := readPerson(t, s, a.ID, ann.ID); !sameTime(got.Account.LockedUntil, until.UTC()) || got.Account.FailedSignIns != 0 {
		t.Errorf("failure while locked changed the account: %+v", got.Account)
	}
	// Once the lock has passed, counting starts again.
	res = recordFailure(t, s, a.ID, ann.ID, until, threshold, until.Add(time.Hour))
	if want := (store.FailedSignIn{Counted: true, Failures: 1}); res != want {
		t.Errorf("failure after the lock passed: got %+v, want %+v", res, want)
	}

	wantNotFound(t, "RecordFailedSignIn of a missing person", inTx(t, s, func(c context.Context, tx store.Tx) error {
		_, err := tx.RecordFailedSignIn(c, a.ID, missingID, at(0), threshold, until)
		return err
	}))
	wantNotFound(t, "RecordFailedSignIn in another tenant", inTx(t, s, func(c context.Context, tx store.Tx) error {
		_, err := tx.RecordFailedSignIn(c, b.ID, ann.ID, at(0), threshold, until)
		return err
	}))
}

// testConcurrentFailedSignIns checks that failures recorded at the same
// time by many transactions are all counted, and that exactly one of them
// locks the account.
func testConcurrentFailedSignIns(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	ann := createPerson(t, s, accountHolder(a.ID, "Ann", "ann"))
	bob := createPerson(t, s, accountHolder(a.ID, "Bob", "bob"))
	const n = 24
	run := func(personID int64, threshold int) []store.FailedSignIn {
		var wg sync.WaitGroup
		results := make([]store.FailedSignIn, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				errs[i] = inTx(t, s, func(c context.Context, tx store.Tx) error {
					var err error
					results[i], err = tx.RecordFailedSignIn(c, a.ID, personID, at(time.Second), threshold, at(time.Hour))
					return err
				})
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("concurrent RecordFailedSignIn %d: %v", i, err)
			}
		}
		return results
	}

	// A threshold above n: every failure counted, each count seen once.
	results := run(ann.ID, 1000)
	var counts []int
	for _, r := range results {
		counts = append(counts, r.Failures)
	}
	sort.Ints(counts)
	for i, c := range counts {
		if c != i+1 {
			t.Fatalf("concurrent failures returned counts %v, want 1..%d each once", counts, n)
		}
	}
	if got := readPerson(t, s, a.ID, ann.ID).Account.FailedSignIns; got != n {
		t.Errorf("after %d concurrent failures the count is %d", n, got)
	}

	// A threshold below n: exactly one failure locks; those after it are
	// not counted.
	results = run(bob.ID, 10)
	locked, counted := 0, 0
	for _, r := range results {
		if r.Locked {
			locked++
		}
		if r.Counted {
			counted++
		}
	}
	if locked != 1 || counted != 10 {
		t.Errorf("concurrent failures with threshold 10: %d locked and %d counted, want 1 and 10", locked, counted)
	}
	if p := readPerson(t, s, a.ID, bob.ID); p.Account.LockedUntil.IsZero() {
		t.Errorf("account not locked after concurrent failures")
	}
}

func testRecordSignIn(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	ann := createPerson(t, s, accountHolder(a.ID, "Ann", "ann"))
	record := func(personID int64, si store.SignIn) bool {
		t.Helper()
		var ok bool
		update(t, s, func(tx store.Tx) error {
			var err error
			ok, err = tx.RecordSignIn(ctx(t), a.ID, personID, si)
			return err
		})
		return ok
	}
	recordFailure(t, s, a.ID, ann.ID, at(time.Second), 10, at(time.Hour))

	// A stale hash writes nothing.
	if record(ann.ID, store.SignIn{PasswordHash: "other", On: at(time.Minute), Complete: true}) {
		t.Errorf("RecordSignIn with a hash the person no longer has reported a write")
	}
	if p := readPerson(t, s, a.ID, ann.ID); p.Account.FailedSignIns != 1 || !p.Account.LastSignInOn.IsZero() {
		t.Errorf("RecordSignIn with a stale hash changed the account: %+v", p.Account)
	}

	// Not complete: only the failure count is cleared (and a rehash kept).
	if !record(ann.ID, store.SignIn{PasswordHash: "hash-ann", NewHash: "rehash-ann", On: at(time.Minute)}) {
		t.Fatalf("RecordSignIn (not complete) did not write")
	}
	p := readPerson(t, s, a.ID, ann.ID)
	if p.Account.FailedSignIns != 0 || p.Account.PasswordHash != "rehash-ann" || !p.Account.LastSignInOn.IsZero() ||
		p.Account.State != crewid.AccountAccepted || p.Seq != ann.Seq {
		t.Errorf("after an incomplete sign-in: %+v (seq %d → %d)", p.Account, ann.Seq, p.Seq)
	}

	// Complete: last sign-in, Established, and a new change number for
	// the state change.
	if !record(ann.ID, store.SignIn{PasswordHash: "rehash-ann", On: at(2 * time.Minute), Complete: true}) {
		t.Fatalf("RecordSignIn did not write")
	}
	p = readPerson(t, s, a.ID, ann.ID)
	if p.Account.State != crewid.AccountEstablished || !sameTime(p.Account.LastSignInOn, at(2*time.Minute).UTC()) ||
		p.Account.PasswordHash != "rehash-ann" || p.Seq <= ann.Seq {
		t.Errorf("after a sign-in: %+v (seq %d → %d)", p.Account, ann.Seq, p.Seq)
	}
	seq := p.Seq
	// A later sign-in changes the time but not the change number.
	if !record(ann.ID, store.SignIn{PasswordHash: "rehash-ann", On: at(3 * time.Minute), Complete: true}) {
		t.Fatalf("second RecordSignIn did not write")
	}
	p = readPerson(t, s, a.ID, ann.ID)
	if !sameTime(p.Account.LastSignInOn, at(3*time.Minute).UTC()) || p.Seq != seq {
		t.Errorf("after a second sign-in: last %v seq %d (was %d)", p.Account.LastSignInOn, p.Seq, seq)
	}

	// Locked or inactive: nothing written.
	recordFailure(t, s, a.ID, ann.ID, at(4*time.Minute), 1, at(time.Hour))
	if record(ann.ID, store.SignIn{PasswordHash: "rehash-ann", On: at(5 * time.Minute), Complete: true}) {
		t.Errorf("RecordSignIn of a locked account wrote")
	}
	if !record(ann.ID, store.SignIn{PasswordHash: "rehash-ann", On: at(time.Hour), Complete: true}) {
		t.Errorf("RecordSignIn once the lock passed did not write")
	}
	bob := accountHolder(a.ID, "Bob", "bob")
	bob.Active = false
	bob = createPerson(t, s, bob)
	if record(bob.ID, store.SignIn{PasswordHash: "hash-bob", On: at(time.Minute), Complete: true}) {
		t.Errorf("RecordSignIn of an inactive person wrote")
	}
}

func testUseInvitation(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	b := newTenant(t, s, "Bolt")
	ann := createPerson(t, s, withContact(employee(a.ID, "Ann"), "ann@example.com", ""))
	use := func(tenantID, id int64, now time.Time) (bool, error) {
		var ok bool
		err := inTx(t, s, func(c context.Context, tx store.Tx) error {
			var err error
			ok, err = tx.UseInvitation(c, tenantID, id, now)
			return err
		})
		return ok, err
	}

	live := createInvitation(t, s, invitationFor(ann, "live", crewid.ChannelEmail, at(0)))
	if ok, err := use(b.ID, live.ID, at(time.Hour)); !crewid.IsNotFound(err) || ok {
		t.Errorf("UseInvitation in another tenant: %v, %s; want NotFound", ok, describe(err))
	}
	if ok, err := use(a.ID, live.ID, at(time.Hour)); err != nil || !ok {
		t.Fatalf("UseInvitation of a live invitation: %v, %v", ok, err)
	}
	got := readInvitation(t, s, live.TokenHash)
	if !sameTime(got.UsedOn, at(time.Hour).UTC()) {
		t.Errorf("UsedOn = %v, want %v", got.UsedOn, at(time.Hour).UTC())
	}
	if ok, err := use(a.ID, live.ID, at(2*time.Hour)); err != nil || ok {
		t.Errorf("second UseInvitation: %v, %v; want false", ok, err)
	}

	expired := createInvitation(t, s, invitationFor(ann, "expired", crewid.ChannelEmail, at(0)))
	if ok, err := use(a.ID, expired.ID, expired.ExpiresOn); err != nil || ok {
		t.Errorf("UseInvitation at expiry: %v, %v; want false", ok, err)
	}
	voided := createInvitation(t, s, invitationFor(ann, "voided", crewid.ChannelEmail, at(0)))
	update(t, s, func(tx store.Tx) error { return tx.VoidInvitations(ctx(t), a.ID, ann.ID, at(time.Minute)) })
	if ok, err := use(a.ID, voided.ID, at(2*time.Minute)); err != nil || ok {
		t.Errorf("UseInvitation of a voided invitation: %v, %v; want false", ok, err)
	}
	if _, err := use(a.ID, missingID, at(0)); !crewid.IsNotFound(err) {
		t.Errorf("UseInvitation of a missing invitation: %s; want NotFound", describe(err))
	}
}

func newSession(p crewid.Person, family, token string, created time.Time) crewid.Session {
	return crewid.Session{
		TenantID:    p.TenantID,
		PersonID:    p.ID,
		FamilyID:    family,
		RefreshHash: tokenHash(token),
		CreatedOn:   created,
		ExpiresOn:   created.Add(30 * 24 * time.Hour),
		IP:          "192.0.2.7",
		UserAgent:   "storetest/1.0",
	}
}

func createSession(t testing.TB, s store.Store, sess crewid.Session) crewid.Session {
	t.Helper()
	update(t, s, func(tx store.Tx) error { return tx.CreateSession(ctx(t), &sess) })
	if sess.ID == 0 {
		t.Fatalf("CreateSession did not set the id")
	}
	return sess
}

func readSession(t testing.TB, s store.Reader, token string) crewid.Session {
	t.Helper()
	sess, err := s.SessionByRefreshHash(ctx(t), tokenHash(token))
	if err != nil {
		t.Fatalf("SessionByRefreshHash(%s): %v", token, err)
	}
	return sess
}

func sessionUTC(s crewid.Session) crewid.Session {
	for _, tp := range []*time.Time{&s.CreatedOn, &s.ExpiresOn, &s.RotatedOn, &s.RevokedOn} {
		if !tp.IsZero() {
			*tp = tp.UTC()
		}
	}
	return s
}

func testSessionRoundTrip(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	b := newTenant(t, s, "Bolt")
	ann := createPerson(t, s, accountHolder(a.ID, "Ann", "ann"))
	bob := createPerson(t, s, accountHolder(b.ID, "Bob", "bob"))

	sess := newSession(ann, "fam-1", "tok-1", fine(0))
	sess = createSession(t, s, sess)
	check(t, "session read back", sessionUTC(sess), readSession(t, s, "tok-1"))
	other := createSession(t, s, newSession(bob, "fam-2", "tok-2", fine(0)))
	if got := readSession(t, s, "tok-2"); got.TenantID != b.ID || got.ID != other.ID {
		t.Errorf("session of another tenant read back as %+v", got)
	}

	_, err := s.SessionByRefreshHash(ctx(t), tokenHash("missing"))
	wantNotFound(t, "SessionByRefreshHash of an unknown hash", err)
	_, err = s.SessionByRefreshHash(ctx(t), nil)
	wantNotFound(t, "SessionByRefreshHash(nil)", err)

	dup := newSession(ann, "fam-3", "tok-1", fine(time.Minute))
	wantConflict(t, "CreateSession with a refresh hash already stored", inTx(t, s, func(c context.Context, tx store.Tx) error {
		return tx.CreateSession(c, &dup)
	}), "")
	cross := newSession(ann, "fam-4", "tok-4", fine(0))
	cross.TenantID = b.ID
	wantRefused(t, "CreateSession for a person of another tenant", inTx(t, s, func(c context.Context, tx store.Tx) error {
		return tx.CreateSession(c, &cross)
	}))
	for _, bad := range []crewid.Session{
		{TenantID: a.ID, PersonID: ann.ID, RefreshHash: tokenHash("x"), CreatedOn: at(0), ExpiresOn: at(time.Hour)},
		{TenantID: a.ID, PersonID: ann.ID, FamilyID: "f", CreatedOn: at(0), ExpiresOn: at(time.Hour)},
	} {
		err := inTx(t, s, func(c context.Context, tx store.Tx) error { return tx.CreateSession(c, &bad) })
		if crewid.CodeOf(err) != crewid.Invalid {
			t.Errorf("CreateSession(%+v): %s; want Invalid", bad, describe(err))
		}
	}
}

func testSessionRotation(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	b := newTenant(t, s, "Bolt")
	ann := createPerson(t, s, accountHolder(a.ID, "Ann", "ann"))
	first := createSession(t, s, newSession(ann, "fam", "tok-1", at(0)))
	rotate := func(tenantID, id int64, now time.Time) bool {
		t.Helper()
		var ok bool
		update(t, s, func(tx store.Tx) error {
			var err error
			ok, err = tx.RotateSession(ctx(t), tenantID, id, now)
			return err
		})
		return ok
	}
	if rotate(b.ID, first.ID, at(time.Minute)) {
		t.Errorf("RotateSession in another tenant reported a rotation")
	}
	if !rotate(a.ID, first.ID, at(time.Minute)) {
		t.Fatalf("RotateSession of a live session reported none")
	}
	if got := readSession(t, s, "tok-1"); !sameTime(got.RotatedOn, at(time.Minute).UTC()) {
		t.Errorf("RotatedOn = %v, want %v", got.RotatedOn, at(time.Minute).UTC())
	}
	if rotate(a.ID, first.ID, at(2*time.Minute)) {
		t.Errorf("second RotateSession of the same session reported a rotation")
	}
	second := createSession(t, s, newSession(ann, "fam", "tok-2", at(time.Minute)))
	update(t, s, func(tx store.Tx) error { return tx.RevokeSessionFamily(ctx(t), a.ID, "fam", at(3*time.Minute)) })
	if rotate(a.ID, second.ID, at(4*time.Minute)) {
		t.Errorf("RotateSession of a revoked session reported a rotation")
	}

	// Concurrent refreshes of one token: exactly one rotates it.
	third := createSession(t, s, newSession(ann, "fam-b", "tok-3", at(0)))
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 8 {
		wg.Go(func() {
			err := inTx(t, s, func(c context.Context, tx store.Tx) error {
				ok, err := tx.RotateSession(c, a.ID, third.ID, at(time.Minute))
				if ok {
					mu.Lock()
					wins++
					mu.Unlock()
				}
				return err
			})
			if err != nil {
				t.Errorf("concurrent RotateSession: %v", err)
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d concurrent rotations of one session succeeded, want 1", wins)
	}
}

func testSessionRevocation(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	ann := createPerson(t, s, accountHolder(a.ID, "Ann", "ann"))
	bob := createPerson(t, s, accountHolder(a.ID, "Bob", "bob"))
	createSession(t, s, newSession(ann, "f1", "t1a", at(0)))
	createSession(t, s, newSession(ann, "f1", "t1b", at(time.Minute)))
	createSession(t, s, newSession(ann, "f2", "t2", at(0)))
	createSession(t, s, newSession(ann, "f3", "t3", at(0)))
	createSession(t, s, newSession(bob, "f4", "t4", at(0)))

	revoked := func(personID int64, since time.Time) []string {
		t.Helper()
		fams, err := s.RevokedSessionFamilies(ctx(t), a.ID, personID, since)
		must(t, "RevokedSessionFamilies", err)
		if fams == nil {
			t.Errorf("RevokedSessionFamilies returned nil, want an empty slice")
		}
		sort.Strings(fams)
		return fams
	}
	if got := revoked(ann.ID, time.Time{}); len(got) != 0 {
		t.Errorf("revoked families before any revocation: %v", got)
	}
	update(t, s, func(tx store.Tx) error { return tx.RevokeSessionFamily(ctx(t), a.ID, "f1", at(time.Hour)) })
	for _, tok := range []string{"t1a", "t1b"} {
		if got := readSession(t, s, tok); !sameTime(got.RevokedOn, at(time.Hour).UTC()) {
			t.Errorf("session %s RevokedOn = %v, want %v", tok, got.RevokedOn, at(time.Hour).UTC())
		}
	}
	if got := readSession(t, s, "t2"); !got.RevokedOn.IsZero() {
		t.Errorf("another family was revoked too")
	}
	check(t, "revoked families", []string{"f1"}, revoked(ann.ID, time.Time{}))
	check(t, "revoked families since the revocation", []string{"f1"}, revoked(ann.ID, at(time.Hour)))
	check(t, "revoked families after the revocation", []string{}, revoked(ann.ID, at(time.Hour+time.Microsecond)))

	// Revoking again keeps the first time.
	update(t, s, func(tx store.Tx) error { return tx.RevokeSessionFamily(ctx(t), a.ID, "f1", at(2*time.Hour)) })
	if got := readSession(t, s, "t1a"); !sameTime(got.RevokedOn, at(time.Hour).UTC()) {
		t.Errorf("a second revocation moved RevokedOn to %v", got.RevokedOn)
	}

	update(t, s, func(tx store.Tx) error { return tx.RevokeSessions(ctx(t), a.ID, ann.ID, "f3", at(3*time.Hour)) })
	check(t, "revoked families after RevokeSessions", []string{"f1", "f2"}, revoked(ann.ID, time.Time{}))
	if got := readSession(t, s, "t3"); !got.RevokedOn.IsZero() {
		t.Errorf("RevokeSessions revoked the family it was told to keep")
	}
	check(t, "another person's revoked families", []string{}, revoked(bob.ID, time.Time{}))
	update(t, s, func(tx store.Tx) error { return tx.RevokeSessions(ctx(t), a.ID, ann.ID, "", at(4*time.Hour)) })
	check(t, "revoked families after RevokeSessions of all", []string{"f1", "f2", "f3"}, revoked(ann.ID, time.Time{}))
	if got := readSession(t, s, "t4"); !got.RevokedOn.IsZero() {
		t.Errorf("RevokeSessions of one person revoked another's")
	}

	// Expired sessions go.
	update(t, s, func(tx store.Tx) error {
		return tx.DeleteExpiredSessions(ctx(t), a.ID, ann.ID, at(30*24*time.Hour+30*time.Second))
	})
	for tok, want := range map[string]bool{"t1a": false, "t1b": true, "t2": false, "t3": false, "t4": true} {
		_, err := s.SessionByRefreshHash(ctx(t), tokenHash(tok))
		if found := err == nil; found != want {
			t.Errorf("after DeleteExpiredSessions, session %s found = %v, want %v (err %v)", tok, found, want, err)
		}
	}
}

func resetCode(p crewid.Person, kind, channel, secret string, created time.Time, ttl time.Duration) crewid.ResetCode {
	return crewid.ResetCode{
		TenantID:  p.TenantID,
		PersonID:  p.ID,
		Kind:      kind,
		CodeHash:  tokenHash(fmt.Sprintf("%d/%s", p.ID, secret)),
		Channel:   channel,
		CreatedOn: created,
		ExpiresOn: created.Add(ttl),
	}
}

func createResetCode(t testing.TB, s store.Store, c crewid.ResetCode) crewid.ResetCode {
	t.Helper()
	update(t, s, func(tx store.Tx) error { return tx.CreateResetCode(ctx(t), &c) })
	if c.ID == 0 {
		t.Fatalf("CreateResetCode did not set the id")
	}
	return c
}

func resetCodeUTC(c crewid.ResetCode) crewid.ResetCode {
	for _, tp := range []*time.Time{&c.CreatedOn, &c.ExpiresOn, &c.UsedOn} {
		if !tp.IsZero() {
			*tp = tp.UTC()
		}
	}
	return c
}

func testResetCodes(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	b := newTenant(t, s, "Bolt")
	ann := createPerson(t, s, accountHolder(a.ID, "Ann", "ann"))
	live := func(personID int64, kind string, now time.Time) []crewid.ResetCode {
		t.Helper()
		codes, err := s.LiveResetCodes(ctx(t), a.ID, personID, kind, now)
		must(t, "LiveResetCodes", err)
		if codes == nil {
			t.Errorf("LiveResetCodes returned nil, want an empty slice")
		}
		return codes
	}
	c1 := createResetCode(t, s, resetCode(ann, crewid.ResetKindCode, crewid.ChannelEmail, "AbC123", fine(0), 15*time.Minute))
	c2 := createResetCode(t, s, resetCode(ann, crewid.ResetKindCode, crewid.ChannelSMS, "xYz789", fine(time.Minute), 15*time.Minute))
	// The same code twice (codes are short) is allowed.
	createResetCode(t, s, resetCode(ann, crewid.ResetKindCode, crewid.ChannelSMS, "xYz789", fine(time.Minute), time.Second))
	tok := createResetCode(t, s, resetCode(ann, crewid.ResetKindToken, "", "token", fine(0), time.Hour))

	got := live(ann.ID, crewid.ResetKindCode, at(2*time.Minute))
	check(t, "live codes, newest first", []crewid.ResetCode{resetCodeUTC(c2), resetCodeUTC(c1)}, got)
	check(t, "live tokens", []crewid.ResetCode{resetCodeUTC(tok)}, live(ann.ID, crewid.ResetKindToken, at(2*time.Minute)))
	if got := live(ann.ID, crewid.ResetKindCode, c1.ExpiresOn.Add(time.Microsecond)); len(got) != 1 || got[0].ID != c2.ID {
		t.Errorf("live codes after the first expired: %+v", got)
	}
	if codes, err := s.LiveResetCodes(ctx(t), b.ID, ann.ID, crewid.ResetKindCode, at(0)); err != nil || len(codes) != 0 {
		t.Errorf("LiveResetCodes in another tenant: %d codes, %v", len(codes), err)
	}

	for want := 1; want <= 3; want++ {
		var n int
		update(t, s, func(tx store.Tx) error {
			var err error
			n, err = tx.CountResetAttempt(ctx(t), a.ID, c2.ID)
			return err
		})
		if n != want {
			t.Errorf("CountResetAttempt = %d, want %d", n, want)
		}
	}
	wantNotFound(t, "CountResetAttempt in another tenant", inTx(t, s, func(c context.Context, tx store.Tx) error {
		_, err := tx.CountResetAttempt(c, b.ID, c2.ID)
		return err
	}))

	use := func(id int64, now time.Time) bool {
		t.Helper()
		var ok bool
		update(t, s, func(tx store.Tx) error {
			var err error
			ok, err = tx.UseResetCode(ctx(t), a.ID, id, now)
			return err
		})
		return ok
	}
	if use(c1.ID, c1.ExpiresOn) {
		t.Errorf("UseResetCode of an expired code reported a use")
	}
	if !use(c2.ID, at(3*time.Minute)) {
		t.Errorf("UseResetCode of a live code reported none")
	}
	if use(c2.ID, at(4*time.Minute)) {
		t.Errorf("second UseResetCode reported a use")
	}
	if got := live(ann.ID, crewid.ResetKindCode, at(3*time.Minute)); len(got) != 1 || got[0].ID != c1.ID {
		t.Errorf("live codes after one was used: %+v", got)
	}
	if got := live(ann.ID, crewid.ResetKindCode, at(3*time.Minute)); len(got) == 1 && got[0].Attempts != 0 {
		t.Errorf("attempts of an untouched code: %d", got[0].Attempts)
	}

	update(t, s, func(tx store.Tx) error { return tx.VoidResetCodes(ctx(t), a.ID, ann.ID, at(5*time.Minute)) })
	if got := live(ann.ID, crewid.ResetKindCode, at(5*time.Minute)); len(got) != 0 {
		t.Errorf("live codes after VoidResetCodes: %+v", got)
	}
	if got := live(ann.ID, crewid.ResetKindToken, at(5*time.Minute)); len(got) != 0 {
		t.Errorf("live tokens after VoidResetCodes: %+v", got)
	}

	for _, bad := range []crewid.ResetCode{
		resetCode(ann, "other", crewid.ChannelEmail, "k", at(0), time.Hour),
		resetCode(ann, crewid.ResetKindCode, "", "k", at(0), time.Hour),
		resetCode(ann, crewid.ResetKindCode, "pigeon", "k", at(0), time.Hour),
		{TenantID: a.ID, PersonID: ann.ID, Kind: crewid.ResetKindCode, Channel: crewid.ChannelEmail, ExpiresOn: at(time.Hour)},
	} {
		err := inTx(t, s, func(c context.Context, tx store.Tx) error { return tx.CreateResetCode(c, &bad) })
		if crewid.CodeOf(err) != crewid.Invalid {
			t.Errorf("CreateResetCode(%+v): %s; want Invalid", bad, describe(err))
		}
	}
	cross := resetCode(ann, crewid.ResetKindCode, crewid.ChannelEmail, "k", at(0), time.Hour)
	cross.TenantID = b.ID
	wantRefused(t, "CreateResetCode for a person of another tenant", inTx(t, s, func(c context.Context, tx store.Tx) error {
		return tx.CreateResetCode(c, &cross)
	}))
}

func testResetTokens(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	b := newTenant(t, s, "Bolt")
	ann := createPerson(t, s, accountHolder(a.ID, "Ann", "ann"))
	bob := createPerson(t, s, accountHolder(b.ID, "Bob", "bob"))
	annTok := createResetCode(t, s, resetCode(ann, crewid.ResetKindToken, crewid.ChannelEmail, "t-ann", fine(0), 24*time.Hour))
	bobTok := createResetCode(t, s, resetCode(bob, crewid.ResetKindToken, "", "t-bob", fine(0), time.Hour))
	// A code with the same hash as a token is not a token.
	createResetCode(t, s, resetCode(bob, crewid.ResetKindCode, crewid.ChannelSMS, "c-bob", fine(0), time.Hour))

	got, err := s.ResetTokenByHash(ctx(t), annTok.CodeHash)
	must(t, "ResetTokenByHash", err)
	check(t, "reset token read back", resetCodeUTC(annTok), got)
	got, err = s.ResetTokenByHash(ctx(t), bobTok.CodeHash)
	must(t, "ResetTokenByHash", err)
	if got.TenantID != b.ID {
		t.Errorf("token of another tenant read back as %+v", got)
	}
	_, err = s.ResetTokenByHash(ctx(t), resetCode(bob, crewid.ResetKindCode, crewid.ChannelSMS, "c-bob", fine(0), time.Hour).CodeHash)
	wantNotFound(t, "ResetTokenByHash of a code's hash", err)
	_, err = s.ResetTokenByHash(ctx(t), nil)
	wantNotFound(t, "ResetTokenByHash(nil)", err)

	dup := resetCode(ann, crewid.ResetKindToken, "", "t-ann", fine(time.Minute), time.Hour)
	wantConflict(t, "CreateResetCode with a token hash already stored", inTx(t, s, func(c context.Context, tx store.Tx) error {
		return tx.CreateResetCode(c, &dup)
	}), "")

	// Used tokens are still found (the caller decides).
	update(t, s, func(tx store.Tx) error {
		ok, err := tx.UseResetCode(ctx(t), a.ID, annTok.ID, at(time.Minute))
		if err == nil && !ok {
			t.Errorf("UseResetCode of a live token reported none")
		}
		return err
	})
	got, err = s.ResetTokenByHash(ctx(t), annTok.CodeHash)
	must(t, "ResetTokenByHash of a used token", err)
	if !sameTime(got.UsedOn, at(time.Minute).UTC()) {
		t.Errorf("UsedOn = %v, want %v", got.UsedOn, at(time.Minute).UTC())
	}
}

// testSessionsRollback checks that the writes of this file roll back with
// their transaction.
func testSessionsRollback(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	ann := createPerson(t, s, accountHolder(a.ID, "Ann", "ann"))
	err := inTx(t, s, func(c context.Context, tx store.Tx) error {
		sess := newSession(ann, "fam", "tok", at(0))
		if err := tx.CreateSession(c, &sess); err != nil {
			return err
		}
		rc := resetCode(ann, crewid.ResetKindToken, "", "tok", at(0), time.Hour)
		if err := tx.CreateResetCode(c, &rc); err != nil {
			return err
		}
		if _, err := tx.RecordFailedSignIn(c, a.ID, ann.ID, at(0), 1, at(time.Hour)); err != nil {
			return err
		}
		if _, err := tx.RecordSignIn(c, a.ID, ann.ID, store.SignIn{PasswordHash: "hash-ann", On: at(2 * time.Hour), Complete: true}); err != nil {
			return err
		}
		return errRollback
	})
	if err != errRollback {
		t.Fatalf("Update returned %v, want the rollback error", err)
	}
	_, err = s.SessionByRefreshHash(ctx(t), tokenHash("tok"))
	wantNotFound(t, "session of a rolled back transaction", err)
	_, err = s.ResetTokenByHash(ctx(t), resetCode(ann, crewid.ResetKindToken, "", "tok", at(0), time.Hour).CodeHash)
	wantNotFound(t, "reset token of a rolled back transaction", err)
	if p := readPerson(t, s, a.ID, ann.ID); p.Account.FailedSignIns != 0 || !p.Account.LockedUntil.IsZero() ||
		!p.Account.LastSignInOn.IsZero() || p.Account.State != ann.Account.State || p.Seq != ann.Seq {
		t.Errorf("person after rollback: %+v (seq %d, want %d)", p.Account, p.Seq, ann.Seq)
	}
}
