package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"crewid"
	"crewid/store"
)

func testTransactions(t *testing.T, s store.Store) {
	c := ctx(t)
	tn := newTenant(t, s, "Acme")
	tid := tn.ID
	existing := createPerson(t, s, withContact(employee(tid, "Existing"), "existing@example.com", ""))

	// assertUntouched checks that nothing of a rolled back fn is visible.
	assertUntouched := func(t *testing.T, ghostID int64) {
		t.Helper()
		page, err := s.People(c, tid, store.PersonQuery{ListQuery: store.ListQuery{Active: store.ActiveAny}})
		must(t, "People", err)
		checkIDs(t, "people after rollback", []int64{existing.ID}, pageIDs(page.Items, personID))
		if ghostID != 0 {
			_, err := s.Person(c, tid, ghostID)
			wantNotFound(t, "Person created in a rolled back transaction", err)
		}
		events, err := s.Events(c, tid, store.EventQuery{})
		must(t, "Events", err)
		if len(events) != 0 {
			t.Errorf("events after rollback: %d, want none", len(events))
		}
		got := readPerson(t, s, tid, existing.ID)
		if got.Name != existing.Name || got.Seq != existing.Seq {
			t.Errorf("existing person after rollback: name %q seq %d, want %q seq %d", got.Name, got.Seq, existing.Name, existing.Seq)
		}
		batch, err := s.ExportPeople(c, tid, crewid.KindEmployee, store.ExportQuery{})
		must(t, "ExportPeople", err)
		checkIDs(t, "export after rollback", []int64{existing.ID}, pageIDs(batch.Items, personID))
	}

	// write makes changes of every sort inside fn's transaction. (It must
	// not call t.Fatal: that would leave Update without returning.)
	write := func(t *testing.T, tx store.Tx) (int64, error) {
		p := withContact(employee(tid, "Ghost"), "ghost@example.com", "")
		if err := tx.CreatePerson(c, &p); err != nil {
			return 0, fmt.Errorf("CreatePerson: %w", err)
		}
		// The transaction sees its own writes.
		if _, err := tx.Person(c, tid, p.ID); err != nil {
			t.Errorf("Person inside the transaction: %v", err)
		}
		page, err := tx.People(c, tid, store.PersonQuery{ListQuery: store.ListQuery{IncludeTotal: true}})
		if err != nil || page.Total != 2 {
			t.Errorf("People inside the transaction: total %d, err %v; want 2", page.Total, err)
		}
		e := existing
		e.Name = "Changed"
		if err := tx.UpdatePerson(c, &e); err != nil {
			return 0, fmt.Errorf("UpdatePerson: %w", err)
		}
		ev := crewid.Event{TenantID: tid, OccurredOn: at(time.Minute), Type: "PersonCreated", RecordType: "Person", RecordID: p.ID,
			Actor: crewid.Actor{Type: crewid.ActorSystem, Name: "test"}}
		if err := tx.AppendEvent(c, &ev); err != nil {
			return 0, fmt.Errorf("AppendEvent: %w", err)
		}
		return p.ID, nil
	}

	t.Run("ErrorRollsBack", func(t *testing.T) {
		boom := errors.New("boom")
		var ghost int64
		err := s.Update(c, func(tx store.Tx) error {
			var err error
			if ghost, err = write(t, tx); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Errorf("Update returned %v, want fn's error", err)
		}
		assertUntouched(t, ghost)
	})

	t.Run("DomainErrorRollsBack", func(t *testing.T) {
		// A write that fails inside fn, its error returned: the earlier
		// writes of fn are undone too.
		var ghost int64
		err := s.Update(c, func(tx store.Tx) error {
			var err error
			if ghost, err = write(t, tx); err != nil {
				return err
			}
			dup := withContact(employee(tid, "Duplicate"), "existing@example.com", "")
			return tx.CreatePerson(c, &dup)
		})
		wantConflict(t, "Update with a duplicate email last", err, "email")
		assertUntouched(t, ghost)
	})

	t.Run("PanicRollsBack", func(t *testing.T) {
		var ghost int64
		func() {
			defer func() {
				if p := recover(); p != "kaboom" {
					t.Errorf("recovered %v, want Update to re-panic with fn's value %q", p, "kaboom")
				}
			}()
			err := s.Update(c, func(tx store.Tx) error {
				var err error
				if ghost, err = write(t, tx); err != nil {
					return err
				}
				panic("kaboom")
			})
			t.Errorf("Update returned %v instead of re-panicking", err)
		}()
		assertUntouched(t, ghost)
	})

	t.Run("UsableAfterRollbacks", func(t *testing.T) {
		p := createPerson(t, s, withContact(employee(tid, "After"), "ghost@example.com", ""))
		if got := readPerson(t, s, tid, p.ID); got.Email != "ghost@example.com" {
			t.Errorf("person created after rollbacks: email %q", got.Email)
		}
		if p.Seq <= existing.Seq {
			t.Errorf("Seq after rollbacks %d, want above %d", p.Seq, existing.Seq)
		}
	})

	t.Run("CommitsTogether", func(t *testing.T) {
		var p crewid.Person
		ev := crewid.Event{TenantID: tid, OccurredOn: at(time.Hour), Type: "PersonCreated", RecordType: "Person",
			Actor: crewid.Actor{Type: crewid.ActorOperator, Name: "cli"}}
		update(t, s, func(tx store.Tx) error {
			p = employee(tid, "Together")
			if err := tx.CreatePerson(c, &p); err != nil {
				return err
			}
			ev.RecordID = p.ID
			return tx.AppendEvent(c, &ev)
		})
		readPerson(t, s, tid, p.ID)
		events, err := s.Events(c, tid, store.EventQuery{RecordType: "Person", RecordID: p.ID})
		must(t, "Events", err)
		checkIDs(t, "events of the committed person", []int64{ev.ID}, pageIDs(events, func(e crewid.Event) int64 { return e.ID }))
	})
}
