package access

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
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
// and kept for at most TTL, the tenant's roles likewise. A change made
// through this node is seen at once (Forget); one made on another node
// within TTL. Set the exported fields before first use.
//
// A check costs two lock-free map reads and no clock read: ages are
// counted in ticks of an epoch that a timer advances every TTL/2 while the
// Authorizer is in use (and that jumps past every entry when it wakes up
// after an idle spell).
type Authorizer struct {
	Store store.Store
	// Now is the clock of the events it records (nil: time.Now). Cache
	// ages are real time whatever it says.
	Now func() time.Time
	// TTL bounds the age of what is cached (0: DefaultGrantTTL).
	TTL time.Duration

	tenants   atomic.Pointer[map[int64]*tenantGrants] // copied on write: tenants are few and rarely new
	tenantsMu sync.Mutex
	group     singleflight.Group
	cached    atomic.Int64 // entries stored since the last sweep, to bound memory

	epoch atomic.Int64
	used  atomic.Bool // a check ran since the last tick
	armed atomic.Bool // the tick timer is set
}

// tenantGrants is what one tenant's people may do. Forget replaces both
// pointers, so a load that started before it stores into a map nobody reads.
type tenantGrants struct {
	people atomic.Pointer[peopleGrants]
	roles  atomic.Pointer[rolesEntry]
}

// peopleGrants maps person ids to their entries in an open-addressing
// table of atomic pointers: a lookup is a few atomic loads, with no lock
// and no write to shared memory, so checks on every core run side by side.
// Puts are serialised; growing copies the table, which lookups may keep
// reading for a moment (at worst they miss and load again).
type peopleGrants struct {
	mu    sync.Mutex
	n     int // entries, under mu
	table atomic.Pointer[[]atomic.Pointer[grantEntry]]
}

func newPeopleGrants() *peopleGrants {
	pg := &peopleGrants{}
	t := make([]atomic.Pointer[grantEntry], 16)
	pg.table.Store(&t)
	return pg
}

// slot is where the search for id starts in a table of size mask+1.
func slot(id int64, mask uint64) uint64 { return (uint64(id) * 0x9E3779B97F4A7C15 >> 20) & mask }

func (pg *peopleGrants) get(id int64) *grantEntry {
	t := *pg.table.Load()
	mask := uint64(len(t) - 1)
	for i := slot(id, mask); ; i = (i + 1) & mask {
		e := t[i].Load()
		if e == nil || e.person == id {
			return e
		}
	}
}

func (pg *peopleGrants) put(e *grantEntry) {
	pg.mu.Lock()
	defer pg.mu.Unlock()
	t := *pg.table.Load()
	if (pg.n+1)*2 > len(t) {
		bigger := make([]atomic.Pointer[grantEntry], len(t)*2)
		for i := range t {
			if old := t[i].Load(); old != nil {
				insert(bigger, old)
			}
		}
		pg.table.Store(&bigger)
		t = bigger
	}
	if insert(t, e) {
		pg.n++
	}
}

// insert stores e in t, replacing the entry of the same person, and
// reports whether it took a free slot.
func insert(t []atomic.Pointer[grantEntry], e *grantEntry) bool {
	mask := uint64(len(t) - 1)
	for i := slot(e.person, mask); ; i = (i + 1) & mask {
		old := t[i].Load()
		if old == nil || old.person == e.person {
			t[i].Store(e)
			return old == nil
		}
	}
}

type grantEntry struct {
	person int64
	grant  Grant
	found  bool
	epoch  int64
}

type rolesEntry struct {
	byID  map[int64]crewid.Role
	epoch int64
}

// maxCachedGrants bounds the cache; past it, every tenant's entries are
// dropped (they refill from the store at the cost of one read per person).
const maxCachedGrants = 100000

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

// currentEpoch returns the epoch, making sure the timer runs.
func (a *Authorizer) currentEpoch() int64 {
	if !a.used.Load() {
		a.used.Store(true)
		if a.armed.CompareAndSwap(false, true) {
			// Waking up: whatever was loaded before the idle spell is too old.
			a.epoch.Add(2)
			time.AfterFunc(a.ttl()/2, a.tick)
		}
	}
	return a.epoch.Load()
}

func (a *Authorizer) tick() {
	a.epoch.Add(1)
	if a.used.Swap(false) {
		time.AfterFunc(a.ttl()/2, a.tick)
		return
	}
	a.armed.Store(false)
	// A check between the Swap and the Store saw the timer still armed and
	// did not arm it: arm it for that check.
	if a.used.Load() && a.armed.CompareAndSwap(false, true) {
		time.AfterFunc(a.ttl()/2, a.tick)
	}
}

// fresh reports whether something loaded at epoch e may still be used: at
// most two ticks, one TTL, old.
func fresh(e, now int64) bool { return now-e <= 1 }

func (a *Authorizer) tenant(tenantID int64) *tenantGrants {
	if m := a.tenants.Load(); m != nil {
		if tg := (*m)[tenantID]; tg != nil {
			return tg
		}
	}
	a.tenantsMu.Lock()
	defer a.tenantsMu.Unlock()
	old := a.tenants.Load()
	if old != nil && (*old)[tenantID] != nil {
		return (*old)[tenantID]
	}
	m := make(map[int64]*tenantGrants, 1)
	if old != nil {
		for k, v := range *old {
			m[k] = v
		}
	}
	tg := &tenantGrants{}
	tg.people.Store(newPeopleGrants())
	m[tenantID] = tg
	a.tenants.Store(&m)
	return tg
}

// Resolve returns the person's grant: their effective permissions (their
// active roles' union with their overrides applied; nothing when they are
// inactive; never Admin Access or Generate API Application Key when they
// are external, whatever the data says). NotFound for an unknown person.
func (a *Authorizer) Resolve(ctx context.Context, tenantID, personID int64) (Grant, error) {
	e, err := a.entry(ctx, tenantID, personID)
	if err != nil {
		return Grant{}, err
	}
	if !e.found {
		return Grant{}, crewid.ErrNotFound
	}
	return e.grant, nil
}

func (a *Authorizer) entry(ctx context.Context, tenantID, personID int64) (*grantEntry, error) {
	now := a.currentEpoch()
	tg := a.tenant(tenantID)
	people := tg.people.Load()
	if e := people.get(personID); e != nil && fresh(e.epoch, now) {
		return e, nil
	}
	return a.load(ctx, tenantID, personID, tg, people, now)
}

// Allowed reports whether the person holds permission perm (AnyPerson:
// whether they are an active person of the tenant).
func (a *Authorizer) Allowed(ctx context.Context, tenantID, personID, perm int64) (bool, error) {
	e, err := a.entry(ctx, tenantID, personID)
	if err != nil || !e.found {
		return false, err
	}
	if perm == AnyPerson {
		return e.grant.Active, nil
	}
	return e.grant.Permissions.Has(perm), nil
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
	tg := a.tenant(tenantID)
	tg.people.Store(newPeopleGrants())
	tg.roles.Store(nil)
}

// load reads the person and computes their grant into people (the map of
// the tenant when the check began); concurrent misses for one person share
// one read.
func (a *Authorizer) load(ctx context.Context, tenantID, personID int64, tg *tenantGrants, people *peopleGrants, now int64) (*grantEntry, error) {
	v, err, _ := a.group.Do(strconv.FormatInt(tenantID, 10)+"/"+strconv.FormatInt(personID, 10), func() (any, error) {
		e := &grantEntry{person: personID, epoch: now}
		p, err := a.Store.Person(ctx, tenantID, personID)
		switch {
		case crewid.IsNotFound(err):
		case err != nil:
			return nil, err
		default:
			roles, err := a.tenantRoles(ctx, tenantID, tg, now, false)
			if err != nil {
				return nil, err
			}
			for _, id := range p.RoleIDs {
				if _, ok := roles[id]; !ok {
					// A role newer than the cached list: read them again.
					if roles, err = a.tenantRoles(ctx, tenantID, tg, now, true); err != nil {
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
		if a.cached.Add(1) > maxCachedGrants {
			a.cached.Store(0)
			if m := a.tenants.Load(); m != nil {
				for id := range *m {
					a.Forget(id)
				}
			}
		}
		people.put(e)
		return e, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*grantEntry), nil
}

// tenantRoles returns the tenant's roles by id, active or not, from the
// cache when fresh unless reload.
func (a *Authorizer) tenantRoles(ctx context.Context, tenantID int64, tg *tenantGrants, now int64, reload bool) (map[int64]crewid.Role, error) {
	if e := tg.roles.Load(); !reload && e != nil && fresh(e.epoch, now) {
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
	tg.roles.Store(&rolesEntry{byID: byID, epoch: now})
	return byID, nil
}
