package storetest

import (
	"testing"
	"time"

	"crewid"
	"crewid/store"
)

func testTenants(t *testing.T, s store.Store) {
	a := crewid.Tenant{Name: "Acme Heating & Air", CreatedOn: fine(0), ModifiedOn: fine(time.Hour)}
	b := crewid.Tenant{Name: "Bolt Electric", CreatedOn: fine(time.Minute), ModifiedOn: fine(time.Minute)}
	update(t, s, func(tx store.Tx) error {
		if err := tx.CreateTenant(ctx(t), &a); err != nil {
			return err
		}
		// A transaction reads its own writes.
		got, err := tx.Tenant(ctx(t), a.ID)
		if err != nil {
			t.Errorf("Tenant(%d) inside the creating transaction: %v", a.ID, err)
		} else if got.Name != a.Name {
			t.Errorf("Tenant(%d) inside the creating transaction: name %q, want %q", a.ID, got.Name, a.Name)
		}
		return tx.CreateTenant(ctx(t), &b)
	})
	if a.ID == 0 || b.ID == 0 || a.ID == b.ID {
		t.Fatalf("CreateTenant ids: %d and %d, want two distinct non-zero ids", a.ID, b.ID)
	}
	wantA := crewid.Tenant{ID: a.ID, Name: a.Name, CreatedOn: a.CreatedOn.UTC(), ModifiedOn: a.ModifiedOn.UTC()}
	wantB := crewid.Tenant{ID: b.ID, Name: b.Name, CreatedOn: b.CreatedOn.UTC(), ModifiedOn: b.ModifiedOn.UTC()}

	got, err := s.Tenant(ctx(t), a.ID)
	must(t, "Tenant", err)
	check(t, "Tenant", wantA, got)

	all, err := s.Tenants(ctx(t))
	must(t, "Tenants", err)
	// The store may hold other tenants: look at these two, and at the order.
	want := []crewid.Tenant{wantA, wantB}
	if a.ID > b.ID {
		want = []crewid.Tenant{wantB, wantA}
	}
	var ours []crewid.Tenant
	for i, tn := range all {
		if i > 0 && tn.ID <= all[i-1].ID {
			t.Errorf("Tenants not in id order: %d after %d", tn.ID, all[i-1].ID)
		}
		if tn.ID == a.ID || tn.ID == b.ID {
			ours = append(ours, tn)
		}
	}
	check(t, "Tenants (the two created, by id)", want, ours)

	_, err = s.Tenant(ctx(t), missingID)
	wantNotFound(t, "Tenant(unknown id)", err)
}

// personWorld is the records a fully populated person refers to.
type personWorld struct {
	tenant  crewid.Tenant
	roles   [3]crewid.Role
	units   [2]crewid.BusinessUnit
	teams   [2]crewid.Team
	zones   [3]crewid.Zone
	fields  map[crewid.Kind][2]crewid.CustomFieldType
	manager crewid.Person
}

func newPersonWorld(t *testing.T, s store.Store) personWorld {
	t.Helper()
	var w personWorld
	w.tenant = newTenant(t, s, "Acme")
	tid := w.tenant.ID
	w.roles[0] = createRole(t, s, tid, "Field Lead", crewid.EmployeeTypeTechnician)
	w.roles[1] = createRole(t, s, tid, "Everyone", crewid.EmployeeTypeAll)
	w.roles[2] = createRole(t, s, tid, "Office", crewid.EmployeeTypeEmployee)
	w.units[0] = createBusinessUnit(t, s, tid, "HVAC Residential")
	w.units[1] = createBusinessUnit(t, s, tid, "Plumbing")
	w.teams[0] = createTeam(t, s, tid, "North Crew")
	w.teams[1] = createTeam(t, s, tid, "South Crew")
	w.zones[0] = createZone(t, s, tid, "Downtown")
	w.zones[1] = createZone(t, s, tid, "Uptown")
	w.zones[2] = createZone(t, s, tid, "Suburbs")
	w.fields = map[crewid.Kind][2]crewid.CustomFieldType{}
	for _, k := range []crewid.Kind{crewid.KindEmployee, crewid.KindTechnician} {
		w.fields[k] = [2]crewid.CustomFieldType{
			createCustomFieldType(t, s, tid, k, "Shirt Size"),
			createCustomFieldType(t, s, tid, k, "Hire Source"),
		}
	}
	w.manager = createPerson(t, s, employee(tid, "Maria Manager"))
	return w
}

// fullPerson is a person of kind k with every field set.
func (w personWorld) fullPerson(k crewid.Kind) crewid.Person {
	fields := w.fields[k]
	p := crewid.Person{
		TenantID:       w.tenant.ID,
		Kind:           k,
		Name:           "Ana Torres",
		Email:          "ana.torres@example.com",
		MobilePhone:    "+15551230001",
		Active:         true,
		BusinessUnitID: w.units[0].ID,
		RoleIDs:        []int64{w.roles[0].ID, w.roles[1].ID},
		Overrides: []crewid.PermissionOverride{
			{PermissionID: 101, Granted: true},
			{PermissionID: 102, Granted: false},
		},
		Positions:    []string{"Lead", "Installer"},
		Skills:       []string{"HVAC", "Refrigeration", "Ductwork"},
		External:     true,
		ManagerID:    w.manager.ID,
		AADUserID:    "aad-0001",
		CustomFields: []crewid.CustomFieldValue{{TypeID: fields[0].ID, Value: "XL"}, {TypeID: fields[1].ID, Value: "Referral"}},
		Account: crewid.Account{
			State:             crewid.AccountAdminAssigned,
			Login:             "Ana.Torres",
			PasswordHash:      "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
			PasswordSetOn:     fine(2 * time.Hour),
			TemporaryUntil:    fine(3 * time.Hour),
			MustChange:        crewid.ChangeLoginAndPassword,
			LastSignInOn:      fine(4 * time.Hour),
			FailedSignIns:     3,
			LockedUntil:       fine(5 * time.Hour),
			SessionsNotBefore: fine(6 * time.Hour),
		},
		CreatedOn:  fine(time.Hour),
		ModifiedOn: fine(time.Hour + time.Minute),
	}
	if k == crewid.KindEmployee {
		p.OfficePhone = "+15551239999"
		return p
	}
	p.LicenseType = crewid.LicenseManagedTech
	p.MobileAccessEnabled = true
	p.TeamID = w.teams[0].ID
	p.ZoneIDs = []int64{w.zones[0].ID, w.zones[1].ID}
	p.MainZoneID = w.zones[0].ID
	p.TruckID = 77
	p.Warehouse = "North Warehouse"
	p.Home = &crewid.Address{
		Street: "12 Elm Street", Unit: "Apt 4", City: "Springfield", State: "IL", Zip: "62704", Country: "US",
		Latitude: ptr(39.7817), Longitude: ptr(-89.6501),
	}
	p.Bio = "Ten years in residential HVAC."
	p.Memo = "Prefers morning jobs."
	p.DailyGoal = 1250.5
	p.BurdenRate = 31.75
	p.JobFilter = "MyJobs"
	p.JobHistoryDateFilter = "Last30Days"
	return p
}

// expected is what reading p back must give: UTC times, names filled from
// the team and custom field types.
func (w personWorld) expected(p crewid.Person) crewid.Person {
	e := p
	e.CustomFields = nil
	for _, cf := range p.CustomFields {
		for _, ft := range w.fields[p.Kind] {
			if ft.ID == cf.TypeID {
				cf.Name = ft.Name
			}
		}
		e.CustomFields = append(e.CustomFields, cf)
	}
	e.TeamName = ""
	for _, tm := range w.teams {
		if tm.ID == p.TeamID && p.TeamID != 0 {
			e.TeamName = tm.Name
		}
	}
	for _, tp := range []*time.Time{&e.CreatedOn, &e.ModifiedOn, &e.Account.PasswordSetOn, &e.Account.TemporaryUntil,
		&e.Account.LastSignInOn, &e.Account.LockedUntil, &e.Account.SessionsNotBefore} {
		if !tp.IsZero() {
			*tp = tp.UTC()
		}
	}
	return e
}

func testPersonRoundTrip(t *testing.T, s store.Store) {
	w := newPersonWorld(t, s)
	for _, k := range []crewid.Kind{crewid.KindEmployee, crewid.KindTechnician} {
		t.Run(string(k), func(t *testing.T) {
			p := w.fullPerson(k)
			if k == crewid.KindTechnician {
				p.Account.Login = "ana.tech" // logins are unique across kinds too
			}
			var inTx crewid.Person
			update(t, s, func(tx store.Tx) error {
				if err := tx.CreatePerson(ctx(t), &p); err != nil {
					return err
				}
				var err error
				inTx, err = tx.Person(ctx(t), p.TenantID, p.ID)
				return err
			})
			if p.ID == 0 || p.Seq == 0 {
				t.Fatalf("CreatePerson set ID %d, Seq %d; want both non-zero", p.ID, p.Seq)
			}
			if p.UserID != p.ID {
				t.Errorf("CreatePerson set UserID %d, want it equal to ID %d", p.UserID, p.ID)
			}
			if p.Seq <= w.manager.Seq {
				t.Errorf("CreatePerson Seq %d not above the earlier person's Seq %d", p.Seq, w.manager.Seq)
			}
			check(t, "Person inside the creating transaction", w.expected(p), inTx)
			got := readPerson(t, s, p.TenantID, p.ID)
			check(t, "Person after CreatePerson", w.expected(p), got)

			// Change every field.
			u := got
			u.Name = "Ana Torres-Smith"
			u.Email = "ana.smith@example.com"
			u.MobilePhone = "+15551230002"
			u.Active = false
			u.BusinessUnitID = w.units[1].ID
			u.RoleIDs = []int64{w.roles[1].ID, w.roles[2].ID}
			u.Overrides = []crewid.PermissionOverride{{PermissionID: 103, Granted: true}}
			u.Positions = []string{"Senior Installer"}
			u.Skills = nil
			u.External = false
			u.ManagerID = 0
			u.AADUserID = ""
			u.CustomFields = []crewid.CustomFieldValue{{TypeID: w.fields[k][1].ID, Value: "Job fair"}}
			u.Account = crewid.Account{
				State:             crewid.AccountEstablished,
				Login:             u.Account.Login + ".2",
				PasswordHash:      "$argon2id$v=19$m=65536,t=3,p=4$bmV3c2FsdA$bmV3aGFzaA",
				PasswordSetOn:     fine(7 * time.Hour),
				LastSignInOn:      fine(8 * time.Hour),
				SessionsNotBefore: fine(9 * time.Hour),
			}
			u.ModifiedOn = fine(10 * time.Hour)
			if k == crewid.KindEmployee {
				u.OfficePhone = "+15551238888"
			} else {
				u.LicenseType = crewid.LicenseNonManagedTech
				u.MobileAccessEnabled = false
				u.TeamID = w.teams[1].ID
				u.ZoneIDs = []int64{w.zones[2].ID}
				u.MainZoneID = w.zones[2].ID
				u.TruckID = 0
				u.Warehouse = ""
				u.Home = &crewid.Address{Street: "1 Oak Ave", City: "Chicago", State: "IL", Zip: "60601", Country: "US", Latitude: ptr(41.88)}
				u.Bio, u.Memo = "", "Moved to Chicago."
				u.DailyGoal, u.BurdenRate = 0, 28.5
				u.JobFilter, u.JobHistoryDateFilter = "", "Last7Days"
			}
			prevSeq := u.Seq
			update(t, s, func(tx store.Tx) error { return tx.UpdatePerson(ctx(t), &u) })
			if u.Seq <= prevSeq {
				t.Errorf("UpdatePerson set Seq %d, want above the previous %d", u.Seq, prevSeq)
			}
			got = readPerson(t, s, u.TenantID, u.ID)
			check(t, "Person after UpdatePerson", w.expected(u), got)

			// Clear what can be cleared.
			c := got
			c.Home = nil
			c.RoleIDs, c.ZoneIDs, c.Overrides, c.CustomFields, c.Positions = nil, nil, nil, nil, nil
			c.TeamID, c.MainZoneID, c.BusinessUnitID = 0, 0, 0
			c.Email, c.MobilePhone, c.OfficePhone = "", "", ""
			c.Account = crewid.Account{State: crewid.AccountNone}
			prevSeq = c.Seq
			update(t, s, func(tx store.Tx) error { return tx.UpdatePerson(ctx(t), &c) })
			if c.Seq <= prevSeq {
				t.Errorf("second UpdatePerson set Seq %d, want above the previous %d", c.Seq, prevSeq)
			}
			got = readPerson(t, s, c.TenantID, c.ID)
			check(t, "Person after clearing fields", w.expected(c), got)
		})
	}

	t.Run("Minimal", func(t *testing.T) {
		p := createPerson(t, s, technician(w.tenant.ID, "Min Imal"))
		got := readPerson(t, s, p.TenantID, p.ID)
		check(t, "minimal technician", w.expected(p), got)
		if got.Home != nil {
			t.Errorf("minimal technician: Home = %+v, want nil", *got.Home)
		}
	})

	t.Run("SeqIncreases", func(t *testing.T) {
		var last int64
		for i, k := range []crewid.Kind{crewid.KindEmployee, crewid.KindTechnician, crewid.KindEmployee, crewid.KindTechnician} {
			p := createPerson(t, s, person(k, w.tenant.ID, "Seq Person"))
			if p.Seq <= last {
				t.Errorf("person #%d: Seq %d, want above %d", i, p.Seq, last)
			}
			last = p.Seq
		}
	})

	t.Run("NamesFilledOnRead", func(t *testing.T) {
		p := w.fullPerson(crewid.KindTechnician)
		p.Email, p.MobilePhone, p.AADUserID, p.Account = "", "", "", crewid.Account{State: crewid.AccountNone}
		p = createPerson(t, s, p)
		team := w.teams[0]
		team.Name = "North Crew Renamed"
		field := w.fields[crewid.KindTechnician][0]
		field.Name = "Uniform Size"
		update(t, s, func(tx store.Tx) error {
			if err := tx.UpdateTeam(ctx(t), &team); err != nil {
				return err
			}
			return tx.UpdateCustomFieldType(ctx(t), &field)
		})
		got := readPerson(t, s, p.TenantID, p.ID)
		if got.TeamName != team.Name {
			t.Errorf("TeamName after renaming the team: %q, want %q", got.TeamName, team.Name)
		}
		for _, cf := range got.CustomFields {
			if cf.TypeID == field.ID && cf.Name != field.Name {
				t.Errorf("custom field name after renaming its type: %q, want %q", cf.Name, field.Name)
			}
		}
	})
}

func testPersonNotFound(t *testing.T, s store.Store) {
	tn := newTenant(t, s, "Acme")
	_, err := s.Person(ctx(t), tn.ID, missingID)
	wantNotFound(t, "Person(unknown id)", err)
	p := employee(tn.ID, "Ghost")
	p.ID, p.UserID = missingID, missingID
	err = s.Update(ctx(t), func(tx store.Tx) error { return tx.UpdatePerson(ctx(t), &p) })
	wantNotFound(t, "UpdatePerson(unknown id)", err)
	_, err = s.PersonByLogin(ctx(t), "nobody")
	wantNotFound(t, "PersonByLogin(unknown login)", err)
	found, err := s.PeopleByContact(ctx(t), "nobody@example.com")
	must(t, "PeopleByContact", err)
	if len(found) != 0 {
		t.Errorf("PeopleByContact(unknown) = %d people, want none", len(found))
	}
}

// testLookups covers PersonByLogin and PeopleByContact, which search every
// tenant.
func testLookups(t *testing.T, s store.Store) {
	a := newTenant(t, s, "Acme")
	b := newTenant(t, s, "Bolt")

	e := employee(a.ID, "Erin Office")
	e.Email, e.MobilePhone = "shared@example.com", "+15550000001"
	e.Account = crewid.Account{State: crewid.AccountAccepted, Login: "Erin.Office", PasswordHash: "h1", PasswordSetOn: at(time.Hour)}
	e = createPerson(t, s, e)
	tc := technician(a.ID, "Tom Field")
	tc.Email, tc.MobilePhone = "shared@example.com", "+15550000001"
	tc = createPerson(t, s, tc)
	other := employee(b.ID, "Bea Bolt")
	other.Email = "shared@example.com"
	other = createPerson(t, s, other)
	onlyMobile := technician(b.ID, "Mo Bile")
	onlyMobile.MobilePhone = "+15550000001"
	onlyMobile = createPerson(t, s, onlyMobile)
	unrelated := employee(a.ID, "Una Related")
	unrelated.Email = "una@example.com"
	createPerson(t, s, unrelated)

	for _, login := range []string{"Erin.Office", "erin.office", "ERIN.OFFICE"} {
		got, err := s.PersonByLogin(ctx(t), login)
		if err != nil {
			t.Errorf("PersonByLogin(%q): %v (logins compare case-insensitively)", login, err)
			continue
		}
		if got.ID != e.ID || got.TenantID != a.ID {
			t.Errorf("PersonByLogin(%q) = person %d of tenant %d, want %d of tenant %d", login, got.ID, got.TenantID, e.ID, a.ID)
		}
		if got.Account.Login != "Erin.Office" {
			t.Errorf("PersonByLogin(%q): Login %q, want it as chosen, %q", login, got.Account.Login, "Erin.Office")
		}
	}
	_, err := s.PersonByLogin(ctx(t), "shared@example.com")
	wantNotFound(t, "PersonByLogin(an email that is nobody's login)", err)

	byEmail, err := s.PeopleByContact(ctx(t), "shared@example.com")
	must(t, "PeopleByContact(email)", err)
	checkIDs(t, "PeopleByContact(email) ids, sorted", sortedIDs(e.ID, tc.ID, other.ID), sortedIDs(pageIDs(byEmail, personID)...))
	for _, p := range byEmail {
		if p.ID == other.ID && p.TenantID != b.ID {
			t.Errorf("PeopleByContact: person %d has TenantID %d, want %d", p.ID, p.TenantID, b.ID)
		}
	}
	byMobile, err := s.PeopleByContact(ctx(t), "+15550000001")
	must(t, "PeopleByContact(mobile)", err)
	checkIDs(t, "PeopleByContact(mobile) ids, sorted", sortedIDs(e.ID, tc.ID, onlyMobile.ID), sortedIDs(pageIDs(byMobile, personID)...))
	empty, err := s.PeopleByContact(ctx(t), "")
	must(t, "PeopleByContact(\"\")", err)
	if len(empty) != 0 {
		t.Errorf("PeopleByContact(\"\") = %d people, want none (an empty email or mobile is no contact)", len(empty))
	}
}
