package settings

import (
	"encoding/json"
	"strings"
	"time"

	"crewid"
	"crewid/access"
	"crewid/api"
	"crewid/people"
)

// Wire types of employees and technicians: the reference document's fields
// plus the contract's extensions, with its JSON names.

type customFieldResponse struct {
	TypeID int64  `json:"typeId"`
	Name   string `json:"name"`
	Value  string `json:"value"`
}

type customFieldRequest struct {
	TypeID int64   `json:"typeId"`
	Value  *string `json:"value"`
}

type permissionValue struct {
	ID    int64  `json:"id"`
	Value string `json:"value"`
}

// permissionRequest is one per-person override; value is "true" or "false"
// (a JSON boolean is accepted too).
type permissionRequest struct {
	ID    int64           `json:"id"`
	Value json.RawMessage `json:"value"`
}

type addressWire struct {
	Street        *string  `json:"street"`
	Unit          *string  `json:"unit"`
	Country       *string  `json:"country"`
	City          *string  `json:"city"`
	State         *string  `json:"state"`
	Zip           *string  `json:"zip"`
	StreetAddress *string  `json:"streetAddress,omitempty"`
	Latitude      *float64 `json:"latitude"`
	Longitude     *float64 `json:"longitude"`
}

type employeeResponse struct {
	ID                  int64                 `json:"id"`
	UserID              int64                 `json:"userId"`
	Name                string                `json:"name"`
	Role                string                `json:"role"`
	RoleIDs             []int64               `json:"roleIds"`
	BusinessUnitID      *int64                `json:"businessUnitId"`
	CreatedOn           time.Time             `json:"createdOn"`
	ModifiedOn          time.Time             `json:"modifiedOn"`
	Email               *string               `json:"email"`
	PhoneNumber         *string               `json:"phoneNumber"`
	MobilePhoneNumber   *string               `json:"mobilePhoneNumber"`
	LoginName           *string               `json:"loginName"`
	CustomFields        []customFieldResponse `json:"customFields"`
	Active              bool                  `json:"active"`
	AADUserID           *string               `json:"aadUserId"`
	Permissions         []permissionValue     `json:"permissions"`
	PermissionOverrides []permissionValue     `json:"permissionOverrides"`
	AccountLocked       bool                  `json:"accountLocked"`
	AccountStatus       string                `json:"accountStatus"`
	LastSignInOn        *time.Time            `json:"lastSignInOn"`
	Positions           []string              `json:"positions"`
	Skills              []string              `json:"skills"`
	TruckID             *int64                `json:"truckId"`
	Warehouse           *string               `json:"warehouse"`
	ManagerID           *int64                `json:"managerId"`
	External            bool                  `json:"external"`
}

type technicianResponse struct {
	ID                   int64                 `json:"id"`
	UserID               int64                 `json:"userId"`
	Name                 string                `json:"name"`
	RoleIDs              []int64               `json:"roleIds"`
	BusinessUnitID       *int64                `json:"businessUnitId"`
	MainZoneID           *int64                `json:"mainZoneId"`
	ZoneIDs              []int64               `json:"zoneIds"`
	CreatedOn            time.Time             `json:"createdOn"`
	ModifiedOn           time.Time             `json:"modifiedOn"`
	Email                *string               `json:"email"`
	PhoneNumber          *string               `json:"phoneNumber"`
	LoginName            *string               `json:"loginName"`
	Home                 *addressWire          `json:"home"`
	DailyGoal            float64               `json:"dailyGoal"`
	IsManagedTech        bool                  `json:"isManagedTech"`
	LicenseType          *string               `json:"licenseType"`
	CustomFields         []customFieldResponse `json:"customFields"`
	Active               bool                  `json:"active"`
	AADUserID            *string               `json:"aadUserId"`
	BurdenRate           float64               `json:"burdenRate"`
	Team                 *string               `json:"team"`
	JobFilter            *string               `json:"jobFilter"`
	JobHistoryDateFilter *string               `json:"jobHistoryDateFilter"`
	Permissions          []permissionValue     `json:"permissions"`
	PermissionOverrides  []permissionValue     `json:"permissionOverrides"`
	AccountLocked        bool                  `json:"accountLocked"`
	AccountStatus        string                `json:"accountStatus"`
	LastSignInOn         *time.Time            `json:"lastSignInOn"`
	Positions            []string              `json:"positions"`
	Skills               []string              `json:"skills"`
	TruckID              *int64                `json:"truckId"`
	Warehouse            *string               `json:"warehouse"`
	ManagerID            *int64                `json:"managerId"`
	MobileAccessEnabled  bool                  `json:"mobileAccessEnabled"`
	External             bool                  `json:"external"`
	Bio                  *string               `json:"bio"`
	Memo                 *string               `json:"memo"`
}

// personCreateRequest is the union of the employee and technician create
// bodies; fields of the other kind are ignored.
type personCreateRequest struct {
	Name                  string               `json:"name"`
	MobilePhoneNumber     *string              `json:"mobilePhoneNumber"`
	PhoneNumber           *string              `json:"phoneNumber"`
	Email                 *string              `json:"email"`
	Login                 *string              `json:"login"`
	Password              *string              `json:"password"`
	AccountCreationMethod *string              `json:"accountCreationMethod"`
	BusinessUnitID        *int64               `json:"businessUnitId"`
	RoleID                *int64               `json:"roleId"`
	RoleIDs               []int64              `json:"roleIds"`
	Positions             []string             `json:"positions"`
	AADUserID             *string              `json:"aadUserId"`
	CustomFields          []customFieldRequest `json:"customFields"`
	Permissions           []permissionRequest  `json:"permissions"`
	Skills                []string             `json:"skills"`
	TruckID               *int64               `json:"truckId"`
	Warehouse             *string              `json:"warehouse"`
	ManagerID             *int64               `json:"managerId"`
	External              *bool                `json:"external"`
	// Technicians only.
	LicenseType          *string      `json:"licenseType"`
	Team                 *string      `json:"team"`
	DailyGoal            *float64     `json:"dailyGoal"`
	BurdenRate           *float64     `json:"burdenRate"`
	Bio                  *string      `json:"bio"`
	Memo                 *string      `json:"memo"`
	JobFilter            *string      `json:"jobFilter"`
	JobHistoryDateFilter *string      `json:"jobHistoryDateFilter"`
	Home                 *addressWire `json:"home"`
	MobileAccessEnabled  *bool        `json:"mobileAccessEnabled"`
	ZoneIDs              []int64      `json:"zoneIds"`
	MainZoneID           *int64       `json:"mainZoneId"`
}

// personUpdateRequest is a PATCH body: absent fields stay as they are.
type personUpdateRequest struct {
	Name                 api.Optional[string]               `json:"name"`
	MobilePhoneNumber    api.Optional[string]               `json:"mobilePhoneNumber"`
	PhoneNumber          api.Optional[string]               `json:"phoneNumber"`
	Email                api.Optional[string]               `json:"email"`
	Login                api.Optional[string]               `json:"login"`
	BusinessUnitID       api.Optional[int64]                `json:"businessUnitId"`
	RoleID               api.Optional[int64]                `json:"roleId"`
	RoleIDs              api.Optional[[]int64]              `json:"roleIds"`
	Positions            api.Optional[[]string]             `json:"positions"`
	AADUserID            api.Optional[string]               `json:"aadUserId"`
	CustomFields         api.Optional[[]customFieldRequest] `json:"customFields"`
	Permissions          api.Optional[[]permissionRequest]  `json:"permissions"`
	Skills               api.Optional[[]string]             `json:"skills"`
	TruckID              api.Optional[int64]                `json:"truckId"`
	Warehouse            api.Optional[string]               `json:"warehouse"`
	ManagerID            api.Optional[int64]                `json:"managerId"`
	External             api.Optional[bool]                 `json:"external"`
	AccountLocked        api.Optional[bool]                 `json:"accountLocked"`
	LicenseType          api.Optional[string]               `json:"licenseType"`
	Team                 api.Optional[string]               `json:"team"`
	DailyGoal            api.Optional[float64]              `json:"dailyGoal"`
	BurdenRate           api.Optional[float64]              `json:"burdenRate"`
	Bio                  api.Optional[string]               `json:"bio"`
	Memo                 api.Optional[string]               `json:"memo"`
	JobFilter            api.Optional[string]               `json:"jobFilter"`
	JobHistoryDateFilter api.Optional[string]               `json:"jobHistoryDateFilter"`
	Home                 api.Optional[*addressWire]         `json:"home"`
	MobileAccessEnabled  api.Optional[bool]                 `json:"mobileAccessEnabled"`
	ZoneIDs              api.Optional[[]int64]              `json:"zoneIds"`
	MainZoneID           api.Optional[int64]                `json:"mainZoneId"`
}

// License types: create and update bodies use the Settings names, account
// actions and the domain use the identity names.
var licenseFromWire = map[string]crewid.LicenseType{
	"ManagedTech":      crewid.LicenseManagedTech,
	"NonManagedTech":   crewid.LicenseNonManagedTech,
	"ManagedInstaller": crewid.LicenseManagedInstaller,
}

func licenseToWire(l crewid.LicenseType) *string {
	for k, v := range licenseFromWire {
		if v == l {
			return &k
		}
	}
	return nil
}

// parseLicense reads a create/update license type; the account-action
// spelling is accepted too.
func parseLicense(p crewid.Problems, s string) crewid.LicenseType {
	if l, ok := licenseFromWire[s]; ok {
		return l
	}
	if l := crewid.LicenseType(s); l.Valid() {
		return l
	}
	p.Add("licenseType", "Must be ManagedTech, NonManagedTech or ManagedInstaller.")
	return crewid.LicenseNone
}

func parseOverrides(p crewid.Problems, in []permissionRequest) []crewid.PermissionOverride {
	out := make([]crewid.PermissionOverride, 0, len(in))
	for _, r := range in {
		var granted bool
		switch v := strings.Trim(strings.ToLower(string(r.Value)), `"`); v {
		case "true":
			granted = true
		case "false":
			granted = false
		default:
			p.Add("permissions", "Each permission needs a value of \"true\" or \"false\".")
			continue
		}
		out = append(out, crewid.PermissionOverride{PermissionID: r.ID, Granted: granted})
	}
	return out
}

func parseCustomFields(in []customFieldRequest) []crewid.CustomFieldValue {
	out := make([]crewid.CustomFieldValue, 0, len(in))
	for _, f := range in {
		v := ""
		if f.Value != nil {
			v = *f.Value
		}
		out = append(out, crewid.CustomFieldValue{TypeID: f.TypeID, Value: v})
	}
	return out
}

func addressFromWire(a *addressWire) *crewid.Address {
	if a == nil {
		return nil
	}
	return &crewid.Address{Street: deref(a.Street), Unit: deref(a.Unit), City: deref(a.City), State: deref(a.State),
		Zip: deref(a.Zip), Country: deref(a.Country), Latitude: a.Latitude, Longitude: a.Longitude}
}

func addressToWire(a *crewid.Address) *addressWire {
	if a == nil {
		return nil
	}
	street := a.Street
	if a.Unit != "" {
		street += ", " + a.Unit
	}
	return &addressWire{Street: ptr(a.Street), Unit: opt(a.Unit), Country: opt(a.Country), City: ptr(a.City),
		State: opt(a.State), Zip: opt(a.Zip), StreetAddress: &street, Latitude: a.Latitude, Longitude: a.Longitude}
}

// roleIDs merges the deprecated single roleId with roleIds.
func roleIDs(roleID *int64, ids []int64) []int64 {
	out := append([]int64{}, ids...)
	if roleID != nil && *roleID != 0 {
		out = append([]int64{*roleID}, out...)
	}
	return out
}

// fromCreate builds a person from a create body.
func fromCreate(kind crewid.Kind, tenantID int64, req personCreateRequest) (crewid.Person, people.AccountSetup, error) {
	p := crewid.Problems{}
	person := crewid.Person{
		TenantID: tenantID, Kind: kind, Name: req.Name, Email: deref(req.Email),
		BusinessUnitID: deref(req.BusinessUnitID), RoleIDs: roleIDs(req.RoleID, req.RoleIDs),
		Positions: req.Positions, AADUserID: deref(req.AADUserID), CustomFields: parseCustomFields(req.CustomFields),
		Overrides: parseOverrides(p, req.Permissions), Skills: req.Skills, TruckID: deref(req.TruckID),
		Warehouse: deref(req.Warehouse), ManagerID: deref(req.ManagerID), External: deref(req.External),
	}
	if req.RoleID == nil && len(req.RoleIDs) == 0 {
		p.Add("roleId", "A role is required.")
	}
	if req.Positions == nil {
		p.Add("positions", "The list of positions is required (it may be empty).")
	}
	if kind == crewid.KindEmployee {
		person.MobilePhone, person.OfficePhone = deref(req.MobilePhoneNumber), deref(req.PhoneNumber)
		if req.Email == nil || *req.Email == "" {
			p.Add("email", "An employee needs an email address.")
		}
	} else {
		person.MobilePhone = deref(req.PhoneNumber)
		person.TeamName = deref(req.Team)
		person.DailyGoal, person.BurdenRate = deref(req.DailyGoal), deref(req.BurdenRate)
		person.Bio, person.Memo = deref(req.Bio), deref(req.Memo)
		person.JobFilter, person.JobHistoryDateFilter = deref(req.JobFilter), deref(req.JobHistoryDateFilter)
		person.Home = addressFromWire(req.Home)
		person.MobileAccessEnabled = req.MobileAccessEnabled == nil || *req.MobileAccessEnabled
		person.ZoneIDs, person.MainZoneID = req.ZoneIDs, deref(req.MainZoneID)
		if req.LicenseType == nil {
			p.Add("licenseType", "A technician needs a license type: ManagedTech, NonManagedTech or ManagedInstaller.")
		} else {
			person.LicenseType = parseLicense(p, *req.LicenseType)
		}
	}
	setup := people.AccountSetup{Login: deref(req.Login), Password: deref(req.Password)}
	if req.AccountCreationMethod == nil {
		p.Add("accountCreationMethod", "Required: CreateLater, SendInvite or AssignLoginAndPassword.")
	} else {
		setup.Method = people.Method(*req.AccountCreationMethod)
	}
	return person, setup, p.Err()
}

// applyUpdate changes person by the fields present in a PATCH body.
func applyUpdate(person *crewid.Person, req personUpdateRequest) error {
	p := crewid.Problems{}
	// Lists the document does not let be null: null would wipe them
	// silently, so it is refused ([] empties them on purpose).
	for field, null := range map[string]bool{"positions": req.Positions.Null, "customFields": req.CustomFields.Null} {
		if null {
			p.Add(field, "Leave the field out to keep it, or send [] to empty it; it cannot be null.")
		}
	}
	req.Name.Apply(&person.Name)
	req.Email.Apply(&person.Email)
	req.Login.Apply(&person.Account.Login)
	req.BusinessUnitID.Apply(&person.BusinessUnitID)
	switch {
	case req.RoleIDs.Set:
		person.RoleIDs = roleIDs(nil, req.RoleIDs.Value)
		if req.RoleID.Set && req.RoleID.Value != 0 {
			person.RoleIDs = roleIDs(&req.RoleID.Value, req.RoleIDs.Value)
		}
	case req.RoleID.Set && !req.RoleID.Null:
		// The single role of the older API replaces the primary role.
		rest := []int64{}
		for i, id := range person.RoleIDs {
			if i > 0 && id != req.RoleID.Value {
				rest = append(rest, id)
			}
		}
		person.RoleIDs = roleIDs(&req.RoleID.Value, rest)
	}
	req.Positions.Apply(&person.Positions)
	req.AADUserID.Apply(&person.AADUserID)
	if req.CustomFields.Set {
		person.CustomFields = parseCustomFields(req.CustomFields.Value)
	}
	if req.Permissions.Set {
		person.Overrides = parseOverrides(p, req.Permissions.Value)
	}
	req.Skills.Apply(&person.Skills)
	req.TruckID.Apply(&person.TruckID)
	req.Warehouse.Apply(&person.Warehouse)
	req.ManagerID.Apply(&person.ManagerID)
	req.External.Apply(&person.External)
	if req.AccountLocked.Set && !req.AccountLocked.Null {
		if req.AccountLocked.Value {
			person.Account.LockedUntil = lockedForever
		} else {
			person.Account.LockedUntil, person.Account.FailedSignIns = time.Time{}, 0
		}
	}
	if person.Kind == crewid.KindEmployee {
		req.MobilePhoneNumber.Apply(&person.MobilePhone)
		req.PhoneNumber.Apply(&person.OfficePhone)
	} else {
		req.PhoneNumber.Apply(&person.MobilePhone)
		if req.LicenseType.Set && !req.LicenseType.Null {
			person.LicenseType = parseLicense(p, req.LicenseType.Value)
		}
		req.Team.Apply(&person.TeamName)
		req.DailyGoal.Apply(&person.DailyGoal)
		req.BurdenRate.Apply(&person.BurdenRate)
		req.Bio.Apply(&person.Bio)
		req.Memo.Apply(&person.Memo)
		req.JobFilter.Apply(&person.JobFilter)
		req.JobHistoryDateFilter.Apply(&person.JobHistoryDateFilter)
		if req.Home.Set {
			person.Home = addressFromWire(req.Home.Value)
		}
		req.MobileAccessEnabled.Apply(&person.MobileAccessEnabled)
		req.ZoneIDs.Apply(&person.ZoneIDs)
		req.MainZoneID.Apply(&person.MainZoneID)
	}
	return p.Err()
}

// lockedForever is how long an administrator's lock lasts: until unlocked.
var lockedForever = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

func permissionsWire(roles map[int64]crewid.Role, p crewid.Person) (effective, overrides []permissionValue) {
	held := make([]crewid.Role, 0, len(p.RoleIDs))
	for _, id := range p.RoleIDs {
		if r, ok := roles[id]; ok {
			held = append(held, r)
		}
	}
	for _, id := range access.Effective(held, p.Overrides).IDs() {
		effective = append(effective, permissionValue{ID: id, Value: "true"})
	}
	for _, o := range p.Overrides {
		v := "false"
		if o.Granted {
			v = "true"
		}
		overrides = append(overrides, permissionValue{ID: o.PermissionID, Value: v})
	}
	if effective == nil {
		effective = []permissionValue{}
	}
	if overrides == nil {
		overrides = []permissionValue{}
	}
	return effective, overrides
}

func customFieldsWire(fields []crewid.CustomFieldValue) []customFieldResponse {
	out := make([]customFieldResponse, len(fields))
	for i, f := range fields {
		out[i] = customFieldResponse{TypeID: f.TypeID, Name: f.Name, Value: f.Value}
	}
	return out
}

// legacyRole is the deprecated single role of an employee: the built-in
// template of their first role.
func legacyRole(roles map[int64]crewid.Role, p crewid.Person) string {
	if len(p.RoleIDs) > 0 {
		if r, ok := roles[p.RoleIDs[0]]; ok {
			return access.LegacyRole(r.BuiltIn)
		}
	}
	return access.LegacyRole("")
}

func toEmployee(roles map[int64]crewid.Role, p crewid.Person, now time.Time) employeeResponse {
	effective, overrides := permissionsWire(roles, p)
	return employeeResponse{
		ID: p.ID, UserID: p.UserID, Name: p.Name, Role: legacyRole(roles, p), RoleIDs: nonNil(p.RoleIDs),
		BusinessUnitID: optID(p.BusinessUnitID), CreatedOn: p.CreatedOn, ModifiedOn: p.ModifiedOn,
		Email: opt(p.Email), PhoneNumber: opt(p.OfficePhone), MobilePhoneNumber: opt(p.MobilePhone),
		LoginName: opt(p.Account.Login), CustomFields: customFieldsWire(p.CustomFields), Active: p.Active,
		AADUserID: opt(p.AADUserID), Permissions: effective, PermissionOverrides: overrides,
		AccountLocked: people.Locked(p, now), AccountStatus: people.Status(p, now), LastSignInOn: optTime(p.Account.LastSignInOn),
		Positions: nonNil(p.Positions), Skills: nonNil(p.Skills), TruckID: optID(p.TruckID), Warehouse: opt(p.Warehouse),
		ManagerID: optID(p.ManagerID), External: p.External,
	}
}

func toTechnician(roles map[int64]crewid.Role, p crewid.Person, now time.Time) technicianResponse {
	effective, overrides := permissionsWire(roles, p)
	return technicianResponse{
		ID: p.ID, UserID: p.UserID, Name: p.Name, RoleIDs: nonNil(p.RoleIDs), BusinessUnitID: optID(p.BusinessUnitID),
		MainZoneID: optID(p.MainZoneID), ZoneIDs: nonNil(p.ZoneIDs), CreatedOn: p.CreatedOn, ModifiedOn: p.ModifiedOn,
		Email: opt(p.Email), PhoneNumber: opt(p.MobilePhone), LoginName: opt(p.Account.Login), Home: addressToWire(p.Home),
		DailyGoal: p.DailyGoal, IsManagedTech: p.LicenseType.Managed(), LicenseType: licenseToWire(p.LicenseType),
		CustomFields: customFieldsWire(p.CustomFields), Active: p.Active, AADUserID: opt(p.AADUserID),
		BurdenRate: p.BurdenRate, Team: opt(p.TeamName), JobFilter: opt(p.JobFilter),
		JobHistoryDateFilter: opt(p.JobHistoryDateFilter), Permissions: effective, PermissionOverrides: overrides,
		AccountLocked: people.Locked(p, now), AccountStatus: people.Status(p, now), LastSignInOn: optTime(p.Account.LastSignInOn),
		Positions: nonNil(p.Positions), Skills: nonNil(p.Skills), TruckID: optID(p.TruckID), Warehouse: opt(p.Warehouse),
		ManagerID: optID(p.ManagerID), MobileAccessEnabled: p.MobileAccessEnabled, External: p.External,
		Bio: opt(p.Bio), Memo: opt(p.Memo),
	}
}
