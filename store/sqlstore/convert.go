package sqlstore

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"crewid"
)

// Times are stored as microseconds since the epoch, UTC; 0 is the zero time.

func toMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// nullString stores "" as NULL, for columns where NULL means "none" and must
// not collide in a unique index.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// rowScanner is a *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

// uniqueSorted returns the distinct ids in ascending order, never nil: the
// child tables hold sets.
func uniqueSorted(ids []int64) []int64 {
	out := make([]int64, 0, len(ids))
	out = append(out, ids...)
	slices.Sort(out)
	return slices.Compact(out)
}

// orEmpty returns s, or an empty slice for nil, so callers can rely on
// non-nil slices from reads.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// nonEmptyBytes keeps NOT NULL blob columns from receiving NULL for a nil slice.
func nonEmptyBytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// addressJSON is crewid.Address inside a details document.
type addressJSON struct {
	Street    string   `json:"street,omitempty"`
	Unit      string   `json:"unit,omitempty"`
	City      string   `json:"city,omitempty"`
	State     string   `json:"state,omitempty"`
	Zip       string   `json:"zip,omitempty"`
	Country   string   `json:"country,omitempty"`
	Latitude  *float64 `json:"latitude,omitempty"`
	Longitude *float64 `json:"longitude,omitempty"`
}

func addressToJSON(a *crewid.Address) *addressJSON {
	if a == nil {
		return nil
	}
	return &addressJSON{Street: a.Street, Unit: a.Unit, City: a.City, State: a.State, Zip: a.Zip,
		Country: a.Country, Latitude: a.Latitude, Longitude: a.Longitude}
}

func (a *addressJSON) address() *crewid.Address {
	if a == nil {
		return nil
	}
	return &crewid.Address{Street: a.Street, Unit: a.Unit, City: a.City, State: a.State, Zip: a.Zip,
		Country: a.Country, Latitude: a.Latitude, Longitude: a.Longitude}
}

// nullID stores 0 as NULL, for optional references.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// toJSON encodes v for a TEXT column. It fails only on values JSON cannot
// hold (NaN or infinite numbers), which are the caller's bad input.
func toJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", crewid.Errorf(crewid.Invalid, "A value cannot be stored: %v", err)
	}
	return string(b), nil
}

// fromJSON decodes a TEXT column into v.
func fromJSON(s string, v any) error {
	if s == "" {
		return nil
	}
	if err := json.Unmarshal([]byte(s), v); err != nil {
		return fmt.Errorf("sqlstore: decode %T: %w", v, err)
	}
	return nil
}

// norm is the case-folded form used for case-insensitive matching.
func norm(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// uniqueFields maps a violated unique index to the field a client sent. The
// PostgreSQL name is the index name; SQLite reports the indexed columns.
var uniqueFields = []struct {
	postgres, sqlite string
	field, message   string
}{
	{"people_email_uq", "people.tenant_id, people.kind, people.email", "email", "The email address is already used by another person of the same type."},
	{"people_mobile_uq", "people.tenant_id, people.kind, people.mobile_phone", "phoneNumber", "The mobile number is already used by another person of the same type."},
	{"people_login_uq", "people.login_norm", "login", "The login is already taken."},
	{"people_aad_uq", "people.tenant_id, people.kind, people.aad_user_id", "aadUserId", "The Azure Active Directory user id is already linked to another person of the same type."},
	{"roles_name_uq", "roles.tenant_id, roles.name_norm", "name", "A role with this name already exists."},
	{"tag_types_name_uq", "tag_types.tenant_id, tag_types.name_norm", "name", "A tag type with this name already exists."},
	{"teams_name_uq", "teams.tenant_id, teams.name_norm", "name", "A team with this name already exists."},
	{"zones_name_uq", "zones.tenant_id, zones.name_norm", "name", "A zone with this name already exists."},
	{"custom_field_types_name_uq", "custom_field_types.tenant_id, custom_field_types.applies_to, custom_field_types.name_norm", "name", "A custom field with this name already exists."},
	{"apps_app_key_key", "apps.app_key", "appKey", "The application key is already in use."},
	{"apps_client_id_key", "apps.client_id", "clientId", "The client id is already in use."},
	{"signing_keys_pkey", "signing_keys.id", "id", "The signing key already exists."},
	{"person_custom_fields_pkey", "person_custom_fields.person_id, person_custom_fields.type_id", "customFields", "A custom field is given more than once."},
}

// translate turns database errors into crewid errors where they mean
// something to a client; other errors pass through unchanged.
func (db *DB) translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return crewid.ErrNotFound
	}
	if db.flavor.UniqueViolation != nil {
		if key, ok := db.flavor.UniqueViolation(err); ok {
			for _, u := range uniqueFields {
				if key == u.postgres || key == u.sqlite {
					return crewid.ConflictError(u.field, u.message)
				}
			}
			return &crewid.Error{Code: crewid.Conflict, Message: "The record conflicts with an existing one."}
		}
	}
	if db.flavor.ForeignKeyViolation != nil && db.flavor.ForeignKeyViolation(err) {
		return crewid.Errorf(crewid.Conflict, "The record refers to a missing record, or is still referred to by others.")
	}
	return err
}
