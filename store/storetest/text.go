package storetest

import (
	"errors"
	"testing"

	"crewid"
	"crewid/store"
)

// testUnstorableText: text with a NUL character or invalid UTF-8 is refused
// as invalid input on every backend, whether it is to be stored or looked
// up, and nothing is written.
func testUnstorableText(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	for name, bad := range map[string]string{"NUL": "Ann\x00Lee", "invalid UTF-8": "Ann\xffLee"} {
		t.Run(name, func(t *testing.T) {
			err := tryCreate(t, s, employee(a.ID, bad))
			wantInvalid(t, "creating a person named "+name, err)
			page, err := s.People(ctx(t), a.ID, store.PersonQuery{ListQuery: store.ListQuery{Active: store.ActiveAny, Page: 1, PageSize: 50}})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Items) != 0 {
				t.Errorf("a refused person was stored: %+v", page.Items)
			}

			if name != "NUL" {
				// Lookups normalise case first, which turns invalid
				// UTF-8 into U+FFFD: such a value simply matches nothing.
				return
			}
			_, err = s.PersonByLogin(ctx(t), bad)
			wantInvalid(t, "PersonByLogin", err)
			_, err = s.PeopleByContact(ctx(t), bad)
			wantInvalid(t, "PeopleByContact", err)
			_, err = s.AppByClientID(ctx(t), bad)
			wantInvalid(t, "AppByClientID", err)
			_, err = s.People(ctx(t), a.ID, store.PersonQuery{ListQuery: store.ListQuery{Name: bad, Active: store.ActiveAny, Page: 1, PageSize: 50}})
			wantInvalid(t, "People filtered by name", err)
		})
	}
}

func wantInvalid(t testing.TB, what string, err error) {
	t.Helper()
	var e *crewid.Error
	if !errors.As(err, &e) || e.Code != crewid.Invalid {
		t.Errorf("%s: got %s, want an Invalid error", what, describe(err))
	}
}
