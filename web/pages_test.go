package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"crewid"
	"crewid/access"
	"crewid/server/servertest"
	"crewid/store/sqlite"
)

// TestEveryPageRenders opens each console page as an administrator and
// checks it answers 200 with its key content.
func TestEveryPageRenders(t *testing.T) {
	env := servertest.Start(t, sqlite.OpenTest(t))
	addAdmin(t, env)
	ctx := context.Background()
	if _, _, err := env.Server.Org.CreateTeam(ctx, operator, env.Tenant.ID, crewid.Team{Name: "North Crew", Active: true}); err != nil {
		t.Fatal(err)
	}
	tech := addPerson(t, env, crewid.KindTechnician, "Tom Tech", "tom@acme.test", access.KeyTechnician, "", "")
	emp := addPerson(t, env, crewid.KindEmployee, "Dana Dispatch", "dana@acme.test", access.KeyDispatcher, "", "")

	b := newBrowser(t, env.URL)
	for _, c := range []struct{ path, want string }{
		{"/signin", `id="signin-form"`},
		{"/password-reset", `id="reset-start-form"`},
		{"/password-reset?token=abc", `id="reset-new-form"`},
	} {
		status, body := b.get(c.path)
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d", c.path, status)
		}
		mustContain(t, body, c.want)
	}
	if status, body := b.get("/invitations/accept?token=nonsense"); status != http.StatusBadRequest {
		t.Fatalf("bad invitation: %d", status)
	} else {
		mustContain(t, body, "The invitation link is not valid.")
	}

	if status, _ := b.signIn("ada", adminPassword); status != http.StatusOK {
		t.Fatalf("sign in: %d", status)
	}
	for _, c := range []struct {
		path  string
		wants []string
	}{
		{"/", []string{"Welcome, Ada Admin"}},
		{"/profile", []string{"My profile", `id="change-password-form"`}},
		{"/settings/people/technicians", []string{"Tom Tech", "Never logged in", `id="bulk-form"`, "North Crew", `class="edit"`}},
		{"/settings/people/employees", []string{"Dana Dispatch", "Ada Admin", "Dispatcher"}},
		{"/settings/people/technicians?active=any&status=NeverLoggedIn&name=tom", []string{"Tom Tech"}},
		{"/settings/people/technicians/new", []string{"Basic info", "Contact information", "Mobile access", "New account status",
			"Dispatching", "Revenue and cost", "Inventory", "Home address", "Human resources", "Permissions"}},
		{"/settings/people/employees/new", []string{"Basic info", "Office phone", "Permissions"}},
		{"/settings/people/technicians/" + strconv.FormatInt(tech.ID, 10), []string{"Tom Tech", "Profile actions", "Choose an action…", "Send Account Invite"}},
		{"/settings/people/employees/" + strconv.FormatInt(emp.ID, 10), []string{"Dana Dispatch", "Deactivate"}},
		{"/settings/outbox", []string{"Message outbox"}},
	} {
		status, body := b.get(c.path)
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d\n%s", c.path, status, body)
		}
		mustContain(t, body, c.wants...)
	}
	status, body := b.post("/settings/people/technicians/bulk", url.Values{"action": {"Activate"}, "step": {"confirm"},
		"ids": {strconv.FormatInt(tech.ID, 10)}})
	if status != http.StatusOK {
		t.Fatalf("bulk confirm: %d", status)
	}
	mustContain(t, body, "Tom Tech", `id="bulk-apply"`, "Non-managed Technician")

	// Unknown pages and records are error pages, not crashes.
	for path, want := range map[string]int{
		"/settings/people/robots":              http.StatusNotFound,
		"/settings/people/technicians/9999":    http.StatusNotFound,
		"/settings/people/technicians/x":       http.StatusNotFound,
		"/settings/people/technicians?page=-1": http.StatusBadRequest,
		"/settings/outbox?status=lost":         http.StatusBadRequest,
	} {
		if status, _ := b.get(path); status != want {
			t.Errorf("GET %s: %d, want %d", path, status, want)
		}
	}
}
