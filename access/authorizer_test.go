package access_test

import (
	"context"
	"testing"
	"time"

	"crewid"
	"crewid/access"
	"crewid/store"
	"crewid/store/sqlite"
)

// TestAuthorizerCache: answers come from memory until Forget or the TTL,
// then from the store; external people never hold the restricted
// permissions whatever the data says; unknown people hold nothing.
func TestAuthorizerCache(t *testing.T) {
	st := sqlite.OpenTest(t)
	tenantID, personID := benchPerson(t, st)
	ctx := context.Background()
	a := &access.Authorizer{Store: st, TTL: 200 * time.Millisecond}
	allowed := func(perm int64) bool {
		t.Helper()
		ok, err := a.Allowed(ctx, tenantID, personID, perm)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	change := func(fn func(p *crewid.Person)) {
		t.Helper()
		err := st.Update(ctx, func(tx store.Tx) error {
			p, err := tx.Person(ctx, tenantID, personID)
			if err != nil {
				return err
			}
			fn(&p)
			return tx.UpdatePerson(ctx, &p)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if !allowed(access.PermEditEmployee) || !allowed(access.PermManageLogins) || allowed(access.PermAdminAccess) {
		t.Fatal("the first answer is not the person's effective permissions")
	}

	// A change straight in the store is not seen until the TTL passes.
	change(func(p *crewid.Person) {
		p.Overrides = []crewid.PermissionOverride{{PermissionID: access.PermEditEmployee, Granted: false}}
	})
	if !allowed(access.PermEditEmployee) {
		t.Fatal("the cached answer changed without Forget or TTL")
	}
	deadline := time.Now().Add(time.Second)
	for allowed(access.PermEditEmployee) {
		if time.Now().After(deadline) {
			t.Fatal("the change was not seen within the TTL")
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Forget makes the next answer read the store.
	change(func(p *crewid.Person) {
		p.External = true
		p.Overrides = []crewid.PermissionOverride{{PermissionID: access.PermAdminAccess, Granted: true}, {PermissionID: access.PermGenerateAppKey, Granted: true}}
	})
	a.Forget(tenantID)
	if !allowed(access.PermEditEmployee) {
		t.Fatal("Forget did not drop the cached answer")
	}
	if allowed(access.PermAdminAccess) || allowed(access.PermGenerateAppKey) {
		t.Fatal("an external person holds Admin Access or Generate API Application Key")
	}
	g, err := a.Resolve(ctx, tenantID, personID)
	if err != nil || !g.External || !g.Active || g.Kind != crewid.KindEmployee {
		t.Fatalf("Resolve = %+v, %v", g, err)
	}

	// An inactive person holds nothing but is still found; an unknown one is not.
	change(func(p *crewid.Person) { p.Active = false })
	a.Forget(tenantID)
	if allowed(access.PermEditEmployee) || allowed(access.AnyPerson) {
		t.Fatal("an inactive person holds permissions")
	}
	if ok, err := a.Allowed(ctx, tenantID, personID+1000, access.AnyPerson); ok || err != nil {
		t.Fatalf("unknown person: %v, %v", ok, err)
	}
	if _, err := a.Resolve(ctx, tenantID, personID+1000); !crewid.IsNotFound(err) {
		t.Fatalf("Resolve of an unknown person: %v", err)
	}
}

// TestAuthorizerAfterIdle: after a spell without checks (when its timer
// stops), the first check does not trust what was cached before it.
func TestAuthorizerAfterIdle(t *testing.T) {
	st := sqlite.OpenTest(t)
	tenantID, personID := benchPerson(t, st)
	ctx := context.Background()
	a := &access.Authorizer{Store: st, TTL: 100 * time.Millisecond}
	if ok, err := a.Allowed(ctx, tenantID, personID, access.PermEditEmployee); err != nil || !ok {
		t.Fatalf("Allowed = %v, %v", ok, err)
	}
	time.Sleep(400 * time.Millisecond) // several ticks: the timer stops
	err := st.Update(ctx, func(tx store.Tx) error {
		p, err := tx.Person(ctx, tenantID, personID)
		if err != nil {
			return err
		}
		p.Active = false
		return tx.UpdatePerson(ctx, &p)
	})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := a.Allowed(ctx, tenantID, personID, access.PermEditEmployee); err != nil || ok {
		t.Fatalf("after an idle spell the cached answer was used: %v, %v", ok, err)
	}
}
