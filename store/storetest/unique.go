package storetest

import (
	"fmt"
	"sync"
	"testing"

	"crewid"
	"crewid/store"
)

// tryCreate creates p and returns the error of the transaction.
func tryCreate(t testing.TB, s store.Store, p crewid.Person) error {
	return s.Update(ctx(t), func(tx store.Tx) error { return tx.CreatePerson(ctx(t), &p) })
}

func withContact(p crewid.Person, email, mobile string) crewid.Person {
	p.Email, p.MobilePhone = email, mobile
	return p
}

func withLogin(p crewid.Person, login string) crewid.Person {
	p.Account = crewid.Account{State: crewid.AccountAdminAssigned, Login: login, PasswordHash: "hash", PasswordSetOn: at(0)}
	return p
}

func testUniqueness(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	b := newTenant(t, s, "Bolt")

	t.Run("EmployeeEmail", func(t *testing.T) {
		createPerson(t, s, withContact(employee(a.ID, "First"), "dup@example.com", ""))
		err := tryCreate(t, s, withContact(employee(a.ID, "Second"), "dup@example.com", ""))
		wantConflict(t, "second employee with the same email", err, "email")
		// The domain lower-cases emails, so a differently cased address
		// arrives lower-cased and collides.
		second := createPerson(t, s, withContact(employee(a.ID, "Third"), "other@example.com", ""))
		second.Email = "dup@example.com"
		err = s.Update(ctx(t), func(tx store.Tx) error { return tx.UpdatePerson(ctx(t), &second) })
		wantConflict(t, "UpdatePerson to another employee's email", err, "email")
		got := readPerson(t, s, a.ID, second.ID)
		if got.Email != "other@example.com" {
			t.Errorf("email after refused update: %q, want %q", got.Email, "other@example.com")
		}
		// Same email in another tenant is fine.
		createPerson(t, s, withContact(employee(b.ID, "Elsewhere"), "dup@example.com", ""))
	})

	t.Run("EmployeeAndTechnicianShare", func(t *testing.T) {
		createPerson(t, s, withContact(employee(a.ID, "Office Sam"), "sam@example.com", "+15551110000"))
		createPerson(t, s, withContact(technician(a.ID, "Field Sam"), "sam@example.com", "+15551110000"))
		err := tryCreate(t, s, withContact(technician(a.ID, "Field Sam 2"), "sam@example.com", ""))
		wantConflict(t, "second technician with the same email", err, "email")
		err = tryCreate(t, s, withContact(employee(a.ID, "Office Sam 2"), "sam2@example.com", "+15551110000"))
		wantConflict(t, "second employee with the same mobile", err, "")
	})

	t.Run("TechnicianMobile", func(t *testing.T) {
		createPerson(t, s, withContact(technician(a.ID, "Mobile One"), "", "+15552220000"))
		err := tryCreate(t, s, withContact(technician(a.ID, "Mobile Two"), "", "+15552220000"))
		wantConflict(t, "second technician with the same mobile", err, "phoneNumber")
		createPerson(t, s, withContact(technician(b.ID, "Mobile Elsewhere"), "", "+15552220000"))
	})

	t.Run("Login", func(t *testing.T) {
		createPerson(t, s, withLogin(employee(a.ID, "Dana Lead"), "Dispatch.Lead"))
		for _, tc := range []struct {
			what string
			p    crewid.Person
		}{
			{"same login, same tenant", withLogin(technician(a.ID, "Dana Tech"), "Dispatch.Lead")},
			{"same login, other tenant", withLogin(employee(b.ID, "Dana Bolt"), "Dispatch.Lead")},
			{"login differing in case, other tenant", withLogin(technician(b.ID, "Dana Bolt Tech"), "DISPATCH.lead")},
		} {
			wantConflict(t, tc.what, tryCreate(t, s, tc.p), "login")
		}
		other := createPerson(t, s, withLogin(employee(b.ID, "Lee"), "lee"))
		other.Account.Login = "dispatch.lead"
		err := s.Update(ctx(t), func(tx store.Tx) error { return tx.UpdatePerson(ctx(t), &other) })
		wantConflict(t, "UpdatePerson to a login taken in another tenant", err, "login")
	})

	t.Run("AADUserID", func(t *testing.T) {
		p := employee(a.ID, "Aad One")
		p.AADUserID = "aad-dup"
		createPerson(t, s, p)
		p.Name = "Aad Two"
		wantConflict(t, "second employee with the same AAD user id", tryCreate(t, s, p), "")
	})

	t.Run("EmptyNeverCollides", func(t *testing.T) {
		for i := range 3 {
			for _, k := range []crewid.Kind{crewid.KindEmployee, crewid.KindTechnician} {
				p := person(k, a.ID, fmt.Sprintf("Nobody %d", i))
				p.Account = crewid.Account{State: crewid.AccountNone}
				if err := tryCreate(t, s, p); err != nil {
					t.Errorf("%s #%d with no email, mobile, login or AAD id: %v", k, i, err)
				}
			}
		}
	})
}

// testConcurrentUniqueEmail: many transactions race to create employees with
// one email; exactly one wins and every other gets a Conflict.
func testConcurrentUniqueEmail(t *testing.T, s store.Store) {
	tn := newTenant(t, s, "Acme")
	const n = 50
	start := make(chan struct{})
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			p := withContact(employee(tn.ID, fmt.Sprintf("Racer %d", i)), "race@example.com", "")
			errs[i] = tryCreate(t, s, p)
		})
	}
	close(start)
	wg.Wait()
	ok, conflicts := 0, 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case crewid.CodeOf(err) == crewid.Conflict:
			conflicts++
			wantConflict(t, fmt.Sprintf("racer %d", i), err, "email")
		default:
			t.Errorf("racer %d: %s, want success or a Conflict", i, describe(err))
		}
	}
	if ok != 1 || conflicts != n-1 {
		t.Errorf("%d concurrent creates with one email: %d succeeded and %d got Conflict, want 1 and %d", n, ok, conflicts, n-1)
	}
	page, err := s.People(ctx(t), tn.ID, store.PersonQuery{ListQuery: store.ListQuery{Active: store.ActiveAny, IncludeTotal: true}})
	must(t, "People", err)
	if page.Total != 1 {
		t.Errorf("people after the race: %d, want 1", page.Total)
	}
}
