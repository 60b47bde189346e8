// Package ssotest runs a real OpenID Connect provider on 127.0.0.1 for
// tests: the op package of github.com/zitadel/oidc, over a small
// in-memory storage of its users, clients, authorization requests and one
// RSA signing key. People sign in on its login form by username, without
// a password.
package ssotest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/zitadel/oidc/v3/pkg/op"
)

// User is an account of the provider. Claims go into its ID tokens beside
// the standard ones (for Entra ID: "oid", "email", "email_verified").
type User struct {
	Subject  string
	Username string
	Claims   map[string]any
}

// Provider is a running provider.
type Provider struct {
	// Issuer is the provider's issuer URL (its discovery document is at
	// Issuer + "/.well-known/openid-configuration").
	Issuer  string
	storage *storage
}

// Start runs a provider until the test ends.
func Start(t testing.TB) *Provider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("ssotest: signing key: %v", err)
	}
	st := &storage{
		key: key, keyID: randomID(), users: map[string]User{}, clients: map[string]*client{},
		requests: map[string]*authRequest{}, codes: map[string]string{},
	}
	hs := httptest.NewUnstartedServer(nil)
	issuer := "http://" + hs.Listener.Addr().String()
	cfg := &op.Config{
		CryptoKey:      sha256.Sum256([]byte(randomID())),
		CodeMethodS256: true,
		AuthMethodPost: true,
	}
	provider, err := op.NewOpenIDProvider(issuer, cfg, st, op.WithAllowInsecure())
	if err != nil {
		t.Fatalf("ssotest: provider: %v", err)
	}
	login := &loginForm{storage: st, callback: op.AuthCallbackURL(provider)}
	mux := http.NewServeMux()
	mux.Handle("/login", op.NewIssuerInterceptor(provider.IssuerFromRequest).Handler(login))
	mux.Handle("/", provider)
	hs.Config.Handler = mux
	hs.Start()
	t.Cleanup(hs.Close)
	return &Provider{Issuer: issuer, storage: st}
}

// AddClient registers a confidential web client allowed to redirect to
// redirectURI.
func (p *Provider) AddClient(id, secret, redirectURI string) {
	p.storage.mu.Lock()
	defer p.storage.mu.Unlock()
	p.storage.clients[id] = &client{id: id, secret: secret, redirectURIs: []string{redirectURI}}
}

// AddUser adds or replaces an account.
func (p *Provider) AddUser(u User) {
	p.storage.mu.Lock()
	defer p.storage.mu.Unlock()
	p.storage.users[u.Username] = u
}

// ForceNonce makes the ID tokens issued from now on carry nonce instead of
// the one the client asked for ("" restores the normal behaviour), as a
// provider that mixes up its requests would.
func (p *Provider) ForceNonce(nonce string) {
	p.storage.mu.Lock()
	defer p.storage.mu.Unlock()
	p.storage.forcedNonce = nonce
}

func randomID() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ---- login form -------------------------------------------------------------

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<title>Sign in</title>
<form method="post" action="/login">
<input type="hidden" name="authRequestID" value="{{.}}">
<label>Username <input name="username"></label>
<button type="submit">Sign in</button>
</form>`))

// loginForm is the provider's login page. A GET shows the form; a POST
// with a known username completes the authorization request and sends the
// browser back to the provider's callback, which redirects to the client.
type loginForm struct {
	storage  *storage
	callback func(context.Context, string) string
}

func (l *loginForm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	id := r.Form.Get("authRequestID")
	switch r.Method {
	case http.MethodGet:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = loginPage.Execute(w, id)
	case http.MethodPost:
		if err := l.storage.complete(id, r.Form.Get("username")); err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		http.Redirect(w, r, l.callback(r.Context(), id), http.StatusFound)
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}
