package web_test

import (
	"context"
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

func personPath(kind crewid.Kind, id int64) string {
	slug := "employees"
	if kind == crewid.KindTechnician {
		slug = "technicians"
	}
	return "/settings/people/" + slug + "/" + strconv.FormatInt(id, 10)
}

func TestDispatcherIsRefusedEveryChange(t *testing.T) {
	env := servertest.Start(t, sqlite.OpenTest(t))
	addPerson(t, env, crewid.KindEmployee, "Dina Dispatch", "dina@acme.test", access.KeyDispatcher, "dina", "Dina-Secret-2026")
	tech := addPerson(t, env, crewid.KindTechnician, "Tom Tech", "tom@acme.test", access.KeyTechnician, "", "")
	ctx := context.Background()
	before, err := env.Store.Person(ctx, env.Tenant.ID, tech.ID)
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, env.URL)
	if status, _ := b.signIn("dina", "Dina-Secret-2026"); status != http.StatusOK {
		t.Fatalf("sign in: %d", status)
	}
	status, body := b.get("/settings/people/technicians")
	if status != http.StatusOK || strings.Contains(body, `class="edit"`) || strings.Contains(body, `id="add-person"`) ||
		strings.Contains(body, `id="bulk-form"`) || !strings.Contains(body, `class="view"`) {
		t.Fatalf("list for a dispatcher: %d\n%s", status, body)
	}
	status, body = b.get(personPath(crewid.KindTechnician, tech.ID))
	if status != http.StatusOK || strings.Contains(body, `id="save-person"`) || strings.Contains(body, `id="profile-actions"`) {
		t.Fatalf("profile for a dispatcher: %d", status)
	}
	if strings.Contains(body, `href="/settings/outbox"`) {
		t.Fatal("the outbox is offered to a dispatcher")
	}

	for _, c := range []struct {
		path string
		form url.Values
	}{
		{personPath(crewid.KindTechnician, tech.ID), url.Values{"name": {"Changed"}, "phoneNumber": {""}, "licenseType": {"ManagedTechnician"}}},
		{personPath(crewid.KindTechnician, tech.ID) + "/action", url.Values{"action": {"Deactivate"}}},
		{personPath(crewid.KindTechnician, tech.ID) + "/action", url.Values{"action": {"SetTemporaryPassword"}, "actionPassword": {"Temp-Pass-2026x"}}},
		{"/settings/people/technicians/bulk", url.Values{"action": {"Deactivate"}, "step": {"apply"}, "ids": {strconv.FormatInt(tech.ID, 10)}}},
		{"/settings/people/technicians/new", url.Values{"name": {"Sneaky"}, "email": {"sneaky@acme.test"}, "accountCreationMethod": {"CreateLater"}}},
	} {
		b.get("/") // a fresh form token, as a page would carry
		status, body := b.post(c.path, c.form)
		if status != http.StatusForbidden {
			t.Fatalf("POST %s as a dispatcher: %d\n%s", c.path, status, body)
		}
	}
	if status, _ := b.get("/settings/outbox"); status != http.StatusForbidden {
		t.Fatalf("outbox for a dispatcher: %d", status)
	}
	after, err := env.Store.Person(ctx, env.Tenant.ID, tech.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Name != before.Name || !after.Active || after.Seq != before.Seq {
		t.Fatalf("a refused change changed the profile: %+v", after)
	}
	page, err := env.Store.People(ctx, env.Tenant.ID, store.PersonQuery{Kind: crewid.KindTechnician, ListQuery: store.ListQuery{Name: "Sneaky", Active: store.ActiveAny}})
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("a refused creation created someone: %v %d", err, len(page.Items))
	}
}

func TestEditShowsFieldErrorsAndSaves(t *testing.T) {
	env := servertest.Start(t, sqlite.OpenTest(t))
	addAdmin(t, env)
	tech := addPerson(t, env, crewid.KindTechnician, "Tom Tech", "tom@acme.test", access.KeyTechnician, "", "")
	b := newBrowser(t, env.URL)
	b.signIn("ada", adminPassword)
	path := personPath(crewid.KindTechnician, tech.ID)
	b.get(path)
	form := url.Values{"name": {"Tom Tech"}, "phoneNumber": {"12"}, "licenseType": {"NonManagedTechnician"},
		"mobileAccessEnabled": {"on"}, "roleIds.shown": {"1"}, "roleIds": {strconv.FormatInt(env.Roles[access.KeyTechnician].ID, 10)},
		"dailyGoal": {"lots"}, "home.street": {"1 Main St"}}
	status, body := b.post(path, form)
	if status != http.StatusBadRequest {
		t.Fatalf("bad form: %d", status)
	}
	// Each error sits right after its own field.
	for _, field := range []string{"dailyGoal"} {
		re := regexp.MustCompile(`name="` + regexp.QuoteMeta(field) + `"[^>]*>\s*<span class="field-error">`)
		if !re.MatchString(body) {
			t.Fatalf("no error beside %s:\n%s", field, body)
		}
	}
	form.Set("dailyGoal", "1500")
	status, body = b.post(path, form)
	if status != http.StatusBadRequest {
		t.Fatalf("bad phone and address: %d", status)
	}
	for _, field := range []string{"phoneNumber", "home.city"} {
		re := regexp.MustCompile(`name="` + regexp.QuoteMeta(field) + `"[^>]*>\s*<span class="field-error">`)
		if !re.MatchString(body) {
			t.Fatalf("no error beside %s:\n%s", field, body)
		}
	}
	form.Set("phoneNumber", "(555) 777-1234")
	form.Set("home.city", "Springfield")
	status, body = b.post(path, form)
	if status != http.StatusOK || !strings.Contains(body, "Saved changes to Tom Tech.") {
		t.Fatalf("save: %d\n%s", status, body)
	}
	p, err := env.Store.Person(context.Background(), env.Tenant.ID, tech.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.MobilePhone != "+15557771234" || p.DailyGoal != 1500 || p.LicenseType != crewid.LicenseNonManagedTech ||
		p.Home == nil || p.Home.City != "Springfield" || p.Email != "tom@acme.test" {
		t.Fatalf("saved: %+v", p)
	}
}

func TestRolesNeedTheirOwnPermission(t *testing.T) {
	env := servertest.Start(t, sqlite.OpenTest(t))
	ctx := context.Background()
	editor, err := env.Server.Org.CreateRole(ctx, operator, env.Tenant.ID, crewid.Role{Name: "Profile Editor",
		EmployeeType: crewid.EmployeeTypeEmployee, Active: true,
		Permissions: []int64{access.PermViewEmployees, access.PermEditEmployee}})
	if err != nil {
		t.Fatal(err)
	}
	p := addPerson(t, env, crewid.KindEmployee, "Eddie Editor", "eddie@acme.test", access.KeyOfficeStaff, "", "")
	if _, err := env.Server.People.Update(ctx, operator, env.Tenant.ID, crewid.KindEmployee, p.ID, func(q *crewid.Person) error {
		q.RoleIDs = []int64{editor.ID}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := env.Server.Accounts.SetLoginAndPassword(ctx, operator, env.Tenant.ID, crewid.KindEmployee, p.ID, "eddie", "Eddie-Secret-2026"); err != nil {
		t.Fatal(err)
	}
	clerk := addPerson(t, env, crewid.KindEmployee, "Cleo Clerk", "cleo@acme.test", access.KeyOfficeStaff, "", "")
	b := newBrowser(t, env.URL)
	if status, body := b.signIn("eddie", "Eddie-Secret-2026"); status != http.StatusOK || !strings.Contains(body, "required-action-form") {
		t.Fatalf("sign in: %d", status)
	}
	if status, _ := b.post("/required-action", url.Values{"actionToken": {extract(t, b.last, `name="actionToken" value="([^"]+)"`)},
		"changeLogin": {"1"}, "login": {"eddie.e"}, "password": {"Eddie-Own-2026"}, "confirmPassword": {"Eddie-Own-2026"}}); status != http.StatusOK {
		t.Fatalf("required action: %d", status)
	}
	path := personPath(crewid.KindEmployee, clerk.ID)
	b.get(path)
	admin := url.Values{"name": {"Cleo Clerk"}, "roleIds.shown": {"1"}, "roleIds": {strconv.FormatInt(env.Roles[access.KeyAdministrator].ID, 10)}}
	if status, _ := b.post(path, admin); status != http.StatusForbidden {
		t.Fatalf("making someone an administrator without Assign Roles: %d", status)
	}
	// The same roles, with only the name changed, is an edit Eddie may make.
	same := url.Values{"name": {"Cleo Clerk-Smith"}, "roleIds.shown": {"1"}, "roleIds": {strconv.FormatInt(env.Roles[access.KeyOfficeStaff].ID, 10)}}
	b.get(path)
	if status, body := b.post(path, same); status != http.StatusOK || !strings.Contains(body, "Saved changes") {
		t.Fatalf("plain edit: %d\n%s", status, body)
	}
}

func extract(t *testing.T, body, pattern string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no %s in:\n%s", pattern, body)
	}
	return m[1]
}

func TestProfileActionsResetAndTemporaryPassword(t *testing.T) {
	env := servertest.Start(t, sqlite.OpenTest(t))
	addAdmin(t, env)
	emp := addPerson(t, env, crewid.KindEmployee, "Owen Office", "owen@acme.test", access.KeyOfficeStaff, "owen", "Owen-Secret-2026")
	admin := newBrowser(t, env.URL)
	admin.signIn("ada", adminPassword)
	path := personPath(crewid.KindEmployee, emp.ID)

	admin.get(path)
	status, body := admin.post(path+"/action", url.Values{"action": {"SetTemporaryPassword"}, "actionPassword": {"short"}})
	if status != http.StatusBadRequest || !regexp.MustCompile(`name="actionPassword"[^>]*>\s*<span class="field-error">`).MatchString(body) {
		t.Fatalf("weak temporary password: %d", status)
	}
	status, body = admin.post(path+"/action", url.Values{"action": {"SetTemporaryPassword"}, "actionPassword": {"Temp-Pass-2026x"}})
	if status != http.StatusOK || !strings.Contains(body, "Set Temporary Password: done for Owen Office.") {
		t.Fatalf("temporary password: %d\n%s", status, body)
	}
	owen := newBrowser(t, env.URL)
	if status, body := owen.signIn("owen", "Temp-Pass-2026x"); status != http.StatusOK || !strings.Contains(body, "Change your password") {
		t.Fatalf("sign in with the temporary password: %d\n%s", status, body)
	}

	admin.get(path)
	if status, _ := admin.post(path+"/action", url.Values{"action": {"SendPasswordResetLink"}}); status != http.StatusOK {
		t.Fatalf("reset link: %d", status)
	}
	status, body = admin.get("/settings/outbox?recipient=OWEN@acme.test")
	if status != http.StatusOK {
		t.Fatalf("outbox: %d", status)
	}
	link := extract(t, body, `class="message-link" href="([^"]+/password-reset\?token=[^"]+)"`)
	link = strings.ReplaceAll(link, "&amp;", "&")
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	status, body = owen.get(u.RequestURI())
	if status != http.StatusOK || !strings.Contains(body, `id="reset-new-form"`) {
		t.Fatalf("reset link page: %d", status)
	}
	if status, body := owen.post("/password-reset/new", url.Values{"resetToken": {u.Query().Get("token")}, "password": {"Owen-Fresh-2026"}, "confirmPassword": {"Owen-Fresh-2026"}}); status != http.StatusOK ||
		!strings.Contains(body, "Your password is changed.") {
		t.Fatalf("new password: %d\n%s", status, body)
	}
	if status, body := owen.signIn("owen", "Owen-Fresh-2026"); status != http.StatusOK || !strings.Contains(body, "Welcome, Owen Office") {
		t.Fatalf("sign in after the reset: %d", status)
	}
	// Unlocking an account that is not locked is harmless.
	admin.get(path)
	if status, body := admin.post(path+"/action", url.Values{"action": {"Unlock"}}); status != http.StatusOK || !strings.Contains(body, "Unlock: done") {
		t.Fatalf("unlock: %d\n%s", status, body)
	}
}

func TestInviteEmployeeAndAcceptWithAnotherLogin(t *testing.T) {
	env := servertest.Start(t, sqlite.OpenTest(t))
	addAdmin(t, env)
	admin := newBrowser(t, env.URL)
	admin.signIn("ada", adminPassword)
	admin.get("/settings/people/employees/new")
	status, body := admin.post("/settings/people/employees/new", url.Values{"name": {"Nina New"}, "email": {"Nina@Acme.test"},
		"roleIds.shown": {"1"}, "roleIds": {strconv.FormatInt(env.Roles[access.KeyOfficeStaff].ID, 10)}, "accountCreationMethod": {"SendInvite"}})
	if status != http.StatusOK || !strings.Contains(body, "Nina New was added and invited.") || !strings.Contains(body, "Pending") {
		t.Fatalf("add employee: %d\n%s", status, body)
	}
	_, body = admin.get("/settings/outbox")
	link := strings.ReplaceAll(extract(t, body, `class="message-link" href="([^"]+/invitations/accept\?token=[^"]+)"`), "&amp;", "&")
	u, _ := url.Parse(link)
	nina := newBrowser(t, env.URL)
	status, body = nina.get(u.RequestURI())
	if status != http.StatusOK || !strings.Contains(body, `value="nina@acme.test"`) {
		t.Fatalf("the acceptance page does not propose the email as login: %d\n%s", status, body)
	}
	status, body = nina.post("/invitations/accept", url.Values{"token": {u.Query().Get("token")}, "login": {"nina"}, "password": {"password123"}, "confirmPassword": {"password123"}})
	if status != http.StatusBadRequest || !strings.Contains(body, "field-error") {
		t.Fatalf("common password: %d", status)
	}
	status, body = nina.post("/invitations/accept", url.Values{"token": {u.Query().Get("token")}, "login": {"nina"}, "password": {"Nina-Secret-2026"}, "confirmPassword": {"Nina-Secret-2026"}})
	if status != http.StatusOK || !strings.Contains(body, "Sign in with your login nina.") {
		t.Fatalf("accept: %d\n%s", status, body)
	}
	if status, body := nina.signIn("nina", "Nina-Secret-2026"); status != http.StatusOK || !strings.Contains(body, "Welcome, Nina New") {
		t.Fatalf("sign in: %d", status)
	}
	// The link works once.
	if status, body := nina.get(u.RequestURI()); status != http.StatusBadRequest || !strings.Contains(body, "already been used") {
		t.Fatalf("used link: %d", status)
	}
}
