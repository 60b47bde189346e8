package sso

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"crewid"
	"crewid/accounts"
	"crewid/history"
	"crewid/people"
	"crewid/store"
)

// Started is a sign-in sent to the provider.
type Started struct {
	// URL is the provider's authorization URL to send the person to.
	URL string
	// Browser binds the sign-in to the browser that started it: keep it
	// in a cookie and give it back to Finish.
	Browser string
}

// Start begins a sign-in for the tenant. redirect, when not empty, is the
// path of this service to return to afterwards (see CheckRedirect).
func (s *Service) Start(ctx context.Context, tenantID int64, redirect string) (Started, error) {
	s.init()
	if err := CheckRedirect(redirect); err != nil {
		return Started{}, err
	}
	cfg, err := s.Store.SSOConfig(ctx, tenantID)
	if crewid.IsNotFound(err) || (err == nil && !cfg.Enabled) {
		return Started{}, ErrNotConfigured
	}
	if err != nil {
		return Started{}, err
	}
	provider, err := s.provider(ctx, cfg.IssuerURL)
	if err != nil {
		slog.WarnContext(ctx, "single sign-on provider discovery failed", "tenant", tenantID, "issuer", cfg.IssuerURL, "err", err)
		return Started{}, ErrProviderUnreachable
	}
	state, nonce, browser, verifier := randomToken(), randomToken(), randomToken(), oauth2.GenerateVerifier()
	now := s.now()
	si := crewid.SSOSignIn{
		TenantID: tenantID, StateHash: hash(state), NonceHash: hash(nonce), BrowserHash: hash(browser),
		PKCEVerifier: verifier, Redirect: redirect, CreatedOn: now, ExpiresOn: now.Add(SignInTTL),
	}
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		// Sign-ins nobody finished are of no use after their expiry;
		// sweeping them here keeps the table small without a worker.
		if _, err := tx.DeleteSSOSignIns(ctx, now.Add(-SignInTTL)); err != nil {
			return err
		}
		return tx.CreateSSOSignIn(ctx, &si)
	})
	if err != nil {
		return Started{}, err
	}
	u := s.oauthConfig(cfg, provider).AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))
	return Started{URL: u, Browser: browser}, nil
}

func (s *Service) oauthConfig(cfg crewid.SSOConfig, provider *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Endpoint: provider.Endpoint(),
		RedirectURL: s.CallbackURL(), Scopes: cfg.Scopes}
}

// CheckRedirect accepts "" or a path of this service: it starts with one
// '/', and has no scheme, host, backslash or control character, so the
// person can only ever be sent back to this origin.
func CheckRedirect(redirect string) error {
	if redirect == "" {
		return nil
	}
	bad := crewid.FieldError("redirect", "The redirect must be a path of this site, starting with a single '/'.")
	if len(redirect) > maxURLLength || !strings.HasPrefix(redirect, "/") || strings.HasPrefix(redirect, "//") ||
		strings.ContainsRune(redirect, '\\') || hasControl(redirect) {
		return bad
	}
	u, err := url.Parse(redirect)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") {
		return bad
	}
	return nil
}

// Callback is what the provider sent back, and the browser binding from
// the cookie Start's caller set.
type Callback struct {
	State            string
	Code             string
	Error            string
	ErrorDescription string
	Browser          string
}

// Session is a finished sign-in: the tokens, who they are for, and where
// the person asked to go back to.
type Session struct {
	accounts.Result
	TenantID int64
	PersonID int64
	Redirect string
}

// Reasons a sign-in is refused, as history records them.
const (
	reasonProviderError   = "ProviderError"
	reasonBrowserMismatch = "BrowserMismatch"
	reasonDisabled        = "SingleSignOnDisabled"
	reasonCodeRejected    = "CodeRejected"
	reasonIDTokenInvalid  = "IDTokenInvalid"
	reasonNonceMismatch   = "NonceMismatch"
	reasonNoIdentity      = "NoIdentity"
	reasonUnknownPerson   = "UnknownPerson"
	reasonAmbiguousPerson = "AmbiguousPerson"
)

// failureEvent is the history record of a refused sign-in that matched no
// person.
type failureEvent struct {
	Reason  string
	Detail  string `json:",omitempty"`
	Issuer  string `json:",omitempty"`
	Subject string `json:",omitempty"`
}

// Finish completes a sign-in from the provider's callback and returns the
// session. It refuses with ErrUnknownSignIn or ErrRefused.
func (s *Service) Finish(ctx context.Context, cb Callback, meta accounts.Meta) (Session, error) {
	s.init()
	if cb.State == "" || len(cb.State) > 200 {
		return Session{}, ErrUnknownSignIn
	}
	si, err := s.Store.SSOSignInByStateHash(ctx, hash(cb.State))
	if crewid.IsNotFound(err) {
		return Session{}, ErrUnknownSignIn
	}
	if err != nil {
		return Session{}, err
	}
	now := s.now()
	// Used up before anything else, so that of two callbacks with one
	// state only one ever goes on.
	var used bool
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		var err error
		used, err = tx.UseSSOSignIn(ctx, si.TenantID, si.ID, now)
		return err
	})
	if err != nil {
		return Session{}, err
	}
	if !used {
		return Session{}, ErrUnknownSignIn
	}
	f := failure{s: s, tenantID: si.TenantID, meta: meta}
	if subtle.ConstantTimeCompare(hash(cb.Browser), si.BrowserHash) != 1 {
		return Session{}, f.record(ctx, ErrUnknownSignIn, failureEvent{Reason: reasonBrowserMismatch})
	}
	if cb.Error != "" {
		return Session{}, f.record(ctx, ErrRefused, failureEvent{Reason: reasonProviderError, Detail: clip(cb.Error+": "+cb.ErrorDescription, 300)})
	}
	cfg, err := s.Store.SSOConfig(ctx, si.TenantID)
	if crewid.IsNotFound(err) || (err == nil && !cfg.Enabled) {
		return Session{}, f.record(ctx, ErrRefused, failureEvent{Reason: reasonDisabled})
	}
	if err != nil {
		return Session{}, err
	}
	f.issuer = cfg.IssuerURL
	provider, err := s.provider(ctx, cfg.IssuerURL)
	if err != nil {
		slog.WarnContext(ctx, "single sign-on provider discovery failed", "tenant", si.TenantID, "issuer", cfg.IssuerURL, "err", err)
		return Session{}, ErrProviderUnreachable
	}
	token, err := s.oauthConfig(cfg, provider).Exchange(s.clientContext(ctx), cb.Code, oauth2.VerifierOption(si.PKCEVerifier))
	if err != nil {
		return Session{}, f.record(ctx, ErrRefused, failureEvent{Reason: reasonCodeRejected, Detail: clip(exchangeError(err), 300)})
	}
	rawID, _ := token.Extra("id_token").(string)
	if rawID == "" {
		return Session{}, f.record(ctx, ErrRefused, failureEvent{Reason: reasonIDTokenInvalid, Detail: "The token response has no id_token."})
	}
	verifier := provider.Verifier(&oidc.Config{ClientID: cfg.ClientID, Now: s.now})
	idToken, err := verifier.Verify(s.clientContext(ctx), rawID)
	if err != nil {
		return Session{}, f.record(ctx, ErrRefused, failureEvent{Reason: reasonIDTokenInvalid, Detail: clip(err.Error(), 300)})
	}
	f.subject = idToken.Subject
	if subtle.ConstantTimeCompare(hash(idToken.Nonce), si.NonceHash) != 1 {
		return Session{}, f.record(ctx, ErrRefused, failureEvent{Reason: reasonNonceMismatch})
	}
	var claims map[string]any
	if err := idToken.Claims(&claims); err != nil {
		return Session{}, f.record(ctx, ErrRefused, failureEvent{Reason: reasonIDTokenInvalid, Detail: clip(err.Error(), 300)})
	}
	id := identify(cfg, claims)
	p, reason, err := s.findPerson(ctx, si.TenantID, id)
	if err != nil {
		return Session{}, err
	}
	if reason != "" {
		return Session{}, f.record(ctx, ErrRefused, failureEvent{Reason: reason, Detail: id.describe()})
	}
	ext := accounts.ExternalSignIn{Method: crewid.SignInSSO, Issuer: cfg.IssuerURL, Subject: idToken.Subject}
	res, err := s.Accounts.SignInExternal(ctx, p, ext, meta)
	if errors.Is(err, accounts.ErrSignInFailed) {
		return Session{}, ErrRefused // recorded on the person
	}
	if err != nil {
		return Session{}, err
	}
	return Session{Result: res, TenantID: p.TenantID, PersonID: p.ID, Redirect: si.Redirect}, nil
}

// exchangeError is what the token endpoint said, without the response
// body's other contents.
func exchangeError(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.ErrorCode != "" {
		return strings.TrimSpace(re.ErrorCode + " " + re.ErrorDescription)
	}
	return err.Error()
}

// failure records refused sign-ins that matched no person.
type failure struct {
	s        *Service
	tenantID int64
	meta     accounts.Meta
	issuer   string
	subject  string
}

// record writes the failure to the tenant's history and returns refusal.
func (f failure) record(ctx context.Context, refusal error, ev failureEvent) error {
	ev.Issuer, ev.Subject = f.issuer, f.subject
	actor := crewid.Actor{Type: crewid.ActorSystem, Name: "single sign-on", IP: f.meta.IP, UserAgent: f.meta.UserAgent}
	now := f.s.now()
	err := f.s.Store.Update(ctx, func(tx store.Tx) error {
		return history.Record(ctx, tx, now, actor, history.Change{TenantID: f.tenantID, Type: "SingleSignOn.SignInFailed",
			RecordType: "SingleSignOn", RecordID: f.tenantID, After: ev})
	})
	if err != nil {
		return err
	}
	return refusal
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// identity is what the ID token says about who signed in.
type identity struct {
	UserID string
	// Email is set only when it may be used: the provider marked it
	// verified, or the configuration trusts the provider's emails.
	Email string
}

func (id identity) describe() string {
	return fmt.Sprintf("userId %q, email %q", clip(id.UserID, 100), clip(id.Email, 254))
}

// identify reads the configured claims.
func identify(cfg crewid.SSOConfig, claims map[string]any) identity {
	var id identity
	id.UserID = claimString(claims[cfg.UserIDClaim])
	email, err := people.NormalizeEmail(claimString(claims[cfg.EmailClaim]))
	if err == nil && email != "" && (cfg.TrustEmail || claimTrue(claims["email_verified"])) {
		id.Email = email
	}
	return id
}

func claimString(v any) string {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case float64:
		return fmt.Sprint(x)
	}
	return ""
}

// claimTrue reads a boolean claim that some providers send as a string.
func claimTrue(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return strings.EqualFold(x, "true")
	}
	return false
}

// findPerson finds the one person of the tenant the identity names: the
// person whose aadUserId is the user id, or else the person whose email
// is the (usable) email and who has no aadUserId of their own (one linked
// to a directory account is signed in only by that account). It returns
// a refusal reason when there is none or more than one.
func (s *Service) findPerson(ctx context.Context, tenantID int64, id identity) (crewid.Person, string, error) {
	if id.UserID == "" && id.Email == "" {
		return crewid.Person{}, reasonNoIdentity, nil
	}
	if id.UserID != "" {
		page, err := s.Store.PeopleByFilter(ctx, tenantID,
			store.Compare{Attr: store.PersonAADUserID, Op: store.OpEq, Value: id.UserID}, store.FilterQuery{Limit: 2})
		if err != nil {
			return crewid.Person{}, "", err
		}
		switch len(page.Items) {
		case 1:
			return page.Items[0], "", nil
		case 2:
			return crewid.Person{}, reasonAmbiguousPerson, nil
		}
	}
	if id.Email == "" {
		return crewid.Person{}, reasonUnknownPerson, nil
	}
	page, err := s.Store.PeopleByFilter(ctx, tenantID, store.And{
		store.Compare{Attr: store.PersonEmail, Op: store.OpEq, Value: id.Email},
		store.Not{Filter: store.Present{Attr: store.PersonAADUserID}},
	}, store.FilterQuery{Limit: 2})
	if err != nil {
		return crewid.Person{}, "", err
	}
	switch len(page.Items) {
	case 0:
		return crewid.Person{}, reasonUnknownPerson, nil
	case 1:
		return page.Items[0], "", nil
	}
	// One email may belong to an employee and a technician at once.
	return crewid.Person{}, reasonAmbiguousPerson, nil
}
