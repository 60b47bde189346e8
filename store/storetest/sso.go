package storetest

import (
	"context"
	"crypto/sha256"
	"sync"
	"testing"
	"time"

	"crewid"
	"crewid/store"
)

// RunSSO runs the conformance tests of single sign-on storage: tenant
// configurations, started sign-ins, sign-ins without a password, and the
// method sessions record. open is as for Run; every test gets a store of
// its own.
func RunSSO(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"SSOConfigRoundTrip", testSSOConfigRoundTrip},
		{"SSOSignIns", testSSOSignIns},
		{"ConcurrentSSOSignInUse", testConcurrentSSOSignInUse},
		{"RecordExternalSignIn", testRecordExternalSignIn},
		{"SessionMethod", testSessionMethod},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			tc.fn(t, s)
		})
	}
}

func putSSOConfig(t testing.TB, s store.Store, cfg crewid.SSOConfig) crewid.SSOConfig {
	t.Helper()
	update(t, s, func(tx store.Tx) error { return tx.PutSSOConfig(ctx(t), &cfg) })
	return cfg
}

func testSSOConfigRoundTrip(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	b := newTenant(t, s, "Bolt")
	_, err := s.SSOConfig(ctx(t), a.ID)
	wantNotFound(t, "SSOConfig before any was saved", err)

	first := crewid.SSOConfig{
		TenantID: a.ID, IssuerURL: "https://login.example.com/tenant-a/v2.0", ClientID: "client-a",
		ClientSecret: "secret-a", Scopes: []string{"openid", "email", "profile"},
		UserIDClaim: "oid", EmailClaim: "email", TrustEmail: false, Enabled: true, RequireForEmployees: true,
		CreatedOn: fine(0), ModifiedOn: fine(0),
	}
	putSSOConfig(t, s, first)
	got, err := s.SSOConfig(ctx(t), a.ID)
	must(t, "SSOConfig", err)
	want := first
	want.CreatedOn, want.ModifiedOn = first.CreatedOn.UTC(), first.ModifiedOn.UTC()
	check(t, "configuration read back", want, got)

	// A second save replaces every field but keeps the creation time.
	second := crewid.SSOConfig{
		TenantID: a.ID, IssuerURL: "https://idp.example.org", ClientID: "client-a2", ClientSecret: "secret-a2",
		Scopes: []string{}, UserIDClaim: "sub", EmailClaim: "upn", TrustEmail: true,
		CreatedOn: at(time.Hour), ModifiedOn: at(time.Hour),
	}
	saved := putSSOConfig(t, s, second)
	if !sameTime(saved.CreatedOn, first.CreatedOn.UTC()) {
		t.Errorf("PutSSOConfig on an existing configuration set CreatedOn %v, want the first save's %v", saved.CreatedOn, first.CreatedOn.UTC())
	}
	got, err = s.SSOConfig(ctx(t), a.ID)
	must(t, "SSOConfig after replace", err)
	want = second
	want.CreatedOn, want.ModifiedOn = first.CreatedOn.UTC(), second.ModifiedOn.UTC()
	check(t, "replaced configuration", want, got)
	if got.Scopes == nil {
		t.Errorf("empty scopes read back as nil")
	}

	// Another tenant's configuration is its own.
	_, err = s.SSOConfig(ctx(t), b.ID)
	wantNotFound(t, "SSOConfig of a tenant that saved none", err)
	putSSOConfig(t, s, crewid.SSOConfig{TenantID: b.ID, IssuerURL: "https://b.example", ClientID: "client-b",
		Scopes: []string{"openid"}, UserIDClaim: "oid", EmailClaim: "email", CreatedOn: at(0), ModifiedOn: at(0)})
	if got, err := s.SSOConfig(ctx(t), a.ID); err != nil || got.ClientID != "client-a2" {
		t.Errorf("tenant A's configuration after B saved one: %+v, %v", got, err)
	}
	wantRefused(t, "PutSSOConfig of a missing tenant", inTx(t, s, func(c context.Context, tx store.Tx) error {
		cfg := crewid.SSOConfig{TenantID: missingID, IssuerURL: "https://x", ClientID: "x", Scopes: []string{},
			UserIDClaim: "oid", EmailClaim: "email", CreatedOn: at(0), ModifiedOn: at(0)}
		return tx.PutSSOConfig(c, &cfg)
	}))
}

func stateHash(state string) []byte {
	h := sha256.Sum256([]byte(state))
	return h[:]
}

func newSSOSignIn(tenantID int64, state string, created time.Time) crewid.SSOSignIn {
	return crewid.SSOSignIn{
		TenantID: tenantID, StateHash: stateHash(state), NonceHash: stateHash("nonce-" + state),
		BrowserHash: stateHash("browser-" + state), PKCEVerifier: "verifier-" + state, Redirect: "/people?page=2",
		CreatedOn: created, ExpiresOn: created.Add(10 * time.Minute),
	}
}

func createSSOSignIn(t testing.TB, s store.Store, si crewid.SSOSignIn) crewid.SSOSignIn {
	t.Helper()
	update(t, s, func(tx store.Tx) error { return tx.CreateSSOSignIn(ctx(t), &si) })
	if si.ID == 0 {
		t.Fatalf("CreateSSOSignIn did not set the id")
	}
	return si
}

func useSSOSignIn(t testing.TB, s store.Store, tenantID, id int64, now time.Time) bool {
	t.Helper()
	var ok bool
	update(t, s, func(tx store.Tx) error {
		var err error
		ok, err = tx.UseSSOSignIn(ctx(t), tenantID, id, now)
		return err
	})
	return ok
}

func testSSOSignIns(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	b := newTenant(t, s, "Bolt")
	si := createSSOSignIn(t, s, newSSOSignIn(a.ID, "state-1", fine(0)))
	got, err := s.SSOSignInByStateHash(ctx(t), stateHash("state-1"))
	must(t, "SSOSignInByStateHash", err)
	want := si
	want.CreatedOn, want.ExpiresOn = si.CreatedOn.UTC(), si.ExpiresOn.UTC()
	check(t, "sign-in read back", want, got)

	_, err = s.SSOSignInByStateHash(ctx(t), stateHash("unknown"))
	wantNotFound(t, "SSOSignInByStateHash of an unknown state", err)
	_, err = s.SSOSignInByStateHash(ctx(t), nil)
	wantNotFound(t, "SSOSignInByStateHash(nil)", err)

	dup := newSSOSignIn(b.ID, "state-1", fine(0))
	wantConflict(t, "CreateSSOSignIn with a state hash already stored", inTx(t, s, func(c context.Context, tx store.Tx) error {
		return tx.CreateSSOSignIn(c, &dup)
	}), "")
	for _, bad := range []func(*crewid.SSOSignIn){
		func(x *crewid.SSOSignIn) { x.StateHash = nil },
		func(x *crewid.SSOSignIn) { x.NonceHash = nil },
		func(x *crewid.SSOSignIn) { x.BrowserHash = nil },
		func(x *crewid.SSOSignIn) { x.PKCEVerifier = "" },
	} {
		x := newSSOSignIn(a.ID, "state-bad", at(0))
		bad(&x)
		err := inTx(t, s, func(c context.Context, tx store.Tx) error { return tx.CreateSSOSignIn(c, &x) })
		if crewid.CodeOf(err) != crewid.Invalid {
			t.Errorf("CreateSSOSignIn(%+v): %s; want Invalid", x, describe(err))
		}
	}

	// Single use: another tenant cannot use it, the first use wins, a
	// second does nothing.
	if useSSOSignIn(t, s, b.ID, si.ID, at(time.Minute)) {
		t.Errorf("UseSSOSignIn in another tenant reported a use")
	}
	if !useSSOSignIn(t, s, a.ID, si.ID, at(time.Minute)) {
		t.Fatalf("UseSSOSignIn of a live sign-in reported no use")
	}
	if useSSOSignIn(t, s, a.ID, si.ID, at(2*time.Minute)) {
		t.Errorf("UseSSOSignIn of a used sign-in reported a use")
	}
	got, err = s.SSOSignInByStateHash(ctx(t), stateHash("state-1"))
	must(t, "SSOSignInByStateHash after use", err)
	if !sameTime(got.UsedOn, at(time.Minute).UTC()) {
		t.Errorf("UsedOn = %v, want %v", got.UsedOn, at(time.Minute).UTC())
	}

	// Expiry: at ExpiresOn it can no longer be used.
	late := createSSOSignIn(t, s, newSSOSignIn(a.ID, "state-late", at(0)))
	if useSSOSignIn(t, s, a.ID, late.ID, late.ExpiresOn) {
		t.Errorf("UseSSOSignIn at its expiry reported a use")
	}

	// Clean-up deletes only the sign-ins expired before the time given.
	fresh := createSSOSignIn(t, s, newSSOSignIn(b.ID, "state-fresh", at(time.Hour)))
	var deleted int
	update(t, s, func(tx store.Tx) error {
		var err error
		deleted, err = tx.DeleteSSOSignIns(ctx(t), at(30*time.Minute))
		return err
	})
	if deleted != 2 {
		t.Errorf("DeleteSSOSignIns deleted %d sign-ins, want 2", deleted)
	}
	_, err = s.SSOSignInByStateHash(ctx(t), stateHash("state-late"))
	wantNotFound(t, "an expired sign-in after DeleteSSOSignIns", err)
	if got, err := s.SSOSignInByStateHash(ctx(t), stateHash("state-fresh")); err != nil || got.ID != fresh.ID {
		t.Errorf("a live sign-in after DeleteSSOSignIns: %+v, %v", got, err)
	}
}

func testConcurrentSSOSignInUse(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	si := createSSOSignIn(t, s, newSSOSignIn(a.ID, "state-race", at(0)))
	const callers = 8
	var wg sync.WaitGroup
	results := make(chan bool, callers)
	for range callers {
		wg.Go(func() {
			var ok bool
			err := s.Update(context.Background(), func(tx store.Tx) error {
				var err error
				ok, err = tx.UseSSOSignIn(context.Background(), a.ID, si.ID, at(time.Minute))
				return err
			})
			if err != nil {
				t.Errorf("UseSSOSignIn: %v", err)
			}
			results <- ok
		})
	}
	wg.Wait()
	close(results)
	uses := 0
	for ok := range results {
		if ok {
			uses++
		}
	}
	if uses != 1 {
		t.Errorf("%d concurrent UseSSOSignIn calls reported %d uses, want exactly 1", callers, uses)
	}
}

func recordExternal(t testing.TB, s store.Store, tenantID, personID int64, on time.Time) (bool, error) {
	t.Helper()
	var ok bool
	err := s.Update(ctx(t), func(tx store.Tx) error {
		var err error
		ok, err = tx.RecordExternalSignIn(ctx(t), tenantID, personID, on)
		return err
	})
	return ok, err
}

func testRecordExternalSignIn(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	b := newTenant(t, s, "Bolt")
	// A person with a password, failures and a lock: signing in through
	// the provider leaves all three alone.
	ann := createPerson(t, s, accountHolder(a.ID, "Ann", "ann"))
	recordFailure(t, s, a.ID, ann.ID, at(time.Second), 2, at(time.Hour))
	recordFailure(t, s, a.ID, ann.ID, at(2*time.Second), 2, at(time.Hour))
	locked := readPerson(t, s, a.ID, ann.ID)
	ok, err := recordExternal(t, s, a.ID, ann.ID, at(time.Minute))
	if err != nil || !ok {
		t.Fatalf("RecordExternalSignIn: %v, %v; want a write", ok, err)
	}
	p := readPerson(t, s, a.ID, ann.ID)
	if p.Account.State != crewid.AccountEstablished || !sameTime(p.Account.LastSignInOn, at(time.Minute).UTC()) || p.Seq <= locked.Seq {
		t.Errorf("after an external sign-in: %+v (seq %d → %d)", p.Account, locked.Seq, p.Seq)
	}
	if p.Account.PasswordHash != "hash-ann" || !sameTime(p.Account.LockedUntil, locked.Account.LockedUntil) ||
		p.Account.FailedSignIns != locked.Account.FailedSignIns {
		t.Errorf("an external sign-in changed the password side: %+v, was %+v", p.Account, locked.Account)
	}
	seq := p.Seq
	if ok, err := recordExternal(t, s, a.ID, ann.ID, at(2*time.Minute)); err != nil || !ok {
		t.Fatalf("second RecordExternalSignIn: %v, %v", ok, err)
	}
	p = readPerson(t, s, a.ID, ann.ID)
	if !sameTime(p.Account.LastSignInOn, at(2*time.Minute).UTC()) || p.Seq != seq {
		t.Errorf("after a second external sign-in: last %v seq %d (was %d)", p.Account.LastSignInOn, p.Seq, seq)
	}

	// A person without any account becomes established.
	bea := createPerson(t, s, withContact(employee(a.ID, "Bea"), "bea@example.com", ""))
	if ok, err := recordExternal(t, s, a.ID, bea.ID, at(time.Minute)); err != nil || !ok {
		t.Fatalf("RecordExternalSignIn without a password: %v, %v", ok, err)
	}
	if p := readPerson(t, s, a.ID, bea.ID); p.Account.State != crewid.AccountEstablished || p.Account.PasswordHash != "" {
		t.Errorf("after an external sign-in without a password: %+v", p.Account)
	}

	// Inactive people are not signed in.
	cal := employee(a.ID, "Cal")
	cal.Active = false
	cal = createPerson(t, s, withContact(cal, "cal@example.com", ""))
	if ok, err := recordExternal(t, s, a.ID, cal.ID, at(time.Minute)); err != nil || ok {
		t.Errorf("RecordExternalSignIn of an inactive person: %v, %v; want no write", ok, err)
	}
	if p := readPerson(t, s, a.ID, cal.ID); !p.Account.LastSignInOn.IsZero() || p.Seq != cal.Seq {
		t.Errorf("an inactive person was changed: %+v", p.Account)
	}

	_, err = recordExternal(t, s, a.ID, missingID, at(time.Minute))
	wantNotFound(t, "RecordExternalSignIn of a missing person", err)
	_, err = recordExternal(t, s, b.ID, ann.ID, at(time.Minute))
	wantNotFound(t, "RecordExternalSignIn in another tenant", err)
}

func testSessionMethod(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	ann := createPerson(t, s, accountHolder(a.ID, "Ann", "ann"))
	createSession(t, s, newSession(ann, "fam-pw", "tok-pw", at(0)))
	if got := readSession(t, s, "tok-pw"); got.Method != crewid.SignInPassword {
		t.Errorf("a session created without a method reads back with %q, want %q", got.Method, crewid.SignInPassword)
	}
	sso := newSession(ann, "fam-sso", "tok-sso", at(0))
	sso.Method = crewid.SignInSSO
	createSession(t, s, sso)
	if got := readSession(t, s, "tok-sso"); got.Method != crewid.SignInSSO {
		t.Errorf("an SSO session reads back with method %q", got.Method)
	}
}
