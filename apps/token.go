package apps

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"crewid"
)

// Leeway is the clock skew allowed when checking exp, nbf and iat.
const Leeway = 30 * time.Second

// Token is what the token endpoint returns.
type Token struct {
	AccessToken string
	TokenType   string // "Bearer"
	ExpiresIn   int    // seconds
	Scope       string // space-separated
}

// Claims is what an API call learns from a valid application token.
type Claims struct {
	TenantID    int64
	AppID       int64
	AppName     string
	ClientID    string
	Scopes      []string
	TokenID     string
	Environment string
	IssuedAt    time.Time
	ExpiresAt   time.Time
}

// HasScope reports whether the token grants scope.
func (c Claims) HasScope(scope string) bool { return HasScope(c.Scopes, scope) }

// tokenClaims is the payload of an access token.
type tokenClaims struct {
	Issuer      string `json:"iss"`
	Subject     string `json:"sub"`
	Audience    string `json:"aud"`
	IssuedAt    int64  `json:"iat"`
	NotBefore   int64  `json:"nbf"`
	Expiry      int64  `json:"exp"`
	ID          string `json:"jti"`
	ClientID    string `json:"client_id"`
	TenantID    int64  `json:"tid"`
	AppID       int64  `json:"app"`
	Environment string `json:"env"`
	Scope       string `json:"scope"`
	// SecretID is the client secret the token was obtained with: deleting
	// the secret ends its tokens.
	SecretID int64 `json:"csi,omitempty"`
}

// parsedClaims is the payload as read back: aud may be a string or a list,
// and a missing time claim must be told from zero.
type parsedClaims struct {
	Issuer      string   `json:"iss"`
	Subject     string   `json:"sub"`
	Audience    audience `json:"aud"`
	IssuedAt    *int64   `json:"iat"`
	NotBefore   *int64   `json:"nbf"`
	Expiry      *int64   `json:"exp"`
	ID          string   `json:"jti"`
	TenantID    int64    `json:"tid"`
	AppID       int64    `json:"app"`
	Environment string   `json:"env"`
	Scope       string   `json:"scope"`
	SecretID    int64    `json:"csi"`
}

// ErrInvalidClient is the answer to an unknown client id, a wrong secret
// and an inactive application alike.
var ErrInvalidClient = crewid.Errorf(crewid.Unauthenticated, "The client id or secret is not valid.")

// ErrNotThisClientsToken refuses a client's request to revoke a valid token
// that was issued to someone else.
var ErrNotThisClientsToken = crewid.Errorf(crewid.Forbidden, "The token was not issued to this client.")

// ScopeField is the field named by the Invalid error IssueToken returns
// for a scope the application does not hold.
const ScopeField = "scope"

// IssueToken performs the client-credentials grant: it authenticates the
// application by client id and secret and returns a signed access token
// for the requested scopes (space-separated; empty: all the app's scopes).
//
// It does one store read (the application and its secrets), one SHA-256
// and one ECDSA signature; the signing key is parsed once and kept.
func (s *Service) IssueToken(ctx context.Context, clientID, clientSecret, requestedScope string) (Token, error) {
	app, secretID, err := s.AuthenticateClient(ctx, clientID, clientSecret)
	if err != nil {
		return Token{}, err
	}

	scopes := app.Scopes
	if requested := strings.Fields(requestedScope); len(requested) > 0 {
		var refused []string
		for _, sc := range requested {
			if !HasScope(app.Scopes, sc) {
				refused = append(refused, sc)
			}
		}
		if len(refused) > 0 {
			return Token{}, crewid.FieldError(ScopeField, "The application does not hold the scope "+quoteList(refused)+".")
		}
		scopes = NormalizeScopes(requested)
	}
	scope := strings.Join(scopes, " ")

	signer, err := s.Keys.Current(ctx)
	if err != nil {
		return Token{}, err
	}
	now := s.now()
	ttl := s.tokenTTL()
	claims := tokenClaims{
		Issuer:      s.Issuer,
		Subject:     app.ClientID,
		Audience:    Audience,
		IssuedAt:    now.Unix(),
		NotBefore:   now.Unix(),
		Expiry:      now.Add(ttl).Unix(),
		ID:          newTokenID(),
		ClientID:    app.ClientID,
		TenantID:    app.TenantID,
		AppID:       app.ID,
		Environment: s.Environment,
		Scope:       scope,
		SecretID:    secretID,
	}
	raw, err := signer.Sign(claims)
	if err != nil {
		return Token{}, err
	}
	return Token{AccessToken: raw, TokenType: "Bearer", ExpiresIn: int(ttl / time.Second), Scope: scope}, nil
}

// AuthenticateClient checks an application's client id and secret (the
// client authentication of the token, introspection and revocation
// endpoints) and returns the application and the id of the secret that
// matched. An unknown client, a wrong secret and an inactive application
// are all ErrInvalidClient, after the same work.
func (s *Service) AuthenticateClient(ctx context.Context, clientID, clientSecret string) (crewid.App, int64, error) {
	if clientID == "" || clientSecret == "" {
		return crewid.App{}, 0, ErrInvalidClient
	}
	app, err := s.Store.AppByClientID(ctx, clientID)
	if err != nil {
		if crewid.IsNotFound(err) {
			matchSecret(clientSecret, [][]byte{dummyHash})
			return crewid.App{}, 0, ErrInvalidClient
		}
		return crewid.App{}, 0, err
	}
	hashes := make([][]byte, 0, len(app.Secrets))
	for _, sec := range app.Secrets {
		hashes = append(hashes, sec.Hash)
	}
	if len(hashes) == 0 {
		hashes = append(hashes, dummyHash)
	}
	i := matchSecret(clientSecret, hashes)
	if i < 0 || i >= len(app.Secrets) || !app.Active {
		return crewid.App{}, 0, ErrInvalidClient
	}
	return redact(app), app.Secrets[i].ID, nil
}

// Authenticate checks an application's access token and application key
// on an API call. It verifies the signature (ES256, key by "kid"), the
// issuer, the audience, exp and nbf (with Leeway) and the environment, then
// checks against a short-lived cache of the application that it is still
// active and that appKey is its key. The scopes of the result are those of
// the token still held by the application.
//
// Errors: Unauthenticated for a token that is missing, malformed, expired,
// of another environment or of an inactive application; Forbidden for a
// missing or wrong application key.
func (s *Service) Authenticate(ctx context.Context, rawToken, appKey string) (Claims, error) {
	return s.authenticate(ctx, rawToken, appKey, true)
}

// AuthenticateBearer is Authenticate for protocols whose clients send only
// a bearer token and cannot add the application key (SCIM provisioning
// from a directory): the token alone identifies the application.
func (s *Service) AuthenticateBearer(ctx context.Context, rawToken string) (Claims, error) {
	return s.authenticate(ctx, rawToken, "", false)
}

func (s *Service) authenticate(ctx context.Context, rawToken, appKey string, needKey bool) (Claims, error) {
	rawToken = strings.TrimSpace(rawToken)
	if rawToken == "" {
		return Claims{}, crewid.Errorf(crewid.Unauthenticated, "An access token is required.")
	}
	var c parsedClaims
	if err := s.Keys.Verify(ctx, rawToken, &c); err != nil {
		return Claims{}, err
	}
	now := s.now()
	switch {
	case c.Expiry == nil:
		return Claims{}, crewid.Errorf(crewid.Unauthenticated, "The access token has no expiry.")
	case now.Add(-Leeway).After(time.Unix(*c.Expiry, 0)):
		return Claims{}, crewid.Errorf(crewid.Unauthenticated, "The access token has expired.")
	case c.NotBefore != nil && now.Add(Leeway).Before(time.Unix(*c.NotBefore, 0)),
		c.IssuedAt != nil && now.Add(Leeway).Before(time.Unix(*c.IssuedAt, 0)):
		return Claims{}, crewid.Errorf(crewid.Unauthenticated, "The access token is not valid yet.")
	case !c.Audience.contains(Audience):
		return Claims{}, crewid.Errorf(crewid.Unauthenticated, "The access token is meant for another audience.")
	case c.Environment != s.Environment:
		return Claims{}, crewid.Errorf(crewid.Unauthenticated, "The access token was issued for the %q environment; this is the %q environment.", c.Environment, s.Environment)
	case c.AppID == 0 || c.TenantID == 0:
		return Claims{}, crewid.Errorf(crewid.Unauthenticated, "The access token is not an application token.")
	}

	app, err := s.appCache().get(ctx, s, c.TenantID, c.AppID)
	if err != nil {
		return Claims{}, err
	}
	if c.SecretID != 0 && !slices.Contains(app.secretIDs, c.SecretID) && c.IssuedAt != nil && *c.IssuedAt >= app.loadedAt.Unix()-1 {
		// The token is newer than what this node read of its application:
		// its secret may have been added since.
		s.appCache().forget(c.AppID)
		if app, err = s.appCache().get(ctx, s, c.TenantID, c.AppID); err != nil {
			return Claims{}, err
		}
	}
	switch {
	case !app.found || app.clientID != c.Subject:
		return Claims{}, crewid.Errorf(crewid.Unauthenticated, "The application of the access token no longer exists.")
	case !app.active:
		return Claims{}, crewid.Errorf(crewid.Unauthenticated, "The application of the access token has been deactivated.")
	case c.SecretID != 0 && !slices.Contains(app.secretIDs, c.SecretID):
		return Claims{}, crewid.Errorf(crewid.Unauthenticated, "The client secret the access token was obtained with has been deleted.")
	}
	var issued time.Time // none: as old as can be, so any revocation of its app applies
	if c.IssuedAt != nil {
		issued = time.Unix(*c.IssuedAt, 0)
	}
	revoked, err := s.revocationList().revoked(ctx, s, c.AppID, c.ID, issued)
	if err != nil {
		return Claims{}, err
	}
	switch {
	case revoked:
		return Claims{}, crewid.Errorf(crewid.Unauthenticated, "The access token has been revoked.")
	case !needKey:
	case appKey == "":
		return Claims{}, crewid.Errorf(crewid.Forbidden, "The application key is missing: send it in the ST-App-Key header.")
	case subtle.ConstantTimeCompare([]byte(appKey), []byte(app.appKey)) != 1:
		return Claims{}, crewid.Errorf(crewid.Forbidden, "The application key does not belong to the application of the access token.")
	}

	var scopes []string
	for _, sc := range strings.Fields(c.Scope) {
		if HasScope(app.scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	return Claims{
		TenantID:    c.TenantID,
		AppID:       c.AppID,
		AppName:     app.name,
		ClientID:    c.Subject,
		Scopes:      scopes,
		TokenID:     c.ID,
		Environment: c.Environment,
		IssuedAt:    issued.UTC(),
		ExpiresAt:   time.Unix(*c.Expiry, 0).UTC(),
	}, nil
}

// audience reads "aud" as a string or a list of strings.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if strings.HasPrefix(s, "[") {
		var list []string
		if err := json.Unmarshal(b, &list); err != nil {
			return err
		}
		*a = list
		return nil
	}
	var one string
	if err := json.Unmarshal(b, &one); err != nil {
		return err
	}
	*a = audience{one}
	return nil
}

func (a audience) contains(v string) bool {
	for _, x := range a {
		if x == v {
			return true
		}
	}
	return false
}

// appCache keeps, per application, what Authenticate needs, for a short
// time, so that an API call costs no store read. Concurrent misses for one
// application share one read.
type appCache struct {
	mu      sync.Mutex
	entries map[int64]*appEntry
	group   singleflight.Group
}

type appEntry struct {
	found     bool
	tenantID  int64
	name      string
	clientID  string
	appKey    string
	scopes    []string
	secretIDs []int64
	active    bool
	loadedAt  time.Time
}

// maxCachedApps bounds the cache; past it, expired entries are dropped.
const maxCachedApps = 10000

func (s *Service) appCache() *appCache {
	s.cacheOnce.Do(func() { s.cache = &appCache{entries: map[int64]*appEntry{}} })
	return s.cache
}

func (s *Service) appCacheTTL() time.Duration {
	if s.AppCacheTTL > 0 {
		return s.AppCacheTTL
	}
	return DefaultAppCacheTTL
}

func (c *appCache) get(ctx context.Context, s *Service, tenantID, appID int64) (*appEntry, error) {
	ttl := s.appCacheTTL()
	c.mu.Lock()
	e := c.entries[appID]
	c.mu.Unlock()
	if e != nil && s.now().Sub(e.loadedAt) < ttl && e.tenantID == tenantID {
		return e, nil
	}
	key := strconv.FormatInt(tenantID, 10) + "/" + strconv.FormatInt(appID, 10)
	v, err, _ := c.group.Do(key, func() (any, error) {
		app, err := s.Store.App(ctx, tenantID, appID)
		e := &appEntry{tenantID: tenantID, loadedAt: s.now()}
		switch {
		case err == nil:
			e.found = true
			e.name, e.clientID, e.appKey = app.Name, app.ClientID, app.AppKey
			e.scopes, e.active = app.Scopes, app.Active
			for _, sec := range app.Secrets {
				e.secretIDs = append(e.secretIDs, sec.ID)
			}
		case crewid.IsNotFound(err):
		default:
			return nil, err
		}
		c.mu.Lock()
		if len(c.entries) >= maxCachedApps {
			for id, old := range c.entries {
				if s.now().Sub(old.loadedAt) >= ttl {
					delete(c.entries, id)
				}
			}
		}
		c.entries[appID] = e
		c.mu.Unlock()
		return e, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*appEntry), nil
}

// forget drops an application from this node's cache (after a change made
// here; other nodes see it when their entry expires).
func (c *appCache) forget(appID int64) {
	c.mu.Lock()
	delete(c.entries, appID)
	c.mu.Unlock()
}
