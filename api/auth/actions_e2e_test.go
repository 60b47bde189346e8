package auth_test

import (
	"encoding/json"
	"strings"
	"testing"

	"crewid"
	"crewid/server/servertest"
)

type bulkAnswer struct {
	Results []struct {
		ID     int64    `json:"id"`
		Status string   `json:"status"`
		Error  *problem `json:"error"`
	} `json:"results"`
}

func (w *world) bulk(kind crewid.Kind, body map[string]any) bulkAnswer {
	w.t.Helper()
	path := "/employees/account-actions"
	if kind == crewid.KindTechnician {
		path = "/technicians/account-actions"
	}
	if pw, ok := body["password"].(string); ok {
		w.secret(pw)
	}
	return decode[bulkAnswer](w.t, w.settingsOK("POST", path, body))
}

// Bulk invitations go only to people without an account; every id gets a
// result.
func TestBulkSendInvite(t *testing.T) {
	each(t, func(t *testing.T, b servertest.Backend) {
		w := start(t, b)
		none1 := w.newPerson(crewid.KindEmployee, "wes@example.com", "", "CreateLater", "", "")
		invited := w.newPerson(crewid.KindEmployee, "xia@example.com", "", "SendInvite", "", "")
		w.message("xia@example.com")
		withAccount := w.ready(crewid.KindEmployee, "yan@example.com", "")
		tech := w.newPerson(crewid.KindTechnician, "zed@example.com", "", "CreateLater", "", "")

		ids := []int64{none1.id, invited.id, withAccount.id, tech.id, 1 << 40}
		res := w.bulk(crewid.KindEmployee, map[string]any{"action": "SendInvite", "ids": ids})
		if len(res.Results) != len(ids) {
			t.Fatalf("bulk results: %+v", res)
		}
		want := []string{"Success", "Success", "Failed", "Failed", "Failed"}
		for i, r := range res.Results {
			if r.ID != ids[i] || r.Status != want[i] {
				t.Errorf("result %d: %+v, want id %d %s", i, r, ids[i], want[i])
			}
		}
		if e := res.Results[2].Error; e == nil || e.Status != 400 || !strings.Contains(strings.Join(e.Errors["action"], " "), "already has an account") {
			t.Errorf("bulk invite of a person with an account: %+v", e)
		}
		if e := res.Results[3].Error; e == nil || e.Status != 404 {
			t.Errorf("bulk invite of a technician on the employees endpoint: %+v", e)
		}
		w.linkToken(w.message("wes@example.com"), "/invitations/accept")
		w.linkToken(w.message("xia@example.com"), "/invitations/accept")
		w.noMessage("yan@example.com")
		w.noMessage("zed@example.com")
		w.wantStatus(none1, "Pending")
		w.wantStatus(withAccount, "Active")

		// Single SendInvite: same rule.
		if status, raw := w.action(withAccount, map[string]any{"action": "SendInvite"}); status != 400 {
			t.Errorf("SendInvite to a person with an account: %d %s", status, raw)
		}
		if status, _ := w.settings("POST", strings.Replace(tech.actionsPath(), "technicians", "employees", 1), map[string]any{"action": "SendInvite"}); status != 404 {
			t.Errorf("SendInvite to a technician through the employees endpoint: %d", status)
		}
	})
}

// Every credential action works in bulk, with a result per id.
func TestBulkCredentialActions(t *testing.T) {
	each(t, func(t *testing.T, b servertest.Backend) {
		w := start(t, b, func(c *serverConfig) { c.Accounts.LockoutThreshold = 1 })
		a := w.ready(crewid.KindTechnician, "", "+15550101111")
		c := w.ready(crewid.KindTechnician, "cy@example.com", "")
		none := w.newPerson(crewid.KindTechnician, "", "+15550103333", "CreateLater", "", "")
		ids := []int64{a.id, c.id, none.id}
		check := func(res bulkAnswer, want ...string) {
			t.Helper()
			for i, r := range res.Results {
				if r.Status != want[i] {
					raw, _ := json.Marshal(r)
					t.Errorf("result %d: %s, want %s", i, raw, want[i])
				}
			}
		}

		check(w.bulk(crewid.KindTechnician, map[string]any{"action": "SendPasswordResetLink", "ids": ids}), "Success", "Success", "Failed")
		w.linkToken(w.message("+15550101111"), "/password-reset")
		w.linkToken(w.message("cy@example.com"), "/password-reset")

		w.signInFails(a.login, "Wrong-Pass-1")
		w.signInFails(c.login, "Wrong-Pass-1")
		w.wantStatus(a, "Locked")
		check(w.bulk(crewid.KindTechnician, map[string]any{"action": "Unlock", "ids": ids}), "Success", "Success", "Success")
		w.wantStatus(a, "Active")
		w.signedIn(a.login, a.password)

		check(w.bulk(crewid.KindTechnician, map[string]any{"action": "SetTemporaryPassword", "ids": ids, "password": "Bulk-Temp-Pass-1"}), "Success", "Success", "Failed")
		if tk := w.signIn(c.login, "Bulk-Temp-Pass-1"); tk.RequiredAction != "ChangePassword" {
			t.Errorf("sign-in with the bulk temporary password: %+v", tk)
		}

		check(w.bulk(crewid.KindTechnician, map[string]any{"action": "SetLoginAndPassword", "ids": ids, "login": "bulk.login", "password": "Bulk-Assigned-Pass-1"}), "Success", "Failed", "Failed")
		w.wantStatus(a, "AdminAssigned")
		if tk := w.signIn("bulk.login", "Bulk-Assigned-Pass-1"); tk.RequiredAction != "ChangeLoginAndPassword" {
			t.Errorf("sign-in with the bulk assigned login: %+v", tk)
		}
		// A person without an account gets one from SetLoginAndPassword.
		w.actionOK(none, map[string]any{"action": "SetLoginAndPassword", "login": "none.login", "password": "Assigned-Pass-42"})
		w.wantStatus(none, "AdminAssigned")

		if status, raw := w.action(a, map[string]any{"action": "Frobnicate"}); status != 400 || !strings.Contains(string(raw), "SetLoginAndPassword") {
			t.Errorf("unknown action: %d %s", status, raw)
		}
	})
}
