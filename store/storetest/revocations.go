package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"crewid"
	"crewid/store"
)

// RunRevocations runs the conformance tests of token revocations. open is
// as for Run; every test gets a store of its own.
func RunRevocations(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"RevocationsRoundTrip", testRevocationsRoundTrip},
		{"RevocationsConcurrent", testRevocationsConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

func revoke(t testing.TB, s store.Store, r crewid.TokenRevocation) crewid.TokenRevocation {
	t.Helper()
	update(t, s, func(tx store.Tx) error { return tx.RevokeToken(ctx(t), &r) })
	if r.ID == 0 {
		t.Fatal("RevokeToken did not set the id")
	}
	return r
}

func testRevocationsRoundTrip(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	b := newTenant(t, s, "Bolt")
	none, err := s.TokenRevocations(ctx(t), 0, at(0), 0)
	must(t, "TokenRevocations on an empty store", err)
	if none == nil || len(none) != 0 {
		t.Fatalf("TokenRevocations on an empty store = %#v, want an empty non-nil slice", none)
	}

	one := revoke(t, s, crewid.TokenRevocation{TenantID: a.ID, AppID: 7, TokenID: "jti-one", RevokedOn: fine(0), ExpiresOn: fine(15 * time.Minute)})
	app := revoke(t, s, crewid.TokenRevocation{TenantID: b.ID, AppID: 9, RevokedOn: fine(time.Minute), ExpiresOn: fine(16 * time.Minute)})
	if app.ID <= one.ID {
		t.Fatalf("ids must grow: %d then %d", one.ID, app.ID)
	}
	utc := func(r crewid.TokenRevocation) crewid.TokenRevocation {
		r.RevokedOn, r.ExpiresOn = r.RevokedOn.UTC(), r.ExpiresOn.UTC()
		return r
	}
	got, err := s.TokenRevocations(ctx(t), 0, fine(time.Minute), 0)
	must(t, "TokenRevocations", err)
	check(t, "every tenant's revocations, in id order", []crewid.TokenRevocation{utc(one), utc(app)}, got)

	got, err = s.TokenRevocations(ctx(t), one.ID, fine(time.Minute), 0)
	must(t, "TokenRevocations after the first", err)
	check(t, "revocations after the first id", []crewid.TokenRevocation{utc(app)}, got)

	got, err = s.TokenRevocations(ctx(t), 0, fine(time.Minute), 1)
	must(t, "TokenRevocations with a limit", err)
	check(t, "revocations limited to one", []crewid.TokenRevocation{utc(one)}, got)

	// At the first one's expiry it is no longer listed; the second is.
	got, err = s.TokenRevocations(ctx(t), 0, fine(15*time.Minute), 0)
	must(t, "TokenRevocations at the first expiry", err)
	check(t, "revocations at the first expiry", []crewid.TokenRevocation{utc(app)}, got)

	// A later revocation deletes those expired before it, and its id still
	// comes after every earlier one.
	late := revoke(t, s, crewid.TokenRevocation{TenantID: a.ID, AppID: 7, TokenID: "jti-late", RevokedOn: fine(20 * time.Minute), ExpiresOn: fine(35 * time.Minute)})
	if late.ID <= app.ID {
		t.Fatalf("ids must grow after deletions: %d then %d", app.ID, late.ID)
	}
	got, err = s.TokenRevocations(ctx(t), 0, at(0), 0)
	must(t, "TokenRevocations after the clean-up", err)
	check(t, "revocations left after the clean-up", []crewid.TokenRevocation{utc(late)}, got)
}

// testRevocationsConcurrent revokes from many transactions at once: every
// revocation is listed once, and a reader that resumes from the last id it
// saw, polling while they commit, misses none.
func testRevocationsConcurrent(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			r := crewid.TokenRevocation{TenantID: a.ID, AppID: 1, TokenID: fmt.Sprintf("jti-%d", i),
				RevokedOn: fine(0), ExpiresOn: fine(time.Hour)}
			errs <- s.Update(ctx(t), func(tx store.Tx) error { return tx.RevokeToken(ctx(t), &r) })
		})
	}
	seen := map[string]bool{}
	var last int64
	poll := func() {
		rs, err := s.TokenRevocations(ctx(t), last, fine(0), 0)
		must(t, "TokenRevocations while revoking", err)
		for _, r := range rs {
			if seen[r.TokenID] {
				t.Errorf("revocation %q listed twice", r.TokenID)
			}
			seen[r.TokenID] = true
			last = r.ID
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for polling := true; polling; {
		select {
		case <-done:
			polling = false
		default:
			poll()
		}
	}
	poll()
	close(errs)
	for err := range errs {
		must(t, "RevokeToken", err)
	}
	if len(seen) != n {
		t.Fatalf("the poller saw %d revocations, want %d", len(seen), n)
	}
}
