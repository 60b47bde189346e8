package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"crewid"
	"crewid/store"
)

// listRec is what the shared list filters look at.
type listRec struct {
	Name       string
	Active     bool
	CreatedOn  time.Time
	ModifiedOn time.Time
}

// listSpec describes one list operation for the shared list tests.
type listSpec[T any] struct {
	// create inserts a record with the given common fields; i numbers the
	// records of one test, for fields that must be unique.
	create func(c context.Context, tx store.Tx, tenantID int64, i int, r listRec) (T, error)
	get    func(c context.Context, r store.Reader, tenantID, id int64) (T, error)
	list   func(c context.Context, r store.Reader, tenantID int64, q store.ListQuery) (store.Page[T], error)
	id     func(T) int64
	// opts adjust how a listed item is compared with the same item read by id.
	opts cmp.Options
}

// The shared list fixture. Names differ in their first letter so that every
// collation sorts them alike, mix upper and lower case, and carry LIKE's
// wildcards. Creation and modification orders differ from the id order.
var listRecs = []listRec{
	{"Echo Base", true, at(3 * time.Minute), at(13 * time.Minute)},
	{"alpha 100% one", true, at(1 * time.Minute), at(15 * time.Minute)},
	{"Delta_Two", false, at(5 * time.Minute), at(11 * time.Minute)},
	{"charlie", true, at(0 * time.Minute), at(14 * time.Minute)},
	{"Bravo", true, at(4 * time.Minute), at(10 * time.Minute)},
	{"foxtrot Alpha", false, at(2 * time.Minute), at(12 * time.Minute)},
}

// runList checks one list operation against the shared fixture.
func runList[T any](t *testing.T, s store.Store, spec listSpec[T]) {
	c := ctx(t)
	tn := newTenant(t, s, "Lists")
	other := newTenant(t, s, "Other")
	ids := make([]int64, len(listRecs))
	update(t, s, func(tx store.Tx) error {
		for i, r := range listRecs {
			rec, err := spec.create(c, tx, tn.ID, i, r)
			if err != nil {
				return fmt.Errorf("create %q: %w", r.Name, err)
			}
			ids[i] = spec.id(rec)
			// The same record in another tenant must never show.
			if _, err := spec.create(c, tx, other.ID, i, r); err != nil {
				return fmt.Errorf("create %q in the other tenant: %w", r.Name, err)
			}
		}
		return nil
	})
	pick := func(idx ...int) []int64 {
		out := make([]int64, len(idx))
		for i, x := range idx {
			out[i] = ids[x]
		}
		return out
	}
	all := store.ListQuery{Active: store.ActiveAny}
	with := func(f func(q *store.ListQuery)) store.ListQuery {
		q := all
		f(&q)
		return q
	}

	cases := []struct {
		what string
		q    store.ListQuery
		want []int64
	}{
		{"default (active only, by id)", store.ListQuery{}, pick(0, 1, 3, 4)},
		{"ActiveTrue", store.ListQuery{Active: store.ActiveTrue}, pick(0, 1, 3, 4)},
		{"ActiveFalse", store.ListQuery{Active: store.ActiveFalse}, pick(2, 5)},
		{"ActiveAny", all, pick(0, 1, 2, 3, 4, 5)},
		{"IDs", with(func(q *store.ListQuery) { q.IDs = append(pick(3, 2), missingID) }), pick(2, 3)},
		{"IDs, active only", store.ListQuery{IDs: pick(3, 2)}, pick(3)},
		{"Name contains, case-insensitive", with(func(q *store.ListQuery) { q.Name = "ALPHA" }), pick(1, 5)},
		{"Name contains, active only", store.ListQuery{Name: "alpha"}, pick(1)},
		{"Name with % taken literally", with(func(q *store.ListQuery) { q.Name = "%" }), pick(1)},
		{"Name with _ taken literally", with(func(q *store.ListQuery) { q.Name = "_" }), pick(2)},
		{"Name with both wildcards", with(func(q *store.ListQuery) { q.Name = "0% o" }), pick(1)},
		{"Name no match", with(func(q *store.ListQuery) { q.Name = "zulu" }), nil},
		{"CreatedBefore", with(func(q *store.ListQuery) { q.CreatedBefore = at(2 * time.Minute) }), pick(1, 3)},
		{"CreatedOnOrAfter", with(func(q *store.ListQuery) { q.CreatedOnOrAfter = at(2 * time.Minute) }), pick(0, 2, 4, 5)},
		{"Created range", with(func(q *store.ListQuery) {
			q.CreatedOnOrAfter, q.CreatedBefore = at(1*time.Minute), at(4*time.Minute)
		}), pick(0, 1, 5)},
		{"ModifiedBefore", with(func(q *store.ListQuery) { q.ModifiedBefore = at(12 * time.Minute) }), pick(2, 4)},
		{"ModifiedOnOrAfter", with(func(q *store.ListQuery) { q.ModifiedOnOrAfter = at(12 * time.Minute) }), pick(0, 1, 3, 5)},
		{"ModifiedOnOrAfter, in UTC", with(func(q *store.ListQuery) { q.ModifiedOnOrAfter = at(12 * time.Minute).UTC() }), pick(0, 1, 3, 5)},
		{"Sort +Id", with(func(q *store.ListQuery) { q.Sort = "+Id" }), pick(0, 1, 2, 3, 4, 5)},
		{"Sort -Id", with(func(q *store.ListQuery) { q.Sort = "-Id" }), pick(5, 4, 3, 2, 1, 0)},
		{"Sort +Name (case-insensitive)", with(func(q *store.ListQuery) { q.Sort = "+Name" }), pick(1, 4, 3, 2, 0, 5)},
		{"Sort -Name", with(func(q *store.ListQuery) { q.Sort = "-Name" }), pick(5, 0, 2, 3, 4, 1)},
		{"Sort +CreatedOn", with(func(q *store.ListQuery) { q.Sort = "+CreatedOn" }), pick(3, 1, 5, 0, 4, 2)},
		{"Sort -CreatedOn", with(func(q *store.ListQuery) { q.Sort = "-CreatedOn" }), pick(2, 4, 0, 5, 1, 3)},
		{"Sort +ModifiedOn", with(func(q *store.ListQuery) { q.Sort = "+ModifiedOn" }), pick(4, 2, 5, 0, 3, 1)},
		{"Sort -ModifiedOn", with(func(q *store.ListQuery) { q.Sort = "-ModifiedOn" }), pick(1, 3, 0, 5, 2, 4)},
		{"Sort -Name, active only", store.ListQuery{Sort: "-Name"}, pick(0, 3, 4, 1)},
		{"Page 1 of 4", with(func(q *store.ListQuery) { q.Page, q.PageSize = 1, 4 }), pick(0, 1, 2, 3)},
		{"Page 2 of 4", with(func(q *store.ListQuery) { q.Page, q.PageSize = 2, 4 }), pick(4, 5)},
		{"Page 3 of 4", with(func(q *store.ListQuery) { q.Page, q.PageSize = 3, 4 }), nil},
		{"Page 2 of 2, sorted -Name", with(func(q *store.ListQuery) { q.Page, q.PageSize, q.Sort = 2, 2, "-Name" }), pick(2, 3)},
	}
	for _, tc := range cases {
		page, err := spec.list(c, s, tn.ID, tc.q)
		if err != nil {
			t.Errorf("%s: %v", tc.what, err)
			continue
		}
		checkIDs(t, tc.what, tc.want, pageIDs(page.Items, spec.id))
	}

	// hasMore and total.
	for _, tc := range []struct {
		what    string
		q       store.ListQuery
		more    bool
		total   int
		wantLen int
	}{
		{"page 1 of 4, total", with(func(q *store.ListQuery) { q.Page, q.PageSize, q.IncludeTotal = 1, 4, true }), true, 6, 4},
		{"page 2 of 4, total", with(func(q *store.ListQuery) { q.Page, q.PageSize, q.IncludeTotal = 2, 4, true }), false, 6, 2},
		{"page 2 of 3 (exactly the end)", with(func(q *store.ListQuery) { q.Page, q.PageSize, q.IncludeTotal = 2, 3, true }), false, 6, 3},
		{"page 1 of 3 without total", with(func(q *store.ListQuery) { q.Page, q.PageSize = 1, 3 }), true, -1, 3},
		{"active only, total", store.ListQuery{PageSize: 1, IncludeTotal: true}, true, 4, 1},
		{"name filter, total", with(func(q *store.ListQuery) { q.Name, q.PageSize, q.IncludeTotal = "alpha", 1, true }), true, 2, 1},
		{"no page size: everything fits", with(func(q *store.ListQuery) { q.IncludeTotal = true }), false, 6, 6},
		{"beyond the end, total", with(func(q *store.ListQuery) { q.Page, q.PageSize, q.IncludeTotal = 9, 4, true }), false, 6, 0},
	} {
		page, err := spec.list(c, s, tn.ID, tc.q)
		if err != nil {
			t.Errorf("%s: %v", tc.what, err)
			continue
		}
		if page.HasMore != tc.more || page.Total != tc.total || len(page.Items) != tc.wantLen {
			t.Errorf("%s: got %d items, HasMore %v, Total %d; want %d items, HasMore %v, Total %d",
				tc.what, len(page.Items), page.HasMore, page.Total, tc.wantLen, tc.more, tc.total)
		}
	}

	// Listed items are whole records, equal to what the getter returns.
	page, err := spec.list(c, s, tn.ID, all)
	must(t, "list", err)
	for _, item := range page.Items {
		one, err := spec.get(c, s, tn.ID, spec.id(item))
		if err != nil {
			t.Errorf("get(%d): %v", spec.id(item), err)
			continue
		}
		check(t, fmt.Sprintf("listed item %d vs the same read by id", spec.id(item)), one, item, spec.opts...)
	}

	// An unknown tenant has nothing.
	empty, err := spec.list(c, s, missingID, store.ListQuery{Active: store.ActiveAny, IncludeTotal: true})
	must(t, "list of an unknown tenant", err)
	if len(empty.Items) != 0 || empty.Total != 0 || empty.HasMore {
		t.Errorf("list of an unknown tenant: %d items, total %d, hasMore %v; want none", len(empty.Items), empty.Total, empty.HasMore)
	}
}

func personListSpec(kind crewid.Kind) listSpec[crewid.Person] {
	return listSpec[crewid.Person]{
		create: func(c context.Context, tx store.Tx, tenantID int64, i int, r listRec) (crewid.Person, error) {
			p := person(kind, tenantID, r.Name)
			p.Active, p.CreatedOn, p.ModifiedOn = r.Active, r.CreatedOn, r.ModifiedOn
			p.Email = fmt.Sprintf("list%d@example.com", i)
			err := tx.CreatePerson(c, &p)
			return p, err
		},
		get: func(c context.Context, r store.Reader, tenantID, id int64) (crewid.Person, error) {
			return r.Person(c, tenantID, id)
		},
		list: func(c context.Context, r store.Reader, tenantID int64, q store.ListQuery) (store.Page[crewid.Person], error) {
			return r.People(c, tenantID, store.PersonQuery{ListQuery: q, Kind: kind})
		},
		id: personID,
	}
}

func testLists(t *testing.T, s store.Store) {
	t.Run("Employees", func(t *testing.T) { runList(t, s, personListSpec(crewid.KindEmployee)) })
	t.Run("Technicians", func(t *testing.T) { runList(t, s, personListSpec(crewid.KindTechnician)) })
	t.Run("Roles", func(t *testing.T) {
		runList(t, s, listSpec[crewid.Role]{
			create: func(c context.Context, tx store.Tx, tenantID int64, i int, r listRec) (crewid.Role, error) {
				x := crewid.Role{TenantID: tenantID, Name: r.Name, EmployeeType: crewid.EmployeeTypeAll, Active: r.Active,
					Permissions: []int64{int64(i)}, CreatedOn: r.CreatedOn, ModifiedOn: r.ModifiedOn}
				err := tx.CreateRole(c, &x)
				return x, err
			},
			get: func(c context.Context, r store.Reader, tenantID, id int64) (crewid.Role, error) {
				return r.Role(c, tenantID, id)
			},
			list: func(c context.Context, r store.Reader, tenantID int64, q store.ListQuery) (store.Page[crewid.Role], error) {
				return r.Roles(c, tenantID, store.RoleQuery{ListQuery: q})
			},
			id: func(x crewid.Role) int64 { return x.ID },
		})
	})
	t.Run("BusinessUnits", func(t *testing.T) {
		runList(t, s, listSpec[crewid.BusinessUnit]{
			create: func(c context.Context, tx store.Tx, tenantID int64, i int, r listRec) (crewid.BusinessUnit, error) {
				x := crewid.BusinessUnit{TenantID: tenantID, Name: r.Name, Active: r.Active, OfficialName: r.Name + " LLC",
					CreatedOn: r.CreatedOn, ModifiedOn: r.ModifiedOn}
				err := tx.CreateBusinessUnit(c, &x)
				return x, err
			},
			get: func(c context.Context, r store.Reader, tenantID, id int64) (crewid.BusinessUnit, error) {
				return r.BusinessUnit(c, tenantID, id)
			},
			list: func(c context.Context, r store.Reader, tenantID int64, q store.ListQuery) (store.Page[crewid.BusinessUnit], error) {
				return r.BusinessUnits(c, tenantID, q)
			},
			id: func(x crewid.BusinessUnit) int64 { return x.ID },
		})
	})
	t.Run("TagTypes", func(t *testing.T) {
		runList(t, s, listSpec[crewid.TagType]{
			create: func(c context.Context, tx store.Tx, tenantID int64, i int, r listRec) (crewid.TagType, error) {
				x := crewid.TagType{TenantID: tenantID, Name: r.Name, Color: "#000000", Code: fmt.Sprint("T", i), Active: r.Active,
					CreatedOn: r.CreatedOn, ModifiedOn: r.ModifiedOn}
				err := tx.CreateTagType(c, &x)
				return x, err
			},
			get: func(c context.Context, r store.Reader, tenantID, id int64) (crewid.TagType, error) {
				return r.TagType(c, tenantID, id)
			},
			list: func(c context.Context, r store.Reader, tenantID int64, q store.ListQuery) (store.Page[crewid.TagType], error) {
				return r.TagTypes(c, tenantID, q)
			},
			id: func(x crewid.TagType) int64 { return x.ID },
		})
	})
	t.Run("Teams", func(t *testing.T) {
		runList(t, s, listSpec[crewid.Team]{
			create: func(c context.Context, tx store.Tx, tenantID int64, i int, r listRec) (crewid.Team, error) {
				x := crewid.Team{TenantID: tenantID, Name: r.Name, Active: r.Active, CreatedBy: 7, CreatedOn: r.CreatedOn, ModifiedOn: r.ModifiedOn}
				err := tx.CreateTeam(c, &x)
				return x, err
			},
			get: func(c context.Context, r store.Reader, tenantID, id int64) (crewid.Team, error) {
				return r.Team(c, tenantID, id)
			},
			list: func(c context.Context, r store.Reader, tenantID int64, q store.ListQuery) (store.Page[crewid.Team], error) {
				return r.Teams(c, tenantID, q)
			},
			id: func(x crewid.Team) int64 { return x.ID },
		})
	})
	t.Run("Zones", func(t *testing.T) {
		runList(t, s, listSpec[crewid.Zone]{
			create: func(c context.Context, tx store.Tx, tenantID int64, i int, r listRec) (crewid.Zone, error) {
				x := crewid.Zone{TenantID: tenantID, Name: r.Name, Active: r.Active, Zips: []string{fmt.Sprint(10000 + i)},
					CreatedOn: r.CreatedOn, ModifiedOn: r.ModifiedOn}
				err := tx.CreateZone(c, &x)
				return x, err
			},
			get: func(c context.Context, r store.Reader, tenantID, id int64) (crewid.Zone, error) {
				return r.Zone(c, tenantID, id)
			},
			list: func(c context.Context, r store.Reader, tenantID int64, q store.ListQuery) (store.Page[crewid.Zone], error) {
				return r.Zones(c, tenantID, q)
			},
			id: func(x crewid.Zone) int64 { return x.ID },
		})
	})
	t.Run("CustomFieldTypes", func(t *testing.T) {
		runList(t, s, listSpec[crewid.CustomFieldType]{
			create: func(c context.Context, tx store.Tx, tenantID int64, i int, r listRec) (crewid.CustomFieldType, error) {
				kind := crewid.KindEmployee
				if i%2 == 1 {
					kind = crewid.KindTechnician
				}
				x := crewid.CustomFieldType{TenantID: tenantID, AppliesTo: kind, Name: r.Name, DataType: "Text", Active: r.Active,
					CreatedOn: r.CreatedOn, ModifiedOn: r.ModifiedOn}
				err := tx.CreateCustomFieldType(c, &x)
				return x, err
			},
			get: func(c context.Context, r store.Reader, tenantID, id int64) (crewid.CustomFieldType, error) {
				return r.CustomFieldType(c, tenantID, id)
			},
			list: func(c context.Context, r store.Reader, tenantID int64, q store.ListQuery) (store.Page[crewid.CustomFieldType], error) {
				return r.CustomFieldTypes(c, tenantID, q)
			},
			id: func(x crewid.CustomFieldType) int64 { return x.ID },
		})
	})
	t.Run("Apps", func(t *testing.T) {
		runList(t, s, listSpec[crewid.App]{
			create: func(c context.Context, tx store.Tx, tenantID int64, i int, r listRec) (crewid.App, error) {
				x := newApp(tenantID, fmt.Sprint("list app ", i))
				x.Name, x.Active, x.CreatedOn, x.ModifiedOn = r.Name, r.Active, r.CreatedOn, r.ModifiedOn
				err := tx.CreateApp(c, &x)
				return x, err
			},
			get: func(c context.Context, r store.Reader, tenantID, id int64) (crewid.App, error) {
				return r.App(c, tenantID, id)
			},
			list: func(c context.Context, r store.Reader, tenantID int64, q store.ListQuery) (store.Page[crewid.App], error) {
				return r.Apps(c, tenantID, q)
			},
			id: func(x crewid.App) int64 { return x.ID },
			// Whether a list carries secrets is the implementation's choice.
			opts: cmp.Options{cmpopts.IgnoreFields(crewid.App{}, "Secrets")},
		})
	})
}

// testPeopleFilters covers the filters only people have.
func testPeopleFilters(t *testing.T, s store.Store) {
	c := ctx(t)
	tn := newTenant(t, s, "Acme")
	tid := tn.ID
	r1 := createRole(t, s, tid, "Office", crewid.EmployeeTypeEmployee)
	r2 := createRole(t, s, tid, "Everyone", crewid.EmployeeTypeAll)
	b1 := createBusinessUnit(t, s, tid, "HVAC")
	b2 := createBusinessUnit(t, s, tid, "Plumbing")
	t1 := createTeam(t, s, tid, "North")
	t2 := createTeam(t, s, tid, "South")

	e1 := employee(tid, "Eve One")
	e1.RoleIDs, e1.BusinessUnitID = []int64{r1.ID}, b1.ID
	e1 = createPerson(t, s, e1)
	e2 := employee(tid, "Eve Two")
	e2.RoleIDs, e2.BusinessUnitID = []int64{r1.ID, r2.ID}, b2.ID
	e2 = createPerson(t, s, e2)
	p1 := technician(tid, "Tom One")
	p1.RoleIDs, p1.BusinessUnitID, p1.TeamID = []int64{r2.ID}, b1.ID, t1.ID
	p1 = createPerson(t, s, p1)
	p2 := technician(tid, "Tom Two")
	p2.TeamID = t2.ID
	p2.Active = false
	p2 = createPerson(t, s, p2)

	all := store.ListQuery{Active: store.ActiveAny, IncludeTotal: true}
	for _, tc := range []struct {
		what string
		q    store.PersonQuery
		want []int64
	}{
		{"all kinds", store.PersonQuery{ListQuery: all}, []int64{e1.ID, e2.ID, p1.ID, p2.ID}},
		{"all kinds, active only", store.PersonQuery{ListQuery: store.ListQuery{IncludeTotal: true}}, []int64{e1.ID, e2.ID, p1.ID}},
		{"Kind Employee", store.PersonQuery{ListQuery: all, Kind: crewid.KindEmployee}, []int64{e1.ID, e2.ID}},
		{"Kind Technician", store.PersonQuery{ListQuery: all, Kind: crewid.KindTechnician}, []int64{p1.ID, p2.ID}},
		{"UserIDs", store.PersonQuery{ListQuery: all, UserIDs: []int64{e2.UserID, p2.UserID}}, []int64{e2.ID, p2.ID}},
		{"UserIDs and Kind", store.PersonQuery{ListQuery: all, UserIDs: []int64{e2.UserID, p2.UserID}, Kind: crewid.KindTechnician}, []int64{p2.ID}},
		{"RoleID (a person with two roles appears once)", store.PersonQuery{ListQuery: all, RoleID: r2.ID}, []int64{e2.ID, p1.ID}},
		{"RoleID r1", store.PersonQuery{ListQuery: all, RoleID: r1.ID}, []int64{e1.ID, e2.ID}},
		{"RoleID and Kind", store.PersonQuery{ListQuery: all, RoleID: r2.ID, Kind: crewid.KindEmployee}, []int64{e2.ID}},
		{"BusinessUnitID", store.PersonQuery{ListQuery: all, BusinessUnitID: b1.ID}, []int64{e1.ID, p1.ID}},
		{"TeamID", store.PersonQuery{ListQuery: all, TeamID: t1.ID}, []int64{p1.ID}},
		{"TeamID, active only", store.PersonQuery{ListQuery: store.ListQuery{IncludeTotal: true}, TeamID: t2.ID}, nil},
		{"RoleID sorted by -Name", store.PersonQuery{ListQuery: store.ListQuery{Active: store.ActiveAny, IncludeTotal: true, Sort: "-Name"}, RoleID: r2.ID}, []int64{p1.ID, e2.ID}},
		{"unknown role", store.PersonQuery{ListQuery: all, RoleID: missingID}, nil},
	} {
		page, err := s.People(c, tid, tc.q)
		if err != nil {
			t.Errorf("People(%s): %v", tc.what, err)
			continue
		}
		checkIDs(t, "People("+tc.what+")", tc.want, pageIDs(page.Items, personID))
		if page.Total != len(tc.want) {
			t.Errorf("People(%s): Total %d, want %d", tc.what, page.Total, len(tc.want))
		}
	}
	// A person with several roles is listed once and whole.
	page, err := s.People(c, tid, store.PersonQuery{ListQuery: store.ListQuery{IDs: []int64{e2.ID}}})
	must(t, "People", err)
	if len(page.Items) != 1 {
		t.Fatalf("People(ids=[e2]) = %d items, want 1", len(page.Items))
	}
	check(t, "listed person with two roles", readPerson(t, s, tid, e2.ID), page.Items[0])
}
