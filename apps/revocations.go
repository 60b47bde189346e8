package apps

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"crewid"
	"crewid/store"
)

// DefaultRevocationPoll is how often a node reads the revocations made
// since it last looked. A token revoked on any node is refused on every
// node within about this time.
const DefaultRevocationPoll = time.Second

// revocationList is this node's copy of the revocations that still
// matter, kept up to date by polling the store from the last id seen, at
// most every RevocationPoll, on the first check that finds it due. Checks
// in between read memory only.
type revocationList struct {
	mu       sync.RWMutex
	lastID   int64
	polledAt time.Time
	tokens   map[string]time.Time // jti → when the revocation can be forgotten
	apps     map[int64]appRevocation
	group    singleflight.Group
}

type appRevocation struct{ revokedOn, expiresOn time.Time }

func (s *Service) revocationList() *revocationList {
	s.revokeOnce.Do(func() {
		s.revocations = &revocationList{tokens: map[string]time.Time{}, apps: map[int64]appRevocation{}}
	})
	return s.revocations
}

func (s *Service) revocationPoll() time.Duration {
	if s.RevocationPoll > 0 {
		return s.RevocationPoll
	}
	return DefaultRevocationPoll
}

// revoked reports whether the token jti of application appID, issued at
// issued, has been revoked.
func (l *revocationList) revoked(ctx context.Context, s *Service, appID int64, jti string, issued time.Time) (bool, error) {
	now := s.now()
	l.mu.RLock()
	due := now.Sub(l.polledAt) >= s.revocationPoll() || now.Before(l.polledAt)
	l.mu.RUnlock()
	if due {
		if _, err, _ := l.group.Do("poll", func() (any, error) { return nil, l.poll(ctx, s, now) }); err != nil {
			return false, err
		}
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	if _, ok := l.tokens[jti]; ok && jti != "" {
		return true, nil
	}
	if r, ok := l.apps[appID]; ok && !issued.After(r.revokedOn) {
		return true, nil
	}
	return false, nil
}

// poll reads the revocations after the last one seen and forgets those
// that no longer matter.
func (l *revocationList) poll(ctx context.Context, s *Service, now time.Time) error {
	l.mu.RLock()
	after := l.lastID
	l.mu.RUnlock()
	var fresh []crewid.TokenRevocation
	for {
		batch, err := s.Store.TokenRevocations(ctx, after, now, 1000)
		if err != nil {
			return err
		}
		fresh = append(fresh, batch...)
		if len(batch) < 1000 {
			break
		}
		after = batch[len(batch)-1].ID
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range fresh {
		l.add(r)
		l.lastID = max(l.lastID, r.ID)
	}
	for jti, until := range l.tokens {
		if !until.After(now) {
			delete(l.tokens, jti)
		}
	}
	for id, r := range l.apps {
		if !r.expiresOn.After(now) {
			delete(l.apps, id)
		}
	}
	l.polledAt = now
	return nil
}

// add applies one revocation; l.mu is held.
func (l *revocationList) add(r crewid.TokenRevocation) {
	if r.TokenID != "" {
		l.tokens[r.TokenID] = r.ExpiresOn
		return
	}
	if old, ok := l.apps[r.AppID]; !ok || r.RevokedOn.After(old.revokedOn) {
		l.apps[r.AppID] = appRevocation{revokedOn: r.RevokedOn, expiresOn: r.ExpiresOn}
	}
}

// applyLocal makes a revocation committed through this node effective here
// at once (other nodes see it at their next poll).
func (l *revocationList) applyLocal(r crewid.TokenRevocation) {
	l.mu.Lock()
	l.add(r)
	l.mu.Unlock()
}

// revocationFor is the revocation of every token of app issued up to now:
// kept as long as such a token could still be valid.
func (s *Service) revocationFor(app crewid.App, now time.Time) crewid.TokenRevocation {
	return crewid.TokenRevocation{TenantID: app.TenantID, AppID: app.ID, RevokedOn: now,
		ExpiresOn: now.Add(s.tokenTTL() + 2*Leeway)}
}

// EventTokenRevoked is the history event of a revoked access token.
const EventTokenRevoked = "App.TokenRevoked"

// Revoke ends an access token of the application authenticated by clientID
// and clientSecret (RFC 7009): on this node at once, on every other node
// within RevocationPoll. A token that is not valid or has expired is left
// alone without an error, as the RFC asks (§2.2); a valid token issued to
// anyone else, another application or a person, is refused with
// ErrNotThisClientsToken (§2.1). A bad client is ErrInvalidClient.
func (s *Service) Revoke(ctx context.Context, clientID, clientSecret, token string) error {
	app, _, err := s.AuthenticateClient(ctx, clientID, clientSecret)
	if err != nil {
		return err
	}
	var c parsedClaims
	if err := s.Keys.Verify(ctx, token, &c); err != nil {
		if crewid.CodeOf(err) == crewid.Internal {
			return err
		}
		return nil
	}
	now := s.now()
	if c.ID == "" || c.Expiry == nil || now.Add(-Leeway).After(time.Unix(*c.Expiry, 0)) {
		return nil
	}
	if c.AppID != app.ID || c.TenantID != app.TenantID {
		return ErrNotThisClientsToken
	}
	r := crewid.TokenRevocation{TenantID: app.TenantID, AppID: app.ID, TokenID: c.ID, RevokedOn: now.UTC(),
		ExpiresOn: time.Unix(*c.Expiry, 0).Add(Leeway).UTC()}
	actor := crewid.Actor{Type: crewid.ActorApplication, ID: app.ID, Name: app.Name}
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		if err := tx.RevokeToken(ctx, &r); err != nil {
			return err
		}
		after, err := json.Marshal(map[string]any{"tokenId": c.ID, "expiresOn": r.ExpiresOn})
		if err != nil {
			return err
		}
		return tx.AppendEvent(ctx, &crewid.Event{TenantID: app.TenantID, OccurredOn: r.RevokedOn, Type: EventTokenRevoked,
			RecordType: RecordTypeApp, RecordID: app.ID, Actor: actor, After: after})
	})
	if err != nil {
		return err
	}
	s.revocationList().applyLocal(r)
	return nil
}

// Introspection is what RFC 7662 introspection tells of a token.
type Introspection struct {
	Active bool
	Claims Claims
}

// Introspect checks a token for the application authenticated by clientID
// and clientSecret (RFC 7662): active only when it is a valid access token
// of that same application, neither expired nor revoked, of an application
// still active. Anything else, a token of another application or tenant or
// a person's token included, is simply not active. A bad client is
// ErrInvalidClient.
func (s *Service) Introspect(ctx context.Context, clientID, clientSecret, token string) (Introspection, error) {
	app, _, err := s.AuthenticateClient(ctx, clientID, clientSecret)
	if err != nil {
		return Introspection{}, err
	}
	c, err := s.authenticate(ctx, token, "", false)
	switch {
	case err != nil && crewid.CodeOf(err) == crewid.Internal:
		return Introspection{}, err
	case err != nil, c.AppID != app.ID, c.TenantID != app.TenantID:
		return Introspection{}, nil
	}
	return Introspection{Active: true, Claims: c}, nil
}
