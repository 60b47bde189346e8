package scim

import (
	"context"
	"slices"
	"strings"

	"crewid"
	"crewid/history"
	"crewid/people"
	"crewid/store"
)

// CreateUser adds a person from a User. The crewid extension's type says
// Employee (the default) or Technician; a technician needs the
// extension's licenseType. The person gets the least built-in role of
// their kind until groups give them others, and no sign-in account: a
// userName other than the email is kept as their login, for when they
// accept an invitation or sign in with single sign-on. A password the
// directory sends is not used (passwords are set only by their owner).
func (s *Service) CreateUser(ctx context.Context, actor crewid.Actor, tenantID int64, u User, base string) (User, error) {
	d, err := readUser(u, nil)
	if err != nil {
		return User{}, err
	}
	p := crewid.Person{TenantID: tenantID, Kind: d.kind}
	if d.kind == crewid.KindTechnician {
		p.MobileAccessEnabled = true
		if !d.license.Valid() {
			return User{}, invalidValue("A technician needs a licenseType in the %s extension: ManagedTechnician, NonManagedTechnician or ManagedInstaller.", SchemaCrewidUser)
		}
	}
	d.apply(&p)
	role, err := defaultRole(ctx, s.Store, tenantID, d.kind)
	if err != nil {
		return User{}, err
	}
	p.RoleIDs = []int64{role}
	login := p.Account.Login
	prepared, err := s.People.Prepare(p, people.AccountSetup{Method: people.CreateLater})
	if err != nil {
		return User{}, err
	}
	if login != "" {
		if prepared, err = prepared.WithLogin(login); err != nil {
			return User{}, err
		}
	}
	var out User
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		gone, dir, found, err := deletedByDirectory(ctx, tx, tenantID, d.userName, d.kind)
		if err != nil {
			return err
		}
		if found {
			// Provisioned again after a delete: the same person comes
			// back, history and all, as the directory now describes them
			// and with the default role until it grants groups again.
			after := d.directory(dir)
			after.Deleted = false
			out, err = s.makeUser(ctx, tx, actor, gone, dir, after, d, base, role)
			return err
		}
		if err := checkUserNameFree(ctx, tx, tenantID, d.userName, 0); err != nil {
			return err
		}
		created, err := s.People.Insert(ctx, tx, actor, prepared)
		if err != nil {
			return err
		}
		if err := s.setDirectory(ctx, tx, actor, created, store.PersonDirectory{}, d.directory(store.PersonDirectory{})); err != nil {
			return err
		}
		if !d.active {
			if err := s.People.DeactivateTx(ctx, tx, actor, tenantID, created.Kind, created.ID); err != nil {
				return err
			}
		}
		out, err = s.reread(ctx, tx, tenantID, created.ID, base)
		return err
	})
	return out, err
}

// ReplaceUser replaces a User (PUT).
func (s *Service) ReplaceUser(ctx context.Context, actor crewid.Actor, tenantID int64, id string, u User, base string) (User, error) {
	return s.changeUser(ctx, actor, tenantID, id, base, func(User) (User, error) { return u, nil })
}

// PatchUser applies PATCH operations to a User.
func (s *Service) PatchUser(ctx context.Context, actor crewid.Actor, tenantID int64, id string, ops []PatchOp, base string) (User, error) {
	return s.changeUser(ctx, actor, tenantID, id, base, func(current User) (User, error) {
		var patched User
		err := patchResource(current, ops, SchemaUser, &patched)
		return patched, err
	})
}

// changeUser reads a visible person, lets change compute the User the
// directory wants, and makes the person so in one transaction: profile,
// activation and directory data, each with its history event.
func (s *Service) changeUser(ctx context.Context, actor crewid.Actor, tenantID int64, id, base string, change func(User) (User, error)) (User, error) {
	var out User
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		before, dir, err := s.visiblePerson(ctx, tx, tenantID, id)
		if err != nil {
			return err
		}
		current, err := s.user(ctx, tx, before, dir, base)
		if err != nil {
			return err
		}
		wanted, err := change(current)
		if err != nil {
			return err
		}
		d, err := readUser(wanted, &current)
		if err != nil {
			return err
		}
		if d.kind != before.Kind && wanted.Crewid != nil && wanted.Crewid.Type != "" {
			return scimError(crewid.Invalid, TypeMutability, "type cannot change: a %s stays a %s.", before.Kind, before.Kind)
		}
		out, err = s.makeUser(ctx, tx, actor, before, dir, d.directory(dir), d, base, 0)
		return err
	})
	return out, err
}

// makeUser makes the existing person before what d describes, with the
// directory data after, and reads them back. A role other than 0 becomes
// their only one.
func (s *Service) makeUser(ctx context.Context, tx store.Tx, actor crewid.Actor, before crewid.Person, dir, after store.PersonDirectory, d desiredUser, base string, role int64) (User, error) {
	if err := checkUserNameFree(ctx, tx, before.TenantID, d.userName, before.ID); err != nil {
		return User{}, err
	}
	edit := func(p *crewid.Person) {
		d.apply(p)
		if role != 0 {
			p.RoleIDs = []int64{role}
		}
	}
	edited := before.Clone()
	edit(&edited)
	if profileOf(edited) != profileOf(before) || !slices.Equal(edited.RoleIDs, before.RoleIDs) {
		if _, err := s.People.UpdateTx(ctx, tx, actor, before.TenantID, before.Kind, before.ID, func(p *crewid.Person) error {
			edit(p)
			return nil
		}); err != nil {
			return User{}, err
		}
	}
	if err := s.setActive(ctx, tx, actor, before, d); err != nil {
		return User{}, err
	}
	if err := s.setDirectory(ctx, tx, actor, before, dir, after); err != nil {
		return User{}, err
	}
	return s.reread(ctx, tx, before.TenantID, before.ID, base)
}

// deletedByDirectory finds the person of kind the directory deleted whose
// userName is name, if there is one.
func deletedByDirectory(ctx context.Context, r store.Reader, tenantID int64, name string, kind crewid.Kind) (crewid.Person, store.PersonDirectory, bool, error) {
	found, err := r.PeopleByFilter(ctx, tenantID, store.And{
		store.Compare{Attr: store.PersonUserName, Op: store.OpEq, Value: name},
		store.Not{Filter: visible},
	}, store.FilterQuery{Limit: 10})
	if err != nil {
		return crewid.Person{}, store.PersonDirectory{}, false, err
	}
	for _, p := range found.Items {
		if p.Kind != kind {
			continue
		}
		dirs, err := r.PeopleDirectory(ctx, tenantID, []int64{p.ID})
		if err != nil {
			return crewid.Person{}, store.PersonDirectory{}, false, err
		}
		return p, dirs[p.ID], true, nil
	}
	return crewid.Person{}, store.PersonDirectory{}, false, nil
}

// profile is the part of a person a User sets, comparable.
type profile struct {
	name, email, mobile, office, team, login, positions, aadUserID string
	managerID, businessUnitID                                      int64
	mobileAccess                                                   bool
	license                                                        crewid.LicenseType
}

func profileOf(p crewid.Person) profile {
	return profile{name: p.Name, email: p.Email, mobile: p.MobilePhone, office: p.OfficePhone, team: p.TeamName,
		login: p.Account.Login, aadUserID: p.AADUserID, positions: strings.Join(p.Positions, "\x00"), managerID: p.ManagerID,
		businessUnitID: p.BusinessUnitID, mobileAccess: p.MobileAccessEnabled, license: p.LicenseType}
}

// setActive activates or deactivates as d asks. Activating a technician
// takes the licenseType of the User or, without one, the license they had.
func (s *Service) setActive(ctx context.Context, tx store.Tx, actor crewid.Actor, p crewid.Person, d desiredUser) error {
	switch {
	case d.active == p.Active:
		return nil
	case !d.active:
		return s.People.DeactivateTx(ctx, tx, actor, p.TenantID, p.Kind, p.ID)
	}
	license := d.license
	if !license.Valid() {
		license = p.LicenseType
	}
	if p.Kind == crewid.KindTechnician && !license.Valid() {
		return invalidValue("Activating a technician needs a licenseType in the %s extension.", SchemaCrewidUser)
	}
	return s.People.ActivateTx(ctx, tx, actor, p.TenantID, p.Kind, p.ID, license, 0)
}

// DeleteUser deactivates a person and marks them deleted by the directory.
// crewid keeps the person and their history; SCIM answers 404 for them
// from then on, until CreateUser provisions their userName again.
func (s *Service) DeleteUser(ctx context.Context, actor crewid.Actor, tenantID int64, id string) error {
	return s.Store.Update(ctx, func(tx store.Tx) error {
		p, dir, err := s.visiblePerson(ctx, tx, tenantID, id)
		if err != nil {
			return err
		}
		if p.Active {
			if err := s.People.DeactivateTx(ctx, tx, actor, tenantID, p.Kind, p.ID); err != nil {
				return err
			}
		}
		after := dir
		after.Deleted = true
		return s.setDirectory(ctx, tx, actor, p, dir, after)
	})
}

// setDirectory saves a person's directory data, when it changes, with a
// "<Kind>.DirectoryUpdated" event.
func (s *Service) setDirectory(ctx context.Context, tx store.Tx, actor crewid.Actor, p crewid.Person, before, after store.PersonDirectory) error {
	if before == after {
		return nil
	}
	if err := tx.SetPersonDirectory(ctx, p.TenantID, p.ID, after); err != nil {
		return err
	}
	return history.Record(ctx, tx, s.now(), actor, history.Change{
		TenantID: p.TenantID, Type: string(p.Kind) + ".DirectoryUpdated", RecordType: string(p.Kind), RecordID: p.ID,
		Before: before, After: after,
	})
}

// reread reads a person back as a User inside tx.
func (s *Service) reread(ctx context.Context, tx store.Tx, tenantID, id int64, base string) (User, error) {
	p, err := tx.Person(ctx, tenantID, id)
	if err != nil {
		return User{}, err
	}
	dirs, err := tx.PeopleDirectory(ctx, tenantID, []int64{id})
	if err != nil {
		return User{}, err
	}
	return s.user(ctx, tx, p, dirs[id], base)
}

// checkUserNameFree refuses a userName another visible person of the
// tenant has: the store keeps logins unique, but an employee and a
// technician may share an email, which SCIM cannot show as two users.
func checkUserNameFree(ctx context.Context, r store.Reader, tenantID int64, name string, self int64) error {
	found, err := r.PeopleByFilter(ctx, tenantID, store.And{
		store.Compare{Attr: store.PersonUserName, Op: store.OpEq, Value: name},
		store.Compare{Attr: store.PersonID, Op: store.OpNe, Value: self},
		visible,
	}, store.FilterQuery{Limit: 1})
	if err != nil {
		return err
	}
	if found.Total > 0 {
		return scimError(crewid.Conflict, TypeUniqueness, "userName %q is already taken.", name)
	}
	return nil
}
