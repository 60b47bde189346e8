// Package servertest starts a whole crewid server on 127.0.0.1 for tests,
// on each storage backend, with a tenant and an application ready to call
// the APIs.
package servertest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"crewid"
	"crewid/access"
	"crewid/notify"
	"crewid/server"
	"crewid/store"
	"crewid/store/postgres"
	"crewid/store/sqlite"
)

// Backend opens a fresh, migrated store for one test.
type Backend struct {
	Name string
	Open func(t testing.TB) store.Store
}

// Backends lists the storage backends every end-to-end test runs on. The
// PostgreSQL one skips (or fails in CI) when no database is configured.
func Backends() []Backend {
	return []Backend{
		{"sqlite", func(t testing.TB) store.Store { return sqlite.OpenTest(t) }},
		{"postgres", func(t testing.TB) store.Store { return postgres.OpenTest(t) }},
	}
}

// ForEachBackend runs fn as a subtest on every backend.
func ForEachBackend(t *testing.T, fn func(t *testing.T, b Backend)) {
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) { fn(t, b) })
	}
}

// Env is a running server with one tenant and one connected application.
type Env struct {
	URL    string
	Server *server.Server
	Store  store.Store
	Tenant crewid.Tenant
	// Roles are the tenant's built-in roles by key (e.g. "Technician").
	Roles map[string]crewid.Role
	App   Credentials
}

// Credentials of an application.
type Credentials struct {
	AppID        int64
	AppKey       string
	ClientID     string
	ClientSecret string
}

// Option changes the server configuration of Start.
type Option func(*server.Config)

// WithClock makes the server read time from now.
func WithClock(now func() time.Time) Option { return func(c *server.Config) { c.Now = now } }

// WithSenders delivers the outbox through email and sms (either may be
// nil: that channel's messages then go to the local outbox). The server
// gets a worker, Env.Server.Notify, which Start does not run: a test calls
// its DrainOnce, or RunNotify, after tuning it if it likes.
func WithSenders(email, sms notify.Sender) Option {
	return func(c *server.Config) {
		c.Email, c.SMS = email, sms
		c.LocalOutbox = email == nil && sms == nil
	}
}

// WithPrivateWebhooks lets webhook subscriptions point at loopback
// receivers (crewid serve --allow-private-webhooks), as tests' receivers
// on 127.0.0.1 are.
func WithPrivateWebhooks() Option { return func(c *server.Config) { c.AllowPrivateWebhooks = true } }

// RunWebhooks runs the server's webhook delivery worker until the test
// ends, polling every interval besides being woken by changes.
func (e *Env) RunWebhooks(t testing.TB, interval time.Duration) {
	t.Helper()
	e.Server.WebhookWorker.Interval = interval
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.Server.WebhookWorker.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

// RunNotify runs the server's outbox worker until the test ends.
func (e *Env) RunNotify(t testing.TB) {
	t.Helper()
	if e.Server.Notify == nil {
		t.Fatal("servertest: the server has no outbox worker; start it WithSenders")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.Server.Notify.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

// Start runs a server on st and creates a tenant named "Acme Heating" with an
// application holding every scope.
func Start(t testing.TB, st store.Store, opts ...Option) *Env {
	t.Helper()
	cfg := server.Config{Store: st, Environment: "integration", LocalOutbox: true}
	for _, o := range opts {
		o(&cfg)
	}
	// The public URL must be known before the server starts; take a
	// listener first and build the server for its address.
	hs := httptest.NewUnstartedServer(nil)
	cfg.PublicURL = "http://" + hs.Listener.Addr().String()
	srv := server.New(cfg)
	hs.Config.Handler = srv.Handler
	hs.Start()
	t.Cleanup(hs.Close)

	env := &Env{URL: hs.URL, Server: srv, Store: st}
	env.Tenant, env.Roles, env.App = env.NewTenant(t, "Acme Heating")
	return env
}

// NewTenant creates another tenant with its own application.
func (e *Env) NewTenant(t testing.TB, name string) (crewid.Tenant, map[string]crewid.Role, Credentials) {
	t.Helper()
	ctx := context.Background()
	operator := crewid.Actor{Type: crewid.ActorOperator, Name: "test"}
	tenant, roles, err := e.Server.Org.CreateTenant(ctx, operator, name)
	if err != nil {
		t.Fatalf("create tenant: %v", err)
	}
	byKey := map[string]crewid.Role{}
	for _, r := range roles {
		byKey[r.BuiltIn] = r
	}
	if _, ok := byKey[access.KeyAdministrator]; !ok {
		t.Fatalf("tenant has no Administrator role")
	}
	app, secret, err := e.Server.Apps.Create(ctx, operator, tenant.ID, "test integration", nil)
	if err != nil {
		t.Fatalf("create app: %v", err)
	}
	return tenant, byKey, Credentials{AppID: app.ID, AppKey: app.AppKey, ClientID: app.ClientID, ClientSecret: secret}
}

// Token obtains an access token for c from the token endpoint.
func (e *Env) Token(t testing.TB, c Credentials) string {
	t.Helper()
	resp, err := http.PostForm(e.URL+"/connect/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {c.ClientID}, "client_secret": {c.ClientSecret},
	})
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&body) != nil || body.AccessToken == "" {
		t.Fatalf("token: status %d", resp.StatusCode)
	}
	return body.AccessToken
}

// Authorize returns a function that adds the credentials of an
// application call to a request: a bearer token and the application key.
func (e *Env) Authorize(t testing.TB, c Credentials) func(ctx context.Context, req *http.Request) error {
	token := e.Token(t, c)
	return func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("ST-App-Key", c.AppKey)
		return nil
	}
}

// Do sends a request with the tenant's application credentials and
// returns the status and body. body may be nil, a string or a value to
// encode as JSON.
func (e *Env) Do(t testing.TB, auth func(context.Context, *http.Request) error, method, path string, body any) (int, []byte) {
	t.Helper()
	var reader *strings.Reader
	switch b := body.(type) {
	case nil:
		reader = strings.NewReader("")
	case string:
		reader = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		reader = strings.NewReader(string(raw))
	}
	req, err := http.NewRequest(method, e.URL+path, reader)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != nil {
		_ = auth(req.Context(), req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp.StatusCode, raw
}
