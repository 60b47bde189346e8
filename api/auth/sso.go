package auth

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"crewid"
	"crewid/api"
	"crewid/sso"
)

// SSOHandler serves single sign-on through a tenant's OpenID Connect
// provider (package sso):
//
//	GET /auth/sso/{tenant}/start[?redirect=/path]  → 302 to the provider
//	GET /auth/sso/callback?state=…&code=…          → {accessToken, refreshToken, expiresIn[, redirect]}
//
// Start binds the sign-in to the browser with a cookie that the callback
// must bring back. The web console finishes sign-ins through
// sso.Service.Finish itself, to set its own session cookie.
type SSOHandler struct {
	SSO *sso.Service
	// Limiter limits attempts per client address; nil for no limit.
	Limiter *Limiter
	// Handoff, when set, is offered the outcome of each callback (the
	// session, or the refusal) before the JSON answer; it answers the
	// sign-ins it claims and reports true. The web console claims those it
	// started, to set its session cookies or show the refusal on a page.
	Handoff func(w http.ResponseWriter, r *http.Request, s sso.Session, err error) bool
}

// SSOCookie holds the browser binding of a started sign-in.
const SSOCookie = "crewid_sso"

// Register adds the routes to mux.
func (h *SSOHandler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /auth/sso/{tenant}/start", h.Limiter.limited(h.start))
	mux.HandleFunc("GET "+sso.CallbackPath, h.Limiter.limited(h.callback))
}

type ssoTokensResponse struct {
	AccessToken  string `json:"accessToken"`
	RefreshToken string `json:"refreshToken"`
	ExpiresIn    int    `json:"expiresIn"`
	// Redirect is the console path the sign-in was started for.
	Redirect string `json:"redirect,omitempty"`
}

func (h *SSOHandler) start(w http.ResponseWriter, r *http.Request) {
	tenant, err := strconv.ParseInt(r.PathValue("tenant"), 10, 64)
	if err != nil || tenant <= 0 {
		api.WriteError(w, r, crewid.FieldError("tenant", "The tenant must be a positive whole number."))
		return
	}
	started, err := h.SSO.Start(r.Context(), tenant, r.URL.Query().Get("redirect"))
	if err != nil {
		api.WriteError(w, r, err)
		return
	}
	http.SetCookie(w, h.cookie(started.Browser, int(sso.SignInTTL/time.Second)))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, started.URL, http.StatusFound)
}

func (h *SSOHandler) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	cb := sso.Callback{State: q.Get("state"), Code: q.Get("code"), Error: q.Get("error"),
		ErrorDescription: q.Get("error_description")}
	if c, err := r.Cookie(SSOCookie); err == nil {
		cb.Browser = c.Value
	}
	sess, err := h.SSO.Finish(r.Context(), cb, meta(r))
	if err != nil {
		// The cookie stays: a forged callback must not spoil the
		// genuine one still to come. It expires with the sign-in.
		if h.Handoff != nil && h.Handoff(w, r, sess, err) {
			return
		}
		api.WriteError(w, r, err)
		return
	}
	http.SetCookie(w, h.cookie("", -1))
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	if h.Handoff != nil && h.Handoff(w, r, sess, nil) {
		return
	}
	api.WriteJSON(w, ssoTokensResponse{AccessToken: sess.AccessToken, RefreshToken: sess.RefreshToken,
		ExpiresIn: sess.ExpiresIn, Redirect: sess.Redirect})
}

// cookie is the binding cookie: sent back only to the callback, never to
// scripts, and along with the top-level redirect from the provider (Lax).
func (h *SSOHandler) cookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: SSOCookie, Value: value, Path: "/auth/sso", MaxAge: maxAge, HttpOnly: true,
		Secure: strings.HasPrefix(h.SSO.PublicURL, "https://"), SameSite: http.SameSiteLaxMode}
}
