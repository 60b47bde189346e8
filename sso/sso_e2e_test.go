package sso_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"crewid"
	"crewid/access"
	"crewid/server/servertest"
	"crewid/sso/ssotest"
	"crewid/store"
)

// These tests run a real OpenID Connect provider (package ssotest, over
// zitadel/oidc) and a whole crewid server on 127.0.0.1, and drive the
// redirect flow as a browser would: start → the provider's login form →
// the provider's redirect to crewid's callback → tokens.

const (
	clientID     = "crewid-acme"
	clientSecret = "provider-issued-secret-1"
)

type fixture struct {
	t    *testing.T
	env  *servertest.Env
	idp  *ssotest.Provider
	auth func(context.Context, *http.Request) error
}

func setup(t *testing.T, b servertest.Backend) *fixture {
	idp := ssotest.Start(t)
	env := servertest.Start(t, b.Open(t))
	idp.AddClient(clientID, clientSecret, env.Server.SSO.CallbackURL())
	f := &fixture{t: t, env: env, idp: idp, auth: env.Authorize(t, env.App)}
	f.configure(map[string]any{"issuerUrl": idp.Issuer, "clientId": clientID, "clientSecret": clientSecret, "enabled": true})
	return f
}

func (f *fixture) path(format string, args ...any) string {
	return fmt.Sprintf("/settings/v2/tenant/%d", f.env.Tenant.ID) + fmt.Sprintf(format, args...)
}

func (f *fixture) configure(body map[string]any) []byte {
	f.t.Helper()
	status, raw := f.env.Do(f.t, f.auth, "PUT", f.path("/sso"), body)
	if status != http.StatusOK {
		f.t.Fatalf("PUT sso: %d %s", status, raw)
	}
	return raw
}

// employee creates an office employee; aad is their aadUserId ("" for
// none). With login and password set, the account is assigned them.
func (f *fixture) person(kind crewid.Kind, name, email, aad, login, password string) int64 {
	f.t.Helper()
	body := map[string]any{"name": name, "email": email, "positions": []string{}, "accountCreationMethod": "CreateLater"}
	path := "/employees"
	if kind == crewid.KindTechnician {
		path = "/technicians"
		body["licenseType"] = "ManagedTech"
		body["roleIds"] = []int64{f.env.Roles[access.KeyTechnician].ID}
	} else {
		body["roleIds"] = []int64{f.env.Roles[access.KeyOfficeStaff].ID}
	}
	if aad != "" {
		body["aadUserId"] = aad
	}
	if login != "" {
		body["accountCreationMethod"], body["login"], body["password"] = "AssignLoginAndPassword", login, password
	}
	status, raw := f.env.Do(f.t, f.auth, "POST", f.path("%s", path), body)
	if status != http.StatusOK && status != http.StatusCreated {
		f.t.Fatalf("create %s: %d %s", name, status, raw)
	}
	var out struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || out.ID == 0 {
		f.t.Fatalf("create %s: %s", name, raw)
	}
	return out.ID
}

func browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar}
}

// stopAtCallback makes c stop before following the provider's redirect to
// crewid's callback, so the test can hold on to that URL.
func stopAtCallback(c *http.Client) {
	c.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		if req.URL.Path == "/auth/sso/callback" {
			return http.ErrUseLastResponse
		}
		return nil
	}
}

type reply struct {
	status int
	body   []byte
}

func (r reply) String() string { return fmt.Sprintf("%d %s", r.status, r.body) }

func read(t *testing.T, resp *http.Response, err error) reply {
	t.Helper()
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return reply{resp.StatusCode, body}
}

// login starts a sign-in in c and signs username in at the provider. It
// returns what the last response of the redirect chain was.
func (f *fixture) login(c *http.Client, username, redirect string) (*http.Response, reply) {
	f.t.Helper()
	start := fmt.Sprintf("%s/auth/sso/%d/start", f.env.URL, f.env.Tenant.ID)
	if redirect != "" {
		start += "?redirect=" + url.QueryEscape(redirect)
	}
	resp, err := c.Get(start)
	page := read(f.t, resp, err)
	if page.status != http.StatusOK || !strings.Contains(string(page.body), "<form") {
		f.t.Fatalf("start did not lead to the provider's login form: %s", page)
	}
	id := resp.Request.URL.Query().Get("authRequestID")
	resp, err = c.PostForm(f.idp.Issuer+"/login", url.Values{"authRequestID": {id}, "username": {username}})
	return resp, read(f.t, resp, err)
}

// signIn runs the whole flow and returns the callback's answer.
func (f *fixture) signIn(username string) reply {
	f.t.Helper()
	_, r := f.login(browser(), username, "")
	return r
}

type tokens struct {
	AccessToken  string `json:"accessToken"`
	RefreshToken string `json:"refreshToken"`
	ExpiresIn    int    `json:"expiresIn"`
	Redirect     string `json:"redirect"`
}

func (f *fixture) tokens(r reply) tokens {
	f.t.Helper()
	var tk tokens
	if r.status != http.StatusOK || json.Unmarshal(r.body, &tk) != nil || tk.AccessToken == "" || tk.RefreshToken == "" {
		f.t.Fatalf("sign-in: %s; want tokens", r)
	}
	return tk
}

func (f *fixture) refused(what string, r reply) {
	f.t.Helper()
	var problem struct {
		Status int    `json:"status"`
		Title  string `json:"title"`
	}
	if r.status != http.StatusUnauthorized || json.Unmarshal(r.body, &problem) != nil || problem.Status != 401 {
		f.t.Errorf("%s: %s; want a 401 in the error format", what, r)
	}
	if strings.Contains(string(r.body), "accessToken") {
		f.t.Errorf("%s: the refusal carries tokens: %s", what, r.body)
	}
}

func (f *fixture) me(access string) reply {
	f.t.Helper()
	req, _ := http.NewRequest("GET", f.env.URL+"/me", nil)
	req.Header.Set("Authorization", "Bearer "+access)
	resp, err := http.DefaultClient.Do(req)
	return read(f.t, resp, err)
}

func (f *fixture) post(path string, body any) reply {
	f.t.Helper()
	raw, _ := json.Marshal(body)
	resp, err := http.Post(f.env.URL+path, "application/json", strings.NewReader(string(raw)))
	return read(f.t, resp, err)
}

// events returns the tenant's history events of a type.
func (f *fixture) events(eventType string) []crewid.Event {
	f.t.Helper()
	evs, err := f.env.Store.Events(context.Background(), f.env.Tenant.ID, store.EventQuery{EventType: eventType})
	if err != nil {
		f.t.Fatalf("events: %v", err)
	}
	return evs
}

// lastFailure is the reason of the newest SingleSignOn.SignInFailed event.
func (f *fixture) lastFailure() string {
	f.t.Helper()
	evs := f.events("SingleSignOn.SignInFailed")
	if len(evs) == 0 {
		f.t.Fatalf("no SingleSignOn.SignInFailed event recorded")
	}
	var ev struct {
		Reason string `json:"reason"`
	}
	if err := json.Unmarshal(evs[len(evs)-1].After, &ev); err != nil {
		f.t.Fatalf("failure event: %v", err)
	}
	return ev.Reason
}

func (f *fixture) peopleCount() int {
	f.t.Helper()
	page, err := f.env.Store.People(context.Background(), f.env.Tenant.ID,
		store.PersonQuery{ListQuery: store.ListQuery{Active: store.ActiveAny, Page: 1, PageSize: 1, IncludeTotal: true}})
	if err != nil {
		f.t.Fatalf("people: %v", err)
	}
	return page.Total
}

func TestSignInThroughProvider(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		f := setup(t, b)
		annID := f.person(crewid.KindEmployee, "Ann Office", "ann@acme.example", "oid-ann", "", "")
		f.idp.AddUser(ssotest.User{Subject: "sub-ann", Username: "ann",
			Claims: map[string]any{"oid": "oid-ann", "email": "ann@elsewhere.example", "email_verified": true}})

		_, r := f.login(browser(), "ann", "/console/people?kind=Employee")
		tk := f.tokens(r)
		if tk.Redirect != "/console/people?kind=Employee" {
			t.Errorf("redirect = %q, want the path the sign-in was started for", tk.Redirect)
		}
		me := f.me(tk.AccessToken)
		var profile struct {
			ID            int64  `json:"id"`
			AccountStatus string `json:"accountStatus"`
		}
		if me.status != http.StatusOK || json.Unmarshal(me.body, &profile) != nil || profile.ID != annID {
			t.Fatalf("GET /me with the SSO access token: %s; want person %d", me, annID)
		}
		if profile.AccountStatus != "Active" {
			t.Errorf("account status after a first SSO sign-in = %q, want Active", profile.AccountStatus)
		}
		// The session is a real one: it refreshes, and signs out.
		refreshed := f.post("/auth/refresh", map[string]string{"refreshToken": tk.RefreshToken})
		next := f.tokens(refreshed)
		if r := f.me(next.AccessToken); r.status != http.StatusOK {
			t.Errorf("GET /me after refresh: %s", r)
		}
		signedIn := f.events("Employee.SignedIn")
		if len(signedIn) != 1 || signedIn[0].RecordID != annID || !strings.Contains(string(signedIn[0].After), `"method":"SSO"`) ||
			!strings.Contains(string(signedIn[0].After), `"subject":"sub-ann"`) {
			t.Errorf("sign-in history: %+v; want one Employee.SignedIn of Ann with method SSO", signedIn)
		}

		// Once SSO is disabled, its sessions end at their next refresh.
		f.configure(map[string]any{"issuerUrl": f.idp.Issuer, "clientId": clientID, "enabled": false})
		if r := f.post("/auth/refresh", map[string]string{"refreshToken": next.RefreshToken}); r.status != http.StatusUnauthorized {
			t.Errorf("refresh of an SSO session after SSO was disabled: %s; want 401", r)
		}
		resp, err := browser().Get(fmt.Sprintf("%s/auth/sso/%d/start", f.env.URL, f.env.Tenant.ID))
		if r := read(t, resp, err); r.status != http.StatusNotFound {
			t.Errorf("start while SSO is disabled: %s; want 404", r)
		}
	})
}

func TestSignInRefusals(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		f := setup(t, b)
		f.person(crewid.KindEmployee, "Ann Office", "ann@acme.example", "oid-ann", "", "")
		f.idp.AddUser(ssotest.User{Subject: "sub-ann", Username: "ann", Claims: map[string]any{"oid": "oid-ann"}})

		t.Run("forged state", func(t *testing.T) {
			f.t = t
			c := browser()
			stopAtCallback(c)
			resp, _ := f.login(c, "ann", "")
			genuine, err := url.Parse(resp.Header.Get("Location"))
			if err != nil || genuine.Query().Get("code") == "" {
				t.Fatalf("no callback URL with a code: %q", resp.Header.Get("Location"))
			}
			forged := *genuine
			q := forged.Query()
			q.Set("state", "forged-"+q.Get("state"))
			forged.RawQuery = q.Encode()
			resp, err = c.Get(forged.String())
			f.refused("callback with a forged state", read(t, resp, err))
			// The genuine callback still works: the forgery used nothing up.
			resp, err = c.Get(genuine.String())
			f.tokens(read(t, resp, err))
		})

		t.Run("replayed state and code", func(t *testing.T) {
			f.t = t
			c := browser()
			stopAtCallback(c)
			resp, _ := f.login(c, "ann", "")
			first := resp.Header.Get("Location")
			resp, err := c.Get(first)
			f.tokens(read(t, resp, err))
			// The same callback again: its state is used up.
			c2 := browser()
			resp, err = c2.Get(first)
			f.refused("replayed callback", read(t, resp, err))
			resp, err = c.Get(first)
			f.refused("replayed callback in the same browser", read(t, resp, err))

			// A fresh sign-in's state with the first sign-in's code: the
			// provider refuses the code (used, and bound to another PKCE
			// verifier).
			stopAtCallback(c2)
			resp, _ = f.login(c2, "ann", "")
			second, _ := url.Parse(resp.Header.Get("Location"))
			firstURL, _ := url.Parse(first)
			q := second.Query()
			q.Set("code", firstURL.Query().Get("code"))
			second.RawQuery = q.Encode()
			resp, err = c2.Get(second.String())
			f.refused("callback with a replayed code", read(t, resp, err))
			if got := f.lastFailure(); got != "CodeRejected" {
				t.Errorf("recorded failure %q, want CodeRejected", got)
			}
		})

		t.Run("callback in another browser", func(t *testing.T) {
			f.t = t
			c := browser()
			stopAtCallback(c)
			resp, _ := f.login(c, "ann", "")
			resp, err := browser().Get(resp.Header.Get("Location"))
			f.refused("callback without the starting browser's cookie", read(t, resp, err))
			if got := f.lastFailure(); got != "BrowserMismatch" {
				t.Errorf("recorded failure %q, want BrowserMismatch", got)
			}
		})

		t.Run("wrong nonce", func(t *testing.T) {
			f.t = t
			f.idp.ForceNonce("a-nonce-crewid-never-sent")
			defer f.idp.ForceNonce("")
			f.refused("ID token with another nonce", f.signIn("ann"))
			if got := f.lastFailure(); got != "NonceMismatch" {
				t.Errorf("recorded failure %q, want NonceMismatch", got)
			}
		})

		t.Run("unknown person", func(t *testing.T) {
			f.t = t
			before := f.peopleCount()
			f.idp.AddUser(ssotest.User{Subject: "sub-zed", Username: "zed",
				Claims: map[string]any{"oid": "oid-zed", "email": "zed@acme.example", "email_verified": true}})
			f.refused("an account matching nobody", f.signIn("zed"))
			if got := f.lastFailure(); got != "UnknownPerson" {
				t.Errorf("recorded failure %q, want UnknownPerson", got)
			}
			if after := f.peopleCount(); after != before {
				t.Errorf("people: %d before, %d after; a sign-in must never create one", before, after)
			}
		})

		t.Run("email only when verified", func(t *testing.T) {
			f.t = t
			beaID := f.person(crewid.KindEmployee, "Bea Office", "bea@acme.example", "", "", "")
			f.idp.AddUser(ssotest.User{Subject: "sub-bea", Username: "bea",
				Claims: map[string]any{"oid": "oid-bea", "email": "Bea@Acme.example", "email_verified": false}})
			f.refused("an unverified email", f.signIn("bea"))
			f.idp.AddUser(ssotest.User{Subject: "sub-bea", Username: "bea",
				Claims: map[string]any{"oid": "oid-bea", "email": "Bea@Acme.example", "email_verified": true}})
			tk := f.tokens(f.signIn("bea"))
			var profile struct {
				ID int64 `json:"id"`
			}
			if r := f.me(tk.AccessToken); json.Unmarshal(r.body, &profile) != nil || profile.ID != beaID {
				t.Errorf("signed in by verified email as %s, want person %d", r, beaID)
			}
			// A person linked to a directory account is not taken by
			// another account with the same email.
			f.person(crewid.KindEmployee, "Cy Office", "cy@acme.example", "oid-cy", "", "")
			f.idp.AddUser(ssotest.User{Subject: "sub-cy2", Username: "cy-impostor",
				Claims: map[string]any{"oid": "oid-other", "email": "cy@acme.example", "email_verified": true}})
			f.refused("another account with a linked person's email", f.signIn("cy-impostor"))
		})

		t.Run("inactive person", func(t *testing.T) {
			f.t = t
			calID := f.person(crewid.KindEmployee, "Cal Office", "cal@acme.example", "oid-cal", "", "")
			status, raw := f.env.Do(t, f.auth, "POST", f.path("/employees/%d/account-actions", calID), map[string]any{"action": "Deactivate"})
			if status != http.StatusOK && status != http.StatusNoContent {
				t.Fatalf("deactivate: %d %s", status, raw)
			}
			f.idp.AddUser(ssotest.User{Subject: "sub-cal", Username: "cal", Claims: map[string]any{"oid": "oid-cal"}})
			f.refused("an inactive person", f.signIn("cal"))
			failed := f.events("Employee.SignInFailed")
			if len(failed) == 0 || failed[len(failed)-1].RecordID != calID ||
				!strings.Contains(string(failed[len(failed)-1].After), `"reason":"Inactive"`) {
				t.Errorf("failed sign-ins: %+v; want Cal's, reason Inactive", failed)
			}
		})
	})
}

func TestRequireSSOForEmployees(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		f := setup(t, b)
		f.person(crewid.KindEmployee, "Eve Office", "eve@acme.example", "oid-eve", "eve.office", "Assigned-Pass-42")
		f.person(crewid.KindTechnician, "Tom Field", "tom@acme.example", "", "tom.field", "Assigned-Pass-42")
		signIn := func(login string) reply {
			return f.post("/auth/sign-in", map[string]string{"login": login, "password": "Assigned-Pass-42"})
		}
		for _, login := range []string{"eve.office", "tom.field"} {
			if r := signIn(login); r.status != http.StatusOK {
				t.Fatalf("password sign-in of %s before SSO is required: %s", login, r)
			}
		}
		raw := f.configure(map[string]any{"issuerUrl": f.idp.Issuer, "clientId": clientID, "enabled": true, "requireForEmployees": true})
		if !strings.Contains(string(raw), `"requireForEmployees":true`) {
			t.Fatalf("PUT answered %s", raw)
		}
		refused := signIn("eve.office")
		unknown := f.post("/auth/sign-in", map[string]string{"login": "nobody.here", "password": "Assigned-Pass-42"})
		if refused.status != http.StatusUnauthorized || string(refused.body[:strings.Index(string(refused.body), "traceId")]) !=
			string(unknown.body[:strings.Index(string(unknown.body), "traceId")]) {
			t.Errorf("employee's password sign-in: %s; want the same 401 as an unknown login (%s)", refused, unknown)
		}
		if r := signIn("tom.field"); r.status != http.StatusOK {
			t.Errorf("technician's password sign-in while SSO is required for employees: %s", r)
		}
		// The employee signs in through the provider instead.
		f.idp.AddUser(ssotest.User{Subject: "sub-eve", Username: "eve", Claims: map[string]any{"oid": "oid-eve"}})
		f.tokens(f.signIn("eve"))
	})
}

func TestSettings(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		f := setup(t, b)
		status, raw := f.env.Do(t, f.auth, "GET", f.path("/sso"), nil)
		if status != http.StatusOK {
			t.Fatalf("GET sso: %d %s", status, raw)
		}
		var cfg map[string]any
		if err := json.Unmarshal(raw, &cfg); err != nil {
			t.Fatal(err)
		}
		if cfg["clientSecretSet"] != true || cfg["userIdClaim"] != "oid" || cfg["emailClaim"] != "email" ||
			cfg["redirectUri"] != f.env.Server.SSO.CallbackURL() || strings.Contains(string(raw), clientSecret) {
			t.Errorf("GET sso: %s", raw)
		}
		for _, e := range f.events("") {
			if strings.Contains(string(e.After)+string(e.Before), clientSecret) {
				t.Errorf("history event %s holds the client secret", e.Type)
			}
		}
		if evs := f.events("SingleSignOn.Created"); len(evs) != 1 {
			t.Errorf("SingleSignOn.Created events: %d, want 1", len(evs))
		}

		bad := []struct {
			field string
			body  map[string]any
		}{
			{"issuerUrl", map[string]any{"issuerUrl": "http://idp.example.com", "clientId": "c", "enabled": true}},
			{"issuerUrl", map[string]any{"issuerUrl": "not a url", "clientId": "c"}},
			{"clientId", map[string]any{"issuerUrl": f.idp.Issuer, "enabled": true}},
			{"scopes", map[string]any{"issuerUrl": f.idp.Issuer, "clientId": "c", "scopes": []string{"has space"}}},
			{"userIdClaim", map[string]any{"issuerUrl": f.idp.Issuer, "clientId": "c", "userIdClaim": "a\"b"}},
			{"requireForEmployees", map[string]any{"issuerUrl": f.idp.Issuer, "clientId": "c", "requireForEmployees": true}},
			{"enabled", map[string]any{"enabled": "yes"}},
		}
		for _, tc := range bad {
			status, raw := f.env.Do(t, f.auth, "PUT", f.path("/sso"), tc.body)
			if status != http.StatusBadRequest || !strings.Contains(string(raw), `"`+tc.field+`"`) {
				t.Errorf("PUT %v: %d %s; want 400 naming %s", tc.body, status, raw, tc.field)
			}
		}

		// Start refuses a redirect off this site, and a tenant without SSO.
		c := browser()
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		for _, redirect := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"} {
			resp, err := c.Get(fmt.Sprintf("%s/auth/sso/%d/start?redirect=%s", f.env.URL, f.env.Tenant.ID, url.QueryEscape(redirect)))
			if r := read(t, resp, err); r.status != http.StatusBadRequest {
				t.Errorf("start with redirect %q: %s; want 400", redirect, r)
			}
		}
		other, _, _ := f.env.NewTenant(t, "Bolt Plumbing")
		resp, err := c.Get(fmt.Sprintf("%s/auth/sso/%d/start", f.env.URL, other.ID))
		if r := read(t, resp, err); r.status != http.StatusNotFound {
			t.Errorf("start for a tenant without SSO: %s; want 404", r)
		}
	})
}
