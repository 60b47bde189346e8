package access

import (
	"context"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"crewid"
	"crewid/history"
	"crewid/store"
)

// Markers that stand in for a catalog id where an operation names the
// permission it needs (they are never catalog ids, which are positive).
const (
	// AnyPerson marks an operation every signed-in person of the tenant
	// may use: harmless reads such as the permission catalog.
	AnyPerson int64 = -1
	// PerRequest marks an operation whose permission depends on what the
	// request asks (an account action): its handler checks it.
	PerRequest int64 = -2
)

// EventPermissionDenied is the history event of a refused request.
const EventPermissionDenied = "Permission.Denied"

// DefaultGrantTTL is how long an Authorizer trusts what it read about a
// person and the tenant's roles. A change made on another node is seen
// within this time.
const DefaultGrantTTL = 2 * time.Second

// Grant is what a person may do, as an Authorizer resolved it.
type Grant struct {
	Kind        crewid.Kind
	Name        string
	External    bool
	Active      bool
	Permissions Set
}

// Authorizer answers "may this person do X" without touching the database
// on the hot path: each person's effective permissions are resolved once
// and kept for TTL, the tenant's roles likewise. A change made through
// this node is seen at once (Forget); one made on another node within TTL.
// Set the exported fields before first use.
type Authorizer struct {
	Store store.Store
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// TTL bounds the age of what is cached (0: DefaultGrantTTL).
	TTL time.Duration

	once  sync.Once
	mu    sync.RWMutex
	gens  map[int64]uint64 // per tenant, moved by Forget
	cache map[grantKey]*grantEntry
	roles map[int64]*rolesEntry
	group singleflight.Group
}

type grantKey struct{ tenant, person int64 }

type grantEntry struct {
	grant    Grant
	found    bool
	gen      uint64
	loadedAt time.Time
}

type rolesEntry struct {
	byID     map[int64]crewid.Role
	gen      uint64
	loadedAt time.Time
}

// maxCachedGrants bounds the cache; past it, the whole cache is dropped
// (it refills from the store at the cost of one read per person).
const maxCachedGrants = 100000

func (a *Authorizer) init() {
	a.once.Do(func() {
		a.gens = map[int64]uint64{}
		a.cache = map[grantKey]*grantEntry{}
		a.roles = map[int64]*rolesEntry{}
	})
}

func (a *Authorizer) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *Authorizer) ttl() time.Duration {
	if a.TTL > 0 {
		return a.TTL
	}
	return DefaultGrantTTL
}

// fresh reports whether something loaded at loadedAt under generation gen
// may still be used.
func (a *Authorizer) fresh(tenantID int64, gen uint64, loadedAt, now time.Time) bool {
	age := now.Sub(loadedAt)
	return gen == a.gens[tenantID] && age >= 0 && age < a.ttl()
}

// Resolve returns the person's grant: their effective permissions (their
// active roles' union with their overrides applied; nothing when they are
// inactive; never Admin Access or Generate API Application Key when they
// are external, whatever the data says). NotFound for an unknown person.
func (a *Authorizer) Resolve(ctx context.Context, tenantID, personID int64) (Grant, error) {
	a.init()
	key := grantKey{tenantID, personID}
	now := a.now()
	a.mu.RLock()
	e := a.cache[key]
	ok := e != nil && a.fresh(tenantID, e.gen, e.loadedAt, now)
	a.mu.RUnlock()
	if !ok {
		var err error
		if e, err = a.load(ctx, key); err != nil {
			return Grant{}, err
		}
	}
	if !e.found {
		return Grant{}, crewid.ErrNotFound
	}
	return e.grant, nil
}

// Allowed reports whether the person holds permission perm (AnyPerson:
// whether they are an active person of the tenant).
func (a *Authorizer) Allowed(ctx context.Context, tenantID, personID, perm int64) (bool, error) {
	g, err := a.Resolve(ctx, tenantID, personID)
	if crewid.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if perm == AnyPerson {
		return g.Active, nil
	}
	return g.Permissions.Has(perm), nil
}

// Authorize is the check other interfaces call before acting for a
// person: nil when actor may use permission perm in the tenant; otherwise
// the refusal is recorded in history (see Deny) and a Forbidden error
// returned. Actors other than people are not checked here (applications
// are limited by their scopes). what names the operation in the record,
// e.g. "POST /settings/v2/tenant/{tenant}/employees".
func (a *Authorizer) Authorize(ctx context.Context, actor crewid.Actor, tenantID, perm int64, what string) error {
	if actor.Type != crewid.ActorPerson {
		return nil
	}
	ok, err := a.Allowed(ctx, tenantID, actor.ID, perm)
	if err != nil {
		return err
	}
	if ok {
		return nil
	}
	return a.Deny(ctx, actor, tenantID, what, perm)
}

// Denial is what history keeps of a refused request.
type Denial struct {
	Operation      string `json:"operation"`
	PermissionID   int64  `json:"permissionId,omitempty"`
	PermissionName string `json:"permissionName,omitempty"`
	Scope          string `json:"scope,omitempty"`
	Reason         string `json:"reason,omitempty"`
}

// Deny records, in a transaction of its own, that actor was refused
// operation what for lack of permission perm, and returns the Forbidden
// error to answer with. The event is recorded on the actor's own record
// (their kind, or App for an application).
func (a *Authorizer) Deny(ctx context.Context, actor crewid.Actor, tenantID int64, what string, perm int64) error {
	d := Denial{Operation: what, PermissionID: perm}
	if p, ok := PermissionByID(perm); ok {
		d.PermissionName = p.Name
	}
	if err := a.record(ctx, actor, tenantID, d); err != nil {
		return err
	}
	return Missing(perm)
}

// Refused records that a person was refused operation what by a rule of
// the domain (err, a Forbidden error: giving permissions they do not
// hold), and returns err.
func (a *Authorizer) Refused(ctx context.Context, actor crewid.Actor, tenantID int64, what string, err error) error {
	if rerr := a.record(ctx, actor, tenantID, Denial{Operation: what, Reason: err.Error()}); rerr != nil {
		return rerr
	}
	return err
}

// DenyScope records that an application was refused operation what for
// lack of a scope, and returns the Forbidden error to answer with.
func (a *Authorizer) DenyScope(ctx context.Context, actor crewid.Actor, tenantID int64, what, scope string) error {
	if err := a.record(ctx, actor, tenantID, Denial{Operation: what, Scope: scope}); err != nil {
		return err
	}
	return crewid.Errorf(crewid.Forbidden, "The application's token lacks the %q scope.", scope)
}

func (a *Authorizer) record(ctx context.Context, actor crewid.Actor, tenantID int64, d Denial) error {
	recordType := "App"
	if actor.Type == crewid.ActorPerson {
		recordType = string(crewid.KindEmployee)
		if g, err := a.Resolve(ctx, tenantID, actor.ID); err == nil {
			recordType = string(g.Kind)
		}
	}
	return a.Store.Update(ctx, func(tx store.Tx) error {
		return history.Record(ctx, tx, a.now().UTC(), actor, history.Change{
			TenantID: tenantID, Type: EventPermissionDenied, RecordType: recordType, RecordID: actor.ID, After: d,
		})
	})
}

// Forget drops what this node knows of the tenant's grants and roles, after
// a change to its people or roles made here.
func (a *Authorizer) Forget(tenantID int64) {
	a.init()
	a.mu.Lock()
	a.gens[tenantID]++
	a.mu.Unlock()
}

// load reads the person and computes their grant; concurrent misses for
// one person share one read.
func (a *Authorizer) load(ctx context.Context, key grantKey) (*grantEntry, error) {
	v, err, _ := a.group.Do(strconv.FormatInt(key.tenant, 10)+"/"+strconv.FormatInt(key.person, 10), func() (any, error) {
		// Generation and time are taken before the reads, so an entry is
		// never trusted past a Forget or TTL that happened during them.
		a.mu.RLock()
		gen := a.gens[key.tenant]
		a.mu.RUnlock()
		loaded := a.now()
		e := &grantEntry{gen: gen, loadedAt: loaded}
		p, err := a.Store.Person(ctx, key.tenant, key.person)
		switch {
		case crewid.IsNotFound(err):
		case err != nil:
			return nil, err
		default:
			roles, err := a.tenantRoles(ctx, key.tenant, gen, loaded, false)
			if err != nil {
				return nil, err
			}
			for _, id := range p.RoleIDs {
				if _, ok := roles[id]; !ok {
					// A role newer than the cached list: read them again.
					if roles, err = a.tenantRoles(ctx, key.tenant, gen, loaded, true); err != nil {
						return nil, err
					}
					break
				}
			}
			held := make([]crewid.Role, 0, len(p.RoleIDs))
			for _, id := range p.RoleIDs {
				if r, ok := roles[id]; ok {
					held = append(held, r)
				}
			}
			e.found = true
			e.grant = Grant{Kind: p.Kind, Name: p.Name, External: p.External, Active: p.Active}
			if p.Active {
				e.grant.Permissions = Effective(held, p.Overrides)
			}
			if p.External {
				for _, id := range restrictedForExternal {
					e.grant.Permissions.Remove(id)
				}
			}
		}
		a.mu.Lock()
		if len(a.cache) >= maxCachedGrants {
			clear(a.cache)
		}
		a.cache[key] = e
		a.mu.Unlock()
		return e, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*grantEntry), nil
}

// tenantRoles returns the tenant's roles by id, active or not, from the
// cache when fresh unless reload.
func (a *Authorizer) tenantRoles(ctx context.Context, tenantID int64, gen uint64, now time.Time, reload bool) (map[int64]crewid.Role, error) {
	a.mu.RLock()
	e := a.roles[tenantID]
	ok := !reload && e != nil && e.gen == gen && a.fresh(tenantID, e.gen, e.loadedAt, now)
	a.mu.RUnlock()
	if ok {
		return e.byID, nil
	}
	byID := map[int64]crewid.Role{}
	for page := 1; ; page++ {
		res, err := a.Store.Roles(ctx, tenantID, store.RoleQuery{ListQuery: store.ListQuery{Active: store.ActiveAny, Page: page, PageSize: 500}})
		if err != nil {
			return nil, err
		}
		for _, r := range res.Items {
			byID[r.ID] = r
		}
		if !res.HasMore || len(res.Items) == 0 {
			break
		}
	}
	a.mu.Lock()
	a.roles[tenantID] = &rolesEntry{byID: byID, gen: gen, loadedAt: now}
	a.mu.Unlock()
	return byID, nil
}
