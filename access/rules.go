package access

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"crewid"
)

// MaxRoleNameLength is the longest role name accepted, in characters.
const MaxRoleNameLength = 100

// Field names used in errors; they match the wire names of the API.
const (
	FieldPermissions  = "permissions"
	FieldRoleIDs      = "roleIds"
	FieldName         = "name"
	FieldEmployeeType = "employeeType"
	FieldActive       = "active"
	FieldID           = "id"
)

// ValidatePermissions checks that every id is in the catalog. Unknown ids
// are an Invalid error on field "permissions", one message per id.
// Duplicates are allowed (they mean the same thing).
func ValidatePermissions(ids []int64) error {
	p := crewid.Problems{}
	for _, id := range ids {
		if !Known(id) {
			p.Add(FieldPermissions, fmt.Sprintf("Unknown permission id %d.", id))
		}
	}
	return p.Err()
}

// ValidateOverrides checks a person's permission overrides: every id in
// the catalog, and no id both granted and denied. Problems are reported on
// field "permissions".
func ValidateOverrides(overrides []crewid.PermissionOverride) error {
	p := crewid.Problems{}
	seen := map[int64]bool{}
	for _, o := range overrides {
		if !Known(o.PermissionID) {
			p.Add(FieldPermissions, fmt.Sprintf("Unknown permission id %d.", o.PermissionID))
			continue
		}
		if g, ok := seen[o.PermissionID]; ok && g != o.Granted {
			p.Add(FieldPermissions, fmt.Sprintf("Permission %d is both granted and denied.", o.PermissionID))
		}
		seen[o.PermissionID] = o.Granted
	}
	return p.Err()
}

// restrictedForExternal are the permissions a person outside the
// organization can never hold.
var restrictedForExternal = []int64{PermAdminAccess, PermGenerateAppKey}

// CheckExternal enforces that a person outside the organization
// (external) never holds Admin Access or Generate API Application Key,
// whether a role or a per-person grant would give it. eff is the person's
// effective set (Effective), so a role that carries one of them is fine
// when an override denies it. The error is Invalid on field "permissions"
// (the effective list is where the problem shows, whichever way it came),
// naming each permission.
func CheckExternal(external bool, eff Set) error {
	if !external {
		return nil
	}
	p := crewid.Problems{}
	for _, id := range restrictedForExternal {
		if eff.Has(id) {
			perm, _ := PermissionByID(id)
			p.Add(FieldPermissions, fmt.Sprintf(
				"%q cannot be given to a person outside the organization (external); remove it from their roles or deny it for this person.",
				perm.Name))
		}
	}
	return p.Err()
}

// ValidateRole checks a role about to be created or updated and
// normalises it in place: the name is trimmed and the permissions are
// deduplicated and put in catalog order. It checks the name (required, at
// most MaxRoleNameLength characters, no control characters), the
// employeeType (Employee, Technician or All) and the permissions (catalog
// ids). Name uniqueness is the store's to enforce. For an update, also call
// CheckRoleUpdate.
func ValidateRole(r *crewid.Role) error {
	p := crewid.Problems{}
	r.Name = strings.TrimSpace(r.Name)
	switch {
	case r.Name == "":
		p.Add(FieldName, "The name is required.")
	case !utf8.ValidString(r.Name):
		p.Add(FieldName, "The name is not valid UTF-8.")
	case utf8.RuneCountInString(r.Name) > MaxRoleNameLength:
		p.Add(FieldName, fmt.Sprintf("The name must be at most %d characters.", MaxRoleNameLength))
	case strings.IndexFunc(r.Name, unicode.IsControl) >= 0:
		p.Add(FieldName, "The name cannot contain control characters.")
	}
	switch r.EmployeeType {
	case crewid.EmployeeTypeEmployee, crewid.EmployeeTypeTechnician, crewid.EmployeeTypeAll:
	default:
		p.Add(FieldEmployeeType, "The employee type must be Employee, Technician or All.")
	}
	unknown := false
	for _, id := range r.Permissions {
		if !Known(id) {
			unknown = true
			p.Add(FieldPermissions, fmt.Sprintf("Unknown permission id %d.", id))
		}
	}
	if !unknown {
		r.Permissions = NewSet(r.Permissions...).IDs()
	}
	return p.Err()
}

// CheckRoleUpdate checks what an update may change on an existing role.
// The built-in key cannot change (a custom role cannot become built-in and
// the reverse). The built-in Administrator role always holds every
// permission and stays active, so a tenant can never lock itself out of
// its own settings; it may be renamed.
func CheckRoleUpdate(before, after crewid.Role) error {
	p := crewid.Problems{}
	if after.BuiltIn != before.BuiltIn {
		p.Add(FieldID, "Whether a role is built-in cannot be changed.")
	}
	if before.BuiltIn == KeyAdministrator {
		if !after.Active {
			p.Add(FieldActive, "The Administrator role cannot be deactivated.")
		}
		// Unchanged is fine too: a stored list predating newer catalog
		// entries must not block a rename.
		if got := NewSet(after.Permissions...); got != all && got != NewSet(before.Permissions...) {
			p.Add(FieldPermissions, "The Administrator role always holds every permission.")
		}
		if after.EmployeeType != before.EmployeeType {
			p.Add(FieldEmployeeType, "The employee type of the Administrator role cannot be changed.")
		}
	}
	return p.Err()
}

// CanDelete says whether role r may be deleted. Built-in roles never can
// (Invalid on field "id"; deactivating them is allowed instead); a role
// still held by someone cannot be deleted until it is taken from them
// (Conflict on field "id").
func CanDelete(r crewid.Role, inUse bool) error {
	if r.BuiltIn != "" {
		return &crewid.Error{
			Code:    crewid.Invalid,
			Message: "Built-in roles cannot be deleted.",
			Fields: map[string][]string{FieldID: {fmt.Sprintf(
				"%q is a built-in role and cannot be deleted; deactivate it or change its permissions instead.", r.Name)}},
		}
	}
	if inUse {
		return crewid.ConflictError(FieldID, fmt.Sprintf(
			"The role %q is assigned to people; remove it from them before deleting it.", r.Name))
	}
	return nil
}

// ValidateAssignment checks the roles given to a person of kind k: each
// must apply to that kind (a role for technicians cannot be given to an
// office employee and the reverse). Problems are reported on "roleIds".
// Inactive roles may be held; they simply grant nothing.
func ValidateAssignment(k crewid.Kind, roles []crewid.Role) error {
	p := crewid.Problems{}
	for _, r := range roles {
		if !r.EmployeeType.AppliesTo(k) {
			p.Add(FieldRoleIDs, fmt.Sprintf(
				"The role %q (id %d) is for %s roles and cannot be given to a %s.",
				r.Name, r.ID, strings.ToLower(string(r.EmployeeType)), strings.ToLower(string(k))))
		}
	}
	return p.Err()
}

// CheckGrant stops privilege escalation: a person (actor) may change
// someone's effective permissions from before to after only for
// permissions the actor holds. Holders of Admin Access may change
// anything. The error is Forbidden on field "permissions", listing the
// permissions the actor would have given or taken away.
func CheckGrant(actor, before, after Set) error {
	if actor.Has(PermAdminAccess) {
		return nil
	}
	changed := after.Minus(before).Union(before.Minus(after))
	beyond := changed.Minus(actor)
	if beyond.Empty() {
		return nil
	}
	msg := "You can only give or take away permissions you hold yourself: " + beyond.Names() + "."
	return &crewid.Error{
		Code:    crewid.Forbidden,
		Message: msg,
		Fields:  map[string][]string{FieldPermissions: {msg}},
	}
}
