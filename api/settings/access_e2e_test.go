package settings_test

// People's access tokens on the Settings API: every route, with and
// without the permission it needs.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"crewid"
	"crewid/access"
	"crewid/api/settings"
	"crewid/people"
	"crewid/store"
)

// personAgent is the User-Agent people's requests send, to find it in
// history.
const personAgent = "crewid-access-test/1.0"

// people signs people in and calls the API with their tokens.
type peopleWorld struct {
	*h
	mu     sync.Mutex
	tokens map[string]signedIn
	n      atomic.Int64
	// plainRole grants nothing.
	plainRole int64
}

type signedIn struct {
	id    int64
	token string
}

var operator = crewid.Actor{Type: crewid.ActorOperator, Name: "access test"}

// newWorld wraps a running server; people it creates hold plainRole, a
// role granting nothing, unless a test says otherwise, so that whoever
// creates them needs no permission beyond the route's (a person cannot
// give permissions they do not hold).
func newWorld(t *testing.T, h0 *h) *peopleWorld {
	w := &peopleWorld{h: h0, tokens: map[string]signedIn{}}
	w.plainRole = w.role(t, w.tid).ID
	return w
}

// unique returns a new number for names, emails and phone numbers.
func (w *peopleWorld) unique() int64 { return w.n.Add(1) }

// role creates a custom role holding exactly perms.
func (w *peopleWorld) role(t *testing.T, tenantID int64, perms ...int64) crewid.Role {
	t.Helper()
	r, err := w.env.Server.Org.CreateRole(context.Background(), operator, tenantID, crewid.Role{
		Name: fmt.Sprintf("Role %d", w.unique()), EmployeeType: crewid.EmployeeTypeAll, Active: true, Permissions: append([]int64{}, perms...),
	})
	if err != nil {
		t.Fatalf("create role: %v", err)
	}
	return r
}

// person creates an employee of the tenant with a login and password of
// their own, holding roles and overrides, and signs them in.
func (w *peopleWorld) person(t *testing.T, tenantID int64, roleIDs []int64, overrides []crewid.PermissionOverride) signedIn {
	t.Helper()
	n := w.unique()
	login, pw := fmt.Sprintf("person%d.%d", tenantID, n), fmt.Sprintf("Sturdy-Passphrase-%d", n)
	p, err := w.env.Server.People.Create(context.Background(), operator, crewid.Person{
		TenantID: tenantID, Kind: crewid.KindEmployee, Name: fmt.Sprintf("Person %d", n),
		Email: fmt.Sprintf("person%d.%d@example.com", tenantID, n), RoleIDs: roleIDs, Overrides: overrides,
	}, people.AccountSetup{Method: people.AssignLoginAndPassword, Login: login, Password: pw, OwnChoice: true})
	if err != nil {
		t.Fatalf("create person: %v", err)
	}
	status, raw := w.env.Do(t, nil, "POST", "/auth/sign-in", map[string]string{"login": login, "password": pw})
	if status != http.StatusOK {
		t.Fatalf("sign-in: status %d, body %s", status, raw)
	}
	var tok struct {
		AccessToken string `json:"accessToken"`
	}
	if err := json.Unmarshal(raw, &tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("sign-in answered %s", raw)
	}
	return signedIn{id: p.ID, token: tok.AccessToken}
}

// holding returns a person of the tenant holding exactly perms (through
// one custom role), signed in; one per set of permissions.
func (w *peopleWorld) holding(t *testing.T, perms ...int64) signedIn {
	t.Helper()
	key := fmt.Sprint("holding", perms)
	w.mu.Lock()
	defer w.mu.Unlock()
	if p, ok := w.tokens[key]; ok {
		return p
	}
	p := w.person(t, w.tid, []int64{w.role(t, w.tid, perms...).ID}, nil)
	w.tokens[key] = p
	return p
}

// lacking returns a person holding every permission but perm: an
// Administrator with perm denied by a per-person override, and Admin
// Access too where it stands in for perm.
func (w *peopleWorld) lacking(t *testing.T, perm int64) signedIn {
	t.Helper()
	key := fmt.Sprint("lacking", perm)
	w.mu.Lock()
	defer w.mu.Unlock()
	if p, ok := w.tokens[key]; ok {
		return p
	}
	admin := w.env.Roles[access.KeyAdministrator].ID
	denied := []crewid.PermissionOverride{{PermissionID: perm, Granted: false}}
	if access.OpenedByAdminAccess(perm) {
		denied = append(denied, crewid.PermissionOverride{PermissionID: access.PermAdminAccess, Granted: false})
	}
	p := w.person(t, w.tid, []int64{admin}, denied)
	w.tokens[key] = p
	return p
}

// as sends a request with a person's token and no application key.
func (w *peopleWorld) as(t *testing.T, p signedIn, method, path string, body any) (int, []byte) {
	t.Helper()
	return w.env.Do(t, func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+p.token)
		r.Header.Set("User-Agent", personAgent)
		return nil
	}, method, path, body)
}

// lastEventID is the id of the tenant's newest event.
func (w *peopleWorld) lastEventID(t *testing.T) int64 {
	t.Helper()
	page, err := w.env.Store.History(context.Background(), w.tid, store.HistoryQuery{Page: 1, PageSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) == 0 {
		return 0
	}
	return page.Items[0].ID
}

// eventsAfter lists the tenant's events after id.
func (w *peopleWorld) eventsAfter(t *testing.T, id int64) []crewid.Event {
	t.Helper()
	events, err := w.env.Store.Events(context.Background(), w.tid, store.EventQuery{AfterID: id, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return events
}

// checkDenied checks a refused request: 403 in the contract's error
// format, and the one event written since before is the refusal, naming
// the operation and the missing permission, with the person as actor and
// their address and user agent: nothing else changed.
func (w *peopleWorld) checkDenied(t *testing.T, p signedIn, before int64, operation string, perm int64, status int, raw []byte) {
	t.Helper()
	if status != http.StatusForbidden {
		t.Fatalf("status %d, want 403; body %s", status, raw)
	}
	var problem struct {
		Status int                 `json:"status"`
		Title  string              `json:"title"`
		Errors map[string][]string `json:"errors"`
	}
	if err := json.Unmarshal(raw, &problem); err != nil || problem.Status != http.StatusForbidden || problem.Errors == nil {
		t.Errorf("403 body is not the error format: %s", raw)
	}
	perm0, _ := access.PermissionByID(perm)
	if !strings.Contains(problem.Title, perm0.Name) {
		t.Errorf("403 title %q does not name the permission %q", problem.Title, perm0.Name)
	}
	events := w.eventsAfter(t, before)
	if len(events) != 1 {
		types := []string{}
		for _, e := range events {
			types = append(types, e.Type)
		}
		t.Fatalf("events after a refused request: %v, want exactly one %s", types, access.EventPermissionDenied)
	}
	e := events[0]
	var d access.Denial
	if err := json.Unmarshal(e.After, &d); err != nil {
		t.Fatalf("denial event after: %s", e.After)
	}
	switch {
	case e.Type != access.EventPermissionDenied:
		t.Errorf("event type %q, want %q", e.Type, access.EventPermissionDenied)
	case e.Actor.Type != crewid.ActorPerson || e.Actor.ID != p.id:
		t.Errorf("event actor %+v, want person %d", e.Actor, p.id)
	case e.Actor.IP == "" || e.Actor.UserAgent != personAgent:
		t.Errorf("event actor ip %q, user agent %q", e.Actor.IP, e.Actor.UserAgent)
	case e.RecordType != string(crewid.KindEmployee) || e.RecordID != p.id:
		t.Errorf("event record %s %d, want the person", e.RecordType, e.RecordID)
	case d.Operation != operation || d.PermissionID != perm || d.PermissionName != perm0.Name:
		t.Errorf("denial %+v, want operation %q and permission %d", d, operation, perm)
	}
}

// routeCase is one way to call a route: what a person needs for it and a
// request that succeeds when they have it. setup runs just before each
// call and returns the path (after the tenant's base) and body; it may
// create what the call uses up.
type routeCase struct {
	name  string
	perm  int64   // the permission checked (access.AnyPerson for none)
	extra []int64 // more permissions the request also needs
	setup func(t *testing.T, w *peopleWorld) (string, any)
	// passes, when set, accepts any answer but 403 and 5xx from a person
	// with the permission: the request got past the check, and what
	// follows depends on things outside this test (an identity provider).
	passes bool
}

func fixed(path string, body any) func(*testing.T, *peopleWorld) (string, any) {
	return func(*testing.T, *peopleWorld) (string, any) { return path, body }
}

// routeTable lists, for every route of the Settings and Dispatch APIs
// ("METHOD pattern" after the tenant base), the requests that exercise it.
// A route missing here fails TestEveryRouteEnforcesItsPermission.
func routeTable() map[string][]routeCase {
	tab := map[string][]routeCase{}
	add := func(method, path string, cases ...routeCase) {
		tab[method+" "+path] = append(tab[method+" "+path], cases...)
	}
	for _, kind := range []string{"employees", "technicians"} {
		add("GET", "/"+kind, routeCase{perm: access.PermViewEmployees, setup: fixed("/"+kind, nil)})
		add("GET", "/export/"+kind, routeCase{perm: access.PermViewEmployees, setup: fixed("/export/"+kind, nil)})
		add("GET", "/"+kind+"/{id}", routeCase{perm: access.PermViewEmployees, setup: func(t *testing.T, w *peopleWorld) (string, any) {
			return fmt.Sprintf("/%s/%d", kind, w.newPerson(t, kind, "CreateLater")), nil
		}})
		add("POST", "/"+kind,
			routeCase{name: "CreateLater", perm: access.PermEditEmployee, setup: func(t *testing.T, w *peopleWorld) (string, any) {
				return "/" + kind, w.personBody(kind, "CreateLater")
			}},
			routeCase{name: "SendInvite", perm: access.PermEditEmployee, extra: []int64{access.PermManageLogins}, setup: func(t *testing.T, w *peopleWorld) (string, any) {
				return "/" + kind, w.personBody(kind, "SendInvite")
			}},
			routeCase{name: "SendInvite without account rights", perm: access.PermManageLogins, extra: []int64{access.PermEditEmployee}, setup: func(t *testing.T, w *peopleWorld) (string, any) {
				return "/" + kind, w.personBody(kind, "SendInvite")
			}},
		)
		add("PATCH", "/"+kind+"/{id}",
			routeCase{name: "profile", perm: access.PermEditEmployee, setup: func(t *testing.T, w *peopleWorld) (string, any) {
				return fmt.Sprintf("/%s/%d", kind, w.newPerson(t, kind, "CreateLater")), map[string]any{"name": fmt.Sprintf("Renamed %d", w.unique())}
			}},
			routeCase{name: "roles", perm: access.PermAssignRoles, extra: []int64{access.PermEditEmployee}, setup: func(t *testing.T, w *peopleWorld) (string, any) {
				return fmt.Sprintf("/%s/%d", kind, w.newPerson(t, kind, "CreateLater")), map[string]any{"roleIds": []int64{w.plainRole, w.role(t, w.tid, access.PermEditEmployee).ID}}
			}},
			routeCase{name: "lock", perm: access.PermManageLogins, extra: []int64{access.PermEditEmployee}, setup: func(t *testing.T, w *peopleWorld) (string, any) {
				return fmt.Sprintf("/%s/%d", kind, w.newPerson(t, kind, "AssignLoginAndPassword")), map[string]any{"accountLocked": true}
			}},
		)
		for _, action := range []struct {
			name   string
			perm   int64
			target string // how the target's account is set up
			body   map[string]any
		}{
			{"Deactivate", access.PermActivateDeactivate, "CreateLater", nil},
			{"Activate", access.PermActivateDeactivate, "inactive", map[string]any{"licenseType": "ManagedTechnician"}},
			{"SendInvite", access.PermManageLogins, "SendInvite", nil},
			{"SendPasswordResetLink", access.PermManageLogins, "AssignLoginAndPassword", nil},
			{"SetTemporaryPassword", access.PermManageLogins, "AssignLoginAndPassword", map[string]any{"password": "Temporary-Pass-42"}},
			{"Unlock", access.PermManageLogins, "AssignLoginAndPassword", nil},
			{"SetLoginAndPassword", access.PermManageLogins, "CreateLater", map[string]any{"password": "Assigned-Pass-42"}},
		} {
			body := func(w *peopleWorld) map[string]any {
				b := map[string]any{"action": action.name}
				for k, v := range action.body {
					b[k] = v
				}
				if action.name == "SetLoginAndPassword" {
					b["login"] = fmt.Sprintf("assigned%d", w.unique())
				}
				return b
			}
			add("POST", "/"+kind+"/{id}/account-actions", routeCase{name: action.name, perm: action.perm, setup: func(t *testing.T, w *peopleWorld) (string, any) {
				return fmt.Sprintf("/%s/%d/account-actions", kind, w.newPerson(t, kind, action.target)), body(w)
			}})
			add("POST", "/"+kind+"/account-actions", routeCase{name: action.name, perm: action.perm, setup: func(t *testing.T, w *peopleWorld) (string, any) {
				id := w.newPerson(t, kind, action.target)
				b := body(w)
				b["ids"] = []int64{id}
				if lt, ok := b["licenseType"]; ok {
					b["licenseTypes"] = map[string]any{fmt.Sprint(id): lt}
				}
				return "/" + kind + "/account-actions", b
			}})
		}
	}

	add("GET", "/user-roles", routeCase{perm: access.AnyPerson, setup: fixed("/user-roles", nil)})
	add("GET", "/user-roles/{id}", routeCase{perm: access.AnyPerson, setup: func(t *testing.T, w *peopleWorld) (string, any) {
		return fmt.Sprintf("/user-roles/%d", w.kindRole("employees")), nil
	}})
	add("POST", "/user-roles", routeCase{perm: access.PermManageRoles, extra: []int64{access.PermViewEmployees}, setup: func(t *testing.T, w *peopleWorld) (string, any) {
		return "/user-roles", map[string]any{"name": fmt.Sprintf("Custom %d", w.unique()), "employeeType": "All", "permissions": []int64{access.PermViewEmployees}}
	}})
	add("PATCH", "/user-roles/{id}", routeCase{perm: access.PermManageRoles, setup: func(t *testing.T, w *peopleWorld) (string, any) {
		return fmt.Sprintf("/user-roles/%d", w.role(t, w.tid).ID), map[string]any{"name": fmt.Sprintf("Renamed %d", w.unique())}
	}})
	add("DELETE", "/user-roles/{id}", routeCase{perm: access.PermManageRoles, setup: func(t *testing.T, w *peopleWorld) (string, any) {
		return fmt.Sprintf("/user-roles/%d", w.role(t, w.tid).ID), nil
	}})
	add("GET", "/permissions", routeCase{perm: access.AnyPerson, setup: fixed("/permissions", nil)})

	// Settings records: anyone signed in reads them, their own permission
	// (or Admin Access) changes them.
	records := []struct {
		path   string
		perm   int64
		create func(w *peopleWorld) map[string]any
		patch  bool
		delete bool
		export bool
	}{
		{"/business-units", access.PermManageBusinessUnits, func(w *peopleWorld) map[string]any { return map[string]any{"name": fmt.Sprintf("Unit %d", w.unique())} }, true, true, true},
		{"/tag-types", access.PermManageTagTypes, func(w *peopleWorld) map[string]any { return map[string]any{"name": fmt.Sprintf("Tag %d", w.unique())} }, true, false, true},
		{"/custom-field-types", access.PermManageCustomFields, func(w *peopleWorld) map[string]any {
			return map[string]any{"name": fmt.Sprintf("Field %d", w.unique()), "appliesTo": "Technician", "dataType": "Text"}
		}, true, false, false},
	}
	for _, rec := range records {
		newOne := func(t *testing.T, w *peopleWorld) int64 {
			return w.mustID(t, "POST", w.sp("%s", rec.path), rec.create(w))
		}
		add("GET", rec.path, routeCase{perm: access.AnyPerson, setup: fixed(rec.path, nil)})
		add("GET", rec.path+"/{id}", routeCase{perm: access.AnyPerson, setup: func(t *testing.T, w *peopleWorld) (string, any) {
			return fmt.Sprintf("%s/%d", rec.path, newOne(t, w)), nil
		}})
		add("POST", rec.path, routeCase{perm: rec.perm, setup: func(t *testing.T, w *peopleWorld) (string, any) { return rec.path, rec.create(w) }})
		if rec.patch {
			add("PATCH", rec.path+"/{id}", routeCase{perm: rec.perm, setup: func(t *testing.T, w *peopleWorld) (string, any) {
				return fmt.Sprintf("%s/%d", rec.path, newOne(t, w)), map[string]any{"name": fmt.Sprintf("Renamed %d", w.unique())}
			}})
		}
		if rec.delete {
			add("DELETE", rec.path+"/{id}", routeCase{perm: rec.perm, setup: func(t *testing.T, w *peopleWorld) (string, any) {
				return fmt.Sprintf("%s/%d", rec.path, newOne(t, w)), nil
			}})
		}
		if rec.export {
			add("GET", "/export"+rec.path, routeCase{perm: access.AnyPerson, setup: fixed("/export"+rec.path, nil)})
		}
	}

	add("GET", "/history", routeCase{perm: access.PermViewHistory, setup: fixed("/history", nil)})
	add("GET", "/export/history", routeCase{perm: access.PermViewHistory, setup: fixed("/export/history", nil)})
	add("GET", "/outbox", routeCase{perm: access.PermManageLogins, setup: fixed("/outbox", nil)})

	newApp := func(t *testing.T, w *peopleWorld) int64 {
		return w.mustID(t, "POST", w.sp("/apps"), map[string]any{"name": fmt.Sprintf("App %d", w.unique()), "scopes": []string{"settings.read"}})
	}
	add("POST", "/apps", routeCase{perm: access.PermGenerateAppKey, setup: func(t *testing.T, w *peopleWorld) (string, any) {
		return "/apps", map[string]any{"name": fmt.Sprintf("App %d", w.unique()), "scopes": []string{"settings.read"}}
	}})
	add("GET", "/apps", routeCase{perm: access.PermManageAppAccess, setup: fixed("/apps", nil)})
	add("GET", "/apps/{id}", routeCase{perm: access.PermManageAppAccess, setup: func(t *testing.T, w *peopleWorld) (string, any) {
		return fmt.Sprintf("/apps/%d", newApp(t, w)), nil
	}})
	add("PATCH", "/apps/{id}", routeCase{perm: access.PermManageAppAccess, setup: func(t *testing.T, w *peopleWorld) (string, any) {
		return fmt.Sprintf("/apps/%d", newApp(t, w)), map[string]any{"active": false}
	}})
	add("POST", "/apps/{id}/secrets", routeCase{perm: access.PermManageAppAccess, setup: func(t *testing.T, w *peopleWorld) (string, any) {
		return fmt.Sprintf("/apps/%d/secrets", newApp(t, w)), nil
	}})
	add("DELETE", "/apps/{id}/secrets/{secretId}", routeCase{perm: access.PermManageAppAccess, setup: func(t *testing.T, w *peopleWorld) (string, any) {
		id := newApp(t, w)
		var app struct {
			Secrets []struct {
				ID int64 `json:"id"`
			} `json:"secrets"`
		}
		if err := json.Unmarshal(w.must(t, 200, "GET", w.sp("/apps/%d", id), nil), &app); err != nil || len(app.Secrets) != 1 {
			t.Fatalf("app secrets: %v %+v", err, app)
		}
		return fmt.Sprintf("/apps/%d/secrets/%d", id, app.Secrets[0].ID), nil
	}})

	newWebhook := func(t *testing.T, w *peopleWorld) int64 {
		return w.mustID(t, "POST", w.sp("/webhooks"), map[string]any{"url": "https://203.0.113.10/hooks/crewid", "events": []string{"*"}})
	}
	add("POST", "/webhooks", routeCase{perm: access.PermManageWebhooks, extra: []int64{access.PermViewHistory}, setup: fixed("/webhooks", map[string]any{"url": "https://203.0.113.10/hooks/crewid", "events": []string{"*"}})})
	add("GET", "/webhooks", routeCase{perm: access.PermManageWebhooks, setup: fixed("/webhooks", nil)})
	for _, op := range []struct{ method, suffix string }{{"GET", ""}, {"PATCH", ""}, {"DELETE", ""}, {"GET", "/deliveries"}, {"POST", "/redeliver"}} {
		add(op.method, "/webhooks/{id}"+op.suffix, routeCase{perm: access.PermManageWebhooks, extra: []int64{access.PermViewHistory}, setup: func(t *testing.T, w *peopleWorld) (string, any) {
			var body any
			switch op.method {
			case "PATCH":
				body = map[string]any{"events": []string{"Technician.*"}}
			case "POST":
				body = map[string]any{"occurredOnOrAfter": "2020-01-01"}
			}
			return fmt.Sprintf("/webhooks/%d%s", newWebhook(t, w), op.suffix), body
		}})
	}

	add("GET", "/sso", routeCase{perm: access.PermAdminAccess, passes: true, setup: fixed("/sso", nil)})
	add("PUT", "/sso", routeCase{perm: access.PermAdminAccess, passes: true, setup: fixed("/sso", map[string]any{"enabled": false})})

	team := func(w *peopleWorld) map[string]any {
		return map[string]any{"name": fmt.Sprintf("Team %d", w.unique()), "active": true}
	}
	zone := func(w *peopleWorld) map[string]any { return map[string]any{"name": fmt.Sprintf("Zone %d", w.unique())} }
	for _, rec := range []struct {
		path   string
		create func(*peopleWorld) map[string]any
		patch  bool
	}{{"/teams", team, false}, {"/zones", zone, true}} {
		newOne := func(t *testing.T, w *peopleWorld) int64 {
			return w.mustID(t, "POST", w.dp("%s", rec.path), rec.create(w))
		}
		add("GET", "dispatch:"+rec.path, routeCase{perm: access.AnyPerson, setup: fixed("dispatch:"+rec.path, nil)})
		add("GET", "dispatch:"+rec.path+"/{id}", routeCase{perm: access.AnyPerson, setup: func(t *testing.T, w *peopleWorld) (string, any) {
			return fmt.Sprintf("dispatch:%s/%d", rec.path, newOne(t, w)), nil
		}})
		add("POST", "dispatch:"+rec.path, routeCase{perm: access.PermManageTeamsZones, setup: func(t *testing.T, w *peopleWorld) (string, any) {
			return "dispatch:" + rec.path, rec.create(w)
		}})
		add("DELETE", "dispatch:"+rec.path+"/{id}", routeCase{perm: access.PermManageTeamsZones, setup: func(t *testing.T, w *peopleWorld) (string, any) {
			return fmt.Sprintf("dispatch:%s/%d", rec.path, newOne(t, w)), nil
		}})
		if rec.patch {
			add("PATCH", "dispatch:"+rec.path+"/{id}", routeCase{perm: access.PermManageTeamsZones, setup: func(t *testing.T, w *peopleWorld) (string, any) {
				return fmt.Sprintf("dispatch:%s/%d", rec.path, newOne(t, w)), map[string]any{"name": fmt.Sprintf("Renamed %d", w.unique())}
			}})
		}
	}
	return tab
}

// url turns a table path into a request path: "dispatch:" paths are under
// the Dispatch API's base, the others under the Settings API's.
func (w *peopleWorld) url(path string) string {
	if rest, ok := strings.CutPrefix(path, "dispatch:"); ok {
		return w.dp("%s", rest)
	}
	return w.sp("%s", path)
}

// tableKey is a route's key in routeTable.
func tableKey(rt settings.Route) string {
	method, path := rt.Method, rt.Pattern
	if rest, ok := strings.CutPrefix(path, "/settings/v2/tenant/{tenant}"); ok {
		return method + " " + rest
	}
	return method + " dispatch:" + strings.TrimPrefix(path, "/dispatch/v2/tenant/{tenant}")
}

// kindRole is a built-in role for people of kind.
func (w *peopleWorld) kindRole(kind string) int64 {
	if kind == "technicians" {
		return w.env.Roles[access.KeyTechnician].ID
	}
	return w.env.Roles[access.KeyOfficeStaff].ID
}

// personBody is a create body for a new person of kind.
func (w *peopleWorld) personBody(kind, method string) map[string]any {
	n := w.unique()
	b := map[string]any{"name": fmt.Sprintf("New Person %d", n), "email": fmt.Sprintf("new%d@example.com", n),
		"roleIds": []int64{w.plainRole}, "accountCreationMethod": method, "positions": []string{}}
	if kind == "technicians" {
		b["licenseType"] = "ManagedTech"
		b["phoneNumber"] = fmt.Sprintf("(555) 3%02d-%04d", n/10000%100, n%10000)
	}
	if method == "AssignLoginAndPassword" {
		b["login"], b["password"] = fmt.Sprintf("login%d", n), "Assigned-Pass-42"
	}
	return b
}

// newPerson creates a person of kind through the application; target is
// an accountCreationMethod, or "inactive" for a deactivated person.
func (w *peopleWorld) newPerson(t *testing.T, kind, target string) int64 {
	t.Helper()
	method := target
	if target == "inactive" {
		method = "CreateLater"
	}
	id := w.mustID(t, "POST", w.sp("/%s", kind), w.personBody(kind, method))
	if target == "inactive" {
		w.must(t, 200, "POST", w.sp("/%s/%d/account-actions", kind, id), map[string]any{"action": "Deactivate"})
	}
	return id
}

func TestEveryRouteEnforcesItsPermission(t *testing.T) {
	table := routeTable()
	each(t, func(t *testing.T, h0 *h) {
		w := newWorld(t, h0)
		for _, rt := range (&settings.Handler{}).Routes() {
			key := tableKey(rt)
			cases, ok := table[key]
			if !ok {
				t.Errorf("route %s %s has no entry in routeTable: add the requests that exercise it and the permission they need", rt.Method, rt.Pattern)
				continue
			}
			for _, c := range cases {
				name := key
				if c.name != "" {
					name += " " + c.name
				}
				t.Run(name, func(t *testing.T) {
					checked := c.perm
					if checked == access.AnyPerson {
						if rt.Permission != access.AnyPerson {
							t.Fatalf("the table says anyone may, the route needs %d", rt.Permission)
						}
					} else if rt.Permission != access.PerRequest && rt.Permission != c.perm && !slices.Contains(c.extra, rt.Permission) {
						t.Fatalf("the table says %d (and %v), the route needs %d", c.perm, c.extra, rt.Permission)
					}
					operation := rt.Method + " " + rt.Pattern
					if checked != access.AnyPerson {
						path, body := c.setup(t, w)
						p := w.lacking(t, checked)
						before := w.lastEventID(t)
						status, raw := w.as(t, p, rt.Method, w.url(path), body)
						w.checkDenied(t, p, before, operation, checked, status, raw)
					}
					perms := c.extra
					if checked != access.AnyPerson {
						perms = append([]int64{checked}, c.extra...)
					}
					path, body := c.setup(t, w)
					status, raw := w.as(t, w.holding(t, perms...), rt.Method, w.url(path), body)
					switch {
					case c.passes && status != http.StatusForbidden && status < 500:
					case status != http.StatusOK:
						t.Fatalf("with %v: status %d, body %s", perms, status, raw)
					}
					var bulk struct {
						Results []struct {
							Status string `json:"status"`
						} `json:"results"`
					}
					if json.Unmarshal(raw, &bulk) == nil {
						for _, r := range bulk.Results {
							if r.Status != "Success" {
								t.Errorf("with %v: %s", perms, raw)
							}
						}
					}
				})
			}
		}
	})
}
