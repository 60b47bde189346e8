package accounts

import (
	"context"
	"sync"
	"testing"
	"time"

	"crewid"
	"crewid/access"
	"crewid/accounts/password"
	"crewid/apps"
	"crewid/org"
	"crewid/store"
	"crewid/store/sqlite"
)

// heldStore holds the first transaction until release is closed, and
// counts the transactions begun.
type heldStore struct {
	store.Store
	entered, release chan struct{}
	mu               sync.Mutex
	updates          int
}

func (h *heldStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	h.mu.Lock()
	h.updates++
	first := h.updates == 1
	h.mu.Unlock()
	if first {
		close(h.entered)
		<-h.release
	}
	return h.Store.Update(ctx, fn)
}

func (h *heldStore) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.updates
}

// Two sign-ins share one hash slot while the first one's transaction is
// held at its start. By default the first keeps the slot until its writes
// are done, so the second does not hash (and does not reach its own
// writes) meanwhile; with ReleaseSlotAfterHash the second goes on at once.
func TestSignInSlotAndItsWrites(t *testing.T) {
	for _, tc := range []struct {
		name             string
		release          bool
		updatesWhileHeld int
	}{
		{"held through the writes", false, 1},
		{"released after the hash", true, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			signInsWithOneSlot(t, tc.release, tc.updatesWhileHeld)
		})
	}
}

func signInsWithOneSlot(t *testing.T, releaseAfterHash bool, updatesWhileHeld int) {
	t.Helper()
	ctx := context.Background()
	st := sqlite.OpenTest(t)
	operator := crewid.Actor{Type: crewid.ActorOperator, Name: "test"}
	tenant, roles, err := (&org.Service{Store: st, Now: time.Now}).CreateTenant(ctx, operator, "Slot Heating")
	if err != nil {
		t.Fatal(err)
	}
	var role int64
	for _, r := range roles {
		if r.BuiltIn == access.KeyOfficeStaff {
			role = r.ID
		}
	}
	const pw = "Slot-Test-Pass-9"
	hash, err := password.Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	logins := []string{"slot.first", "slot.second"}
	err = st.Update(ctx, func(tx store.Tx) error {
		for _, login := range logins {
			p := crewid.Person{TenantID: tenant.ID, Kind: crewid.KindEmployee, Name: login, Email: login + "@slot.example",
				Active: true, RoleIDs: []int64{role}, CreatedOn: now, ModifiedOn: now,
				Account: crewid.Account{State: crewid.AccountEstablished, Login: login, PasswordHash: hash, PasswordSetOn: now, LastSignInOn: now}}
			if err := tx.CreatePerson(ctx, &p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	held := &heldStore{Store: st, entered: make(chan struct{}), release: make(chan struct{})}
	svc := &Service{Store: held, Keys: apps.NewKeys(st, nil), Config: Config{MaxConcurrentHashes: 1, ReleaseSlotAfterHash: releaseAfterHash}}
	results := make(chan error, 2)
	signIn := func(login string) {
		_, err := svc.SignIn(ctx, login, pw, Meta{})
		results <- err
	}
	go signIn(logins[0])
	select {
	case <-held.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the first sign-in never began its transaction")
	}
	go signIn(logins[1])
	// Long enough for the second sign-in to hash several times over, had
	// it a slot.
	deadline := time.Now().Add(300 * time.Millisecond)
	for time.Now().Before(deadline) && held.count() < updatesWhileHeld {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if n := held.count(); n != updatesWhileHeld {
		t.Errorf("%d transactions begun while the first sign-in's was held, want %d", n, updatesWhileHeld)
	}
	close(held.release)
	for range 2 {
		if err := <-results; err != nil {
			t.Errorf("sign-in: %v", err)
		}
	}
	if n := held.count(); n != 2 {
		t.Errorf("%d transactions in all, want 2", n)
	}
}
