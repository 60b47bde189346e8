package scim

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// The resources are SCIM's own documents (RFC 7643), so their JSON names
// are part of this package's rules rather than of an HTTP layer. Reading
// is lenient where directories are: attribute names in any case (as
// encoding/json matches them), booleans as strings, ids as numbers.

// User is a SCIM User.
type User struct {
	Schemas      []string        `json:"schemas"`
	ID           string          `json:"id,omitempty"`
	ExternalID   string          `json:"externalId,omitempty"`
	UserName     string          `json:"userName"`
	Name         *Name           `json:"name,omitempty"`
	DisplayName  string          `json:"displayName,omitempty"`
	Active       *Bool           `json:"active,omitempty"`
	Emails       []MultiValue    `json:"emails,omitempty"`
	PhoneNumbers []MultiValue    `json:"phoneNumbers,omitempty"`
	Groups       []Reference     `json:"groups,omitempty"`
	Enterprise   *EnterpriseUser `json:"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User,omitempty"`
	Crewid       *CrewidUser     `json:"urn:crewid:params:scim:schemas:extension:crewid:2.0:User,omitempty"`
	Meta         *Meta           `json:"meta,omitempty"`
}

// Name is a User's name.
type Name struct {
	Formatted  string `json:"formatted,omitempty"`
	GivenName  string `json:"givenName,omitempty"`
	FamilyName string `json:"familyName,omitempty"`
}

// MultiValue is one email or phone number.
type MultiValue struct {
	Value   Text   `json:"value"`
	Type    string `json:"type,omitempty"`
	Primary Bool   `json:"primary,omitempty"`
}

// Reference points at another resource: a User's group, a Group's
// member, an enterprise manager (which directories also send as a bare id).
type Reference struct {
	Value   Text   `json:"value"`
	Ref     string `json:"$ref,omitempty"`
	Display string `json:"display,omitempty"`
	Type    string `json:"type,omitempty"`
}

// UnmarshalJSON accepts an object or a bare id.
func (r *Reference) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] != '{' {
		var v Text
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*r = Reference{Value: v}
		return nil
	}
	type plain Reference
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*r = Reference(p)
	return nil
}

// EnterpriseUser is the enterprise extension (RFC 7643 §4.3) as far as
// crewid keeps it.
type EnterpriseUser struct {
	EmployeeNumber string     `json:"employeeNumber,omitempty"`
	Manager        *Reference `json:"manager,omitempty"`
}

// CrewidUser is crewid's extension: what makes an employee or technician.
type CrewidUser struct {
	// Type is Employee or Technician; it is set on creation only.
	Type                string   `json:"type,omitempty"`
	Positions           []string `json:"positions,omitempty"`
	MobileAccessEnabled *Bool    `json:"mobileAccessEnabled,omitempty"`
	LicenseType         string   `json:"licenseType,omitempty"`
	BusinessUnitID      Text     `json:"businessUnitId,omitempty"`
	Team                string   `json:"team,omitempty"`
	// AADUserID is the person's Entra ID object id, which single sign-on
	// links them by.
	AADUserID string `json:"aadUserId,omitempty"`
}

// Group is a SCIM Group: a crewid role.
type Group struct {
	Schemas     []string    `json:"schemas"`
	ID          string      `json:"id,omitempty"`
	ExternalID  string      `json:"externalId,omitempty"`
	DisplayName string      `json:"displayName"`
	Members     []Reference `json:"members,omitempty"`
	Meta        *Meta       `json:"meta,omitempty"`
}

// Meta is a resource's metadata.
type Meta struct {
	ResourceType string `json:"resourceType"`
	Created      string `json:"created,omitempty"`
	LastModified string `json:"lastModified,omitempty"`
	Location     string `json:"location,omitempty"`
	Version      string `json:"version,omitempty"`
}

// Bool is a boolean that also reads "True" and "False" strings, as Entra
// ID sends them.
type Bool bool

// UnmarshalJSON accepts true, false, their string forms in any case, and null.
func (b *Bool) UnmarshalJSON(raw []byte) error {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return err
	}
	if v == nil {
		*b = false
		return nil
	}
	parsed, ok := boolValue(v)
	if !ok {
		return invalidValue("Expected true or false, got %s.", string(raw))
	}
	*b = Bool(parsed)
	return nil
}

func boolPtr(v bool) *Bool { b := Bool(v); return &b }

// Text is a string that also reads a number (ids sent unquoted).
type Text string

// UnmarshalJSON accepts a string, a number or null.
func (t *Text) UnmarshalJSON(raw []byte) error {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return err
	}
	switch v := v.(type) {
	case nil:
		*t = ""
	case string:
		*t = Text(v)
	case json.Number:
		*t = Text(v.String())
	default:
		return invalidValue("Expected a string, got %s.", string(raw))
	}
	return nil
}

// ListResponse is a page of resources (RFC 7644 §3.4.2).
type ListResponse[T any] struct {
	Schemas      []string `json:"schemas"`
	TotalResults int      `json:"totalResults"`
	StartIndex   int      `json:"startIndex"`
	ItemsPerPage int      `json:"itemsPerPage"`
	Resources    []T      `json:"Resources"`
}

// formatID is a resource id as SCIM carries it: a string.
func formatID(id int64) string { return strconv.FormatInt(id, 10) }

// parseID reads a resource id; anything else names no resource.
func parseID(s string) (int64, bool) {
	return idValue(strings.TrimSpace(s))
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// version is a weak entity tag over a resource's content: it changes
// whenever anything the resource shows changes, directory data included.
func version(v any) string {
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return `W/"` + hex.EncodeToString(sum[:12]) + `"`
}
