package org

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"crewid"
	"crewid/access"
	"crewid/store"
)

var roles = record[crewid.Role]{
	kind: "UserRole",
	get: func(ctx context.Context, r store.Reader, tenantID, id int64) (crewid.Role, error) {
		return r.Role(ctx, tenantID, id)
	},
	create: func(ctx context.Context, tx store.Tx, r *crewid.Role) error { return tx.CreateRole(ctx, r) },
	update: func(ctx context.Context, tx store.Tx, r *crewid.Role) error { return tx.UpdateRole(ctx, r) },
	delete: func(ctx context.Context, tx store.Tx, tenantID, id int64) error {
		r, err := tx.Role(ctx, tenantID, id)
		if err != nil {
			return err
		}
		inUse, err := tx.RoleInUse(ctx, tenantID, id)
		if err != nil {
			return err
		}
		if err := access.CanDelete(r, inUse); err != nil {
			return err
		}
		if err := checkHoldsRole(ctx, &r); err != nil {
			return err
		}
		return tx.DeleteRole(ctx, tenantID, id)
	},
	id: func(r *crewid.Role) int64 { return r.ID },
	stamp: func(r *crewid.Role, tenantID int64, now time.Time, created bool) {
		stampTimes(&r.TenantID, &r.CreatedOn, &r.ModifiedOn, tenantID, now, created)
	},
	validate: func(ctx context.Context, tx store.Tx, tenantID int64, before, r *crewid.Role) error {
		if before == nil {
			r.BuiltIn = "" // roles made through the API are custom roles
		}
		if err := access.ValidateRole(r); err != nil {
			return err
		}
		// A person may put into a role, or take out of it, only the
		// permissions they hold: the role's holders (they themselves,
		// perhaps) gain or lose them.
		var was access.Set
		if before != nil {
			was = access.RoleSet(*before)
		}
		if err := checkHoldsRole(ctx, before); err != nil {
			return err
		}
		if holder, ok := access.Holder(ctx); ok {
			if err := access.CheckGrant(holder, was, access.RoleSet(*r)); err != nil {
				return err
			}
		}
		if before != nil {
			if err := access.CheckRoleUpdate(*before, *r); err != nil {
				return err
			}
			if err := checkHoldersKind(ctx, tx, tenantID, *before, *r); err != nil {
				return err
			}
			return checkExternalHolders(ctx, tx, tenantID, *r)
		}
		return nil
	},
}

// checkHoldsRole stops a person from renaming, editing or deleting a role
// that carries a permission they do not hold (Admin Access holders may
// change any role): a role beyond them is not theirs to reshape. r is nil
// for a new role.
func checkHoldsRole(ctx context.Context, r *crewid.Role) error {
	holder, ok := access.Holder(ctx)
	if !ok || r == nil || holder.Has(access.PermAdminAccess) {
		return nil
	}
	beyond := access.RoleSet(*r).Minus(holder)
	if r.BuiltIn == access.KeyAdministrator {
		beyond.Add(access.PermAdminAccess)
	}
	if beyond.Empty() {
		return nil
	}
	return crewid.Errorf(crewid.Forbidden, "The role %q carries permissions you do not hold (%s); only someone who holds them can change it.",
		r.Name, beyond.Names())
}

// checkHoldersKind refuses to narrow a role's employee type while people
// of the other kind hold it: they could not be given it, so they may not
// keep it either.
func checkHoldersKind(ctx context.Context, tx store.Tx, tenantID int64, before, r crewid.Role) error {
	if r.EmployeeType == before.EmployeeType || r.EmployeeType == crewid.EmployeeTypeAll {
		return nil
	}
	other := crewid.KindTechnician
	if r.EmployeeType == crewid.EmployeeTypeTechnician {
		other = crewid.KindEmployee
	}
	held, err := tx.People(ctx, tenantID, store.PersonQuery{RoleID: r.ID, Kind: other,
		ListQuery: store.ListQuery{Active: store.ActiveAny, Page: 1, PageSize: 1}})
	if err != nil {
		return err
	}
	if len(held.Items) == 0 {
		return nil
	}
	p := held.Items[0]
	return crewid.ConflictError(access.FieldEmployeeType, fmt.Sprintf(
		"%s (id %d) is %s and holds this role: take it from every %s first, or leave its employee type as it is.",
		p.Name, p.ID, map[crewid.Kind]string{crewid.KindEmployee: "an employee", crewid.KindTechnician: "a technician"}[other],
		strings.ToLower(string(other))))
}

func cloneRole(r crewid.Role) crewid.Role {
	r.Permissions = slices.Clone(r.Permissions)
	return r
}

// CreateRole adds a custom role.
func (s *Service) CreateRole(ctx context.Context, actor crewid.Actor, tenantID int64, r crewid.Role) (crewid.Role, error) {
	return createRecord(ctx, s, actor, tenantID, roles, r)
}

// CreateRoleTx is CreateRole inside the caller's transaction.
func (s *Service) CreateRoleTx(ctx context.Context, tx store.Tx, actor crewid.Actor, tenantID int64, r crewid.Role) (crewid.Role, error) {
	return createRecordTx(ctx, tx, s, actor, tenantID, roles, r)
}

// UpdateRole changes a role through edit.
func (s *Service) UpdateRole(ctx context.Context, actor crewid.Actor, tenantID, id int64, edit func(*crewid.Role) error) (crewid.Role, error) {
	return updateRecord(ctx, s, actor, tenantID, id, roles, cloneRole, edit)
}

// UpdateRoleTx is UpdateRole inside the caller's transaction.
func (s *Service) UpdateRoleTx(ctx context.Context, tx store.Tx, actor crewid.Actor, tenantID, id int64, edit func(*crewid.Role) error) (crewid.Role, error) {
	return updateRecordTx(ctx, tx, s, actor, tenantID, id, roles, cloneRole, edit)
}

// DeleteRoleTx is DeleteRole inside the caller's transaction, for a
// caller that first takes the role from the people holding it.
func (s *Service) DeleteRoleTx(ctx context.Context, tx store.Tx, actor crewid.Actor, tenantID, id int64) error {
	return deleteRecordTx(ctx, tx, s, actor, tenantID, id, roles)
}

// DeleteRole removes a custom role nobody holds.
func (s *Service) DeleteRole(ctx context.Context, actor crewid.Actor, tenantID, id int64) error {
	return deleteRecord(ctx, s, actor, tenantID, id, roles)
}
