package storetest

import (
	"fmt"
	"testing"
	"time"

	"crewid"
	"crewid/store"
)

// tenantRecords is one of every kind of tenant-owned record.
type tenantRecords struct {
	tenant     crewid.Tenant
	role       crewid.Role
	unit       crewid.BusinessUnit
	tagType    crewid.TagType
	team       crewid.Team
	zone       crewid.Zone
	field      crewid.CustomFieldType
	app        crewid.App
	employee   crewid.Person
	technician crewid.Person
	event      crewid.Event
}

// populate creates one of everything in a new tenant, all records referring
// to each other.
func populate(t *testing.T, s store.Store, name string) tenantRecords {
	t.Helper()
	var r tenantRecords
	r.tenant = newTenant(t, s, name)
	tid := r.tenant.ID
	r.role = createRole(t, s, tid, "Tech Role", crewid.EmployeeTypeAll)
	r.unit = createBusinessUnit(t, s, tid, name+" Unit")
	r.tagType = createTagType(t, s, tid, "VIP")
	r.team = createTeam(t, s, tid, "Crew")
	r.zone = createZone(t, s, tid, "Zone 1")
	r.field = createCustomFieldType(t, s, tid, crewid.KindTechnician, "Shirt Size")
	r.app = createApp(t, s, tid, name+" Sync")
	r.employee = employee(tid, "Office Person")
	r.employee.Email = "office@example.com"
	r.employee.RoleIDs = []int64{r.role.ID}
	r.employee.BusinessUnitID = r.unit.ID
	r.employee = createPerson(t, s, r.employee)
	r.technician = technician(tid, "Field Person")
	r.technician.MobilePhone = "+15557770000"
	r.technician.RoleIDs = []int64{r.role.ID}
	r.technician.BusinessUnitID = r.unit.ID
	r.technician.TeamID = r.team.ID
	r.technician.ZoneIDs = []int64{r.zone.ID}
	r.technician.MainZoneID = r.zone.ID
	r.technician.ManagerID = r.employee.ID
	r.technician.CustomFields = []crewid.CustomFieldValue{{TypeID: r.field.ID, Value: "M"}}
	r.technician = createPerson(t, s, r.technician)
	r.event = crewid.Event{TenantID: tid, OccurredOn: at(time.Minute), Type: "PersonCreated", RecordType: "Person",
		RecordID: r.technician.ID, Actor: crewid.Actor{Type: crewid.ActorPerson, ID: r.employee.ID, Name: "Office Person"}}
	update(t, s, func(tx store.Tx) error { return tx.AppendEvent(ctx(t), &r.event) })
	return r
}

func testTenantIsolation(t *testing.T, s store.Store) {
	a := populate(t, s, "Acme")
	b := populate(t, s, "Bolt")
	aid := a.tenant.ID
	c := ctx(t)

	t.Run("Getters", func(t *testing.T) {
		var err error
		_, err = s.Person(c, aid, b.employee.ID)
		wantNotFound(t, "Person(A, B's employee)", err)
		_, err = s.Person(c, aid, b.technician.ID)
		wantNotFound(t, "Person(A, B's technician)", err)
		_, err = s.Role(c, aid, b.role.ID)
		wantNotFound(t, "Role(A, B's role)", err)
		_, err = s.BusinessUnit(c, aid, b.unit.ID)
		wantNotFound(t, "BusinessUnit(A, B's unit)", err)
		_, err = s.TagType(c, aid, b.tagType.ID)
		wantNotFound(t, "TagType(A, B's tag type)", err)
		_, err = s.Team(c, aid, b.team.ID)
		wantNotFound(t, "Team(A, B's team)", err)
		_, err = s.Zone(c, aid, b.zone.ID)
		wantNotFound(t, "Zone(A, B's zone)", err)
		_, err = s.CustomFieldType(c, aid, b.field.ID)
		wantNotFound(t, "CustomFieldType(A, B's type)", err)
		_, err = s.App(c, aid, b.app.ID)
		wantNotFound(t, "App(A, B's app)", err)
		// Both tenants have a team named "Crew": each finds its own.
		tm, err := s.TeamByName(c, aid, "Crew")
		must(t, "TeamByName(A, Crew)", err)
		if tm.ID != a.team.ID {
			t.Errorf("TeamByName(A, Crew) = team %d, want A's team %d", tm.ID, a.team.ID)
		}
		bOnly := b.team
		bOnly.Name = "Bolt Only Crew"
		update(t, s, func(tx store.Tx) error { return tx.UpdateTeam(c, &bOnly) })
		_, err = s.TeamByName(c, aid, "Bolt Only Crew")
		wantNotFound(t, "TeamByName(A, a name only B has)", err)
		inUse, err := s.RoleInUse(c, aid, b.role.ID)
		if err == nil && inUse {
			t.Errorf("RoleInUse(A, B's role held by B's people) = true, want false or NotFound")
		} else if err != nil && !crewid.IsNotFound(err) {
			t.Errorf("RoleInUse(A, B's role): %s, want false or NotFound", describe(err))
		}
	})

	t.Run("Lists", func(t *testing.T) {
		all := store.ListQuery{Active: store.ActiveAny}
		people, err := s.People(c, aid, store.PersonQuery{ListQuery: all})
		must(t, "People", err)
		checkIDs(t, "People(A)", sortedIDs(a.employee.ID, a.technician.ID), pageIDs(people.Items, personID))
		for _, q := range []store.PersonQuery{
			{ListQuery: all, RoleID: b.role.ID},
			{ListQuery: all, BusinessUnitID: b.unit.ID},
			{ListQuery: all, TeamID: b.team.ID},
			{ListQuery: all, UserIDs: []int64{b.employee.UserID, b.technician.UserID}},
			{ListQuery: store.ListQuery{Active: store.ActiveAny, IDs: []int64{b.employee.ID, b.technician.ID}}},
		} {
			got, err := s.People(c, aid, q)
			must(t, "People", err)
			checkIDs(t, fmt.Sprintf("People(A, filter by B's records %+v)", q), nil, pageIDs(got.Items, personID))
		}
		roles, err := s.Roles(c, aid, store.RoleQuery{ListQuery: all})
		must(t, "Roles", err)
		checkIDs(t, "Roles(A)", []int64{a.role.ID}, pageIDs(roles.Items, func(r crewid.Role) int64 { return r.ID }))
		units, err := s.BusinessUnits(c, aid, all)
		must(t, "BusinessUnits", err)
		checkIDs(t, "BusinessUnits(A)", []int64{a.unit.ID}, pageIDs(units.Items, func(r crewid.BusinessUnit) int64 { return r.ID }))
		tags, err := s.TagTypes(c, aid, all)
		must(t, "TagTypes", err)
		checkIDs(t, "TagTypes(A)", []int64{a.tagType.ID}, pageIDs(tags.Items, func(r crewid.TagType) int64 { return r.ID }))
		teams, err := s.Teams(c, aid, all)
		must(t, "Teams", err)
		checkIDs(t, "Teams(A)", []int64{a.team.ID}, pageIDs(teams.Items, func(r crewid.Team) int64 { return r.ID }))
		zones, err := s.Zones(c, aid, all)
		must(t, "Zones", err)
		checkIDs(t, "Zones(A)", []int64{a.zone.ID}, pageIDs(zones.Items, func(r crewid.Zone) int64 { return r.ID }))
		fields, err := s.CustomFieldTypes(c, aid, all)
		must(t, "CustomFieldTypes", err)
		checkIDs(t, "CustomFieldTypes(A)", []int64{a.field.ID}, pageIDs(fields.Items, func(r crewid.CustomFieldType) int64 { return r.ID }))
		apps, err := s.Apps(c, aid, all)
		must(t, "Apps", err)
		checkIDs(t, "Apps(A)", []int64{a.app.ID}, pageIDs(apps.Items, func(r crewid.App) int64 { return r.ID }))
		events, err := s.Events(c, aid, store.EventQuery{})
		must(t, "Events", err)
		checkIDs(t, "Events(A)", []int64{a.event.ID}, pageIDs(events, func(e crewid.Event) int64 { return e.ID }))
		events, err = s.Events(c, aid, store.EventQuery{RecordType: "Person", RecordID: b.technician.ID})
		must(t, "Events", err)
		checkIDs(t, "Events(A, B's record)", nil, pageIDs(events, func(e crewid.Event) int64 { return e.ID }))

		for _, k := range []crewid.Kind{crewid.KindEmployee, crewid.KindTechnician} {
			batch, err := s.ExportPeople(c, aid, k, store.ExportQuery{})
			must(t, "ExportPeople", err)
			want := a.employee.ID
			if k == crewid.KindTechnician {
				want = a.technician.ID
			}
			checkIDs(t, "ExportPeople(A, "+string(k)+")", []int64{want}, pageIDs(batch.Items, personID))
		}
		ub, err := s.ExportBusinessUnits(c, aid, store.ExportQuery{})
		must(t, "ExportBusinessUnits", err)
		checkIDs(t, "ExportBusinessUnits(A)", []int64{a.unit.ID}, pageIDs(ub.Items, func(r crewid.BusinessUnit) int64 { return r.ID }))
		tb, err := s.ExportTagTypes(c, aid, store.ExportQuery{})
		must(t, "ExportTagTypes", err)
		checkIDs(t, "ExportTagTypes(A)", []int64{a.tagType.ID}, pageIDs(tb.Items, func(r crewid.TagType) int64 { return r.ID }))
	})

	t.Run("Writes", func(t *testing.T) {
		// Each write names a B record with A's tenant id; each must be
		// NotFound and leave B's record alone.
		attempts := []struct {
			what string
			fn   func(tx store.Tx) error
		}{
			{"UpdatePerson(employee)", func(tx store.Tx) error {
				p := b.employee
				p.TenantID, p.RoleIDs, p.BusinessUnitID, p.Name = aid, nil, 0, "Hijacked"
				return tx.UpdatePerson(c, &p)
			}},
			{"UpdatePerson(technician)", func(tx store.Tx) error {
				p := b.technician
				p.TenantID, p.RoleIDs, p.BusinessUnitID, p.TeamID, p.ZoneIDs, p.MainZoneID, p.ManagerID, p.CustomFields = aid, nil, 0, 0, nil, 0, 0, nil
				p.Name = "Hijacked"
				return tx.UpdatePerson(c, &p)
			}},
			{"UpdateRole", func(tx store.Tx) error {
				r := b.role
				r.TenantID, r.Name = aid, "Hijacked"
				return tx.UpdateRole(c, &r)
			}},
			{"DeleteRole", func(tx store.Tx) error { return tx.DeleteRole(c, aid, b.role.ID) }},
			{"UpdateBusinessUnit", func(tx store.Tx) error {
				u := b.unit
				u.TenantID, u.Name = aid, "Hijacked"
				return tx.UpdateBusinessUnit(c, &u)
			}},
			{"DeleteBusinessUnit", func(tx store.Tx) error { return tx.DeleteBusinessUnit(c, aid, b.unit.ID) }},
			{"UpdateTagType", func(tx store.Tx) error {
				r := b.tagType
				r.TenantID, r.Name = aid, "Hijacked"
				return tx.UpdateTagType(c, &r)
			}},
			{"UpdateTeam", func(tx store.Tx) error {
				r := b.team
				r.TenantID, r.Name = aid, "Hijacked"
				return tx.UpdateTeam(c, &r)
			}},
			{"DeleteTeam", func(tx store.Tx) error { return tx.DeleteTeam(c, aid, b.team.ID) }},
			{"UpdateZone", func(tx store.Tx) error {
				r := b.zone
				r.TenantID, r.Name, r.Technicians = aid, "Hijacked", nil
				return tx.UpdateZone(c, &r)
			}},
			{"DeleteZone", func(tx store.Tx) error { return tx.DeleteZone(c, aid, b.zone.ID) }},
			{"UpdateCustomFieldType", func(tx store.Tx) error {
				r := b.field
				r.TenantID, r.Name = aid, "Hijacked"
				return tx.UpdateCustomFieldType(c, &r)
			}},
			{"UpdateApp", func(tx store.Tx) error { r := b.app; r.TenantID, r.Name = aid, "Hijacked"; return tx.UpdateApp(c, &r) }},
		}
		for _, w := range attempts {
			err := s.Update(c, w.fn)
			wantNotFound(t, w.what+" of B's record with A's tenant id", err)
		}

		// B's records are untouched.
		for _, p := range []crewid.Person{b.employee, b.technician} {
			got := readPerson(t, s, b.tenant.ID, p.ID)
			if got.Name != p.Name || got.TenantID != b.tenant.ID || len(got.RoleIDs) != 1 || got.BusinessUnitID != b.unit.ID {
				t.Errorf("B's person %d changed by A's writes: %+v", p.ID, got)
			}
		}
		got, err := s.Zone(c, b.tenant.ID, b.zone.ID)
		must(t, "Zone(B)", err)
		if got.Name != b.zone.Name {
			t.Errorf("B's zone renamed to %q by A's write", got.Name)
		}
		checkIDs(t, "B's zone technicians after A's writes", []int64{b.technician.ID}, got.Technicians)
		for what, fn := range map[string]func() (string, error){
			"Role":            func() (string, error) { r, err := s.Role(c, b.tenant.ID, b.role.ID); return r.Name, err },
			"BusinessUnit":    func() (string, error) { r, err := s.BusinessUnit(c, b.tenant.ID, b.unit.ID); return r.Name, err },
			"TagType":         func() (string, error) { r, err := s.TagType(c, b.tenant.ID, b.tagType.ID); return r.Name, err },
			"Team":            func() (string, error) { r, err := s.Team(c, b.tenant.ID, b.team.ID); return r.Name, err },
			"CustomFieldType": func() (string, error) { r, err := s.CustomFieldType(c, b.tenant.ID, b.field.ID); return r.Name, err },
			"App":             func() (string, error) { r, err := s.App(c, b.tenant.ID, b.app.ID); return r.Name, err },
		} {
			name, err := fn()
			if err != nil {
				t.Errorf("%s of B after A's writes: %v", what, err)
			} else if name == "Hijacked" {
				t.Errorf("%s of B was renamed by a write with A's tenant id", what)
			}
		}
	})
}

// testCrossTenantReferences: a record of one tenant can never refer to a
// record of another.
func testCrossTenantReferences(t *testing.T, s store.Store) {
	a := populate(t, s, "Acme")
	b := populate(t, s, "Bolt")
	aid := a.tenant.ID
	c := ctx(t)
	before, err := s.People(c, aid, store.PersonQuery{ListQuery: store.ListQuery{Active: store.ActiveAny, IncludeTotal: true}})
	must(t, "People", err)

	refs := []struct {
		what string
		set  func(p *crewid.Person)
	}{
		{"B's role", func(p *crewid.Person) { p.RoleIDs = []int64{a.role.ID, b.role.ID} }},
		{"B's business unit", func(p *crewid.Person) { p.BusinessUnitID = b.unit.ID }},
		{"B's team", func(p *crewid.Person) { p.TeamID = b.team.ID }},
		{"B's zone", func(p *crewid.Person) { p.ZoneIDs = []int64{b.zone.ID} }},
		{"B's zone as main zone", func(p *crewid.Person) { p.MainZoneID = b.zone.ID }},
		{"B's person as manager", func(p *crewid.Person) { p.ManagerID = b.employee.ID }},
		{"B's custom field type", func(p *crewid.Person) {
			p.CustomFields = []crewid.CustomFieldValue{{TypeID: b.field.ID, Value: "L"}}
		}},
	}
	for _, ref := range refs {
		p := technician(aid, "Crossing Tech")
		ref.set(&p)
		err := s.Update(c, func(tx store.Tx) error { return tx.CreatePerson(c, &p) })
		wantRefused(t, "CreatePerson in A referring to "+ref.what, err)

		u := readPerson(t, s, aid, a.technician.ID)
		ref.set(&u)
		err = s.Update(c, func(tx store.Tx) error { return tx.UpdatePerson(c, &u) })
		wantRefused(t, "UpdatePerson in A referring to "+ref.what, err)
	}

	z := crewid.Zone{TenantID: aid, Name: "Crossing Zone", Active: true, Technicians: []int64{b.technician.ID}, CreatedOn: at(0), ModifiedOn: at(0)}
	err = s.Update(c, func(tx store.Tx) error { return tx.CreateZone(c, &z) })
	wantRefused(t, "CreateZone in A with B's technician", err)
	za := a.zone
	za.Technicians = []int64{a.technician.ID, b.technician.ID}
	err = s.Update(c, func(tx store.Tx) error { return tx.UpdateZone(c, &za) })
	wantRefused(t, "UpdateZone in A with B's technician", err)

	// Nothing of the refused writes is left behind.
	after, err := s.People(c, aid, store.PersonQuery{ListQuery: store.ListQuery{Active: store.ActiveAny, IncludeTotal: true}})
	must(t, "People", err)
	if after.Total != before.Total {
		t.Errorf("A has %d people after refused creates, want %d", after.Total, before.Total)
	}
	got := readPerson(t, s, aid, a.technician.ID)
	want := a.technician
	want.TeamName = a.team.Name
	want.CustomFields = []crewid.CustomFieldValue{{TypeID: a.field.ID, Name: a.field.Name, Value: "M"}}
	want.CreatedOn, want.ModifiedOn = want.CreatedOn.UTC(), want.ModifiedOn.UTC()
	check(t, "A's technician after refused updates", want, got)
	zb, err := s.Zone(c, b.tenant.ID, b.zone.ID)
	must(t, "Zone(B)", err)
	checkIDs(t, "B's zone technicians", []int64{b.technician.ID}, zb.Technicians)
	bt := readPerson(t, s, b.tenant.ID, b.technician.ID)
	checkIDs(t, "B's technician zones", []int64{b.zone.ID}, bt.ZoneIDs)
}
