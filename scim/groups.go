package scim

import (
	"context"
	"slices"
	"strings"
	"time"

	filter "github.com/scim2/filter-parser/v2"

	"crewid"
	"crewid/history"
	"crewid/store"
)

// Groups are roles: displayName is the role's name, members are the
// people holding it. A tenant has tens of roles, so Groups are filtered in
// memory; membership is read from the store.

// groupFacts is what a group filter looks at.
type groupFacts struct {
	role       crewid.Role
	externalID string
	// holders are the roles of the people a filter names as members.
	holders map[int64][]int64
}

// groupFilter is a compiled group filter; members lists the people whose
// roles it needs.
type groupFilter struct {
	match   func(groupFacts) bool
	members []int64
}

// parseGroupFilter compiles a SCIM filter on Groups: id, externalId,
// displayName, meta.created, meta.lastModified, and members[value eq "id"]
// (or members.value eq "id").
func parseGroupFilter(s string) (groupFilter, error) {
	expr, err := parseFilter(s)
	if err != nil {
		return groupFilter{}, err
	}
	if expr == nil {
		return groupFilter{match: func(groupFacts) bool { return true }}, nil
	}
	var gf groupFilter
	gf.match, err = compileGroup(expr, &gf.members)
	return gf, err
}

func compileGroup(e filter.Expression, members *[]int64) (func(groupFacts) bool, error) {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		left, err := compileGroup(e.Left, members)
		if err != nil {
			return nil, err
		}
		right, err := compileGroup(e.Right, members)
		if err != nil {
			return nil, err
		}
		if e.Operator == filter.OR {
			return func(g groupFacts) bool { return left(g) || right(g) }, nil
		}
		return func(g groupFacts) bool { return left(g) && right(g) }, nil
	case *filter.NotExpression:
		inner, err := compileGroup(e.Expression, members)
		if err != nil {
			return nil, err
		}
		return func(g groupFacts) bool { return !inner(g) }, nil
	case *filter.ValuePath:
		if !strings.EqualFold(e.AttributePath.AttributeName, "members") || e.AttributePath.SubAttribute != nil {
			return nil, invalidFilter("crewid cannot filter Groups on %q.", e.AttributePath.String())
		}
		return compileMember(e.ValueFilter, members)
	case *filter.AttributeExpression:
		p := e.AttributePath
		if namespaceOf(p.URIPrefix, SchemaGroup) != nsCore {
			return nil, invalidFilter("unknown schema %q.", *p.URIPrefix)
		}
		key := pathKey(nsCore, p.AttributeName, p.SubAttribute)
		if key == "members" || key == "members.value" {
			return compileMember(&filter.AttributeExpression{AttributePath: filter.AttributePath{AttributeName: "value"},
				Operator: e.Operator, CompareValue: e.CompareValue}, members)
		}
		get, ok := groupAttrs[key]
		if !ok {
			return nil, invalidFilter("crewid cannot filter Groups on %q.", p.String())
		}
		if _, err := compareConstant("", e.Operator, e.CompareValue); err != nil && e.Operator != filter.PR {
			return nil, err
		}
		op, want := e.Operator, e.CompareValue
		return func(g groupFacts) bool {
			have := get(g)
			if op == filter.PR {
				return have != ""
			}
			holds, err := compareConstant(have, op, want)
			return err == nil && holds
		}, nil
	}
	return nil, invalidFilter("unsupported expression.")
}

// groupAttrs read a group's string attributes; times in RFC 3339 compare
// in order as text.
var groupAttrs = map[string]func(groupFacts) string{
	"id":                func(g groupFacts) string { return formatID(g.role.ID) },
	"externalid":        func(g groupFacts) string { return g.externalID },
	"displayname":       func(g groupFacts) string { return g.role.Name },
	"meta.created":      func(g groupFacts) string { return formatTime(g.role.CreatedOn) },
	"meta.lastmodified": func(g groupFacts) string { return formatTime(g.role.ModifiedOn) },
}

// compileMember handles members[value eq "id"]: the person holds the role.
func compileMember(f filter.Expression, members *[]int64) (func(groupFacts) bool, error) {
	e, ok := f.(*filter.AttributeExpression)
	if !ok || !strings.EqualFold(e.AttributePath.AttributeName, "value") || e.Operator != filter.EQ {
		return nil, invalidFilter(`crewid filters Groups on members only as members[value eq "id"].`)
	}
	id, ok := idValue(e.CompareValue)
	if !ok {
		if _, isString := e.CompareValue.(string); isString {
			return func(groupFacts) bool { return false }, nil // no User has such an id
		}
		return nil, invalidFilter("members[value eq ...] needs a User id.")
	}
	*members = append(*members, id)
	return func(g groupFacts) bool { return slices.Contains(g.holders[id], g.role.ID) }, nil
}

// ListGroups returns the roles matching a SCIM filter, in id order.
// withMembers false leaves members out (excludedAttributes=members).
func (s *Service) ListGroups(ctx context.Context, tenantID int64, filterText string, page Page, withMembers bool, base string) (ListResponse[Group], error) {
	gf, err := parseGroupFilter(filterText)
	if err != nil {
		return ListResponse[Group]{}, err
	}
	page = page.normalize()
	roles, err := allRoles(ctx, s.Store, tenantID)
	if err != nil {
		return ListResponse[Group]{}, err
	}
	slices.SortFunc(roles, func(a, b crewid.Role) int { return int(a.ID - b.ID) })
	externalIDs, err := s.Store.RoleExternalIDs(ctx, tenantID)
	if err != nil {
		return ListResponse[Group]{}, err
	}
	holders := map[int64][]int64{}
	for _, id := range gf.members {
		p, _, err := s.visiblePerson(ctx, s.Store, tenantID, formatID(id))
		if err == nil {
			holders[id] = p.RoleIDs
		} else if !crewid.IsNotFound(err) {
			return ListResponse[Group]{}, err
		}
	}
	var matched []crewid.Role
	for _, r := range roles {
		if gf.match(groupFacts{role: r, externalID: externalIDs[r.ID], holders: holders}) {
			matched = append(matched, r)
		}
	}
	out := ListResponse[Group]{Schemas: []string{SchemaListResponse}, TotalResults: len(matched),
		StartIndex: page.StartIndex, Resources: []Group{}}
	from := min(page.StartIndex-1, len(matched))
	for _, r := range matched[from:min(from+page.Count, len(matched))] {
		g, err := s.group(ctx, s.Store, r, externalIDs[r.ID], withMembers, false, base)
		if err != nil {
			return ListResponse[Group]{}, err
		}
		out.Resources = append(out.Resources, g)
	}
	out.ItemsPerPage = len(out.Resources)
	return out, nil
}

// GetGroup returns one role as a Group.
func (s *Service) GetGroup(ctx context.Context, tenantID int64, id string, withMembers bool, base string) (Group, error) {
	r, ext, err := findRole(ctx, s.Store, tenantID, id)
	if err != nil {
		return Group{}, err
	}
	return s.group(ctx, s.Store, r, ext, withMembers, true, base)
}

func findRole(ctx context.Context, r store.Reader, tenantID int64, id string) (crewid.Role, string, error) {
	roleID, ok := parseID(id)
	if !ok {
		return crewid.Role{}, "", crewid.ErrNotFound
	}
	role, err := r.Role(ctx, tenantID, roleID)
	if err != nil {
		return crewid.Role{}, "", err
	}
	ext, err := r.RoleExternalIDs(ctx, tenantID)
	if err != nil {
		return crewid.Role{}, "", err
	}
	return role, ext[roleID], nil
}

// members lists the visible people holding a role.
func members(ctx context.Context, r store.Reader, tenantID, roleID int64) ([]crewid.Person, error) {
	cond := store.And{store.Compare{Attr: store.PersonRoleID, Op: store.OpEq, Value: roleID}, visible}
	var out []crewid.Person
	for {
		page, err := r.PeopleByFilter(ctx, tenantID, cond, store.FilterQuery{Offset: len(out), Limit: store.MaxFilterLimit})
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if !page.HasMore || len(page.Items) == 0 {
			return out, nil
		}
	}
}

// group maps a role to a Group. A single Group (versioned) carries its
// version, which covers the members even when they are left out, so that
// it tells whether the group changed; list entries carry none, and read
// members only when they show them.
func (s *Service) group(ctx context.Context, r store.Reader, role crewid.Role, externalID string, withMembers, versioned bool, base string) (Group, error) {
	g := Group{Schemas: []string{SchemaGroup}, ID: formatID(role.ID), ExternalID: externalID, DisplayName: role.Name}
	g.Meta = &Meta{ResourceType: "Group", Created: formatTime(role.CreatedOn), LastModified: formatTime(role.ModifiedOn),
		Location: base + "/Groups/" + g.ID}
	if !withMembers && !versioned {
		return g, nil
	}
	held, err := members(ctx, r, role.TenantID, role.ID)
	if err != nil {
		return Group{}, err
	}
	g.Members = make([]Reference, len(held))
	for i, p := range held {
		g.Members[i] = Reference{Value: Text(formatID(p.ID)), Display: p.Name, Ref: base + "/Users/" + formatID(p.ID), Type: "User"}
	}
	if versioned {
		g.Meta.Version = version(g)
	}
	if !withMembers {
		g.Members = nil
	}
	return g, nil
}

// CreateGroup adds a custom role named displayName, for every kind of
// person and with no permissions (an administrator grants them), and gives
// it to the members.
func (s *Service) CreateGroup(ctx context.Context, actor crewid.Actor, tenantID int64, g Group, base string) (Group, error) {
	name := strings.TrimSpace(g.DisplayName)
	if name == "" {
		return Group{}, invalidValue("displayName is required.")
	}
	if err := checkText("externalId", strings.TrimSpace(g.ExternalID)); err != nil {
		return Group{}, err
	}
	wanted, err := memberIDs(g.Members)
	if err != nil {
		return Group{}, err
	}
	var out Group
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		role, err := s.Org.CreateRoleTx(ctx, tx, actor, tenantID, crewid.Role{Name: name,
			EmployeeType: crewid.EmployeeTypeAll, Active: true, Permissions: []int64{}})
		if err != nil {
			return err
		}
		if err := s.setRoleExternalID(ctx, tx, actor, role, "", strings.TrimSpace(g.ExternalID)); err != nil {
			return err
		}
		if err := s.setMembers(ctx, tx, actor, role, nil, wanted); err != nil {
			return err
		}
		out, err = s.regroup(ctx, tx, tenantID, role.ID, base)
		return err
	})
	return out, err
}

// ReplaceGroup replaces a Group (PUT): name, externalId and members.
func (s *Service) ReplaceGroup(ctx context.Context, actor crewid.Actor, tenantID int64, id string, g Group, base string) (Group, error) {
	return s.changeGroup(ctx, actor, tenantID, id, base, func(Group) (Group, error) { return g, nil })
}

// PatchGroup applies PATCH operations to a Group.
func (s *Service) PatchGroup(ctx context.Context, actor crewid.Actor, tenantID int64, id string, ops []PatchOp, base string) (Group, error) {
	return s.changeGroup(ctx, actor, tenantID, id, base, func(current Group) (Group, error) {
		var patched Group
		err := patchResource(current, ops, SchemaGroup, &patched)
		return patched, err
	})
}

func (s *Service) changeGroup(ctx context.Context, actor crewid.Actor, tenantID int64, id, base string, change func(Group) (Group, error)) (Group, error) {
	var out Group
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		role, ext, err := findRole(ctx, tx, tenantID, id)
		if err != nil {
			return err
		}
		current, err := s.group(ctx, tx, role, ext, true, false, base)
		if err != nil {
			return err
		}
		wanted, err := change(current)
		if err != nil {
			return err
		}
		name := strings.TrimSpace(wanted.DisplayName)
		if name == "" {
			return invalidValue("displayName is required.")
		}
		if err := checkText("externalId", strings.TrimSpace(wanted.ExternalID)); err != nil {
			return err
		}
		before, _ := memberIDs(current.Members)
		after, err := memberIDs(wanted.Members)
		if err != nil {
			return err
		}
		if name != role.Name {
			if role, err = s.Org.UpdateRoleTx(ctx, tx, actor, tenantID, role.ID, func(r *crewid.Role) error {
				r.Name = name
				return nil
			}); err != nil {
				return err
			}
		}
		if err := s.setRoleExternalID(ctx, tx, actor, role, ext, strings.TrimSpace(wanted.ExternalID)); err != nil {
			return err
		}
		if err := s.setMembers(ctx, tx, actor, role, before, after); err != nil {
			return err
		}
		out, err = s.regroup(ctx, tx, tenantID, role.ID, base)
		return err
	})
	return out, err
}

// DeleteGroup takes the role from everyone holding it and deletes it.
// Built-in roles cannot be deleted.
func (s *Service) DeleteGroup(ctx context.Context, actor crewid.Actor, tenantID int64, id string) error {
	return s.Store.Update(ctx, func(tx store.Tx) error {
		role, ext, err := findRole(ctx, tx, tenantID, id)
		if err != nil {
			return err
		}
		if role.BuiltIn != "" {
			return scimError(crewid.Invalid, TypeMutability, "%q is a built-in role and cannot be deleted.", role.Name)
		}
		holders, err := tx.PeopleByFilter(ctx, tenantID, store.Compare{Attr: store.PersonRoleID, Op: store.OpEq, Value: role.ID},
			store.FilterQuery{Limit: store.MaxFilterLimit})
		if err != nil {
			return err
		}
		ids := make([]int64, len(holders.Items))
		for i, p := range holders.Items {
			ids[i] = p.ID
		}
		if holders.HasMore {
			return scimError(crewid.Invalid, TypeTooMany, "The group has more than %d members; remove members first.", store.MaxFilterLimit)
		}
		if err := s.setMembers(ctx, tx, actor, role, ids, nil); err != nil {
			return err
		}
		if err := s.setRoleExternalID(ctx, tx, actor, role, ext, ""); err != nil {
			return err
		}
		return s.Org.DeleteRoleTx(ctx, tx, actor, tenantID, role.ID)
	})
}

// setMembers gives the role to the people added and takes it from those
// removed. A person left without any role gets the default role of their
// kind, since everyone needs one.
func (s *Service) setMembers(ctx context.Context, tx store.Tx, actor crewid.Actor, role crewid.Role, before, after []int64) error {
	for _, id := range after {
		if slices.Contains(before, id) {
			continue
		}
		p, _, err := s.visiblePerson(ctx, tx, role.TenantID, formatID(id))
		if crewid.IsNotFound(err) {
			return invalidValue("Member %d is not a User of this service.", id)
		} else if err != nil {
			return err
		}
		if slices.Contains(p.RoleIDs, role.ID) {
			continue
		}
		if _, err := s.People.UpdateTx(ctx, tx, actor, role.TenantID, p.Kind, p.ID, func(p *crewid.Person) error {
			p.RoleIDs = append(p.RoleIDs, role.ID)
			return nil
		}); err != nil {
			return err
		}
	}
	for _, id := range before {
		if slices.Contains(after, id) {
			continue
		}
		p, err := tx.Person(ctx, role.TenantID, id)
		if crewid.IsNotFound(err) {
			continue
		} else if err != nil {
			return err
		}
		if !slices.Contains(p.RoleIDs, role.ID) {
			continue
		}
		fallback, err := defaultRole(ctx, tx, role.TenantID, p.Kind)
		if err != nil {
			return err
		}
		if _, err := s.People.UpdateTx(ctx, tx, actor, role.TenantID, p.Kind, p.ID, func(p *crewid.Person) error {
			p.RoleIDs = slices.DeleteFunc(p.RoleIDs, func(r int64) bool { return r == role.ID })
			if len(p.RoleIDs) == 0 {
				p.RoleIDs = []int64{fallback}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// setRoleExternalID saves a role's external id, when it changes, with a
// "UserRole.DirectoryUpdated" event.
func (s *Service) setRoleExternalID(ctx context.Context, tx store.Tx, actor crewid.Actor, role crewid.Role, before, after string) error {
	if before == after {
		return nil
	}
	if err := tx.SetRoleExternalID(ctx, role.TenantID, role.ID, after); err != nil {
		return err
	}
	return history.Record(ctx, tx, s.now(), actor, history.Change{
		TenantID: role.TenantID, Type: "UserRole.DirectoryUpdated", RecordType: "UserRole", RecordID: role.ID,
		Before: map[string]string{"externalId": before}, After: map[string]string{"externalId": after},
	})
}

func (s *Service) now() time.Time { return s.Now().UTC() }

func (s *Service) regroup(ctx context.Context, tx store.Tx, tenantID, id int64, base string) (Group, error) {
	r, ext, err := findRole(ctx, tx, tenantID, formatID(id))
	if err != nil {
		return Group{}, err
	}
	return s.group(ctx, tx, r, ext, true, true, base)
}

// memberIDs reads the ids of members, without duplicates.
func memberIDs(refs []Reference) ([]int64, error) {
	var ids []int64
	for _, m := range refs {
		id, ok := parseID(string(m.Value))
		if !ok {
			return nil, invalidValue("Member %q is not a User of this service.", m.Value)
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}
