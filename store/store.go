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
	Outbox
	// WebhookOutbox claims webhook deliveries (see webhooks.go).
	WebhookOutbox
	// Update runs fn in one read-write transaction. The change, its history
	// event and anything else fn writes commit together or not at all.
	// Implementations may run fn again when the database asks for a retry
	// (serialization failure), so fn must not have effects outside tx.
	Update(ctx context.Context, fn func(tx Tx) error) error
	// Migrate brings the schema up to date and says how many migrations
	// it applied (those another process applied meanwhile not counted).
	Migrate(ctx context.Context) (int, error)
	Close() error
}

// ErrLeaseLost answers a delivery worker that records the result of a
// message it no longer holds: its lease was taken over by another worker
// after it ended, or the message is not pending any more (or does not
// exist). The result of the other worker stands.
var ErrLeaseLost = &crewid.Error{Code: crewid.Conflict, Message: "The message is not leased to this worker."}

// Outbox is the delivery side of the message outbox, used by the workers
// that send messages (package notify). Any number of workers, in any
// number of processes sharing the database, may drain one outbox at once:
// a worker claims messages with a lease, and only the holder of a lease
// may record what became of the message. A lease that ends without a
// result (the worker died) frees the message for another worker, so a
// message is sent at least once and, unless a worker dies between handing
// it to the provider and recording that, exactly once.
//
// Each method runs in a transaction of its own. Times are the worker's
// clock; the nodes' clocks should agree to well within a lease.
type Outbox interface {
	// ClaimMessages takes up to limit messages, of every tenant, with
	// status pending, NextAttemptOn at or before now and no live lease
	// (none, or one that ended at or before now), oldest due first. Given
	// channels, only messages of those channels are taken; given none,
	// every channel. Each message taken is leased to owner until
	// leaseUntil and its Attempts count goes up by one (the attempt starts
	// now: an attempt that ends without a result still counts, so a
	// message that kills its worker is not tried for ever). Two calls, in
	// this process or another, never take the same message while its lease
	// is live. owner must not be empty. The messages come back as updated,
	// oldest due first.
	ClaimMessages(ctx context.Context, owner string, now, leaseUntil time.Time, limit int, channels ...string) ([]crewid.Message, error)
	// MarkSent records that the message was handed to the provider at now:
	// status sent, the lease released. Attempts and LastError are kept.
	MarkSent(ctx context.Context, id int64, owner string, now time.Time) error
	// MarkRetry records a failed attempt that may succeed later: the
	// message stays pending, with the given attempt count, due again at
	// nextAttempt, with lastError, and its lease released. A worker that
	// gives a claimed message back untried passes the attempt count and
	// due time the message had before the claim.
	MarkRetry(ctx context.Context, id int64, owner string, attempts int, nextAttempt time.Time, lastError string) error
	// MarkFailed gives up on the message: status failed, with lastError,
	// the lease released. Attempts is kept.
	MarkFailed(ctx context.Context, id int64, owner string, lastError string) error
	// Each Mark method changes the message only while it is pending and
	// leased to owner (the lease may have ended, as long as no other worker
	// has claimed the message since); otherwise it changes nothing and
	// returns ErrLeaseLost.
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

// HistoryQuery pages a tenant's history for a list: the filters of
// EventQuery (its AfterID and Limit are not used), newest first unless
// OldestFirst.
type HistoryQuery struct {
	EventQuery
	Page         int // from 1
	PageSize     int
	IncludeTotal bool
	OldestFirst  bool
}

// HistoryChain is the state of a tenant's history hash chain (see package
// history): Head is the hash of the newest event (empty before the first),
// Anchor the hash of the last event removed by pruning and AnchorID its id
// (empty and 0 when none was).
type HistoryChain struct {
	Head     []byte
	Anchor   []byte
	AnchorID int64
}

// Pruned is what one PruneEvents call removed: how many events, and the
// last of them (the new anchor). Unchanged anchor values when none.
type Pruned struct {
	Deleted  int
	AnchorID int64
	Anchor   []byte
}

// MessageQuery filters and pages a tenant's outbox. Messages come newest
// first; to page on, pass the smallest id seen as BeforeID.
type MessageQuery struct {
	Recipient string // exact match
	Status    string // one of the crewid.Message* statuses; "" for all
	AfterID   int64  // only messages with a greater id
	BeforeID  int64  // only messages with a smaller id
	// Offset skips this many of the matching messages (newest first), for
	// page-numbered lists; 0 or less skips none.
	Offset int
	// Limit is the most messages returned: 100 when 0 or less, at most 500.
	Limit int
}

// Reader is every read, available both outside and inside a transaction.
type Reader interface {
	// PeopleReader holds the reads behind SCIM (filters, directory data).
	PeopleReader
	// WebhookReader reads webhook subscriptions and deliveries.
	WebhookReader
	// SSOReader reads single sign-on configuration and sign-ins.
	SSOReader
	// RevocationReader reads revoked access tokens (see revocations.go).
	RevocationReader
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

	// Events lists a tenant's events in chain (id) order, after q.AfterID,
	// at most q.Limit (1000 when it is 0 or less, or above 5000).
	Events(ctx context.Context, tenantID int64, q EventQuery) ([]crewid.Event, error)
	// History is one page of a tenant's events, filtered by q.
	History(ctx context.Context, tenantID int64, q HistoryQuery) (Page[crewid.Event], error)
	// ExportEvents is one export page of a tenant's events matching q's
	// filters, in chain order after q.AfterID (Batch.LastSeq is the last
	// event id), at most q.Limit (1000 when it is 0 or less, or above 5000).
	ExportEvents(ctx context.Context, tenantID int64, q EventQuery) (Batch[crewid.Event], error)
	// HistoryChain returns the state of the tenant's hash chain;
	// crewid.ErrNotFound for an unknown tenant.
	HistoryChain(ctx context.Context, tenantID int64) (HistoryChain, error)

	// InvitationByTokenHash finds the invitation whose token hashes to hash,
	// in any tenant (the token is all the person accepting it has). Used,
	// voided and expired invitations are found too; the caller decides.
	InvitationByTokenHash(ctx context.Context, hash []byte) (crewid.Invitation, error)
	// Messages lists a tenant's outbox messages, newest first.
	Messages(ctx context.Context, tenantID int64, q MessageQuery) ([]crewid.Message, error)

	// SessionByRefreshHash finds the session whose refresh token hashes to
	// hash, in any tenant (the token is all its holder has). Rotated,
	// revoked and expired sessions are found too; the caller decides.
	SessionByRefreshHash(ctx context.Context, hash []byte) (crewid.Session, error)
	// RevokedSessionFamilies lists the distinct families of the person's
	// sessions revoked at or after since, in no particular order.
	RevokedSessionFamilies(ctx context.Context, tenantID, personID int64, since time.Time) ([]string, error)
	// LiveResetCodes lists the person's reset secrets of the kind that are
	// neither used nor expired at now, newest first.
	LiveResetCodes(ctx context.Context, tenantID, personID int64, kind string, now time.Time) ([]crewid.ResetCode, error)
	// ResetTokenByHash finds the reset token (kind crewid.ResetKindToken)
	// whose hash is hash, in any tenant. Used and expired ones are found
	// too; the caller decides.
	ResetTokenByHash(ctx context.Context, hash []byte) (crewid.ResetCode, error)
}

// FailedSignIn is what RecordFailedSignIn did.
type FailedSignIn struct {
	// Counted is false when nothing was counted: the account was already
	// locked at the time of the attempt.
	Counted bool
	// Failures is the count of consecutive failures after this one; it
	// goes back to 0 when this failure locked the account.
	Failures int
	// Locked is true when this failure reached the threshold and locked
	// the account.
	Locked bool
}

// SignIn is a successful password check, for RecordSignIn.
type SignIn struct {
	// PasswordHash is the stored hash the password was checked against.
	// Nothing is written when the person's hash is no longer this one.
	PasswordHash string
	// NewHash, when not empty, replaces PasswordHash (a rehash with the
	// current parameters).
	NewHash string
	On      time.Time
	// Complete is true when the person is now signed in: LastSignInOn
	// becomes On and the account state Established. False when a
	// required action remains: only the failure count is cleared.
	Complete bool
}

// Tx is one read-write transaction.
type Tx interface {
	Reader
	// PeopleWriter holds the writes of SCIM's directory data.
	PeopleWriter
	// WebhookWriter changes webhook subscriptions and records deliveries.
	WebhookWriter
	// SSOWriter changes single sign-on configuration and sign-ins.
	SSOWriter
	// RevocationWriter revokes access tokens.
	RevocationWriter

	CreateTenant(ctx context.Context, t *crewid.Tenant) error
	// LockTenant takes the tenant's row lock until the transaction ends.
	// A read-modify-write of a settings record takes it before reading, so
	// concurrent changes of one record cannot lose each other's updates.
	LockTenant(ctx context.Context, tenantID int64) error

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

	// LockSigningKeys keeps other transactions from adding signing keys
	// until this one ends, so a check for an existing key followed by an
	// insert is atomic across nodes.
	LockSigningKeys(ctx context.Context) error
	// AddSigningKey stores a new signing key; a key with the same id
	// already present is a Conflict.
	AddSigningKey(ctx context.Context, k crewid.SigningKey) error

	// AppendEvent records one history event at the end of the tenant's
	// hash chain and sets e.ID, e.PrevHash and e.Hash (history.EventHash).
	// It takes the tenant's lock (held to commit), so a tenant's events
	// are appended, numbered and committed one transaction at a time.
	// It also queues a delivery of the event for every active webhook
	// subscription of the tenant whose filter matches the event's type
	// (see WebhookWriter).
	AppendEvent(ctx context.Context, e *crewid.Event) error
	// PruneEvents removes, oldest first, at most limit of the tenant's
	// events that come before its oldest event occurred at or after
	// before, and makes the last removed event the chain's anchor. It
	// takes the tenant's lock.
	PruneEvents(ctx context.Context, tenantID int64, before time.Time, limit int) (Pruned, error)

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

	// LockPerson takes the person's row lock until the transaction ends
	// (a write that changes nothing), so that reads after it see the
	// latest committed state and no other transaction changes the person
	// before this one commits. Read-modify-write of a person starts with
	// it. NotFound when the person does not exist in the tenant.
	LockPerson(ctx context.Context, tenantID, personID int64) error
	// UseInvitation locks the row of the invitation's person, then marks
	// the invitation used at now if it is live: neither used nor voided,
	// and not expired at now. It reports whether it did; NotFound when no
	// such invitation exists in the tenant.
	UseInvitation(ctx context.Context, tenantID, invitationID int64, now time.Time) (bool, error)
	// RecordFailedSignIn counts one failed sign-in of the person in a single
	// atomic statement, so concurrent failures are never lost. When the
	// count reaches threshold the account is locked until lockUntil and the
	// count starts again from 0 (the person's change number and ModifiedOn
	// move: the account status changes). Nothing is counted while the
	// account is locked at now. NotFound when the person does not exist.
	RecordFailedSignIn(ctx context.Context, tenantID, personID int64, now time.Time, threshold int, lockUntil time.Time) (FailedSignIn, error)
	// RecordSignIn records a successful password check (see SignIn) and
	// clears the failure count, only if the person is still active, not
	// locked at s.On and still has s.PasswordHash. It reports whether it
	// wrote. When the account state changes to Established the change
	// number and ModifiedOn move.
	RecordSignIn(ctx context.Context, tenantID, personID int64, s SignIn) (bool, error)

	// CreateSession inserts a session and sets s.ID. A refresh hash
	// already stored is a Conflict.
	CreateSession(ctx context.Context, s *crewid.Session) error
	// RotateSession marks a session rotated at now if it is neither
	// rotated nor revoked, and reports whether it did (false: another
	// refresh used it first).
	RotateSession(ctx context.Context, tenantID, sessionID int64, now time.Time) (bool, error)
	// RevokeSessionFamily sets RevokedOn to now on every session of the
	// family not yet revoked.
	RevokeSessionFamily(ctx context.Context, tenantID int64, familyID string, now time.Time) error
	// RevokeSessions sets RevokedOn to now on every session of the person
	// not yet revoked, except those of exceptFamily ("" for none).
	RevokeSessions(ctx context.Context, tenantID, personID int64, exceptFamily string, now time.Time) error
	// DeleteExpiredSessions deletes the person's sessions that expired
	// before now.
	DeleteExpiredSessions(ctx context.Context, tenantID, personID int64, now time.Time) error

	// CreateResetCode inserts a reset secret and sets c.ID. Kind and
	// Channel must be valid; a reset token hash already stored is a
	// Conflict.
	CreateResetCode(ctx context.Context, c *crewid.ResetCode) error
	// CountResetAttempt adds one to the attempts of a reset code in a
	// single atomic statement and returns the new count. NotFound when no
	// such code exists in the tenant.
	CountResetAttempt(ctx context.Context, tenantID, codeID int64) (int, error)
	// UseResetCode marks a reset secret used at now if it is neither used
	// nor expired at now, and reports whether it did.
	UseResetCode(ctx context.Context, tenantID, codeID int64, now time.Time) (bool, error)
	// VoidResetCodes marks every live reset secret (codes and tokens) of
	// the person used at now, and deletes those that expired before now.
	VoidResetCodes(ctx context.Context, tenantID, personID int64, now time.Time) error
}

// PeopleReader is what SCIM provisioning reads beyond the lists above:
// people matching a Filter, and the directory data SCIM keeps beside a
// person or a role.
type PeopleReader interface {
	// PeopleByFilter returns the tenant's people matching f (nil: every
	// person), in id order, from q.Offset, at most q.Limit of them.
	// Page.Total is always the count of every match; HasMore says whether
	// matches follow the page. A Filter naming an unknown attribute, an
	// operator the attribute does not support or a value of the wrong type
	// is an Invalid error.
	PeopleByFilter(ctx context.Context, tenantID int64, f Filter, q FilterQuery) (Page[crewid.Person], error)
	// PeopleDirectory returns the directory data of the given people of the
	// tenant; people without any (and unknown ids) are left out of the map.
	PeopleDirectory(ctx context.Context, tenantID int64, ids []int64) (map[int64]PersonDirectory, error)
	// RoleExternalIDs returns the external ids of the tenant's roles that
	// have one.
	RoleExternalIDs(ctx context.Context, tenantID int64) (map[int64]string, error)
}

// PeopleWriter writes the directory data SCIM keeps. Neither method moves
// the record's change number or ModifiedOn: the data is not part of the
// profile the other APIs show. The caller records the history event.
type PeopleWriter interface {
	// SetPersonDirectory replaces the person's directory data; NotFound
	// when the person does not exist in the tenant.
	SetPersonDirectory(ctx context.Context, tenantID, personID int64, d PersonDirectory) error
	// SetRoleExternalID replaces the role's external id ("" for none);
	// NotFound when the role does not exist in the tenant.
	SetRoleExternalID(ctx context.Context, tenantID, roleID int64, externalID string) error
}

// PersonDirectory is what a directory (through SCIM) knows of a person
// that the profile itself has no field for.
type PersonDirectory struct {
	// ExternalID is the directory's own id of the person (SCIM
	// externalId), compared case-sensitively.
	ExternalID string
	// EmployeeNumber is the enterprise schema's employeeNumber.
	EmployeeNumber string
	// GivenName and FamilyName are the parts of the name as the directory
	// last sent them; the person's Name stays the name of record.
	GivenName  string
	FamilyName string
	// Deleted marks a person the directory deleted. SCIM no longer shows
	// them while they are inactive; crewid keeps them and their history.
	Deleted bool
}

// FilterQuery pages PeopleByFilter.
type FilterQuery struct {
	Offset int // matches skipped, 0 or more
	// Limit is the most people returned; 0 or less returns none (only
	// the total). Implementations cap it at MaxFilterLimit.
	Limit int
}

// MaxFilterLimit is the largest page PeopleByFilter returns.
const MaxFilterLimit = 1000

// Filter is a condition on a person, built from And, Or, Not, Compare
// and Present. A nil Filter matches everyone.
//
// Every condition is true or false, never unknown: a comparison with an
// absent value is false (ne included: "a ne v" is true only when a has a
// value other than v; "not (a eq v)" also matches people without a).
// Strings compare as the attribute says (case-insensitively after
// lower-casing both sides, or exactly), and order by their UTF-8 bytes.
type Filter interface{ filter() }

// And matches when every condition does; an empty And matches everyone.
type And []Filter

// Or matches when any condition does; an empty Or matches no one.
type Or []Filter

// Not matches when its condition does not.
type Not struct{ Filter Filter }

// Compare tests an attribute against a value with an operator. Value is a
// string, int64, bool or time.Time as the attribute's type says. A
// multi-valued attribute (PersonRoleID) matches when any of its values
// does.
type Compare struct {
	Attr  PersonAttr
	Op    FilterOp
	Value any
}

// Present matches when the attribute has a value.
type Present struct{ Attr PersonAttr }

func (And) filter()     {}
func (Or) filter()      {}
func (Not) filter()     {}
func (Compare) filter() {}
func (Present) filter() {}

// FilterOp is a comparison operator (SCIM's names).
type FilterOp string

const (
	OpEq FilterOp = "eq"
	OpNe FilterOp = "ne"
	OpCo FilterOp = "co" // contains: strings only
	OpSw FilterOp = "sw" // starts with: strings only
	OpEw FilterOp = "ew" // ends with: strings only
	OpGt FilterOp = "gt" // greater than: not booleans
	OpGe FilterOp = "ge"
	OpLt FilterOp = "lt"
	OpLe FilterOp = "le"
)

// PersonAttr is an attribute of a person a Filter can test. Its type and,
// for strings, whether case matters are listed with each; "absent" says
// when a person has no value.
type PersonAttr string

const (
	PersonID PersonAttr = "id" // int64, always present
	// PersonUserName is the account login; for a person without one, the
	// email, else the mobile number, else the id in decimal. String,
	// case-insensitive, always present.
	PersonUserName       PersonAttr = "userName"
	PersonName           PersonAttr = "name"                // string, case-insensitive, always present
	PersonEmail          PersonAttr = "email"               // string, case-insensitive, absent when none
	PersonMobilePhone    PersonAttr = "mobilePhone"         // string (E.164), exact, absent when none
	PersonOfficePhone    PersonAttr = "officePhone"         // string, exact, absent when none
	PersonKind           PersonAttr = "kind"                // string (Employee, Technician), exact, always present
	PersonActive         PersonAttr = "active"              // bool, always present
	PersonLicenseType    PersonAttr = "licenseType"         // string, exact, absent when none
	PersonMobileAccess   PersonAttr = "mobileAccessEnabled" // bool, always present
	PersonBusinessUnitID PersonAttr = "businessUnitId"      // int64, absent when none
	PersonManagerID      PersonAttr = "managerId"           // int64, absent when none
	PersonTeam           PersonAttr = "team"                // string (team name), case-insensitive, absent when none
	PersonAADUserID      PersonAttr = "aadUserId"           // string, exact, absent when none
	PersonExternalID     PersonAttr = "externalId"          // string, exact, absent when none (PersonDirectory)
	PersonEmployeeNumber PersonAttr = "employeeNumber"      // string, exact, absent when none (PersonDirectory)
	PersonGivenName      PersonAttr = "givenName"           // string, case-insensitive, absent when none (PersonDirectory)
	PersonFamilyName     PersonAttr = "familyName"          // string, case-insensitive, absent when none (PersonDirectory)
	PersonDeleted        PersonAttr = "directoryDeleted"    // bool, always present (PersonDirectory.Deleted)
	PersonCreatedOn      PersonAttr = "createdOn"           // time.Time (to the microsecond), always present
	PersonModifiedOn     PersonAttr = "modifiedOn"          // time.Time, always present
	PersonRoleID         PersonAttr = "roleId"              // int64, multi-valued: the roles held, absent when none
)
