package web_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"crewid"
	"crewid/access"
	"crewid/people"
	"crewid/server/servertest"
	"crewid/sso/ssotest"
	"crewid/store"
)

// The administrator's settings screens in headless Chromium, on every
// backend (screenshots from the first).

// eachBackendWith is eachBackend for a server started with opts.
func eachBackendWith(t *testing.T, opts []servertest.Option, fn func(t *testing.T, env *servertest.Env, shots bool)) {
	chromiumPath(t)
	first := true
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		shots := first
		first = false
		fn(t, servertest.Start(t, b.Open(t), opts...), shots)
	})
}

// An administrator creates a custom role with a chosen permission and
// gives it to an employee, who then holds the permission.
func TestBrowserCustomRoleAssigned(t *testing.T) {
	eachBackendWith(t, nil, func(t *testing.T, env *servertest.Env, shots bool) {
		addAdmin(t, env)
		emp := addPerson(t, env, crewid.KindEmployee, "Olga Office", "olga@acme.test", access.KeyOfficeStaff, "", "")
		b := newTab(t, env.URL, shots)
		b.signIn("ada", adminPassword, "#sign-out")
		b.open("/settings/roles", "#roles-table")
		b.shoot("roles")
		b.click("#add-role", "#role-form")
		b.fill("#name", "Night Dispatcher")
		b.do(chromedp.Click(chromedp.CSS("#perm-"+strconv.FormatInt(access.PermViewDispatchBoard, 10))),
			chromedp.Click(chromedp.CSS("#perm-"+strconv.FormatInt(access.PermAssignTechnicians, 10))))
		b.shoot("role-edit")
		b.click("#save-role", "#flash")
		if got := b.text("#flash"); got != "The role Night Dispatcher was created." {
			t.Fatalf("flash: %q", got)
		}
		role, ok := roleByName(t, env, "Night Dispatcher")
		if !ok || !slices.Equal(role.Permissions, []int64{access.PermViewDispatchBoard, access.PermAssignTechnicians}) {
			t.Fatalf("role: %+v", role)
		}

		b.open("/settings/people/employees/"+strconv.FormatInt(emp.ID, 10), "#person-form")
		b.do(chromedp.Click(chromedp.CSS(`input[name=roleIds][value="` + strconv.FormatInt(role.ID, 10) + `"]`)))
		b.click("#save-person", "#flash")
		p, err := env.Store.Person(context.Background(), env.Tenant.ID, emp.ID)
		if err != nil || !slices.Contains(p.RoleIDs, role.ID) {
			t.Fatalf("roles of %s: %v (%v)", emp.Name, p.RoleIDs, err)
		}
		grant, err := env.Server.Access.Resolve(context.Background(), env.Tenant.ID, emp.ID)
		if err != nil || !grant.Permissions.Has(access.PermViewDispatchBoard) {
			t.Fatalf("%s does not hold the role's permission: %v", emp.Name, err)
		}

		// The changes are in history, each with its changed fields.
		b.open("/settings/history?recordType=UserRole", "#history-events")
		b.do(chromedp.Click(chromedp.CSS("#history-events .event summary")), chromedp.WaitVisible(chromedp.CSS("#history-events .event table.diff")))
		if got := b.text("#history-events .event .event-type"); got != "UserRole.Created" {
			t.Fatalf("history: %q", got)
		}
		b.shoot("history")
	})
}

// Registering an application shows its secret once; the application's
// page never shows it again.
func TestBrowserRegisterApplication(t *testing.T) {
	eachBackendWith(t, nil, func(t *testing.T, env *servertest.Env, shots bool) {
		addAdmin(t, env)
		b := newTab(t, env.URL, shots)
		b.signIn("ada", adminPassword, "#sign-out")
		b.open("/settings/apps", "#apps-table")
		b.click("#add-app", "#app-form")
		b.fill("#name", "Payroll Export")
		b.do(chromedp.Click(chromedp.CSS(`input[name=scopes][value="people.read"]`)),
			chromedp.Click(chromedp.CSS(`input[name=scopes][value="history"]`)))
		b.shoot("app-register")
		b.click("#save-app", "#client-secret")
		secret, clientID := b.text("#client-secret"), b.text("#client-id")
		if len(secret) < 20 {
			t.Fatalf("secret shown: %q", secret)
		}
		b.shoot("app-registered")
		app, _, err := env.Server.Apps.AuthenticateClient(context.Background(), clientID, secret)
		if err != nil || app.Name != "Payroll Export" || strings.Join(app.Scopes, " ") != "people.read history" {
			t.Fatalf("the registered application: %+v (%v)", app, err)
		}
		b.click("#done", "#app-credentials")
		if strings.Contains(b.text("main"), secret) {
			t.Fatal("the application's page shows the secret again")
		}
		b.shoot("app")
		b.open("/settings/apps", "#apps-table")
		if strings.Contains(b.text("main"), secret) {
			t.Fatal("the list shows the secret")
		}
		b.shoot("apps")

		// Revoking asks first; declined, the application stays.
		b.open("/settings/apps/"+strconv.FormatInt(app.ID, 10), "#revoke-app")
		b.answerConfirm(false)
		b.do(chromedp.Click(chromedp.CSS("#revoke-app")), chromedp.Sleep(300*time.Millisecond))
		if q := b.asked(); len(q) != 1 || !strings.HasPrefix(q[0], "Revoke the application Payroll Export?") {
			t.Fatalf("questions before revoking: %q", q)
		}
		if got := b.text("#app-status"); got != "Active" {
			t.Fatalf("a declined revocation changed the status to %q", got)
		}
		b.answerConfirm(true)
		b.click("#revoke-app", "#flash")
		if got := b.text("#app-status"); got != "Revoked" {
			t.Fatalf("status after revoking: %q", got)
		}
	})
}

// A webhook is created (its secret shown once), delivers an event, and
// its delivery log shows it; one event is delivered again.
func TestBrowserWebhookDeliveryLog(t *testing.T) {
	eachBackendWith(t, []servertest.Option{servertest.WithPrivateWebhooks()}, func(t *testing.T, env *servertest.Env, shots bool) {
		env.RunWebhooks(t, 100*time.Millisecond)
		addAdmin(t, env)
		rc := newReceiver(t)
		b := newTab(t, env.URL, shots)
		b.signIn("ada", adminPassword, "#sign-out")
		b.open("/settings/webhooks", "#webhooks-table")
		b.click("#add-webhook", "#webhook-form")
		b.fill("#url", rc.URL+"/crewid")
		b.fill("#events", "Technician.*")
		b.click("#save-webhook", "#webhook-secret")
		if secret := b.text("#webhook-secret"); len(secret) < 20 {
			t.Fatalf("secret shown: %q", secret)
		}
		b.click("#done", "#delivery-log")

		addPerson(t, env, crewid.KindTechnician, "Tia Tech", "tia@acme.test", access.KeyTechnician, "", "")
		waitFor(t, "the delivery in the log", func() bool {
			b.do(chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#delivery-log")))
			return b.count("#deliveries-table .delivery") == 1 && b.text("#deliveries-table .delivery .delivery-status") == crewid.DeliveryDelivered
		})
		b.shoot("webhook")
		b.click("#deliveries-table .delivery .redeliver", "#flash")
		if got := b.text("#flash"); !strings.Contains(got, "is queued for delivery again") {
			t.Fatalf("flash: %q", got)
		}
		waitFor(t, "the redelivery", func() bool { return rc.got.Load() >= 2 })
		b.open("/settings/webhooks", "#webhooks-table")
		b.shoot("webhooks")
	})
}

// Single sign-on settings are saved (the secret never shown back), and a
// person then signs in with their company account.
func TestBrowserSingleSignOnSettings(t *testing.T) {
	eachBackendWith(t, nil, func(t *testing.T, env *servertest.Env, shots bool) {
		idp := ssotest.Start(t)
		idp.AddClient("crewid", "Provider-Secret-2", env.Server.SSO.CallbackURL())
		addAdmin(t, env)
		sam := crewid.Person{TenantID: env.Tenant.ID, Kind: crewid.KindEmployee, Name: "Sam Sales", Email: "sam@acme.test",
			AADUserID: "oid-sam", RoleIDs: []int64{env.Roles[access.KeyOfficeStaff].ID}}
		if _, err := env.Server.People.Create(context.Background(), operator, sam, people.AccountSetup{Method: people.CreateLater}); err != nil {
			t.Fatal(err)
		}
		idp.AddUser(ssotest.User{Subject: "sub-sam", Username: "sam", Claims: map[string]any{"oid": "oid-sam"}})

		b := newTab(t, env.URL, shots)
		b.signIn("ada", adminPassword, "#sign-out")
		b.open("/settings/sso", "#sso-form")
		b.fill("#issuerUrl", idp.Issuer)
		b.fill("#clientId", "crewid")
		b.fill("#clientSecret", "Provider-Secret-2")
		b.do(chromedp.Click(chromedp.CSS("#enabled")))
		b.click("#save-sso", "#flash")
		if got := b.text("#sso-secret-state"); !strings.HasPrefix(got, "A secret is set.") {
			t.Fatalf("secret state: %q", got)
		}
		if strings.Contains(b.text("main"), "Provider-Secret-2") {
			t.Fatal("the settings page shows the secret")
		}
		cfg, err := env.Server.SSO.Config(context.Background(), env.Tenant.ID)
		if err != nil || !cfg.Enabled || cfg.IssuerURL != idp.Issuer || cfg.ClientSecret != "Provider-Secret-2" {
			t.Fatalf("saved settings: %+v (%v)", cfg, err)
		}
		b.shoot("sso-settings")
		b.signOut()

		b.click("#sso-signin", "#sso-signin-form")
		b.fill("#tenant", env.Tenant.Name)
		b.shoot("sso-sign-in")
		b.click("#sso-signin-form button[type=submit]", "input[name=username]")
		b.fill("input[name=username]", "sam")
		b.click("button[type=submit]", "#sign-out")
		if got := b.text("main h1"); got != "Welcome, Sam Sales" {
			t.Fatalf("home after single sign-on: %q", got)
		}
		events, err := env.Store.Events(context.Background(), env.Tenant.ID, store.EventQuery{EventType: "Employee.SignedIn"})
		if err != nil || len(events) == 0 || !strings.Contains(string(events[len(events)-1].After), `"SSO"`) {
			t.Fatalf("sign-in history: %v", err)
		}
	})
}
