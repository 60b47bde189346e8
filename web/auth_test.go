package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"crewid/server/servertest"
	"crewid/store/sqlite"
)

func TestSignInAndSignOut(t *testing.T) {
	env := servertest.Start(t, sqlite.OpenTest(t))
	addAdmin(t, env)
	b := newBrowser(t, env.URL)

	// Not signed in: the start page sends the visitor to sign in.
	status, body := b.get("/")
	if status != http.StatusOK || !strings.Contains(body, `id="signin-form"`) {
		t.Fatalf("GET / signed out: %d\n%s", status, body)
	}
	mustContain(t, body, "integration")

	status, body = b.post("/signin", url.Values{"login": {"ada"}, "password": {"wrong-Password-1"}})
	if status != http.StatusUnauthorized {
		t.Fatalf("wrong password: status %d", status)
	}
	mustContain(t, body, "The login or password is incorrect.")

	// The email works as a login too.
	status, body = b.post("/signin", url.Values{"login": {"ADA@acme.test"}, "password": {adminPassword}})
	if status != http.StatusOK {
		t.Fatalf("sign in: status %d\n%s", status, body)
	}
	mustContain(t, body, "Welcome, Ada Admin", `href="/settings/people/technicians"`, "integration")

	status, body = b.get("/profile")
	if status != http.StatusOK {
		t.Fatalf("profile: %d", status)
	}
	mustContain(t, body, "ada@acme.test", "Administrator", "Edit Employee")

	status, body = b.post("/signout", url.Values{})
	if status != http.StatusOK {
		t.Fatalf("sign out: %d", status)
	}
	mustContain(t, body, "You are signed out.", `id="signin-form"`)
	status, body = b.get("/profile")
	if status != http.StatusOK || !strings.Contains(body, `id="signin-form"`) {
		t.Fatalf("profile after sign-out: %d\n%s", status, body)
	}
}

func TestSecurityHeadersAndCookies(t *testing.T) {
	env := servertest.Start(t, sqlite.OpenTest(t))
	addAdmin(t, env)
	resp, err := http.Get(env.URL + "/signin")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP allows inline code: %q", csp)
	}
	if got := resp.Header.Get("X-Frame-Options"); got != "DENY" {
		t.Errorf("X-Frame-Options = %q", got)
	}

	b := newBrowser(t, env.URL)
	b.get("/signin")
	req, _ := http.NewRequest(http.MethodPost, env.URL+"/signin",
		strings.NewReader(url.Values{"login": {"ada"}, "password": {adminPassword}, "csrf": {b.token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, ck := range b.client.Jar.Cookies(req.URL) {
		req.AddCookie(ck)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", resp.StatusCode)
	}
	var found int
	for _, ck := range resp.Cookies() {
		if ck.Name == "crewid_session" || ck.Name == "crewid_access" {
			found++
			if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Secure {
				t.Errorf("cookie %s: HttpOnly %v SameSite %v Secure %v (plain http public URL)", ck.Name, ck.HttpOnly, ck.SameSite, ck.Secure)
			}
		}
	}
	if found != 2 {
		t.Fatalf("session cookies set: %d", found)
	}
}

func TestFormsNeedTheirToken(t *testing.T) {
	env := servertest.Start(t, sqlite.OpenTest(t))
	addAdmin(t, env)
	b := newBrowser(t, env.URL)
	b.get("/signin")

	status, _ := b.post("/signin", url.Values{"login": {"ada"}, "password": {adminPassword}, "csrf": {"forged"}})
	if status != http.StatusForbidden {
		t.Fatalf("forged token: status %d", status)
	}

	// A cross-site form post is refused whatever it carries.
	req, _ := http.NewRequest(http.MethodPost, env.URL+"/signin",
		strings.NewReader(url.Values{"login": {"ada"}, "password": {adminPassword}, "csrf": {b.token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	status, body := b.do(req)
	if status != http.StatusForbidden {
		t.Fatalf("cross-site post: status %d\n%s", status, body)
	}

	// Signed in, the session's own token is needed: the visitor token
	// from before sign-in no longer works.
	visitorToken := b.token
	if status, _ := b.signIn("ada", adminPassword); status != http.StatusOK {
		t.Fatalf("sign in: %d", status)
	}
	if b.token == visitorToken {
		t.Fatal("the form token did not change at sign-in")
	}
	status, _ = b.post("/signout", url.Values{"csrf": {visitorToken}})
	if status != http.StatusForbidden {
		t.Fatalf("sign-out with the visitor token: %d", status)
	}
	if status, body := b.get("/profile"); status != http.StatusOK || !strings.Contains(body, "My profile") {
		t.Fatalf("still signed in: %d", status)
	}
}

// The sign-in page's next parameter stays on this site, whatever a browser
// would make of tabs, line breaks and backslashes in it.
func TestSignInNextStaysOnThisSite(t *testing.T) {
	env := servertest.Start(t, sqlite.OpenTest(t))
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	addAdmin(t, env)
	b := newBrowser(t, env.URL)
	b.signIn("ada", adminPassword)
	client.Jar = b.client.Jar
	for _, next := range []string{"//evil.example", "/\t/evil.example", "/\n/evil.example", "/\\evil.example", "https://evil.example/"} {
		resp, err := client.Get(env.URL + "/signin?next=" + url.QueryEscape(next))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/" {
			t.Errorf("next=%q: %d to %q, want 303 to /", next, resp.StatusCode, loc)
		}
	}
	resp, err := client.Get(env.URL + "/signin?next=" + url.QueryEscape("/settings/roles"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); loc != "/settings/roles" {
		t.Errorf("a local next: redirected to %q", loc)
	}
}
