package accounts

import (
	"context"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"crewid"
	"crewid/access"
	"crewid/apps"
	"crewid/history"
	"crewid/store"
)

// ErrInvalidRefresh answers a refresh token that is unknown, expired,
// rotated, revoked, or whose person may no longer sign in.
var ErrInvalidRefresh = crewid.Errorf(crewid.Unauthenticated, "The refresh token is not valid or has expired; sign in again.")

// issued is a session row just written: its family and refresh token.
type issued struct {
	family  string
	refresh string
}

// startSession writes the first refresh token of a new family (family "")
// or the next one of a family, inside tx, and drops the person's expired
// session rows while at it. method is how the family's sign-in was made.
func (s *Service) startSession(ctx context.Context, tx store.Tx, p crewid.Person, meta Meta, now time.Time, family, method string) (issued, error) {
	is := issued{family: family, refresh: refreshPrefix + randomString(32)}
	if is.family == "" {
		is.family = randomString(16)
	}
	if err := tx.DeleteExpiredSessions(ctx, p.TenantID, p.ID, now); err != nil {
		return issued{}, err
	}
	sess := crewid.Session{
		TenantID:    p.TenantID,
		PersonID:    p.ID,
		FamilyID:    is.family,
		RefreshHash: s.refreshHash(is.refresh),
		CreatedOn:   now,
		ExpiresOn:   now.Add(s.cfg.RefreshTokenTTL),
		IP:          truncate(meta.IP, 100),
		UserAgent:   truncate(meta.UserAgent, 500),
		Method:      method,
	}
	if err := tx.CreateSession(ctx, &sess); err != nil {
		return issued{}, err
	}
	return is, nil
}

// finishSession signs the access token of a session startSession wrote,
// once it has committed.
func (s *Service) finishSession(ctx context.Context, p crewid.Person, is issued, now time.Time) (Result, error) {
	access, err := s.accessToken(ctx, p, is.family, now)
	if err != nil {
		return Result{}, err
	}
	return Result{AccessToken: access, RefreshToken: is.refresh, ExpiresIn: int(s.cfg.AccessTokenTTL / time.Second)}, nil
}

// Refresh exchanges a refresh token for new tokens. The token presented is
// rotated: presenting it again later revokes its whole family, since only
// a copy held by someone else can be presented twice.
func (s *Service) Refresh(ctx context.Context, refreshToken string, meta Meta) (Result, error) {
	s.init()
	if refreshToken == "" {
		return Result{}, crewid.FieldError("refreshToken", "The refresh token is required.")
	}
	sess, err := s.Store.SessionByRefreshHash(ctx, s.refreshHash(refreshToken))
	if crewid.IsNotFound(err) {
		return Result{}, ErrInvalidRefresh
	}
	if err != nil {
		return Result{}, err
	}
	now := s.now()
	switch {
	case !sess.RevokedOn.IsZero():
		return Result{}, ErrInvalidRefresh
	case !sess.RotatedOn.IsZero():
		if err := s.revokeFamily(ctx, sess, "RefreshTokenReused", meta, now); err != nil {
			return Result{}, err
		}
		return Result{}, ErrInvalidRefresh
	case !now.Before(sess.ExpiresOn):
		return Result{}, ErrInvalidRefresh
	}
	p, err := s.Store.Person(ctx, sess.TenantID, sess.PersonID)
	if crewid.IsNotFound(err) {
		return Result{}, ErrInvalidRefresh
	}
	if err != nil {
		return Result{}, err
	}
	if ok, err := s.mayRefresh(ctx, p, sess, now); err != nil || !ok {
		if err != nil {
			return Result{}, err
		}
		return Result{}, ErrInvalidRefresh
	}
	var res issued
	reused := false
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		ok, err := tx.RotateSession(ctx, sess.TenantID, sess.ID, now)
		if err != nil {
			return err
		}
		if !ok {
			// Another refresh with the same token won the race: the
			// token was presented twice.
			reused = true
			return s.revokeFamilyTx(ctx, tx, p, sess.FamilyID, "RefreshTokenReused", meta, now)
		}
		res, err = s.startSession(ctx, tx, p, meta, now, sess.FamilyID, sess.Method)
		return err
	})
	if err != nil {
		return Result{}, err
	}
	if reused {
		s.cache.forget(p.TenantID, p.ID)
		return Result{}, ErrInvalidRefresh
	}
	return s.finishSession(ctx, p, res, now)
}

// SignOut ends the session family of a refresh token. An unknown or
// already ended token is not an error: the session is over either way.
func (s *Service) SignOut(ctx context.Context, refreshToken string, meta Meta) error {
	s.init()
	if refreshToken == "" {
		return crewid.FieldError("refreshToken", "The refresh token is required.")
	}
	sess, err := s.Store.SessionByRefreshHash(ctx, s.refreshHash(refreshToken))
	if crewid.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if !sess.RevokedOn.IsZero() {
		return nil
	}
	return s.revokeFamily(ctx, sess, "SignedOut", meta, s.now())
}

// revokeFamily revokes a session's family in its own transaction.
func (s *Service) revokeFamily(ctx context.Context, sess crewid.Session, reason string, meta Meta, now time.Time) error {
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		p, err := tx.Person(ctx, sess.TenantID, sess.PersonID)
		if crewid.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		return s.revokeFamilyTx(ctx, tx, p, sess.FamilyID, reason, meta, now)
	})
	s.cache.forget(sess.TenantID, sess.PersonID)
	return err
}

// sessionEvent is the history record of a session ended.
type sessionEvent struct {
	Reason string
}

func (s *Service) revokeFamilyTx(ctx context.Context, tx store.Tx, p crewid.Person, family, reason string, meta Meta, now time.Time) error {
	if err := tx.RevokeSessionFamily(ctx, p.TenantID, family, now); err != nil {
		return err
	}
	typ := eventType(p, "SessionRevoked")
	if reason == "SignedOut" {
		typ = eventType(p, "SignedOut")
	}
	return history.Record(ctx, tx, now, self(p, meta), history.Change{
		TenantID: p.TenantID, Type: typ, RecordType: string(p.Kind), RecordID: p.ID, After: sessionEvent{Reason: reason},
	})
}

// Principal is the person an access token speaks for.
type Principal struct {
	TenantID  int64
	PersonID  int64
	Kind      crewid.Kind
	Name      string
	SessionID string
	ExpiresAt time.Time
}

// Authenticate checks a person's access token: signature, claims, and,
// against the per-node cache, that the person is still active and may sign
// in and that the token's session was neither revoked nor issued before the
// person's SessionsNotBefore.
func (s *Service) Authenticate(ctx context.Context, raw string) (Principal, error) {
	s.init()
	c, err := s.verifyAccess(ctx, raw)
	if err != nil {
		return Principal{}, err
	}
	e, err := s.cache.get(ctx, s, c.TenantID, c.PersonID)
	if err != nil {
		return Principal{}, err
	}
	if !e.usable || c.IssuedAtMicros < micros(e.notBefore) {
		return Principal{}, ErrInvalidToken
	}
	if _, revoked := e.revoked[c.SessionID]; revoked {
		return Principal{}, ErrInvalidToken
	}
	return Principal{
		TenantID: c.TenantID, PersonID: c.PersonID, Kind: e.kind, Name: e.name,
		SessionID: c.SessionID, ExpiresAt: time.Unix(c.Expiry, 0).UTC(),
	}, nil
}

// Profile returns the signed-in person and their effective permissions.
func (s *Service) Profile(ctx context.Context, pr Principal) (crewid.Person, access.Set, error) {
	p, err := s.Store.Person(ctx, pr.TenantID, pr.PersonID)
	if crewid.IsNotFound(err) {
		return crewid.Person{}, access.Set{}, ErrInvalidToken
	}
	if err != nil {
		return crewid.Person{}, access.Set{}, err
	}
	roles := make([]crewid.Role, 0, len(p.RoleIDs))
	for _, id := range p.RoleIDs {
		r, err := s.Store.Role(ctx, p.TenantID, id)
		if crewid.IsNotFound(err) {
			continue
		}
		if err != nil {
			return crewid.Person{}, access.Set{}, err
		}
		roles = append(roles, r)
	}
	return p, access.Effective(roles, p.Overrides), nil
}

// sessionCache keeps, per person, what Authenticate checks, for at most
// Config.SessionCacheTTL. Concurrent misses for one person share one read.
type sessionCache struct {
	mu      sync.Mutex
	entries map[personKey]*sessionEntry
	group   singleflight.Group
}

type personKey struct{ tenant, person int64 }

type sessionEntry struct {
	usable    bool // found, and may hold a session (see mayHoldSession)
	kind      crewid.Kind
	name      string
	notBefore time.Time
	revoked   map[string]struct{}
	loadedAt  time.Time
}

// maxCachedPeople bounds the cache; past it, expired entries are dropped.
const maxCachedPeople = 100000

func newSessionCache() *sessionCache {
	return &sessionCache{entries: map[personKey]*sessionEntry{}}
}

func (c *sessionCache) get(ctx context.Context, s *Service, tenantID, personID int64) (*sessionEntry, error) {
	key := personKey{tenantID, personID}
	ttl := s.cfg.SessionCacheTTL
	c.mu.Lock()
	e := c.entries[key]
	c.mu.Unlock()
	if e != nil {
		if age := s.now().Sub(e.loadedAt); age >= 0 && age < ttl {
			return e, nil
		}
	}
	v, err, _ := c.group.Do(strconv.FormatInt(tenantID, 10)+"/"+strconv.FormatInt(personID, 10), func() (any, error) {
		// The time is taken before the reads, so an entry is never
		// trusted for longer than ttl after what it saw.
		loaded := s.now()
		e := &sessionEntry{loadedAt: loaded}
		p, err := s.Store.Person(ctx, tenantID, personID)
		switch {
		case err == nil:
			e.usable = mayHoldSession(p)
			e.kind, e.name, e.notBefore = p.Kind, p.Name, p.Account.SessionsNotBefore
		case crewid.IsNotFound(err):
		default:
			return nil, err
		}
		if e.usable {
			// A family revoked before this cannot have an access token
			// still valid: none is issued once it is revoked.
			since := loaded.Add(-s.cfg.AccessTokenTTL - 2*apps.Leeway)
			fams, err := s.Store.RevokedSessionFamilies(ctx, tenantID, personID, since)
			if err != nil {
				return nil, err
			}
			e.revoked = make(map[string]struct{}, len(fams))
			for _, f := range fams {
				e.revoked[f] = struct{}{}
			}
		}
		c.mu.Lock()
		if len(c.entries) >= maxCachedPeople {
			for k, old := range c.entries {
				if loaded.Sub(old.loadedAt) >= ttl {
					delete(c.entries, k)
				}
			}
			if len(c.entries) >= maxCachedPeople {
				clear(c.entries)
			}
		}
		c.entries[key] = e
		c.mu.Unlock()
		return e, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*sessionEntry), nil
}

// forget drops a person from this node's cache after a change made here;
// other nodes see the change when their entry expires.
func (c *sessionCache) forget(tenantID, personID int64) {
	c.mu.Lock()
	delete(c.entries, personKey{tenantID, personID})
	c.mu.Unlock()
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
