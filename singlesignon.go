package crewid

import "time"

// SSOConfig is a tenant's single sign-on through an upstream OpenID
// Connect provider (Microsoft Entra ID being the common one). A person
// signs in through it when the provider vouches for an identity that
// matches them: the user id claim against their AADUserID, or else a
// verified email against their email. It never creates a person.
type SSOConfig struct {
	TenantID int64
	// IssuerURL is the provider's issuer; its discovery document is at
	// IssuerURL + "/.well-known/openid-configuration".
	IssuerURL string
	ClientID  string
	// ClientSecret is kept as given, not hashed: crewid has to present it
	// to the provider's token endpoint every time it redeems a code, so it
	// must be recoverable. It is never shown back nor written to history.
	ClientSecret string
	// Scopes are asked of the provider; "openid" is always among them.
	Scopes []string
	// UserIDClaim names the ID token claim matched against a person's
	// AADUserID ("oid" for Entra ID).
	UserIDClaim string
	// EmailClaim names the claim holding the email address; it is used
	// only when the provider marks it verified (email_verified) or
	// TrustEmail is set.
	EmailClaim string
	TrustEmail bool
	Enabled    bool
	// RequireForEmployees refuses office employees' password sign-ins
	// while SSO is enabled; technicians keep their passwords.
	RequireForEmployees bool
	CreatedOn           time.Time
	ModifiedOn          time.Time
}

// Defaults of an SSOConfig.
const (
	DefaultSSOUserIDClaim = "oid"
	DefaultSSOEmailClaim  = "email"
)

// PasswordRefused reports whether a person of kind k may not sign in with
// a password because the tenant requires single sign-on for them.
func (c SSOConfig) PasswordRefused(k Kind) bool {
	return c.Enabled && c.RequireForEmployees && k == KindEmployee
}

// SSOSignIn is a single sign-on started and not yet finished: what the
// callback from the provider is checked against. It is single use and
// short-lived. The state, the nonce and the browser binding are kept only
// as SHA-256 hashes.
type SSOSignIn struct {
	ID       int64
	TenantID int64
	// StateHash finds the sign-in from the state the provider sends back.
	StateHash []byte
	// NonceHash is compared with the hash of the ID token's nonce.
	NonceHash []byte
	// BrowserHash binds the sign-in to the browser that started it (a
	// cookie holds the value), so a callback link cannot be planted in
	// another browser.
	BrowserHash []byte
	// PKCEVerifier is kept as is: the token endpoint must be sent the
	// verifier itself. Alone it is worthless, and it lives ten minutes.
	PKCEVerifier string
	// Redirect is the console path to return to afterwards ("" for none).
	Redirect  string
	CreatedOn time.Time
	ExpiresOn time.Time
	UsedOn    time.Time // zero while unused
}

// How a session was started.
const (
	SignInPassword = "Password"
	SignInSSO      = "SSO"
)
