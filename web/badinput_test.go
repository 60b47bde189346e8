package web_test

import (
	"net/http"
	"net/url"
	"testing"

	"crewid/server/servertest"
)

// Odd input — NUL bytes, invalid UTF-8, huge numbers — gets an error page
// or an empty result, never a server error, on every backend.
func TestOddInputIsNoServerError(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, be servertest.Backend) {
		env := servertest.Start(t, be.Open(t))
		addAdmin(t, env)
		anon := newBrowser(t, env.URL)
		anon.get("/signin")
		for _, c := range []struct {
			path string
			form url.Values
		}{
			{"/signin", url.Values{"login": {"a\x00b"}, "password": {"x\x00"}}},
			{"/signin", url.Values{"login": {"\xff\xfe"}, "password": {"\xff"}}},
			{"/password-reset", url.Values{"identifier": {"a\x00b"}}},
			{"/password-reset/verify", url.Values{"identifier": {"a\x00b"}, "code": {"\x00"}}},
			{"/password-reset/new", url.Values{"resetToken": {"\x00"}, "password": {"x"}, "confirmPassword": {"x"}}},
			{"/invitations/accept", url.Values{"token": {"\x00\xff"}, "login": {"a"}, "password": {"b"}, "confirmPassword": {"b"}}},
			{"/required-action", url.Values{"actionToken": {"\x00"}, "password": {"b"}, "confirmPassword": {"b"}}},
		} {
			if status, body := anon.post(c.path, c.form); status >= 500 {
				t.Errorf("POST %s: %d\n%s", c.path, status, body)
			}
		}
		admin := newBrowser(t, env.URL)
		admin.signIn("ada", adminPassword)
		for _, path := range []string{
			"/settings/people/technicians?name=a%00b",
			"/settings/people/technicians?name=%ff%fe&status=Pending",
			"/settings/people/employees?role=99999999999999999999&bu=-1",
			"/settings/people/technicians/99999999999999999999",
			"/settings/outbox?recipient=a%00b%40x",
			"/invitations/accept?token=%00",
		} {
			if status, body := admin.get(path); status >= 500 {
				t.Errorf("GET %s: %d\n%s", path, status, body)
			}
		}
		admin.get("/settings/people/technicians/new")
		for _, form := range []url.Values{
			{"name": {"x\x00y"}, "phoneNumber": {"\x00"}, "email": {"a\x00@b.c"}, "skills": {"a\x00"}, "accountCreationMethod": {"CreateLater"}},
			{"name": {"ok"}, "email": {"ok@acme.test"}, "accountCreationMethod": {"SendInvite"}, "roleIds.shown": {"1"}, "roleIds": {"1\x00"}, "perm.101": {"grant"}},
			{"name": {"\xff"}, "licenseType": {"\x00"}, "accountCreationMethod": {"AssignLoginAndPassword"}, "login": {"\x00"}, "password": {"\x00"}},
		} {
			if status, body := admin.post("/settings/people/technicians/new", form); status >= 500 {
				t.Errorf("POST new technician %v: %d\n%s", form, status, body)
			}
		}
		if status, body := admin.post("/settings/people/technicians/bulk", url.Values{"action": {"Activate"}, "ids": {"1\x00", "-5", "x"}}); status >= 500 {
			t.Errorf("bulk: %d\n%s", status, body)
		}
		if status, _ := admin.post("/settings/people/technicians/bulk", url.Values{"action": {"Explode"}, "ids": {"1"}}); status != http.StatusBadRequest {
			t.Errorf("unknown bulk action: %d", status)
		}
	})
}
