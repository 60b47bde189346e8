package people

import (
	"context"
	"fmt"

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
	return crewid.Errorf(crewid.Forbidden,
		"%s holds permissions you do not hold (%s); only someone who holds them can change this person's profile or account.",
		target.Name, beyond.Names())
}

// HiddenMessage stands in the outbox for the text of a message the reader
// may not see.
const HiddenMessage = "Hidden: this message is for someone who holds permissions you do not hold."

// MayReadMessage reports whether the person behind ctx may read a message
// to recipient in the tenant's outbox: the reset codes and invitation links
// in it are an account's keys, so not if one of the people it may be for
// is someone they may not manage (CheckMayManage). Applications and the
// operator may.
func MayReadMessage(ctx context.Context, st store.Reader, tenantID int64, recipient string) (bool, error) {
	holder, ok := access.Holder(ctx)
	if !ok || holder.Has(access.PermAdminAccess) {
		return true, nil
	}
	found, err := st.PeopleByContact(ctx, recipient)
	if err != nil {
		return false, err
	}
	for _, p := range found {
		if p.TenantID != tenantID {
			continue
		}
		err := CheckMayManage(ctx, st, p)
		switch {
		case err == nil:
		case crewid.CodeOf(err) == crewid.Forbidden:
			return false, nil
		default:
			return false, err
		}
	}
	return true, nil
}

// needsManageLogins refuses, for a person without View or Update Another
// User Username or Password, what only that permission allows (what names
// the change, in a sentence).
func needsManageLogins(ctx context.Context, field, what string) error {
	holder, ok := access.Holder(ctx)
	if !ok || holder.Allows(access.PermManageLogins) {
		return nil
	}
	perm, _ := access.PermissionByID(access.PermManageLogins)
	msg := fmt.Sprintf("%s needs the %q permission.", what, perm.Name)
	return &crewid.Error{Code: crewid.Forbidden, Message: msg, Fields: map[string][]string{field: {msg}}}
}

// hasAccount reports whether p has sign-in credentials or an invitation
// out.
func hasAccount(p crewid.Person) bool {
	return p.Account.Login != "" || p.Account.PasswordHash != "" || p.Account.State == crewid.AccountInvited
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
