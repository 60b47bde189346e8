package apps_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"crewid"
	"crewid/apps"
	"crewid/store"
)

func TestRoundTrip(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	app, secret := f.create(t, "  Dispatch Board  ")
	if app.ID == 0 || app.TenantID != f.tenant || app.Name != "Dispatch Board" || !app.Active {
		t.Fatalf("created app = %+v", app)
	}
	if !strings.HasPrefix(app.AppKey, "ak1.") || !strings.HasPrefix(app.ClientID, "cid.") || !strings.HasPrefix(secret, "cs1.") {
		t.Fatalf("credentials: key %q, client %q, secret %q", app.AppKey, app.ClientID, secret)
	}
	if raw, _ := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(secret, "cs1.")); len(raw) != 32 {
		t.Fatalf("secret carries %d random bytes, want 32", len(raw))
	}
	if !slices.Equal(app.Scopes, apps.AllScopes()) {
		t.Fatalf("default scopes = %v", app.Scopes)
	}
	if len(app.Secrets) != 1 || app.Secrets[0].Hash != nil {
		t.Fatalf("returned secrets = %+v (one, without hash)", app.Secrets)
	}

	tok, err := f.svc.IssueToken(ctx, app.ClientID, secret, "")
	if err != nil {
		t.Fatal(err)
	}
	if tok.TokenType != "Bearer" || tok.ExpiresIn != 900 || tok.Scope != strings.Join(apps.AllScopes(), " ") {
		t.Fatalf("token = %+v", tok)
	}
	claims, err := f.svc.Authenticate(ctx, tok.AccessToken, app.AppKey)
	if err != nil {
		t.Fatal(err)
	}
	want := apps.Claims{
		TenantID: f.tenant, AppID: app.ID, AppName: "Dispatch Board", ClientID: app.ClientID,
		Scopes: apps.AllScopes(), Environment: "production", ExpiresAt: f.clock.Now().Add(15 * time.Minute),
	}
	want.TokenID = claims.TokenID
	if claims.TokenID == "" || !claimsEqual(claims, want) {
		t.Fatalf("claims = %+v\nwant     %+v", claims, want)
	}

	// The token as any JWT library sees it.
	header, payload := decodeJWT(t, tok.AccessToken)
	if header["alg"] != "ES256" || header["kid"] == nil || header["kid"] == "" {
		t.Fatalf("header = %v", header)
	}
	for k, v := range map[string]any{
		"iss": issuer, "sub": app.ClientID, "aud": "crewid", "tid": float64(f.tenant), "app": float64(app.ID),
		"env": "production", "scope": tok.Scope,
		"iat": float64(f.clock.Now().Unix()), "nbf": float64(f.clock.Now().Unix()), "exp": float64(f.clock.Now().Add(900 * time.Second).Unix()),
	} {
		if payload[k] != v {
			t.Errorf("claim %s = %v, want %v", k, payload[k], v)
		}
	}
	if payload["jti"] == "" || payload["jti"] == nil {
		t.Error("no jti")
	}
	tok2, _ := f.svc.IssueToken(ctx, app.ClientID, secret, "")
	if _, p2 := decodeJWT(t, tok2.AccessToken); p2["jti"] == payload["jti"] {
		t.Error("two tokens share a jti")
	}
}

func claimsEqual(a, b apps.Claims) bool {
	return a.TenantID == b.TenantID && a.AppID == b.AppID && a.AppName == b.AppName && a.ClientID == b.ClientID &&
		slices.Equal(a.Scopes, b.Scopes) && a.TokenID == b.TokenID && a.Environment == b.Environment && a.ExpiresAt.Equal(b.ExpiresAt)
}

func decodeJWT(t *testing.T, raw string) (header, payload map[string]any) {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWT: %q", raw)
	}
	for i, dst := range []*map[string]any{&header, &payload} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	return header, payload
}

func TestIssueTokenRefusesBadCredentials(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	app, secret := f.create(t, "Board")

	_, errWrong := f.svc.IssueToken(ctx, app.ClientID, secret+"x", "")
	_, errUnknown := f.svc.IssueToken(ctx, "cid.nobody", secret, "")
	_, errEmpty := f.svc.IssueToken(ctx, app.ClientID, "", "")
	for _, err := range []error{errWrong, errUnknown, errEmpty} {
		wantCode(t, err, crewid.Unauthenticated)
	}
	if errWrong.Error() != errUnknown.Error() {
		t.Fatalf("wrong secret %q and unknown client %q answer differently", errWrong, errUnknown)
	}
	// Another app's secret does not open this one.
	other, otherSecret := f.create(t, "Other")
	if _, err := f.svc.IssueToken(ctx, app.ClientID, otherSecret, ""); err == nil {
		t.Fatal("another application's secret was accepted")
	}
	if _, err := f.svc.IssueToken(ctx, other.ClientID, otherSecret, ""); err != nil {
		t.Fatal(err)
	}
}

func TestInactiveApp(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	app, secret := f.create(t, "Board")
	tok, err := f.svc.IssueToken(ctx, app.ClientID, secret, "")
	if err != nil {
		t.Fatal(err)
	}
	// Node B shares the database and has the app in its cache.
	nodeB := newService(f.st, f.clock, "production")
	if _, err := nodeB.Authenticate(ctx, tok.AccessToken, app.AppKey); err != nil {
		t.Fatal(err)
	}

	off := false
	if _, err := f.svc.Update(ctx, admin, f.tenant, app.ID, nil, nil, &off); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.IssueToken(ctx, app.ClientID, secret, "")
	wantCode(t, err, crewid.Unauthenticated)
	// The node that made the change knows at once.
	_, err = f.svc.Authenticate(ctx, tok.AccessToken, app.AppKey)
	wantCode(t, err, crewid.Unauthenticated)
	if !strings.Contains(err.Error(), "deactivated") {
		t.Errorf("message %q does not say the app was deactivated", err)
	}
	// Node B trusts its cache for at most the cache TTL.
	if _, err := nodeB.Authenticate(ctx, tok.AccessToken, app.AppKey); err != nil {
		t.Fatalf("within the cache TTL: %v", err)
	}
	f.clock.Advance(apps.DefaultAppCacheTTL)
	_, err = nodeB.Authenticate(ctx, tok.AccessToken, app.AppKey)
	wantCode(t, err, crewid.Unauthenticated)

	on := true
	if _, err := f.svc.Update(ctx, admin, f.tenant, app.ID, nil, nil, &on); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.IssueToken(ctx, app.ClientID, secret, ""); err != nil {
		t.Fatalf("reactivated: %v", err)
	}
}

func TestOtherEnvironmentRefused(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	app, secret := f.create(t, "Board")
	integration := newService(f.st, f.clock, "integration")
	tok, err := integration.IssueToken(ctx, app.ClientID, secret, "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Authenticate(ctx, tok.AccessToken, app.AppKey)
	wantCode(t, err, crewid.Unauthenticated)
	if !strings.Contains(err.Error(), "integration") {
		t.Errorf("message %q does not name the environment", err)
	}
	if _, err := integration.Authenticate(ctx, tok.AccessToken, app.AppKey); err != nil {
		t.Fatal(err)
	}
}

func TestAppKey(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	app, secret := f.create(t, "Board")
	other, _ := f.create(t, "Other")
	tok, err := f.svc.IssueToken(ctx, app.ClientID, secret, "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Authenticate(ctx, tok.AccessToken, "")
	wantCode(t, err, crewid.Forbidden)
	if !strings.Contains(err.Error(), "ST-App-Key") {
		t.Errorf("message %q does not name the header", err)
	}
	_, err = f.svc.Authenticate(ctx, tok.AccessToken, other.AppKey)
	wantCode(t, err, crewid.Forbidden)
	_, err = f.svc.Authenticate(ctx, tok.AccessToken, app.AppKey+"x")
	wantCode(t, err, crewid.Forbidden)
}

func TestExpiry(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	app, secret := f.create(t, "Board")
	tok, err := f.svc.IssueToken(ctx, app.ClientID, secret, "")
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(15*time.Minute + 29*time.Second)
	if _, err := f.svc.Authenticate(ctx, tok.AccessToken, app.AppKey); err != nil {
		t.Fatalf("within the leeway: %v", err)
	}
	f.clock.Advance(2 * time.Second)
	_, err = f.svc.Authenticate(ctx, tok.AccessToken, app.AppKey)
	wantCode(t, err, crewid.Unauthenticated)
	if !strings.Contains(err.Error(), "expired") {
		t.Errorf("message %q does not say expired", err)
	}

	// A token from the future (a node with a fast clock) is refused beyond the leeway.
	f.clock.Advance(-15*time.Minute - 31*time.Second - 31*time.Second)
	_, err = f.svc.Authenticate(ctx, tok.AccessToken, app.AppKey)
	wantCode(t, err, crewid.Unauthenticated)
}

func TestBadTokens(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	app, secret := f.create(t, "Board")
	tok, err := f.svc.IssueToken(ctx, app.ClientID, secret, "")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok.AccessToken, ".")
	header, payload := decodeJWT(t, tok.AccessToken)

	// A token signed with a key crewid does not hold, same kid.
	stranger, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	forged := sign(t, jose.ES256, jose.JSONWebKey{Key: stranger, KeyID: header["kid"].(string)}, payload)
	// HS256 with the public key as secret (algorithm confusion).
	hs := sign(t, jose.HS256, jose.JSONWebKey{Key: []byte("0123456789abcdef0123456789abcdef"), KeyID: header["kid"].(string)}, payload)
	// Changed payload under the original signature.
	payload["tid"] = float64(f.tenant + 1)
	b, _ := json.Marshal(payload)
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(b) + "." + parts[2]
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." + parts[1] + "."

	for name, raw := range map[string]string{
		"empty": "", "garbage": "not.a.token", "forged": forged, "hs256": hs, "tampered": tampered, "none": none,
		"unknown kid": sign(t, jose.ES256, jose.JSONWebKey{Key: stranger, KeyID: "nope"}, payload),
	} {
		if _, err := f.svc.Authenticate(ctx, raw, app.AppKey); crewid.CodeOf(err) != crewid.Unauthenticated {
			t.Errorf("%s: got %v, want Unauthenticated", name, err)
		}
	}

	// A token of another audience, or one that is not an application
	// token, signed with crewid's own key.
	signer, err := f.svc.Keys.Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, good := decodeJWT(t, tok.AccessToken)
	// aud as a list containing crewid is fine, and so is the address of
	// another node of the deployment as the issuer: the signature with the
	// deployment's key is what counts.
	for name, c := range map[string]struct {
		change func(map[string]any)
		ok     bool
	}{
		"audience":     {func(p map[string]any) { p["aud"] = []string{"other"} }, false},
		"no app":       {func(p map[string]any) { delete(p, "app") }, false},
		"no exp":       {func(p map[string]any) { delete(p, "exp") }, false},
		"sub":          {func(p map[string]any) { p["sub"] = "cid.other" }, false},
		"aud list":     {func(p map[string]any) { p["aud"] = []string{"x", "crewid"} }, true},
		"another node": {func(p map[string]any) { p["iss"] = "http://127.0.0.1:9" }, true},
	} {
		p := map[string]any{}
		for k, v := range good {
			p[k] = v
		}
		c.change(p)
		raw, err := signer.Sign(p)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.Authenticate(ctx, raw, app.AppKey)
		switch {
		case c.ok && err != nil:
			t.Errorf("%s: %v", name, err)
		case !c.ok && crewid.CodeOf(err) != crewid.Unauthenticated:
			t.Errorf("%s: got %v, want Unauthenticated", name, err)
		}
	}
}

func sign(t *testing.T, alg jose.SignatureAlgorithm, key jose.JSONWebKey, payload map[string]any) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(payload)
	jws, err := s.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestSecrets(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	app, first := f.create(t, "Board")

	secondID, second, err := f.svc.AddSecret(ctx, admin, f.tenant, app.ID)
	if err != nil {
		t.Fatal(err)
	}
	if second == first || !strings.HasPrefix(second, "cs1.") {
		t.Fatalf("second secret %q", second)
	}
	_, _, err = f.svc.AddSecret(ctx, admin, f.tenant, app.ID)
	wantCode(t, err, crewid.Conflict)
	if !strings.Contains(err.Error(), "at most two live secrets") {
		t.Errorf("message %q", err)
	}
	for _, s := range []string{first, second} {
		if _, err := f.svc.IssueToken(ctx, app.ClientID, s, ""); err != nil {
			t.Fatalf("secret %q: %v", s, err)
		}
	}

	// Rotation: drop the first, the second keeps working.
	got, err := f.svc.Get(ctx, f.tenant, app.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Secrets) != 2 || got.Secrets[0].Hash != nil {
		t.Fatalf("secrets = %+v", got.Secrets)
	}
	firstID := got.Secrets[0].ID
	if err := f.svc.DeleteSecret(ctx, admin, f.tenant, app.ID, firstID); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.IssueToken(ctx, app.ClientID, first, "")
	wantCode(t, err, crewid.Unauthenticated)
	if _, err := f.svc.IssueToken(ctx, app.ClientID, second, ""); err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.svc.DeleteSecret(ctx, admin, f.tenant, app.ID, firstID), crewid.NotFound)

	// Another tenant sees none of it.
	otherTenant := createTenant(t, f.st, "Other Co")
	_, _, err = f.svc.AddSecret(ctx, admin, otherTenant, app.ID)
	wantCode(t, err, crewid.NotFound)
	wantCode(t, f.svc.DeleteSecret(ctx, admin, otherTenant, app.ID, secondID), crewid.NotFound)
	_, err = f.svc.Update(ctx, admin, otherTenant, app.ID, nil, nil, new(false))
	wantCode(t, err, crewid.NotFound)

	// A third can be added again now that one is gone.
	if _, _, err := f.svc.AddSecret(ctx, admin, f.tenant, app.ID); err != nil {
		t.Fatal(err)
	}
}

func TestScopes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	app, secret := f.create(t, "Board", apps.ScopeRoles, apps.ScopePeopleRead, apps.ScopeRoles)
	if !slices.Equal(app.Scopes, []string{apps.ScopePeopleRead, apps.ScopeRoles}) {
		t.Fatalf("scopes = %v (deduplicated, canonical order)", app.Scopes)
	}
	tok, err := f.svc.IssueToken(ctx, app.ClientID, secret, "roles")
	if err != nil {
		t.Fatal(err)
	}
	if tok.Scope != "roles" {
		t.Fatalf("scope = %q", tok.Scope)
	}
	c, err := f.svc.Authenticate(ctx, tok.AccessToken, app.AppKey)
	if err != nil {
		t.Fatal(err)
	}
	if !c.HasScope(apps.ScopeRoles) || c.HasScope(apps.ScopePeopleRead) {
		t.Fatalf("claims scopes = %v", c.Scopes)
	}

	for _, req := range []string{"apps", "roles apps", "openid"} {
		_, err := f.svc.IssueToken(ctx, app.ClientID, secret, req)
		wantCode(t, err, crewid.Invalid)
		var e *crewid.Error
		if !errors.As(err, &e) || len(e.Fields[apps.ScopeField]) == 0 {
			t.Fatalf("%q: error %v does not name the scope field", req, err)
		}
	}

	// Narrowing the app's scopes narrows tokens already out (after the cache TTL).
	full, err := f.svc.IssueToken(ctx, app.ClientID, secret, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Update(ctx, admin, f.tenant, app.ID, nil, &[]string{apps.ScopePeopleRead}, nil); err != nil {
		t.Fatal(err)
	}
	c, err = f.svc.Authenticate(ctx, full.AccessToken, app.AppKey)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Scopes, []string{apps.ScopePeopleRead}) {
		t.Fatalf("after narrowing, scopes = %v", c.Scopes)
	}

	// Validation.
	_, _, err = f.svc.Create(ctx, admin, f.tenant, "Bad", []string{"people.read", "everything"})
	wantCode(t, err, crewid.Invalid)
	if e := err.(*crewid.Error); len(e.Fields["scopes"]) == 0 || !strings.Contains(e.Fields["scopes"][0], "everything") {
		t.Fatalf("error %v", err)
	}
	_, err = f.svc.Update(ctx, admin, f.tenant, app.ID, nil, &[]string{}, nil)
	wantCode(t, err, crewid.Invalid)
	if err := apps.ValidateScopes(nil); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"people.read", "people.write", "roles", "settings.read", "settings.write", "apps", "history", "webhooks", "scim"} {
		if !apps.KnownScope(s) {
			t.Errorf("scope %s missing", s)
		}
	}
}

func TestCreateValidation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, name := range []string{"", "   ", strings.Repeat("é", 101)} {
		_, _, err := f.svc.Create(ctx, admin, f.tenant, name, nil)
		wantCode(t, err, crewid.Invalid)
		if e := err.(*crewid.Error); len(e.Fields["name"]) == 0 {
			t.Errorf("%q: %v does not name the field", name, err)
		}
	}
	if _, _, err := f.svc.Create(ctx, admin, f.tenant, strings.Repeat("é", 100), nil); err != nil {
		t.Fatal(err)
	}
	_, _, err := f.svc.Create(ctx, admin, 999999, "Ghost", nil)
	wantCode(t, err, crewid.NotFound)
}

func TestHistory(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	app, secret := f.create(t, "Board", apps.ScopePeopleRead)
	secretID, second, err := f.svc.AddSecret(ctx, admin, f.tenant, app.ID)
	if err != nil {
		t.Fatal(err)
	}
	name := "Board 2"
	if _, err := f.svc.Update(ctx, admin, f.tenant, app.ID, &name, nil, new(false)); err != nil {
		t.Fatal(err)
	}
	// A change that changes nothing writes nothing.
	if _, err := f.svc.Update(ctx, admin, f.tenant, app.ID, &name, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DeleteSecret(ctx, admin, f.tenant, app.ID, secretID); err != nil {
		t.Fatal(err)
	}

	events, err := f.st.Events(ctx, f.tenant, store.EventQuery{RecordType: "App", RecordID: app.ID})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range events {
		types = append(types, e.Type)
		if e.Actor.Type != admin.Type || e.Actor.ID != admin.ID || e.Actor.Name != admin.Name || e.RecordType != "App" || e.RecordID != app.ID {
			t.Errorf("event %+v", e)
		}
		doc := string(e.Before) + string(e.After)
		for _, s := range []string{secret, second} {
			h := sha256hex(s)
			if strings.Contains(doc, s) || strings.Contains(doc, strings.TrimPrefix(s, "cs1.")) || strings.Contains(doc, h) ||
				strings.Contains(doc, base64.StdEncoding.EncodeToString(mustHex(h))) || strings.Contains(strings.ToLower(doc), "hash") {
				t.Errorf("event %s leaks a secret: %s", e.Type, doc)
			}
		}
	}
	if want := []string{"App.Created", "App.SecretAdded", "App.Updated", "App.SecretDeleted"}; !slices.Equal(types, want) {
		t.Fatalf("event types = %v, want %v", types, want)
	}
	created := events[0]
	if created.Before != nil {
		t.Errorf("App.Created before = %s", created.Before)
	}
	var after map[string]any
	if err := json.Unmarshal(created.After, &after); err != nil {
		t.Fatal(err)
	}
	wantAfter := map[string]any{"id": app.ID, "name": "Board", "scopes": []any{"people.read"}, "active": true, "clientId": app.ClientID, "appKey": app.AppKey,
		"createdOn": app.CreatedOn.UTC(), "modifiedOn": app.ModifiedOn.UTC()}
	if len(after) != len(wantAfter) {
		t.Errorf("after = %v", after)
	}
	for k, v := range wantAfter {
		if b1, _ := json.Marshal(after[k]); string(b1) != mustJSON(v) {
			t.Errorf("after[%s] = %v, want %v", k, after[k], v)
		}
	}
	var before, upd map[string]any
	json.Unmarshal(events[2].Before, &before)
	json.Unmarshal(events[2].After, &upd)
	if before["name"] != "Board" || before["active"] != true || upd["name"] != "Board 2" || upd["active"] != false {
		t.Errorf("App.Updated before %v after %v", before, upd)
	}
}

func TestKeysShared(t *testing.T) {
	st := openStore(t)
	c := newClock()
	ctx := context.Background()

	// Two nodes start together on an empty database.
	a, b := apps.NewKeys(st, c.Now), apps.NewKeys(st, c.Now)
	results := make(chan string, 2)
	for _, k := range []*apps.Keys{a, b} {
		go func() {
			s, err := k.Current(ctx)
			if err != nil {
				t.Error(err)
				results <- ""
				return
			}
			results <- s.KeyID()
		}()
	}
	kidA, kidB := <-results, <-results
	if kidA == "" || kidA != kidB {
		t.Fatalf("nodes sign with %q and %q", kidA, kidB)
	}
	rows, err := st.SigningKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Algorithm != "ES256" || !strings.Contains(string(rows[0].PrivateKeyPEM), "BEGIN PRIVATE KEY") {
		t.Fatalf("stored keys = %d", len(rows))
	}
	set, err := b.JWKS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 || set.Keys[0].KeyID != kidA || !set.Keys[0].IsPublic() || set.Keys[0].Use != "sig" || set.Keys[0].Algorithm != "ES256" {
		t.Fatalf("jwks = %+v", set)
	}

	// A key added later (rotation) is picked up by both nodes: node A signs
	// with it after its refresh, node B verifies with it.
	c.Advance(10 * time.Second)
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	addKey(t, st, "rotated", priv, c.Now())
	c.Advance(time.Minute) // node A's refresh interval passes ...
	signer, err := a.Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if signer.KeyID() != "rotated" {
		t.Fatalf("node A signs with %q after refresh, want the newest key", signer.KeyID())
	}
	raw, err := signer.Sign(map[string]any{"x": 1})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := b.Verify(ctx, raw, &got); err != nil || got["x"] != float64(1) {
		t.Fatalf("node B: %v %v", got, err)
	}
}

func addKey(t *testing.T, st store.Store, kid string, priv *ecdsa.PrivateKey, now time.Time) {
	t.Helper()
	row := crewid.SigningKey{ID: kid, Algorithm: "ES256", PrivateKeyPEM: pemPKCS8(t, priv), CreatedOn: now}
	if err := st.Update(context.Background(), func(tx store.Tx) error { return tx.AddSigningKey(context.Background(), row) }); err != nil {
		t.Fatal(err)
	}
}

func TestUnknownKIDReloadIsRateLimited(t *testing.T) {
	st := openStore(t)
	c := newClock()
	ctx := context.Background()
	a, b := apps.NewKeys(st, c.Now), apps.NewKeys(st, c.Now)
	if _, err := b.Current(ctx); err != nil {
		t.Fatal(err)
	}
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	addKey(t, st, "new", priv, c.Now().Add(time.Second))
	c.Advance(time.Minute)
	signer, err := a.Current(ctx)
	if err != nil || signer.KeyID() != "new" {
		t.Fatalf("node A: %v %v", signer, err)
	}
	raw, _ := signer.Sign(map[string]any{})
	// b loaded long ago (a minute): it looks again at once.
	if err := b.Verify(ctx, raw); err != nil {
		t.Fatal(err)
	}
	// A second new key within 5 s of that load is not looked for.
	priv2, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	addKey(t, st, "newer", priv2, c.Now().Add(2*time.Second))
	c.Advance(time.Second)
	s2, err := apps.NewKeys(st, c.Now).Current(ctx)
	if err != nil || s2.KeyID() != "newer" {
		t.Fatalf("fresh node: %v %v", s2, err)
	}
	raw2, _ := s2.Sign(map[string]any{})
	if err := b.Verify(ctx, raw2); crewid.CodeOf(err) != crewid.Unauthenticated {
		t.Fatalf("within the gap: %v", err)
	}
	c.Advance(5 * time.Second)
	if err := b.Verify(ctx, raw2); err != nil {
		t.Fatalf("after the gap: %v", err)
	}
}
