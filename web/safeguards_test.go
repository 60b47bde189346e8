package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"crewid"
	"crewid/access"
	"crewid/accounts"
	"crewid/people"
	"crewid/server/servertest"
	"crewid/store/sqlite"
)

// openingTag is the start tag of the first element carrying attr (such as
// `id="revoke-app"`), or "" when there is none.
func openingTag(body, attr string) string {
	i := strings.Index(body, attr)
	if i < 0 {
		return ""
	}
	start := strings.LastIndex(body[:i], "<")
	end := strings.Index(body[i:], ">")
	if start < 0 || end < 0 {
		return ""
	}
	return body[start : i+end+1]
}

var confirmAttr = regexp.MustCompile(`data-confirm="([^"]+)"`)

// question is the data-confirm question of the element carrying attr; it
// fails the test when the element is missing or asks nothing.
func question(t *testing.T, page, body, attr string) string {
	t.Helper()
	tag := openingTag(body, attr)
	if tag == "" {
		t.Fatalf("%s: no element with %s", page, attr)
	}
	m := confirmAttr.FindStringSubmatch(tag)
	if m == nil {
		t.Fatalf("%s: %s asks no confirmation: %s", page, attr, tag)
	}
	return m[1]
}

// Buttons whose action cannot be taken back ask first (console.js shows
// the question of data-confirm before the form goes).
func TestIrreversibleButtonsAsk(t *testing.T) {
	env := servertest.Start(t, sqlite.OpenTest(t), servertest.WithPrivateWebhooks())
	addAdmin(t, env)
	owen := addPerson(t, env, crewid.KindEmployee, "Owen Office", "owen@acme.test", access.KeyOfficeStaff, "owen", "Owen-Secret-2026")
	ctx := context.Background()
	role, err := env.Server.Org.CreateRole(ctx, operator, env.Tenant.ID, crewid.Role{Name: "Night Crew",
		EmployeeType: crewid.EmployeeTypeEmployee, Active: true, Permissions: []int64{access.PermViewEmployees}})
	if err != nil {
		t.Fatal(err)
	}
	rc := newReceiver(t)
	b := newBrowser(t, env.URL)
	b.signIn("ada", adminPassword)
	b.get("/settings/webhooks/new")
	status, body := b.post("/settings/webhooks/new", url.Values{"url": {rc.URL + "/events"}, "events": {"*"}})
	hookID := extract(t, body, `href="/settings/webhooks/(\d+)" id="done"`)
	if status != http.StatusOK {
		t.Fatalf("create webhook: %d", status)
	}

	for _, c := range []struct {
		path  string
		attr  string
		asked []string // in the question
	}{
		{"/settings/apps/" + itoa(env.App.AppID), `id="revoke-app"`, []string{"Revoke the application", "tokens stop working"}},
		{"/settings/apps/" + itoa(env.App.AppID), `class="secondary revoke-secret"`, []string{"Revoke secret #", "cannot be undone"}},
		{"/settings/webhooks/" + hookID, `id="delete-webhook"`, []string{"Delete the webhook to " + rc.URL + "/events?", "cannot be undone"}},
		{"/settings/roles/" + itoa(role.ID), `id="delete-role"`, []string{"Delete the role Night Crew?", "cannot be undone"}},
		{"/settings/roles/" + itoa(role.ID), `id="deactivate-role"`, []string{"Deactivate the role Night Crew?"}},
		{personPath(crewid.KindEmployee, owen.ID), `<option value="Deactivate"`, []string{"Deactivate Owen Office?", "cannot sign in"}},
		{personPath(crewid.KindEmployee, owen.ID), `<option value="SetTemporaryPassword"`, []string{"Owen Office", "current password stops working"}},
		{personPath(crewid.KindEmployee, owen.ID), `<option value="SetLoginAndPassword"`, []string{"Owen Office", "signed out everywhere"}},
	} {
		status, body := b.get(c.path)
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d", c.path, status)
		}
		q := question(t, c.path, body, c.attr)
		for _, want := range c.asked {
			if !strings.Contains(q, want) {
				t.Errorf("%s %s asks %q, want it to say %q", c.path, c.attr, q, want)
			}
		}
	}

	// The profile's Apply button asks the question of the chosen action;
	// actions that end nothing ask none.
	_, body = b.get(personPath(crewid.KindEmployee, owen.ID))
	if tag := openingTag(body, `id="action-go"`); !strings.Contains(tag, `data-confirm-option="action"`) {
		t.Fatalf("the Apply button does not ask the chosen action's question: %s", tag)
	}
	for _, quiet := range []string{"SendPasswordResetLink"} {
		if tag := openingTag(body, `<option value="`+quiet+`"`); tag == "" || strings.Contains(tag, "data-confirm") {
			t.Errorf("option %s: %q, want it offered without a question", quiet, tag)
		}
	}
}

// actionsOffered lists the values of the profile action select.
func actionsOffered(t *testing.T, body string) []string {
	t.Helper()
	i := strings.Index(body, `<select id="action" name="action"`)
	if i < 0 {
		return nil
	}
	rest := body[i:]
	rest = rest[:strings.Index(rest, "</select>")]
	var out []string
	for _, m := range regexp.MustCompile(`<option value="([^"]*)"`).FindAllStringSubmatch(rest, -1) {
		out = append(out, m[1])
	}
	return out
}

// The profile offers the actions that apply to the person as they are,
// after a placeholder that cannot be sent.
func TestProfileActionsFollowTheState(t *testing.T) {
	env := servertest.Start(t, sqlite.OpenTest(t))
	addAdmin(t, env)
	ctx := context.Background()
	owen := addPerson(t, env, crewid.KindEmployee, "Owen Office", "owen@acme.test", access.KeyOfficeStaff, "owen", "Owen-Secret-2026")
	tom := addPerson(t, env, crewid.KindTechnician, "Tom Tech", "tom@acme.test", access.KeyTechnician, "", "")
	ivy := addPerson(t, env, crewid.KindTechnician, "Ivy Idle", "ivy@acme.test", access.KeyTechnician, "", "")
	if err := env.Server.People.Deactivate(ctx, operator, env.Tenant.ID, crewid.KindTechnician, ivy.ID); err != nil {
		t.Fatal(err)
	}
	lena := addPerson(t, env, crewid.KindEmployee, "Lena Locked", "lena@acme.test", access.KeyOfficeStaff, "lena", "Lena-Secret-2026")
	for i := 0; i < 30; i++ {
		if _, err := env.Server.Accounts.SignIn(ctx, "lena", "Wrong-Guess-2026", accounts.Meta{}); err == nil {
			t.Fatal("a wrong password signed in")
		}
		p, err := env.Store.Person(ctx, env.Tenant.ID, lena.ID)
		if err != nil {
			t.Fatal(err)
		}
		if people.Locked(p, env.Server.Config.Now()) {
			break
		}
		if i == 29 {
			t.Fatal("failed sign-ins did not lock the account")
		}
	}

	b := newBrowser(t, env.URL)
	b.signIn("ada", adminPassword)
	for _, c := range []struct {
		who  string
		path string
		want []string
	}{
		{"an active employee with an account", personPath(crewid.KindEmployee, owen.ID),
			[]string{"Deactivate", "SendPasswordResetLink", "SetTemporaryPassword", "SetLoginAndPassword"}},
		{"an active technician without an account", personPath(crewid.KindTechnician, tom.ID),
			[]string{"Deactivate", "SendInvite", "SetLoginAndPassword"}},
		{"an inactive technician", personPath(crewid.KindTechnician, ivy.ID), []string{"Activate"}},
		{"a locked employee", personPath(crewid.KindEmployee, lena.ID),
			[]string{"Deactivate", "SendPasswordResetLink", "SetTemporaryPassword", "Unlock", "SetLoginAndPassword"}},
	} {
		status, body := b.get(c.path)
		if status != http.StatusOK {
			t.Fatalf("%s: %d", c.who, status)
		}
		want := append([]string{""}, c.want...)
		if got := actionsOffered(t, body); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: actions %q, want %q (the placeholder first)", c.who, got, want)
		}
		if !strings.Contains(body, `<option value="" selected disabled>Choose an action…</option>`) ||
			!strings.Contains(openingTag(body, `<select id="action"`), "required") {
			t.Errorf("%s: the action list does not start on a placeholder that cannot be sent", c.who)
		}
		// The license type is asked only where activating is offered.
		if got, want := strings.Contains(body, `id="action-license"`), c.path == personPath(crewid.KindTechnician, ivy.ID); got != want {
			t.Errorf("%s: license type shown %v, want %v", c.who, got, want)
		}
	}

	// The placeholder sent anyway (a form without a choice) is refused
	// beside the list, and nothing happens.
	path := personPath(crewid.KindEmployee, owen.ID)
	b.get(path)
	status, body := b.post(path+"/action", url.Values{"action": {""}})
	if status != http.StatusBadRequest || fieldError(body, "action") != "Choose an action." {
		t.Fatalf("no action chosen: %d, error %q", status, fieldError(body, "action"))
	}
	// A refused action stays chosen, so that the viewer corrects only what
	// was wrong.
	status, body = b.post(path+"/action", url.Values{"action": {"SetTemporaryPassword"}, "actionPassword": {"short"}})
	if status != http.StatusBadRequest || !strings.Contains(body, `<option value="SetTemporaryPassword" selected`) {
		t.Fatalf("refused temporary password: %d; the action did not stay chosen", status)
	}
	if p, err := env.Store.Person(ctx, env.Tenant.ID, owen.ID); err != nil || !p.Active {
		t.Fatalf("owen after refused actions: %v, active %v", err, p.Active)
	}
}

// The console changes people on the viewer's behalf, under the same rules
// as the API: a people manager without Admin Access can neither take over
// an administrator's account nor change their profile, but manages a
// technician's as before.
func TestConsoleManagerCannotTakeOverAnAdministrator(t *testing.T) {
	env := servertest.Start(t, sqlite.OpenTest(t))
	ctx := context.Background()
	admin := addAdmin(t, env)
	tech := addPerson(t, env, crewid.KindTechnician, "Tom Tech", "tom@acme.test", access.KeyTechnician, "tom", "Tom-Technician-2026")
	_, b := addHolder(t, env, "Mia Manager", "mia", "Mia-Manager-2026",
		access.PermViewEmployees, access.PermEditEmployee, access.PermActivateDeactivate, access.PermManageLogins)

	adminPath := personPath(crewid.KindEmployee, admin.ID)
	// The page shows the administrator without offering what would be
	// refused.
	if status, body := b.get(adminPath); status != http.StatusOK || strings.Contains(body, `id="profile-actions"`) || !strings.Contains(body, `id="beyond"`) {
		t.Errorf("the administrator's page for a people manager: %d, actions offered %v", status, strings.Contains(body, `id="profile-actions"`))
	}
	for _, form := range []url.Values{
		{"action": {"SetTemporaryPassword"}, "actionPassword": {"Taken-Over-2026"}},
		{"action": {"Deactivate"}},
	} {
		if status, _ := b.post(adminPath+"/action", form); status != http.StatusForbidden {
			t.Errorf("%s on the administrator from the console: %d, want 403", form.Get("action"), status)
		}
	}
	got, err := env.Server.People.Get(ctx, env.Tenant.ID, crewid.KindEmployee, admin.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Active || got.Account.PasswordHash != admin.Account.PasswordHash {
		t.Fatal("a refused console action changed the administrator")
	}

	techPath := personPath(crewid.KindTechnician, tech.ID)
	b.get(techPath)
	if status, body := b.post(techPath+"/action", url.Values{"action": {"SetTemporaryPassword"}, "actionPassword": {"Temporary-2026x"}}); status != http.StatusOK {
		t.Errorf("temporary password for a technician: %d %s", status, body)
	}
}

// The console offers neither account creation to someone who may not
// manage logins nor new webhooks or redeliveries to someone who may not
// read the history: both would be refused.
func TestConsoleOffersOnlyWhatItWouldAllow(t *testing.T) {
	env := servertest.Start(t, sqlite.OpenTest(t))
	_, editor := addHolder(t, env, "Eddie Editor", "eddie", "Eddie-Editor-2026", access.PermViewEmployees, access.PermEditEmployee)
	_, body := editor.get("/settings/people/employees/new")
	if strings.Contains(body, `id="method-invite"`) || strings.Contains(body, `id="method-assign"`) {
		t.Error("the new-employee form offers account creation to someone who may not manage logins")
	}
	_, hooks := addHolder(t, env, "Wes Webhooks", "wes", "Wes-Webhooks-2026", access.PermManageWebhooks)
	if _, body := hooks.get("/settings/webhooks"); strings.Contains(body, `id="add-webhook"`) {
		t.Error("New webhook offered without View History")
	}
	_, both := addHolder(t, env, "Whit Webhooks", "whit", "Whit-Webhooks-2026", access.PermManageWebhooks, access.PermViewHistory)
	if _, body := both.get("/settings/webhooks"); !strings.Contains(body, `id="add-webhook"`) {
		t.Error("New webhook not offered with View History")
	}
}
