package settings_test

// Custom roles, several roles per person, per-person overrides, changes to
// roles taking effect, people outside the organization, and tenants: all
// through HTTP with people's own tokens.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"crewid"
	"crewid/access"
	"crewid/people"
	"crewid/server"
	"crewid/store"
)

// effective reads a person's effective permissions as the API shows them.
func (w *peopleWorld) effective(t *testing.T, id int64) []int64 {
	t.Helper()
	var p struct {
		Permissions []struct {
			ID    int64  `json:"id"`
			Value string `json:"value"`
		} `json:"permissions"`
	}
	if err := json.Unmarshal(w.must(t, 200, "GET", w.sp("/employees/%d", id), nil), &p); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, perm := range p.Permissions {
		if perm.Value == "true" {
			ids = append(ids, perm.ID)
		}
	}
	return ids
}

// expect fails unless the person's request answers want.
func (w *peopleWorld) expect(t *testing.T, p signedIn, want int, method, path string, body any) []byte {
	t.Helper()
	status, raw := w.as(t, p, method, path, body)
	if status != want {
		t.Fatalf("%s %s: status %d, want %d; body %s", method, path, status, want, raw)
	}
	return raw
}

func TestRolesAndOverridesThroughHTTP(t *testing.T) {
	each(t, func(t *testing.T, h0 *h) {
		w := newWorld(t, h0)
		viewer := w.role(t, w.tid, access.PermViewEmployees)
		editor := w.role(t, w.tid, access.PermEditEmployee)
		p := w.person(t, w.tid, []int64{viewer.ID}, nil)
		newEmployee := func() any { return w.personBody("employees", "CreateLater") }

		// One role: reads, cannot create.
		w.expect(t, p, 200, "GET", w.sp("/employees"), nil)
		w.expect(t, p, 403, "POST", w.sp("/employees"), newEmployee())

		// Two roles: their union.
		w.must(t, 200, "PATCH", w.sp("/employees/%d", p.id), map[string]any{"roleIds": []int64{viewer.ID, editor.ID}})
		w.expect(t, p, 200, "POST", w.sp("/employees"), newEmployee())
		w.expect(t, p, 200, "GET", w.sp("/employees"), nil)

		// A deny override wins over the role; a grant adds what no role has.
		w.must(t, 200, "PATCH", w.sp("/employees/%d", p.id), map[string]any{"permissions": []map[string]any{
			{"id": access.PermViewEmployees, "value": "false"},
			{"id": access.PermGenerateAppKey, "value": "true"},
		}})
		w.expect(t, p, 403, "GET", w.sp("/employees"), nil)
		// Registering an application without Manage API Application
		// Access gives its key, not its client id and secret.
		raw := w.expect(t, p, 200, "POST", w.sp("/apps"), map[string]any{"name": "Granted by override", "scopes": []string{"settings.read"}})
		var created map[string]any
		if err := json.Unmarshal(raw, &created); err != nil || created["appKey"] == nil || created["clientId"] != nil || created["clientSecret"] != nil {
			t.Errorf("registered application: %s", raw)
		}
		got := w.effective(t, p.id)
		if !slices.Equal(got, []int64{access.PermEditEmployee, access.PermGenerateAppKey}) {
			t.Errorf("effective permissions %v, want Edit Employee and Generate API Application Key", got)
		}

		// Changing a role's permissions takes effect at once on this node.
		w.must(t, 200, "PATCH", w.sp("/user-roles/%d", editor.ID), map[string]any{"permissions": []int64{access.PermAdminAccess}})
		w.expect(t, p, 403, "POST", w.sp("/employees"), newEmployee())
		w.expect(t, p, 200, "POST", w.sp("/business-units"), map[string]any{"name": "Granted by role change"})

		// An inactive role grants nothing.
		w.must(t, 200, "PATCH", w.sp("/user-roles/%d", editor.ID), map[string]any{"active": false})
		w.expect(t, p, 403, "POST", w.sp("/business-units"), map[string]any{"name": "Refused"})

		// Taking the overrides away gives back what the roles say.
		w.must(t, 200, "PATCH", w.sp("/employees/%d", p.id), map[string]any{"permissions": []map[string]any{}})
		w.expect(t, p, 200, "GET", w.sp("/employees"), nil)
		w.expect(t, p, 403, "POST", w.sp("/apps"), map[string]any{"name": "No longer", "scopes": []string{"settings.read"}})
	})
}

// TestRoleChangeSeenByAnotherNode changes a role through one server and
// watches a second server on the same database, with caches of its own,
// apply it within 5 seconds.
func TestRoleChangeSeenByAnotherNode(t *testing.T) {
	each(t, func(t *testing.T, h0 *h) {
		w := newWorld(t, h0)
		other := server.New(server.Config{Store: w.env.Store, Environment: "integration", LocalOutbox: true, PublicURL: w.env.URL})
		node2 := httptest.NewServer(other.Handler)
		t.Cleanup(node2.Close)

		viewer := w.role(t, w.tid, access.PermViewEmployees)
		p := w.person(t, w.tid, []int64{viewer.ID}, nil)
		call := func() int {
			req, _ := http.NewRequest("GET", node2.URL+w.sp("/employees"), nil)
			req.Header.Set("Authorization", "Bearer "+p.token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if status := call(); status != 200 {
			t.Fatalf("second node before the change: %d", status)
		}
		w.must(t, 200, "PATCH", w.sp("/user-roles/%d", viewer.ID), map[string]any{"permissions": []int64{}})
		changed := time.Now()
		for call() != http.StatusForbidden {
			if time.Since(changed) > 5*time.Second {
				t.Fatal("the second node still allows the person 5 s after the role lost the permission")
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("second node refused %v after the change", time.Since(changed).Round(time.Millisecond))
	})
}

func TestExternalPeopleNeverHoldAdminOrAppKeys(t *testing.T) {
	each(t, func(t *testing.T, h0 *h) {
		w := newWorld(t, h0)
		admin := w.env.Roles[access.KeyAdministrator].ID
		external := func(roleIDs []int64, overrides []map[string]any) map[string]any {
			b := w.personBody("employees", "CreateLater")
			b["external"], b["roleIds"] = true, roleIDs
			if overrides != nil {
				b["permissions"] = overrides
			}
			return b
		}
		refused := func(body map[string]any, names ...string) {
			t.Helper()
			status, raw := w.do(t, "POST", w.sp("/employees"), body)
			if status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400; body %s", status, raw)
			}
			var problem struct {
				Errors map[string][]string `json:"errors"`
			}
			_ = json.Unmarshal(raw, &problem)
			msg := strings.Join(problem.Errors["permissions"], " ")
			for _, name := range names {
				if !strings.Contains(msg, name) || !strings.Contains(msg, "external") {
					t.Errorf("the refusal does not say why (%q, external): %s", name, raw)
				}
			}
		}

		// By role: the Administrator role holds both.
		refused(external([]int64{admin}, nil), "Admin Access", "Generate API Application Key")
		// By override: a harmless role plus a grant.
		harmless := w.role(t, w.tid, access.PermViewEmployees)
		refused(external([]int64{harmless.ID}, []map[string]any{{"id": access.PermGenerateAppKey, "value": "true"}}), "Generate API Application Key")
		// The Administrator role with both denied is fine.
		w.mustID(t, "POST", w.sp("/employees"), external([]int64{admin}, []map[string]any{
			{"id": access.PermAdminAccess, "value": "false"}, {"id": access.PermGenerateAppKey, "value": "false"},
		}))
		// An external person's role cannot be changed to grant them one.
		id := w.mustID(t, "POST", w.sp("/employees"), external([]int64{harmless.ID}, nil))
		status, raw := w.do(t, "PATCH", w.sp("/user-roles/%d", harmless.ID), map[string]any{"permissions": []int64{access.PermViewEmployees, access.PermAdminAccess}})
		if status != http.StatusBadRequest || !strings.Contains(string(raw), fmt.Sprintf("id %d", id)) || !strings.Contains(string(raw), "external") {
			t.Fatalf("role change giving an external person Admin Access: status %d, body %s", status, raw)
		}
		// Nor can the person be made external while holding one.
		inside := w.mustID(t, "POST", w.sp("/employees"), w.personBody("employees", "CreateLater"))
		w.must(t, 200, "PATCH", w.sp("/employees/%d", inside), map[string]any{"roleIds": []int64{admin}})
		status, raw = w.do(t, "PATCH", w.sp("/employees/%d", inside), map[string]any{"external": true})
		if status != http.StatusBadRequest || !strings.Contains(string(raw), "external") {
			t.Fatalf("making an administrator external: status %d, body %s", status, raw)
		}
	})
}

func TestPersonTokenOfAnotherTenant(t *testing.T) {
	each(t, func(t *testing.T, h0 *h) {
		w := newWorld(t, h0)
		other, _, _ := w.env.NewTenant(t, "Bolt Plumbing")
		p := w.holding(t, access.PermViewEmployees)
		w.expect(t, p, 200, "GET", w.sp("/employees"), nil)
		raw := w.expect(t, p, 404, "GET", fmt.Sprintf("/settings/v2/tenant/%d/employees", other.ID), nil)
		if !strings.Contains(string(raw), `"status":404`) {
			t.Errorf("404 body is not the error format: %s", raw)
		}
		// No denial is recorded in the other tenant: for this person it does
		// not exist.
		events, err := w.env.Store.Events(t.Context(), other.ID, store.EventQuery{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			if e.Type == access.EventPermissionDenied || e.Actor.Type == crewid.ActorPerson {
				t.Errorf("event %s by %+v in the other tenant", e.Type, e.Actor)
			}
		}
	})
}

// TestNoGivingWhatYouLack: a person who may assign roles still cannot give
// anyone, themselves included, a permission they do not hold.
func TestNoGivingWhatYouLack(t *testing.T) {
	each(t, func(t *testing.T, h0 *h) {
		w := newWorld(t, h0)
		admin := w.env.Roles[access.KeyAdministrator].ID
		assigner := w.role(t, w.tid, access.PermEditEmployee, access.PermAssignRoles, access.PermViewEmployees)
		p := w.person(t, w.tid, []int64{assigner.ID}, nil)
		target := w.mustID(t, "POST", w.sp("/employees"), w.personBody("employees", "CreateLater"))

		for name, body := range map[string]any{
			"the Administrator role to themselves": map[string]any{"roleIds": []int64{assigner.ID, admin}},
			"a permission by override":             map[string]any{"permissions": []map[string]any{{"id": access.PermAdminAccess, "value": "true"}}},
		} {
			before := w.lastEventID(t)
			raw := w.expect(t, p, 403, "PATCH", w.sp("/employees/%d", p.id), body)
			if !strings.Contains(string(raw), "Admin Access") {
				t.Errorf("%s: the refusal does not name the permission: %s", name, raw)
			}
			events := w.eventsAfter(t, before)
			if len(events) != 1 || events[0].Type != access.EventPermissionDenied || events[0].Actor.ID != p.id {
				t.Errorf("%s: events after the refusal: %+v", name, events)
			}
		}
		// Giving a role made only of what they hold is fine, to anyone.
		own := w.role(t, w.tid, access.PermViewEmployees)
		w.expect(t, p, 200, "PATCH", w.sp("/employees/%d", target), map[string]any{"roleIds": []int64{w.plainRole, own.ID}})
		// An administrator may give anything.
		boss := w.person(t, w.tid, []int64{admin}, nil)
		w.expect(t, boss, 200, "PATCH", w.sp("/employees/%d", target), map[string]any{"roleIds": []int64{admin}})
	})
}

// TestNoOneGivesMoreThanTheyHold: a person can hand out power only as far
// as their own permissions reach, whether through a role they edit or an
// application they register, connect or rescope, and a role's employee
// type cannot strand the people holding it.
func TestNoOneGivesMoreThanTheyHold(t *testing.T) {
	each(t, func(t *testing.T, h0 *h) {
		w := newWorld(t, h0)

		// Manage Roles alone: a role may carry only what its editor holds,
		// also the editor's own role.
		ownRole := w.role(t, w.tid, access.PermManageRoles, access.PermViewEmployees)
		editor := w.person(t, w.tid, []int64{ownRole.ID}, nil)
		w.expect(t, editor, 200, "POST", w.sp("/user-roles"), map[string]any{
			"name": fmt.Sprintf("Viewers %d", w.unique()), "employeeType": "All", "permissions": []int64{access.PermViewEmployees}})
		raw := w.expect(t, editor, 403, "POST", w.sp("/user-roles"), map[string]any{
			"name": fmt.Sprintf("Admins %d", w.unique()), "employeeType": "All", "permissions": []int64{access.PermAdminAccess}})
		if !strings.Contains(string(raw), "Admin Access") {
			t.Errorf("refusal does not name the permission: %s", raw)
		}
		w.expect(t, editor, 403, "PATCH", w.sp("/user-roles/%d", ownRole.ID), map[string]any{
			"permissions": []int64{access.PermManageRoles, access.PermViewEmployees, access.PermAdminAccess}})
		if got := w.effective(t, editor.id); slices.Contains(got, access.PermAdminAccess) {
			t.Fatalf("the editor gave themselves Admin Access: %v", got)
		}
		// A role carrying more than the editor holds is not theirs to
		// rename or delete.
		w.expect(t, editor, 403, "PATCH", w.sp("/user-roles/%d", w.env.Roles[access.KeyAdministrator].ID), map[string]any{"name": "Renamed by a role editor"})
		bigger := w.role(t, w.tid, access.PermViewEmployees, access.PermViewHistory)
		w.expect(t, editor, 403, "DELETE", w.sp("/user-roles/%d", bigger.ID), nil)
		smaller := w.role(t, w.tid, access.PermViewEmployees)
		w.expect(t, editor, 200, "PATCH", w.sp("/user-roles/%d", smaller.ID), map[string]any{"name": fmt.Sprintf("Renamed %d", w.unique())})

		// Generate API Application Key alone registers an application and
		// gets its key, never a client secret, and only for scopes it could
		// use itself.
		registrar := w.holding(t, access.PermGenerateAppKey, access.PermViewEmployees)
		raw = w.expect(t, registrar, 200, "POST", w.sp("/apps"), map[string]any{"name": fmt.Sprintf("Reader %d", w.unique()), "scopes": []string{"people.read"}})
		var reg map[string]any
		if err := json.Unmarshal(raw, &reg); err != nil || reg["appKey"] == nil || reg["clientSecret"] != nil || reg["clientId"] != nil {
			t.Errorf("registration without Manage API Application Access: %s", raw)
		}
		readerApp := int64(reg["id"].(float64))
		w.expect(t, registrar, 403, "POST", w.sp("/apps"), map[string]any{"name": fmt.Sprintf("Writer %d", w.unique()), "scopes": []string{"people.write", "roles"}})
		w.expect(t, registrar, 403, "POST", w.sp("/apps"), map[string]any{"name": fmt.Sprintf("Everything %d", w.unique())})

		// Manage API Application Access connects: a secret for what it
		// holds, not for an application whose scopes go beyond that.
		connector := w.holding(t, access.PermManageAppAccess, access.PermGenerateAppKey, access.PermViewEmployees)
		raw = w.expect(t, connector, 200, "POST", w.sp("/apps/%d/secrets", readerApp), nil)
		if !strings.Contains(string(raw), "clientSecret") {
			t.Errorf("connecting the registered application: %s", raw)
		}
		powerful := w.mustID(t, "POST", w.sp("/apps"), map[string]any{"name": fmt.Sprintf("Admin tool %d", w.unique()), "scopes": []string{"people.read", "roles"}})
		w.expect(t, connector, 403, "POST", w.sp("/apps/%d/secrets", powerful), nil)
		w.expect(t, connector, 403, "PATCH", w.sp("/apps/%d", readerApp), map[string]any{"scopes": []string{"people.read", "apps"}})
		patched := w.expect(t, connector, 200, "PATCH", w.sp("/apps/%d", readerApp), map[string]any{"scopes": []string{"people.read", "settings.read"}})
		var answered, read struct {
			ModifiedOn string `json:"modifiedOn"`
		}
		_ = json.Unmarshal(patched, &answered)
		_ = json.Unmarshal(w.must(t, 200, "GET", w.sp("/apps/%d", readerApp), nil), &read)
		if answered.ModifiedOn == "" || answered.ModifiedOn != read.ModifiedOn {
			t.Errorf("modifiedOn answered %q, read back %q", answered.ModifiedOn, read.ModifiedOn)
		}
		w.must(t, 400, "POST", w.sp("/apps"), map[string]any{"name": fmt.Sprintf("No scopes %d", w.unique()), "scopes": []string{}})
		// Taking a scope away is as much beyond them as giving it: narrowed,
		// the application would get a secret that widening brings back.
		w.expect(t, connector, 403, "PATCH", w.sp("/apps/%d", powerful), map[string]any{"scopes": []string{"people.read"}})
		// people.write and roles need Admin Access: an application is not
		// held to "give only what you hold".
		peopleAdmin := w.holding(t, access.PermViewEmployees, access.PermEditEmployee, access.PermActivateDeactivate,
			access.PermManageLogins, access.PermAssignRoles, access.PermManageAppAccess, access.PermGenerateAppKey, access.PermManageRoles)
		w.expect(t, peopleAdmin, 403, "POST", w.sp("/apps"), map[string]any{"name": fmt.Sprintf("Writer %d", w.unique()), "scopes": []string{"people.write"}})
		w.expect(t, peopleAdmin, 403, "POST", w.sp("/apps"), map[string]any{"name": fmt.Sprintf("Roles %d", w.unique()), "scopes": []string{"roles"}})

		// Webhooks deliver the history: subscribing needs View History too.
		w.expect(t, w.holding(t, access.PermManageWebhooks), 403, "POST", w.sp("/webhooks"), map[string]any{"url": "https://203.0.113.10/hooks/x", "events": []string{"*"}})
		w.expect(t, w.holding(t, access.PermManageWebhooks, access.PermViewHistory), 200, "POST", w.sp("/webhooks"), map[string]any{"url": "https://203.0.113.10/hooks/y", "events": []string{"*"}})

		// A permission alone opens its setting; Admin Access opens them all.
		w.expect(t, w.holding(t, access.PermViewHistory), 200, "GET", w.sp("/history"), nil)
		w.expect(t, w.holding(t, access.PermManageWebhooks), 200, "GET", w.sp("/webhooks"), nil)
		w.expect(t, w.holding(t, access.PermManageBusinessUnits), 200, "POST", w.sp("/business-units"), map[string]any{"name": fmt.Sprintf("Unit %d", w.unique())})
		w.expect(t, w.holding(t, access.PermAdminAccess), 200, "GET", w.sp("/history"), nil)
		w.expect(t, w.holding(t, access.PermManageWebhooks), 403, "GET", w.sp("/history"), nil)

		// Managing logins, activation and profiles stops at people who
		// hold more: their password, login, mobile number or reset link
		// would hand that power over.
		manager := w.holding(t, access.PermViewEmployees, access.PermEditEmployee, access.PermActivateDeactivate, access.PermManageLogins)
		admin := w.person(t, w.tid, []int64{w.env.Roles[access.KeyAdministrator].ID}, nil)
		var adminRecord struct {
			Email string `json:"email"`
		}
		_ = json.Unmarshal(w.must(t, 200, "GET", w.sp("/employees/%d", admin.id), nil), &adminRecord)
		adminEmail := adminRecord.Email
		for _, body := range []map[string]any{
			{"action": "SetTemporaryPassword", "password": "Taken-Over-Pass-1"},
			{"action": "SetLoginAndPassword", "login": fmt.Sprintf("taken%d", w.unique()), "password": "Taken-Over-Pass-1"},
			{"action": "SendPasswordResetLink"},
			{"action": "Deactivate"},
		} {
			raw := w.expect(t, manager, 403, "POST", w.sp("/employees/%d/account-actions", admin.id), body)
			if !strings.Contains(string(raw), "Admin Access") {
				t.Errorf("%v on an administrator: the refusal does not say why: %s", body["action"], raw)
			}
		}
		w.expect(t, manager, 403, "PATCH", w.sp("/employees/%d", admin.id), map[string]any{"mobilePhoneNumber": "(555) 010-9999"})
		if code, _ := w.as(t, admin, "GET", "/me", nil); code != 200 {
			t.Errorf("the administrator's session after the refused actions: %d", code)
		}
		// Not even an administrator deactivates themselves.
		w.expect(t, admin, 400, "POST", w.sp("/employees/%d/account-actions", admin.id), map[string]any{"action": "Deactivate"})
		peer := w.person(t, w.tid, []int64{w.role(t, w.tid, access.PermViewEmployees).ID}, nil)
		w.expect(t, manager, 200, "POST", w.sp("/employees/%d/account-actions", peer.id), map[string]any{"action": "SetTemporaryPassword", "password": "Temporary-Pass-77"})
		w.expect(t, manager, 200, "PATCH", w.sp("/employees/%d", peer.id), map[string]any{"mobilePhoneNumber": "(555) 010-8888"})
		// The trade's permissions (a technician's dispatch, pricing, …) do
		// not stand in the way: managing technicians is the manager's job.
		fieldTech := w.newPerson(t, "technicians", "CreateLater")
		w.must(t, 200, "PATCH", w.sp("/technicians/%d", fieldTech), map[string]any{"roleIds": []int64{w.env.Roles[access.KeyTechnician].ID}})
		w.expect(t, manager, 200, "PATCH", w.sp("/technicians/%d", fieldTech), map[string]any{"phoneNumber": "(555) 010-7777"})

		// What leads to an account (its email, mobile number, single
		// sign-on id, its creation) is for whoever manages logins.
		editorOnly := w.holding(t, access.PermViewEmployees, access.PermEditEmployee)
		withAccount := w.person(t, w.tid, []int64{w.role(t, w.tid, access.PermViewEmployees).ID}, nil)
		for _, body := range []map[string]any{{"email": "elsewhere@example.com"}, {"mobilePhoneNumber": "(555) 010-6666"}, {"aadUserId": "someone-else"}} {
			w.expect(t, editorOnly, 403, "PATCH", w.sp("/employees/%d", withAccount.id), body)
		}
		w.expect(t, editorOnly, 200, "PATCH", w.sp("/employees/%d", withAccount.id), map[string]any{"phoneNumber": "(555) 010-5555"})
		// The single sign-on id is a way in by itself, account or not.
		noAccount := w.newPerson(t, "employees", "CreateLater")
		w.expect(t, editorOnly, 403, "PATCH", w.sp("/employees/%d", noAccount), map[string]any{"aadUserId": "someone-else"})
		w.expect(t, editorOnly, 200, "PATCH", w.sp("/employees/%d", noAccount), map[string]any{"mobilePhoneNumber": "(555) 010-4444"})
		invite := w.personBody("employees", "SendInvite")
		w.expect(t, editorOnly, 403, "POST", w.sp("/employees"), invite)

		// The outbox hides the messages of people one may not manage: the
		// reset code a stranger can request for an administrator. Those
		// of people one may manage stay readable.
		var peerRecord struct {
			Email string `json:"email"`
		}
		_ = json.Unmarshal(w.must(t, 200, "GET", w.sp("/employees/%d", peer.id), nil), &peerRecord)
		for _, who := range []string{adminEmail, peerRecord.Email} {
			if code, raw := w.env.Do(t, nil, "POST", "/auth/password-reset/start", map[string]string{"identifier": who}); code != 202 {
				t.Fatalf("reset start: %d %s", code, raw)
			}
		}
		var box struct {
			Data []struct {
				Recipient string `json:"recipient"`
				Body      string `json:"body"`
			} `json:"data"`
		}
		seenAdmin, seenPeer := 0, 0
		// The resets are started in the background: wait for their messages.
		for deadline := time.Now().Add(10 * time.Second); (seenAdmin == 0 || seenPeer == 0) && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			seenAdmin, seenPeer = 0, 0
			_ = json.Unmarshal(w.expect(t, manager, 200, "GET", w.sp("/outbox?pageSize=200"), nil), &box)
			for _, m := range box.Data {
				switch m.Recipient {
				case adminEmail:
					seenAdmin++
					if m.Body != people.HiddenMessage {
						t.Fatalf("the manager reads the administrator's message: %q", m.Body)
					}
				case peerRecord.Email:
					seenPeer++
					if m.Body == people.HiddenMessage {
						t.Fatalf("the manager cannot read the message of someone they manage")
					}
				}
			}
		}
		if seenAdmin == 0 || seenPeer == 0 {
			t.Errorf("messages in the outbox: %d to the administrator, %d to the peer", seenAdmin, seenPeer)
		}

		// A role held by a technician cannot become an Employee role.
		techRole := w.role(t, w.tid)
		tech := w.newPerson(t, "technicians", "CreateLater")
		w.must(t, 200, "PATCH", w.sp("/technicians/%d", tech), map[string]any{"roleIds": []int64{techRole.ID}})
		raw = w.must(t, 409, "PATCH", w.sp("/user-roles/%d", techRole.ID), map[string]any{"employeeType": "Employee"})
		if !strings.Contains(string(raw), "employeeType") {
			t.Errorf("refusal does not name employeeType: %s", raw)
		}
		w.must(t, 200, "PATCH", w.sp("/user-roles/%d", techRole.ID), map[string]any{"employeeType": "Technician"})
	})
}
