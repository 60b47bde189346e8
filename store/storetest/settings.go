package storetest

import (
	"testing"
	"time"

	"crewid"
	"crewid/store"
)

func testRoles(t *testing.T, s store.Store) {
	c := ctx(t)
	tn := newTenant(t, s, "Acme")
	tid := tn.ID

	t.Run("RoundTrip", func(t *testing.T) {
		r := crewid.Role{TenantID: tid, Name: "Dispatcher", EmployeeType: crewid.EmployeeTypeEmployee, Active: true,
			BuiltIn: "dispatcher", Permissions: []int64{30, 10, 20}, CreatedOn: fine(time.Hour), ModifiedOn: fine(2 * time.Hour)}
		update(t, s, func(tx store.Tx) error { return tx.CreateRole(c, &r) })
		want := r
		want.CreatedOn, want.ModifiedOn = r.CreatedOn.UTC(), r.ModifiedOn.UTC()
		got, err := s.Role(c, tid, r.ID)
		must(t, "Role", err)
		check(t, "Role after CreateRole", want, got)

		got.Name, got.EmployeeType, got.Active, got.Permissions = "Dispatch Lead", crewid.EmployeeTypeAll, false, []int64{40}
		got.ModifiedOn = fine(3 * time.Hour).UTC()
		update(t, s, func(tx store.Tx) error { return tx.UpdateRole(c, &got) })
		again, err := s.Role(c, tid, r.ID)
		must(t, "Role", err)
		check(t, "Role after UpdateRole", got, again)

		got.Permissions = nil
		update(t, s, func(tx store.Tx) error { return tx.UpdateRole(c, &got) })
		again, err = s.Role(c, tid, r.ID)
		must(t, "Role", err)
		check(t, "Role with no permissions", got, again)

		_, err = s.Role(c, tid, missingID)
		wantNotFound(t, "Role(unknown)", err)
		ghost := got
		ghost.ID = missingID
		wantNotFound(t, "UpdateRole(unknown)", s.Update(c, func(tx store.Tx) error { return tx.UpdateRole(c, &ghost) }))
	})

	t.Run("UniqueName", func(t *testing.T) {
		createRole(t, s, tid, "Estimator", crewid.EmployeeTypeEmployee)
		r := crewid.Role{TenantID: tid, Name: "ESTIMATOR", EmployeeType: crewid.EmployeeTypeTechnician, Active: true, CreatedOn: at(0), ModifiedOn: at(0)}
		wantConflict(t, "second role named Estimator (case differs)", s.Update(c, func(tx store.Tx) error { return tx.CreateRole(c, &r) }), "name")
		other := newTenant(t, s, "Bolt")
		createRole(t, s, other.ID, "Estimator", crewid.EmployeeTypeEmployee)
	})

	t.Run("EmployeeTypeFilter", func(t *testing.T) {
		tn := newTenant(t, s, "Filter")
		office := createRole(t, s, tn.ID, "Office", crewid.EmployeeTypeEmployee)
		field := createRole(t, s, tn.ID, "Field", crewid.EmployeeTypeTechnician)
		all := createRole(t, s, tn.ID, "Everyone", crewid.EmployeeTypeAll)
		for _, tc := range []struct {
			et   crewid.EmployeeType
			want []int64
		}{
			{crewid.EmployeeTypeEmployee, []int64{office.ID, all.ID}},
			{crewid.EmployeeTypeTechnician, []int64{field.ID, all.ID}},
			{"", []int64{office.ID, field.ID, all.ID}},
		} {
			page, err := s.Roles(c, tn.ID, store.RoleQuery{EmployeeType: tc.et, ListQuery: store.ListQuery{IncludeTotal: true}})
			must(t, "Roles", err)
			checkIDs(t, "Roles(EmployeeType "+string(tc.et)+")", tc.want, pageIDs(page.Items, func(r crewid.Role) int64 { return r.ID }))
			if page.Total != len(tc.want) {
				t.Errorf("Roles(EmployeeType %q): Total %d, want %d", tc.et, page.Total, len(tc.want))
			}
		}
	})

	t.Run("InUseAndDelete", func(t *testing.T) {
		held := createRole(t, s, tid, "Held", crewid.EmployeeTypeAll)
		free := createRole(t, s, tid, "Free", crewid.EmployeeTypeAll)
		p := employee(tid, "Holder")
		p.RoleIDs = []int64{held.ID}
		p = createPerson(t, s, p)
		for _, tc := range []struct {
			role crewid.Role
			want bool
		}{{held, true}, {free, false}} {
			got, err := s.RoleInUse(c, tid, tc.role.ID)
			must(t, "RoleInUse", err)
			if got != tc.want {
				t.Errorf("RoleInUse(%s) = %v, want %v", tc.role.Name, got, tc.want)
			}
		}
		wantConflict(t, "DeleteRole of a role in use", s.Update(c, func(tx store.Tx) error { return tx.DeleteRole(c, tid, held.ID) }), "")
		if _, err := s.Role(c, tid, held.ID); err != nil {
			t.Errorf("Role after a refused delete: %v", err)
		}
		checkIDs(t, "holder's roles after a refused delete", []int64{held.ID}, readPerson(t, s, tid, p.ID).RoleIDs)

		p.RoleIDs = []int64{free.ID}
		update(t, s, func(tx store.Tx) error { return tx.UpdatePerson(c, &p) })
		inUse, err := s.RoleInUse(c, tid, held.ID)
		must(t, "RoleInUse", err)
		if inUse {
			t.Errorf("RoleInUse after the holder dropped it = true, want false")
		}
		update(t, s, func(tx store.Tx) error { return tx.DeleteRole(c, tid, held.ID) })
		_, err = s.Role(c, tid, held.ID)
		wantNotFound(t, "Role after DeleteRole", err)
		wantNotFound(t, "DeleteRole twice", s.Update(c, func(tx store.Tx) error { return tx.DeleteRole(c, tid, held.ID) }))
	})
}

func testBusinessUnits(t *testing.T, s store.Store) {
	c := ctx(t)
	tn := newTenant(t, s, "Acme")
	tid := tn.ID
	b := crewid.BusinessUnit{
		TenantID: tid, Name: "HVAC Residential", Active: true, OfficialName: "Acme HVAC Residential LLC",
		Email: "hvac@acme.example", Currency: "USD", PhoneNumber: "+15553334444",
		InvoiceHeader: "Acme HVAC", InvoiceMessage: "Thank you for your business!", DefaultTaxRate: ptr(0.0825),
		AuthorizationParagraph: "I authorize the work.", AcknowledgementParagraph: "I acknowledge completion.",
		Address: &crewid.Address{Street: "500 Main St", Unit: "Suite 2", City: "Austin", State: "TX", Zip: "78701", Country: "US",
			Latitude: ptr(30.2672), Longitude: ptr(-97.7431)},
		MaterialSku: "MAT-1", QuickbooksClass: "HVAC:Res", AccountCode: "4000", FranchiseID: "F-12", ConceptCode: "CC",
		CorporateContractNumber: "CCN-9",
		ExternalData: []crewid.ExternalData{
			{ApplicationGUID: "6f1c1c8e-0000-4000-8000-000000000001", Key: "erpId", Value: "E-100"},
			{ApplicationGUID: "6f1c1c8e-0000-4000-8000-000000000001", Key: "region", Value: "South"},
		},
		CreatedOn: fine(time.Hour), ModifiedOn: fine(time.Hour),
	}
	update(t, s, func(tx store.Tx) error { return tx.CreateBusinessUnit(c, &b) })
	got, err := s.BusinessUnit(c, tid, b.ID)
	must(t, "BusinessUnit", err)
	if got.Seq == 0 {
		t.Errorf("BusinessUnit.Seq is 0 after create, want a change number")
	}
	want := b
	want.CreatedOn, want.ModifiedOn, want.Seq = b.CreatedOn.UTC(), b.ModifiedOn.UTC(), got.Seq
	check(t, "BusinessUnit after create", want, got)

	u := got
	u.Name, u.Active, u.DefaultTaxRate, u.Address = "HVAC Commercial", false, nil, &crewid.Address{City: "Dallas", Longitude: ptr(-96.8)}
	u.ExternalData = []crewid.ExternalData{{ApplicationGUID: "6f1c1c8e-0000-4000-8000-000000000002", Key: "k", Value: "v"}}
	u.Email, u.MaterialSku = "", ""
	u.ModifiedOn = fine(2 * time.Hour).UTC()
	update(t, s, func(tx store.Tx) error { return tx.UpdateBusinessUnit(c, &u) })
	got, err = s.BusinessUnit(c, tid, b.ID)
	must(t, "BusinessUnit", err)
	if got.Seq <= want.Seq {
		t.Errorf("BusinessUnit.Seq after update %d, want above %d", got.Seq, want.Seq)
	}
	u.Seq = got.Seq
	check(t, "BusinessUnit after update", u, got)

	u.Address, u.ExternalData = nil, nil
	update(t, s, func(tx store.Tx) error { return tx.UpdateBusinessUnit(c, &u) })
	got, err = s.BusinessUnit(c, tid, b.ID)
	must(t, "BusinessUnit", err)
	u.Seq = got.Seq
	check(t, "BusinessUnit without address", u, got)
	if got.Address != nil {
		t.Errorf("BusinessUnit.Address = %+v after clearing it, want nil", *got.Address)
	}

	// Delete: refused while a person is in the unit.
	p := employee(tid, "Unit Member")
	p.BusinessUnitID = b.ID
	p = createPerson(t, s, p)
	wantConflict(t, "DeleteBusinessUnit in use", s.Update(c, func(tx store.Tx) error { return tx.DeleteBusinessUnit(c, tid, b.ID) }), "")
	if _, err := s.BusinessUnit(c, tid, b.ID); err != nil {
		t.Errorf("BusinessUnit after a refused delete: %v", err)
	}
	p.BusinessUnitID = 0
	update(t, s, func(tx store.Tx) error { return tx.UpdatePerson(c, &p) })
	update(t, s, func(tx store.Tx) error { return tx.DeleteBusinessUnit(c, tid, b.ID) })
	_, err = s.BusinessUnit(c, tid, b.ID)
	wantNotFound(t, "BusinessUnit after delete", err)
	wantNotFound(t, "DeleteBusinessUnit twice", s.Update(c, func(tx store.Tx) error { return tx.DeleteBusinessUnit(c, tid, b.ID) }))
	wantNotFound(t, "UpdateBusinessUnit of a deleted unit", s.Update(c, func(tx store.Tx) error { return tx.UpdateBusinessUnit(c, &u) }))
}

func testTagTypes(t *testing.T, s store.Store) {
	c := ctx(t)
	tn := newTenant(t, s, "Acme")
	tid := tn.ID
	x := crewid.TagType{TenantID: tid, Name: "Warranty", Color: "#ff8800", Code: "WRN", Importance: "High",
		IsConversionOpportunity: true, AllowToUseOnTimesheetActivity: true, Active: true,
		CreatedOn: fine(time.Hour), ModifiedOn: fine(time.Hour)}
	update(t, s, func(tx store.Tx) error { return tx.CreateTagType(c, &x) })
	got, err := s.TagType(c, tid, x.ID)
	must(t, "TagType", err)
	if got.Seq == 0 {
		t.Errorf("TagType.Seq is 0 after create")
	}
	want := x
	want.CreatedOn, want.ModifiedOn, want.Seq = x.CreatedOn.UTC(), x.ModifiedOn.UTC(), got.Seq
	check(t, "TagType after create", want, got)

	u := got
	u.Name, u.Color, u.Code, u.Importance = "Warranty Work", "#000000", "WW", "Medium"
	u.IsConversionOpportunity, u.AllowToUseOnTimesheetActivity, u.Active = false, false, false
	u.ModifiedOn = fine(2 * time.Hour).UTC()
	update(t, s, func(tx store.Tx) error { return tx.UpdateTagType(c, &u) })
	got, err = s.TagType(c, tid, x.ID)
	must(t, "TagType", err)
	if got.Seq <= want.Seq {
		t.Errorf("TagType.Seq after update %d, want above %d", got.Seq, want.Seq)
	}
	u.Seq = got.Seq
	check(t, "TagType after update", u, got)

	dup := crewid.TagType{TenantID: tid, Name: "WARRANTY WORK", Color: "#111111", Code: "X", Active: true, CreatedOn: at(0), ModifiedOn: at(0)}
	wantConflict(t, "second tag type with the same name (case differs)", s.Update(c, func(tx store.Tx) error { return tx.CreateTagType(c, &dup) }), "name")
	_, err = s.TagType(c, tid, missingID)
	wantNotFound(t, "TagType(unknown)", err)
	ghost := u
	ghost.ID = missingID
	wantNotFound(t, "UpdateTagType(unknown)", s.Update(c, func(tx store.Tx) error { return tx.UpdateTagType(c, &ghost) }))
}

func testTeams(t *testing.T, s store.Store) {
	c := ctx(t)
	tn := newTenant(t, s, "Acme")
	tid := tn.ID
	tm := crewid.Team{TenantID: tid, Name: "North Crew", Active: true, CreatedBy: 42, CreatedOn: fine(time.Hour), ModifiedOn: fine(time.Hour)}
	update(t, s, func(tx store.Tx) error { return tx.CreateTeam(c, &tm) })
	want := tm
	want.CreatedOn, want.ModifiedOn = tm.CreatedOn.UTC(), tm.ModifiedOn.UTC()
	got, err := s.Team(c, tid, tm.ID)
	must(t, "Team", err)
	check(t, "Team after create", want, got)

	for _, name := range []string{"North Crew", "north crew", "NORTH CREW"} {
		got, err := s.TeamByName(c, tid, name)
		if err != nil {
			t.Errorf("TeamByName(%q): %v", name, err)
			continue
		}
		check(t, "TeamByName("+name+")", want, got)
	}
	_, err = s.TeamByName(c, tid, "North")
	wantNotFound(t, "TeamByName(a prefix)", err)

	dup := crewid.Team{TenantID: tid, Name: "NORTH crew", Active: true, CreatedOn: at(0), ModifiedOn: at(0)}
	wantConflict(t, "second team with the same name", s.Update(c, func(tx store.Tx) error { return tx.CreateTeam(c, &dup) }), "name")

	u := got
	u.Name, u.Active, u.ModifiedOn = "Northwest Crew", false, fine(2*time.Hour).UTC()
	update(t, s, func(tx store.Tx) error { return tx.UpdateTeam(c, &u) })
	got, err = s.Team(c, tid, tm.ID)
	must(t, "Team", err)
	check(t, "Team after update", u, got)
	_, err = s.TeamByName(c, tid, "North Crew")
	wantNotFound(t, "TeamByName(old name)", err)

	p := technician(tid, "Crew Member")
	p.TeamID = tm.ID
	p = createPerson(t, s, p)
	if got := readPerson(t, s, tid, p.ID); got.TeamName != u.Name {
		t.Errorf("technician's TeamName %q, want %q", got.TeamName, u.Name)
	}
	wantConflict(t, "DeleteTeam in use", s.Update(c, func(tx store.Tx) error { return tx.DeleteTeam(c, tid, tm.ID) }), "")
	p.TeamID = 0
	update(t, s, func(tx store.Tx) error { return tx.UpdatePerson(c, &p) })
	update(t, s, func(tx store.Tx) error { return tx.DeleteTeam(c, tid, tm.ID) })
	_, err = s.Team(c, tid, tm.ID)
	wantNotFound(t, "Team after delete", err)
	wantNotFound(t, "DeleteTeam twice", s.Update(c, func(tx store.Tx) error { return tx.DeleteTeam(c, tid, tm.ID) }))
	wantNotFound(t, "UpdateTeam of a deleted team", s.Update(c, func(tx store.Tx) error { return tx.UpdateTeam(c, &u) }))
}

func testZones(t *testing.T, s store.Store) {
	c := ctx(t)
	tn := newTenant(t, s, "Acme")
	tid := tn.ID
	bu := createBusinessUnit(t, s, tid, "HVAC")
	t1 := createPerson(t, s, technician(tid, "Tech One"))
	t2 := createPerson(t, s, technician(tid, "Tech Two"))
	t3 := createPerson(t, s, technician(tid, "Tech Three"))
	other := createZone(t, s, tid, "Other Zone", t2.ID)

	z := crewid.Zone{
		TenantID: tid, Name: "Downtown", Active: true,
		Zips: []string{"78701", "78702"}, Cities: []string{"Austin"}, TerritoryNumbers: []string{"T-1", "T-2"},
		LocnNumbers: []string{"L-9"}, ServiceDaysEnabled: true, ServiceDays: []string{"Monday", "Wednesday", "Friday"},
		BusinessUnits: []int64{bu.ID}, Technicians: []int64{t1.ID, t2.ID}, CreatedBy: 5,
		CreatedOn: fine(time.Hour), ModifiedOn: fine(time.Hour),
	}
	update(t, s, func(tx store.Tx) error { return tx.CreateZone(c, &z) })
	want := z
	want.CreatedOn, want.ModifiedOn = z.CreatedOn.UTC(), z.ModifiedOn.UTC()
	got, err := s.Zone(c, tid, z.ID)
	must(t, "Zone", err)
	check(t, "Zone after create", want, got)
	checkIDs(t, "Tech One's zones (set from the zone)", []int64{z.ID}, readPerson(t, s, tid, t1.ID).ZoneIDs)
	checkIDs(t, "Tech Two's zones", sortedIDs(other.ID, z.ID), sortedIDs(readPerson(t, s, tid, t2.ID).ZoneIDs...))

	// Membership replaced from the zone side.
	u := got
	u.Name, u.Zips, u.ServiceDaysEnabled, u.ServiceDays, u.BusinessUnits = "Downtown East", []string{"78703"}, false, nil, nil
	u.Technicians = []int64{t2.ID, t3.ID}
	u.ModifiedOn = fine(2 * time.Hour).UTC()
	update(t, s, func(tx store.Tx) error { return tx.UpdateZone(c, &u) })
	got, err = s.Zone(c, tid, z.ID)
	must(t, "Zone", err)
	check(t, "Zone after update", u, got)
	checkIDs(t, "Tech One's zones after leaving", nil, readPerson(t, s, tid, t1.ID).ZoneIDs)
	checkIDs(t, "Tech Two's zones after the update (its other zone kept)", sortedIDs(other.ID, z.ID), sortedIDs(readPerson(t, s, tid, t2.ID).ZoneIDs...))
	checkIDs(t, "Tech Three's zones after joining", []int64{z.ID}, readPerson(t, s, tid, t3.ID).ZoneIDs)
	og, err := s.Zone(c, tid, other.ID)
	must(t, "Zone", err)
	checkIDs(t, "other zone's technicians", []int64{t2.ID}, og.Technicians)

	// Membership from the technician side shows on the zone.
	t4 := technician(tid, "Tech Four")
	t4.ZoneIDs = []int64{z.ID}
	t4 = createPerson(t, s, t4)
	got, err = s.Zone(c, tid, z.ID)
	must(t, "Zone", err)
	checkIDs(t, "zone technicians after a technician joined", sortedIDs(t2.ID, t3.ID, t4.ID), sortedIDs(got.Technicians...))

	dup := crewid.Zone{TenantID: tid, Name: "DOWNTOWN EAST", Active: true, CreatedOn: at(0), ModifiedOn: at(0)}
	wantConflict(t, "second zone with the same name", s.Update(c, func(tx store.Tx) error { return tx.CreateZone(c, &dup) }), "name")

	// Delete: refused while technicians are in the zone or have it as main zone.
	wantConflict(t, "DeleteZone with technicians", s.Update(c, func(tx store.Tx) error { return tx.DeleteZone(c, tid, z.ID) }), "")
	got, err = s.Zone(c, tid, z.ID)
	must(t, "Zone after a refused delete", err)
	checkIDs(t, "zone technicians after a refused delete", sortedIDs(t2.ID, t3.ID, t4.ID), sortedIDs(got.Technicians...))
	main := createZone(t, s, tid, "Main Only")
	t1 = readPerson(t, s, tid, t1.ID)
	t1.MainZoneID = main.ID
	update(t, s, func(tx store.Tx) error { return tx.UpdatePerson(c, &t1) })
	wantConflict(t, "DeleteZone that is a main zone", s.Update(c, func(tx store.Tx) error { return tx.DeleteZone(c, tid, main.ID) }), "")

	empty := createZone(t, s, tid, "Empty")
	update(t, s, func(tx store.Tx) error { return tx.DeleteZone(c, tid, empty.ID) })
	_, err = s.Zone(c, tid, empty.ID)
	wantNotFound(t, "Zone after delete", err)
	wantNotFound(t, "DeleteZone twice", s.Update(c, func(tx store.Tx) error { return tx.DeleteZone(c, tid, empty.ID) }))
	wantNotFound(t, "UpdateZone of a deleted zone", s.Update(c, func(tx store.Tx) error { return tx.UpdateZone(c, &empty) }))
	// Emptying a zone from its side makes it deletable.
	u.Technicians = nil
	update(t, s, func(tx store.Tx) error { return tx.UpdateZone(c, &u) })
	update(t, s, func(tx store.Tx) error { return tx.DeleteZone(c, tid, z.ID) })
	checkIDs(t, "Tech Two's zones after the zone was deleted", []int64{other.ID}, readPerson(t, s, tid, t2.ID).ZoneIDs)
}

func testCustomFieldTypes(t *testing.T, s store.Store) {
	c := ctx(t)
	tn := newTenant(t, s, "Acme")
	tid := tn.ID
	x := crewid.CustomFieldType{TenantID: tid, AppliesTo: crewid.KindTechnician, Name: "Certification Date", DataType: "Date",
		Active: true, CreatedOn: fine(time.Hour), ModifiedOn: fine(time.Hour)}
	update(t, s, func(tx store.Tx) error { return tx.CreateCustomFieldType(c, &x) })
	want := x
	want.CreatedOn, want.ModifiedOn = x.CreatedOn.UTC(), x.ModifiedOn.UTC()
	got, err := s.CustomFieldType(c, tid, x.ID)
	must(t, "CustomFieldType", err)
	check(t, "CustomFieldType after create", want, got)

	u := got
	u.Name, u.DataType, u.Active, u.ModifiedOn = "Certified On", "Text", false, fine(2*time.Hour).UTC()
	update(t, s, func(tx store.Tx) error { return tx.UpdateCustomFieldType(c, &u) })
	got, err = s.CustomFieldType(c, tid, x.ID)
	must(t, "CustomFieldType", err)
	check(t, "CustomFieldType after update", u, got)

	dup := crewid.CustomFieldType{TenantID: tid, AppliesTo: crewid.KindTechnician, Name: "CERTIFIED ON", DataType: "Text", Active: true, CreatedOn: at(0), ModifiedOn: at(0)}
	wantConflict(t, "second technician field with the same name", s.Update(c, func(tx store.Tx) error { return tx.CreateCustomFieldType(c, &dup) }), "name")
	dup.AppliesTo = crewid.KindEmployee
	if err := s.Update(c, func(tx store.Tx) error { return tx.CreateCustomFieldType(c, &dup) }); err != nil {
		t.Errorf("an employee field named like a technician field: %v, want success", err)
	}
	_, err = s.CustomFieldType(c, tid, missingID)
	wantNotFound(t, "CustomFieldType(unknown)", err)
	ghost := u
	ghost.ID = missingID
	wantNotFound(t, "UpdateCustomFieldType(unknown)", s.Update(c, func(tx store.Tx) error { return tx.UpdateCustomFieldType(c, &ghost) }))
}
