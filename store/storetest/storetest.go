// Package storetest is the conformance suite of store.Store: one set of
// tests that every storage backend (SQLite, PostgreSQL) must pass. A backend
// runs it from its own test file:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return sqlite.OpenTest(t) })
//	}
//
// The suite checks the behaviour the comments of package store promise and
// the rules of the product contract that storage enforces (tenant isolation,
// uniqueness, change order for exports, atomic transactions).
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"crewid"
	"crewid/store"
)

// Run runs the whole suite. open must return a migrated store; Run calls it
// once and runs every subtest on that store. Each subtest works in tenants
// of its own, and the checks of state shared by all tenants (the tenant
// list, logins, client ids, signing keys) look only at their own records,
// so subtests never depend on each other's data.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Tenants", testTenants},
		{"PersonRoundTrip", testPersonRoundTrip},
		{"PersonNotFound", testPersonNotFound},
		{"TenantIsolation", testTenantIsolation},
		{"CrossTenantReferences", testCrossTenantReferences},
		{"Uniqueness", testUniqueness},
		{"ConcurrentUniqueEmail", testConcurrentUniqueEmail},
		{"Lookups", testLookups},
		{"Lists", testLists},
		{"PeopleFilters", testPeopleFilters},
		{"Exports", testExports},
		{"Roles", testRoles},
		{"BusinessUnits", testBusinessUnits},
		{"TagTypes", testTagTypes},
		{"Teams", testTeams},
		{"Zones", testZones},
		{"CustomFieldTypes", testCustomFieldTypes},
		{"Apps", testApps},
		{"SigningKeys", testSigningKeys},
		{"Events", testEvents},
		{"Transactions", testTransactions},
		{"UnstorableText", testUnstorableText},
	}
	s := open(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, s) })
	}
}

// missingID is an id no record has.
const missingID = 1 << 40

// base is the suite's clock origin. It is deliberately not UTC and not on a
// microsecond boundary so that round trips show UTC conversion and precision.
var base = time.Date(2024, time.March, 10, 9, 30, 0, 0, time.FixedZone("UTC-5", -5*3600))

// at is a time d after base, on a whole microsecond.
func at(d time.Duration) time.Time { return base.Add(d) }

// fine is a time d after base with sub-microsecond noise, which the store
// keeps to the microsecond.
func fine(d time.Duration) time.Time { return base.Add(d + 123456789*time.Nanosecond) }

// sameTime compares two times by instant, at microsecond precision, and
// requires the same location (what the store returns must be time.UTC; the
// expectations are built with .UTC()).
func sameTime(a, b time.Time) bool {
	return a.Location() == b.Location() && a.Sub(b).Abs() < time.Microsecond
}

// opts compare records read back with what was written: times by sameTime,
// nil and empty slices alike, and id sets in any order.
var opts = cmp.Options{
	cmpopts.EquateEmpty(),
	cmp.Comparer(sameTime),
	cmpopts.SortSlices(func(a, b int64) bool { return a < b }),
	cmpopts.SortSlices(func(a, b crewid.PermissionOverride) bool { return a.PermissionID < b.PermissionID }),
	cmpopts.SortSlices(func(a, b crewid.CustomFieldValue) bool { return a.TypeID < b.TypeID }),
}

const timeNote = "(times compare by instant at microsecond precision and must be in time.UTC)"

// check fails the test when got differs from want, printing the difference.
func check(t testing.TB, what string, want, got any, extra ...cmp.Option) {
	t.Helper()
	if diff := cmp.Diff(want, got, append(cmp.Options{opts}, extra...)); diff != "" {
		t.Errorf("%s mismatch (-want +got) %s:\n%s", what, timeNote, diff)
	}
}

// checkIDs fails when the ids are not exactly want, in this order.
func checkIDs(t testing.TB, what string, want, got []int64) {
	t.Helper()
	if len(want) == 0 && len(got) == 0 {
		return
	}
	if !cmp.Equal(want, got) {
		t.Errorf("%s: got ids %v, want %v", what, got, want)
	}
}

// update runs fn in a transaction and fails the test on error.
func update(t testing.TB, s store.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// must fails the test when err is not nil.
func must(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func describe(err error) string {
	if err == nil {
		return "nil error"
	}
	var e *crewid.Error
	if errors.As(err, &e) {
		return fmt.Sprintf("%q (code %s, fields %v)", err.Error(), e.Code, e.Fields)
	}
	return fmt.Sprintf("%q (%T, not a *crewid.Error)", err.Error(), err)
}

// wantNotFound fails unless err is a crewid NotFound error.
func wantNotFound(t testing.TB, what string, err error) {
	t.Helper()
	if !crewid.IsNotFound(err) {
		t.Errorf("%s: got %s, want a NotFound error", what, describe(err))
	}
}

// wantConflict fails unless err is a crewid Conflict error naming field (any
// field when field is "").
func wantConflict(t testing.TB, what string, err error, field string) {
	t.Helper()
	var e *crewid.Error
	if !errors.As(err, &e) || e.Code != crewid.Conflict {
		t.Errorf("%s: got %s, want a Conflict error", what, describe(err))
		return
	}
	if field != "" {
		if _, ok := e.Fields[field]; !ok {
			t.Errorf("%s: got %s, want a Conflict error whose Fields has %q", what, describe(err), field)
		}
	}
}

// wantRefused fails unless err is a client error (Conflict, Invalid or
// NotFound): the store must refuse a reference to a record the tenant does
// not have, and say so in domain terms rather than with a raw database error.
func wantRefused(t testing.TB, what string, err error) {
	t.Helper()
	switch crewid.CodeOf(err) {
	case crewid.Conflict, crewid.Invalid, crewid.NotFound:
		return
	}
	if err == nil {
		t.Errorf("%s: succeeded, want an error (Conflict, Invalid or NotFound)", what)
		return
	}
	t.Errorf("%s: got %s, want a Conflict, Invalid or NotFound error", what, describe(err))
}

func ptr[T any](v T) *T { return &v }

// ctx is the context of the suite's calls.
func ctx(t testing.TB) context.Context { return t.Context() }

// ---- fixtures --------------------------------------------------------------

func newTenant(t testing.TB, s store.Store, name string) crewid.Tenant {
	t.Helper()
	tn := crewid.Tenant{Name: name, CreatedOn: at(0), ModifiedOn: at(0)}
	update(t, s, func(tx store.Tx) error { return tx.CreateTenant(ctx(t), &tn) })
	if tn.ID == 0 {
		t.Fatalf("CreateTenant(%q) did not set the id", name)
	}
	return tn
}

func employee(tenantID int64, name string) crewid.Person {
	return crewid.Person{
		TenantID:   tenantID,
		Kind:       crewid.KindEmployee,
		Name:       name,
		Active:     true,
		Account:    crewid.Account{State: crewid.AccountNone},
		CreatedOn:  at(0),
		ModifiedOn: at(0),
	}
}

func technician(tenantID int64, name string) crewid.Person {
	p := employee(tenantID, name)
	p.Kind = crewid.KindTechnician
	p.MobileAccessEnabled = true
	return p
}

func person(kind crewid.Kind, tenantID int64, name string) crewid.Person {
	if kind == crewid.KindTechnician {
		return technician(tenantID, name)
	}
	return employee(tenantID, name)
}

func createPerson(t testing.TB, s store.Store, p crewid.Person) crewid.Person {
	t.Helper()
	update(t, s, func(tx store.Tx) error { return tx.CreatePerson(ctx(t), &p) })
	if p.ID == 0 {
		t.Fatalf("CreatePerson(%q) did not set the id", p.Name)
	}
	return p
}

func createRole(t testing.TB, s store.Store, tenantID int64, name string, et crewid.EmployeeType) crewid.Role {
	t.Helper()
	r := crewid.Role{TenantID: tenantID, Name: name, EmployeeType: et, Active: true, Permissions: []int64{1, 2}, CreatedOn: at(0), ModifiedOn: at(0)}
	update(t, s, func(tx store.Tx) error { return tx.CreateRole(ctx(t), &r) })
	if r.ID == 0 {
		t.Fatalf("CreateRole(%q) did not set the id", name)
	}
	return r
}

func createBusinessUnit(t testing.TB, s store.Store, tenantID int64, name string) crewid.BusinessUnit {
	t.Helper()
	b := crewid.BusinessUnit{TenantID: tenantID, Name: name, Active: true, CreatedOn: at(0), ModifiedOn: at(0)}
	update(t, s, func(tx store.Tx) error { return tx.CreateBusinessUnit(ctx(t), &b) })
	if b.ID == 0 {
		t.Fatalf("CreateBusinessUnit(%q) did not set the id", name)
	}
	return b
}

func createTagType(t testing.TB, s store.Store, tenantID int64, name string) crewid.TagType {
	t.Helper()
	tt := crewid.TagType{TenantID: tenantID, Name: name, Color: "#336699", Code: strings.ToUpper(name), Active: true, CreatedOn: at(0), ModifiedOn: at(0)}
	update(t, s, func(tx store.Tx) error { return tx.CreateTagType(ctx(t), &tt) })
	if tt.ID == 0 {
		t.Fatalf("CreateTagType(%q) did not set the id", name)
	}
	return tt
}

func createTeam(t testing.TB, s store.Store, tenantID int64, name string) crewid.Team {
	t.Helper()
	tm := crewid.Team{TenantID: tenantID, Name: name, Active: true, CreatedOn: at(0), ModifiedOn: at(0)}
	update(t, s, func(tx store.Tx) error { return tx.CreateTeam(ctx(t), &tm) })
	if tm.ID == 0 {
		t.Fatalf("CreateTeam(%q) did not set the id", name)
	}
	return tm
}

func createZone(t testing.TB, s store.Store, tenantID int64, name string, technicians ...int64) crewid.Zone {
	t.Helper()
	z := crewid.Zone{TenantID: tenantID, Name: name, Active: true, Technicians: technicians, CreatedOn: at(0), ModifiedOn: at(0)}
	update(t, s, func(tx store.Tx) error { return tx.CreateZone(ctx(t), &z) })
	if z.ID == 0 {
		t.Fatalf("CreateZone(%q) did not set the id", name)
	}
	return z
}

func createCustomFieldType(t testing.TB, s store.Store, tenantID int64, kind crewid.Kind, name string) crewid.CustomFieldType {
	t.Helper()
	c := crewid.CustomFieldType{TenantID: tenantID, AppliesTo: kind, Name: name, DataType: "Text", Active: true, CreatedOn: at(0), ModifiedOn: at(0)}
	update(t, s, func(tx store.Tx) error { return tx.CreateCustomFieldType(ctx(t), &c) })
	if c.ID == 0 {
		t.Fatalf("CreateCustomFieldType(%q) did not set the id", name)
	}
	return c
}

func newApp(tenantID int64, name string) crewid.App {
	slug := fmt.Sprintf("%d-%s", tenantID, strings.ReplaceAll(strings.ToLower(name), " ", "-"))
	return crewid.App{
		TenantID:   tenantID,
		Name:       name,
		AppKey:     "ak-" + slug,
		ClientID:   "cid-" + slug,
		Scopes:     []string{"settings.read", "settings.write"},
		Active:     true,
		CreatedOn:  at(0),
		ModifiedOn: at(0),
	}
}

func createApp(t testing.TB, s store.Store, tenantID int64, name string) crewid.App {
	t.Helper()
	a := newApp(tenantID, name)
	update(t, s, func(tx store.Tx) error { return tx.CreateApp(ctx(t), &a) })
	if a.ID == 0 {
		t.Fatalf("CreateApp(%q) did not set the id", name)
	}
	return a
}

// readPerson reads a person outside a transaction and fails on error.
func readPerson(t testing.TB, s store.Reader, tenantID, id int64) crewid.Person {
	t.Helper()
	p, err := s.Person(ctx(t), tenantID, id)
	if err != nil {
		t.Fatalf("Person(%d, %d): %v", tenantID, id, err)
	}
	return p
}

// pageIDs returns the ids of a page's items.
func pageIDs[T any](items []T, id func(T) int64) []int64 {
	out := make([]int64, 0, len(items))
	for _, it := range items {
		out = append(out, id(it))
	}
	return out
}

func personID(p crewid.Person) int64 { return p.ID }

func sortedIDs(ids ...int64) []int64 {
	out := append([]int64(nil), ids...)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
