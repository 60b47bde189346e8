package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"crewid"
	"crewid/access"
	"crewid/accounts"
	"crewid/people"
)

// routes lists every console page. Paths named by the contract
// (invitations, password reset links) are kept exactly.
func (c *Console) routes(mux *http.ServeMux) {
	mux.Handle("GET /{$}", c.signedIn(c.home))
	mux.Handle("GET /signin", c.public(c.signInPage))
	mux.Handle("POST /signin", c.public(c.signIn))
	mux.Handle("POST /signout", c.public(c.signOut))
	mux.Handle("POST /required-action", c.public(c.requiredAction))
	mux.Handle("GET /invitations/accept", c.public(c.acceptPage))
	mux.Handle("POST /invitations/accept", c.public(c.accept))
	mux.Handle("GET /password-reset", c.public(c.resetStartPage))
	mux.Handle("POST /password-reset", c.public(c.resetStart))
	mux.Handle("POST /password-reset/verify", c.public(c.resetVerify))
	mux.Handle("POST /password-reset/new", c.public(c.resetComplete))
	mux.Handle("GET /profile", c.signedIn(c.profile))
	mux.Handle("POST /profile/password", c.signedIn(c.changePassword))
	c.peopleRoutes(mux)
	c.adminRoutes(mux)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// localPath returns next when it is a path on this site, else "/": a
// sign-in link must not send the person elsewhere.
func localPath(next string) string {
	// Browsers drop tabs and line breaks from a URL and read a backslash
	// as a slash, so "/\t/evil.example" would leave the site: any control
	// character or backslash makes the path suspect.
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
		return "/"
	}
	return next
}

// fieldErrors splits a domain error into field errors and a message for
// the form; errors without fields become the message alone.
func fieldErrors(err error) (crewid.Problems, string) {
	var e *crewid.Error
	if !errors.As(err, &e) {
		return nil, ""
	}
	if len(e.Fields) == 0 {
		return nil, e.Message
	}
	return crewid.Problems(e.Fields), "Please correct the fields marked below."
}

// checkConfirmation refuses a new password typed differently the second
// time (the confirmPassword field), before any service is asked: a typing
// slip would leave the person with a password they do not know. An empty
// password is left for the service to refuse.
func checkConfirmation(r *http.Request, pw string) error {
	if pw == "" {
		return nil
	}
	switch confirm := r.PostFormValue("confirmPassword"); {
	case confirm == "":
		return crewid.FieldError("confirmPassword", "Type the password again to confirm it.")
	case confirm != pw:
		return crewid.FieldError("confirmPassword", "The two passwords do not match; type the same password in both fields.")
	}
	return nil
}

// formFailure reports whether err is the person's to correct (shown on
// the form) rather than a failure of the server or a refusal.
func formFailure(err error) bool {
	switch crewid.CodeOf(err) {
	case crewid.Invalid, crewid.Conflict:
		return true
	}
	return false
}

func (c *Console) home(w http.ResponseWriter, r *http.Request, v *Viewer) {
	c.render(w, r, http.StatusOK, "home", &View{Title: "Home"})
}

type signInData struct {
	Next  string
	Login string
}

func (c *Console) signInPage(w http.ResponseWriter, r *http.Request) {
	next := localPath(r.URL.Query().Get("next"))
	if viewerFrom(r) != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	c.render(w, r, http.StatusOK, "signin", &View{Title: "Sign in", Data: signInData{Next: next}})
}

func (c *Console) signIn(w http.ResponseWriter, r *http.Request) {
	login, pw := strings.TrimSpace(r.PostFormValue("login")), r.PostFormValue("password")
	next := localPath(r.PostFormValue("next"))
	if !c.allowAttempt(w, r) {
		return
	}
	res, err := c.Accounts.SignIn(r.Context(), login, pw, meta(r))
	if err != nil {
		if crewid.CodeOf(err) == crewid.Internal {
			c.fail(w, r, err)
			return
		}
		c.render(w, r, http.StatusUnauthorized, "signin", &View{Title: "Sign in", Error: err.Error(),
			Data: signInData{Next: next, Login: login}})
		return
	}
	c.finishSignIn(w, r, res, login, next)
}

type requiredActionData struct {
	Token       string
	ChangeLogin bool
	Login       string
}

// finishSignIn starts the session of a completed sign-in, or shows the
// action the sign-in demands first.
func (c *Console) finishSignIn(w http.ResponseWriter, r *http.Request, res accounts.Result, login, next string) {
	if res.RequiredAction != crewid.ChangeNothing {
		c.render(w, r, http.StatusOK, "required-action", &View{Title: "Action required", Data: requiredActionData{
			Token: res.ActionToken, ChangeLogin: res.RequiredAction == crewid.ChangeLoginAndPassword,
		}})
		return
	}
	c.startSession(w, res)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (c *Console) requiredAction(w http.ResponseWriter, r *http.Request) {
	if !c.allowAttempt(w, r) {
		return
	}
	token, login, pw := r.PostFormValue("actionToken"), strings.TrimSpace(r.PostFormValue("login")), r.PostFormValue("password")
	data := requiredActionData{Token: token, ChangeLogin: r.PostFormValue("changeLogin") != "", Login: login}
	if err := checkConfirmation(r, pw); err != nil {
		problems, msg := fieldErrors(err)
		c.render(w, r, http.StatusBadRequest, "required-action", &View{Title: "Action required", Errors: problems, Error: msg, Data: data})
		return
	}
	res, err := c.Accounts.CompleteRequiredAction(r.Context(), token, login, pw, meta(r))
	if err != nil {
		if crewid.CodeOf(err) == crewid.Internal {
			c.fail(w, r, err)
			return
		}
		if !formFailure(err) {
			// The action token expired or was used: start again.
			c.render(w, r, http.StatusUnauthorized, "signin", &View{Title: "Sign in",
				Error: "That took too long or the link was already used; sign in again.", Data: signInData{Next: "/"}})
			return
		}
		problems, msg := fieldErrors(err)
		c.render(w, r, http.StatusBadRequest, "required-action", &View{Title: "Action required", Errors: problems, Error: msg, Data: data})
		return
	}
	c.flash(w, "Your new password is set.")
	c.finishSignIn(w, r, res, login, "/")
}

func (c *Console) signOut(w http.ResponseWriter, r *http.Request) {
	if refresh := cookieValue(r, sessionCookie); refresh != "" {
		if err := c.Accounts.SignOut(r.Context(), refresh, meta(r)); err != nil && crewid.CodeOf(err) == crewid.Internal {
			c.fail(w, r, err)
			return
		}
	}
	c.clearSession(w)
	c.flash(w, "You are signed out.")
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

type acceptData struct {
	Valid bool
	Token string
	Name  string
	Login string
}

func (c *Console) acceptPage(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	preview, err := c.Accounts.PreviewInvitation(r.Context(), token)
	if err != nil {
		c.acceptFailed(w, r, err, acceptData{})
		return
	}
	c.render(w, r, http.StatusOK, "accept", &View{Title: "Create your account",
		Data: acceptData{Valid: true, Token: token, Name: preview.Name, Login: preview.Login}})
}

// acceptFailed shows why an invitation cannot be accepted: on the form
// when the person can correct it, else instead of the form.
func (c *Console) acceptFailed(w http.ResponseWriter, r *http.Request, err error, data acceptData) {
	if crewid.CodeOf(err) == crewid.Internal {
		c.fail(w, r, err)
		return
	}
	problems, msg := fieldErrors(err)
	if tokenErr := problems["token"]; len(tokenErr) > 0 || !formFailure(err) {
		if len(tokenErr) > 0 {
			msg = strings.Join(tokenErr, " ")
		}
		c.render(w, r, http.StatusBadRequest, "accept", &View{Title: "Create your account", Error: msg, Data: acceptData{}})
		return
	}
	c.render(w, r, http.StatusBadRequest, "accept", &View{Title: "Create your account", Error: msg, Errors: problems, Data: data})
}

func (c *Console) accept(w http.ResponseWriter, r *http.Request) {
	if !c.allowAttempt(w, r) {
		return
	}
	token, login, pw := r.PostFormValue("token"), strings.TrimSpace(r.PostFormValue("login")), r.PostFormValue("password")
	preview, err := c.Accounts.PreviewInvitation(r.Context(), token)
	if err != nil {
		c.acceptFailed(w, r, err, acceptData{})
		return
	}
	data := acceptData{Valid: true, Token: token, Name: preview.Name, Login: login}
	if login == "" {
		// An emptied field would silently fall back to the proposed login.
		c.acceptFailed(w, r, crewid.FieldError("login", "A login is required."), data)
		return
	}
	if err := checkConfirmation(r, pw); err != nil {
		c.acceptFailed(w, r, err, data)
		return
	}
	chosen, err := c.Accounts.AcceptInvitation(r.Context(), token, login, pw, meta(r))
	if err != nil {
		c.acceptFailed(w, r, err, data)
		return
	}
	c.flash(w, "Your account is ready. Sign in with your login "+chosen+".")
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

type resetData struct {
	Identifier string
	Token      string
}

// resetStartPage asks for the identifier, or, with a token from a reset
// link, goes straight to the new password.
func (c *Console) resetStartPage(w http.ResponseWriter, r *http.Request) {
	if token := r.URL.Query().Get("token"); token != "" {
		c.render(w, r, http.StatusOK, "reset-new", &View{Title: "Choose a new password", Data: resetData{Token: token}})
		return
	}
	c.render(w, r, http.StatusOK, "reset-start", &View{Title: "Reset your password", Data: resetData{}})
}

func (c *Console) resetStart(w http.ResponseWriter, r *http.Request) {
	identifier := strings.TrimSpace(r.PostFormValue("identifier"))
	if identifier == "" {
		c.render(w, r, http.StatusBadRequest, "reset-start", &View{Title: "Reset your password",
			Errors: crewid.Problems{"identifier": {"A username, email address or mobile number is required."}}, Data: resetData{}})
		return
	}
	if !c.allowAttempt(w, r) {
		return
	}
	// The code is sent in the background so that the answer takes the
	// same time whether or not the identifier names anyone.
	select {
	case c.resetsCh <- struct{}{}:
		m := meta(r)
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 30*time.Second)
		go func() {
			defer func() { <-c.resetsCh }()
			defer cancel()
			if err := c.Accounts.StartReset(ctx, identifier, m); err != nil {
				slog.ErrorContext(ctx, "password reset start failed", "err", err)
			}
		}()
	default:
		c.render(w, r, http.StatusTooManyRequests, "error", &View{Title: "Too many attempts",
			Error: "Too many password resets are under way. Try again in a moment.", Data: http.StatusTooManyRequests})
		return
	}
	c.render(w, r, http.StatusOK, "reset-verify", &View{Title: "Verify your account", Data: resetData{Identifier: identifier}})
}

func (c *Console) resetVerify(w http.ResponseWriter, r *http.Request) {
	if !c.allowAttempt(w, r) {
		return
	}
	identifier, code := strings.TrimSpace(r.PostFormValue("identifier")), strings.TrimSpace(r.PostFormValue("code"))
	token, err := c.Accounts.VerifyReset(r.Context(), identifier, code, meta(r))
	if err != nil {
		if !formFailure(err) && crewid.CodeOf(err) != crewid.Unauthenticated {
			c.fail(w, r, err)
			return
		}
		problems, msg := fieldErrors(err)
		if len(problems) == 0 {
			problems = crewid.Problems{"code": {msg}}
		}
		c.render(w, r, http.StatusBadRequest, "reset-verify", &View{Title: "Verify your account", Errors: problems,
			Data: resetData{Identifier: identifier}})
		return
	}
	c.render(w, r, http.StatusOK, "reset-new", &View{Title: "Choose a new password", Data: resetData{Token: token}})
}

func (c *Console) resetComplete(w http.ResponseWriter, r *http.Request) {
	if !c.allowAttempt(w, r) {
		return
	}
	token, pw := r.PostFormValue("resetToken"), r.PostFormValue("password")
	if err := checkConfirmation(r, pw); err != nil {
		problems, msg := fieldErrors(err)
		c.render(w, r, http.StatusBadRequest, "reset-new", &View{Title: "Choose a new password", Errors: problems, Error: msg,
			Data: resetData{Token: token}})
		return
	}
	if err := c.Accounts.CompleteReset(r.Context(), token, pw, meta(r)); err != nil {
		if crewid.CodeOf(err) == crewid.Internal {
			c.fail(w, r, err)
			return
		}
		problems, msg := fieldErrors(err)
		if _, bad := problems["resetToken"]; bad || !formFailure(err) {
			c.render(w, r, http.StatusBadRequest, "reset-start", &View{Title: "Reset your password",
				Error: "The reset link or code is no longer valid; start again.", Data: resetData{}})
			return
		}
		c.render(w, r, http.StatusBadRequest, "reset-new", &View{Title: "Choose a new password", Errors: problems, Error: msg,
			Data: resetData{Token: token}})
		return
	}
	c.clearSession(w)
	c.flash(w, "Your password is changed. Sign in with your new password.")
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

type profileData struct {
	Person          crewid.Person
	Status          string
	PasswordExpires time.Time
	Roles           []string
	Permissions     []string
}

func (c *Console) profileData(r *http.Request, v *Viewer) (profileData, error) {
	p := v.Person
	d := profileData{Person: p, Status: people.Status(p, c.now())}
	if !p.Account.PasswordSetOn.IsZero() {
		d.PasswordExpires = p.Account.PasswordSetOn.Add(c.Accounts.Settings().PasswordMaxAge)
	}
	for _, id := range p.RoleIDs {
		role, err := c.Store.Role(r.Context(), p.TenantID, id)
		if crewid.IsNotFound(err) {
			continue
		}
		if err != nil {
			return d, err
		}
		d.Roles = append(d.Roles, role.Name)
	}
	for _, id := range v.Perms.IDs() {
		if perm, ok := access.PermissionByID(id); ok {
			d.Permissions = append(d.Permissions, perm.Name)
		}
	}
	return d, nil
}

func (c *Console) profile(w http.ResponseWriter, r *http.Request, v *Viewer) {
	d, err := c.profileData(r, v)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "profile", &View{Title: "My profile", Data: d})
}

func (c *Console) changePassword(w http.ResponseWriter, r *http.Request, v *Viewer) {
	if !c.allowAttempt(w, r) {
		return
	}
	newPassword := r.PostFormValue("newPassword")
	err := checkConfirmation(r, newPassword)
	if err == nil {
		err = c.Accounts.ChangePassword(r.Context(), v.Principal, r.PostFormValue("currentPassword"), newPassword, meta(r))
	}
	if err != nil {
		if !formFailure(err) {
			c.fail(w, r, err)
			return
		}
		d, derr := c.profileData(r, v)
		if derr != nil {
			c.fail(w, r, derr)
			return
		}
		problems, msg := fieldErrors(err)
		c.render(w, r, http.StatusBadRequest, "profile", &View{Title: "My profile", Errors: problems, Error: msg, Data: d})
		return
	}
	c.flash(w, "Your password is changed.")
	http.Redirect(w, r, "/profile", http.StatusSeeOther)
}
