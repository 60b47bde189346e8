package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"strconv"
	"time"

	"crewid"
	"crewid/apps"
)

// Token types, the "typ" claim. Application tokens carry none, so none of
// these is ever taken for one (and the reverse).
const (
	TypePerson = "person"
	typeAction = "action"
)

// AccessClaims is the payload of a person's access token.
type AccessClaims struct {
	Issuer    string `json:"iss"`
	Subject   string `json:"sub"` // the person id, in decimal
	Audience  string `json:"aud"`
	IssuedAt  int64  `json:"iat"`
	NotBefore int64  `json:"nbf"`
	Expiry    int64  `json:"exp"`
	ID        string `json:"jti"`
	Type      string `json:"typ"` // TypePerson
	TenantID  int64  `json:"tid"`
	PersonID  int64  `json:"pid"`
	// Environment is "production" or "integration".
	Environment string `json:"env"`
	// SessionID is the session family the token belongs to.
	SessionID string `json:"sid"`
	// IssuedAtMicros is the issue time in microseconds, compared with the
	// person's SessionsNotBefore (which iat, in whole seconds, cannot be).
	IssuedAtMicros int64 `json:"iat_us"`
}

// actionClaims is the payload of the token of a required action.
type actionClaims struct {
	Issuer      string `json:"iss"`
	Audience    string `json:"aud"`
	IssuedAt    int64  `json:"iat"`
	Expiry      int64  `json:"exp"`
	ID          string `json:"jti"`
	Type        string `json:"typ"` // typeAction
	TenantID    int64  `json:"tid"`
	PersonID    int64  `json:"pid"`
	Environment string `json:"env"`
	Action      string `json:"act"`
	// PasswordSetOn is the person's PasswordSetOn in microseconds when the
	// token was issued, and PasswordFingerprint a digest of their password
	// hash (salted afresh for every password): a changed password voids
	// the token, even one changed within the same microsecond.
	PasswordSetOn       int64  `json:"pso"`
	PasswordFingerprint string `json:"pwf"`
}

// fingerprint is a digest of a password hash that tells one password from
// the next without revealing anything of the hash.
func fingerprint(hash string) string {
	sum := sha256.Sum256([]byte("crewid-action-token\x00" + hash))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// boundTo reports whether an action token was issued for p's current
// password.
func (c actionClaims) boundTo(p crewid.Person) bool {
	return c.PasswordSetOn == micros(p.Account.PasswordSetOn) &&
		subtle.ConstantTimeCompare([]byte(c.PasswordFingerprint), []byte(fingerprint(p.Account.PasswordHash))) == 1
}

// Prefixes of the random secrets, recognisable in logs and by scanners.
const (
	refreshPrefix = "crt1."
	resetPrefix   = "crs1."
)

// randomString returns n random bytes, base64url without padding.
func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashSecret is how refresh and reset tokens are stored. They are 256 bits
// from crypto/rand: a plain SHA-256 leaves nothing to guess.
func hashSecret(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

// refreshHash is how a refresh token is stored: the hash covers the
// environment it was issued in, so that a deployment of the other
// environment on the same database finds no session for it, as it refuses
// the access tokens of that environment.
func (s *Service) refreshHash(token string) []byte {
	return hashSecret(s.Environment + " " + token)
}

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// accessToken signs an access token for p in session family sid.
func (s *Service) accessToken(ctx context.Context, p crewid.Person, sid string, now time.Time) (string, error) {
	signer, err := s.Keys.Current(ctx)
	if err != nil {
		return "", err
	}
	return signer.Sign(AccessClaims{
		Issuer:         s.Issuer,
		Subject:        strconv.FormatInt(p.ID, 10),
		Audience:       apps.Audience,
		IssuedAt:       now.Unix(),
		NotBefore:      now.Unix(),
		Expiry:         now.Add(s.cfg.AccessTokenTTL).Unix(),
		ID:             randomString(16),
		Type:           TypePerson,
		TenantID:       p.TenantID,
		PersonID:       p.ID,
		Environment:    s.Environment,
		SessionID:      sid,
		IssuedAtMicros: now.UnixMicro(),
	})
}

// actionToken signs the token of a required action for p.
func (s *Service) actionToken(ctx context.Context, p crewid.Person, action crewid.RequiredChange, now time.Time) (string, error) {
	signer, err := s.Keys.Current(ctx)
	if err != nil {
		return "", err
	}
	return signer.Sign(actionClaims{
		Issuer:              s.Issuer,
		Audience:            apps.Audience,
		IssuedAt:            now.Unix(),
		Expiry:              now.Add(s.cfg.ActionTokenTTL).Unix(),
		ID:                  randomString(16),
		Type:                typeAction,
		TenantID:            p.TenantID,
		PersonID:            p.ID,
		Environment:         s.Environment,
		Action:              string(action),
		PasswordSetOn:       micros(p.Account.PasswordSetOn),
		PasswordFingerprint: fingerprint(p.Account.PasswordHash),
	})
}

// ErrInvalidToken answers an access token that is missing, malformed,
// expired, of another kind, environment or issuer, or whose session ended.
var ErrInvalidToken = crewid.Errorf(crewid.Unauthenticated, "The access token is not valid or the session has ended; sign in again.")

// verifyAccess checks the signature and the claims of a person's access
// token (not yet whether its session still stands).
func (s *Service) verifyAccess(ctx context.Context, raw string) (AccessClaims, error) {
	var c AccessClaims
	if raw == "" {
		return c, crewid.Errorf(crewid.Unauthenticated, "An access token is required (Authorization: Bearer TOKEN).")
	}
	if err := s.Keys.Verify(ctx, raw, &c); err != nil {
		if crewid.CodeOf(err) == crewid.Unauthenticated {
			return c, ErrInvalidToken
		}
		return c, err
	}
	now := s.now()
	switch {
	case c.Type != TypePerson, c.TenantID <= 0, c.PersonID <= 0, c.SessionID == "",
		c.Audience != apps.Audience, c.Environment != s.Environment,
		c.Expiry == 0 || now.Add(-apps.Leeway).After(time.Unix(c.Expiry, 0)),
		now.Add(apps.Leeway).Before(time.Unix(c.NotBefore, 0)):
		return c, ErrInvalidToken
	}
	return c, nil
}

// errActionToken answers an action token that does not work (any more).
var errActionToken = crewid.Errorf(crewid.Unauthenticated, "The action token is not valid or has expired; sign in again.")

// verifyAction checks an action token's signature and claims.
func (s *Service) verifyAction(ctx context.Context, raw string) (actionClaims, error) {
	var c actionClaims
	if raw == "" {
		return c, crewid.FieldError("actionToken", "The action token is required.")
	}
	if err := s.Keys.Verify(ctx, raw, &c); err != nil {
		if crewid.CodeOf(err) == crewid.Unauthenticated {
			return c, errActionToken
		}
		return c, err
	}
	now := s.now()
	switch {
	case c.Type != typeAction, c.TenantID <= 0, c.PersonID <= 0,
		c.Audience != apps.Audience, c.Environment != s.Environment,
		c.Expiry == 0 || now.Add(-apps.Leeway).After(time.Unix(c.Expiry, 0)),
		c.Action != string(crewid.ChangePassword) && c.Action != string(crewid.ChangeLoginAndPassword):
		return c, errActionToken
	}
	return c, nil
}
