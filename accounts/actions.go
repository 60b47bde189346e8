package accounts

import (
	"context"
	"strings"

	"crewid"
	"crewid/access"
	"crewid/people"
)

// Action is an action an administrator takes on someone's account, named
// as the Settings API names it.
type Action string

const (
	ActionActivate              Action = "Activate"
	ActionDeactivate            Action = "Deactivate"
	ActionSendInvite            Action = "SendInvite"
	ActionSendPasswordResetLink Action = "SendPasswordResetLink"
	ActionSetTemporaryPassword  Action = "SetTemporaryPassword"
	ActionUnlock                Action = "Unlock"
	ActionSetLoginAndPassword   Action = "SetLoginAndPassword"
)

// Actions lists every Action, in the order menus show them.
var Actions = []Action{ActionActivate, ActionDeactivate, ActionSendInvite,
	ActionSendPasswordResetLink, ActionSetTemporaryPassword, ActionUnlock, ActionSetLoginAndPassword}

// Permission is what a person needs to take the action: Activate
// Deactivate for the state of the profile, Manage Logins for the sign-in
// account (login, password, invitation, reset link, lock). ok is false for
// an unknown action.
func (a Action) Permission() (perm int64, ok bool) {
	switch a {
	case ActionActivate, ActionDeactivate:
		return access.PermActivateDeactivate, true
	case ActionSendInvite, ActionSendPasswordResetLink, ActionSetTemporaryPassword, ActionUnlock, ActionSetLoginAndPassword:
		return access.PermManageLogins, true
	}
	return 0, false
}

// ActionRequest is one action on one person's account. License and
// TruckID are for Activate; Login and Password for SetLoginAndPassword,
// Password alone for SetTemporaryPassword.
type ActionRequest struct {
	Action   Action
	License  crewid.LicenseType
	TruckID  int64
	Login    string
	Password string
}

// ActionTaker takes account actions. Whether the actor may is the
// caller's to check first (Action.Permission).
type ActionTaker struct {
	People   *people.Service
	Accounts *Service
}

// Take takes req on the account of person id, of kind, in the tenant.
func (t ActionTaker) Take(ctx context.Context, actor crewid.Actor, tenantID int64, kind crewid.Kind, id int64, req ActionRequest) error {
	switch req.Action {
	case ActionActivate:
		return t.People.Activate(ctx, actor, tenantID, kind, id, req.License, req.TruckID)
	case ActionDeactivate:
		return t.People.Deactivate(ctx, actor, tenantID, kind, id)
	case ActionSendInvite:
		// Resend does not look at the kind: check the person is of it.
		if _, err := t.People.Get(ctx, tenantID, kind, id); err != nil {
			return err
		}
		return t.Accounts.Invites.Resend(ctx, actor, tenantID, id)
	case ActionSendPasswordResetLink:
		return t.Accounts.SendPasswordResetLink(ctx, actor, tenantID, kind, id)
	case ActionSetTemporaryPassword:
		return t.Accounts.SetTemporaryPassword(ctx, actor, tenantID, kind, id, req.Password)
	case ActionUnlock:
		return t.Accounts.Unlock(ctx, actor, tenantID, kind, id)
	case ActionSetLoginAndPassword:
		return t.Accounts.SetLoginAndPassword(ctx, actor, tenantID, kind, id, req.Login, req.Password)
	case "":
		return crewid.FieldError("action", "An action is required.")
	}
	names := make([]string, len(Actions))
	for i, a := range Actions {
		names[i] = string(a)
	}
	return crewid.FieldError("action", "Unknown action '"+string(req.Action)+"'; this server supports "+
		strings.Join(names[:len(names)-1], ", ")+" and "+names[len(names)-1]+".")
}
