// Package store defines crewid's storage interface. Implementations live in
// store/sqlite and store/postgres (both built on store/sqlstore) and must
// pass the conformance suite in store/storetest.
//
// Every method that reads or writes tenant data takes the tenant id, and
// implementations put it in every query. Not-found answers are
// crewid.ErrNotFound; uniqueness violations are crewid Conflict errors naming
// the field.
//
// Conventions every implementation keeps (the conformance suite checks
// them): slices read back are never nil; a nil address stays nil; names
// compare and sort case-insensitively; an empty PersonQuery.Kind means both
// kinds; PeopleByContact("") finds nobody; App and Apps return the secrets'
// hashes; signing keys come oldest first.
package store

import (
	"context"
	"time"

	"crewid"
)

// Store is the whole storage: reads outside a transaction, and Update for
// every change.
type Store interface {
	Reader
	// Update runs fn in one read-write transaction. The change, its history
	// event and anything else fn writes commit together or not at all.
	// Implementations may run fn again when the database asks for a retry
	// (serialization failure), so fn must not have effects outside tx.
	Update(ctx context.Context, fn func(tx Tx) error) error
	// Migrate brings the schema up to date.
	Migrate(ctx context.Context) error
	Close() error
}

// Active filters records by their active flag.
type Active int

const (
	ActiveTrue Active = iota // the default: only active records
	ActiveFalse
	ActiveAny
)

// ListQuery holds the filters and paging shared by every list operation.
type ListQuery struct {
	IDs               []int64
	Name              string // case-insensitive "contains"
	Active            Active
	CreatedBefore     time.Time
	CreatedOnOrAfter  time.Time
	ModifiedBefore    time.Time
	ModifiedOnOrAfter time.Time
	Page              int // from 1
	PageSize          int
	IncludeTotal      bool
	// Sort is a field name with a leading '+' or '-' (Id, Name, CreatedOn,
	// ModifiedOn); empty means by id ascending.
	Sort string
}

// PersonQuery adds the people filters to ListQuery.
type PersonQuery struct {
	ListQuery
	Kind           crewid.Kind
	UserIDs        []int64
	RoleID         int64
	BusinessUnitID int64
	TeamID         int64
}

// RoleQuery adds the employee type filter to ListQuery.
type RoleQuery struct {
	ListQuery
	// EmployeeType keeps roles that apply to this kind ("" for all).
	EmployeeType crewid.EmployeeType
}

// Page is one page of a list.
type Page[T any] struct {
	Items   []T
	HasMore bool
	// Total is the count of all matching records, or -1 when not asked for.
	Total int
}

// ExportQuery resumes an export. Records come in change order: those with a
// Seq above AfterSeq and, when ModifiedOnOrAfter is set, modified since.
type ExportQuery struct {
	AfterSeq          int64
	ModifiedOnOrAfter time.Time
	Limit             int
}

// Batch is one page of an export. LastSeq is where the next page resumes
// (AfterSeq of the query when the batch is empty).
type Batch[T any] struct {
	Items   []T
	LastSeq int64
	HasMore bool
}

// EventQuery filters history.
type EventQuery struct {
	RecordType        string
	RecordID          int64
	ActorID           int64
	ActorType         crewid.ActorType
	EventType         string
	OccurredOnOrAfter time.Time
	OccurredBefore    time.Time
	AfterID           int64
	Limit             int
}

// MessageQuery filters and pages a tenant's outbox. Messages come newest
// first; to page on, pass the smallest id seen as BeforeID.
type MessageQuery struct {
	Recipient string // exact match
	Status    string // one of the crewid.Message* statuses; "" for all
	AfterID   int64  // only messages with a greater id
	BeforeID  int64  // only messages with a smaller id
	// Limit is the most messages returned: 100 when 0 or less, at most 500.
	Limit int
}

// Reader is every read, available both outside and inside a transaction.
type Reader interface {
	Tenant(ctx context.Context, id int64) (crewid.Tenant, error)
	Tenants(ctx context.Context) ([]crewid.Tenant, error)

	Person(ctx context.Context, tenantID, id int64) (crewid.Person, error)
	People(ctx context.Context, tenantID int64, q PersonQuery) (Page[crewid.Person], error)
	ExportPeople(ctx context.Context, tenantID int64, kind crewid.Kind, q ExportQuery) (Batch[crewid.Person], error)
	// PersonByLogin finds the person whose account login is login, in any
	// tenant (logins are unique across tenants).
	PersonByLogin(ctx context.Context, login string) (crewid.Person, error)
	// PeopleByContact finds people of every kind and tenant whose email or
	// mobile number is value.
	PeopleByContact(ctx context.Context, value string) ([]crewid.Person, error)

	Role(ctx context.Context, tenantID, id int64) (crewid.Role, error)
	Roles(ctx context.Context, tenantID int64, q RoleQuery) (Page[crewid.Role], error)
	// RoleInUse reports whether any person holds the role.
	RoleInUse(ctx context.Context, tenantID, id int64) (bool, error)

	BusinessUnit(ctx context.Context, tenantID, id int64) (crewid.BusinessUnit, error)
	BusinessUnits(ctx context.Context, tenantID int64, q ListQuery) (Page[crewid.BusinessUnit], error)
	ExportBusinessUnits(ctx context.Context, tenantID int64, q ExportQuery) (Batch[crewid.BusinessUnit], error)

	TagType(ctx context.Context, tenantID, id int64) (crewid.TagType, error)
	TagTypes(ctx context.Context, tenantID int64, q ListQuery) (Page[crewid.TagType], error)
	ExportTagTypes(ctx context.Context, tenantID int64, q ExportQuery) (Batch[crewid.TagType], error)

	Team(ctx context.Context, tenantID, id int64) (crewid.Team, error)
	TeamByName(ctx context.Context, tenantID int64, name string) (crewid.Team, error)
	Teams(ctx context.Context, tenantID int64, q ListQuery) (Page[crewid.Team], error)

	Zone(ctx context.Context, tenantID, id int64) (crewid.Zone, error)
	Zones(ctx context.Context, tenantID int64, q ListQuery) (Page[crewid.Zone], error)

	CustomFieldType(ctx context.Context, tenantID, id int64) (crewid.CustomFieldType, error)
	CustomFieldTypes(ctx context.Context, tenantID int64, q ListQuery) (Page[crewid.CustomFieldType], error)

	App(ctx context.Context, tenantID, id int64) (crewid.App, error)
	Apps(ctx context.Context, tenantID int64, q ListQuery) (Page[crewid.App], error)
	// AppByClientID finds an application and its live secrets in any tenant.
	AppByClientID(ctx context.Context, clientID string) (crewid.App, error)

	SigningKeys(ctx context.Context) ([]crewid.SigningKey, error)

	Events(ctx context.Context, tenantID int64, q EventQuery) ([]crewid.Event, error)

	// InvitationByTokenHash finds the invitation whose token hashes to hash,
	// in any tenant (the token is all the person accepting it has). Used,
	// voided and expired invitations are found too; the caller decides.
	InvitationByTokenHash(ctx context.Context, hash []byte) (crewid.Invitation, error)
	// Messages lists a tenant's outbox messages, newest first.
	Messages(ctx context.Context, tenantID int64, q MessageQuery) ([]crewid.Message, error)
}

// Tx is one read-write transaction.
type Tx interface {
	Reader

	CreateTenant(ctx context.Context, t *crewid.Tenant) error

	// CreatePerson inserts p with its account, roles, zones and custom
	// fields, and sets p.ID, p.UserID and p.Seq.
	CreatePerson(ctx context.Context, p *crewid.Person) error
	// UpdatePerson replaces every field of p (found by p.TenantID, p.ID),
	// account included, and sets p.Seq. Kind and CreatedOn never change.
	UpdatePerson(ctx context.Context, p *crewid.Person) error

	CreateRole(ctx context.Context, r *crewid.Role) error
	UpdateRole(ctx context.Context, r *crewid.Role) error
	DeleteRole(ctx context.Context, tenantID, id int64) error

	CreateBusinessUnit(ctx context.Context, b *crewid.BusinessUnit) error
	UpdateBusinessUnit(ctx context.Context, b *crewid.BusinessUnit) error
	DeleteBusinessUnit(ctx context.Context, tenantID, id int64) error

	CreateTagType(ctx context.Context, t *crewid.TagType) error
	UpdateTagType(ctx context.Context, t *crewid.TagType) error

	CreateTeam(ctx context.Context, t *crewid.Team) error
	UpdateTeam(ctx context.Context, t *crewid.Team) error
	DeleteTeam(ctx context.Context, tenantID, id int64) error

	// CreateZone and UpdateZone also set which technicians are in the zone
	// from z.Technicians.
	CreateZone(ctx context.Context, z *crewid.Zone) error
	UpdateZone(ctx context.Context, z *crewid.Zone) error
	DeleteZone(ctx context.Context, tenantID, id int64) error

	CreateCustomFieldType(ctx context.Context, c *crewid.CustomFieldType) error
	UpdateCustomFieldType(ctx context.Context, c *crewid.CustomFieldType) error

	// CreateApp inserts the application and its secrets.
	CreateApp(ctx context.Context, a *crewid.App) error
	// UpdateApp replaces name, scopes and active flag.
	UpdateApp(ctx context.Context, a *crewid.App) error
	AddAppSecret(ctx context.Context, s *crewid.AppSecret) error
	DeleteAppSecret(ctx context.Context, appID, secretID int64) error

	// AddSigningKey stores a new signing key; a key with the same id
	// already present is a Conflict.
	AddSigningKey(ctx context.Context, k crewid.SigningKey) error

	// AppendEvent records one history event and sets e.ID.
	AppendEvent(ctx context.Context, e *crewid.Event) error

	// CreateInvitation inserts an invitation of a person of the tenant and
	// sets i.ID. A token hash already stored is a Conflict.
	CreateInvitation(ctx context.Context, i *crewid.Invitation) error
	// VoidInvitations sets VoidedOn to now on every live invitation (neither
	// used nor voided) of the person. Having none is not an error.
	VoidInvitations(ctx context.Context, tenantID, personID int64, now time.Time) error
	// EnqueueMessage adds a message to the outbox and sets m.ID. Channel and
	// Status must be valid; a message is delivered only after the
	// transaction commits.
	EnqueueMessage(ctx context.Context, m *crewid.Message) error
}
