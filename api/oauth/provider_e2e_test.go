package oauth_test

// crewid as an OAuth 2.0 provider, seen by clients written elsewhere
// (golang.org/x/oauth2, github.com/coreos/go-oidc) against whole servers:
// calling the Settings API, secret rotation, introspection, revocation seen
// by a second node, and environments.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"crewid"
	"crewid/apps"
	"crewid/server"
	"crewid/server/servertest"
)

// appKeyTransport adds an application key to every request.
type appKeyTransport struct{ key string }

func (t appKeyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("ST-App-Key", t.key)
	return http.DefaultTransport.RoundTrip(r)
}

// client is an application's view of a crewid server.
type client struct {
	t      *testing.T
	base   string
	creds  servertest.Credentials
	tenant int64
}

func (c client) config(secret string) clientcredentials.Config {
	return clientcredentials.Config{ClientID: c.creds.ClientID, ClientSecret: secret, TokenURL: c.base + "/connect/token"}
}

// token obtains a token with the given secret through the oauth2 library.
func (c client) token(secret string) (*oauth2.Token, error) {
	cfg := c.config(secret)
	return cfg.Token(context.Background())
}

// get calls the Settings API with a raw token and the application key,
// on base (a node).
func (c client) get(base, token, path string) int {
	c.t.Helper()
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/settings/v2/tenant/%d%s", base, c.tenant, path), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("ST-App-Key", c.creds.AppKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// form posts a client-authenticated form to base+path.
func (c client) form(base, path, secret string, values url.Values) (int, map[string]any) {
	c.t.Helper()
	req, _ := http.NewRequest("POST", base+path, strings.NewReader(values.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(c.creds.ClientID), url.QueryEscape(secret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var body map[string]any
	_ = json.Unmarshal(raw, &body)
	return resp.StatusCode, body
}

func (c client) introspect(base, secret, token string) map[string]any {
	c.t.Helper()
	status, body := c.form(base, "/connect/introspect", secret, url.Values{"token": {token}})
	if status != http.StatusOK {
		c.t.Fatalf("introspect: status %d, %v", status, body)
	}
	return body
}

func newClient(t *testing.T, env *servertest.Env) client {
	return client{t: t, base: env.URL, creds: env.App, tenant: env.Tenant.ID}
}

// secondNode serves another server on the same database, with caches of
// its own and the same public URL (issuer) and environment.
func secondNode(t *testing.T, env *servertest.Env) string {
	t.Helper()
	cfg := env.Server.Config
	cfg.Store = env.Store
	srv := httptest.NewServer(server.New(cfg).Handler)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestStandardClientsCallTheAPI(t *testing.T) {
	t.Parallel()
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		t.Parallel()
		env := servertest.Start(t, b.Open(t))
		c := newClient(t, env)
		ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: appKeyTransport{env.App.AppKey}})

		// The oauth2 library gets a token and calls the API with it.
		cfg := c.config(env.App.ClientSecret)
		cfg.Scopes = []string{apps.ScopePeopleRead}
		hc := cfg.Client(ctx)
		resp, err := hc.Get(fmt.Sprintf("%s/settings/v2/tenant/%d/technicians", env.URL, env.Tenant.ID))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET technicians with the library's client: %d", resp.StatusCode)
		}
		// Its token holds only the scope asked for.
		resp, err = hc.Get(fmt.Sprintf("%s/settings/v2/tenant/%d/history", env.URL, env.Tenant.ID))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("GET history with a people.read token: %d, want 403", resp.StatusCode)
		}

		// go-oidc discovers the issuer and verifies the token with the JWKS.
		provider, err := oidc.NewProvider(ctx, env.URL)
		if err != nil {
			t.Fatalf("discovery: %v", err)
		}
		tok, err := cfg.Token(ctx)
		if err != nil {
			t.Fatal(err)
		}
		idt, err := provider.Verifier(&oidc.Config{ClientID: apps.Audience, SupportedSigningAlgs: []string{oidc.ES256}}).Verify(ctx, tok.AccessToken)
		if err != nil {
			t.Fatalf("verify: %v", err)
		}
		var claims struct {
			TenantID int64  `json:"tid"`
			Env      string `json:"env"`
			Scope    string `json:"scope"`
		}
		if err := idt.Claims(&claims); err != nil || claims.TenantID != env.Tenant.ID || claims.Env != "integration" || claims.Scope != apps.ScopePeopleRead {
			t.Errorf("claims %+v (%v)", claims, err)
		}
		// The discovery document names what a client needs, and nothing not served.
		var doc struct {
			Introspection string `json:"introspection_endpoint"`
			Revocation    string `json:"revocation_endpoint"`
		}
		if err := provider.Claims(&doc); err != nil || doc.Introspection != env.URL+"/connect/introspect" || doc.Revocation != env.URL+"/connect/revoke" {
			t.Errorf("discovery endpoints %+v (%v)", doc, err)
		}
	})
}

func TestSecretRotation(t *testing.T) {
	t.Parallel()
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		t.Parallel()
		env := servertest.Start(t, b.Open(t))
		c := newClient(t, env)
		admin := env.Authorize(t, env.App)
		appPath := fmt.Sprintf("/settings/v2/tenant/%d/apps/%d", env.Tenant.ID, env.App.AppID)
		status, raw := env.Do(t, admin, "POST", appPath+"/secrets", nil)
		if status != http.StatusOK {
			t.Fatalf("add secret: %d %s", status, raw)
		}
		var second struct {
			SecretID     int64  `json:"secretId"`
			ClientSecret string `json:"clientSecret"`
		}
		if err := json.Unmarshal(raw, &second); err != nil || second.ClientSecret == "" {
			t.Fatalf("add secret: %s", raw)
		}
		// A third live secret is refused.
		if status, raw := env.Do(t, admin, "POST", appPath+"/secrets", nil); status != http.StatusConflict {
			t.Fatalf("third secret: %d %s, want 409", status, raw)
		}
		// Both work.
		oldTok, err := c.token(env.App.ClientSecret)
		if err != nil {
			t.Fatalf("first secret: %v", err)
		}
		newTok, err := c.token(second.ClientSecret)
		if err != nil {
			t.Fatalf("second secret: %v", err)
		}
		for _, tok := range []*oauth2.Token{oldTok, newTok} {
			if s := c.get(env.URL, tok.AccessToken, "/employees"); s != http.StatusOK {
				t.Fatalf("API with a token of either secret: %d", s)
			}
		}
		// Deleting the first stops it: no new tokens, and its tokens end.
		var app struct {
			Secrets []struct {
				ID int64 `json:"id"`
			} `json:"secrets"`
		}
		_, raw = env.Do(t, env.Authorize(t, servertest.Credentials{AppKey: env.App.AppKey, ClientID: env.App.ClientID, ClientSecret: second.ClientSecret}), "GET", appPath, nil)
		if err := json.Unmarshal(raw, &app); err != nil || len(app.Secrets) != 2 {
			t.Fatalf("app: %s", raw)
		}
		first := app.Secrets[0].ID
		if first == second.SecretID {
			first = app.Secrets[1].ID
		}
		if status, raw := env.Do(t, admin, "DELETE", fmt.Sprintf("%s/secrets/%d", appPath, first), nil); status != http.StatusOK {
			t.Fatalf("delete secret: %d %s", status, raw)
		}
		if _, err := c.token(env.App.ClientSecret); err == nil {
			t.Fatal("the deleted secret still gets tokens")
		}
		if s := c.get(env.URL, oldTok.AccessToken, "/employees"); s != http.StatusUnauthorized {
			t.Fatalf("a token of the deleted secret: %d, want 401", s)
		}
		if s := c.get(env.URL, newTok.AccessToken, "/employees"); s != http.StatusOK {
			t.Fatalf("a token of the remaining secret: %d", s)
		}
	})
}

func TestIntrospectionAndRevocationAcrossNodes(t *testing.T) {
	t.Parallel()
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		t.Parallel()
		env := servertest.Start(t, b.Open(t))
		node2 := secondNode(t, env)
		c := newClient(t, env)
		secret := env.App.ClientSecret
		tok, err := c.token(secret)
		if err != nil {
			t.Fatal(err)
		}

		got := c.introspect(node2, secret, tok.AccessToken)
		if got["active"] != true || got["client_id"] != env.App.ClientID || got["token_type"] != "Bearer" ||
			got["env"] != "integration" || got["iss"] != env.URL || got["tid"] != float64(env.Tenant.ID) {
			t.Fatalf("introspection of a live token: %v", got)
		}
		// Another application's token, a person's token and garbage are
		// not active for this client.
		_, _, other := env.NewTenant(t, "Bolt Plumbing")
		otherTok, err := client{t: t, base: env.URL, creds: other}.token(other.ClientSecret)
		if err != nil {
			t.Fatal(err)
		}
		for name, foreign := range map[string]string{"another app's token": otherTok.AccessToken, "garbage": "not.a.token"} {
			if got := c.introspect(env.URL, secret, foreign); len(got) != 1 || got["active"] != false {
				t.Errorf("introspection of %s: %v", name, got)
			}
		}
		// A wrong client secret is refused.
		if status, body := c.form(env.URL, "/connect/introspect", "cs1.wrong", url.Values{"token": {tok.AccessToken}}); status != http.StatusUnauthorized || body["error"] != "invalid_client" {
			t.Errorf("introspection with a wrong secret: %d %v", status, body)
		}

		// Revoking on node 1: node 1 refuses at once, node 2 within 5 s.
		if s := c.get(node2, tok.AccessToken, "/employees"); s != http.StatusOK {
			t.Fatalf("node 2 before revocation: %d", s)
		}
		// Revoking someone else's token is refused (RFC 7009 §2.1); an
		// invalid one is answered 200 (§2.2).
		if status, body := c.form(env.URL, "/connect/revoke", secret, url.Values{"token": {otherTok.AccessToken}}); status != http.StatusBadRequest || body["error"] != "unauthorized_client" {
			t.Fatalf("revoking another app's token: %d %v", status, body)
		}
		if status, body := c.form(env.URL, "/connect/revoke", secret, url.Values{"token": {"not.a.token"}}); status != http.StatusOK {
			t.Fatalf("revoking garbage: %d %v", status, body)
		}
		if s := (client{t: t, base: env.URL, creds: other, tenant: 0}); s.introspect(env.URL, other.ClientSecret, otherTok.AccessToken)["active"] != true {
			t.Fatal("another client could revoke a token not its own")
		}
		if status, body := c.form(env.URL, "/connect/revoke", secret, url.Values{"token": {tok.AccessToken}, "token_type_hint": {"access_token"}}); status != http.StatusOK {
			t.Fatalf("revoke: %d %v", status, body)
		}
		revoked := time.Now()
		if s := c.get(env.URL, tok.AccessToken, "/employees"); s != http.StatusUnauthorized {
			t.Fatalf("node 1 after revocation: %d", s)
		}
		waitFor(t, revoked, "node 2 refuses the revoked token", func() bool { return c.get(node2, tok.AccessToken, "/employees") == http.StatusUnauthorized })
		if got := c.introspect(node2, secret, tok.AccessToken); got["active"] != false {
			t.Errorf("introspection of a revoked token: %v", got)
		}

		// Deactivating the application through node 1 ends its tokens on
		// node 2 too, for good.
		fresh, err := c.token(secret)
		if err != nil {
			t.Fatal(err)
		}
		admin := env.Authorize(t, other) // the other tenant's app cannot touch this one
		appPath := fmt.Sprintf("/settings/v2/tenant/%d/apps/%d", env.Tenant.ID, env.App.AppID)
		if status, _ := env.Do(t, admin, "PATCH", appPath, map[string]any{"active": false}); status != http.StatusNotFound {
			t.Fatalf("another tenant's app deactivating this one: %d, want 404", status)
		}
		// A second application of the tenant, with the apps scope, does it.
		manager := registerApp(t, env, "Manager", apps.ScopeApps)
		if status, raw := env.Do(t, env.Authorize(t, manager), "PATCH", appPath, map[string]any{"active": false}); status != http.StatusOK {
			t.Fatalf("deactivate: %d %s", status, raw)
		}
		deactivated := time.Now()
		waitFor(t, deactivated, "node 2 refuses the deactivated app's token", func() bool { return c.get(node2, fresh.AccessToken, "/employees") == http.StatusUnauthorized })
		if _, err := c.token(secret); err == nil {
			t.Fatal("a deactivated application still gets tokens")
		}
		if status, raw := env.Do(t, env.Authorize(t, manager), "PATCH", appPath, map[string]any{"active": true}); status != http.StatusOK {
			t.Fatalf("reactivate: %d %s", status, raw)
		}
		time.Sleep(2100 * time.Millisecond) // past the application cache on node 2
		if s := c.get(node2, fresh.AccessToken, "/employees"); s != http.StatusUnauthorized {
			t.Fatalf("a token from before the deactivation works again after reactivation: %d", s)
		}
		again, err := c.token(secret)
		if err != nil {
			t.Fatal(err)
		}
		if s := c.get(node2, again.AccessToken, "/employees"); s != http.StatusOK {
			t.Fatalf("a new token after reactivation: %d", s)
		}
	})
}

var operator = crewid.Actor{Type: crewid.ActorOperator, Name: "oauth test"}

// registerApp registers another application of the tenant with the given scopes.
func registerApp(t *testing.T, env *servertest.Env, name string, scopes ...string) servertest.Credentials {
	t.Helper()
	app, secret, err := env.Server.Apps.Create(context.Background(), operator, env.Tenant.ID, name, scopes)
	if err != nil {
		t.Fatal(err)
	}
	return servertest.Credentials{AppID: app.ID, AppKey: app.AppKey, ClientID: app.ClientID, ClientSecret: secret}
}

// waitFor polls cond until it holds, failing past 5 s after since.
func waitFor(t *testing.T, since time.Time, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		if time.Since(since) > 5*time.Second {
			t.Fatalf("%s: not within 5 s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%s after %v", what, time.Since(since).Round(time.Millisecond))
}

// TestEnvironmentsRefuseEachOther runs a production and an integration
// deployment with the same issuer on one database: each refuses the
// other's tokens.
func TestEnvironmentsRefuseEachOther(t *testing.T) {
	t.Parallel()
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		t.Parallel()
		env := servertest.Start(t, b.Open(t)) // integration
		cfg := env.Server.Config
		cfg.Store, cfg.Environment = env.Store, "production"
		prodSrv := server.New(cfg)
		prod := httptest.NewServer(prodSrv.Handler)
		t.Cleanup(prod.Close)

		c := newClient(t, env)
		integrationTok, err := c.token(env.App.ClientSecret)
		if err != nil {
			t.Fatal(err)
		}
		pc := c
		pc.base = prod.URL
		prodTok, err := pc.token(env.App.ClientSecret)
		if err != nil {
			t.Fatal(err)
		}
		if s := c.get(env.URL, integrationTok.AccessToken, "/employees"); s != http.StatusOK {
			t.Fatalf("integration token on integration: %d", s)
		}
		if s := c.get(prod.URL, prodTok.AccessToken, "/employees"); s != http.StatusOK {
			t.Fatalf("production token on production: %d", s)
		}
		if s := c.get(prod.URL, integrationTok.AccessToken, "/employees"); s != http.StatusUnauthorized {
			t.Fatalf("integration token on production: %d, want 401", s)
		}
		if s := c.get(env.URL, prodTok.AccessToken, "/employees"); s != http.StatusUnauthorized {
			t.Fatalf("production token on integration: %d, want 401", s)
		}
		if got := c.introspect(prod.URL, env.App.ClientSecret, integrationTok.AccessToken); got["active"] != false {
			t.Errorf("production introspecting an integration token: %v", got)
		}
	})
}
