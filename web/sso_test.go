package web_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"crewid"
	"crewid/access"
	"crewid/people"
	"crewid/server/servertest"
	"crewid/sso/ssotest"
	"crewid/store/sqlite"
)

// An administrator configures the company's provider in the console; a
// person then signs in with their company account from the sign-in page
// and lands, with a console session, on the page they asked for.
func TestSignInWithCompanyAccount(t *testing.T) {
	idp := ssotest.Start(t)
	env := servertest.Start(t, sqlite.OpenTest(t))
	idp.AddClient("crewid-console", "Provider-Secret-1", env.Server.SSO.CallbackURL())
	addAdmin(t, env)
	ctx := context.Background()
	erin := crewid.Person{TenantID: env.Tenant.ID, Kind: crewid.KindEmployee, Name: "Erin Office", Email: "erin@acme.test",
		AADUserID: "oid-erin", RoleIDs: []int64{env.Roles[access.KeyOfficeStaff].ID}}
	if _, err := env.Server.People.Create(ctx, operator, erin, people.AccountSetup{Method: people.CreateLater}); err != nil {
		t.Fatal(err)
	}
	idp.AddUser(ssotest.User{Subject: "sub-erin", Username: "erin", Claims: map[string]any{"oid": "oid-erin"}})

	admin := newBrowser(t, env.URL)
	admin.signIn("ada", adminPassword)
	admin.get("/settings/sso")
	status, body := admin.post("/settings/sso", url.Values{"issuerUrl": {idp.Issuer}, "clientId": {"crewid-console"},
		"clientSecret": {"Provider-Secret-1"}, "enabled": {"on"}})
	if status != http.StatusOK {
		t.Fatalf("save SSO settings: %d\n%s", status, body)
	}
	mustContain(t, body, "The single sign-on settings were saved.", "A secret is set.", `id="enabled" name="enabled" checked`)
	if strings.Contains(body, "Provider-Secret-1") {
		t.Fatal("the settings page shows the client secret")
	}
	// Saving again without a secret keeps it.
	admin.post("/settings/sso", url.Values{"issuerUrl": {idp.Issuer}, "clientId": {"crewid-console"}, "enabled": {"on"}})
	if cfg, err := env.Server.SSO.Config(ctx, env.Tenant.ID); err != nil || cfg.ClientSecret != "Provider-Secret-1" || !cfg.Enabled {
		t.Fatalf("stored settings: %v %+v", err, cfg)
	}

	person := newBrowser(t, env.URL)
	_, body = person.get("/signin?next=/profile")
	mustContain(t, body, `id="sso-signin"`, `href="/signin/sso?next=%2fprofile"`)
	_, body = person.get("/signin/sso?next=/profile")
	mustContain(t, body, `id="sso-signin-form"`)
	status, body = person.get("/signin/sso?next=/profile&tenant=Nobody+Inc")
	if status != http.StatusBadRequest || fieldError(body, "tenant") == "" {
		t.Fatalf("unknown company: %d", status)
	}

	// The company, by name, leads to the provider's login form.
	resp, page := companySignIn(t, person, idp, "acme+heating", "/profile", "erin")
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/profile" || !strings.Contains(page, "Erin Office") {
		t.Fatalf("after the provider: %d at %s\n%s", resp.StatusCode, resp.Request.URL, page)
	}
	// The session is the console's own: other pages know her.
	_, body = person.get("/")
	mustContain(t, body, "Welcome, Erin Office")

	// Someone the provider knows but no person here is refused on the
	// console's sign-in page, not with the API's JSON.
	idp.AddUser(ssotest.User{Subject: "sub-max", Username: "max", Claims: map[string]any{"oid": "oid-max"}})
	resp, page = companySignIn(t, newBrowser(t, env.URL), idp, itoa(env.Tenant.ID), "/", "max")
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(page, `id="signin-form"`) ||
		!strings.Contains(page, "Single sign-on did not sign you in") {
		t.Fatalf("unknown person: %d at %s\n%s", resp.StatusCode, resp.Request.URL, page)
	}
}

// companySignIn starts a sign-in with the company account from the
// console for tenant, signs username in at the provider and follows the
// redirects back; it returns the last answer and its page.
func companySignIn(t *testing.T, b *browser, idp *ssotest.Provider, tenant, next, username string) (*http.Response, string) {
	t.Helper()
	status, body := b.get("/signin/sso?next=" + url.QueryEscape(next) + "&tenant=" + tenant)
	m := regexp.MustCompile(`href="([^"]+)" id="sso-continue"`).FindStringSubmatch(body)
	if status != http.StatusOK || m == nil {
		t.Fatalf("start: %d\n%s", status, body)
	}
	resp, err := b.client.Get(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(resp.Request.URL.String(), idp.Issuer) || !strings.Contains(string(page), "authRequestID") {
		t.Fatalf("not at the provider: %s\n%s", resp.Request.URL, page)
	}
	id := resp.Request.URL.Query().Get("authRequestID")
	resp, err = b.client.PostForm(idp.Issuer+"/login", url.Values{"authRequestID": {id}, "username": {username}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(page)
}
