package access

import (
	"context"
	"fmt"

	"crewid"
)

// Task is something a person may ask of crewid through any interface (the
// Settings API, the web console), named once so that every interface
// demands the same permission for it.
type Task string

// Tasks and the permission each needs (see taskPermissions).
const (
	TaskViewPeople        Task = "ViewPeople"        // list and read employees and technicians
	TaskEditPeople        Task = "EditPeople"        // create and edit their profiles
	TaskActivatePeople    Task = "ActivatePeople"    // activate and deactivate them
	TaskManageCredentials Task = "ManageCredentials" // logins, passwords, invitations, reset links, unlocking
	TaskAssignRoles       Task = "AssignRoles"       // change a person's roles and permission overrides
	TaskReadOutbox        Task = "ReadOutbox"        // the message outbox (it holds live invitation and reset links)
	TaskRegisterApps      Task = "RegisterApps"      // register an API application
	TaskManageApps        Task = "ManageApps"        // see applications, their secrets, revoke them
	TaskManageRoles       Task = "ManageRoles"       // create, change and delete roles
	TaskViewHistory       Task = "ViewHistory"       // read and export the history
	TaskManageWebhooks    Task = "ManageWebhooks"    // webhook subscriptions and their deliveries
	TaskAdminSettings     Task = "AdminSettings"     // every other company setting (single sign-on, …)
)

var taskPermissions = map[Task]int64{
	TaskViewPeople:        PermViewEmployees,
	TaskEditPeople:        PermEditEmployee,
	TaskActivatePeople:    PermActivateDeactivate,
	TaskManageCredentials: PermManageLogins,
	TaskReadOutbox:        PermManageLogins,
	TaskAssignRoles:       PermAssignRoles,
	TaskRegisterApps:      PermGenerateAppKey,
	TaskManageApps:        PermManageAppAccess,
	TaskManageRoles:       PermManageRoles,
	TaskViewHistory:       PermViewHistory,
	TaskManageWebhooks:    PermManageWebhooks,
	TaskAdminSettings:     PermAdminAccess,
}

// TaskPermission returns the permission task needs.
func TaskPermission(task Task) (int64, bool) {
	p, ok := taskPermissions[task]
	return p, ok
}

// Allows reports whether a person holding perms may do task: they hold its
// permission, or Admin Access where that opens it (Set.Allows). Unknown
// tasks are never allowed.
func Allows(perms Set, task Task) bool {
	p, ok := taskPermissions[task]
	return ok && perms.Allows(p)
}

// Authorize is Allows as an error: nil, or Forbidden naming the
// permission task needs.
func Authorize(perms Set, task Task) error {
	if Allows(perms, task) {
		return nil
	}
	return Missing(taskPermissions[task])
}

// Missing is the Forbidden error for a person who lacks permission perm.
func Missing(perm int64) error {
	msg := "You do not have permission for this."
	if p, ok := PermissionByID(perm); ok {
		msg = fmt.Sprintf("This needs the %q permission, which you do not hold.", p.Name)
	}
	return &crewid.Error{Code: crewid.Forbidden, Message: msg}
}

type holderKey struct{}

// WithHolder returns ctx carrying the permissions of the person on whose
// behalf a change is made, so that the rules deciding who may give which
// permission (CheckGrant) can see them. Changes made by applications, the
// operator or crewid itself carry none and are not limited by it.
func WithHolder(ctx context.Context, perms Set) context.Context {
	return context.WithValue(ctx, holderKey{}, perms)
}

// Holder returns the permissions WithHolder put in ctx.
func Holder(ctx context.Context) (Set, bool) {
	s, ok := ctx.Value(holderKey{}).(Set)
	return s, ok
}
