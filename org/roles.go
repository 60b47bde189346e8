package org

import (
	"context"
	"slices"
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
		if before != nil {
			if err := access.CheckRoleUpdate(*before, *r); err != nil {
				return err
			}
			return checkExternalHolders(ctx, tx, tenantID, *r)
		}
		return nil
	},
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
