// Package auth serves people's authentication over HTTP: sign-in and its
// required actions, token refresh, sign-out, the signed-in person's own
// profile and password, invitation acceptance and forgotten passwords. It
// only translates between HTTP and package accounts.
//
//	POST /auth/sign-in                 {login, password}
//	POST /auth/required-action         {actionToken, login?, password}
//	POST /auth/refresh                 {refreshToken}
//	POST /auth/sign-out                {refreshToken}                 → 204
//	GET  /me                           (Bearer person token)
//	POST /me/password                  {currentPassword, newPassword} → 204
//	POST /auth/invitations/accept      {token, login, password}       → {login}
//	POST /auth/password-reset/start    {identifier}                   → 202
//	POST /auth/password-reset/verify   {identifier, code}             → {resetToken}
//	POST /auth/password-reset/complete {resetToken, password}         → 204
//
// Sign-in, refresh and required action answer {accessToken, refreshToken,
// expiresIn} or {requiredAction, actionToken}. Sign-in, required action,
// own password change and the three reset steps count against the
// per-address attempt limit (429 with Retry-After).
package auth

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"crewid"
	"crewid/access"
	"crewid/accounts"
	"crewid/api"
	"crewid/people"
)

// Handler serves the routes. Set the fields before Register.
type Handler struct {
	Accounts *accounts.Service
	// Limiter limits attempts per client address; nil for no limit.
	Limiter *Limiter
	// Now is the clock for account statuses (nil: time.Now).
	Now func() time.Time

	resets chan struct{}
}

// maxPendingResets bounds the reset starts being worked on in the
// background at once; past it, starts are answered 429.
const maxPendingResets = 64

// Register adds the routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	h.resets = make(chan struct{}, maxPendingResets)
	lim := h.Limiter
	mux.HandleFunc("POST /auth/sign-in", lim.limited(h.signIn))
	mux.HandleFunc("POST /auth/required-action", lim.limited(h.requiredAction))
	mux.HandleFunc("POST /auth/refresh", h.refresh)
	mux.HandleFunc("POST /auth/sign-out", h.signOut)
	mux.HandleFunc("GET /me", h.person(h.me))
	mux.HandleFunc("POST /me/password", lim.limited(h.person(h.changePassword)))
	mux.HandleFunc("POST /auth/invitations/accept", h.acceptInvitation)
	mux.HandleFunc("POST /auth/password-reset/start", lim.limited(h.startReset))
	mux.HandleFunc("POST /auth/password-reset/verify", lim.limited(h.verifyReset))
	mux.HandleFunc("POST /auth/password-reset/complete", lim.limited(h.completeReset))
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// ---- wire types ------------------------------------------------------------

type signInRequest struct {
	Login    string `json:"login"`
	Password string `json:"password"`
}

type requiredActionRequest struct {
	ActionToken string `json:"actionToken"`
	Login       string `json:"login"`
	Password    string `json:"password"`
}

type refreshRequest struct {
	RefreshToken string `json:"refreshToken"`
}

type tokensResponse struct {
	AccessToken  string `json:"accessToken"`
	RefreshToken string `json:"refreshToken"`
	ExpiresIn    int    `json:"expiresIn"`
}

type actionResponse struct {
	RequiredAction string `json:"requiredAction"`
	ActionToken    string `json:"actionToken"`
}

type changePasswordRequest struct {
	CurrentPassword string `json:"currentPassword"`
	NewPassword     string `json:"newPassword"`
}

type acceptRequest struct {
	Token    string `json:"token"`
	Login    string `json:"login"`
	Password string `json:"password"`
}

type acceptResponse struct {
	Login string `json:"login"`
}

type resetStartRequest struct {
	Identifier string `json:"identifier"`
}

type resetVerifyRequest struct {
	Identifier string `json:"identifier"`
	Code       string `json:"code"`
}

type resetVerifyResponse struct {
	ResetToken string `json:"resetToken"`
}

type resetCompleteRequest struct {
	ResetToken string `json:"resetToken"`
	Password   string `json:"password"`
}

type permissionWire struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type meResponse struct {
	ID                int64            `json:"id"`
	UserID            int64            `json:"userId"`
	TenantID          int64            `json:"tenantId"`
	Type              string           `json:"type"`
	Name              string           `json:"name"`
	Email             *string          `json:"email"`
	MobilePhoneNumber *string          `json:"mobilePhoneNumber"`
	Login             string           `json:"login"`
	External          bool             `json:"external"`
	AccountStatus     string           `json:"accountStatus"`
	LastSignInOn      *time.Time       `json:"lastSignInOn"`
	PasswordSetOn     *time.Time       `json:"passwordSetOn"`
	PasswordExpiresOn *time.Time       `json:"passwordExpiresOn"`
	RoleIDs           []int64          `json:"roleIds"`
	Permissions       []permissionWire `json:"permissions"`
}

// ---- handlers --------------------------------------------------------------

func meta(r *http.Request) accounts.Meta {
	return accounts.Meta{IP: api.ClientIP(r), UserAgent: api.UserAgent(r)}
}

// writeResult answers a sign-in, refresh or required action.
func writeResult(w http.ResponseWriter, res accounts.Result) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	if res.RequiredAction != crewid.ChangeNothing {
		api.WriteJSON(w, actionResponse{RequiredAction: string(res.RequiredAction), ActionToken: res.ActionToken})
		return
	}
	api.WriteJSON(w, tokensResponse{AccessToken: res.AccessToken, RefreshToken: res.RefreshToken, ExpiresIn: res.ExpiresIn})
}

func (h *Handler) signIn(w http.ResponseWriter, r *http.Request) {
	var req signInRequest
	if err := api.Decode(r, &req); err != nil {
		api.WriteError(w, r, err)
		return
	}
	res, err := h.Accounts.SignIn(r.Context(), req.Login, req.Password, meta(r))
	if err != nil {
		api.WriteError(w, r, err)
		return
	}
	writeResult(w, res)
}

func (h *Handler) requiredAction(w http.ResponseWriter, r *http.Request) {
	var req requiredActionRequest
	if err := api.Decode(r, &req); err != nil {
		api.WriteError(w, r, err)
		return
	}
	res, err := h.Accounts.CompleteRequiredAction(r.Context(), req.ActionToken, req.Login, req.Password, meta(r))
	if err != nil {
		api.WriteError(w, r, err)
		return
	}
	writeResult(w, res)
}

func (h *Handler) refresh(w http.ResponseWriter, r *http.Request) {
	var req refreshRequest
	if err := api.Decode(r, &req); err != nil {
		api.WriteError(w, r, err)
		return
	}
	res, err := h.Accounts.Refresh(r.Context(), strings.TrimSpace(req.RefreshToken), meta(r))
	if err != nil {
		api.WriteError(w, r, err)
		return
	}
	writeResult(w, res)
}

func (h *Handler) signOut(w http.ResponseWriter, r *http.Request) {
	var req refreshRequest
	if err := api.Decode(r, &req); err != nil {
		api.WriteError(w, r, err)
		return
	}
	if err := h.Accounts.SignOut(r.Context(), strings.TrimSpace(req.RefreshToken), meta(r)); err != nil {
		api.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// person authenticates the request with a person's access token.
func (h *Handler) person(next func(http.ResponseWriter, *http.Request, accounts.Principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		pr, err := h.Accounts.Authenticate(r.Context(), BearerToken(r))
		if err != nil {
			api.WriteError(w, r, err)
			return
		}
		m := meta(r)
		ctx := api.WithCaller(r.Context(), api.Caller{
			TenantID: pr.TenantID,
			Actor:    crewid.Actor{Type: crewid.ActorPerson, ID: pr.PersonID, Name: pr.Name, IP: m.IP, UserAgent: m.UserAgent},
		})
		next(w, r.WithContext(ctx), pr)
	}
}

func (h *Handler) me(w http.ResponseWriter, r *http.Request, pr accounts.Principal) {
	p, perms, err := h.Accounts.Profile(r.Context(), pr)
	if err != nil {
		api.WriteError(w, r, err)
		return
	}
	out := meResponse{
		ID: p.ID, UserID: p.UserID, TenantID: p.TenantID, Type: string(p.Kind), Name: p.Name,
		Email: optString(p.Email), MobilePhoneNumber: optString(p.MobilePhone), Login: p.Account.Login,
		External: p.External, AccountStatus: people.Status(p, h.now()),
		LastSignInOn: optTime(p.Account.LastSignInOn), PasswordSetOn: optTime(p.Account.PasswordSetOn),
		RoleIDs: p.RoleIDs, Permissions: []permissionWire{},
	}
	if !p.Account.PasswordSetOn.IsZero() {
		out.PasswordExpiresOn = optTime(p.Account.PasswordSetOn.Add(h.Accounts.Settings().PasswordMaxAge))
	}
	for _, id := range perms.IDs() {
		if perm, ok := access.PermissionByID(id); ok {
			out.Permissions = append(out.Permissions, permissionWire{ID: perm.ID, Name: perm.Name})
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	api.WriteJSON(w, out)
}

func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request, pr accounts.Principal) {
	var req changePasswordRequest
	if err := api.Decode(r, &req); err != nil {
		api.WriteError(w, r, err)
		return
	}
	if err := h.Accounts.ChangePassword(r.Context(), pr, req.CurrentPassword, req.NewPassword, meta(r)); err != nil {
		api.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) acceptInvitation(w http.ResponseWriter, r *http.Request) {
	var req acceptRequest
	if err := api.Decode(r, &req); err != nil {
		api.WriteError(w, r, err)
		return
	}
	login, err := h.Accounts.AcceptInvitation(r.Context(), req.Token, req.Login, req.Password, meta(r))
	if err != nil {
		api.WriteError(w, r, err)
		return
	}
	api.WriteJSON(w, acceptResponse{Login: login})
}

// startReset answers 202 at once and sends the codes in the background, so
// that the answer takes the same time whether or not the identifier names
// anyone.
func (h *Handler) startReset(w http.ResponseWriter, r *http.Request) {
	var req resetStartRequest
	if err := api.Decode(r, &req); err != nil {
		api.WriteError(w, r, err)
		return
	}
	identifier := strings.TrimSpace(req.Identifier)
	if identifier == "" {
		api.WriteError(w, r, crewid.FieldError("identifier", "A username, email address or mobile number is required."))
		return
	}
	select {
	case h.resets <- struct{}{}:
	default:
		tooMany(w, r, time.Second)
		return
	}
	m := meta(r)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 30*time.Second)
	go func() {
		defer func() { <-h.resets }()
		defer cancel()
		// The answer never depends on the outcome; only a failure of
		// crewid itself, not an identifier nobody could have, is logged.
		if err := h.Accounts.StartReset(ctx, identifier, m); err != nil && crewid.CodeOf(err) == crewid.Internal {
			slog.ErrorContext(ctx, "password reset start failed", "trace", api.TraceID(ctx), "err", err)
		}
	}()
	w.WriteHeader(http.StatusAccepted)
}

func (h *Handler) verifyReset(w http.ResponseWriter, r *http.Request) {
	var req resetVerifyRequest
	if err := api.Decode(r, &req); err != nil {
		api.WriteError(w, r, err)
		return
	}
	token, err := h.Accounts.VerifyReset(r.Context(), req.Identifier, req.Code, meta(r))
	if err != nil {
		api.WriteError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	api.WriteJSON(w, resetVerifyResponse{ResetToken: token})
}

func (h *Handler) completeReset(w http.ResponseWriter, r *http.Request) {
	var req resetCompleteRequest
	if err := api.Decode(r, &req); err != nil {
		api.WriteError(w, r, err)
		return
	}
	if err := h.Accounts.CompleteReset(r.Context(), req.ResetToken, req.Password, meta(r)); err != nil {
		api.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// ---- helpers ---------------------------------------------------------------

// BearerToken returns the token of the Authorization header: "Bearer
// TOKEN", or the bare token.
func BearerToken(r *http.Request) string {
	token := strings.TrimSpace(r.Header.Get("Authorization"))
	if len(token) > 7 && strings.EqualFold(token[:7], "bearer ") {
		token = strings.TrimSpace(token[7:])
	}
	return token
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
