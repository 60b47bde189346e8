package scim

import (
	"encoding/json"
	"reflect"
	"testing"

	"crewid/store"
)

func ops(t *testing.T, raw string) []PatchOp {
	t.Helper()
	var req PatchRequest
	if err := json.Unmarshal([]byte(raw), &req); err != nil {
		t.Fatal(err)
	}
	return req.Operations
}

func TestPatchUserShapes(t *testing.T) {
	base := User{Schemas: []string{SchemaUser}, ID: "7", UserName: "ann@acme.example", DisplayName: "Ann Smith",
		Name:   &Name{GivenName: "Ann", FamilyName: "Smith"},
		Active: boolPtr(true), Emails: []MultiValue{{Value: "ann@acme.example", Type: "work", Primary: true}}}
	cases := []struct {
		name  string
		ops   string
		check func(u User) bool
	}{
		{"Entra: capitalised op, string boolean", `{"Operations":[{"op":"Replace","path":"active","value":"False"}]}`,
			func(u User) bool { return u.Active != nil && !bool(*u.Active) }},
		{"Okta: value object without path", `{"Operations":[{"op":"replace","value":{"active":false,"displayName":"A. Smith"}}]}`,
			func(u User) bool { return !bool(*u.Active) && u.DisplayName == "A. Smith" }},
		{"value object keyed by paths and URNs", `{"Operations":[{"op":"Add","value":{"name.givenName":"Anne",
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"12",
			"urn:crewid:params:scim:schemas:extension:crewid:2.0:User":{"team":"North"}}}]}`,
			func(u User) bool {
				return u.Name.GivenName == "Anne" && u.Enterprise.EmployeeNumber == "12" && u.Crewid.Team == "North"
			}},
		{"filtered path adds a missing element", `{"Operations":[{"op":"add","path":"phoneNumbers[type eq \"mobile\"].value","value":"+15550001111"}]}`,
			func(u User) bool { return len(u.PhoneNumbers) == 1 && u.PhoneNumbers[0].Type == "mobile" }},
		{"filtered path sets an existing element", `{"op":"x","Operations":[{"op":"replace","path":"emails[type eq \"work\"].value","value":"a@b.c"}]}`,
			func(u User) bool {
				return len(u.Emails) == 1 && u.Emails[0].Value == "a@b.c" && bool(u.Emails[0].Primary)
			}},
		{"manager as a bare id", `{"Operations":[{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"42"}]}`,
			func(u User) bool { return u.Enterprise.Manager != nil && u.Enterprise.Manager.Value == "42" }},
		{"attribute names in any case", `{"Operations":[{"op":"REPLACE","path":"DISPLAYNAME","value":"X"}]}`,
			func(u User) bool { return u.DisplayName == "X" }},
		{"read-only attributes are ignored", `{"Operations":[{"op":"replace","value":{"id":"99","meta":{"resourceType":"x"}}}]}`,
			func(u User) bool { return u.ID == "7" }},
		{"remove a sub-attribute", `{"Operations":[{"op":"remove","path":"name.familyName"}]}`,
			func(u User) bool { return u.Name.FamilyName == "" && u.Name.GivenName == "Ann" }},
	}
	for _, c := range cases {
		var out User
		if err := patchResource(base, ops(t, c.ops), SchemaUser, &out); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !c.check(out) {
			t.Fatalf("%s: got %+v", c.name, out)
		}
	}
	// The original is never changed.
	if base.DisplayName != "Ann Smith" || len(base.PhoneNumbers) != 0 {
		t.Fatalf("patch changed its input: %+v", base)
	}
}

func TestPatchGroupMembers(t *testing.T) {
	base := Group{Schemas: []string{SchemaGroup}, ID: "3", DisplayName: "Night",
		Members: []Reference{{Value: "1"}, {Value: "2"}}}
	cases := []struct {
		name string
		ops  string
		want []Text
	}{
		{"add, skipping duplicates", `{"Operations":[{"op":"Add","path":"members","value":[{"value":"2"},{"value":"3"}]}]}`, []Text{"1", "2", "3"}},
		{"remove by value (Entra)", `{"Operations":[{"op":"Remove","path":"members","value":[{"$ref":null,"value":"1"}]}]}`, []Text{"2"}},
		{"remove by filter (Okta)", `{"Operations":[{"op":"remove","path":"members[value eq \"2\"]"}]}`, []Text{"1"}},
		{"replace all", `{"Operations":[{"op":"replace","path":"members","value":[{"value":"9"}]}]}`, []Text{"9"}},
		{"remove all", `{"Operations":[{"op":"remove","path":"members"}]}`, nil},
		{"numbers as ids", `{"Operations":[{"op":"add","path":"members","value":[{"value":4}]}]}`, []Text{"1", "2", "4"}},
	}
	for _, c := range cases {
		var out Group
		if err := patchResource(base, ops(t, c.ops), SchemaGroup, &out); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var got []Text
		for _, m := range out.Members {
			got = append(got, m.Value)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Fatalf("%s: members %v, want %v", c.name, got, c.want)
		}
	}
}

func TestPatchRefusals(t *testing.T) {
	base := Group{Schemas: []string{SchemaGroup}, ID: "3", DisplayName: "Night"}
	for _, c := range []struct{ ops, scimType string }{
		{`{"Operations":[{"op":"move","path":"displayName","value":"x"}]}`, TypeInvalidValue},
		{`{"Operations":[{"op":"remove"}]}`, TypeNoTarget},
		{`{"Operations":[{"op":"add","path":"members[","value":"x"}]}`, TypeInvalidPath},
		{`{"Operations":[{"op":"add","path":"urn:example:x:y","value":"x"}]}`, TypeInvalidPath},
		{`{"Operations":[{"op":"replace","path":"members[value sw \"1\"].display","value":"x"}]}`, TypeNoTarget},
		{`{"Operations":[]}`, TypeInvalidValue},
	} {
		var out Group
		err := patchResource(base, ops(t, c.ops), SchemaGroup, &out)
		if ErrorType(err) != c.scimType {
			t.Fatalf("%s: got %v (%q), want %s", c.ops, err, ErrorType(err), c.scimType)
		}
	}
}

func TestUserFilterTranslation(t *testing.T) {
	email := store.Compare{Attr: store.PersonEmail, Op: store.OpEq, Value: "a@b.c"}
	cases := []struct {
		filter string
		want   store.Filter
	}{
		{`userName eq "Ann"`, store.Compare{Attr: store.PersonUserName, Op: store.OpEq, Value: "Ann"}},
		{`emails[type eq "work"].value eq "a@b.c"`, store.And{store.Present{Attr: store.PersonEmail}, store.And{always, email}}},
		{`emails.value eq "a@b.c"`, store.And{store.Present{Attr: store.PersonEmail}, email}},
		{`emails[type eq "home"]`, store.And{store.Present{Attr: store.PersonEmail}, never}},
		{`id eq "12"`, store.Compare{Attr: store.PersonID, Op: store.OpEq, Value: int64(12)}},
		{`active eq "True"`, store.Compare{Attr: store.PersonActive, Op: store.OpEq, Value: true}},
		{`externalId eq null`, store.Not{Filter: store.Present{Attr: store.PersonExternalID}}},
		{`urn:crewid:params:scim:schemas:extension:crewid:2.0:User:licenseType eq "ManagedTech"`,
			store.Compare{Attr: store.PersonLicenseType, Op: store.OpEq, Value: "ManagedTechnician"}},
		{`userName eq "a\"b"`, store.Compare{Attr: store.PersonUserName, Op: store.OpEq, Value: `a"b`}},
	}
	for _, c := range cases {
		got, err := ParseUserFilter(c.filter)
		if err != nil {
			t.Fatalf("%s: %v", c.filter, err)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Fatalf("%s:\n got %#v\nwant %#v", c.filter, got, c.want)
		}
	}
	if got, err := ParseUserFilter("  "); got != nil || err != nil {
		t.Fatalf("empty filter: %v %v", got, err)
	}
}
