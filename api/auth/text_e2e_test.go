package auth_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"crewid/server/servertest"
)

// TestUnstorableTextIsRefused: a NUL character or invalid UTF-8 in any
// identifier, token or name is a client error on every backend (PostgreSQL
// cannot hold such text), never a 5xx.
func TestUnstorableTextIsRefused(t *testing.T) {
	each(t, func(t *testing.T, b servertest.Backend) {
		w := start(t, b)
		bad := "ad\x00min"
		for _, c := range []struct {
			path string
			body map[string]string
			want int
		}{
			{"/auth/sign-in", map[string]string{"login": bad, "password": "Whatever-Pass-1"}, http.StatusBadRequest},
			{"/auth/password-reset/start", map[string]string{"identifier": bad}, http.StatusAccepted},
			{"/auth/password-reset/verify", map[string]string{"identifier": bad, "code": "AbC123"}, http.StatusBadRequest},
			{"/auth/password-reset/complete", map[string]string{"resetToken": bad, "password": "Fresh-Passw0rd-9"}, http.StatusBadRequest},
			{"/auth/invitations/accept", map[string]string{"token": bad, "login": "x", "password": "Fresh-Passw0rd-9"}, http.StatusBadRequest},
		} {
			if r := w.call("POST", c.path, "", c.body); r.status != c.want {
				t.Errorf("POST %s with a NUL: %v; want %d", c.path, r, c.want)
			}
		}
		if r := w.call("POST", "/auth/refresh", "", map[string]string{"refreshToken": bad}); r.status >= 500 {
			t.Errorf("refresh with a NUL: %v", r)
		}

		for _, id := range []string{"cid.\x00", "cid.\xff"} {
			for _, path := range []string{"/connect/token", "/connect/introspect", "/connect/revoke"} {
				form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {"x"}, "token": {"x"}}
				resp, err := http.Post(w.env.URL+path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusBadRequest {
					t.Errorf("POST %s with client_id %q: status %d, want 400", path, id, resp.StatusCode)
				}
			}
		}

		// SCIM with such a client id in Basic credentials: not signed in.
		req, _ := http.NewRequest("GET", w.env.URL+"/scim/v2/Users", nil)
		req.SetBasicAuth("cid.\x00", "x")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("SCIM with a NUL in the client id: status %d, want 401", resp.StatusCode)
		}

		status, body := w.settings("POST", "/employees", map[string]any{"name": "Ann\x00Lee", "email": "ann.lee@example.com", "accountCreationMethod": "CreateLater"})
		if status != http.StatusBadRequest {
			t.Errorf("creating an employee whose name holds a NUL: %d %s", status, body)
		}
		status, body = w.settings("GET", "/employees?name=%00", nil)
		if status != http.StatusBadRequest {
			t.Errorf("filtering by a name holding a NUL: %d %s", status, body)
		}
	})
}
