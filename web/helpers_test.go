package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"crewid"
	"crewid/access"
	"crewid/people"
	"crewid/server/servertest"
)

// operator creates the test data, as the platform operator would.
var operator = crewid.Actor{Type: crewid.ActorOperator, Name: "test"}

const adminPassword = "Blue-Harbor-2931"

// addPerson creates a person of kind with the built-in role key and, when
// login is set, a login and password of their own choice.
func addPerson(t testing.TB, env *servertest.Env, kind crewid.Kind, name, email, roleKey, login, pw string) crewid.Person {
	t.Helper()
	p := crewid.Person{TenantID: env.Tenant.ID, Kind: kind, Name: name, Email: email,
		RoleIDs: []int64{env.Roles[roleKey].ID}}
	if kind == crewid.KindTechnician {
		p.LicenseType, p.MobileAccessEnabled = crewid.LicenseManagedTech, true
	}
	setup := people.AccountSetup{Method: people.CreateLater}
	if login != "" {
		setup = people.AccountSetup{Method: people.AssignLoginAndPassword, Login: login, Password: pw, OwnChoice: true}
	}
	created, err := env.Server.People.Create(context.Background(), operator, p, setup)
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return created
}

// addHolder adds an employee whose one custom role holds exactly perms,
// with a login and password of their own, and signs them in.
func addHolder(t testing.TB, env *servertest.Env, name, login, pw string, perms ...int64) (crewid.Person, *browser) {
	t.Helper()
	ctx := context.Background()
	role, err := env.Server.Org.CreateRole(ctx, operator, env.Tenant.ID, crewid.Role{Name: name + "'s role", EmployeeType: crewid.EmployeeTypeEmployee,
		Active: true, Permissions: perms})
	if err != nil {
		t.Fatal(err)
	}
	p := crewid.Person{TenantID: env.Tenant.ID, Kind: crewid.KindEmployee, Name: name, Email: login + "@acme.test", RoleIDs: []int64{role.ID}}
	created, err := env.Server.People.Create(ctx, operator, p, people.AccountSetup{Method: people.AssignLoginAndPassword,
		Login: login, Password: pw, OwnChoice: true})
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, env.URL)
	b.signIn(login, pw)
	return created, b
}

func addAdmin(t testing.TB, env *servertest.Env) crewid.Person {
	return addPerson(t, env, crewid.KindEmployee, "Ada Admin", "ada@acme.test", access.KeyAdministrator, "ada", adminPassword)
}

// browser is an HTTP client with cookies that fills in the form token
// of the last page it read, as a browser submitting that page would.
type browser struct {
	t      testing.TB
	base   string
	client *http.Client
	token  string
	last   string
}

var tokenPattern = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func newBrowser(t testing.TB, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, client: &http.Client{Jar: jar}}
}

func (b *browser) do(req *http.Request) (int, string) {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	body := string(raw)
	if m := tokenPattern.FindStringSubmatch(body); m != nil {
		b.token = m[1]
	}
	b.last = body
	return resp.StatusCode, body
}

func (b *browser) get(path string) (int, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.base+path, nil)
	return b.do(req)
}

// post sends form values with the current form token.
func (b *browser) post(path string, form url.Values) (int, string) {
	b.t.Helper()
	if form.Get("csrf") == "" {
		form.Set("csrf", b.token)
	}
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func (b *browser) signIn(login, pw string) (int, string) {
	b.t.Helper()
	b.get("/signin")
	return b.post("/signin", url.Values{"login": {login}, "password": {pw}})
}

func mustContain(t testing.TB, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Fatalf("page lacks %q:\n%s", w, body)
		}
	}
}
