package auth_test

import (
	"testing"
	"time"

	"crewid"
	"crewid/server/servertest"
)

// A refresh rotates the refresh token; presenting a rotated one again
// revokes the whole family, access tokens included.
func TestRefreshRotationAndReuse(t *testing.T) {
	each(t, func(t *testing.T, b servertest.Backend) {
		w := start(t, b)
		p := w.ready(crewid.KindEmployee, "pam@example.com", "")
		first := w.signedIn(p.login, p.password)
		refresh := func(token string) tokens {
			t.Helper()
			r := w.must(200, "POST", "/auth/refresh", "", map[string]string{"refreshToken": token})
			tk := w.remember(decode[tokens](t, r.body))
			if tk.AccessToken == "" || tk.RefreshToken == "" || tk.RefreshToken == token {
				t.Fatalf("refresh: %+v", tk)
			}
			return tk
		}
		w.clock.Advance(time.Minute)
		second := refresh(first.RefreshToken)
		third := refresh(second.RefreshToken)
		if r := w.me(third.AccessToken); r.status != 200 {
			t.Fatalf("GET /me with the refreshed token: %v", r)
		}
		// Another session of the same person stands apart.
		other := w.signedIn(p.login, p.password)

		// second was rotated: presenting it again is a reuse.
		w.fails(401, "", "POST", "/auth/refresh", "", map[string]string{"refreshToken": second.RefreshToken})
		w.fails(401, "", "POST", "/auth/refresh", "", map[string]string{"refreshToken": third.RefreshToken})
		for _, tk := range []tokens{first, second, third} {
			if r := w.me(tk.AccessToken); r.status != 401 {
				t.Errorf("access token of the revoked family: %v", r)
			}
		}
		if evs := w.events(p.id, "Employee.SessionRevoked"); len(evs) != 1 {
			t.Errorf("SessionRevoked events: %d, want 1", len(evs))
		}
		if r := w.me(other.AccessToken); r.status != 200 {
			t.Errorf("another session after a reuse: %v", r)
		}
		refresh(other.RefreshToken)

		// Refresh tokens expire after 30 days unused.
		fresh := w.signedIn(p.login, p.password)
		w.clock.Advance(30 * 24 * time.Hour)
		w.fails(401, "", "POST", "/auth/refresh", "", map[string]string{"refreshToken": fresh.RefreshToken})
		// Access tokens after their 10 minutes.
		tk := w.signedIn(p.login, p.password)
		w.clock.Advance(10*time.Minute + time.Minute)
		if r := w.me(tk.AccessToken); r.status != 401 {
			t.Errorf("expired access token: %v", r)
		}
		w.fails(400, "refreshToken", "POST", "/auth/refresh", "", map[string]string{})
	})
}

// Sign-out ends the session's refresh and access tokens.
func TestSignOut(t *testing.T) {
	each(t, func(t *testing.T, b servertest.Backend) {
		w := start(t, b)
		p := w.ready(crewid.KindEmployee, "quinn@example.com", "")
		tk := w.signedIn(p.login, p.password)
		other := w.signedIn(p.login, p.password)
		w.must(204, "POST", "/auth/sign-out", "", map[string]string{"refreshToken": tk.RefreshToken})
		w.fails(401, "", "POST", "/auth/refresh", "", map[string]string{"refreshToken": tk.RefreshToken})
		if r := w.me(tk.AccessToken); r.status != 401 {
			t.Errorf("access token after sign-out: %v", r)
		}
		if r := w.me(other.AccessToken); r.status != 200 {
			t.Errorf("other session after sign-out: %v", r)
		}
		// Again, or with an unknown token: nothing to do, no error.
		w.must(204, "POST", "/auth/sign-out", "", map[string]string{"refreshToken": tk.RefreshToken})
		w.must(204, "POST", "/auth/sign-out", "", map[string]string{"refreshToken": "crt1.unknown"})
		if evs := w.events(p.id, "Employee.SignedOut"); len(evs) != 1 {
			t.Errorf("SignedOut events: %d, want 1", len(evs))
		}
	})
}

// Deactivating a person ends their sessions: the refresh token at once,
// access tokens within the cache's time (2 seconds); activating them again
// does not bring the old sessions back.
func TestDeactivationEndsSessions(t *testing.T) {
	each(t, func(t *testing.T, b servertest.Backend) {
		w := start(t, b)
		p := w.ready(crewid.KindTechnician, "rae@example.com", "")
		tk := w.signedIn(p.login, p.password)
		if r := w.me(tk.AccessToken); r.status != 200 { // fills the cache
			t.Fatalf("GET /me: %v", r)
		}
		w.clock.Advance(time.Second)
		w.actionOK(p, map[string]any{"action": "Deactivate"})
		w.fails(401, "", "POST", "/auth/refresh", "", map[string]string{"refreshToken": tk.RefreshToken})
		w.clock.Advance(2 * time.Second)
		if r := w.me(tk.AccessToken); r.status != 401 {
			t.Errorf("access token 2 s after deactivation: %v", r)
		}
		w.signInFails(p.login, p.password)

		w.clock.Advance(time.Second)
		w.actionOK(p, map[string]any{"action": "Activate", "licenseType": "ManagedTechnician"})
		w.clock.Advance(3 * time.Second)
		if r := w.me(tk.AccessToken); r.status != 401 {
			t.Errorf("access token from before the deactivation, after activation: %v", r)
		}
		w.fails(401, "", "POST", "/auth/refresh", "", map[string]string{"refreshToken": tk.RefreshToken})
		again := w.signedIn(p.login, p.password)
		if r := w.me(again.AccessToken); r.status != 200 {
			t.Errorf("new session after activation: %v", r)
		}
	})
}

// A person changes their own password with the current one; the new one
// must differ. Their other sessions end, this one goes on.
func TestOwnPasswordChange(t *testing.T) {
	each(t, func(t *testing.T, b servertest.Backend) {
		w := start(t, b)
		p := w.ready(crewid.KindEmployee, "sam@example.com", "")
		tk := w.signedIn(p.login, p.password)
		other := w.signedIn(p.login, p.password)
		change := func(current, next string) map[string]string {
			w.secret(current, next)
			return map[string]string{"currentPassword": current, "newPassword": next}
		}
		w.fails(401, "", "POST", "/me/password", "", change(p.password, "Changed-Pass-11"))
		w.fails(400, "currentPassword", "POST", "/me/password", tk.AccessToken, change("Wrong-Pass-11", "Changed-Pass-11"))
		w.fails(400, "currentPassword", "POST", "/me/password", tk.AccessToken, change("", "Changed-Pass-11"))
		w.fails(400, "newPassword", "POST", "/me/password", tk.AccessToken, change(p.password, p.password))
		w.fails(400, "newPassword", "POST", "/me/password", tk.AccessToken, change(p.password, "password123"))
		w.must(204, "POST", "/me/password", tk.AccessToken, change(p.password, "Changed-Pass-11"))

		if r := w.me(tk.AccessToken); r.status != 200 {
			t.Errorf("this session after the change: %v", r)
		}
		w.must(200, "POST", "/auth/refresh", "", map[string]string{"refreshToken": tk.RefreshToken})
		w.fails(401, "", "POST", "/auth/refresh", "", map[string]string{"refreshToken": other.RefreshToken})
		if r := w.me(other.AccessToken); r.status != 401 {
			t.Errorf("other session after the change: %v", r)
		}
		w.signInFails(p.login, p.password)
		w.signedIn(p.login, "Changed-Pass-11")
		if evs := w.events(p.id, "Employee.PasswordChanged"); len(evs) != 1 {
			t.Errorf("PasswordChanged events: %d, want 1", len(evs))
		}
		// The wrong current password counted as a failed sign-in.
		if evs := w.events(p.id, "Employee.SignInFailed"); len(evs) != 2 {
			t.Errorf("SignInFailed events: %d, want 2", len(evs))
		}
	})
}
