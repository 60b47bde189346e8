package settings

import (
	"net/http"

	"crewid"
	"crewid/access"
	"crewid/api"
	"crewid/people"
)

// createPermissions is what a person needs, beyond the route's Edit
// Employee, to create a profile as req asks: setting someone's login and
// password or inviting them concerns their account; giving individual
// permissions concerns their access.
func createPermissions(setup people.AccountSetup, req personCreateRequest) []int64 {
	var perms []int64
	if setup.Method == people.AssignLoginAndPassword || setup.Method == people.SendInvite {
		perms = append(perms, access.PermManageLogins)
	}
	if len(req.Permissions) > 0 {
		perms = append(perms, access.PermAssignRoles)
	}
	return perms
}

// updatePermissions is what a person needs, beyond Edit Employee, for the
// fields a PATCH body sets.
func updatePermissions(req personUpdateRequest) []int64 {
	var perms []int64
	if req.Login.Set || req.AccountLocked.Set {
		perms = append(perms, access.PermManageLogins)
	}
	if req.RoleIDs.Set || req.RoleID.Set || req.Permissions.Set {
		perms = append(perms, access.PermAssignRoles)
	}
	return perms
}

// requireAll checks each permission in turn (see require); zero ids are
// skipped.
func (h *Handler) requireAll(r *http.Request, c api.Caller, perms ...int64) error {
	for _, p := range perms {
		if p == 0 {
			continue
		}
		if err := h.require(r, c, p); err != nil {
			return err
		}
	}
	return nil
}

// refused records a person's request the domain refused as Forbidden
// (giving permissions they do not hold) and returns err to answer with;
// other errors pass through.
func (h *Handler) refused(r *http.Request, c api.Caller, err error) error {
	if c.Actor.Type != crewid.ActorPerson || crewid.CodeOf(err) != crewid.Forbidden {
		return err
	}
	return h.Access.Refused(r.Context(), c.Actor, c.TenantID, r.Pattern, err)
}
