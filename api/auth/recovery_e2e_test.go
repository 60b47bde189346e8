package auth_test

import (
	"strings"
	"testing"
	"time"

	"crewid"
	"crewid/server/servertest"
)

// verify exchanges identifier and code for a reset token.
func (w *world) verify(identifier, code string) string {
	w.t.Helper()
	r := w.must(200, "POST", "/auth/password-reset/verify", "", map[string]string{"identifier": identifier, "code": code})
	token := decode[struct{ ResetToken string }](w.t, r.body).ResetToken
	if token == "" {
		w.t.Fatalf("verify: no reset token: %s", r.body)
	}
	w.secret(token)
	return token
}

func (w *world) startReset(identifier string) {
	w.t.Helper()
	r := w.must(202, "POST", "/auth/password-reset/start", "", map[string]string{"identifier": identifier})
	if len(r.body) != 0 {
		w.t.Errorf("start answered a body: %s", r.body)
	}
}

// A forgotten password by email: a case-sensitive code, a reset token,
// a new password; the old one and the old sessions stop working.
func TestForgotPasswordByEmail(t *testing.T) {
	each(t, func(t *testing.T, b servertest.Backend) {
		w := start(t, b)
		p := w.ready(crewid.KindEmployee, "tia@example.com", "")
		session := w.signedIn(p.login, p.password)

		// Unknown identifiers get the same answer, and nothing is sent.
		w.startReset("nobody@example.com")
		w.startReset(p.login)
		msg := w.message("tia@example.com")
		if msg.Channel != crewid.ChannelEmail || !strings.Contains(msg.Body, p.login) {
			t.Errorf("reset message: %+v", msg)
		}
		code := w.code(msg)
		w.fails(400, "code", "POST", "/auth/password-reset/verify", "", map[string]string{"identifier": p.login, "code": swapCase(code)})
		w.fails(400, "code", "POST", "/auth/password-reset/verify", "", map[string]string{"identifier": "nobody@example.com", "code": code})
		reset := w.verify("TIA@example.com", code)
		// The code works once.
		w.fails(400, "code", "POST", "/auth/password-reset/verify", "", map[string]string{"identifier": p.login, "code": code})

		w.fails(400, "password", "POST", "/auth/password-reset/complete", "", map[string]string{"resetToken": reset, "password": "password123"})
		w.secret(p.password)
		w.fails(400, "password", "POST", "/auth/password-reset/complete", "", map[string]string{"resetToken": reset, "password": p.password})
		w.fails(400, "resetToken", "POST", "/auth/password-reset/complete", "", map[string]string{"resetToken": "crs1.nope", "password": "Reset-Pass-2024"})
		w.secret("Reset-Pass-2024")
		w.must(204, "POST", "/auth/password-reset/complete", "", map[string]string{"resetToken": reset, "password": "Reset-Pass-2024"})
		w.fails(400, "resetToken", "POST", "/auth/password-reset/complete", "", map[string]string{"resetToken": reset, "password": "Reset-Pass-2025"})

		w.signInFails(p.login, p.password)
		w.signedIn(p.login, "Reset-Pass-2024")
		w.fails(401, "", "POST", "/auth/refresh", "", map[string]string{"refreshToken": session.RefreshToken})
		if r := w.me(session.AccessToken); r.status != 401 {
			t.Errorf("access token after a reset: %v", r)
		}
		for _, typ := range []string{"Employee.PasswordResetRequested", "Employee.PasswordResetCodeVerified", "Employee.PasswordReset"} {
			if evs := w.events(p.id, typ); len(evs) != 1 {
				t.Errorf("%s events: %d, want 1", typ, len(evs))
			}
		}
		w.noMessage("nobody@example.com")

		// A reset token expires.
		w.startReset(p.login)
		reset = w.verify(p.login, w.code(w.message("tia@example.com")))
		w.clock.Advance(15 * time.Minute)
		w.fails(400, "resetToken", "POST", "/auth/password-reset/complete", "", map[string]string{"resetToken": reset, "password": "Reset-Pass-2026"})
	})
}

// A technician with only a mobile number gets the code by SMS. A code
// allows five tries and expires after 15 minutes.
func TestForgotPasswordBySMS(t *testing.T) {
	each(t, func(t *testing.T, b servertest.Backend) {
		w := start(t, b)
		p := w.ready(crewid.KindTechnician, "", "+15550109999")
		w.startReset("555.010.9999")
		msg := w.message("+15550109999")
		if msg.Channel != crewid.ChannelSMS {
			t.Fatalf("reset code went by %s", msg.Channel)
		}
		code := w.code(msg)
		reset := w.verify("+1 555 010 9999", code)
		w.secret("Sms-Reset-Pass-1")
		w.must(204, "POST", "/auth/password-reset/complete", "", map[string]string{"resetToken": reset, "password": "Sms-Reset-Pass-1"})
		w.signedIn("(555) 010-9999", "Sms-Reset-Pass-1")

		// Five tries: the sixth is refused even with the right code.
		w.startReset(p.login)
		code = w.code(w.message("+15550109999"))
		for i := 0; i < 5; i++ {
			w.fails(400, "code", "POST", "/auth/password-reset/verify", "", map[string]string{"identifier": p.login, "code": "Wrong" + code[5:]})
		}
		w.fails(400, "code", "POST", "/auth/password-reset/verify", "", map[string]string{"identifier": p.login, "code": code})

		// The fifth try may be the right one.
		w.startReset(p.login)
		code = w.code(w.message("+15550109999"))
		for i := 0; i < 4; i++ {
			w.fails(400, "code", "POST", "/auth/password-reset/verify", "", map[string]string{"identifier": p.login, "code": swapCase(code)})
		}
		w.verify(p.login, code)

		// Codes expire after 15 minutes.
		w.startReset(p.login)
		code = w.code(w.message("+15550109999"))
		w.clock.Advance(15 * time.Minute)
		w.fails(400, "code", "POST", "/auth/password-reset/verify", "", map[string]string{"identifier": p.login, "code": code})

		// A new code replaces the previous one.
		w.startReset(p.login)
		older := w.code(w.message("+15550109999"))
		w.startReset(p.login)
		newer := w.code(w.message("+15550109999"))
		if older != newer {
			w.fails(400, "code", "POST", "/auth/password-reset/verify", "", map[string]string{"identifier": p.login, "code": older})
		}
		w.verify(p.login, newer)
	})
}

// A temporary password works for 60 minutes and only to choose a new one.
// It leaves the account status as it was.
func TestTemporaryPassword(t *testing.T) {
	each(t, func(t *testing.T, b servertest.Backend) {
		w := start(t, b)
		p := w.ready(crewid.KindEmployee, "uma@example.com", "")
		session := w.signedIn(p.login, p.password)
		w.actionOK(p, map[string]any{"action": "SetTemporaryPassword", "password": "Temp-Pass-4567"})
		w.wantStatus(p, "Active")
		notice := w.message("uma@example.com")
		if strings.Contains(notice.Body, "Temp-Pass-4567") || !strings.Contains(notice.Body, "temporary password") {
			t.Errorf("temporary password notice: %s", notice.Body)
		}
		w.fails(401, "", "POST", "/auth/refresh", "", map[string]string{"refreshToken": session.RefreshToken})
		w.signInFails(p.login, p.password)
		tk := w.signIn(p.login, "Temp-Pass-4567")
		if tk.RequiredAction != "ChangePassword" {
			t.Fatalf("sign-in with a temporary password: %+v", tk)
		}
		w.fails(400, "password", "POST", "/auth/required-action", "", map[string]string{"actionToken": tk.ActionToken, "password": "Temp-Pass-4567"})
		w.complete(tk.ActionToken, "", "After-Temp-Pass-1")
		w.signedIn(p.login, "After-Temp-Pass-1")

		// After 60 minutes it no longer works.
		w.actionOK(p, map[string]any{"action": "SetTemporaryPassword", "password": "Temp-Pass-8910"})
		w.clock.Advance(59 * time.Minute)
		if tk := w.signIn(p.login, "Temp-Pass-8910"); tk.RequiredAction != "ChangePassword" {
			t.Errorf("temporary password at 59 minutes: %+v", tk)
		}
		w.clock.Advance(time.Minute)
		w.signInFails(p.login, "Temp-Pass-8910")
		expired := 0
		for _, e := range w.events(p.id, "Employee.SignInFailed") {
			if strings.Contains(string(e.After), "TemporaryPasswordExpired") {
				expired++
			}
		}
		if expired != 1 {
			t.Errorf("failed sign-ins with an expired temporary password: %d, want 1", expired)
		}

		// Refused: weak passwords, people without an account.
		status, raw := w.action(p, map[string]any{"action": "SetTemporaryPassword", "password": "short"})
		if status != 400 || !strings.Contains(string(raw), "password") {
			t.Errorf("weak temporary password: %d %s", status, raw)
		}
		later := w.newPerson(crewid.KindEmployee, "vic@example.com", "", "CreateLater", "", "")
		if status, raw := w.action(later, map[string]any{"action": "SetTemporaryPassword", "password": "Temp-Pass-1112"}); status != 400 {
			t.Errorf("temporary password without an account: %d %s", status, raw)
		}
	})
}

// An administrator's reset link carries a reset token.
func TestResetLink(t *testing.T) {
	each(t, func(t *testing.T, b servertest.Backend) {
		w := start(t, b)
		p := w.ready(crewid.KindTechnician, "", "+15550104444")
		w.actionOK(p, map[string]any{"action": "SendPasswordResetLink"})
		msg := w.message("+15550104444")
		if msg.Channel != crewid.ChannelSMS || len(msg.Body) > 320 {
			t.Errorf("reset link SMS (%d characters): %s", len(msg.Body), msg.Body)
		}
		token := w.linkToken(msg, "/password-reset")
		w.secret("Link-Reset-Pass-1")
		w.must(204, "POST", "/auth/password-reset/complete", "", map[string]string{"resetToken": token, "password": "Link-Reset-Pass-1"})
		w.signedIn(p.login, "Link-Reset-Pass-1")
		w.fails(400, "resetToken", "POST", "/auth/password-reset/complete", "", map[string]string{"resetToken": token, "password": "Link-Reset-Pass-2"})

		// Links expire after 24 hours.
		w.actionOK(p, map[string]any{"action": "SendPasswordResetLink"})
		token = w.linkToken(w.message("+15550104444"), "/password-reset")
		w.clock.Advance(24 * time.Hour)
		w.fails(400, "resetToken", "POST", "/auth/password-reset/complete", "", map[string]string{"resetToken": token, "password": "Link-Reset-Pass-3"})
	})
}
