package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"crewid"
	"crewid/store"
)

// RunFilter checks PeopleByFilter and the directory data of people and
// roles (store.PeopleReader, store.PeopleWriter): hand-picked cases for
// each attribute and operator, then a property test that any random filter
// selects exactly the people an in-memory evaluation of the same filter
// selects. open must return a migrated store; RunFilter calls it once.
func RunFilter(t *testing.T, open func(t *testing.T) store.Store) {
	s := open(t)
	t.Run("Directory", func(t *testing.T) { testDirectory(t, s) })
	t.Run("Cases", func(t *testing.T) { testFilterCases(t, s) })
	t.Run("Paging", func(t *testing.T) { testFilterPaging(t, s) })
	t.Run("Invalid", func(t *testing.T) { testFilterInvalid(t, s) })
	t.Run("Property", func(t *testing.T) { testFilterProperty(t, s) })
}

func testDirectory(t *testing.T, s store.Store) {
	tn := newTenant(t, s, "Directory Co")
	other := newTenant(t, s, "Directory Other")
	p := createPerson(t, s, employee(tn.ID, "Dana Directory"))
	q := createPerson(t, s, employee(tn.ID, "Quinn Quiet"))
	role := createRole(t, s, tn.ID, "Directory Role", crewid.EmployeeTypeAll)

	got, err := s.PeopleDirectory(ctx(t), tn.ID, []int64{p.ID, q.ID})
	must(t, "PeopleDirectory", err)
	check(t, "directory data before any is set", map[int64]store.PersonDirectory{}, got)

	d := store.PersonDirectory{ExternalID: "Ext-1", EmployeeNumber: "E42", GivenName: "Dana", FamilyName: "Directory"}
	update(t, s, func(tx store.Tx) error { return tx.SetPersonDirectory(ctx(t), tn.ID, p.ID, d) })
	got, err = s.PeopleDirectory(ctx(t), tn.ID, []int64{p.ID, q.ID, missingID})
	must(t, "PeopleDirectory", err)
	check(t, "directory data", map[int64]store.PersonDirectory{p.ID: d}, got)

	after := readPerson(t, s, tn.ID, p.ID)
	if after.Seq != p.Seq || !sameTime(after.ModifiedOn, p.ModifiedOn.UTC()) {
		t.Errorf("SetPersonDirectory moved the change number or ModifiedOn: seq %d → %d", p.Seq, after.Seq)
	}
	// A profile update keeps the directory data.
	after.Name = "Dana D. Directory"
	update(t, s, func(tx store.Tx) error { return tx.UpdatePerson(ctx(t), &after) })
	got, err = s.PeopleDirectory(ctx(t), tn.ID, []int64{p.ID})
	must(t, "PeopleDirectory", err)
	check(t, "directory data after UpdatePerson", map[int64]store.PersonDirectory{p.ID: d}, got)

	// Only Deleted set still counts as data.
	update(t, s, func(tx store.Tx) error {
		return tx.SetPersonDirectory(ctx(t), tn.ID, q.ID, store.PersonDirectory{Deleted: true})
	})
	got, err = s.PeopleDirectory(ctx(t), tn.ID, []int64{q.ID})
	must(t, "PeopleDirectory", err)
	check(t, "deleted only", map[int64]store.PersonDirectory{q.ID: {Deleted: true}}, got)

	// Another tenant sees nothing and changes nothing.
	got, err = s.PeopleDirectory(ctx(t), other.ID, []int64{p.ID})
	must(t, "PeopleDirectory", err)
	check(t, "another tenant's view", map[int64]store.PersonDirectory{}, got)
	wantNotFound(t, "SetPersonDirectory in another tenant", s.Update(ctx(t), func(tx store.Tx) error {
		return tx.SetPersonDirectory(ctx(t), other.ID, p.ID, store.PersonDirectory{ExternalID: "x"})
	}))

	// Clearing.
	update(t, s, func(tx store.Tx) error { return tx.SetPersonDirectory(ctx(t), tn.ID, p.ID, store.PersonDirectory{}) })
	got, err = s.PeopleDirectory(ctx(t), tn.ID, []int64{p.ID})
	must(t, "PeopleDirectory", err)
	check(t, "cleared directory data", map[int64]store.PersonDirectory{}, got)

	// Roles.
	update(t, s, func(tx store.Tx) error { return tx.SetRoleExternalID(ctx(t), tn.ID, role.ID, "grp-1") })
	ids, err := s.RoleExternalIDs(ctx(t), tn.ID)
	must(t, "RoleExternalIDs", err)
	check(t, "role external ids", map[int64]string{role.ID: "grp-1"}, ids)
	ids, err = s.RoleExternalIDs(ctx(t), other.ID)
	must(t, "RoleExternalIDs", err)
	check(t, "another tenant's role external ids", map[int64]string{}, ids)
	wantNotFound(t, "SetRoleExternalID in another tenant", s.Update(ctx(t), func(tx store.Tx) error {
		return tx.SetRoleExternalID(ctx(t), other.ID, role.ID, "x")
	}))
	update(t, s, func(tx store.Tx) error { return tx.SetRoleExternalID(ctx(t), tn.ID, role.ID, "") })
	ids, err = s.RoleExternalIDs(ctx(t), tn.ID)
	must(t, "RoleExternalIDs", err)
	check(t, "cleared role external id", map[int64]string{}, ids)
}

func cmpf(a store.PersonAttr, op store.FilterOp, v any) store.Filter {
	return store.Compare{Attr: a, Op: op, Value: v}
}

func present(a store.PersonAttr) store.Filter { return store.Present{Attr: a} }

func not(f store.Filter) store.Filter { return store.Not{Filter: f} }

// fataler is what filterIDs needs of a *testing.T or a *rapid.T.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

// filterIDs runs f and returns the ids of every match, checking Total.
func filterIDs(t fataler, s store.Reader, tenantID int64, f store.Filter) []int64 {
	t.Helper()
	page, err := s.PeopleByFilter(context.Background(), tenantID, f, store.FilterQuery{Limit: store.MaxFilterLimit})
	if err != nil {
		t.Fatalf("PeopleByFilter(%s): %v", showFilter(f), err)
	}
	if page.Total != len(page.Items) || page.HasMore {
		t.Fatalf("PeopleByFilter(%s): total %d, hasMore %v for %d people", showFilter(f), page.Total, page.HasMore, len(page.Items))
	}
	return pageIDs(page.Items, personID)
}

func testFilterCases(t *testing.T, s store.Store) {
	tn := newTenant(t, s, "Filter Cases")
	other := newTenant(t, s, "Filter Cases Other")
	suffix := strconv.FormatInt(tn.ID, 10)
	team := createTeam(t, s, tn.ID, "Night Shift")
	bu := createBusinessUnit(t, s, tn.ID, "North")
	role1 := createRole(t, s, tn.ID, "R1", crewid.EmployeeTypeAll)
	role2 := createRole(t, s, tn.ID, "R2", crewid.EmployeeTypeAll)

	mk := func(p crewid.Person, login string) crewid.Person {
		p.Account.Login = login
		return createPerson(t, s, p)
	}
	a := employee(tn.ID, "Ann Åberg")
	a.Email = "Ann.Aberg+" + suffix + "@Example.com"
	a.OfficePhone = "+15550001111"
	a.BusinessUnitID = bu.ID
	a.RoleIDs = []int64{role1.ID}
	a.CreatedOn = at(time.Hour)
	ann := mk(a, "Ann_"+suffix)

	b := technician(tn.ID, "bob 100% [night]")
	b.MobilePhone = "+1555000" + fmt.Sprintf("%04d", tn.ID%10000)
	b.LicenseType = crewid.LicenseManagedTech
	b.TeamID = team.ID
	b.ManagerID = ann.ID
	b.AADUserID = "AAD-*?[x]"
	b.RoleIDs = []int64{role1.ID, role2.ID}
	b.CreatedOn = at(2 * time.Hour)
	bob := mk(b, "")

	c := technician(tn.ID, `Cé\cile`)
	c.MobileAccessEnabled = false
	c.Active = false
	c.CreatedOn = at(3 * time.Hour)
	cec := mk(c, "")

	// Another tenant's person matches nothing here.
	o := employee(other.ID, "Ann Åberg")
	o.Email = "ann.other+" + suffix + "@example.com"
	mk(o, "")

	update(t, s, func(tx store.Tx) error {
		return tx.SetPersonDirectory(ctx(t), tn.ID, bob.ID, store.PersonDirectory{ExternalID: "ExT-B", EmployeeNumber: "007", Deleted: true})
	})
	update(t, s, func(tx store.Tx) error {
		return tx.SetPersonDirectory(ctx(t), tn.ID, ann.ID, store.PersonDirectory{GivenName: "Ann", FamilyName: "Åberg-Smith"})
	})

	all := []int64{ann.ID, bob.ID, cec.ID}
	cases := []struct {
		name string
		f    store.Filter
		want []int64
	}{
		{"nil matches everyone", nil, all},
		{"empty and", store.And{}, all},
		{"empty or", store.Or{}, nil},
		{"id eq", cmpf(store.PersonID, store.OpEq, bob.ID), []int64{bob.ID}},
		{"id ge", cmpf(store.PersonID, store.OpGe, bob.ID), []int64{bob.ID, cec.ID}},
		{"userName is the login, case-insensitive", cmpf(store.PersonUserName, store.OpEq, "ANN_"+suffix), []int64{ann.ID}},
		{"userName falls back to the mobile number", cmpf(store.PersonUserName, store.OpEq, bob.MobilePhone), []int64{bob.ID}},
		{"userName falls back to the id", cmpf(store.PersonUserName, store.OpEq, strconv.FormatInt(cec.ID, 10)), []int64{cec.ID}},
		{"userName sw is a prefix, underscore literal", cmpf(store.PersonUserName, store.OpSw, "ann_"), []int64{ann.ID}},
		{"underscore is not a wildcard", cmpf(store.PersonUserName, store.OpSw, "an__"), nil},
		{"name co percent is literal", cmpf(store.PersonName, store.OpCo, "100%"), []int64{bob.ID}},
		{"name co percent alone", cmpf(store.PersonName, store.OpCo, "%"), []int64{bob.ID}},
		{"name co backslash", cmpf(store.PersonName, store.OpCo, `é\c`), []int64{cec.ID}},
		{"name case-insensitive beyond ASCII", cmpf(store.PersonName, store.OpSw, "ANN ÅB"), []int64{ann.ID}},
		{"name ew", cmpf(store.PersonName, store.OpEw, "[NIGHT]"), []int64{bob.ID}},
		{"name orders by bytes", cmpf(store.PersonName, store.OpGt, "bob"), []int64{bob.ID, cec.ID}},
		{"name lt", cmpf(store.PersonName, store.OpLt, "b"), []int64{ann.ID}},
		{"email eq folds case", cmpf(store.PersonEmail, store.OpEq, "ANN.ABERG+"+suffix+"@EXAMPLE.COM"), []int64{ann.ID}},
		{"email co", cmpf(store.PersonEmail, store.OpCo, "@example."), []int64{ann.ID}},
		{"email ne skips people without email", cmpf(store.PersonEmail, store.OpNe, "x@y.z"), []int64{ann.ID}},
		{"not email eq keeps them", not(cmpf(store.PersonEmail, store.OpEq, "x@y.z")), all},
		{"email pr", present(store.PersonEmail), []int64{ann.ID}},
		{"not email pr", not(present(store.PersonEmail)), []int64{bob.ID, cec.ID}},
		{"mobile pr", present(store.PersonMobilePhone), []int64{bob.ID}},
		{"office phone", cmpf(store.PersonOfficePhone, store.OpEq, "+15550001111"), []int64{ann.ID}},
		{"office phone empty is absent", cmpf(store.PersonOfficePhone, store.OpEq, ""), nil},
		{"office phone pr", present(store.PersonOfficePhone), []int64{ann.ID}},
		{"kind is exact", cmpf(store.PersonKind, store.OpEq, "technician"), nil},
		{"kind", cmpf(store.PersonKind, store.OpEq, "Technician"), []int64{bob.ID, cec.ID}},
		{"active", cmpf(store.PersonActive, store.OpEq, false), []int64{cec.ID}},
		{"active ne", cmpf(store.PersonActive, store.OpNe, false), []int64{ann.ID, bob.ID}},
		{"license type", cmpf(store.PersonLicenseType, store.OpSw, "Managed"), []int64{bob.ID}},
		{"license type pr", present(store.PersonLicenseType), []int64{bob.ID}},
		{"mobile access", cmpf(store.PersonMobileAccess, store.OpEq, true), []int64{bob.ID}},
		{"business unit", cmpf(store.PersonBusinessUnitID, store.OpEq, bu.ID), []int64{ann.ID}},
		{"business unit ne skips none", cmpf(store.PersonBusinessUnitID, store.OpNe, bu.ID), nil},
		{"manager", cmpf(store.PersonManagerID, store.OpEq, ann.ID), []int64{bob.ID}},
		{"team by name, case-insensitive", cmpf(store.PersonTeam, store.OpEq, "NIGHT SHIFT"), []int64{bob.ID}},
		{"team pr", present(store.PersonTeam), []int64{bob.ID}},
		{"aad id GLOB characters are literal", cmpf(store.PersonAADUserID, store.OpEq, "AAD-*?[x]"), []int64{bob.ID}},
		{"aad id co star", cmpf(store.PersonAADUserID, store.OpCo, "*?["), []int64{bob.ID}},
		{"aad id sw is case-sensitive", cmpf(store.PersonAADUserID, store.OpSw, "aad"), nil},
		{"aad id co wildcard is literal", cmpf(store.PersonAADUserID, store.OpCo, "D-?"), nil},
		{"external id exact", cmpf(store.PersonExternalID, store.OpEq, "ExT-B"), []int64{bob.ID}},
		{"external id case matters", cmpf(store.PersonExternalID, store.OpEq, "ext-b"), nil},
		{"external id co case matters", cmpf(store.PersonExternalID, store.OpCo, "xt-b"), nil},
		{"employee number", cmpf(store.PersonEmployeeNumber, store.OpSw, "00"), []int64{bob.ID}},
		{"deleted", cmpf(store.PersonDeleted, store.OpEq, true), []int64{bob.ID}},
		{"family name sw, case-insensitive beyond ASCII", cmpf(store.PersonFamilyName, store.OpSw, "åBERG"), []int64{ann.ID}},
		{"family name ew", cmpf(store.PersonFamilyName, store.OpEw, "-SMITH"), []int64{ann.ID}},
		{"given name eq", cmpf(store.PersonGivenName, store.OpEq, "ANN"), []int64{ann.ID}},
		{"not given name: people without one too", not(cmpf(store.PersonGivenName, store.OpEq, "ann")), []int64{bob.ID, cec.ID}},
		{"family name pr", present(store.PersonFamilyName), []int64{ann.ID}},
		{"created after", cmpf(store.PersonCreatedOn, store.OpGt, at(2*time.Hour)), []int64{cec.ID}},
		{"created at, to the microsecond", cmpf(store.PersonCreatedOn, store.OpEq, at(2*time.Hour)), []int64{bob.ID}},
		{"role held", cmpf(store.PersonRoleID, store.OpEq, role2.ID), []int64{bob.ID}},
		{"role ne: some other role", cmpf(store.PersonRoleID, store.OpNe, role1.ID), []int64{bob.ID}},
		{"not role", not(cmpf(store.PersonRoleID, store.OpEq, role1.ID)), []int64{cec.ID}},
		{"role pr", present(store.PersonRoleID), []int64{ann.ID, bob.ID}},
		{"and", store.And{cmpf(store.PersonKind, store.OpEq, "Technician"), cmpf(store.PersonActive, store.OpEq, true)}, []int64{bob.ID}},
		{"or", store.Or{present(store.PersonEmail), cmpf(store.PersonActive, store.OpEq, false)}, []int64{ann.ID, cec.ID}},
		{"not and", not(store.And{present(store.PersonEmail), present(store.PersonRoleID)}), []int64{bob.ID, cec.ID}},
		{"not not", not(not(present(store.PersonTeam))), []int64{bob.ID}},
	}
	for _, tc := range cases {
		got := filterIDs(t, s, tn.ID, tc.f)
		checkIDs(t, tc.name+" "+showFilter(tc.f), tc.want, got)
	}
}

func testFilterPaging(t *testing.T, s store.Store) {
	tn := newTenant(t, s, "Filter Paging")
	var ids []int64
	for i := range 7 {
		ids = append(ids, createPerson(t, s, employee(tn.ID, fmt.Sprintf("Pager %d", i))).ID)
	}
	f := cmpf(store.PersonName, store.OpSw, "pager")
	for _, tc := range []struct {
		offset, limit int
		want          []int64
		more          bool
	}{
		{0, 3, ids[:3], true},
		{3, 3, ids[3:6], true},
		{6, 3, ids[6:], false},
		{7, 3, nil, false},
		{100, 3, nil, false},
		{0, 0, nil, true},
		{-5, 2, ids[:2], true},
	} {
		page, err := s.PeopleByFilter(ctx(t), tn.ID, f, store.FilterQuery{Offset: tc.offset, Limit: tc.limit})
		must(t, "PeopleByFilter", err)
		what := fmt.Sprintf("offset %d limit %d", tc.offset, tc.limit)
		checkIDs(t, what, tc.want, pageIDs(page.Items, personID))
		if page.Total != 7 || page.HasMore != tc.more {
			t.Errorf("%s: total %d hasMore %v, want 7 and %v", what, page.Total, page.HasMore, tc.more)
		}
		if page.Items == nil {
			t.Errorf("%s: nil items", what)
		}
	}
}

func testFilterInvalid(t *testing.T, s store.Store) {
	tn := newTenant(t, s, "Filter Invalid")
	for _, f := range []store.Filter{
		cmpf("nickName", store.OpEq, "x"),
		present("nickName"),
		cmpf(store.PersonUserName, "xx", "x"),
		cmpf(store.PersonUserName, store.OpEq, int64(3)),
		cmpf(store.PersonID, store.OpEq, "3"),
		cmpf(store.PersonID, store.OpCo, int64(3)),
		cmpf(store.PersonActive, store.OpGt, true),
		cmpf(store.PersonActive, store.OpEq, "true"),
		cmpf(store.PersonCreatedOn, store.OpSw, at(0)),
		cmpf(store.PersonCreatedOn, store.OpEq, "2024-01-01"),
		cmpf(store.PersonRoleID, store.OpSw, int64(1)),
		cmpf(store.PersonName, store.OpEq, "nul\x00byte"),
		cmpf(store.PersonName, store.OpEq, "bad\xffutf8"),
		not(store.And{store.Or{cmpf("nope", store.OpEq, "x")}}),
	} {
		_, err := s.PeopleByFilter(ctx(t), tn.ID, f, store.FilterQuery{Limit: 10})
		if crewid.CodeOf(err) != crewid.Invalid {
			t.Errorf("PeopleByFilter(%s): got %s, want an Invalid error", showFilter(f), describe(err))
		}
	}
	// A huge filter is refused, not sent to the database.
	big := store.Or{}
	for i := range 2000 {
		big = append(big, cmpf(store.PersonID, store.OpEq, int64(i)))
	}
	if _, err := s.PeopleByFilter(ctx(t), tn.ID, big, store.FilterQuery{Limit: 10}); crewid.CodeOf(err) != crewid.Invalid {
		t.Errorf("PeopleByFilter(2000 conditions): got %s, want an Invalid error", describe(err))
	}
}

// ---- property test ---------------------------------------------------------

// filterSubject is a person with their directory data, as the reference
// evaluator sees them.
type filterSubject struct {
	p crewid.Person
	d store.PersonDirectory
}

// filterAttrTypes are the attributes the property test draws from, with
// their value type ("s" string, "i" int64, "b" bool, "t" time) and whether
// strings fold case.
var filterAttrTypes = []struct {
	attr store.PersonAttr
	typ  byte
	fold bool
}{
	{store.PersonID, 'i', false},
	{store.PersonUserName, 's', true},
	{store.PersonName, 's', true},
	{store.PersonEmail, 's', true},
	{store.PersonMobilePhone, 's', false},
	{store.PersonOfficePhone, 's', false},
	{store.PersonKind, 's', false},
	{store.PersonActive, 'b', false},
	{store.PersonLicenseType, 's', false},
	{store.PersonMobileAccess, 'b', false},
	{store.PersonBusinessUnitID, 'i', false},
	{store.PersonManagerID, 'i', false},
	{store.PersonTeam, 's', true},
	{store.PersonAADUserID, 's', false},
	{store.PersonExternalID, 's', false},
	{store.PersonEmployeeNumber, 's', false},
	{store.PersonGivenName, 's', true},
	{store.PersonFamilyName, 's', true},
	{store.PersonDeleted, 'b', false},
	{store.PersonCreatedOn, 't', false},
	{store.PersonModifiedOn, 't', false},
	{store.PersonRoleID, 'i', false},
}

// values returns the attribute's values of x (none when absent).
func (x filterSubject) values(a store.PersonAttr) []any {
	p, d := x.p, x.d
	str := func(s string) []any {
		if s == "" {
			return nil
		}
		return []any{s}
	}
	id := func(v int64) []any {
		if v == 0 {
			return nil
		}
		return []any{v}
	}
	switch a {
	case store.PersonID:
		return []any{p.ID}
	case store.PersonUserName:
		for _, v := range []string{p.Account.Login, p.Email, p.MobilePhone} {
			if v != "" {
				return []any{strings.TrimSpace(v)}
			}
		}
		return []any{strconv.FormatInt(p.ID, 10)}
	case store.PersonName:
		return []any{strings.TrimSpace(p.Name)}
	case store.PersonEmail:
		return str(p.Email)
	case store.PersonMobilePhone:
		return str(p.MobilePhone)
	case store.PersonOfficePhone:
		return str(p.OfficePhone)
	case store.PersonKind:
		return []any{string(p.Kind)}
	case store.PersonActive:
		return []any{p.Active}
	case store.PersonLicenseType:
		return str(string(p.LicenseType))
	case store.PersonMobileAccess:
		return []any{p.MobileAccessEnabled}
	case store.PersonBusinessUnitID:
		return id(p.BusinessUnitID)
	case store.PersonManagerID:
		return id(p.ManagerID)
	case store.PersonTeam:
		return str(strings.TrimSpace(p.TeamName))
	case store.PersonAADUserID:
		return str(p.AADUserID)
	case store.PersonExternalID:
		return str(d.ExternalID)
	case store.PersonEmployeeNumber:
		return str(d.EmployeeNumber)
	case store.PersonGivenName:
		return str(d.GivenName)
	case store.PersonFamilyName:
		return str(d.FamilyName)
	case store.PersonDeleted:
		return []any{d.Deleted}
	case store.PersonCreatedOn:
		return []any{p.CreatedOn}
	case store.PersonModifiedOn:
		return []any{p.ModifiedOn}
	case store.PersonRoleID:
		out := []any{}
		for _, r := range p.RoleIDs {
			out = append(out, r)
		}
		return out
	}
	panic("unknown attribute " + string(a))
}

// evalFilter is the reference semantics of store.Filter (see its doc).
func evalFilter(f store.Filter, x filterSubject) bool {
	switch f := f.(type) {
	case nil:
		return true
	case store.And:
		for _, g := range f {
			if !evalFilter(g, x) {
				return false
			}
		}
		return true
	case store.Or:
		for _, g := range f {
			if evalFilter(g, x) {
				return true
			}
		}
		return false
	case store.Not:
		return !evalFilter(f.Filter, x)
	case store.Present:
		return len(x.values(f.Attr)) > 0
	case store.Compare:
		fold := false
		for _, a := range filterAttrTypes {
			if a.attr == f.Attr {
				fold = a.fold
			}
		}
		for _, v := range x.values(f.Attr) {
			if compareValue(v, f.Op, f.Value, fold) {
				return true
			}
		}
		return false
	}
	panic(fmt.Sprintf("unknown filter %T", f))
}

func compareValue(have any, op store.FilterOp, want any, fold bool) bool {
	var c int
	switch h := have.(type) {
	case string:
		w := want.(string)
		if fold {
			h, w = strings.ToLower(h), strings.ToLower(w)
		}
		switch op {
		case store.OpCo:
			return strings.Contains(h, w)
		case store.OpSw:
			return strings.HasPrefix(h, w)
		case store.OpEw:
			return strings.HasSuffix(h, w)
		}
		c = strings.Compare(h, w)
	case int64:
		c = cmpInt(h, want.(int64))
	case bool:
		w := want.(bool)
		if op == store.OpEq {
			return h == w
		}
		return h != w
	case time.Time:
		c = cmpInt(h.UnixMicro(), want.(time.Time).UnixMicro())
	}
	switch op {
	case store.OpEq:
		return c == 0
	case store.OpNe:
		return c != 0
	case store.OpGt:
		return c > 0
	case store.OpGe:
		return c >= 0
	case store.OpLt:
		return c < 0
	case store.OpLe:
		return c <= 0
	}
	panic("unknown operator " + string(op))
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// filterAlphabet makes strings that probe case folding, byte order and the
// escaping of LIKE and GLOB wildcards.
var filterAlphabet = []string{"a", "A", "b", "B", "z", "_", "%", `\`, "*", "?", "[", "]", "é", "É", "ß", "Ω", "😀", "-", ".", " "}

func randomText(r *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		b.WriteString(filterAlphabet[r.IntN(len(filterAlphabet))])
	}
	return b.String()
}

// seedFilterPopulation creates n people of both kinds in a new tenant with
// attribute values drawn from small pools (so that filters hit), and
// returns them as the evaluator sees them.
func seedFilterPopulation(t *testing.T, s store.Store, n int) (crewid.Tenant, []filterSubject) {
	t.Helper()
	tn := newTenant(t, s, "Filter Property")
	r := rand.New(rand.NewPCG(uint64(tn.ID), 7))
	suffix := strconv.FormatInt(tn.ID, 36)
	teams := []crewid.Team{createTeam(t, s, tn.ID, "Alpha "+randomText(r, 2)), createTeam(t, s, tn.ID, "bravo")}
	units := []crewid.BusinessUnit{createBusinessUnit(t, s, tn.ID, "East"), createBusinessUnit(t, s, tn.ID, "West")}
	roles := []crewid.Role{
		createRole(t, s, tn.ID, "P1", crewid.EmployeeTypeAll),
		createRole(t, s, tn.ID, "P2", crewid.EmployeeTypeAll),
		createRole(t, s, tn.ID, "P3", crewid.EmployeeTypeAll),
	}
	maybe := func(s string) string {
		if r.IntN(3) == 0 {
			return ""
		}
		return s
	}
	var out []filterSubject
	for i := range n {
		kind := crewid.KindEmployee
		if r.IntN(2) == 0 {
			kind = crewid.KindTechnician
		}
		p := person(kind, tn.ID, randomText(r, 1)+" "+randomText(r, 1+r.IntN(4)))
		p.Active = r.IntN(4) != 0
		p.CreatedOn = at(time.Duration(r.IntN(5)) * time.Hour).Add(time.Duration(r.IntN(3)) * time.Microsecond)
		p.ModifiedOn = p.CreatedOn.Add(time.Duration(r.IntN(1000)) * time.Microsecond)
		// Unique per tenant and kind (email, mobile) or across tenants
		// (login): the index i keeps them apart, the random part makes
		// them interesting to compare.
		if v := maybe(randomText(r, 2)); v != "" {
			p.Account.Login = v + "." + suffix + "." + strconv.Itoa(i)
		}
		if v := maybe(randomText(r, 2)); v != "" {
			p.Email = strings.ReplaceAll(v, " ", "") + strconv.Itoa(i) + "@x" + randomText(r, 1) + ".test"
		}
		if r.IntN(2) == 0 {
			p.MobilePhone = fmt.Sprintf("+1555%07d", i*13+r.IntN(10))
		}
		if kind == crewid.KindEmployee && r.IntN(2) == 0 {
			p.OfficePhone = fmt.Sprintf("+1666%07d", r.IntN(3))
		}
		if kind == crewid.KindTechnician {
			p.MobileAccessEnabled = r.IntN(3) != 0
			p.LicenseType = []crewid.LicenseType{"", crewid.LicenseManagedTech, crewid.LicenseNonManagedTech}[r.IntN(3)]
			if r.IntN(2) == 0 {
				tm := teams[r.IntN(len(teams))]
				p.TeamID, p.TeamName = tm.ID, tm.Name
			}
		}
		if r.IntN(2) == 0 {
			p.BusinessUnitID = units[r.IntN(len(units))].ID
		}
		if len(out) > 0 && r.IntN(3) == 0 {
			p.ManagerID = out[r.IntN(len(out))].p.ID
		}
		if r.IntN(4) != 0 {
			p.AADUserID = maybe(randomText(r, 2)) + strconv.Itoa(i)
		}
		for _, role := range roles {
			if r.IntN(2) == 0 {
				p.RoleIDs = append(p.RoleIDs, role.ID)
			}
		}
		p = createPerson(t, s, p)
		d := store.PersonDirectory{Deleted: r.IntN(5) == 0}
		if r.IntN(3) != 0 {
			d.ExternalID = randomText(r, 1+r.IntN(3))
		}
		if r.IntN(3) != 0 {
			d.EmployeeNumber = strconv.Itoa(r.IntN(30))
		}
		if r.IntN(3) != 0 {
			d.GivenName = randomText(r, 1+r.IntN(2))
		}
		if r.IntN(3) != 0 {
			d.FamilyName = randomText(r, 1+r.IntN(3))
		}
		update(t, s, func(tx store.Tx) error { return tx.SetPersonDirectory(ctx(t), tn.ID, p.ID, d) })
		out = append(out, filterSubject{p: readPerson(t, s, tn.ID, p.ID), d: d})
	}
	return tn, out
}

// filterGen draws filters over the population: comparison values are
// often taken from (or cut out of) people's own values, with their case
// changed, so that comparisons hit as well as miss.
func filterGen(people []filterSubject) *rapid.Generator[store.Filter] {
	return rapid.Custom(func(t *rapid.T) store.Filter { return drawFilter(t, people, 3) })
}

func drawFilter(t *rapid.T, people []filterSubject, depth int) store.Filter {
	kind := rapid.IntRange(0, 9).Draw(t, "node")
	if depth == 0 || kind < 5 {
		return drawLeaf(t, people)
	}
	switch kind {
	case 5, 6:
		n := rapid.IntRange(0, 3).Draw(t, "and")
		f := store.And{}
		for range n {
			f = append(f, drawFilter(t, people, depth-1))
		}
		return f
	case 7, 8:
		n := rapid.IntRange(0, 3).Draw(t, "or")
		f := store.Or{}
		for range n {
			f = append(f, drawFilter(t, people, depth-1))
		}
		return f
	}
	return not(drawFilter(t, people, depth-1))
}

func drawLeaf(t *rapid.T, people []filterSubject) store.Filter {
	a := rapid.SampledFrom(filterAttrTypes).Draw(t, "attr")
	if rapid.IntRange(0, 5).Draw(t, "present") == 0 {
		return present(a.attr)
	}
	var ops []store.FilterOp
	switch a.typ {
	case 's':
		ops = []store.FilterOp{store.OpEq, store.OpNe, store.OpCo, store.OpSw, store.OpEw, store.OpGt, store.OpGe, store.OpLt, store.OpLe}
	case 'b':
		ops = []store.FilterOp{store.OpEq, store.OpNe}
	default:
		ops = []store.FilterOp{store.OpEq, store.OpNe, store.OpGt, store.OpGe, store.OpLt, store.OpLe}
	}
	op := rapid.SampledFrom(ops).Draw(t, "op")
	// A value of some person, or an arbitrary one.
	var value any
	x := rapid.SampledFrom(people).Draw(t, "person")
	if vs := x.values(a.attr); len(vs) > 0 && rapid.IntRange(0, 3).Draw(t, "own") > 0 {
		value = rapid.SampledFrom(vs).Draw(t, "value")
	}
	switch a.typ {
	case 's':
		s, _ := value.(string)
		if value == nil {
			s = strings.Join(rapid.SliceOfN(rapid.SampledFrom(filterAlphabet), 0, 3).Draw(t, "text"), "")
		}
		rs := []rune(s)
		i := rapid.IntRange(0, len(rs)).Draw(t, "from")
		j := rapid.IntRange(i, len(rs)).Draw(t, "to")
		switch rapid.IntRange(0, 3).Draw(t, "cut") {
		case 1:
			s = string(rs[i:j])
		case 2:
			s = strings.ToUpper(s)
		case 3:
			s = strings.ToLower(string(rs[i:j]))
		}
		value = s
	case 'i':
		v, _ := value.(int64)
		if value == nil {
			v = rapid.Int64Range(-1, 1<<20).Draw(t, "int")
		}
		value = v + rapid.Int64Range(-1, 1).Draw(t, "nudge")
	case 'b':
		value = rapid.Bool().Draw(t, "bool")
	case 't':
		v, _ := value.(time.Time)
		if value == nil {
			v = at(time.Duration(rapid.IntRange(0, 5).Draw(t, "hour")) * time.Hour)
		}
		value = v.Add(time.Duration(rapid.IntRange(-1, 1).Draw(t, "micros")) * time.Microsecond)
	}
	return cmpf(a.attr, op, value)
}

func testFilterProperty(t *testing.T, s store.Store) {
	tn, people := seedFilterPopulation(t, s, 60)
	var runs, mixed int
	rapid.Check(t, func(rt *rapid.T) {
		f := filterGen(people).Draw(rt, "filter")
		var want []int64
		for _, x := range people {
			if evalFilter(f, x) {
				want = append(want, x.p.ID)
			}
		}
		got := filterIDs(rt, s, tn.ID, f)
		if !slices.Equal(want, got) && !(len(want) == 0 && len(got) == 0) {
			rt.Fatalf("filter %s\n got %v\nwant %v", showFilter(f), got, want)
		}
		runs++
		if len(want) > 0 && len(want) < len(people) {
			mixed++
		}
	})
	// The generator must draw filters that split the population, or the
	// comparison proves little.
	t.Logf("%d of %d filters matched some people but not all", mixed, runs)
	if runs >= 50 && mixed*5 < runs {
		t.Errorf("only %d of %d filters matched some people but not all", mixed, runs)
	}
}

// showFilter renders a filter for failure messages.
func showFilter(f store.Filter) string {
	switch f := f.(type) {
	case nil:
		return "<all>"
	case store.And:
		return showJoin(f, " and ", "<true>")
	case store.Or:
		return showJoin(f, " or ", "<false>")
	case store.Not:
		return "not (" + showFilter(f.Filter) + ")"
	case store.Present:
		return string(f.Attr) + " pr"
	case store.Compare:
		v := fmt.Sprintf("%v", f.Value)
		switch x := f.Value.(type) {
		case string:
			v = strconv.Quote(x)
		case time.Time:
			v = x.UTC().Format(time.RFC3339Nano)
		}
		return fmt.Sprintf("%s %s %s", f.Attr, f.Op, v)
	}
	return fmt.Sprintf("%#v", f)
}

func showJoin[T ~[]store.Filter](parts T, op, empty string) string {
	if len(parts) == 0 {
		return empty
	}
	s := make([]string, len(parts))
	for i, p := range parts {
		s[i] = showFilter(p)
	}
	return "(" + strings.Join(s, op) + ")"
}
