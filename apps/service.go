// Package apps is the domain of API applications: their credentials
// (application key, client id, client secrets), their scopes, the access
// tokens they obtain with the client-credentials grant, and the check made
// on every API call that presents such a token. It knows nothing of HTTP.
package apps

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"crewid"
	"crewid/store"
)

// Defaults of Service.
const (
	DefaultTokenTTL    = 15 * time.Minute
	DefaultAppCacheTTL = 2 * time.Second
	// Audience is the "aud" of every access token.
	Audience = "crewid"
	// MaxLiveSecrets is how many client secrets an application may hold.
	MaxLiveSecrets = 2
	maxNameLength  = 100
)

// Event types written to history.
const (
	EventAppCreated       = "App.Created"
	EventAppUpdated       = "App.Updated"
	EventAppSecretAdded   = "App.SecretAdded"
	EventAppSecretDeleted = "App.SecretDeleted"
	RecordTypeApp         = "App"
)

// Service manages applications and their tokens. Set the exported fields
// before first use and do not change them afterwards.
type Service struct {
	Store store.Store
	Keys  *Keys
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Issuer is the "iss" of tokens: the public base URL of the service.
	// It is not compared when a token comes back: every node of a
	// deployment signs with the keys in its database but may name itself
	// differently (its own address when --public-url is not set), and the
	// signature is what shows a token is the deployment's own.
	Issuer string
	// Environment ("production" or "integration") goes into every token;
	// a token of another environment is refused.
	Environment string
	// TokenTTL is the lifetime of access tokens (0: 15 minutes).
	TokenTTL time.Duration
	// AppCacheTTL is how long Authenticate trusts what it read about an
	// application (0: 2 seconds). Deactivating an application takes
	// effect on every node within this time.
	AppCacheTTL time.Duration
	// RevocationPoll is how often revocations made on other nodes are read
	// (0: DefaultRevocationPoll).
	RevocationPoll time.Duration

	cacheOnce   sync.Once
	cache       *appCache
	revokeOnce  sync.Once
	revocations *revocationList
}

// now is to the microsecond, as the store keeps times: what a change
// answers is what a read shows afterwards.
func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().Truncate(time.Microsecond)
	}
	return time.Now().Truncate(time.Microsecond)
}

func (s *Service) tokenTTL() time.Duration {
	if s.TokenTTL > 0 {
		return s.TokenTTL
	}
	return DefaultTokenTTL
}

// Get returns one application of the tenant (secret hashes removed).
func (s *Service) Get(ctx context.Context, tenantID, appID int64) (crewid.App, error) {
	app, err := s.Store.App(ctx, tenantID, appID)
	if err != nil {
		return crewid.App{}, err
	}
	return redact(app), nil
}

// List returns a page of the tenant's applications (secret hashes removed).
func (s *Service) List(ctx context.Context, tenantID int64, q store.ListQuery) (store.Page[crewid.App], error) {
	page, err := s.Store.Apps(ctx, tenantID, q)
	if err != nil {
		return page, err
	}
	for i := range page.Items {
		page.Items[i] = redact(page.Items[i])
	}
	return page, nil
}

// Create registers an application in the tenant with one client secret,
// which is returned here and never again. Nil scopes means all of them.
// A person who may register applications but not connect them (Manage API
// Application Access) gets the application without a secret (""): someone
// who may connect it adds one (AddSecret).
func (s *Service) Create(ctx context.Context, actor crewid.Actor, tenantID int64, name string, scopes []string) (crewid.App, string, error) {
	p := crewid.Problems{}
	name, nameErr := validateName(name)
	if nameErr != "" {
		p.Add("name", nameErr)
	}
	if scopes != nil && len(scopes) == 0 {
		p.Add("scopes", "An application needs at least one scope; leave the field out for all of them.")
	} else if err := ValidateScopes(scopes); err != nil {
		p.Add("scopes", scopeMessage(err))
	}
	if err := p.Err(); err != nil {
		return crewid.App{}, "", err
	}
	if scopes == nil {
		scopes = AllScopes()
	}
	if err := checkScopesHeld(ctx, scopes); err != nil {
		return crewid.App{}, "", err
	}
	now := s.now().UTC()
	secret := ""
	if mayConnect(ctx) {
		secret = newClientSecret()
	}
	app := crewid.App{
		TenantID:   tenantID,
		Name:       name,
		AppKey:     newAppKey(),
		ClientID:   newClientID(),
		Scopes:     NormalizeScopes(scopes),
		Active:     true,
		CreatedOn:  now,
		ModifiedOn: now,
	}
	var created crewid.App
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.Tenant(ctx, tenantID); err != nil {
			return err
		}
		a := app
		if secret != "" {
			a.Secrets = []crewid.AppSecret{{Hash: hashSecret(secret), CreatedOn: now}}
		}
		if err := tx.CreateApp(ctx, &a); err != nil {
			return err
		}
		if err := appendEvent(ctx, tx, actor, &a, EventAppCreated, now, nil, appRecord(a)); err != nil {
			return err
		}
		created = a
		return nil
	})
	if err != nil {
		return crewid.App{}, "", err
	}
	return redact(created), secret, nil
}

// AddSecret adds a client secret to the application and returns it (shown
// only this once). An application holds at most two live secrets, so that
// one can be rotated without downtime.
func (s *Service) AddSecret(ctx context.Context, actor crewid.Actor, tenantID, appID int64) (int64, string, error) {
	now := s.now().UTC()
	secret := newClientSecret()
	var id int64
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		app, err := s.lockApp(ctx, tx, tenantID, appID, now)
		if err != nil {
			return err
		}
		// Whoever takes a secret takes the application's power.
		if err := checkScopesHeld(ctx, app.Scopes); err != nil {
			return err
		}
		if len(app.Secrets) >= MaxLiveSecrets {
			return crewid.ConflictError("secrets", "An application has at most two live secrets; delete one before adding another.")
		}
		sec := crewid.AppSecret{AppID: appID, Hash: hashSecret(secret), CreatedOn: now}
		if err := tx.AddAppSecret(ctx, &sec); err != nil {
			return err
		}
		id = sec.ID
		return appendEvent(ctx, tx, actor, &app, EventAppSecretAdded, now, nil, secretRecord(sec))
	})
	if err != nil {
		return 0, "", err
	}
	return id, secret, nil
}

// DeleteSecret removes one client secret: tokens can no longer be obtained
// with it, and those obtained with it are refused on this node at once and
// on every node within AppCacheTTL. Deleting the last secret is allowed:
// the application then cannot get tokens until a new secret is added.
func (s *Service) DeleteSecret(ctx context.Context, actor crewid.Actor, tenantID, appID, secretID int64) error {
	now := s.now().UTC()
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		app, err := s.lockApp(ctx, tx, tenantID, appID, now)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(app.Secrets, func(sec crewid.AppSecret) bool { return sec.ID == secretID })
		if i < 0 {
			return crewid.ErrNotFound
		}
		if err := tx.DeleteAppSecret(ctx, appID, secretID); err != nil {
			return err
		}
		return appendEvent(ctx, tx, actor, &app, EventAppSecretDeleted, now, secretRecord(app.Secrets[i]), nil)
	})
	if err == nil {
		s.appCache().forget(appID)
	}
	return err
}

// lockApp reads the application, writes it back with a new ModifiedOn (on
// PostgreSQL this locks its row, so concurrent secret changes of one
// application queue up) and reads it again with its current secrets.
func (s *Service) lockApp(ctx context.Context, tx store.Tx, tenantID, appID int64, now time.Time) (crewid.App, error) {
	app, err := tx.App(ctx, tenantID, appID)
	if err != nil {
		return crewid.App{}, err
	}
	app.ModifiedOn = now
	if err := tx.UpdateApp(ctx, &app); err != nil {
		return crewid.App{}, err
	}
	return tx.App(ctx, tenantID, appID)
}

// Update changes the name, scopes or active flag of an application; nil
// leaves a field as it is. Deactivating an application refuses new tokens
// at once and its existing tokens on every node within AppCacheTTL. An
// empty scope list is refused (it would otherwise silently mean "all").
func (s *Service) Update(ctx context.Context, actor crewid.Actor, tenantID, appID int64, name *string, scopes *[]string, active *bool) (crewid.App, error) {
	p := crewid.Problems{}
	var newName string
	if name != nil {
		var msg string
		if newName, msg = validateName(*name); msg != "" {
			p.Add("name", msg)
		}
	}
	if scopes != nil {
		if len(*scopes) == 0 {
			p.Add("scopes", "An application needs at least one scope.")
		} else if err := ValidateScopes(*scopes); err != nil {
			p.Add("scopes", scopeMessage(err))
		}
	}
	if err := p.Err(); err != nil {
		return crewid.App{}, err
	}
	now := s.now().UTC()
	var updated crewid.App
	var revocation *crewid.TokenRevocation
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		revocation = nil
		before, err := tx.App(ctx, tenantID, appID)
		if err != nil {
			return err
		}
		after := before
		if name != nil {
			after.Name = newName
		}
		if scopes != nil {
			after.Scopes = NormalizeScopes(*scopes)
			// Given or taken away, a scope is the holder's to change only
			// with its permissions: narrowing an application to take a
			// secret, then having it widened again, would otherwise hand
			// over its full power.
			var changed []string
			for _, sc := range AllScopes() {
				if HasScope(before.Scopes, sc) != HasScope(after.Scopes, sc) {
					changed = append(changed, sc)
				}
			}
			if err := checkScopesHeld(ctx, changed); err != nil {
				return err
			}
		}
		if active != nil {
			after.Active = *active
		}
		if after.Name == before.Name && after.Active == before.Active && slices.Equal(after.Scopes, before.Scopes) {
			updated = before
			return nil
		}
		after.ModifiedOn = now
		if err := tx.UpdateApp(ctx, &after); err != nil {
			return err
		}
		if before.Active && !after.Active {
			// Ends the tokens issued so far for good, even if the
			// application is made active again later.
			r := s.revocationFor(after, now)
			if err := tx.RevokeToken(ctx, &r); err != nil {
				return err
			}
			revocation = &r
		}
		updated = after
		return appendEvent(ctx, tx, actor, &after, EventAppUpdated, now, appRecord(before), appRecord(after))
	})
	if err != nil {
		return crewid.App{}, err
	}
	s.appCache().forget(appID)
	if revocation != nil {
		s.revocationList().applyLocal(*revocation)
	}
	return redact(updated), nil
}

func validateName(name string) (string, string) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return name, "The name is required."
	case utf8.RuneCountInString(name) > maxNameLength:
		return name, "The name is at most 100 characters long."
	case !utf8.ValidString(name):
		return name, "The name is not valid text."
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return name, "The name cannot contain control characters."
	}
	return name, ""
}

func scopeMessage(err error) string {
	if e, ok := err.(*crewid.Error); ok && len(e.Fields["scopes"]) > 0 {
		return e.Fields["scopes"][0]
	}
	return err.Error()
}

// redact returns the app without secret hashes (secret ids and dates stay).
func redact(app crewid.App) crewid.App {
	if app.Secrets != nil {
		secrets := make([]crewid.AppSecret, len(app.Secrets))
		for i, sec := range app.Secrets {
			sec.Hash = nil
			secrets[i] = sec
		}
		app.Secrets = secrets
	}
	return app
}

// appRecord is what history keeps of an application: never a secret or
// its hash.
func appRecord(a crewid.App) map[string]any {
	return map[string]any{
		"id":         a.ID,
		"createdOn":  a.CreatedOn.UTC(),
		"modifiedOn": a.ModifiedOn.UTC(),
		"name":       a.Name,
		"scopes":     a.Scopes,
		"active":     a.Active,
		"clientId":   a.ClientID,
		"appKey":     a.AppKey,
	}
}

func secretRecord(sec crewid.AppSecret) map[string]any {
	return map[string]any{"secretId": sec.ID, "createdOn": sec.CreatedOn.UTC()}
}

func appendEvent(ctx context.Context, tx store.Tx, actor crewid.Actor, app *crewid.App, typ string, now time.Time, before, after map[string]any) error {
	e := crewid.Event{
		TenantID:   app.TenantID,
		OccurredOn: now,
		Type:       typ,
		RecordType: RecordTypeApp,
		RecordID:   app.ID,
		Actor:      actor,
	}
	var err error
	if before != nil {
		if e.Before, err = json.Marshal(before); err != nil {
			return err
		}
	}
	if after != nil {
		if e.After, err = json.Marshal(after); err != nil {
			return err
		}
	}
	return tx.AppendEvent(ctx, &e)
}
