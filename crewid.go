// Package crewid holds the domain types shared by every part of the service:
// tenants, people (office employees and field technicians), their sign-in
// accounts, roles, settings records, API applications and history events.
//
// The types carry no JSON tags and no SQL: the API packages map them to wire
// formats and the store packages map them to tables.
package crewid

import (
	"slices"
	"time"
)

// Kind tells an office employee from a field technician. The two kinds have
// separate uniqueness rules for email and mobile number.
type Kind string

const (
	KindEmployee   Kind = "Employee"
	KindTechnician Kind = "Technician"
)

// Valid reports whether k is one of the two kinds.
func (k Kind) Valid() bool { return k == KindEmployee || k == KindTechnician }

// LicenseType is a technician's billing licence.
type LicenseType string

const (
	LicenseNone             LicenseType = ""
	LicenseManagedTech      LicenseType = "ManagedTechnician"
	LicenseNonManagedTech   LicenseType = "NonManagedTechnician"
	LicenseManagedInstaller LicenseType = "ManagedInstaller"
)

// Valid reports whether l names a licence (the empty value does not).
func (l LicenseType) Valid() bool {
	return l == LicenseManagedTech || l == LicenseNonManagedTech || l == LicenseManagedInstaller
}

// Managed reports whether the licence is one of the managed kinds.
func (l LicenseType) Managed() bool {
	return l == LicenseManagedTech || l == LicenseManagedInstaller
}

// Tenant is one field-service company.
type Tenant struct {
	ID         int64
	Name       string
	CreatedOn  time.Time
	ModifiedOn time.Time
}

// Address is a postal address with optional coordinates.
type Address struct {
	Street    string
	Unit      string
	City      string
	State     string
	Zip       string
	Country   string
	Latitude  *float64
	Longitude *float64
}

// CustomFieldValue is one custom field of a person. Name is filled on read
// from the field's type.
type CustomFieldValue struct {
	TypeID int64
	Name   string
	Value  string
}

// PermissionOverride grants (Granted true) or denies one catalog permission
// to one person, whatever their roles say.
type PermissionOverride struct {
	PermissionID int64
	Granted      bool
}

// Person is an office employee or a field technician. Fields that apply to
// one kind only are left at their zero value for the other.
type Person struct {
	ID       int64
	TenantID int64
	UserID   int64
	Kind     Kind
	Name     string
	// Email is stored lower-cased; empty when the person has none.
	Email string
	// MobilePhone is the number used for SMS, in E.164 form. On the wire it
	// is a technician's phoneNumber and an employee's mobilePhoneNumber.
	MobilePhone string
	// OfficePhone is an employee's office number.
	OfficePhone string
	Active      bool

	BusinessUnitID int64
	RoleIDs        []int64
	Overrides      []PermissionOverride
	Positions      []string
	Skills         []string
	External       bool
	ManagerID      int64
	AADUserID      string
	CustomFields   []CustomFieldValue

	// Technician fields.
	LicenseType          LicenseType
	MobileAccessEnabled  bool
	TeamID               int64
	TeamName             string // filled on read
	ZoneIDs              []int64
	MainZoneID           int64
	TruckID              int64
	Warehouse            string
	Home                 *Address
	Bio                  string
	Memo                 string
	DailyGoal            float64
	BurdenRate           float64
	JobFilter            string
	JobHistoryDateFilter string

	Account Account

	CreatedOn  time.Time
	ModifiedOn time.Time
	// Seq orders changes within a tenant; exports resume from it.
	Seq int64
}

// AccountState is where a person's sign-in account is in its life.
type AccountState string

const (
	// AccountNone: no credentials and no invitation yet.
	AccountNone AccountState = "None"
	// AccountInvited: an invitation is out and not yet accepted.
	AccountInvited AccountState = "Invited"
	// AccountAccepted: the person chose a login and password from an
	// invitation and has not signed in since.
	AccountAccepted AccountState = "Accepted"
	// AccountAdminAssigned: an administrator set the login and password.
	AccountAdminAssigned AccountState = "AdminAssigned"
	// AccountEstablished: the person has signed in at least once.
	AccountEstablished AccountState = "Established"
)

// RequiredChange is what a person must change at next sign-in.
type RequiredChange string

const (
	ChangeNothing          RequiredChange = ""
	ChangePassword         RequiredChange = "ChangePassword"
	ChangeLoginAndPassword RequiredChange = "ChangeLoginAndPassword"
)

// Account is the sign-in side of a person. Its id is the person's UserID.
type Account struct {
	State AccountState
	// Login is the username as the person chose it; logins compare
	// case-insensitively and are unique across all tenants.
	Login string
	// PasswordHash is a self-describing argon2id string; never shown.
	PasswordHash      string
	PasswordSetOn     time.Time
	TemporaryUntil    time.Time // zero unless the password is temporary
	MustChange        RequiredChange
	LastSignInOn      time.Time
	FailedSignIns     int
	LockedUntil       time.Time
	SessionsNotBefore time.Time // tokens issued before this are void
}

// EmployeeType says which kind of person a role applies to.
type EmployeeType string

const (
	EmployeeTypeEmployee   EmployeeType = "Employee"
	EmployeeTypeTechnician EmployeeType = "Technician"
	EmployeeTypeAll        EmployeeType = "All"
)

// AppliesTo reports whether a role of this type may be given to kind k.
func (t EmployeeType) AppliesTo(k Kind) bool {
	return t == EmployeeTypeAll || string(t) == string(k)
}

// Role is a named set of permissions. Built-in roles carry the key of the
// template they were seeded from and cannot be deleted.
type Role struct {
	ID           int64
	TenantID     int64
	Name         string
	EmployeeType EmployeeType
	Active       bool
	BuiltIn      string
	Permissions  []int64
	CreatedOn    time.Time
	ModifiedOn   time.Time
}

// ExternalData is one key/value pair an application attached to a record.
type ExternalData struct {
	ApplicationGUID string
	Key             string
	Value           string
}

// BusinessUnit is a division of a company used for reporting and access.
type BusinessUnit struct {
	ID                       int64
	TenantID                 int64
	Name                     string
	Active                   bool
	OfficialName             string
	Email                    string
	Currency                 string
	PhoneNumber              string
	InvoiceHeader            string
	InvoiceMessage           string
	DefaultTaxRate           *float64
	AuthorizationParagraph   string
	AcknowledgementParagraph string
	Address                  *Address
	MaterialSku              string
	QuickbooksClass          string
	AccountCode              string
	FranchiseID              string
	ConceptCode              string
	CorporateContractNumber  string
	ExternalData             []ExternalData
	CreatedOn                time.Time
	ModifiedOn               time.Time
	Seq                      int64
}

// TagType classifies jobs, customers and timesheet activities.
type TagType struct {
	ID                            int64
	TenantID                      int64
	Name                          string
	Color                         string
	Code                          string
	Importance                    string // "", "Medium" or "High"
	IsConversionOpportunity       bool
	AllowToUseOnTimesheetActivity bool
	Active                        bool
	CreatedOn                     time.Time
	ModifiedOn                    time.Time
	Seq                           int64
}

// Team groups technicians for dispatch.
type Team struct {
	ID         int64
	TenantID   int64
	Name       string
	Active     bool
	CreatedBy  int64
	CreatedOn  time.Time
	ModifiedOn time.Time
}

// Zone is a service area. Technicians is filled on read from the
// technicians' own zone lists.
type Zone struct {
	ID                 int64
	TenantID           int64
	Name               string
	Active             bool
	Zips               []string
	Cities             []string
	TerritoryNumbers   []string
	LocnNumbers        []string
	ServiceDaysEnabled bool
	ServiceDays        []string
	BusinessUnits      []int64
	Technicians        []int64
	CreatedBy          int64
	CreatedOn          time.Time
	ModifiedOn         time.Time
}

// CustomFieldType declares a custom field that people of one kind can carry.
type CustomFieldType struct {
	ID         int64
	TenantID   int64
	AppliesTo  Kind
	Name       string
	DataType   string // Text, Number, Date or Boolean
	Active     bool
	CreatedOn  time.Time
	ModifiedOn time.Time
}

// App is an API application connected to one tenant. Its secrets are kept
// only as hashes, at most two live at a time.
type App struct {
	ID         int64
	TenantID   int64
	Name       string
	AppKey     string
	ClientID   string
	Scopes     []string
	Active     bool
	Secrets    []AppSecret
	CreatedOn  time.Time
	ModifiedOn time.Time
}

// AppSecret is one client secret of an application, stored hashed.
type AppSecret struct {
	ID        int64
	AppID     int64
	Hash      []byte
	CreatedOn time.Time
}

// SigningKey signs access tokens. Keys live in the database so that every
// node signs and verifies with the same set.
type SigningKey struct {
	ID            string // the JWT "kid"
	Algorithm     string
	PrivateKeyPEM []byte
	CreatedOn     time.Time
}

// ActorType says who made a change.
type ActorType string

const (
	ActorPerson      ActorType = "Person"
	ActorApplication ActorType = "Application"
	// ActorOperator is the platform operator using the command line.
	ActorOperator ActorType = "Operator"
	// ActorSystem is crewid itself (seeding, background work).
	ActorSystem ActorType = "System"
)

// Actor is who made a change and from where.
type Actor struct {
	Type      ActorType
	ID        int64
	Name      string
	IP        string
	UserAgent string
}

// Event is one entry of a tenant's history. Before and After are JSON
// documents of the record's fields (secrets never included).
type Event struct {
	ID         int64
	TenantID   int64
	OccurredOn time.Time
	Type       string
	RecordType string
	RecordID   int64
	Actor      Actor
	Before     []byte
	After      []byte
	// PrevHash and Hash chain the tenant's history (see package history):
	// PrevHash is the Hash of the tenant's previous event (empty for its
	// first), Hash is SHA-256 over PrevHash and the event's fields. The
	// store sets both when it appends the event.
	PrevHash []byte
	Hash     []byte
}

// Channels a message goes out on.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
)

// Statuses of an outbox message.
const (
	// MessagePending waits for the delivery worker.
	MessagePending = "pending"
	// MessageSent was handed to the mail or SMS provider.
	MessageSent = "sent"
	// MessageFailed was given up on after its last attempt.
	MessageFailed = "failed"
	// MessageLocal is kept in the local outbox only: no provider is
	// configured and nothing will send it.
	MessageLocal = "local"
)

// Invitation lets one person create their sign-in account. Only the SHA-256
// hash of its token is stored; the token itself travels in the message.
// A zero UsedOn means unused, a zero VoidedOn means not voided.
type Invitation struct {
	ID        int64
	TenantID  int64
	PersonID  int64
	TokenHash []byte
	Channel   string // ChannelEmail or ChannelSMS
	CreatedOn time.Time
	ExpiresOn time.Time
	UsedOn    time.Time
	VoidedOn  time.Time
}

// Message is one email or SMS in the transactional outbox. It is written in
// the transaction of the change that causes it and delivered afterwards.
type Message struct {
	ID        int64
	TenantID  int64
	Channel   string // ChannelEmail or ChannelSMS
	Recipient string // an email address or an E.164 number
	Subject   string // empty for SMS
	Body      string
	Status    string // MessagePending, MessageSent, MessageFailed or MessageLocal
	Attempts  int
	// NextAttemptOn is when a pending message is next due.
	NextAttemptOn time.Time
	LastError     string
	CreatedOn     time.Time
	SentOn        time.Time
}

// Session is one refresh token of a person's sign-in session. Every sign-in
// starts a family; each refresh rotates the family's live token (RotatedOn
// set) and adds the next one. Only the SHA-256 hash of a refresh token is
// stored. A zero RotatedOn or RevokedOn means not rotated, not revoked.
type Session struct {
	ID       int64
	TenantID int64
	PersonID int64
	// FamilyID is shared by the tokens of one sign-in; access tokens carry
	// it as their session id.
	FamilyID    string
	RefreshHash []byte
	CreatedOn   time.Time
	ExpiresOn   time.Time
	RotatedOn   time.Time
	RevokedOn   time.Time
	IP          string
	UserAgent   string
	// Method is how the family's sign-in was made: SignInPassword or
	// SignInSSO ("" reads as SignInPassword).
	Method string
}

// Kinds of forgotten-password secrets.
const (
	// ResetKindCode is a short verification code sent by email or SMS; it
	// is entered with the person's identifier.
	ResetKindCode = "code"
	// ResetKindToken is a reset token: handed out once a code is verified
	// (Channel empty) or sent in a reset link (Channel email or sms). It
	// authorises setting a new password once.
	ResetKindToken = "token"
)

// ResetCode is one forgotten-password secret, stored only as a hash. A zero
// UsedOn means unused.
type ResetCode struct {
	ID        int64
	TenantID  int64
	PersonID  int64
	Kind      string // ResetKindCode or ResetKindToken
	CodeHash  []byte
	Channel   string // ChannelEmail, ChannelSMS, or "" for a verified token
	CreatedOn time.Time
	ExpiresOn time.Time
	Attempts  int
	UsedOn    time.Time
}

// Clone copies p deeply enough that editing the copy leaves p alone: a
// change builds its "after" from a clone of its "before".
func (p Person) Clone() Person {
	c := p
	c.RoleIDs = slices.Clone(p.RoleIDs)
	c.Overrides = slices.Clone(p.Overrides)
	c.Positions = slices.Clone(p.Positions)
	c.Skills = slices.Clone(p.Skills)
	c.ZoneIDs = slices.Clone(p.ZoneIDs)
	c.CustomFields = slices.Clone(p.CustomFields)
	if p.Home != nil {
		h := *p.Home
		c.Home = &h
	}
	return c
}
