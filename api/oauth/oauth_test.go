package oauth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"crewid"
	"crewid/api"
	"crewid/api/oauth"
	"crewid/apps"
	"crewid/store"
	"crewid/store/sqlite"
)

func openStore(tb testing.TB) store.Store {
	tb.Helper()
	st, err := sqlite.Open(filepath.Join(tb.TempDir(), "crewid.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return st
}

type node struct {
	srv  *httptest.Server
	svc  *apps.Service
	keys *apps.Keys
}

// startNode serves one crewid node over st. issuer "" means the node's own URL.
func startNode(tb testing.TB, st store.Store, issuer string) *node {
	tb.Helper()
	keys := apps.NewKeys(st, nil)
	svc := &apps.Service{Store: st, Keys: keys, Environment: "production"}
	mux := http.NewServeMux()
	oauth.Routes(mux, svc, keys)
	srv := httptest.NewServer(api.Base(mux))
	tb.Cleanup(srv.Close)
	svc.Issuer = issuer
	if issuer == "" {
		svc.Issuer = srv.URL
	}
	return &node{srv: srv, svc: svc, keys: keys}
}

type appFixture struct {
	tenant int64
	app    crewid.App
	secret string
}

func createApp(tb testing.TB, st store.Store, svc *apps.Service, scopes ...string) appFixture {
	tb.Helper()
	ctx := context.Background()
	tenant := crewid.Tenant{Name: "Acme Heating", CreatedOn: time.Now(), ModifiedOn: time.Now()}
	if err := st.Update(ctx, func(tx store.Tx) error { return tx.CreateTenant(ctx, &tenant) }); err != nil {
		tb.Fatal(err)
	}
	actor := crewid.Actor{Type: crewid.ActorOperator, Name: "test"}
	app, secret, err := svc.Create(ctx, actor, tenant.ID, "Dispatch Board", scopes)
	if err != nil {
		tb.Fatal(err)
	}
	return appFixture{tenant: tenant.ID, app: app, secret: secret}
}

func TestClientCredentialsWithStandardClients(t *testing.T) {
	st := openStore(t)
	n := startNode(t, st, "")
	f := createApp(t, st, n.svc)
	ctx := context.Background()

	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams, oauth2.AuthStyleAutoDetect} {
		cfg := clientcredentials.Config{
			ClientID:     f.app.ClientID,
			ClientSecret: f.secret,
			TokenURL:     n.srv.URL + "/connect/token",
			Scopes:       []string{"people.read", "roles"},
			AuthStyle:    style,
		}
		tok, err := cfg.Token(ctx)
		if err != nil {
			t.Fatalf("auth style %d: %v", style, err)
		}
		if tok.TokenType != "Bearer" || tok.Extra("scope") != "people.read roles" {
			t.Fatalf("token = %+v scope %v", tok, tok.Extra("scope"))
		}
		if left := time.Until(tok.Expiry); left < 890*time.Second || left > 900*time.Second {
			t.Fatalf("expires in %v", left)
		}

		// go-oidc finds the provider from the issuer and verifies the token.
		provider, err := oidc.NewProvider(ctx, n.svc.Issuer)
		if err != nil {
			t.Fatal(err)
		}
		idt, err := provider.Verifier(&oidc.Config{ClientID: apps.Audience}).Verify(ctx, tok.AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		var extra struct {
			TID   int64  `json:"tid"`
			App   int64  `json:"app"`
			Env   string `json:"env"`
			Scope string `json:"scope"`
		}
		if err := idt.Claims(&extra); err != nil {
			t.Fatal(err)
		}
		if idt.Subject != f.app.ClientID || extra.TID != f.tenant || extra.App != f.app.ID || extra.Env != "production" || extra.Scope != "people.read roles" {
			t.Fatalf("verified claims: sub %q %+v", idt.Subject, extra)
		}

		// And crewid's own check accepts it.
		c, err := n.svc.Authenticate(ctx, tok.AccessToken, f.app.AppKey)
		if err != nil {
			t.Fatal(err)
		}
		if c.TenantID != f.tenant || !slices.Equal(c.Scopes, []string{"people.read", "roles"}) {
			t.Fatalf("claims = %+v", c)
		}
	}

	// The standard client sees a wrong secret as an error it can read.
	bad := clientcredentials.Config{ClientID: f.app.ClientID, ClientSecret: "cs1.wrong", TokenURL: n.srv.URL + "/connect/token"}
	_, err := bad.Token(ctx)
	var re *oauth2.RetrieveError
	if !asRetrieveError(err, &re) || re.ErrorCode != "invalid_client" || re.Response.StatusCode != 401 {
		t.Fatalf("wrong secret: %v", err)
	}
}

func asRetrieveError(err error, target **oauth2.RetrieveError) bool {
	for err != nil {
		if re, ok := err.(*oauth2.RetrieveError); ok {
			*target = re
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

// Two nodes on one database share the signing key: whichever node makes it,
// a token from one verifies on the other, through its JWKS and its own check.
func TestTwoNodesShareKeys(t *testing.T) {
	st := openStore(t)
	a := startNode(t, st, "")
	b := startNode(t, st, a.svc.Issuer) // one public URL in front of both
	ctx := context.Background()

	// Node B publishes its keys first (and so makes the key) ...
	resp, err := http.Get(b.srv.URL + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	f := createApp(t, st, a.svc)
	cfg := clientcredentials.Config{ClientID: f.app.ClientID, ClientSecret: f.secret, TokenURL: a.srv.URL + "/connect/token"}
	tok, err := cfg.Token(ctx) // ... node A signs with it.
	if err != nil {
		t.Fatal(err)
	}
	verifier := oidc.NewVerifier(a.svc.Issuer, oidc.NewRemoteKeySet(ctx, b.srv.URL+"/.well-known/jwks.json"),
		// Without discovery a verifier must be told the algorithm.
		&oidc.Config{ClientID: "crewid", SupportedSigningAlgs: []string{oidc.ES256}})
	if _, err := verifier.Verify(ctx, tok.AccessToken); err != nil {
		t.Fatalf("node B's JWKS: %v", err)
	}
	if _, err := b.svc.Authenticate(ctx, tok.AccessToken, f.app.AppKey); err != nil {
		t.Fatalf("node B: %v", err)
	}
	ka, _ := a.keys.Current(ctx)
	kb, _ := b.keys.Current(ctx)
	if ka.KeyID() != kb.KeyID() {
		t.Fatalf("nodes sign with %s and %s", ka.KeyID(), kb.KeyID())
	}
}

func TestTokenEndpointErrors(t *testing.T) {
	st := openStore(t)
	n := startNode(t, st, "")
	f := createApp(t, st, n.svc, "people.read")
	form := "application/x-www-form-urlencoded"
	good := url.Values{"grant_type": {"client_credentials"}, "client_id": {f.app.ClientID}, "client_secret": {f.secret}}
	with := func(change func(url.Values)) string {
		v := url.Values{}
		for k, vs := range good {
			v[k] = slices.Clone(vs)
		}
		change(v)
		return v.Encode()
	}
	basic := func(id, secret string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
	}

	cases := []struct {
		name        string
		method      string
		contentType string
		auth        string
		body        string
		status      int
		code        string
	}{
		{"ok", "POST", form, "", good.Encode(), 200, ""},
		{"ok basic", "POST", form, basic(f.app.ClientID, f.secret), "grant_type=client_credentials", 200, ""},
		{"ok charset", "POST", form + "; charset=utf-8", "", good.Encode(), 200, ""},
		{"json body", "POST", "application/json", "", `{"grant_type":"client_credentials"}`, 400, "invalid_request"},
		{"no content type", "POST", "", "", good.Encode(), 400, "invalid_request"},
		{"bad content type", "POST", "a/b; ===", "", good.Encode(), 400, "invalid_request"},
		{"no grant", "POST", form, "", with(func(v url.Values) { v.Del("grant_type") }), 400, "invalid_request"},
		{"password grant", "POST", form, "", with(func(v url.Values) { v.Set("grant_type", "password") }), 400, "unsupported_grant_type"},
		{"wrong secret", "POST", form, "", with(func(v url.Values) { v.Set("client_secret", "cs1.nope") }), 401, "invalid_client"},
		{"unknown client", "POST", form, "", with(func(v url.Values) { v.Set("client_id", "cid.nope") }), 401, "invalid_client"},
		{"no secret", "POST", form, "", with(func(v url.Values) { v.Del("client_secret") }), 401, "invalid_client"},
		{"no credentials", "POST", form, "", "grant_type=client_credentials", 401, "invalid_client"},
		{"wrong secret basic", "POST", form, basic(f.app.ClientID, "cs1.nope"), "grant_type=client_credentials", 401, "invalid_client"},
		{"bad basic encoding", "POST", form, "Basic " + base64.StdEncoding.EncodeToString([]byte("%zz:%zz")), "grant_type=client_credentials", 401, "invalid_client"},
		{"basic and body secret", "POST", form, basic(f.app.ClientID, f.secret), good.Encode(), 400, "invalid_request"},
		{"scope not held", "POST", form, "", with(func(v url.Values) { v.Set("scope", "people.read apps") }), 400, "invalid_scope"},
		{"unknown scope", "POST", form, "", with(func(v url.Values) { v.Set("scope", "openid") }), 400, "invalid_scope"},
		{"repeated parameter", "POST", form, "", good.Encode() + "&grant_type=client_credentials", 400, "invalid_request"},
		{"bad form", "POST", form, "", "grant_type=%zz&a=%", 400, "invalid_request"},
		{"huge body", "POST", form, "", good.Encode() + "&pad=" + strings.Repeat("a", 70<<10), 400, "invalid_request"},
		{"binary body", "POST", form, "", "\x00\xff\xfe=\x01", 400, "invalid_request"},
		{"secret in query only", "POST", form, "", "grant_type=client_credentials&client_id=" + url.QueryEscape(f.app.ClientID), 401, "invalid_client"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			target := n.srv.URL + "/connect/token"
			if tc.name == "secret in query only" {
				target += "?client_secret=" + url.QueryEscape(f.secret)
			}
			req, _ := http.NewRequest(tc.method, target, strings.NewReader(tc.body))
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q", cc)
			}
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Errorf("Content-Type %q", resp.Header.Get("Content-Type"))
			}
			var doc map[string]any
			if err := json.Unmarshal(body, &doc); err != nil {
				t.Fatalf("%v: %s", err, body)
			}
			if tc.status == 200 {
				if doc["token_type"] != "Bearer" || doc["expires_in"] != float64(900) || doc["scope"] != "people.read" || doc["access_token"] == "" {
					t.Fatalf("token response %s", body)
				}
				return
			}
			if doc["error"] != tc.code || doc["error_description"] == "" {
				t.Fatalf("error %v, want %s: %s", doc["error"], tc.code, body)
			}
			// The same object is an ApiErrorResponse.
			if doc["status"] != float64(tc.status) || doc["type"] == "" || doc["title"] == "" || doc["traceId"] == "" {
				t.Errorf("ApiErrorResponse fields: %s", body)
			}
			if h := resp.Header.Get("X-Trace-Id"); doc["traceId"] != h {
				t.Errorf("traceId %v, X-Trace-Id header %q", doc["traceId"], h)
			}
			for _, k := range []string{"errors", "data"} {
				if _, ok := doc[k].(map[string]any); !ok {
					t.Errorf("%s is not an object: %s", k, body)
				}
			}
			if tc.status == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
				t.Errorf("401 without a Basic challenge")
			}
		})
	}

	resp, err := http.Get(n.srv.URL + "/connect/token")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /connect/token: %d", resp.StatusCode)
	}
}

func TestDiscovery(t *testing.T) {
	st := openStore(t)
	n := startNode(t, st, "")
	resp, err := http.Get(n.srv.URL + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if doc["issuer"] != n.srv.URL || doc["token_endpoint"] != n.srv.URL+"/connect/token" || doc["jwks_uri"] != n.srv.URL+"/.well-known/jwks.json" ||
		doc["introspection_endpoint"] != n.srv.URL+"/connect/introspect" || doc["revocation_endpoint"] != n.srv.URL+"/connect/revoke" {
		t.Fatalf("discovery %v", doc)
	}
	lists := map[string][]string{
		"grant_types_supported":                         {"client_credentials"},
		"token_endpoint_auth_methods_supported":         {"client_secret_post", "client_secret_basic"},
		"introspection_endpoint_auth_methods_supported": {"client_secret_post", "client_secret_basic"},
		"revocation_endpoint_auth_methods_supported":    {"client_secret_post", "client_secret_basic"},
		"id_token_signing_alg_values_supported":         {"ES256"},
		"subject_types_supported":                       {"public"},
		"response_types_supported":                      {"token"},
		"scopes_supported":                              apps.AllScopes(),
	}
	for k, want := range lists {
		got, _ := doc[k].([]any)
		var s []string
		for _, v := range got {
			s = append(s, v.(string))
		}
		if !slices.Equal(s, want) {
			t.Errorf("%s = %v, want %v", k, s, want)
		}
	}
	// Every endpoint listed is served.
	for k, v := range doc {
		if !strings.HasSuffix(k, "_endpoint") && !strings.HasSuffix(k, "_uri") {
			continue
		}
		r, err := http.Post(v.(string), "application/x-www-form-urlencoded", strings.NewReader(""))
		if k == "jwks_uri" {
			r, err = http.Get(v.(string))
		}
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode == http.StatusNotFound || r.StatusCode == http.StatusMethodNotAllowed {
			t.Errorf("%s (%s) is not served: %d", k, v, r.StatusCode)
		}
	}

	resp, err = http.Get(n.srv.URL + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 {
		t.Fatalf("jwks has %d keys", len(set.Keys))
	}
	k := set.Keys[0]
	if k["kty"] != "EC" || k["crv"] != "P-256" || k["use"] != "sig" || k["alg"] != "ES256" || k["kid"] == "" || k["x"] == "" || k["y"] == "" {
		t.Fatalf("jwk %v", k)
	}
	for _, private := range []string{"d"} {
		if _, ok := k[private]; ok {
			t.Fatalf("jwk publishes private part %s", private)
		}
	}
}

// BenchmarkTokenEndpoint is the whole token endpoint (form parsing, store
// read, signature, JSON) without the network.
func BenchmarkTokenEndpoint(b *testing.B) {
	st := openStore(b)
	keys := apps.NewKeys(st, nil)
	svc := &apps.Service{Store: st, Keys: keys, Issuer: "http://bench", Environment: "production"}
	mux := http.NewServeMux()
	oauth.Routes(mux, svc, keys)
	f := createApp(b, st, svc)
	body := url.Values{"grant_type": {"client_credentials"}, "client_id": {f.app.ClientID}, "client_secret": {f.secret}}.Encode()
	do := func() int {
		req := httptest.NewRequest("POST", "/connect/token", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		return rec.Code
	}
	if code := do(); code != 200 {
		b.Fatalf("status %d", code)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if code := do(); code != 200 {
				b.Errorf("status %d", code)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}
