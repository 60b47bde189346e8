package auth_test

import (
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
func (w *world) secondNode() *world {
	w.t.Helper()
	hs := httptest.NewUnstartedServer(nil)
	srv := server.New(server.Config{Store: w.env.Store, Now: w.clock.Now, Environment: "integration",
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
