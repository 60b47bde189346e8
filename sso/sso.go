// Package sso signs people in through their company's OpenID Connect
// provider (single sign-on; Microsoft Entra ID being the common one).
//
// Each tenant configures one provider: issuer, client id and secret,
// scopes, and which ID token claims identify a person (see
// crewid.SSOConfig). A sign-in goes:
//
//   - Start: a state, a nonce, a PKCE (S256) verifier and a browser binding
//     are drawn and kept in the database (the state, nonce and binding only
//     as hashes), single use, for ten minutes; the person is sent to the
//     provider's authorization endpoint.
//   - Finish: the provider sends the person back with the state and a code.
//     The sign-in is found by its state and used up at once (a second
//     callback with the same state is refused), the browser binding is
//     checked, the code is redeemed with the verifier, and the ID token is
//     verified (signature, issuer, audience, expiry, and the nonce).
//   - The person is found in the tenant by the user id claim (matched to
//     their aadUserId) or else by an email the provider marks verified (or
//     any email, for a provider configured as trusted for email). Nobody is
//     ever created. The session and tokens are those of a password sign-in
//     (package accounts), recorded in history with method SSO.
//
// Every refusal after the state was recognised is recorded in the tenant's
// history: on the person when one was found, otherwise as a
// SingleSignOn.SignInFailed event of the tenant.
package sso

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"crewid"
	"crewid/accounts"
	"crewid/store"
)

// SignInTTL is how long a started sign-in waits for the provider's callback.
const SignInTTL = 10 * time.Minute

// CallbackPath is where providers send people back, under the public URL.
// It must be registered as a redirect URI at the provider.
const CallbackPath = "/auth/sso/callback"

// Service starts and finishes single sign-ons and keeps the tenants'
// configurations. Set the exported fields before first use.
type Service struct {
	Store    store.Store
	Accounts *accounts.Service
	// HTTPClient reaches the providers (discovery, keys, token endpoint);
	// nil means a client with a 15-second timeout.
	HTTPClient *http.Client
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// PublicURL is the service's public base URL; the callback URL is
	// PublicURL + CallbackPath.
	PublicURL string

	initOnce  sync.Once
	client    *http.Client
	providers providerCache
}

func (s *Service) init() {
	s.initOnce.Do(func() {
		s.client = s.HTTPClient
		if s.client == nil {
			s.client = &http.Client{Timeout: 15 * time.Second}
		}
		s.providers.entries = map[string]cachedProvider{}
	})
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// CallbackURL is the redirect URI to register at the provider.
func (s *Service) CallbackURL() string { return strings.TrimRight(s.PublicURL, "/") + CallbackPath }

// clientContext carries the provider HTTP client to go-oidc and oauth2.
func (s *Service) clientContext(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, s.client)
}

// providerTTL is how long a provider's discovery document is trusted.
const providerTTL = 10 * time.Minute

type cachedProvider struct {
	provider *oidc.Provider
	fetched  time.Time
}

// providerCache keeps providers' discovery documents (and with them their
// key sets) for providerTTL, so a sign-in does not fetch them twice.
type providerCache struct {
	mu      sync.Mutex
	entries map[string]cachedProvider
}

// provider returns the discovered provider of issuer.
func (s *Service) provider(ctx context.Context, issuer string) (*oidc.Provider, error) {
	s.init()
	now := time.Now()
	s.providers.mu.Lock()
	e, ok := s.providers.entries[issuer]
	s.providers.mu.Unlock()
	if ok && now.Sub(e.fetched) < providerTTL {
		return e.provider, nil
	}
	p, err := oidc.NewProvider(s.clientContext(ctx), issuer)
	if err != nil {
		return nil, err
	}
	s.providers.mu.Lock()
	if len(s.providers.entries) > 1000 {
		clear(s.providers.entries)
	}
	s.providers.entries[issuer] = cachedProvider{provider: p, fetched: now}
	s.providers.mu.Unlock()
	return p, nil
}

// randomToken is 32 random bytes, base64url without padding.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

func hash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// Errors of a sign-in. Both are 401s; neither says more than needed.
var (
	// ErrUnknownSignIn answers a callback whose state is unknown (forged),
	// already used, or expired, or that comes from another browser.
	ErrUnknownSignIn = crewid.Errorf(crewid.Unauthenticated, "The single sign-on request is unknown, already used or expired; start again.")
	// ErrRefused answers every other failed single sign-on: the provider
	// refused or its answer did not verify, or no active person of the
	// tenant matches the account.
	ErrRefused = crewid.Errorf(crewid.Unauthenticated, "Single sign-on did not sign you in: the provider's answer was refused or your company account is not linked to an active person here.")
	// ErrProviderUnreachable answers when the provider's discovery
	// document cannot be fetched.
	ErrProviderUnreachable = crewid.Errorf(crewid.Unauthenticated, "The company's sign-in provider could not be reached; try again later.")
	// ErrNotConfigured answers a start for a tenant without enabled single
	// sign-on.
	ErrNotConfigured = crewid.Errorf(crewid.NotFound, "Single sign-on is not enabled for this company.")
)
