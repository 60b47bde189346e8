package accounts

import (
	"context"
	"time"

	"crewid"
	"crewid/history"
	"crewid/people"
	"crewid/store"
)

// Signing in on the word of the tenant's identity provider (single sign-on,
// package sso) rather than with a password. Such a session is the same as a
// password session, but it is marked with its method: it does not depend
// on the password (which the person may not even have) and lasts only
// while the tenant keeps single sign-on enabled. While a tenant requires
// single sign-on for employees, their password sign-ins are refused like a
// wrong password, and their password sessions cannot be refreshed.

// ExternalSignIn says who vouched for a person, for history.
type ExternalSignIn struct {
	Method  string // crewid.SignInSSO
	Issuer  string
	Subject string
}

// externalSignInEvent is the history record of a sign-in through a
// provider, or of one refused.
type externalSignInEvent struct {
	Method  string
	Issuer  string
	Subject string
	Reason  string `json:",omitempty"`
}

// Reasons an externally vouched sign-in or a password sign-in is refused.
const (
	reasonSSORequired = "SingleSignOnRequired"
)

// mayHoldSession reports whether p may hold a session whatever its
// method: active, and for a technician with mobile access.
func mayHoldSession(p crewid.Person) bool {
	return p.Active && people.CanHaveAccount(p)
}

// externalRefusal says why p may not sign in through a provider ("" if
// nothing stops them). A lock is about guessing the password and does not
// stop a sign-in the provider vouched for.
func externalRefusal(p crewid.Person) string {
	switch {
	case !p.Active:
		return reasonInactive
	case p.Kind == crewid.KindTechnician && !p.MobileAccessEnabled:
		return reasonMobileAccess
	}
	return ""
}

// ssoConfig is the tenant's single sign-on configuration; the zero value
// (disabled) when it has none.
func (s *Service) ssoConfig(ctx context.Context, tenantID int64) (crewid.SSOConfig, error) {
	cfg, err := s.Store.SSOConfig(ctx, tenantID)
	if crewid.IsNotFound(err) {
		return crewid.SSOConfig{}, nil
	}
	return cfg, err
}

// passwordRefusal says why p, whose password matched, may not sign in
// with it ("" if nothing stops them).
func (s *Service) passwordRefusal(ctx context.Context, p crewid.Person, now time.Time) (string, error) {
	if reason := s.refusal(p, now); reason != "" {
		return reason, nil
	}
	cfg, err := s.ssoConfig(ctx, p.TenantID)
	if err != nil {
		return "", err
	}
	if cfg.PasswordRefused(p.Kind) {
		return reasonSSORequired, nil
	}
	return "", nil
}

// mayRefresh reports whether the session sess of p may go on.
func (s *Service) mayRefresh(ctx context.Context, p crewid.Person, sess crewid.Session, now time.Time) (bool, error) {
	if sess.CreatedOn.Before(p.Account.SessionsNotBefore) {
		return false, nil
	}
	cfg, err := s.ssoConfig(ctx, p.TenantID)
	if err != nil {
		return false, err
	}
	if sess.Method == crewid.SignInSSO {
		return mayHoldSession(p) && cfg.Enabled, nil
	}
	// A password session does not outlive the password it was started
	// with: once that expires (or must change), the person signs in again
	// and meets the required action.
	return canSignIn(p) && s.requiredAction(p, now) == crewid.ChangeNothing && !cfg.PasswordRefused(p.Kind), nil
}

// SignInExternal signs p in on the word of the tenant's identity provider:
// the caller has checked the provider's ID token and matched it to p. It
// records the sign-in (with its method, issuer and subject) in p's history
// and returns tokens as a password sign-in does; no required action
// applies, since no password was used. An inactive person, or a technician
// without mobile access, gets ErrSignInFailed and the refusal is recorded.
func (s *Service) SignInExternal(ctx context.Context, p crewid.Person, ext ExternalSignIn, meta Meta) (Result, error) {
	s.init()
	now := s.now()
	if reason := externalRefusal(p); reason != "" {
		if err := s.RecordExternalRefusal(ctx, p, ext, reason, meta); err != nil {
			return Result{}, err
		}
		return Result{}, ErrSignInFailed
	}
	var res issued
	var wrote bool
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		var err error
		wrote, err = tx.RecordExternalSignIn(ctx, p.TenantID, p.ID, now)
		if err != nil || !wrote {
			return err
		}
		if res, err = s.startSession(ctx, tx, p, meta, now, "", ext.Method); err != nil {
			return err
		}
		return history.Record(ctx, tx, now, self(p, meta), history.Change{
			TenantID: p.TenantID, Type: eventType(p, "SignedIn"), RecordType: string(p.Kind), RecordID: p.ID,
			After: externalSignInEvent{Method: ext.Method, Issuer: ext.Issuer, Subject: ext.Subject},
		})
	})
	if crewid.IsNotFound(err) {
		return Result{}, ErrSignInFailed // deleted meanwhile
	}
	if err != nil {
		return Result{}, err
	}
	if !wrote {
		// Deactivated since it was read.
		if err := s.RecordExternalRefusal(ctx, p, ext, reasonInactive, meta); err != nil {
			return Result{}, err
		}
		return Result{}, ErrSignInFailed
	}
	return s.finishSession(ctx, p, res, now)
}

// RecordExternalRefusal records in p's history a sign-in through a
// provider that was refused, and why. Nothing is counted against the
// password.
func (s *Service) RecordExternalRefusal(ctx context.Context, p crewid.Person, ext ExternalSignIn, reason string, meta Meta) error {
	now := s.now()
	return s.Store.Update(ctx, func(tx store.Tx) error {
		return history.Record(ctx, tx, now, self(p, meta), history.Change{
			TenantID: p.TenantID, Type: eventType(p, "SignInFailed"), RecordType: string(p.Kind), RecordID: p.ID,
			After: externalSignInEvent{Method: ext.Method, Issuer: ext.Issuer, Subject: ext.Subject, Reason: reason},
		})
	})
}
