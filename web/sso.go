package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"crewid"
	"crewid/access"
	"crewid/api"
	"crewid/api/auth"
	"crewid/sso"
)

// Single sign-on in the console: the tenant's provider settings (Admin
// Access), and "Sign in with your company account". The console starts a
// sign-in through package sso itself, asking to come back to
// ssoReturnPath; the provider returns the person to the shared callback
// (package api/auth), which hands sign-ins bound for ssoReturnPath to
// FinishSSO, and that sets the session cookies as a password sign-in does.

// ssoReturnPath is where the console's sign-ins end; its query carries
// the console page to go on to ("next").
const ssoReturnPath = "/signin/sso/done"

// ssoStartedCookie marks a browser that started a sign-in from the
// console, so that a refusal at the callback, which carries no redirect,
// is shown on the console's sign-in page rather than as JSON.
const ssoStartedCookie = "crewid_sso_console"

type ssoSettingsData struct {
	Config      crewid.SSOConfig
	Scopes      string
	RedirectURI string
	StartURL    string
}

func (c *Console) ssoData(cfg crewid.SSOConfig, tenantID int64) ssoSettingsData {
	return ssoSettingsData{Config: cfg, Scopes: strings.Join(cfg.Scopes, " "), RedirectURI: c.SSO.CallbackURL(),
		StartURL: strings.TrimRight(c.PublicURL, "/") + "/signin/sso?tenant=" + itoa(tenantID)}
}

func (c *Console) ssoSettings(w http.ResponseWriter, r *http.Request, v *Viewer) {
	if !c.authorize(w, r, v, access.TaskAdminSettings) {
		return
	}
	cfg, err := c.SSO.Config(r.Context(), v.Person.TenantID)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "sso", &View{Title: "Single sign-on", Data: c.ssoData(cfg, v.Person.TenantID)})
}

func (c *Console) ssoSave(w http.ResponseWriter, r *http.Request, v *Viewer) {
	if !c.authorize(w, r, v, access.TaskAdminSettings) {
		return
	}
	in := crewid.SSOConfig{
		IssuerURL: r.PostFormValue("issuerUrl"), ClientID: r.PostFormValue("clientId"), ClientSecret: r.PostFormValue("clientSecret"),
		Scopes:      strings.Fields(r.PostFormValue("scopes")),
		UserIDClaim: r.PostFormValue("userIdClaim"), EmailClaim: r.PostFormValue("emailClaim"),
		TrustEmail: r.PostFormValue("trustEmail") == "on", Enabled: r.PostFormValue("enabled") == "on",
		RequireForEmployees: r.PostFormValue("requireForEmployees") == "on",
	}
	if len(in.Scopes) == 0 {
		in.Scopes = nil // the defaults
	}
	if _, err := c.SSO.PutConfig(asViewer(r.Context(), v), v.Actor(r), v.Person.TenantID, in); err != nil {
		if !formFailure(err) {
			c.fail(w, r, err)
			return
		}
		problems, msg := fieldErrors(err)
		shown := in
		shown.ClientSecret = "" // write-only, even when the form comes back
		if cur, cerr := c.SSO.Config(r.Context(), v.Person.TenantID); cerr == nil {
			shown.CreatedOn, shown.ModifiedOn = cur.CreatedOn, cur.ModifiedOn
			if cur.ClientSecret != "" {
				shown.ClientSecret = "set"
			}
		}
		d := c.ssoData(shown, v.Person.TenantID)
		d.Scopes = r.PostFormValue("scopes")
		c.render(w, r, http.StatusBadRequest, "sso", &View{Title: "Single sign-on", Data: d, Errors: problems, Error: msg})
		return
	}
	c.doneWith(w, r, "/settings/sso", "The single sign-on settings were saved.")
}

type ssoSignInData struct {
	Company string
	Next    string
}

// ssoSignInPage asks for the company, or with ?tenant= (an id or the
// company's name) starts a sign-in and sends the person on to the
// company's provider.
func (c *Console) ssoSignInPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := ssoSignInData{Company: strings.TrimSpace(q.Get("tenant")), Next: localPath(q.Get("next"))}
	if d.Company == "" {
		c.render(w, r, http.StatusOK, "signin-sso", &View{Title: "Sign in with your company account", Data: d})
		return
	}
	if !c.allowAttempt(w, r) {
		return
	}
	refuse := func(msg string) {
		c.render(w, r, http.StatusBadRequest, "signin-sso", &View{Title: "Sign in with your company account", Data: d,
			Errors: crewid.Problems{"tenant": {msg}}})
	}
	tenantID, err := c.findTenant(r, d.Company)
	if err != nil {
		if crewid.IsNotFound(err) {
			refuse("Single sign-on is not set up for that company.")
			return
		}
		c.fail(w, r, err)
		return
	}
	started, err := c.SSO.Start(r.Context(), tenantID, ssoReturnPath+"?next="+url.QueryEscape(d.Next))
	switch {
	case errors.Is(err, sso.ErrNotConfigured) || crewid.IsNotFound(err):
		refuse("Single sign-on is not set up for that company.")
		return
	case errors.Is(err, sso.ErrProviderUnreachable):
		refuse(err.Error())
		return
	case err != nil:
		c.fail(w, r, err)
		return
	}
	// The same binding cookie as the API's start sets: the shared
	// callback checks it.
	for name, value := range map[string]string{auth.SSOCookie: started.Browser, ssoStartedCookie: "1"} {
		http.SetCookie(w, c.ssoCookie(name, value, int(sso.SignInTTL/time.Second)))
	}
	// A link, not a redirect: the form-action policy would stop a form's
	// redirect to the provider.
	c.render(w, r, http.StatusOK, "signin-sso-continue", &View{Title: "Sign in with your company account", Data: started.URL})
}

// findTenant reads a company as a tenant id or, failing that, as the
// tenant's name (any case).
func (c *Console) findTenant(r *http.Request, company string) (int64, error) {
	if id, err := strconv.ParseInt(company, 10, 64); err == nil {
		if id <= 0 {
			return 0, crewid.ErrNotFound
		}
		return id, nil
	}
	tenants, err := c.Store.Tenants(r.Context())
	if err != nil {
		return 0, err
	}
	for _, t := range tenants {
		if strings.EqualFold(strings.TrimSpace(t.Name), company) {
			return t.ID, nil
		}
	}
	return 0, crewid.ErrNotFound
}

func (c *Console) ssoCookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: "/auth/sso", MaxAge: maxAge, HttpOnly: true, Secure: c.secure,
		SameSite: http.SameSiteLaxMode}
}

// FinishSSO answers the callback of a single sign-on that the console
// started: a session gets the session cookies, as a password sign-in
// does, and goes on to the page asked for; a refusal is shown on the
// sign-in page. It reports false, answering nothing, for other sign-ins.
func (c *Console) FinishSSO(w http.ResponseWriter, r *http.Request, s sso.Session, refusal error) bool {
	var next string
	if refusal != nil {
		if cookieValue(r, ssoStartedCookie) == "" {
			return false
		}
	} else {
		u, err := url.Parse(s.Redirect)
		if err != nil || u.Path != ssoReturnPath {
			return false
		}
		next = localPath(u.Query().Get("next"))
		http.SetCookie(w, c.ssoCookie(ssoStartedCookie, "", -1))
	}
	c.headers(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case refusal == nil:
			c.finishSignIn(w, r, s.Result, "", next)
		case crewid.CodeOf(refusal) == crewid.Internal:
			c.fail(w, r, refusal)
		default:
			c.render(w, r, api.Status(refusal), "signin", &View{Title: "Sign in", Error: refusal.Error(), Data: signInData{Next: "/"}})
		}
	})).ServeHTTP(w, r)
	return true
}

// ssoReturn is reached only when a sign-in bound for the console ended
// elsewhere: it goes on to the page asked for, or back to sign-in.
func (c *Console) ssoReturn(w http.ResponseWriter, r *http.Request) {
	next := localPath(r.URL.Query().Get("next"))
	if viewerFrom(r) == nil {
		http.Redirect(w, r, "/signin?next="+url.QueryEscape(next), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}
