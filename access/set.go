package access

import (
	"fmt"
	"strings"

	"crewid"
)

// Set is a set of catalog permissions, one bit per catalog index. It is a
// small value (no pointers): copy it freely, compare it with ==, keep it in
// a session. The zero Set is empty.
type Set struct {
	bits [(maxPermissions + 63) / 64]uint64
}

// all holds every catalog permission.
var all = func() Set {
	var s Set
	for i := range catalog {
		s.bits[i>>6] |= 1 << (uint(i) & 63)
	}
	return s
}()

// All returns the set of every catalog permission.
func All() Set { return all }

// NewSet returns the set of the given ids; unknown ids are ignored.
func NewSet(ids ...int64) Set {
	var s Set
	for _, id := range ids {
		s.Add(id)
	}
	return s
}

// Has reports whether s holds permission id. Unknown ids are never held.
func (s Set) Has(id int64) bool {
	if uint64(id) >= uint64(len(indexByID)) {
		return false
	}
	i := uint(indexByID[id])
	if i == 0 {
		return false
	}
	i--
	return s.bits[i>>6]&(1<<(i&63)) != 0
}

// openedByAdminAccess are the permissions Admin Access stands in for: the
// settings it opens, as its catalog entry says. Holding one of them alone
// is enough for that setting.
var openedByAdminAccess = NewSet(PermManageRoles, PermManageBusinessUnits, PermManageTagTypes,
	PermManageCustomFields, PermViewHistory, PermManageWebhooks, PermManageTeamsZones)

// Allows reports whether a person holding s may do what perm permits: they
// hold perm, or perm is a setting Admin Access opens and they hold that.
func (s Set) Allows(perm int64) bool {
	return s.Has(perm) || OpenedByAdminAccess(perm) && s.Has(PermAdminAccess)
}

// OpenedByAdminAccess reports whether Admin Access stands in for perm.
func OpenedByAdminAccess(perm int64) bool { return openedByAdminAccess.Has(perm) }

// HasAny reports whether s holds at least one of ids.
func (s Set) HasAny(ids ...int64) bool {
	for _, id := range ids {
		if s.Has(id) {
			return true
		}
	}
	return false
}

// Add puts id in s; unknown ids are ignored.
func (s *Set) Add(id int64) {
	if i, ok := index(id); ok {
		s.bits[i>>6] |= 1 << (uint(i) & 63)
	}
}

// Remove takes id out of s.
func (s *Set) Remove(id int64) {
	if i, ok := index(id); ok {
		s.bits[i>>6] &^= 1 << (uint(i) & 63)
	}
}

// Union returns the permissions in s or t.
func (s Set) Union(t Set) Set {
	for w := range s.bits {
		s.bits[w] |= t.bits[w]
	}
	return s
}

// Minus returns the permissions in s and not in t.
func (s Set) Minus(t Set) Set {
	for w := range s.bits {
		s.bits[w] &^= t.bits[w]
	}
	return s
}

// administrative are the permissions over crewid itself: its settings,
// its people and their accounts, its integrations. Whoever holds one can
// change who may do what; the field sections only do the trade's work.
var administrative = func() Set {
	var s Set
	for _, p := range catalog {
		switch p.Section {
		case SectionSettings, SectionPeople, SectionIntegrations:
			s.Add(p.ID)
		}
	}
	return s
}()

// Administrative returns the permissions of s over crewid itself (the
// Settings, People and Integrations sections).
func (s Set) Administrative() Set {
	for w := range s.bits {
		s.bits[w] &= administrative.bits[w]
	}
	return s
}

// Names lists the permissions of s by name, quoted and comma-separated,
// for messages.
func (s Set) Names() string {
	names := make([]string, 0, s.Len())
	for _, id := range s.IDs() {
		perm, _ := PermissionByID(id)
		names = append(names, fmt.Sprintf("%q", perm.Name))
	}
	return strings.Join(names, ", ")
}

// Empty reports whether s holds nothing.
func (s Set) Empty() bool { return s == Set{} }

// Len returns how many permissions s holds.
func (s Set) Len() int {
	n := 0
	for i := range catalog {
		if s.bits[i>>6]&(1<<(uint(i)&63)) != 0 {
			n++
		}
	}
	return n
}

// IDs returns the ids in s in ascending order (catalog order). It returns a
// non-nil slice, so an empty set encodes as [] rather than null.
func (s Set) IDs() []int64 {
	out := make([]int64, 0, s.Len())
	for i, p := range catalog {
		if s.bits[i>>6]&(1<<(uint(i)&63)) != 0 {
			out = append(out, p.ID)
		}
	}
	return out
}

// Effective computes a person's permissions: the union of the permissions
// of their active roles, then each override in order (Granted adds the
// permission, otherwise it is removed; a later override of the same id wins).
// Inactive roles count for nothing. Unknown ids are ignored. The built-in
// Administrator role, when active, always contributes the whole catalog,
// so permissions added to the catalog later reach administrators at once.
//
// Effective does not check that a role applies to the person's kind; that
// is ValidateAssignment's job when roles are given.
func Effective(roles []crewid.Role, overrides []crewid.PermissionOverride) Set {
	var s Set
	for i := range roles {
		s = s.Union(RoleSet(roles[i]))
	}
	for _, o := range overrides {
		if o.Granted {
			s.Add(o.PermissionID)
		} else {
			s.Remove(o.PermissionID)
		}
	}
	return s
}

// RoleSet returns what role r grants: nothing when it is inactive, the
// whole catalog for the built-in Administrator role, else its permissions.
func RoleSet(r crewid.Role) Set {
	if !r.Active {
		return Set{}
	}
	if r.BuiltIn == KeyAdministrator {
		return all
	}
	return NewSet(r.Permissions...)
}
