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
	"crewid/server/servertest"
	"crewid/store/sqlite"
)

// checkedRoles are the role ids a person form has ticked.
func checkedRoles(body string) []string {
	var ids []string
	for _, m := range regexp.MustCompile(`name="roleIds" value="(\d+)" checked`).FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// "Add employee" starts with the built-in Office Staff role ticked, as
// "Add technician" starts with Technician, so that the form saves as it
// comes.
func TestNewPersonStartsWithARole(t *testing.T) {
	env := servertest.Start(t, sqlite.OpenTest(t))
	addAdmin(t, env)
	b := newBrowser(t, env.URL)
	b.signIn("ada", adminPassword)
	for _, c := range []struct {
		kind crewid.Kind
		slug string
		role string
		form url.Values
	}{
		{crewid.KindEmployee, "employees", access.KeyOfficeStaff, url.Values{"name": {"Nell New"}, "email": {"nell@acme.test"}}},
		{crewid.KindTechnician, "technicians", access.KeyTechnician, url.Values{"name": {"Ted New"}, "email": {"ted@acme.test"},
			"licenseType": {"ManagedTechnician"}, "mobileAccessEnabled": {"on"}}},
	} {
		_, body := b.get("/settings/people/" + c.slug + "/new")
		roles := checkedRoles(body)
		if want := itoa(env.Roles[c.role].ID); len(roles) != 1 || roles[0] != want {
			t.Fatalf("new %s: roles ticked %v, want only %s (%s)", c.slug, roles, c.role, want)
		}
		// Sent as it comes, with the name and contact filled in.
		c.form.Set("accountCreationMethod", "CreateLater")
		c.form.Set("roleIds.shown", "1")
		c.form["roleIds"] = roles
		status, body := b.post("/settings/people/"+c.slug+"/new", c.form)
		if status != http.StatusOK || !strings.Contains(body, c.form.Get("name")+" was added.") {
			t.Fatalf("save new %s as offered: %d\n%s", c.slug, status, body)
		}
		p := personByName(t, env, c.kind, c.form.Get("name"))
		if len(p.RoleIDs) != 1 || p.RoleIDs[0] != env.Roles[c.role].ID {
			t.Errorf("%s saved with roles %v", p.Name, p.RoleIDs)
		}
	}
}

// Positions and appointment visibilities are shown in words and sent as
// the Settings API's names.
func TestChoicesShowLabels(t *testing.T) {
	env := servertest.Start(t, sqlite.OpenTest(t))
	addAdmin(t, env)
	tech := addPerson(t, env, crewid.KindTechnician, "Tom Tech", "tom@acme.test", access.KeyTechnician, "", "")
	b := newBrowser(t, env.URL)
	b.signIn("ada", adminPassword)

	_, body := b.get("/settings/people/employees/new")
	mustContain(t, body, `value="CsrManager"> CSR Manager</label>`, `value="GeneralOfficeNonManagement"> General Office (non-management)</label>`)
	if strings.Contains(body, "> CsrManager<") {
		t.Error("the employee form shows the position CsrManager by its API name")
	}
	path := personPath(crewid.KindTechnician, tech.ID)
	_, body = b.get(path)
	mustContain(t, body, `value="PartRunner"> Part Runner</label>`,
		`<option value="AllScheduledDispatchedWorkingToday">All scheduled, dispatched or working today</option>`,
		`<option value="LastSevenDays">Last seven days</option>`)
	if strings.Contains(body, ">AllScheduledDispatchedWorkingToday<") {
		t.Error("the technician form shows a visibility by its API name")
	}

	status, body := b.post(path, url.Values{"name": {"Tom Tech"}, "licenseType": {"ManagedTechnician"}, "mobileAccessEnabled": {"on"},
		"positions": {"PartRunner", "Service"}, "jobFilter": {"AllScheduledDispatchedWorkingToday"}, "jobHistoryDateFilter": {"LastSevenDays"}})
	if status != http.StatusOK || !strings.Contains(body, "Saved changes to Tom Tech.") {
		t.Fatalf("save: %d\n%s", status, body)
	}
	p, err := env.Store.Person(context.Background(), env.Tenant.ID, tech.ID)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(p.Positions, ",") != "PartRunner,Service" || p.JobFilter != "AllScheduledDispatchedWorkingToday" || p.JobHistoryDateFilter != "LastSevenDays" {
		t.Errorf("saved positions %v, job filter %q, history %q", p.Positions, p.JobFilter, p.JobHistoryDateFilter)
	}
}

// The list's counter agrees with its number.
func TestListCountsInWords(t *testing.T) {
	env := servertest.Start(t, sqlite.OpenTest(t))
	addAdmin(t, env)
	b := newBrowser(t, env.URL)
	b.signIn("ada", adminPassword)
	count := func(path string) string {
		_, body := b.get(path)
		return extract(t, body, `id="result-count">([^<]*)<`)
	}
	if got := count("/settings/people/employees"); got != "1 employee" {
		t.Errorf("one employee counted as %q", got)
	}
	if got := count("/settings/people/technicians"); got != "0 technicians" {
		t.Errorf("no technician counted as %q", got)
	}
	addPerson(t, env, crewid.KindEmployee, "Owen Office", "owen@acme.test", access.KeyOfficeStaff, "", "")
	if got := count("/settings/people/employees"); got != "2 employees" {
		t.Errorf("two employees counted as %q", got)
	}
}

// Typed and tampered values get messages in the form's own terms.
func TestFormValuesRefusedInTheFormsTerms(t *testing.T) {
	env := servertest.Start(t, sqlite.OpenTest(t))
	addAdmin(t, env)
	tech := addPerson(t, env, crewid.KindTechnician, "Tom Tech", "tom@acme.test", access.KeyTechnician, "", "")
	b := newBrowser(t, env.URL)
	b.signIn("ada", adminPassword)
	path := personPath(crewid.KindTechnician, tech.ID)
	base := url.Values{"name": {"Tom Tech"}, "licenseType": {"ManagedTechnician"}, "mobileAccessEnabled": {"on"}}
	with := func(field, value string) url.Values {
		form := url.Values{}
		for k, v := range base {
			form[k] = v
		}
		form.Set(field, value)
		return form
	}
	for _, c := range []struct {
		field, value, want string
	}{
		{"truckId", "abc", "The truck number must be a whole number, such as 12."},
		{"truckId", "-4", "The truck number must be a whole number, such as 12."},
		{"licenseType", "ManagedTech", "Choose a license type: Managed Technician, Non-managed Technician or Managed Installer."},
		{"positions", "Astronaut", "Choose the positions from the list."},
		{"jobFilter", "Everything", "Choose an upcoming appointment visibility from the list."},
	} {
		b.get(path)
		status, body := b.post(path, with(c.field, c.value))
		got := fieldError(body, c.field)
		if c.field == "positions" && strings.Contains(body, `<span class="field-error">`+c.want+`</span>`) {
			got = c.want // a list of checkboxes has its error after the list
		}
		if status != http.StatusBadRequest || got != c.want {
			t.Errorf("%s=%q: %d, error %q, want %q", c.field, c.value, status, got, c.want)
		}
		if strings.Contains(body, "Not a valid choice.") || strings.Contains(body, "Must be ManagedTech") {
			t.Errorf("%s=%q: the message names what the form does not offer", c.field, c.value)
		}
	}
	b.get(path)
	if status, body := b.post(path, with("truckId", "12")); status != http.StatusOK || !strings.Contains(body, "Saved changes") {
		t.Fatalf("truck 12: %d", status)
	}
	if p, _ := env.Store.Person(context.Background(), env.Tenant.ID, tech.ID); p.TruckID != 12 {
		t.Errorf("truck saved as %d", p.TruckID)
	}

	// Activating with a license type the form does not offer, in the
	// profile actions and in bulk.
	if err := env.Server.People.Deactivate(context.Background(), operator, env.Tenant.ID, crewid.KindTechnician, tech.ID); err != nil {
		t.Fatal(err)
	}
	b.get(path)
	status, body := b.post(path+"/action", url.Values{"action": {"Activate"}, "licenseType": {"ManagedTech"}})
	if want := "Choose a license type: Managed Technician, Non-managed Technician or Managed Installer."; status != http.StatusBadRequest || fieldError(body, "licenseType") != want {
		t.Errorf("activate with a tampered license: %d, error %q", status, fieldError(body, "licenseType"))
	}
	b.get("/settings/people/technicians?active=false")
	_, body = b.post("/settings/people/technicians/bulk", url.Values{"action": {"Activate"}, "step": {"apply"},
		"ids": {itoa(tech.ID)}, "license." + itoa(tech.ID): {"ManagedTech"}})
	mustContain(t, body, "0 of 1 done.", "Choose a license type: Managed Technician")
	if p, _ := env.Store.Person(context.Background(), env.Tenant.ID, tech.ID); p.Active {
		t.Error("a tampered license type activated the technician")
	}
}
