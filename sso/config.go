package sso

import (
	"context"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"crewid"
	"crewid/history"
	"crewid/store"
)

// DefaultScopes are asked of a provider when the configuration names none.
var DefaultScopes = []string{"openid", "profile", "email"}

// Config returns the tenant's configuration, secret included (callers
// must not show it). A tenant that never saved one gets a disabled
// configuration with the defaults, and a zero CreatedOn.
func (s *Service) Config(ctx context.Context, tenantID int64) (crewid.SSOConfig, error) {
	if _, err := s.Store.Tenant(ctx, tenantID); err != nil {
		return crewid.SSOConfig{}, err
	}
	cfg, err := s.Store.SSOConfig(ctx, tenantID)
	if crewid.IsNotFound(err) {
		return defaultConfig(tenantID), nil
	}
	return cfg, err
}

func defaultConfig(tenantID int64) crewid.SSOConfig {
	return crewid.SSOConfig{TenantID: tenantID, Scopes: slices.Clone(DefaultScopes),
		UserIDClaim: crewid.DefaultSSOUserIDClaim, EmailClaim: crewid.DefaultSSOEmailClaim}
}

// configRecord is a configuration as history shows it: the secret is
// never included, only whether one is set and whether this change set it.
type configRecord struct {
	ID                  int64 // the tenant's id: one configuration per tenant
	IssuerURL           string
	ClientID            string
	ClientSecretSet     bool
	ClientSecretChanged bool `json:",omitempty"`
	Scopes              []string
	UserIDClaim         string
	EmailClaim          string
	TrustEmail          bool
	Enabled             bool
	RequireForEmployees bool
	CreatedOn           time.Time
	ModifiedOn          time.Time
}

func record(c crewid.SSOConfig) configRecord {
	return configRecord{ID: c.TenantID, IssuerURL: c.IssuerURL, ClientID: c.ClientID, ClientSecretSet: c.ClientSecret != "",
		Scopes: c.Scopes, UserIDClaim: c.UserIDClaim, EmailClaim: c.EmailClaim, TrustEmail: c.TrustEmail,
		Enabled: c.Enabled, RequireForEmployees: c.RequireForEmployees, CreatedOn: c.CreatedOn, ModifiedOn: c.ModifiedOn}
}

// PutConfig validates and saves the tenant's whole configuration, with
// its history event (SingleSignOn.Created or SingleSignOn.Updated). An
// empty ClientSecret keeps the one stored (the secret is write-only); nil
// Scopes and empty claim names take the defaults. TenantID and the times
// of in are ignored.
func (s *Service) PutConfig(ctx context.Context, actor crewid.Actor, tenantID int64, in crewid.SSOConfig) (crewid.SSOConfig, error) {
	next, err := normalize(in)
	if err != nil {
		return crewid.SSOConfig{}, err
	}
	next.TenantID = tenantID
	now := s.now()
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		if err := tx.LockTenant(ctx, tenantID); err != nil {
			return err
		}
		before, err := tx.SSOConfig(ctx, tenantID)
		existed := err == nil
		if err != nil && !crewid.IsNotFound(err) {
			return err
		}
		secretChanged := next.ClientSecret != "" && next.ClientSecret != before.ClientSecret
		if next.ClientSecret == "" {
			next.ClientSecret = before.ClientSecret
		}
		if next.Enabled && next.ClientSecret == "" {
			return crewid.FieldError("clientSecret", "A client secret is required to enable single sign-on.")
		}
		next.CreatedOn, next.ModifiedOn = now, now
		if err := tx.PutSSOConfig(ctx, &next); err != nil {
			return err
		}
		after := record(next)
		after.ClientSecretChanged = secretChanged
		change := history.Change{TenantID: tenantID, Type: "SingleSignOn.Created", RecordType: "SingleSignOn",
			RecordID: tenantID, After: after}
		if existed {
			change.Type, change.Before = "SingleSignOn.Updated", record(before)
		}
		return history.Record(ctx, tx, now, actor, change)
	})
	if err != nil {
		return crewid.SSOConfig{}, err
	}
	return next, nil
}

// Limits on configuration values.
const (
	maxURLLength    = 2000
	maxClientID     = 255
	maxClientSecret = 2048
	maxScopes       = 20
	maxScopeLength  = 100
	maxClaimLength  = 100
)

// normalize checks and tidies an input; every problem is reported at once.
func normalize(in crewid.SSOConfig) (crewid.SSOConfig, error) {
	problems := crewid.Problems{}
	cfg := crewid.SSOConfig{
		IssuerURL: strings.TrimSpace(in.IssuerURL), ClientID: strings.TrimSpace(in.ClientID),
		ClientSecret: in.ClientSecret, UserIDClaim: strings.TrimSpace(in.UserIDClaim),
		EmailClaim: strings.TrimSpace(in.EmailClaim), TrustEmail: in.TrustEmail, Enabled: in.Enabled,
		RequireForEmployees: in.RequireForEmployees,
	}
	switch {
	case cfg.IssuerURL == "" && cfg.Enabled:
		problems.Add("issuerUrl", "The issuer URL is required to enable single sign-on.")
	case cfg.IssuerURL != "":
		if msg := checkIssuer(cfg.IssuerURL); msg != "" {
			problems.Add("issuerUrl", msg)
		}
	}
	switch {
	case cfg.ClientID == "" && cfg.Enabled:
		problems.Add("clientId", "The client id is required to enable single sign-on.")
	case len(cfg.ClientID) > maxClientID || hasControl(cfg.ClientID):
		problems.Add("clientId", "The client id must be at most 255 printable characters.")
	}
	if len(cfg.ClientSecret) > maxClientSecret || hasControl(cfg.ClientSecret) {
		problems.Add("clientSecret", "The client secret must be at most 2048 printable characters.")
	}
	cfg.Scopes = []string{"openid"}
	scopes := in.Scopes
	if scopes == nil {
		scopes = DefaultScopes
	}
	if len(scopes) > maxScopes {
		problems.Add("scopes", "At most 20 scopes may be asked for.")
	}
	for _, sc := range scopes {
		sc = strings.TrimSpace(sc)
		if !validToken(sc, maxScopeLength) {
			problems.Add("scopes", "A scope is 1 to 100 printable characters without spaces, quotes or backslashes.")
			break
		}
		if !slices.Contains(cfg.Scopes, sc) {
			cfg.Scopes = append(cfg.Scopes, sc)
		}
	}
	if cfg.UserIDClaim == "" {
		cfg.UserIDClaim = crewid.DefaultSSOUserIDClaim
	}
	if cfg.EmailClaim == "" {
		cfg.EmailClaim = crewid.DefaultSSOEmailClaim
	}
	if !validToken(cfg.UserIDClaim, maxClaimLength) {
		problems.Add("userIdClaim", "A claim name is 1 to 100 printable characters without spaces, quotes or backslashes.")
	}
	if !validToken(cfg.EmailClaim, maxClaimLength) {
		problems.Add("emailClaim", "A claim name is 1 to 100 printable characters without spaces, quotes or backslashes.")
	}
	if cfg.RequireForEmployees && !cfg.Enabled {
		problems.Add("requireForEmployees", "Single sign-on can be required only while it is enabled.")
	}
	return cfg, problems.Err()
}

// checkIssuer says what is wrong with an issuer URL ("" when nothing). An
// issuer is an https URL without query or fragment; plain http is allowed
// only on a loopback address, for providers run beside crewid.
func checkIssuer(raw string) string {
	if len(raw) > maxURLLength || hasControl(raw) {
		return "The issuer URL must be at most 2000 printable characters."
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "The issuer URL must be an absolute https URL without user, query or fragment."
	}
	switch u.Scheme {
	case "https":
		return ""
	case "http":
		if loopback(u.Hostname()) {
			return ""
		}
		return "The issuer URL must use https (plain http only on a loopback address)."
	}
	return "The issuer URL must be an absolute https URL without user, query or fragment."
}

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// validToken reports whether s is 1 to max characters of RFC 6749's
// scope-token alphabet (printable ASCII but space, '"' and '\').
func validToken(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c > '~' || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < ' ' || r == 0x7f {
			return true
		}
	}
	return false
}
