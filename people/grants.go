package people

import (
	"context"
	"fmt"
	"strings"

	"crewid"
	"crewid/access"
	"crewid/store"
)

// CheckMayManage stops a person from changing the profile or account of
// someone who holds an administrative permission (one over crewid's
// settings, people or integrations) they lack; Admin Access holders may
// change anyone. Otherwise a password, a login or a mobile number for reset
// codes set by them would hand them that someone's power over crewid.
// The trade's permissions (dispatch, pricing, …) do not count: managing
// the logins of technicians who hold them is what the People permissions
// are for. Everyone may manage themselves; changes without a person behind
// them (applications, the operator) are not limited here. The error is
// Forbidden.
func CheckMayManage(ctx context.Context, tx store.Reader, target crewid.Person) error {
	holder, ok := access.Holder(ctx)
	if !ok || holder.Has(access.PermAdminAccess) {
		return nil
	}
	held, err := effectiveOf(ctx, tx, target)
	if err != nil {
		return err
	}
	beyond := held.Administrative().Minus(holder)
	if beyond.Empty() {
		return nil
	}
	names := make([]string, 0, beyond.Len())
	for _, id := range beyond.IDs() {
		perm, _ := access.PermissionByID(id)
		names = append(names, fmt.Sprintf("%q", perm.Name))
	}
	return crewid.Errorf(crewid.Forbidden,
		"%s holds permissions you do not hold (%s); only someone who holds them can change this person's profile or account.",
		target.Name, strings.Join(names, ", "))
}

// effectiveOf is p's effective permission set as stored: their roles (a
// role deleted meanwhile counts for nothing) and overrides.
func effectiveOf(ctx context.Context, tx store.Reader, p crewid.Person) (access.Set, error) {
	held := make([]crewid.Role, 0, len(p.RoleIDs))
	for _, id := range p.RoleIDs {
		r, err := tx.Role(ctx, p.TenantID, id)
		if crewid.IsNotFound(err) {
			continue
		}
		if err != nil {
			return access.Set{}, err
		}
		held = append(held, r)
	}
	return access.Effective(held, p.Overrides), nil
}

// checkGrant stops a person from giving (or taking) permissions they do
// not hold themselves by changing someone's roles or overrides: before is
// nil on creation, roles are after's roles. Changes made without a person
// behind them (applications, the operator) are not limited here.
func checkGrant(ctx context.Context, tx store.Tx, before, after *crewid.Person, roles []crewid.Role) error {
	holder, ok := access.Holder(ctx)
	if !ok {
		return nil
	}
	var was access.Set
	if before != nil {
		var err error
		if was, err = effectiveOf(ctx, tx, *before); err != nil {
			return err
		}
	}
	return access.CheckGrant(holder, was, access.Effective(roles, after.Overrides))
}
