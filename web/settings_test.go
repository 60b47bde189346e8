package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"crewid"
	"crewid/access"
	"crewid/server/servertest"
	"crewid/store"
	"crewid/store/sqlite"
)

// roleByName finds a role of the tenant by its name.
func roleByName(t *testing.T, env *servertest.Env, name string) (crewid.Role, bool) {
	t.Helper()
	page, err := env.Store.Roles(context.Background(), env.Tenant.ID, store.RoleQuery{ListQuery: store.ListQuery{Active: store.ActiveAny, PageSize: 500}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range page.Items {
		if r.Name == name {
			return r, true
		}
	}
	return crewid.Role{}, false
}

// fieldError finds the error shown beside field (its message follows the
// field's input, before the next label).
func fieldError(body, field string) string {
	i := strings.Index(body, `name="`+field+`"`)
	if i < 0 {
		return ""
	}
	rest := body[i:]
	if j := strings.Index(rest, "<label"); j > 0 {
		rest = rest[:j]
	}
	m := regexp.MustCompile(`class="field-error">([^<]*)<`).FindStringSubmatch(rest)
	if m == nil {
		return ""
	}
	return m[1]
}

// TestAdminScreensRender opens each of the settings screens as an
// administrator, and shows a form's bad input beside its fields.
func TestAdminScreensRender(t *testing.T) {
	env := servertest.Start(t, sqlite.OpenTest(t))
	addAdmin(t, env)
	b := newBrowser(t, env.URL)
	if status, _ := b.signIn("ada", adminPassword); status != http.StatusOK {
		t.Fatalf("sign in: %d", status)
	}
	admin := env.Roles[access.KeyAdministrator]
	for _, c := range []struct {
		path  string
		wants []string
	}{
		{"/", []string{`href="/settings/roles"`, `href="/settings/apps"`, `href="/settings/webhooks"`, `href="/settings/history"`, `href="/settings/sso"`}},
		{"/settings/roles", []string{"Roles and permissions", "Dispatcher", "Built-in", `id="add-role"`}},
		{"/settings/roles?active=false", []string{`id="roles-table"`}},
		{"/settings/roles/new", []string{`id="role-form"`, "Settings", "Integrations", "Generate API Application Key"}},
		{"/settings/roles/" + itoa(admin.ID), []string{"always holds every permission", "Built-in roles cannot be deleted"}},
		{"/settings/apps", []string{"API applications", env.App.ClientID, `id="add-app"`}},
		{"/settings/apps/new", []string{`id="app-form"`, "people.read", "scim"}},
		{"/settings/apps/" + itoa(env.App.AppID), []string{env.App.AppKey, `id="add-secret"`, `id="revoke-app"`}},
		{"/settings/webhooks", []string{"No subscriptions."}},
		{"/settings/webhooks/new", []string{`id="webhook-form"`}},
		{"/settings/history", []string{`id="history-filter"`, "Employee.Created", "Ada Admin"}},
		{"/settings/sso", []string{`id="sso-form"`, "/auth/sso/callback", "No secret is set."}},
	} {
		status, body := b.get(c.path)
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d\n%s", c.path, status, body)
		}
		mustContain(t, body, c.wants...)
	}

	// Bad input comes back beside its field, and nothing is saved.
	status, body := b.post("/settings/roles/new", url.Values{"name": {"  "}, "employeeType": {"Robot"}, "permissions": {"9999"}})
	if status != http.StatusBadRequest || fieldError(body, "name") == "" || fieldError(body, "employeeType") == "" {
		t.Fatalf("bad role: %d, name error %q, type error %q", status, fieldError(body, "name"), fieldError(body, "employeeType"))
	}
	mustContain(t, body, "Unknown permission id 9999.")
	status, body = b.post("/settings/apps/new", url.Values{"name": {""}, "scopes": {"everything"}})
	if status != http.StatusBadRequest || fieldError(body, "name") == "" {
		t.Fatalf("bad app: %d, name error %q", status, fieldError(body, "name"))
	}
	mustContain(t, body, "Unknown scope")
	status, body = b.post("/settings/webhooks/new", url.Values{"url": {"ftp://example.com/x"}, "events": {"not an event"}})
	if status != http.StatusBadRequest || fieldError(body, "url") == "" || fieldError(body, "events") == "" {
		t.Fatalf("bad webhook: %d, url error %q, events error %q", status, fieldError(body, "url"), fieldError(body, "events"))
	}
	status, body = b.post("/settings/sso", url.Values{"enabled": {"on"}, "requireForEmployees": {"on"}})
	if status != http.StatusBadRequest || fieldError(body, "issuerUrl") == "" || fieldError(body, "clientId") == "" {
		t.Fatalf("bad SSO settings: %d, issuer error %q, client error %q", status, fieldError(body, "issuerUrl"), fieldError(body, "clientId"))
	}
	status, body = b.get("/settings/history?recordId=x&from=yesterday&actorType=Robot")
	if status != http.StatusBadRequest || fieldError(body, "recordId") == "" || fieldError(body, "from") == "" || fieldError(body, "actorType") == "" {
		t.Fatalf("bad history filters: %d\n%s", status, body)
	}
	if _, ok := roleByName(t, env, ""); ok {
		t.Fatal("a refused role was saved")
	}
	if page, _ := env.Store.Webhooks(context.Background(), env.Tenant.ID, store.ListQuery{Active: store.ActiveAny, PageSize: 10}); len(page.Items) != 0 {
		t.Fatal("a refused webhook was saved")
	}

	// Unknown records are 404 pages.
	for _, path := range []string{"/settings/roles/99999", "/settings/roles/x", "/settings/apps/99999", "/settings/webhooks/99999"} {
		if status, _ := b.get(path); status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, status)
		}
	}
}

// TestCustomRoleLifecycle creates a role with chosen permissions, edits
// it, is refused deleting it while someone holds it and deletes it after.
func TestCustomRoleLifecycle(t *testing.T) {
	env := servertest.Start(t, sqlite.OpenTest(t))
	addAdmin(t, env)
	b := newBrowser(t, env.URL)
	b.signIn("ada", adminPassword)
	b.get("/settings/roles/new")
	status, body := b.post("/settings/roles/new", url.Values{"name": {"Night Dispatcher"}, "employeeType": {"Employee"}, "active": {"on"},
		"permissions": {itoa(access.PermViewDispatchBoard), itoa(access.PermViewEmployees)}})
	if status != http.StatusOK {
		t.Fatalf("create role: %d\n%s", status, body)
	}
	mustContain(t, body, "The role Night Dispatcher was created.")
	role, ok := roleByName(t, env, "Night Dispatcher")
	if !ok || !role.Active || role.BuiltIn != "" || !access.NewSet(role.Permissions...).Has(access.PermViewDispatchBoard) || len(role.Permissions) != 2 {
		t.Fatalf("created role: %+v", role)
	}
	// A second role of that name is a conflict, shown beside the name.
	status, body = b.post("/settings/roles/new", url.Values{"name": {"night dispatcher"}, "employeeType": {"Employee"}})
	if status != http.StatusConflict || fieldError(body, "name") == "" {
		t.Fatalf("duplicate name: %d %q", status, fieldError(body, "name"))
	}

	status, body = b.post("/settings/roles/"+itoa(role.ID), url.Values{"name": {"Night Dispatch"}, "employeeType": {"All"}, "active": {"on"},
		"permissions": {itoa(access.PermViewDispatchBoard)}})
	if status != http.StatusOK {
		t.Fatalf("edit role: %d", status)
	}
	mustContain(t, body, "The role Night Dispatch was saved.", `id="perm-401" checked`)
	if role, _ = roleByName(t, env, "Night Dispatch"); role.EmployeeType != crewid.EmployeeTypeAll || len(role.Permissions) != 1 {
		t.Fatalf("edited role: %+v", role)
	}

	holder := addPerson(t, env, crewid.KindEmployee, "Nora Night", "nora@acme.test", access.KeyOfficeStaff, "", "")
	if _, err := env.Server.People.Update(context.Background(), operator, env.Tenant.ID, crewid.KindEmployee, holder.ID, func(p *crewid.Person) error {
		p.RoleIDs = append(p.RoleIDs, role.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	status, body = b.post("/settings/roles/"+itoa(role.ID)+"/delete", url.Values{})
	if status != http.StatusConflict {
		t.Fatalf("delete a held role: %d", status)
	}
	mustContain(t, body, "is assigned to people")
	if _, ok := roleByName(t, env, "Night Dispatch"); !ok {
		t.Fatal("a held role was deleted")
	}
	status, body = b.post("/settings/roles/"+itoa(role.ID)+"/deactivate", url.Values{})
	if status != http.StatusOK {
		t.Fatalf("deactivate: %d", status)
	}
	mustContain(t, body, "was deactivated")
	if role, _ = roleByName(t, env, "Night Dispatch"); role.Active {
		t.Fatal("the role is still active")
	}

	// Built-in roles are not deleted.
	status, body = b.post("/settings/roles/"+itoa(env.Roles[access.KeyDispatcher].ID)+"/delete", url.Values{})
	if status != http.StatusBadRequest {
		t.Fatalf("delete a built-in role: %d", status)
	}
	mustContain(t, body, "is a built-in role and cannot be deleted")

	if _, err := env.Server.People.Update(context.Background(), operator, env.Tenant.ID, crewid.KindEmployee, holder.ID, func(p *crewid.Person) error {
		p.RoleIDs = []int64{env.Roles[access.KeyOfficeStaff].ID}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	status, body = b.post("/settings/roles/"+itoa(role.ID)+"/delete", url.Values{})
	if status != http.StatusOK {
		t.Fatalf("delete an unused role: %d", status)
	}
	mustContain(t, body, "The role Night Dispatch was deleted.")
	if _, ok := roleByName(t, env, "Night Dispatch"); ok {
		t.Fatal("the role is still there")
	}
	events, err := env.Store.Events(context.Background(), env.Tenant.ID, store.EventQuery{RecordType: "UserRole", RecordID: role.ID})
	if err != nil || len(events) != 4 {
		t.Fatalf("role history: %d events (%v); want created, updated, deactivated, deleted", len(events), err)
	}
	for _, e := range events {
		if e.Actor.Type != crewid.ActorPerson || e.Actor.Name != "Ada Admin" || e.Actor.IP == "" {
			t.Fatalf("history actor: %+v", e.Actor)
		}
	}
}

var secretPattern = regexp.MustCompile(`id="client-secret">([^<]+)<`)

// TestAppSecretsShownOnce registers an application, adds and revokes a
// secret and revokes the application; a secret is on one page only.
func TestAppSecretsShownOnce(t *testing.T) {
	env := servertest.Start(t, sqlite.OpenTest(t))
	addAdmin(t, env)
	b := newBrowser(t, env.URL)
	b.signIn("ada", adminPassword)
	b.get("/settings/apps/new")
	status, body := b.post("/settings/apps/new", url.Values{"name": {"Dispatch Board"}, "scopes": {"people.read", "webhooks"}})
	if status != http.StatusOK {
		t.Fatalf("register: %d\n%s", status, body)
	}
	m := secretPattern.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no secret on the result page:\n%s", body)
	}
	secret := m[1]
	mustContain(t, body, "shown only on this page", `id="app-key"`, `id="client-id"`)
	page, err := env.Server.Apps.List(context.Background(), env.Tenant.ID, store.ListQuery{Active: store.ActiveAny, PageSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	var app crewid.App
	for _, a := range page.Items {
		if a.Name == "Dispatch Board" {
			app = a
		}
	}
	if app.ID == 0 || strings.Join(app.Scopes, " ") != "people.read webhooks" {
		t.Fatalf("registered app: %+v", app)
	}
	// The secret works, and no page shows it again.
	if _, _, err := env.Server.Apps.AuthenticateClient(context.Background(), app.ClientID, secret); err != nil {
		t.Fatalf("the shown secret does not work: %v", err)
	}
	for _, path := range []string{"/settings/apps", "/settings/apps/" + itoa(app.ID)} {
		if _, body := b.get(path); strings.Contains(body, secret) {
			t.Fatalf("%s shows the secret again", path)
		}
	}

	status, body = b.post("/settings/apps/"+itoa(app.ID)+"/secrets", url.Values{})
	second := secretPattern.FindStringSubmatch(body)
	if status != http.StatusOK || second == nil || second[1] == secret {
		t.Fatalf("second secret: %d", status)
	}
	// A third is refused: two at most.
	b.get("/settings/apps/" + itoa(app.ID))
	if strings.Contains(b.last, `id="add-secret"`) {
		t.Fatal("a third secret is offered")
	}
	status, body = b.post("/settings/apps/"+itoa(app.ID)+"/secrets", url.Values{})
	if status != http.StatusConflict || secretPattern.MatchString(body) {
		t.Fatalf("third secret: %d", status)
	}
	mustContain(t, body, "at most two live secrets")

	got, _ := env.Server.Apps.Get(context.Background(), env.Tenant.ID, app.ID)
	status, _ = b.post("/settings/apps/"+itoa(app.ID)+"/secrets/"+itoa(got.Secrets[0].ID)+"/revoke", url.Values{})
	if status != http.StatusOK {
		t.Fatalf("revoke secret: %d", status)
	}
	if _, _, err := env.Server.Apps.AuthenticateClient(context.Background(), app.ClientID, secret); err == nil {
		t.Fatal("a revoked secret still works")
	}

	// Unticking every scope is refused beside the scopes.
	status, body = b.post("/settings/apps/"+itoa(app.ID), url.Values{"name": {"Dispatch Board"}, "active": {"on"}})
	if status != http.StatusBadRequest || !strings.Contains(body, "An application needs at least one scope.") {
		t.Fatalf("no scopes: %d", status)
	}
	status, body = b.post("/settings/apps/"+itoa(app.ID)+"/revoke", url.Values{})
	if status != http.StatusOK {
		t.Fatalf("revoke app: %d", status)
	}
	mustContain(t, body, "was revoked", `id="app-status">Revoked`)
}

// TestAdminScreensNeedTheirPermission: a dispatcher sees none of these
// screens, and what they post anyway is refused with nothing changed.
func TestAdminScreensNeedTheirPermission(t *testing.T) {
	env := servertest.Start(t, sqlite.OpenTest(t), servertest.WithPrivateWebhooks())
	addPerson(t, env, crewid.KindEmployee, "Dina Dispatch", "dina@acme.test", access.KeyDispatcher, "dina", "Dina-Secret-2026")
	ctx := context.Background()
	hook, err := env.Server.Webhooks.Create(ctx, operator, env.Tenant.ID, "http://127.0.0.1:9/a", []string{"*"})
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, env.URL)
	b.signIn("dina", "Dina-Secret-2026")
	before, err := env.Store.History(ctx, env.Tenant.ID, store.HistoryQuery{Page: 1, PageSize: 1, IncludeTotal: true})
	if err != nil {
		t.Fatal(err)
	}
	_, home := b.get("/")
	for _, link := range []string{"/settings/roles", "/settings/apps", "/settings/webhooks", "/settings/history", "/settings/sso"} {
		if strings.Contains(home, `href="`+link+`"`) {
			t.Errorf("the navigation offers %s to a dispatcher", link)
		}
		if status, _ := b.get(link); status != http.StatusForbidden {
			t.Errorf("GET %s: %d, want 403", link, status)
		}
	}
	dispatcher := env.Roles[access.KeyDispatcher]
	for path, form := range map[string]url.Values{
		"/settings/roles/new":                                    {"name": {"Mine"}, "employeeType": {"Employee"}},
		"/settings/roles/" + itoa(dispatcher.ID):                 {"name": {"Boss"}, "employeeType": {"Employee"}, "permissions": {itoa(access.PermAdminAccess)}},
		"/settings/roles/" + itoa(dispatcher.ID) + "/deactivate": {},
		"/settings/apps/new":                                     {"name": {"Mine"}},
		"/settings/apps/" + itoa(env.App.AppID) + "/secrets":     {},
		"/settings/apps/" + itoa(env.App.AppID) + "/revoke":      {},
		"/settings/webhooks/new":                                 {"url": {"http://127.0.0.1:9/b"}, "events": {"*"}},
		"/settings/webhooks/" + itoa(hook.ID) + "/delete":        {},
		"/settings/sso":                                          {"issuerUrl": {"https://idp.example.com"}},
	} {
		if status, body := b.post(path, form); status != http.StatusForbidden {
			t.Errorf("POST %s: %d, want 403\n%s", path, status, body)
		}
	}
	after, err := env.Store.History(ctx, env.Tenant.ID, store.HistoryQuery{Page: 1, PageSize: 1, IncludeTotal: true})
	if err != nil {
		t.Fatal(err)
	}
	// Each refusal is recorded, and nothing else happened.
	denials, err := env.Store.History(ctx, env.Tenant.ID, store.HistoryQuery{Page: 1, PageSize: 1, IncludeTotal: true,
		EventQuery: store.EventQuery{EventType: access.EventPermissionDenied}})
	if err != nil {
		t.Fatal(err)
	}
	if refused := 5 + 9; denials.Total != refused || after.Total != before.Total+refused {
		t.Fatalf("refused requests: %d events before, %d after, %d denials; want %d more events, all denials",
			before.Total, after.Total, denials.Total, refused)
	}
	if role, _ := env.Store.Role(ctx, env.Tenant.ID, dispatcher.ID); role.Name != dispatcher.Name || !role.Active {
		t.Fatal("the dispatcher role changed")
	}
}

// TestHistoryFiltersAndDiff shows an update's changed fields and filters
// by record, actor and date.
func TestHistoryFiltersAndDiff(t *testing.T) {
	env := servertest.Start(t, sqlite.OpenTest(t))
	admin := addAdmin(t, env)
	tech := addPerson(t, env, crewid.KindTechnician, "Tom Tech", "tom@acme.test", access.KeyTechnician, "", "")
	if _, err := env.Server.People.Update(context.Background(), operator, env.Tenant.ID, crewid.KindTechnician, tech.ID, func(p *crewid.Person) error {
		p.Name = "Tom Tinker"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, env.URL)
	b.signIn("ada", adminPassword)
	status, body := b.get("/settings/history?recordType=Technician&eventType=Technician.Updated&recordId=" + itoa(tech.ID))
	if status != http.StatusOK {
		t.Fatalf("history: %d", status)
	}
	if n := strings.Count(body, `class="event"`); n != 1 {
		t.Fatalf("%d events listed, want the one update", n)
	}
	mustContain(t, body, `<td class="field">name</td><td class="before">Tom Tech</td><td class="after">Tom Tinker</td>`)
	if strings.Contains(body, `<td class="field">email</td>`) {
		t.Fatal("an unchanged field is shown as changed")
	}
	// Ada's sign-in is hers, with the address it came from.
	_, body = b.get("/settings/history?actorType=Person&actorId=" + itoa(admin.ID))
	mustContain(t, body, "Employee.SignedIn", `class="event-ip">127.0.0.1<`, "Go-http-client")
	_, body = b.get("/settings/history?to=2000-01-01")
	if strings.Contains(body, `class="event"`) {
		t.Fatal("events from before 2000 listed")
	}
	_, body = b.get("/settings/history?from=2000-01-01&recordId=" + itoa(tech.ID) + "&recordType=Technician")
	if n := strings.Count(body, `class="event"`); n != 2 {
		t.Fatalf("%d events of the technician, want created and updated", n)
	}
	status, body = b.get("/settings/history?from=2026-02-01&to=2026-01-01")
	if status != http.StatusBadRequest || fieldError(body, "to") == "" {
		t.Fatalf("reversed dates: %d", status)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// A person who may register applications but not manage them registers
// one, gets its key but no client secret, and is refused its page.
func TestRegisterOnlyApplications(t *testing.T) {
	env := servertest.Start(t, sqlite.OpenTest(t))
	ctx := context.Background()
	_, b := addHolder(t, env, "Ian Integrator", "ian", "Ian-Secret-2026", access.PermGenerateAppKey)
	status, body := b.get("/settings/apps")
	if status != http.StatusOK || strings.Contains(body, `id="apps-table"`) || strings.Contains(body, env.App.ClientID) {
		t.Fatalf("apps page for a register-only person: %d", status)
	}
	mustContain(t, body, `id="add-app"`, `href="/settings/apps" aria-current="page"`)
	// Scopes go only as far as the person's own permissions.
	if status, _ := b.post("/settings/apps/new", url.Values{"name": {"Ian's Reader"}, "scopes": {"people.read"}}); status != http.StatusForbidden {
		t.Errorf("register with a scope beyond Ian's permissions: %d, want 403", status)
	}
	status, body = b.post("/settings/apps/new", url.Values{"name": {"Ian's Sync"}, "scopes": {"settings.read"}})
	if status != http.StatusOK || secretPattern.MatchString(body) || strings.Contains(body, `id="client-id"`) {
		t.Fatalf("register: %d, or a client secret shown to someone who may not connect the application", status)
	}
	mustContain(t, body, `id="app-key"`, `id="connect-later"`, `href="/settings/apps" id="done"`)
	for _, path := range []string{"/settings/apps/" + itoa(env.App.AppID), "/settings/roles"} {
		if status, _ := b.get(path); status != http.StatusForbidden {
			t.Errorf("GET %s: %d, want 403", path, status)
		}
	}
	if status, _ := b.post("/settings/apps/"+itoa(env.App.AppID)+"/revoke", url.Values{}); status != http.StatusForbidden {
		t.Errorf("revoke: %d, want 403", status)
	}
	if app, _ := env.Server.Apps.Get(ctx, env.Tenant.ID, env.App.AppID); !app.Active {
		t.Fatal("the refused revocation revoked the application")
	}
}

// Each settings page opens with its own permission: Manage Roles, Manage
// Webhooks, View History (Admin Access opens them all).
func TestSettingsPagesFollowTheirPermissions(t *testing.T) {
	env := servertest.Start(t, sqlite.OpenTest(t))
	pages := map[int64]string{access.PermManageRoles: "/settings/roles", access.PermManageWebhooks: "/settings/webhooks", access.PermViewHistory: "/settings/history"}
	n := 0
	for perm := range pages {
		n++
		_, b := addHolder(t, env, fmt.Sprintf("Holder %d", n), fmt.Sprintf("holder%d", n), "Holder-Secret-2026", perm)
		for other, path := range pages {
			want := http.StatusForbidden
			if other == perm {
				want = http.StatusOK
			}
			if status, _ := b.get(path); status != want {
				t.Errorf("holding only %d: GET %s = %d, want %d", perm, path, status, want)
			}
		}
		if status, _ := b.get("/settings/sso"); status != http.StatusForbidden {
			t.Errorf("holding only %d: single sign-on page %d, want 403", perm, status)
		}
	}
}

// An application's page offers "Add a secret" only to someone who could
// give it all its scopes; the API refuses the others anyway.
func TestAddSecretOfferedWithinOwnPermissions(t *testing.T) {
	env := servertest.Start(t, sqlite.OpenTest(t))
	_, b := addHolder(t, env, "Connie Connector", "connie", "Connie-Secret-2026",
		access.PermManageAppAccess, access.PermViewEmployees)
	reader, _, err := env.Server.Apps.Create(context.Background(), operator, env.Tenant.ID, "Reader", []string{"people.read"})
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[int64]bool{reader.ID: true, env.App.AppID: false} {
		status, body := b.get("/settings/apps/" + itoa(id))
		if status != http.StatusOK || strings.Contains(body, `id="add-secret"`) != want {
			t.Errorf("application %d: status %d, add-secret offered %v, want %v", id, status, !want, want)
		}
	}
}
