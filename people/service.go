// Package people holds the rules of employee and technician profiles:
// required fields, per-kind uniqueness of email and mobile number, references
// to roles and other records, account set-up on creation, activation, and
// the account status shown for each person.
package people

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode"

	"crewid"
	"crewid/access"
	"crewid/accounts/password"
	"crewid/history"
	"crewid/store"
)

// Method is how a new person's sign-in account is set up.
type Method string

const (
	CreateLater            Method = "CreateLater"
	SendInvite             Method = "SendInvite"
	AssignLoginAndPassword Method = "AssignLoginAndPassword"
)

// AccountSetup is the account part of a creation request.
type AccountSetup struct {
	Method   Method
	Login    string
	Password string
	// OwnChoice marks a password the platform operator chose for the
	// first administrator: no change is demanded at first sign-in.
	OwnChoice bool
}

// Inviter issues an invitation inside the transaction that needs it, so the
// invitation and its message commit with the change. p is already saved,
// with its account in the Invited state.
type Inviter interface {
	Invite(ctx context.Context, tx store.Tx, now time.Time, actor crewid.Actor, p crewid.Person) error
}

// Service applies the profile rules on top of the store.
type Service struct {
	Store   store.Store
	Now     func() time.Time
	Inviter Inviter
}

// Get returns one person of the given kind.
func (s *Service) Get(ctx context.Context, tenantID int64, kind crewid.Kind, id int64) (crewid.Person, error) {
	p, err := s.Store.Person(ctx, tenantID, id)
	if err != nil {
		return crewid.Person{}, err
	}
	if p.Kind != kind {
		return crewid.Person{}, crewid.ErrNotFound
	}
	return p, nil
}

// Create adds a person and sets up their account as asked.
func (s *Service) Create(ctx context.Context, actor crewid.Actor, p crewid.Person, setup AccountSetup) (crewid.Person, error) {
	prepared, err := s.Prepare(p, setup)
	if err != nil {
		return crewid.Person{}, err
	}
	var created crewid.Person
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		var err error
		created, err = s.Insert(ctx, tx, actor, prepared)
		return err
	})
	if err != nil {
		return crewid.Person{}, err
	}
	return created, nil
}

// Prepared is a new person checked on its own and ready to insert, with
// any password already hashed.
type Prepared struct {
	person crewid.Person
	method Method
}

// ForTenant returns pr placed in a tenant with the given roles, for a
// person prepared before their tenant existed (a company's first
// administrator).
func (pr Prepared) ForTenant(tenantID int64, roleIDs []int64) Prepared {
	pr.person = pr.person.Clone()
	pr.person.TenantID, pr.person.RoleIDs = tenantID, dedupeIDs(roleIDs)
	return pr
}

// WithLogin returns pr with login reserved for the person's account (a
// directory's user name): the login is checked and, like any login,
// unique across tenants, but no account is set up with it.
func (pr Prepared) WithLogin(login string) (Prepared, error) {
	login, err := NormalizeLogin(login)
	if err != nil {
		return Prepared{}, err
	}
	pr.person = pr.person.Clone()
	pr.person.Account.Login = login
	return pr, nil
}

// Prepare checks a new person and their account set-up and hashes the
// password: everything that needs no transaction. What the person refers
// to is checked by Insert.
func (s *Service) Prepare(p crewid.Person, setup AccountSetup) (Prepared, error) {
	now := s.Now().UTC()
	problems := crewid.Problems{}
	normalize(problems, &p)
	if p.Kind == crewid.KindTechnician && !p.LicenseType.Valid() {
		problems.Add("licenseType", "A technician needs a license type: ManagedTech, NonManagedTech or ManagedInstaller.")
	}
	p.Account = crewid.Account{State: crewid.AccountNone}
	switch setup.Method {
	case CreateLater:
	case SendInvite:
		if !CanHaveAccount(p) {
			problems.Add("accountCreationMethod", accountNeeds(p.Kind))
		}
		if s.Inviter == nil {
			problems.Add("accountCreationMethod", "Invitations cannot be sent by this server.")
		}
		if setup.Login != "" {
			// A proposed login is kept for the invitation's acceptance.
			login, err := NormalizeLogin(setup.Login)
			if err != nil {
				addFieldErrors(problems, err)
			}
			p.Account.Login = login
		}
	case AssignLoginAndPassword:
		if !CanHaveAccount(p) {
			problems.Add("accountCreationMethod", accountNeeds(p.Kind))
		}
		login, err := NormalizeLogin(setup.Login)
		if err != nil {
			addFieldErrors(problems, err)
		}
		p.Account.Login = login
		if setup.Password == "" {
			problems.Add("password", "A password is required to assign a login and password.")
		} else if err := password.Check(setup.Password, login, p.Email); err != nil {
			addFieldErrors(problems, err)
		}
	default:
		problems.Add("accountCreationMethod", "Must be CreateLater, SendInvite or AssignLoginAndPassword.")
	}
	if err := problems.Err(); err != nil {
		return Prepared{}, err
	}
	if setup.Method == AssignLoginAndPassword {
		// Hash before any transaction opens: it is slow on purpose and
		// must not hold the writer.
		hash, err := password.Hash(setup.Password)
		if err != nil {
			return Prepared{}, err
		}
		p.Account.State = crewid.AccountAdminAssigned
		p.Account.PasswordHash = hash
		p.Account.PasswordSetOn = now
		p.Account.MustChange = crewid.ChangeLoginAndPassword
		if setup.OwnChoice {
			p.Account.MustChange = crewid.ChangeNothing
		}
	}
	if setup.Method == SendInvite {
		p.Account.State = crewid.AccountInvited
	}
	p.Active = true
	return Prepared{person: p, method: setup.Method}, nil
}

// Insert saves a prepared person inside tx, with their history event and,
// for an invitation, the invitation and its message.
func (s *Service) Insert(ctx context.Context, tx store.Tx, actor crewid.Actor, pr Prepared) (crewid.Person, error) {
	if pr.method == SendInvite || pr.method == AssignLoginAndPassword {
		if err := needsManageLogins(ctx, "accountCreationMethod", "Creating an account"); err != nil {
			return crewid.Person{}, err
		}
	}
	now := s.Now().UTC()
	p := pr.person.Clone()
	p.CreatedOn, p.ModifiedOn = now, now
	if err := checkReferences(ctx, tx, nil, &p); err != nil {
		return crewid.Person{}, err
	}
	if err := CheckLoginLeadsOnlyHere(ctx, tx, p); err != nil {
		return crewid.Person{}, err
	}
	if err := tx.CreatePerson(ctx, &p); err != nil {
		return crewid.Person{}, mobileFieldOf(p.Kind, err)
	}
	if err := history.Record(ctx, tx, now, actor, history.Change{
		TenantID: p.TenantID, Type: string(p.Kind) + ".Created", RecordType: string(p.Kind), RecordID: p.ID, After: p,
	}); err != nil {
		return crewid.Person{}, err
	}
	if pr.method == SendInvite {
		if err := s.Inviter.Invite(ctx, tx, now, actor, p); err != nil {
			return crewid.Person{}, err
		}
	}
	return p, nil
}

func accountNeeds(kind crewid.Kind) string {
	if kind == crewid.KindTechnician {
		return "A technician needs mobile access and an email address or mobile number to get an account."
	}
	return "An employee needs an email address to get an account."
}

// mobileFieldOf names the mobile number's field in err as the person's
// kind does on the wire: the store reports a technician's (phoneNumber),
// while an employee's is mobilePhoneNumber (phoneNumber is their office
// phone).
func mobileFieldOf(kind crewid.Kind, err error) error {
	var e *crewid.Error
	if kind != crewid.KindEmployee || !errors.As(err, &e) || e.Fields["phoneNumber"] == nil {
		return err
	}
	fields := make(map[string][]string, len(e.Fields))
	for name, msgs := range e.Fields {
		if name == "phoneNumber" {
			name = "mobilePhoneNumber"
		}
		fields[name] = append(fields[name], msgs...)
	}
	return &crewid.Error{Code: e.Code, Message: e.Message, Fields: fields}
}

// addFieldErrors copies the field errors of a crewid.Error into problems.
func addFieldErrors(problems crewid.Problems, err error) {
	if e, ok := err.(*crewid.Error); ok && len(e.Fields) > 0 {
		for f, msgs := range e.Fields {
			for _, m := range msgs {
				problems.Add(f, m)
			}
		}
		return
	}
	problems.Add("password", err.Error())
}

// Update changes a person: edit receives a copy of the stored profile and
// changes it; the result is checked and saved with its history event.
func (s *Service) Update(ctx context.Context, actor crewid.Actor, tenantID int64, kind crewid.Kind, id int64, edit func(p *crewid.Person) error) (crewid.Person, error) {
	var after crewid.Person
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		var err error
		after, err = s.UpdateTx(ctx, tx, actor, tenantID, kind, id, edit)
		return err
	})
	if err != nil {
		return crewid.Person{}, err
	}
	return after, nil
}

// UpdateTx is Update inside a transaction the caller holds, for a change
// that must commit together with other writes (a directory's update of
// several people, or of a person and their directory data).
func (s *Service) UpdateTx(ctx context.Context, tx store.Tx, actor crewid.Actor, tenantID int64, kind crewid.Kind, id int64, edit func(p *crewid.Person) error) (crewid.Person, error) {
	now := s.Now().UTC()
	before, err := lockAndRead(ctx, tx, tenantID, id)
	if err != nil {
		return crewid.Person{}, err
	}
	if before.Kind != kind {
		return crewid.Person{}, crewid.ErrNotFound
	}
	if err := CheckMayManage(ctx, tx, before); err != nil {
		return crewid.Person{}, err
	}
	after := before.Clone()
	if err := edit(&after); err != nil {
		return crewid.Person{}, err
	}
	// Where reset codes lead is part of an account, and the single sign-on
	// id is a way in by itself: who changes them can take the account.
	if hasAccount(before) && (after.Email != before.Email || after.MobilePhone != before.MobilePhone) || after.AADUserID != before.AADUserID {
		if err := needsManageLogins(ctx, "email", "Changing the email, mobile number or single sign-on id of someone with an account"); err != nil {
			return crewid.Person{}, err
		}
	}
	// What identifies the record is not the editor's to change.
	after.ID, after.TenantID, after.UserID, after.Kind = before.ID, before.TenantID, before.UserID, before.Kind
	after.CreatedOn = before.CreatedOn
	problems := crewid.Problems{}
	normalize(problems, &after)
	if before.Email != "" && after.Email != before.Email && actor.Type != crewid.ActorOperator {
		problems.Add("email", "An email address can be changed only by a platform operator.")
	}
	if after.Account.Login != before.Account.Login {
		login, err := NormalizeLogin(after.Account.Login)
		if err != nil {
			addFieldErrors(problems, err)
		}
		if login == "" && before.Account.PasswordHash != "" {
			problems.Add("login", "A person with a password needs a login.")
		}
		after.Account.Login = login
	}
	if err := problems.Err(); err != nil {
		return crewid.Person{}, err
	}
	if err := checkReferences(ctx, tx, &before, &after); err != nil {
		return crewid.Person{}, err
	}
	if after.Account.Login != before.Account.Login {
		if err := CheckLoginLeadsOnlyHere(ctx, tx, after); err != nil {
			return crewid.Person{}, err
		}
	}
	if reflect.DeepEqual(after, before) {
		// Nothing changed (a form sent back as it was): no write, no
		// event, and modifiedOn stays, so exports do not send it again.
		return before, nil
	}
	after.ModifiedOn = now
	if err := tx.UpdatePerson(ctx, &after); err != nil {
		return crewid.Person{}, mobileFieldOf(kind, err)
	}
	return after, history.Record(ctx, tx, now, actor, history.Change{
		TenantID: tenantID, Type: string(kind) + ".Updated", RecordType: string(kind), RecordID: id,
		Before: before, After: after,
	})
}

// Activate makes a person active again. A technician needs a license type.
func (s *Service) Activate(ctx context.Context, actor crewid.Actor, tenantID int64, kind crewid.Kind, id int64, license crewid.LicenseType, truckID int64) error {
	return s.Store.Update(ctx, func(tx store.Tx) error {
		return s.ActivateTx(ctx, tx, actor, tenantID, kind, id, license, truckID)
	})
}

// ActivateTx is Activate inside a transaction the caller holds.
func (s *Service) ActivateTx(ctx context.Context, tx store.Tx, actor crewid.Actor, tenantID int64, kind crewid.Kind, id int64, license crewid.LicenseType, truckID int64) error {
	if kind == crewid.KindTechnician && !license.Valid() {
		return crewid.FieldError("licenseType", "Activating a technician needs a license type: ManagedTechnician, NonManagedTechnician or ManagedInstaller.")
	}
	if truckID < 0 {
		return crewid.FieldError("truckId", "The truck id must be positive.")
	}
	return s.setActive(ctx, tx, actor, tenantID, kind, id, "Activated", func(p *crewid.Person) {
		p.Active = true
		if kind == crewid.KindTechnician {
			p.LicenseType = license
			if truckID != 0 {
				p.TruckID = truckID
			}
		}
	})
}

// Deactivate makes a person inactive: they can no longer sign in, and the
// sessions they hold end.
func (s *Service) Deactivate(ctx context.Context, actor crewid.Actor, tenantID int64, kind crewid.Kind, id int64) error {
	return s.Store.Update(ctx, func(tx store.Tx) error {
		return s.DeactivateTx(ctx, tx, actor, tenantID, kind, id)
	})
}

// DeactivateTx is Deactivate inside a transaction the caller holds.
// Nobody deactivates themselves: it would end their own session at once,
// and the last administrator would lock the company out of its settings.
func (s *Service) DeactivateTx(ctx context.Context, tx store.Tx, actor crewid.Actor, tenantID int64, kind crewid.Kind, id int64) error {
	if actor.Type == crewid.ActorPerson && actor.ID == id {
		return crewid.FieldError("action", "You cannot deactivate yourself; ask someone else who may deactivate people.")
	}
	now := s.Now().UTC()
	return s.setActive(ctx, tx, actor, tenantID, kind, id, "Deactivated", func(p *crewid.Person) {
		p.Active = false
		p.Account.SessionsNotBefore = now
	})
}

// lockAndRead takes the person's row lock, then reads them: a
// read-modify-write must not start from a state another transaction is
// about to change, or one of the two changes is lost (on PostgreSQL, whose
// transactions read committed data without waiting).
func lockAndRead(ctx context.Context, tx store.Tx, tenantID, id int64) (crewid.Person, error) {
	if err := tx.LockPerson(ctx, tenantID, id); err != nil {
		return crewid.Person{}, err
	}
	return tx.Person(ctx, tenantID, id)
}

func (s *Service) setActive(ctx context.Context, tx store.Tx, actor crewid.Actor, tenantID int64, kind crewid.Kind, id int64, verb string, change func(*crewid.Person)) error {
	now := s.Now().UTC()
	before, err := lockAndRead(ctx, tx, tenantID, id)
	if err != nil {
		return err
	}
	if before.Kind != kind {
		return crewid.ErrNotFound
	}
	if err := CheckMayManage(ctx, tx, before); err != nil {
		return err
	}
	after := before.Clone()
	change(&after)
	after.ModifiedOn = now
	if err := tx.UpdatePerson(ctx, &after); err != nil {
		return err
	}
	return history.Record(ctx, tx, now, actor, history.Change{
		TenantID: tenantID, Type: string(kind) + "." + verb, RecordType: string(kind), RecordID: id,
		Before: before, After: after,
	})
}

// NormalizeLogin trims a login and checks it: 3 to 100 characters, no
// spaces or control characters. Logins compare case-insensitively; the
// stored form keeps the person's own spelling.
func NormalizeLogin(login string) (string, error) {
	login = strings.TrimSpace(login)
	if login == "" {
		return "", crewid.FieldError("login", "A login is required.")
	}
	if n := len([]rune(login)); n < 3 || n > 100 {
		return "", crewid.FieldError("login", "A login has 3 to 100 characters.")
	}
	for _, r := range login {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == unicode.ReplacementChar {
			return "", crewid.FieldError("login", "A login may not contain spaces or control characters.")
		}
	}
	return login, nil
}

// CheckLoginLeadsOnlyHere refuses p's login when sign-in would also take
// it to someone else. A login is a username, an email or a mobile number,
// so another person's email or mobile number, in any tenant, is as taken
// as their login. (Logins themselves are unique through the store.) The
// person's own email or mobile number is always theirs to use, even when
// an employee and a technician share it.
func CheckLoginLeadsOnlyHere(ctx context.Context, r store.Reader, p crewid.Person) error {
	login := p.Account.Login
	if login == "" || strings.EqualFold(login, p.Email) {
		return nil
	}
	contacts := []string{login}
	if phone, err := NormalizePhone("login", login); err == nil && phone != "" {
		if phone == p.MobilePhone {
			return nil
		}
		contacts = append(contacts, phone)
	}
	for _, contact := range contacts {
		others, err := r.PeopleByContact(ctx, contact)
		if err != nil {
			return err
		}
		for _, o := range others {
			if o.TenantID != p.TenantID || o.ID != p.ID {
				return crewid.ConflictError("login", "The login is already taken.")
			}
		}
	}
	return nil
}

// normalize cleans every field of p in place and records what is wrong.
func normalize(problems crewid.Problems, p *crewid.Person) {
	p.Name = cleanText(problems, "name", p.Name, maxName, false)
	if p.Name == "" {
		problems.Add("name", "A name is required.")
	}
	if email, err := NormalizeEmail(p.Email); err != nil {
		addFieldErrors(problems, err)
	} else {
		p.Email = email
	}
	mobileField := "mobilePhoneNumber"
	if p.Kind == crewid.KindTechnician {
		mobileField = "phoneNumber"
	}
	if mobile, err := NormalizePhone(mobileField, p.MobilePhone); err != nil {
		addFieldErrors(problems, err)
	} else {
		p.MobilePhone = mobile
	}
	if p.Kind == crewid.KindEmployee {
		if office, err := NormalizePhone("phoneNumber", p.OfficePhone); err != nil {
			addFieldErrors(problems, err)
		} else {
			p.OfficePhone = office
		}
		if p.Email == "" {
			problems.Add("email", "An employee needs an email address.")
		}
		p.Positions = cleanList(problems, "positions", p.Positions, EmployeePositions)
		// Technician-only fields do not apply to office employees.
		p.LicenseType, p.TeamID, p.TeamName, p.ZoneIDs, p.MainZoneID = crewid.LicenseNone, 0, "", []int64{}, 0
		p.MobileAccessEnabled = false
		p.JobFilter, p.JobHistoryDateFilter = "", ""
	} else {
		p.OfficePhone = ""
		p.Positions = cleanList(problems, "positions", p.Positions, TechnicianPositions)
		if p.LicenseType != crewid.LicenseNone && !p.LicenseType.Valid() {
			problems.Add("licenseType", "Must be ManagedTech, NonManagedTech or ManagedInstaller.")
		}
		if p.JobFilter != "" && !slices.Contains(JobFilters, p.JobFilter) {
			problems.Add("jobFilter", "Must be one of: "+strings.Join(JobFilters, ", ")+".")
		}
		if p.JobHistoryDateFilter != "" && !slices.Contains(JobHistoryDateFilters, p.JobHistoryDateFilter) {
			problems.Add("jobHistoryDateFilter", "Must be one of: "+strings.Join(JobHistoryDateFilters, ", ")+".")
		}
		p.ZoneIDs = dedupeIDs(p.ZoneIDs)
		if len(p.ZoneIDs) > maxRefs {
			problems.Add("zoneIds", "Too many zones.")
		}
		if p.MainZoneID != 0 && !slices.Contains(p.ZoneIDs, p.MainZoneID) {
			p.ZoneIDs = append(p.ZoneIDs, p.MainZoneID)
		}
		p.TeamName = cleanText(problems, "team", p.TeamName, maxShort, false)
	}
	p.Skills = cleanList(problems, "skills", p.Skills, nil)
	p.Warehouse = cleanText(problems, "warehouse", p.Warehouse, maxShort, false)
	p.AADUserID = cleanText(problems, "aadUserId", p.AADUserID, maxShort, false)
	p.Bio = cleanText(problems, "bio", p.Bio, maxLong, true)
	p.Memo = cleanText(problems, "memo", p.Memo, maxLong, true)
	checkAmount(problems, "dailyGoal", p.DailyGoal)
	checkAmount(problems, "burdenRate", p.BurdenRate)
	if p.TruckID < 0 {
		problems.Add("truckId", "The truck id must be positive.")
	}
	if p.Home != nil {
		h := p.Home
		h.Street = cleanText(problems, "home.street", h.Street, maxShort, false)
		h.Unit = cleanText(problems, "home.unit", h.Unit, maxShort, false)
		h.City = cleanText(problems, "home.city", h.City, maxShort, false)
		h.State = cleanText(problems, "home.state", h.State, maxShort, false)
		h.Zip = cleanText(problems, "home.zip", h.Zip, maxShort, false)
		h.Country = cleanText(problems, "home.country", h.Country, maxShort, false)
		if h.Street == "" {
			problems.Add("home.street", "A home address needs a street.")
		}
		if h.City == "" {
			problems.Add("home.city", "A home address needs a city.")
		}
		checkCoordinate(problems, "home.latitude", h.Latitude, 90)
		checkCoordinate(problems, "home.longitude", h.Longitude, 180)
	}
	p.RoleIDs = dedupeIDs(p.RoleIDs)
	if len(p.RoleIDs) > maxItems {
		problems.Add("roleIds", "Too many roles.")
	}
	// A permission named twice with the same value counts once; granted
	// and denied at once is a contradiction, refused rather than guessed.
	seen := map[int64]bool{}
	overrides := p.Overrides[:0:0]
	for _, o := range p.Overrides {
		granted, dup := seen[o.PermissionID]
		switch {
		case !dup:
			seen[o.PermissionID] = o.Granted
			overrides = append(overrides, o)
		case granted != o.Granted:
			problems.Add("permissions", "Permission "+itoa(o.PermissionID)+" is both granted and denied.")
		}
	}
	slices.SortFunc(overrides, func(a, b crewid.PermissionOverride) int { return int(a.PermissionID - b.PermissionID) })
	p.Overrides = overrides
	ids := make([]int64, len(overrides))
	for i, o := range overrides {
		ids[i] = o.PermissionID
	}
	if err := access.ValidatePermissions(ids); err != nil {
		addFieldErrors(problems, err)
	}
	if len(p.CustomFields) > maxRefs {
		problems.Add("customFields", "Too many custom fields.")
		p.CustomFields = nil
	}
	fields := p.CustomFields[:0:0]
	for _, f := range p.CustomFields {
		if f.TypeID <= 0 {
			problems.Add("customFields", "Each custom field needs its typeId.")
			continue
		}
		f.Value = cleanText(problems, "customFields", f.Value, maxLong, true)
		if f.Value == "" {
			continue // an empty value removes the field
		}
		fields = slices.DeleteFunc(fields, func(g crewid.CustomFieldValue) bool { return g.TypeID == f.TypeID })
		fields = append(fields, f)
	}
	p.CustomFields = fields
}

// checkReferences checks, inside the transaction, that what p refers to
// exists in its tenant and may be used. before is nil on creation; a
// reference kept unchanged from before is not checked again, so a role or
// unit deactivated later does not block unrelated edits.
func checkReferences(ctx context.Context, tx store.Tx, before, p *crewid.Person) error {
	problems := crewid.Problems{}
	if len(p.RoleIDs) == 0 {
		problems.Add("roleIds", "At least one role is required.")
	}
	var roles []crewid.Role
	for _, id := range p.RoleIDs {
		r, err := tx.Role(ctx, p.TenantID, id)
		if crewid.IsNotFound(err) {
			problems.Add("roleIds", "Role "+itoa(id)+" does not exist.")
			continue
		} else if err != nil {
			return err
		}
		isNew := before == nil || !slices.Contains(before.RoleIDs, id)
		if isNew && !r.Active {
			problems.Add("roleIds", "Role '"+r.Name+"' is inactive.")
		}
		if isNew && !r.EmployeeType.AppliesTo(p.Kind) {
			problems.Add("roleIds", "Role '"+r.Name+"' is not for the "+strings.ToLower(string(p.Kind))+" type.")
		}
		roles = append(roles, r)
	}
	if err := access.CheckExternal(p.External, access.Effective(roles, p.Overrides)); err != nil {
		addFieldErrors(problems, err)
	}
	if err := checkGrant(ctx, tx, before, p, roles); err != nil {
		return err
	}
	if p.BusinessUnitID != 0 && (before == nil || before.BusinessUnitID != p.BusinessUnitID) {
		bu, err := tx.BusinessUnit(ctx, p.TenantID, p.BusinessUnitID)
		switch {
		case crewid.IsNotFound(err):
			problems.Add("businessUnitId", "Business unit "+itoa(p.BusinessUnitID)+" does not exist.")
		case err != nil:
			return err
		case !bu.Active:
			problems.Add("businessUnitId", "Business unit '"+bu.Name+"' is inactive.")
		}
	}
	if p.Kind == crewid.KindTechnician {
		if p.TeamName == "" {
			p.TeamID = 0
		} else if before == nil || !strings.EqualFold(before.TeamName, p.TeamName) {
			team, err := tx.TeamByName(ctx, p.TenantID, p.TeamName)
			switch {
			case crewid.IsNotFound(err):
				problems.Add("team", "Team '"+p.TeamName+"' does not exist.")
			case err != nil:
				return err
			case !team.Active:
				problems.Add("team", "Team '"+team.Name+"' is inactive.")
			default:
				p.TeamID, p.TeamName = team.ID, team.Name
			}
		}
		for _, id := range p.ZoneIDs {
			if before != nil && slices.Contains(before.ZoneIDs, id) {
				continue
			}
			if _, err := tx.Zone(ctx, p.TenantID, id); crewid.IsNotFound(err) {
				problems.Add("zoneIds", "Zone "+itoa(id)+" does not exist.")
			} else if err != nil {
				return err
			}
		}
	}
	if p.ManagerID != 0 && (before == nil || before.ManagerID != p.ManagerID) {
		if p.ManagerID == p.ID {
			problems.Add("managerId", "A person cannot be their own manager.")
		} else if _, err := tx.Person(ctx, p.TenantID, p.ManagerID); crewid.IsNotFound(err) {
			problems.Add("managerId", "Person "+itoa(p.ManagerID)+" does not exist.")
		} else if err != nil {
			return err
		}
	}
	for i, f := range p.CustomFields {
		t, err := tx.CustomFieldType(ctx, p.TenantID, f.TypeID)
		if crewid.IsNotFound(err) {
			problems.Add("customFields", "Custom field type "+itoa(f.TypeID)+" does not exist.")
			continue
		} else if err != nil {
			return err
		}
		if t.AppliesTo != p.Kind {
			problems.Add("customFields", "Custom field '"+t.Name+"' is not for the "+strings.ToLower(string(p.Kind))+" type.")
		}
		if msg := checkCustomValue(t.DataType, f.Value); msg != "" {
			problems.Add("customFields", "Custom field '"+t.Name+"': "+msg)
		}
		p.CustomFields[i].Name = t.Name
	}
	return problems.Err()
}
