package auth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"crewid"
	"crewid/access"
	"crewid/accounts/password"
	"crewid/server/servertest"
	"crewid/store"
)

// An invitation is accepted once, with the email as the default login or a
// login of the person's choice; the account is then Accepted, and Active
// with the time of the last sign-in once the person signs in.
func TestInvitationAcceptAndSignIn(t *testing.T) {
	each(t, func(t *testing.T, b servertest.Backend) {
		w := start(t, b)
		ann := w.newPerson(crewid.KindEmployee, "ann@example.com", "", "SendInvite", "", "")
		w.wantStatus(ann, "Pending")
		msg := w.message("ann@example.com")
		token := w.linkToken(msg, "/invitations/accept")

		// Policy and token problems.
		w.fails(400, "password", "POST", "/auth/invitations/accept", "", map[string]string{"token": token, "password": "password123"})
		w.fails(400, "token", "POST", "/auth/invitations/accept", "", map[string]string{"token": "nope", "password": "Good-Pass-123"})

		// The login defaults to the email.
		w.secret("Ann-Secret-2024")
		r := w.must(200, "POST", "/auth/invitations/accept", "", map[string]string{"token": token, "password": "Ann-Secret-2024"})
		if got := decode[struct{ Login string }](t, r.body).Login; got != "ann@example.com" {
			t.Errorf("accepted login %q, want the email", got)
		}
		w.wantStatus(ann, "Accepted")
		// Single use.
		w.fails(400, "token", "POST", "/auth/invitations/accept", "", map[string]string{"token": token, "password": "Other-Pass-123"})

		w.clock.Advance(time.Minute)
		tk := w.signedIn("ANN@example.com", "Ann-Secret-2024")
		status, last := w.status(ann)
		if status != "Active" || last == nil || !last.Equal(w.clock.Now()) {
			t.Errorf("after sign-in: status %q, lastSignInOn %v; want Active at %v", status, last, w.clock.Now())
		}
		me := w.me(tk.AccessToken)
		if me.status != 200 {
			t.Fatalf("GET /me: %v", me)
		}
		var profile struct {
			ID            int64  `json:"id"`
			TenantID      int64  `json:"tenantId"`
			Type          string `json:"type"`
			Login         string `json:"login"`
			AccountStatus string `json:"accountStatus"`
			Permissions   []struct {
				ID   int64  `json:"id"`
				Name string `json:"name"`
			} `json:"permissions"`
		}
		if err := json.Unmarshal(me.body, &profile); err != nil {
			t.Fatal(err)
		}
		if profile.ID != ann.id || profile.TenantID != w.env.Tenant.ID || profile.Type != "Employee" ||
			profile.Login != "ann@example.com" || profile.AccountStatus != "Active" || len(profile.Permissions) == 0 {
			t.Errorf("GET /me: %s", me.body)
		}
		if evs := w.events(ann.id, "Invitation.Accepted"); len(evs) != 1 || evs[0].Actor.Type != crewid.ActorPerson || evs[0].Actor.IP == "" {
			t.Errorf("Invitation.Accepted events: %+v", evs)
		}
		if evs := w.events(ann.id, "Employee.SignedIn"); len(evs) != 1 || evs[0].Actor.UserAgent != "crewid-e2e/1.0" || evs[0].Actor.IP == "" {
			t.Errorf("Employee.SignedIn events: %+v", evs)
		}

		// A login of the person's choice.
		bob := w.newPerson(crewid.KindEmployee, "bob@example.com", "", "SendInvite", "", "")
		token = w.linkToken(w.message("bob@example.com"), "/invitations/accept")
		w.secret("Bob-Secret-2024")
		w.must(200, "POST", "/auth/invitations/accept", "", map[string]string{"token": token, "login": "Bobby.Field", "password": "Bob-Secret-2024"})
		w.signedIn("bobby.field", "Bob-Secret-2024")
		w.signedIn("bob@example.com", "Bob-Secret-2024")
		w.wantStatus(bob, "Active")

		// A technician with only a mobile number is invited by SMS and
		// must choose a login.
		tech := w.newPerson(crewid.KindTechnician, "", "+15550107788", "SendInvite", "", "")
		sms := w.message("+15550107788")
		if sms.Channel != crewid.ChannelSMS {
			t.Errorf("technician invitation went by %s", sms.Channel)
		}
		token = w.linkToken(sms, "/invitations/accept")
		w.fails(400, "login", "POST", "/auth/invitations/accept", "", map[string]string{"token": token, "password": "Tech-Secret-2024"})
		w.secret("Tech-Secret-2024")
		w.must(200, "POST", "/auth/invitations/accept", "", map[string]string{"token": token, "login": "tech.mobile", "password": "Tech-Secret-2024"})
		w.signedIn("(555) 010-7788", "Tech-Secret-2024")
		w.wantStatus(tech, "Active")

		// A new invitation voids the old; invitations expire.
		cat := w.newPerson(crewid.KindEmployee, "cat@example.com", "", "SendInvite", "", "")
		first := w.linkToken(w.message("cat@example.com"), "/invitations/accept")
		w.actionOK(cat, map[string]any{"action": "SendInvite"})
		second := w.linkToken(w.message("cat@example.com"), "/invitations/accept")
		w.fails(400, "token", "POST", "/auth/invitations/accept", "", map[string]string{"token": first, "password": "Cat-Secret-2024"})
		w.clock.Advance(7*24*time.Hour + time.Second)
		w.fails(400, "token", "POST", "/auth/invitations/accept", "", map[string]string{"token": second, "password": "Cat-Secret-2024"})
		w.wantStatus(cat, "Pending")
	})
}

// A login and password set by an administrator must both change at the
// first sign-in.
func TestAdminAssignedMustChangeBoth(t *testing.T) {
	each(t, func(t *testing.T, b servertest.Backend) {
		w := start(t, b)
		p := w.newPerson(crewid.KindEmployee, "dan@example.com", "", "AssignLoginAndPassword", "dan.assigned", "Assigned-Pass-42")
		w.wantStatus(p, "AdminAssigned")
		tk := w.signIn("dan.assigned", "Assigned-Pass-42")
		if tk.RequiredAction != "ChangeLoginAndPassword" || tk.ActionToken == "" || tk.AccessToken != "" {
			t.Fatalf("first sign-in: %+v", tk)
		}
		w.wantStatus(p, "AdminAssigned")
		// The action token is no access token.
		if r := w.me(tk.ActionToken); r.status != 401 {
			t.Errorf("GET /me with an action token: %v", r)
		}

		act := func(login, pw string) map[string]string {
			w.secret(pw)
			return map[string]string{"actionToken": tk.ActionToken, "login": login, "password": pw}
		}
		w.fails(400, "login", "POST", "/auth/required-action", "", act("DAN.assigned", "Brand-New-Pass-1"))
		w.fails(400, "password", "POST", "/auth/required-action", "", act("dan.own", "Assigned-Pass-42"))
		w.fails(400, "password", "POST", "/auth/required-action", "", act("dan.own", "short"))
		w.fails(400, "login", "POST", "/auth/required-action", "", act("", "Brand-New-Pass-1"))
		// A login taken by someone else.
		w.newPerson(crewid.KindEmployee, "eve@example.com", "", "AssignLoginAndPassword", "eve.taken", "Assigned-Pass-42")
		w.fails(409, "login", "POST", "/auth/required-action", "", act("Eve.Taken", "Brand-New-Pass-1"))

		done := w.complete(tk.ActionToken, "dan.own", "Brand-New-Pass-1")
		if r := w.me(done.AccessToken); r.status != 200 {
			t.Errorf("GET /me after the required action: %v", r)
		}
		w.wantStatus(p, "Active")
		// Single use: the password it was bound to has changed.
		w.fails(401, "", "POST", "/auth/required-action", "", act("dan.other", "Another-Pass-9"))
		w.signInFails("dan.assigned", "Brand-New-Pass-1")
		w.signInFails("dan.own", "Assigned-Pass-42")
		w.signedIn("dan.own", "Brand-New-Pass-1")
		if evs := w.events(p.id, "Employee.LoginAndPasswordChanged"); len(evs) != 1 {
			t.Errorf("LoginAndPasswordChanged events: %d", len(evs))
		}

		// The admin action sets them again: AdminAssigned, sessions end.
		w.actionOK(p, map[string]any{"action": "SetLoginAndPassword", "login": "dan.reset", "password": "Admin-Set-Pass-3"})
		w.wantStatus(p, "AdminAssigned")
		if r := w.me(done.AccessToken); r.status != 401 {
			t.Errorf("access token after SetLoginAndPassword: %v", r)
		}
		w.fails(401, "", "POST", "/auth/refresh", "", map[string]string{"refreshToken": done.RefreshToken})
		if tk := w.signIn("dan.reset", "Admin-Set-Pass-3"); tk.RequiredAction != "ChangeLoginAndPassword" {
			t.Errorf("sign-in after SetLoginAndPassword: %+v", tk)
		}
		status, raw := w.action(p, map[string]any{"action": "SetLoginAndPassword", "login": "dan.reset2", "password": "weakpw1"})
		if status != 400 || !strings.Contains(string(raw), "password") {
			t.Errorf("SetLoginAndPassword with a weak password: %d %s", status, raw)
		}
	})
}

// Every password expires a year after it was set.
func TestYearlyPasswordExpiry(t *testing.T) {
	each(t, func(t *testing.T, b servertest.Backend) {
		w := start(t, b)
		p := w.ready(crewid.KindEmployee, "fay@example.com", "")
		// A session kept alive by refreshes ends with the password.
		session := w.signedIn(p.login, p.password)
		for day := 29; day < 365; day += 29 {
			w.clock.Advance(29 * 24 * time.Hour)
			r := w.must(200, "POST", "/auth/refresh", "", map[string]string{"refreshToken": session.RefreshToken})
			session = w.remember(decode[tokens](t, r.body))
		}
		w.clock.Advance(365*24*time.Hour - 12*29*24*time.Hour - 24*time.Hour) // day 364
		w.signedIn(p.login, p.password)
		w.clock.Advance(24 * time.Hour)
		w.fails(401, "", "POST", "/auth/refresh", "", map[string]string{"refreshToken": session.RefreshToken})
		tk := w.signIn(p.login, p.password)
		if tk.RequiredAction != "ChangePassword" || tk.AccessToken != "" {
			t.Fatalf("sign-in a year after: %+v, want ChangePassword", tk)
		}
		w.secret(p.password)
		w.fails(400, "password", "POST", "/auth/required-action", "", map[string]string{"actionToken": tk.ActionToken, "password": p.password})
		w.complete(tk.ActionToken, "", "Next-Year-Pass-8")
		w.signedIn(p.login, "Next-Year-Pass-8")
		w.signInFails(p.login, p.password)
	})
}

// Ten failures in a row lock the account for 30 minutes: even the right
// password is refused. An administrator's Unlock or a password reset ends
// the lock.
func TestLockout(t *testing.T) {
	each(t, func(t *testing.T, b servertest.Backend) {
		w := start(t, b)
		p := w.ready(crewid.KindEmployee, "gus@example.com", "")
		lock := func() {
			t.Helper()
			for i := 0; i < 10; i++ {
				w.signInFails(p.login, "Wrong-Pass-"+strconv.Itoa(i))
			}
			w.wantStatus(p, "Locked")
			w.signInFails(p.login, p.password)
		}
		w.signInFails(p.login, "Wrong-Pass-x")
		w.signedIn(p.login, p.password) // a success clears the count
		for i := 0; i < 9; i++ {
			w.signInFails(p.login, "Wrong-Pass-"+strconv.Itoa(i))
		}
		w.signedIn(p.login, p.password)

		lock()
		if evs := w.events(p.id, "Employee.Locked"); len(evs) != 1 {
			t.Errorf("Locked events: %d, want 1", len(evs))
		}
		failed := w.events(p.id, "Employee.SignInFailed")
		if len(failed) < 12 {
			t.Errorf("SignInFailed events: %d", len(failed))
		}
		for _, e := range failed {
			if e.Actor.IP == "" || e.Actor.UserAgent == "" {
				t.Errorf("failed sign-in event without ip or userAgent: %+v", e.Actor)
			}
		}
		// The lock passes by itself after 30 minutes.
		w.clock.Advance(29 * time.Minute)
		w.signInFails(p.login, p.password)
		w.clock.Advance(time.Minute)
		w.signedIn(p.login, p.password)

		// Unlock by an administrator.
		lock()
		w.actionOK(p, map[string]any{"action": "Unlock"})
		w.wantStatus(p, "Active")
		w.signedIn(p.login, p.password)

		// Unlock by a password reset.
		lock()
		w.must(202, "POST", "/auth/password-reset/start", "", map[string]string{"identifier": p.login})
		code := w.code(w.message("gus@example.com"))
		r := w.must(200, "POST", "/auth/password-reset/verify", "", map[string]string{"identifier": p.login, "code": code})
		reset := decode[struct{ ResetToken string }](t, r.body).ResetToken
		w.secret(reset, "After-Lock-Pass-5")
		w.must(204, "POST", "/auth/password-reset/complete", "", map[string]string{"resetToken": reset, "password": "After-Lock-Pass-5"})
		w.wantStatus(p, "Active")
		w.signedIn(p.login, "After-Lock-Pass-5")
	})
}

// The lockout threshold and duration are settings.
func TestLockoutSettings(t *testing.T) {
	each(t, func(t *testing.T, b servertest.Backend) {
		w := start(t, b, func(c *serverConfig) {
			c.Accounts.LockoutThreshold = 3
			c.Accounts.LockoutDuration = 5 * time.Minute
		})
		p := w.ready(crewid.KindEmployee, "hal@example.com", "")
		for i := 0; i < 3; i++ {
			w.signInFails(p.login, "Wrong-Pass-1")
		}
		w.signInFails(p.login, p.password)
		w.clock.Advance(5 * time.Minute)
		w.signedIn(p.login, p.password)
	})
}

// An unknown login, a wrong password, a locked and an inactive account get
// the same answer.
func TestFailedSignInsLookAlike(t *testing.T) {
	each(t, func(t *testing.T, b servertest.Backend) {
		w := start(t, b, func(c *serverConfig) { c.Accounts.LockoutThreshold = 2 })
		p := w.ready(crewid.KindEmployee, "ida@example.com", "")
		locked := w.ready(crewid.KindEmployee, "jon@example.com", "")
		inactive := w.ready(crewid.KindTechnician, "kim@example.com", "")
		noMobile := w.ready(crewid.KindTechnician, "lee@example.com", "")
		for range 2 {
			w.signInFails(locked.login, "Wrong-Pass-1")
		}
		w.actionOK(inactive, map[string]any{"action": "Deactivate"})
		w.settingsOK("PATCH", noMobile.path(), map[string]any{"mobileAccessEnabled": false})

		answer := func(login, pw string) (int, string) {
			r := w.call("POST", "/auth/sign-in", "", map[string]string{"login": login, "password": pw})
			var body map[string]any
			if err := json.Unmarshal(r.body, &body); err != nil {
				t.Fatalf("decode: %v; %s", err, r.body)
			}
			delete(body, "traceId")
			norm, _ := json.Marshal(body)
			return r.status, string(norm) + " " + r.header.Get("WWW-Authenticate")
		}
		wantStatus, wantBody := answer("nobody@example.com", "Whatever-Pass-1")
		if wantStatus != 401 {
			t.Fatalf("unknown login: status %d", wantStatus)
		}
		w.secret(p.password, locked.password, inactive.password, noMobile.password)
		for name, c := range map[string][2]string{
			"wrong password":        {p.login, "Wrong-Pass-2"},
			"unknown login":         {"also-nobody", p.password},
			"locked, right pw":      {locked.login, locked.password},
			"inactive, right pw":    {inactive.login, inactive.password},
			"no mobile access":      {noMobile.login, noMobile.password},
			"empty":                 {"", ""},
			"email of another kind": {"ida@example.com", "Wrong-Pass-3"},
		} {
			if status, body := answer(c[0], c[1]); status != wantStatus || body != wantBody {
				t.Errorf("%s: %d %s; want %d %s", name, status, body, wantStatus, wantBody)
			}
		}
		if evs := w.events(inactive.id, "Technician.SignInFailed"); len(evs) != 1 || !strings.Contains(string(evs[0].After), "Inactive") {
			t.Errorf("inactive sign-in events: %+v", evs)
		}
	})
}

// Sign-in and reset attempts are limited per client address.
func TestRateLimit(t *testing.T) {
	each(t, func(t *testing.T, b servertest.Backend) {
		w := start(t, b, withRate(3))
		for i := 0; i < 3; i++ {
			w.signInFails("nobody", "Whatever-Pass-1")
		}
		r := w.call("POST", "/auth/sign-in", "", map[string]string{"login": "nobody", "password": "Whatever-Pass-1"})
		if r.status != 429 {
			t.Fatalf("4th attempt: %v", r)
		}
		secs, err := strconv.Atoi(r.header.Get("Retry-After"))
		if err != nil || secs < 1 || secs > 60 {
			t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
		}
		if p := decode[problem](t, r.body); p.Status != 429 {
			t.Errorf("429 body: %s", r.body)
		}
		for _, path := range []string{"/auth/password-reset/start", "/auth/password-reset/verify", "/auth/password-reset/complete"} {
			if r := w.call("POST", path, "", map[string]string{"identifier": "x", "code": "y", "resetToken": "z", "password": "p"}); r.status != 429 || r.header.Get("Retry-After") == "" {
				t.Errorf("%s over the limit: %v", path, r)
			}
		}
		// Other endpoints are not limited.
		if r := w.call("POST", "/auth/refresh", "", map[string]string{"refreshToken": "nope"}); r.status != 401 {
			t.Errorf("refresh: %v", r)
		}
	})
}

// One email may belong to an employee and a technician; signing in with
// it reaches the one whose password matches.
func TestSharedEmailSignsInByPassword(t *testing.T) {
	each(t, func(t *testing.T, b servertest.Backend) {
		w := start(t, b)
		emp := w.ready(crewid.KindEmployee, "max@example.com", "")
		tech := w.ready(crewid.KindTechnician, "max@example.com", "")
		tech.password = "Tech-Own-Pass-66"
		tk := w.signedIn(tech.login, "Own-Choice-Pw-77")
		w.secret(tech.password)
		w.must(204, "POST", "/me/password", tk.AccessToken, map[string]string{"currentPassword": "Own-Choice-Pw-77", "newPassword": tech.password})

		for _, c := range []struct {
			pw   string
			want person
		}{{emp.password, emp}, {tech.password, tech}} {
			tk := w.signedIn("max@example.com", c.pw)
			var me struct {
				ID   int64  `json:"id"`
				Type string `json:"type"`
			}
			if err := json.Unmarshal(w.me(tk.AccessToken).body, &me); err != nil {
				t.Fatal(err)
			}
			if me.ID != c.want.id || me.Type != string(c.want.kind) {
				t.Errorf("sign-in with the shared email reached %+v, want %d", me, c.want.id)
			}
		}
		// A wrong password counts against both.
		w.signInFails("max@example.com", "Wrong-Pass-9")
		for _, p := range []person{emp, tech} {
			got, err := w.env.Store.Person(context.Background(), w.env.Tenant.ID, p.id)
			if err != nil || got.Account.FailedSignIns != 1 {
				t.Errorf("person %d failures %d (%v), want 1", p.id, got.Account.FailedSignIns, err)
			}
		}
	})
}

// A hash made with lower parameters is replaced at the next sign-in.
func TestRehashOnSignIn(t *testing.T) {
	each(t, func(t *testing.T, b servertest.Backend) {
		w := start(t, b)
		p := w.ready(crewid.KindEmployee, "ned@example.com", "")
		old := password.Params{Memory: 8 * 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
		weak, err := old.Hash(p.password)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		err = w.env.Store.Update(ctx, func(tx store.Tx) error {
			cur, err := tx.Person(ctx, w.env.Tenant.ID, p.id)
			if err != nil {
				return err
			}
			cur.Account.PasswordHash = weak
			return tx.UpdatePerson(ctx, &cur)
		})
		if err != nil {
			t.Fatal(err)
		}
		if !password.NeedsRehash(weak) {
			t.Fatal("the weak hash does not need a rehash")
		}
		w.signedIn(p.login, p.password)
		got, err := w.env.Store.Person(ctx, w.env.Tenant.ID, p.id)
		if err != nil {
			t.Fatal(err)
		}
		if got.Account.PasswordHash == weak || password.NeedsRehash(got.Account.PasswordHash) {
			t.Errorf("hash after sign-in %q, want a rehash with the current parameters", got.Account.PasswordHash[:30])
		}
		if ok, _ := password.Verify(got.Account.PasswordHash, p.password); !ok {
			t.Errorf("the new hash does not verify the password")
		}
		w.signedIn(p.login, p.password)
	})
}

// The Settings API takes a person's token without an application key (an
// application key sent along changes nothing), and the token counts as the
// person's, never as the application's.
func TestSettingsTakesPersonTokens(t *testing.T) {
	each(t, func(t *testing.T, b servertest.Backend) {
		w := start(t, b)
		p := w.ready(crewid.KindEmployee, "oli@example.com", "")
		tk := w.signedIn(p.login, p.password)
		for _, appKey := range []string{"", w.env.App.AppKey} {
			status, raw := w.env.Do(t, func(_ context.Context, req *http.Request) error {
				req.Header.Set("Authorization", "Bearer "+tk.AccessToken)
				if appKey != "" {
					req.Header.Set("ST-App-Key", appKey)
				}
				return nil
			}, "GET", "/settings/v2/tenant/"+strconv.FormatInt(w.env.Tenant.ID, 10)+"/employees", nil)
			if status != 200 || !strings.Contains(string(raw), `"oli@example.com"`) {
				t.Errorf("Settings API with a person token (app key %q): %d %s", appKey, status, raw)
			}
		}
		// And an application token is no person token.
		app := w.env.Token(t, w.env.App)
		if r := w.me(app); r.status != 401 {
			t.Errorf("GET /me with an application token: %v", r)
		}
		if r := w.me(""); r.status != 401 {
			t.Errorf("GET /me without a token: %v", r)
		}
	})
}

// Concurrent wrong passwords are all counted: the account locks once the
// threshold is reached, whatever the interleaving.
func TestConcurrentFailuresLock(t *testing.T) {
	each(t, func(t *testing.T, b servertest.Backend) {
		w := start(t, b)
		p := w.ready(crewid.KindEmployee, "pia@example.com", "")
		var wg sync.WaitGroup
		statuses := make([]int, 16)
		for i := range statuses {
			wg.Go(func() {
				r := w.call("POST", "/auth/sign-in", "", map[string]string{"login": p.login, "password": "Wrong-Pass-" + strconv.Itoa(i)})
				statuses[i] = r.status
			})
		}
		wg.Wait()
		for i, s := range statuses {
			if s != 401 {
				t.Errorf("attempt %d: status %d", i, s)
			}
		}
		w.wantStatus(p, "Locked")
		w.signInFails(p.login, p.password)
		if evs := w.events(p.id, "Employee.Locked"); len(evs) != 1 {
			t.Errorf("Locked events: %d, want 1", len(evs))
		}
		counted := 0
		for _, e := range w.events(p.id, "Employee.SignInFailed") {
			if strings.Contains(string(e.After), "WrongPassword") {
				counted++
			}
		}
		if counted != 10 {
			t.Errorf("failures counted: %d, want 10 (the rest came while locked)", counted)
		}
	})
}

// A login is a username, an email or a mobile number, so a login that is
// someone else's email or mobile number is taken however it is chosen. A
// person's own email stays theirs to use, even when a technician shares it.
func TestLoginIsNobodyElsesContact(t *testing.T) {
	each(t, func(t *testing.T, b servertest.Backend) {
		w := start(t, b)
		w.newPerson(crewid.KindEmployee, "owner@example.com", "+15550107001", "CreateLater", "", "")
		taken := []string{"OWNER@example.com", "+15550107001", "555-010-7001"}

		// Accepting an invitation.
		bob := w.newPerson(crewid.KindEmployee, "bob@example.com", "", "SendInvite", "", "")
		token := w.linkToken(w.message("bob@example.com"), "/invitations/accept")
		w.secret("Bob-Secret-2024")
		for _, login := range taken {
			w.fails(409, "login", "POST", "/auth/invitations/accept", "", map[string]string{"token": token, "login": login, "password": "Bob-Secret-2024"})
		}
		w.must(200, "POST", "/auth/invitations/accept", "", map[string]string{"token": token, "password": "Bob-Secret-2024"})
		w.wantStatus(bob, "Accepted")

		// The first sign-in's required change, and an administrator's.
		carl := w.newPerson(crewid.KindEmployee, "carl@example.com", "", "AssignLoginAndPassword", "carl.assigned", "Assigned-Pass-42")
		tk := w.signIn("carl.assigned", "Assigned-Pass-42")
		w.secret("Brand-New-Pass-1")
		for _, login := range taken {
			w.fails(409, "login", "POST", "/auth/required-action", "", map[string]string{"actionToken": tk.ActionToken, "login": login, "password": "Brand-New-Pass-1"})
			if status, raw := w.action(carl, map[string]any{"action": "SetLoginAndPassword", "login": login, "password": "Admin-Set-Pass-3"}); status != 409 {
				t.Errorf("SetLoginAndPassword with login %q: %d %s, want 409", login, status, raw)
			}
		}
		w.complete(tk.ActionToken, "carl.own", "Brand-New-Pass-1")

		// Creating a person with an assigned login.
		for _, login := range taken {
			status, raw := w.settings("POST", "/employees", map[string]any{
				"name": uniqueName("Person "), "email": uniqueName("dora") + "@example.com", "positions": []string{},
				"roleIds": []int64{w.env.Roles[access.KeyOfficeStaff].ID}, "accountCreationMethod": "AssignLoginAndPassword",
				"login": login, "password": "Assigned-Pass-42",
			})
			if status != 409 || !strings.Contains(string(raw), "login") {
				t.Errorf("create with login %q: %d %s, want 409 on login", login, status, raw)
			}
		}

		// A technician sharing an employee's email leaves the email free
		// for the employee's own login.
		w.newPerson(crewid.KindTechnician, "sam@example.com", "", "CreateLater", "", "")
		sam := w.newPerson(crewid.KindEmployee, "sam@example.com", "", "AssignLoginAndPassword", "sam@example.com", "Assigned-Pass-42")
		w.wantStatus(sam, "AdminAssigned")
	})
}

// A technician's account needs mobile access and an email or mobile
// number. Without them the profile shows NoUserAccount and the account
// cannot be used; given back, the account works again as it was.
func TestTechnicianLosingWhatAnAccountNeeds(t *testing.T) {
	each(t, func(t *testing.T, b servertest.Backend) {
		w := start(t, b)
		tech := w.ready(crewid.KindTechnician, "", "+15550107002")
		tk := w.signedIn(tech.login, tech.password)
		w.wantStatus(tech, "Active")

		for _, c := range []struct {
			what           string
			take, giveBack map[string]any
		}{
			{"mobile access", map[string]any{"mobileAccessEnabled": false}, map[string]any{"mobileAccessEnabled": true}},
			{"the only contact", map[string]any{"phoneNumber": nil}, map[string]any{"phoneNumber": "+15550107002"}},
		} {
			w.settingsOK("PATCH", tech.path(), c.take)
			w.wantStatus(tech, "NoUserAccount")
			w.signInFails(tech.login, tech.password)
			w.signInFails("+15550107002", tech.password)
			w.fails(401, "", "POST", "/auth/refresh", "", map[string]string{"refreshToken": tk.RefreshToken})

			w.settingsOK("PATCH", tech.path(), c.giveBack)
			w.wantStatus(tech, "Active")
			tk = w.signedIn(tech.login, tech.password)
			if c.what == "the only contact" {
				w.signedIn("+15550107002", tech.password)
			}
		}
	})
}
