package auth_test

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"crewid"
	"crewid/server"
	"crewid/server/servertest"
)

// secondNode starts another server on w's store and clock, as a second
// process on the same database would be: its own caches, nothing shared
// but the database. The world it returns talks to that node.
func (w *world) secondNode() *world { return w.nodeIn("integration") }

// nodeIn is secondNode in the given environment.
func (w *world) nodeIn(environment string) *world {
	w.t.Helper()
	hs := httptest.NewUnstartedServer(nil)
	srv := server.New(server.Config{Store: w.env.Store, Now: w.clock.Now, Environment: environment,
		LocalOutbox: true, PublicURL: "http://" + hs.Listener.Addr().String()})
	hs.Config.Handler = srv.Handler
	hs.Start()
	w.t.Cleanup(hs.Close)
	env := *w.env
	env.URL, env.Server = hs.URL, srv
	return &world{t: w.t, env: &env, clock: w.clock, seen: map[string]int64{}}
}

// Sign-out, deactivation and a password reset on one node end the
// person's access tokens on another within 5 seconds, although that node
// had just checked them and holds them in its cache.
func TestSessionsEndOnEveryNode(t *testing.T) {
	each(t, func(t *testing.T, b servertest.Backend) {
		a := start(t, b)
		other := a.secondNode()

		// signedInOnA signs p in on node a and uses the token there, so
		// that a has the person's sessions cached.
		signedInOnA := func(p person) tokens {
			tk := a.signedIn(p.login, p.password)
			if r := a.me(tk.AccessToken); r.status != 200 {
				t.Fatalf("GET /me on the first node: %v", r)
			}
			return tk
		}
		endedOnA := func(what string, tk tokens) {
			t.Helper()
			a.clock.Advance(5 * time.Second)
			if r := a.me(tk.AccessToken); r.status != 401 {
				t.Errorf("%s on the other node: access token still works on the first 5 s later: %v", what, r)
			}
			a.fails(401, "", "POST", "/auth/refresh", "", map[string]string{"refreshToken": tk.RefreshToken})
		}

		signingOut := a.ready(crewid.KindEmployee, "node.signout@example.com", "")
		tk := signedInOnA(signingOut)
		other.must(204, "POST", "/auth/sign-out", "", map[string]string{"refreshToken": tk.RefreshToken})
		endedOnA("sign-out", tk)

		deactivated := a.ready(crewid.KindTechnician, "node.deactivated@example.com", "")
		tk = signedInOnA(deactivated)
		other.actionOK(deactivated, map[string]any{"action": "Deactivate"})
		endedOnA("deactivation", tk)

		reset := a.ready(crewid.KindEmployee, "node.reset@example.com", "")
		tk = signedInOnA(reset)
		other.actionOK(reset, map[string]any{"action": "SetTemporaryPassword", "password": "Temporary-Pw-2031"})
		endedOnA("password reset", tk)
	})
}

// A node of the deployment takes the tokens another node issued, although
// each names itself by its own address; a node of the other environment on
// the same database takes none of them, refresh tokens included.
func TestTokensWorkOnEveryNodeOfTheEnvironment(t *testing.T) {
	each(t, func(t *testing.T, b servertest.Backend) {
		a := start(t, b)
		other := a.secondNode()
		production := a.nodeIn("production")

		p := a.ready(crewid.KindEmployee, "node.tokens@example.com", "")
		tk := a.signedIn(p.login, p.password)
		if r := other.me(tk.AccessToken); r.status != 200 {
			t.Errorf("another node refuses the access token: %v", r)
		}
		code, body := a.env.Do(t, a.env.Authorize(t, a.env.App), "GET", fmt.Sprintf("/settings/v2/tenant/%d/employees", a.env.Tenant.ID), nil)
		if code != 200 {
			t.Fatalf("application token on its own node: %d %s", code, body)
		}
		code, body = other.env.Do(t, a.env.Authorize(t, a.env.App), "GET", fmt.Sprintf("/settings/v2/tenant/%d/employees", a.env.Tenant.ID), nil)
		if code != 200 {
			t.Errorf("another node refuses the application token: %d %s", code, body)
		}

		if r := production.me(tk.AccessToken); r.status != 401 {
			t.Errorf("the production node takes an integration access token: %v", r)
		}
		production.fails(401, "", "POST", "/auth/refresh", "", map[string]string{"refreshToken": tk.RefreshToken})
		production.must(204, "POST", "/auth/sign-out", "", map[string]string{"refreshToken": tk.RefreshToken})
		// The refresh token still works where it was issued, on any node.
		next := decode[tokens](t, other.must(200, "POST", "/auth/refresh", "", map[string]string{"refreshToken": tk.RefreshToken}).body)
		if r := a.me(next.AccessToken); r.status != 200 {
			t.Errorf("token refreshed on another node: %v", r)
		}
	})
}
