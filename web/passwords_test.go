package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"crewid"
	"crewid/access"
	"crewid/server/servertest"
	"crewid/store/sqlite"
)

const mismatch = "The two passwords do not match; type the same password in both fields."

// Every form that sets a new password asks for it twice and refuses a
// difference before anything changes: the invitation, the token or the
// old password still works afterwards.
func TestNewPasswordIsTypedTwice(t *testing.T) {
	env := servertest.Start(t, sqlite.OpenTest(t))
	addAdmin(t, env)
	admin := newBrowser(t, env.URL)
	admin.signIn("ada", adminPassword)

	// Each form has the second field.
	anon := newBrowser(t, env.URL)
	_, body := anon.get("/password-reset?token=abc")
	mustContain(t, body, `id="confirmPassword" name="confirmPassword" type="password"`)
	_, body = admin.get("/profile")
	mustContain(t, body, `id="confirmPassword" name="confirmPassword" type="password"`)

	// Invitation.
	admin.get("/settings/people/employees/new")
	admin.post("/settings/people/employees/new", url.Values{"name": {"Nina New"}, "email": {"nina@acme.test"},
		"roleIds.shown": {"1"}, "roleIds": {itoa(env.Roles[access.KeyOfficeStaff].ID)}, "accountCreationMethod": {"SendInvite"}})
	_, body = admin.get("/settings/outbox?recipient=nina@acme.test")
	link := strings.ReplaceAll(extract(t, body, `class="message-link" href="([^"]+/invitations/accept\?token=[^"]+)"`), "&amp;", "&")
	u, _ := url.Parse(link)
	token := u.Query().Get("token")
	nina := newBrowser(t, env.URL)
	_, body = nina.get(u.RequestURI())
	mustContain(t, body, `id="confirmPassword" name="confirmPassword" type="password"`)
	for _, c := range []struct{ confirm, want string }{
		{"Nina-Secret-2027", mismatch},
		{"", "Type the password again to confirm it."},
	} {
		status, body := nina.post("/invitations/accept", url.Values{"token": {token}, "login": {"nina"},
			"password": {"Nina-Secret-2026"}, "confirmPassword": {c.confirm}})
		if status != http.StatusBadRequest || fieldError(body, "confirmPassword") != c.want {
			t.Fatalf("accept with confirmation %q: %d, error %q", c.confirm, status, fieldError(body, "confirmPassword"))
		}
		mustContain(t, body, `id="accept-form"`, `value="nina"`)
	}
	if status, body := nina.post("/invitations/accept", url.Values{"token": {token}, "login": {"nina"},
		"password": {"Nina-Secret-2026"}, "confirmPassword": {"Nina-Secret-2026"}}); status != http.StatusOK || !strings.Contains(body, "Sign in with your login nina.") {
		t.Fatalf("accept after the refusals: %d\n%s", status, body)
	}

	// Own password.
	nina.signIn("nina", "Nina-Secret-2026")
	nina.get("/profile")
	status, body := nina.post("/profile/password", url.Values{"currentPassword": {"Nina-Secret-2026"},
		"newPassword": {"Nina-Fresh-2026"}, "confirmPassword": {"Nina-Fresh-2062"}})
	if status != http.StatusBadRequest || fieldError(body, "confirmPassword") != mismatch {
		t.Fatalf("change with a mismatch: %d, error %q", status, fieldError(body, "confirmPassword"))
	}
	if status, body := newBrowser(t, env.URL).signIn("nina", "Nina-Secret-2026"); status != http.StatusOK || !strings.Contains(body, "Welcome, Nina New") {
		t.Fatalf("the old password stopped working after a refused change: %d", status)
	}

	// Required action.
	tina := addPerson(t, env, crewid.KindEmployee, "Tina Temp", "tina@acme.test", access.KeyOfficeStaff, "", "")
	if err := env.Server.Accounts.SetLoginAndPassword(t.Context(), operator, env.Tenant.ID, crewid.KindEmployee, tina.ID, "tina", "Given-Pass-2026"); err != nil {
		t.Fatal(err)
	}
	tb := newBrowser(t, env.URL)
	_, body = tb.signIn("tina", "Given-Pass-2026")
	mustContain(t, body, `id="confirmPassword" name="confirmPassword" type="password"`)
	actionToken := extract(t, body, `name="actionToken" value="([^"]+)"`)
	form := url.Values{"actionToken": {actionToken}, "changeLogin": {"1"}, "login": {"tina.t"},
		"password": {"Own-Choice-2026"}, "confirmPassword": {"Own-Choice-2025"}}
	status, body = tb.post("/required-action", form)
	if status != http.StatusBadRequest || fieldError(body, "confirmPassword") != mismatch {
		t.Fatalf("required action with a mismatch: %d, error %q", status, fieldError(body, "confirmPassword"))
	}
	mustContain(t, body, `value="tina.t"`)
	form.Set("confirmPassword", "Own-Choice-2026")
	if status, body := tb.post("/required-action", form); status != http.StatusOK || !strings.Contains(body, "Welcome, Tina Temp") {
		t.Fatalf("required action after the refusal: %d\n%s", status, body)
	}

	// Reset link.
	path := personPath(crewid.KindEmployee, tina.ID)
	admin.get(path)
	admin.post(path+"/action", url.Values{"action": {"SendPasswordResetLink"}})
	_, body = admin.get("/settings/outbox?recipient=tina@acme.test")
	link = strings.ReplaceAll(extract(t, body, `class="message-link" href="([^"]+/password-reset\?token=[^"]+)"`), "&amp;", "&")
	u, _ = url.Parse(link)
	rb := newBrowser(t, env.URL)
	rb.get(u.RequestURI())
	reset := url.Values{"resetToken": {u.Query().Get("token")}, "password": {"Reset-Pass-2026"}, "confirmPassword": {"Reset-Pass-2062"}}
	status, body = rb.post("/password-reset/new", reset)
	if status != http.StatusBadRequest || fieldError(body, "confirmPassword") != mismatch {
		t.Fatalf("reset with a mismatch: %d, error %q", status, fieldError(body, "confirmPassword"))
	}
	mustContain(t, body, `id="reset-new-form"`)
	reset.Set("confirmPassword", "Reset-Pass-2026")
	if status, body := rb.post("/password-reset/new", reset); status != http.StatusOK || !strings.Contains(body, "Your password is changed.") {
		t.Fatalf("reset after the refusal: %d\n%s", status, body)
	}
}
