package scim

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode"

	"crewid"
	"crewid/access"
	"crewid/org"
	"crewid/people"
	"crewid/store"
)

// Service provisions people and roles as a directory asks, through the
// people and org services, so that every profile rule holds and every
// change is recorded in history as made by the directory's application.
type Service struct {
	Store  store.Store
	People *people.Service
	Org    *org.Service
	Now    func() time.Time
}

// Page asks for one page of a list: StartIndex from 1, Count at most
// MaxResults (0 asks only for the total).
type Page struct {
	StartIndex int
	Count      int
}

// MaxResults is the largest page served, as ServiceProviderConfig says.
const MaxResults = store.MaxFilterLimit

// DefaultCount is the page size when a request gives none.
const DefaultCount = 100

// normalize applies RFC 7644's rules to paging parameters: a start index
// below 1 is 1, a negative count is 0.
func (p Page) normalize() Page {
	p.StartIndex = max(p.StartIndex, 1)
	p.Count = min(max(p.Count, 0), MaxResults)
	return p
}

// visible hides people the directory deleted while they stay inactive:
// crewid keeps them and their history, SCIM no longer shows them.
var visible = store.Not{Filter: store.And{
	store.Compare{Attr: store.PersonDeleted, Op: store.OpEq, Value: true},
	store.Compare{Attr: store.PersonActive, Op: store.OpEq, Value: false},
}}

func hidden(p crewid.Person, d store.PersonDirectory) bool { return d.Deleted && !p.Active }

// ListUsers returns the visible people matching a SCIM filter.
func (s *Service) ListUsers(ctx context.Context, tenantID int64, filterText string, page Page, base string) (ListResponse[User], error) {
	f, err := ParseUserFilter(filterText)
	if err != nil {
		return ListResponse[User]{}, err
	}
	cond := store.Filter(visible)
	if f != nil {
		cond = store.And{f, visible}
	}
	page = page.normalize()
	found, err := s.Store.PeopleByFilter(ctx, tenantID, cond, store.FilterQuery{Offset: page.StartIndex - 1, Limit: page.Count})
	if crewid.CodeOf(err) == crewid.Invalid {
		// The store refuses values no attribute can hold (a NUL byte).
		var e *crewid.Error
		if errors.As(err, &e) {
			return ListResponse[User]{}, &Error{Type: TypeInvalidFilter, Err: e}
		}
	}
	if err != nil {
		return ListResponse[User]{}, err
	}
	users, err := s.users(ctx, s.Store, tenantID, found.Items, base)
	if err != nil {
		return ListResponse[User]{}, err
	}
	return ListResponse[User]{Schemas: []string{SchemaListResponse}, TotalResults: found.Total,
		StartIndex: page.StartIndex, ItemsPerPage: len(users), Resources: users}, nil
}

// GetUser returns one visible person as a User.
func (s *Service) GetUser(ctx context.Context, tenantID int64, id string, base string) (User, error) {
	p, dir, err := s.visiblePerson(ctx, s.Store, tenantID, id)
	if err != nil {
		return User{}, err
	}
	return s.user(ctx, s.Store, p, dir, base)
}

func (s *Service) visiblePerson(ctx context.Context, r store.Reader, tenantID int64, id string) (crewid.Person, store.PersonDirectory, error) {
	personID, ok := parseID(id)
	if !ok {
		return crewid.Person{}, store.PersonDirectory{}, crewid.ErrNotFound
	}
	p, err := r.Person(ctx, tenantID, personID)
	if err != nil {
		return crewid.Person{}, store.PersonDirectory{}, err
	}
	dirs, err := r.PeopleDirectory(ctx, tenantID, []int64{personID})
	if err != nil {
		return crewid.Person{}, store.PersonDirectory{}, err
	}
	if hidden(p, dirs[personID]) {
		return crewid.Person{}, store.PersonDirectory{}, crewid.ErrNotFound
	}
	return p, dirs[personID], nil
}

// users maps people to Users, reading their directory data and role names
// in one go. List entries carry no meta.version (see user).
func (s *Service) users(ctx context.Context, r store.Reader, tenantID int64, found []crewid.Person, base string) ([]User, error) {
	ids := make([]int64, len(found))
	for i, p := range found {
		ids[i] = p.ID
	}
	dirs, err := r.PeopleDirectory(ctx, tenantID, ids)
	if err != nil {
		return nil, err
	}
	roles, err := roleNames(ctx, r, tenantID)
	if err != nil {
		return nil, err
	}
	out := make([]User, len(found))
	for i, p := range found {
		out[i] = toUser(p, dirs[p.ID], roles, base)
	}
	return out, nil
}

func (s *Service) user(ctx context.Context, r store.Reader, p crewid.Person, dir store.PersonDirectory, base string) (User, error) {
	roles, err := roleNames(ctx, r, p.TenantID)
	if err != nil {
		return User{}, err
	}
	u := toUser(p, dir, roles, base)
	// Only a single User carries its version (and ETag): hashing every
	// User of a list would cost more than the list itself.
	u.Meta.Version = version(u)
	return u, nil
}

// roleNames reads the names of the tenant's roles (a tenant has tens).
func roleNames(ctx context.Context, r store.Reader, tenantID int64) (map[int64]string, error) {
	roles, err := allRoles(ctx, r, tenantID)
	if err != nil {
		return nil, err
	}
	names := make(map[int64]string, len(roles))
	for _, role := range roles {
		names[role.ID] = role.Name
	}
	return names, nil
}

func allRoles(ctx context.Context, r store.Reader, tenantID int64) ([]crewid.Role, error) {
	var out []crewid.Role
	for page := 1; ; page++ {
		found, err := r.Roles(ctx, tenantID, store.RoleQuery{ListQuery: store.ListQuery{
			Active: store.ActiveAny, Page: page, PageSize: 500}})
		if err != nil {
			return nil, err
		}
		out = append(out, found.Items...)
		if !found.HasMore {
			return out, nil
		}
	}
}

// userName is the login, else what the store's userName attribute falls
// back to (see store.PersonUserName).
func userName(p crewid.Person) string {
	switch {
	case p.Account.Login != "":
		return p.Account.Login
	case p.Email != "":
		return p.Email
	case p.MobilePhone != "":
		return p.MobilePhone
	}
	return formatID(p.ID)
}

// toUser maps a person to a User. base is the URL of the SCIM service, for
// locations.
func toUser(p crewid.Person, dir store.PersonDirectory, roles map[int64]string, base string) User {
	u := User{
		Schemas:     []string{SchemaUser, SchemaEnterpriseUser, SchemaCrewidUser},
		ID:          formatID(p.ID),
		ExternalID:  dir.ExternalID,
		UserName:    userName(p),
		Name:        &Name{Formatted: p.Name, GivenName: dir.GivenName, FamilyName: dir.FamilyName},
		DisplayName: p.Name,
		Active:      boolPtr(p.Active),
		Emails:      []MultiValue{},
		Groups:      []Reference{},
	}
	if p.Email != "" {
		u.Emails = append(u.Emails, MultiValue{Value: Text(p.Email), Type: "work", Primary: true})
	}
	if p.MobilePhone != "" {
		u.PhoneNumbers = append(u.PhoneNumbers, MultiValue{Value: Text(p.MobilePhone), Type: "mobile"})
	}
	if p.OfficePhone != "" {
		u.PhoneNumbers = append(u.PhoneNumbers, MultiValue{Value: Text(p.OfficePhone), Type: "work"})
	}
	for _, id := range p.RoleIDs {
		u.Groups = append(u.Groups, Reference{Value: Text(formatID(id)), Display: roles[id],
			Ref: base + "/Groups/" + formatID(id), Type: "direct"})
	}
	u.Enterprise = &EnterpriseUser{EmployeeNumber: dir.EmployeeNumber}
	if p.ManagerID != 0 {
		u.Enterprise.Manager = &Reference{Value: Text(formatID(p.ManagerID)), Ref: base + "/Users/" + formatID(p.ManagerID)}
	}
	ext := &CrewidUser{Type: string(p.Kind), Positions: slices.Clone(p.Positions), LicenseType: string(p.LicenseType),
		Team: p.TeamName, AADUserID: p.AADUserID}
	if p.Kind == crewid.KindTechnician {
		ext.MobileAccessEnabled = boolPtr(p.MobileAccessEnabled)
	}
	if p.BusinessUnitID != 0 {
		ext.BusinessUnitID = Text(formatID(p.BusinessUnitID))
	}
	u.Crewid = ext
	u.Meta = &Meta{ResourceType: "User", Created: formatTime(p.CreatedOn), LastModified: formatTime(p.ModifiedOn),
		Location: base + "/Users/" + u.ID}
	return u
}

// desiredUser is what a User asks of a person, in crewid's terms.
type desiredUser struct {
	kind           crewid.Kind
	userName       string
	name           string
	email          string
	mobile, office string
	active         bool
	managerID      int64
	positions      []string
	mobileAccess   *bool
	license        crewid.LicenseType
	businessUnitID int64
	team           string
	aadUserID      string
	dir            store.PersonDirectory
	// hasEnterprise and hasCrewid say whether the User carried the
	// extension; without it, what it holds is kept as it is.
	hasEnterprise, hasCrewid bool
}

// readUser checks a User sent by a directory and reads what it asks.
// before is the person as the directory last saw it (nil on creation):
// the name of record follows whichever of displayName, name.formatted
// and the name parts the directory changed.
func readUser(u User, before *User) (desiredUser, error) {
	d := desiredUser{userName: strings.TrimSpace(u.UserName), active: true, dir: store.PersonDirectory{
		ExternalID: strings.TrimSpace(u.ExternalID),
	}}
	if d.userName == "" {
		return d, invalidValue("userName is required.")
	}
	if u.Active != nil {
		d.active = bool(*u.Active)
	}
	var given, family, formatted string
	if u.Name != nil {
		given, family, formatted = strings.TrimSpace(u.Name.GivenName), strings.TrimSpace(u.Name.FamilyName), strings.TrimSpace(u.Name.Formatted)
	}
	d.dir.GivenName, d.dir.FamilyName = given, family
	for field, v := range map[string]string{"externalId": d.dir.ExternalID, "name.givenName": given, "name.familyName": family} {
		if err := checkText(field, v); err != nil {
			return d, err
		}
	}
	display := strings.TrimSpace(u.DisplayName)
	joined := strings.TrimSpace(given + " " + family)
	switch {
	case before == nil:
		d.name = firstNonEmpty(display, formatted, joined, d.userName)
	case display != "" && display != before.DisplayName:
		d.name = display
	case formatted != "" && (before.Name == nil || formatted != before.Name.Formatted):
		d.name = formatted
	case joined != "" && (before.Name == nil || given != before.Name.GivenName || family != before.Name.FamilyName):
		d.name = joined
	default:
		d.name = firstNonEmpty(display, formatted, joined, before.DisplayName)
	}

	d.email = pickValue(u.Emails, "work", true)
	if d.email == "" && strings.Contains(d.userName, "@") {
		// Directories that send no email usually name users by it.
		if e, err := people.NormalizeEmail(d.userName); err == nil {
			d.email = e
		}
	} else if e, err := people.NormalizeEmail(d.email); err == nil {
		d.email = e
	}
	d.mobile = normalizePhone(pickValue(u.PhoneNumbers, "mobile", false))
	d.office = normalizePhone(pickTyped(u.PhoneNumbers, "work"))

	if ent := u.Enterprise; ent != nil {
		d.hasEnterprise = true
		d.dir.EmployeeNumber = strings.TrimSpace(ent.EmployeeNumber)
		if err := checkText("employeeNumber", d.dir.EmployeeNumber); err != nil {
			return d, err
		}
		if ent.Manager != nil && strings.TrimSpace(string(ent.Manager.Value)) != "" {
			id, ok := parseID(string(ent.Manager.Value))
			if !ok {
				return d, invalidValue("The manager %q is not a User of this service.", ent.Manager.Value)
			}
			d.managerID = id
		}
	}
	d.kind = crewid.KindEmployee
	if ext := u.Crewid; ext != nil {
		d.hasCrewid = true
		if ext.Type != "" {
			k, ok := parseKind(ext.Type)
			if !ok {
				return d, invalidValue("type must be Employee or Technician.")
			}
			d.kind = k
		}
		d.positions = ext.Positions
		if ext.MobileAccessEnabled != nil {
			v := bool(*ext.MobileAccessEnabled)
			d.mobileAccess = &v
		}
		if ext.LicenseType != "" {
			l, ok := parseLicense(ext.LicenseType)
			if !ok {
				return d, invalidValue("licenseType must be ManagedTechnician, NonManagedTechnician or ManagedInstaller.")
			}
			d.license = l
		}
		if strings.TrimSpace(string(ext.BusinessUnitID)) != "" {
			id, ok := parseID(string(ext.BusinessUnitID))
			if !ok {
				return d, invalidValue("businessUnitId must be the id of a business unit.")
			}
			d.businessUnitID = id
		}
		d.team = strings.TrimSpace(ext.Team)
		d.aadUserID = strings.TrimSpace(ext.AADUserID)
	}
	return d, nil
}

// maxText bounds the directory's own strings, as the profile's are.
const maxText = 255

// checkText refuses what no text column may hold: control characters
// (NUL among them), text that was not valid UTF-8, and overlong values.
// The profile's own fields are checked by the people rules.
func checkText(field, s string) error {
	if len(s) > maxText {
		return invalidValue("%s is longer than %d bytes.", field, maxText)
	}
	for _, r := range s {
		if r == unicode.ReplacementChar || unicode.IsControl(r) {
			return invalidValue("%s contains characters that are not allowed.", field)
		}
	}
	return nil
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// pickValue chooses the value of a multi-valued attribute: the primary
// one, else the one of the wanted type, else (when anyType) the first.
func pickValue(values []MultiValue, wantType string, anyType bool) string {
	for _, v := range values {
		if v.Primary && strings.TrimSpace(string(v.Value)) != "" {
			return strings.TrimSpace(string(v.Value))
		}
	}
	if s := pickTyped(values, wantType); s != "" || !anyType {
		return s
	}
	for _, v := range values {
		if s := strings.TrimSpace(string(v.Value)); s != "" {
			return s
		}
	}
	return ""
}

func pickTyped(values []MultiValue, wantType string) string {
	for _, v := range values {
		if strings.EqualFold(v.Type, wantType) && strings.TrimSpace(string(v.Value)) != "" {
			return strings.TrimSpace(string(v.Value))
		}
	}
	return ""
}

// normalizePhone puts a number in the form the store keeps, so that an
// unchanged number sent in another format is not a change; a number that
// does not parse is left for the people rules to refuse.
func normalizePhone(s string) string {
	if n, err := people.NormalizePhone("phoneNumber", s); err == nil {
		return n
	}
	return s
}

// apply sets on p the profile fields a User carries. Activation is not
// among them: it goes through the people service's own steps. An email
// is never removed (only an operator changes one), and an extension the
// User does not carry leaves its fields alone: directories that know
// nothing of crewid's extension send Users without it.
func (d desiredUser) apply(p *crewid.Person) {
	p.Name = d.name
	if d.email != "" {
		p.Email = d.email
	}
	if d.hasEnterprise {
		p.ManagerID = d.managerID
	}
	if d.hasCrewid {
		p.Positions = slices.Clone(d.positions)
		p.BusinessUnitID = d.businessUnitID
		p.AADUserID = d.aadUserID
	}
	if p.Kind == crewid.KindTechnician {
		// A technician has one number, for SMS; a directory may call it
		// mobile or work.
		p.MobilePhone = firstNonEmpty(d.mobile, d.office)
		if d.hasCrewid {
			p.TeamName = d.team
			if d.mobileAccess != nil {
				p.MobileAccessEnabled = *d.mobileAccess
			}
			if d.license.Valid() {
				p.LicenseType = d.license
			}
		}
	} else {
		p.MobilePhone, p.OfficePhone = d.mobile, d.office
	}
	// The userName is the login, unless it is simply the email (or, for
	// a person without either, the mobile number) it falls back to.
	if p.Account.Login != "" || !strings.EqualFold(d.userName, userName(*p)) {
		p.Account.Login = d.userName
	}
}

// directory is the directory data d asks for, keeping what an absent
// enterprise extension holds.
func (d desiredUser) directory(before store.PersonDirectory) store.PersonDirectory {
	dir := d.dir
	if !d.hasEnterprise {
		dir.EmployeeNumber = before.EmployeeNumber
	}
	dir.Deleted = before.Deleted
	return dir
}

// defaultRole is the built-in role a new person of kind gets, and keeps
// when a directory takes away their last group: the least one of the kind.
func defaultRole(ctx context.Context, r store.Reader, tenantID int64, kind crewid.Kind) (int64, error) {
	key := access.KeyOfficeStaff
	if kind == crewid.KindTechnician {
		key = access.KeyTechnician
	}
	roles, err := allRoles(ctx, r, tenantID)
	if err != nil {
		return 0, err
	}
	for _, role := range roles {
		if role.BuiltIn == key {
			return role.ID, nil
		}
	}
	return 0, crewid.Errorf(crewid.Invalid, "The tenant has no built-in %s role to give new people.", key)
}
