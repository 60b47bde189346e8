package accounts

import (
	"context"
	"strings"
	"testing"

	"crewid"
	"crewid/access"
)

func TestActionPermission(t *testing.T) {
	want := map[Action]int64{
		ActionActivate: access.PermActivateDeactivate, ActionDeactivate: access.PermActivateDeactivate,
		ActionSendInvite: access.PermManageLogins, ActionSendPasswordResetLink: access.PermManageLogins,
		ActionSetTemporaryPassword: access.PermManageLogins, ActionUnlock: access.PermManageLogins,
		ActionSetLoginAndPassword: access.PermManageLogins,
	}
	if len(want) != len(Actions) {
		t.Fatalf("%d actions listed, %d expected", len(Actions), len(want))
	}
	for _, a := range Actions {
		if perm, ok := a.Permission(); !ok || perm != want[a] {
			t.Errorf("%s needs %d (%v), want %d", a, perm, ok, want[a])
		}
	}
	if _, ok := Action("Promote").Permission(); ok {
		t.Error("an unknown action has a permission")
	}
}

func TestTakeRefusesUnknownActions(t *testing.T) {
	var taker ActionTaker // an unknown action reaches no service
	err := taker.Take(context.Background(), crewid.Actor{}, 1, crewid.KindEmployee, 1, ActionRequest{Action: "Promote"})
	e, ok := err.(*crewid.Error)
	if !ok || e.Code != crewid.Invalid || len(e.Fields["action"]) != 1 {
		t.Fatalf("unknown action: %v", err)
	}
	msg := e.Fields["action"][0]
	for _, a := range Actions {
		if !strings.Contains(msg, string(a)) {
			t.Errorf("the error does not name %s: %s", a, msg)
		}
	}
	if !strings.Contains(msg, "Unlock and SetLoginAndPassword.") {
		t.Errorf("the list does not end with 'and' the last action: %s", msg)
	}
	err = taker.Take(context.Background(), crewid.Actor{}, 1, crewid.KindEmployee, 1, ActionRequest{})
	if crewid.CodeOf(err) != crewid.Invalid {
		t.Fatalf("no action: %v", err)
	}
}
