package scim_test

import (
	"encoding/json"
	"net/url"
	"os"
	"testing"

	"crewid/server/servertest"
	"crewid/store"
	"crewid/store/postgres"
	"crewid/store/sqlite"
)

// FuzzSCIM sends arbitrary filters, paging values, ids and bodies, with a
// valid token, to a real server on SQLite: no answer may be a 5xx, and
// every error must be a SCIM error (a JSON object with schemas). One server
// serves a whole fuzzing process. CREWID_FUZZ_BACKEND=postgres runs the
// same on the PostgreSQL server of CREWID_TEST_POSTGRES_URL.
//
// target picks the request (modulo 8): text is the filter, the paging
// values or the id, body the request body.
func FuzzSCIM(f *testing.F) {
	var st store.Store = sqlite.OpenTest(f)
	if os.Getenv("CREWID_FUZZ_BACKEND") == "postgres" {
		st = postgres.OpenTest(f)
	}
	env := servertest.Start(f, st)
	token := env.Token(f, env.App)
	setup := scimClient{t: f, base: env.URL, token: token}
	status, _, raw := setup.do("POST", "/Users", []byte(`{"userName": "fuzz@acme.example",
		"emails": [{"value": "fuzz@acme.example", "type": "work", "primary": true}]}`))
	var user struct{ ID string }
	if status != 201 || json.Unmarshal(raw, &user) != nil {
		f.Fatalf("create the user to aim at: %d %s", status, raw)
	}
	status, _, raw = setup.do("POST", "/Groups", []byte(`{"displayName": "Fuzz Crew"}`))
	var group struct{ ID string }
	if status != 201 || json.Unmarshal(raw, &group) != nil {
		f.Fatalf("create the group to aim at: %d %s", status, raw)
	}

	filters := []string{`userName eq "BOB"`, `emails co "acme"`, `emails[type eq "work" and value ew ".example"]`,
		`name.givenName eq "ann" or name.familyName pr`, `not (displayName co "smith")`, `externalId pr`,
		`meta.lastModified gt "2000-01-01T00:00:00Z" and meta.resourceType eq "User"`, `userName eq "a\"b"`,
		`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "1"`,
		`displayName eq "Fuzz Crew"`, `members[value eq "1"]`, `userName eq`, `emails[type eq "work"`, `active gt true`}
	for i, flt := range filters {
		f.Add(uint8(i%2), flt, []byte(nil))
	}
	f.Add(uint8(2), "0", []byte(nil))
	f.Add(uint8(2), "-5", []byte(nil))
	f.Add(uint8(7), user.ID, []byte(nil))
	f.Add(uint8(7), "9223372036854775808", []byte(nil))
	bodies := []string{`{"userName": "seed@acme.example", "active": "False"}`, `{`, `[]`, `{"userName": 5}`,
		`{"Operations": [{"op": "Replace", "path": "active", "value": "False"}]}`,
		`{"Operations": [{"op": "remove", "path": "emails[type eq \"work\"]"}]}`,
		`{"Operations": [{"op": "add", "path": "members", "value": [{"value": "` + user.ID + `"}]}]}`,
		`{"Operations": [{"op": "replace", "value": {"displayName": "x", "name.givenName": "y"}}]}`,
		`{"userName": "ok.name", "urn:crewid:params:scim:schemas:extension:crewid:2.0:User": {"type": "Technician"}}`}
	for i, b := range bodies {
		f.Add(uint8(3+i%4), "", []byte(b))
	}

	f.Fuzz(func(t *testing.T, target uint8, text string, body []byte) {
		c := scimClient{t: t, base: env.URL, token: token}
		var method, path string
		switch target % 8 {
		case 0:
			method, path = "GET", "/Users?filter="+url.QueryEscape(text)
		case 1:
			method, path = "GET", "/Groups?filter="+url.QueryEscape(text)
		case 2:
			method, path = "GET", "/Users?startIndex="+url.QueryEscape(text)+"&count="+url.QueryEscape(text)
		case 3:
			method, path = "POST", "/Users"
		case 4:
			method, path = "PATCH", "/Users/"+user.ID
		case 5:
			method, path = "PUT", "/Users/"+user.ID
		case 6:
			method, path = "PATCH", "/Groups/"+group.ID
		case 7:
			method, path = "GET", "/Users/"+url.PathEscape(text)
		}
		status, _, raw := c.do(method, path, body)
		if status >= 500 {
			t.Fatalf("%s %s %q: %d %s", method, path, body, status, raw)
		}
		if status >= 400 {
			var e struct{ Schemas []string }
			if err := json.Unmarshal(raw, &e); err != nil || len(e.Schemas) == 0 {
				t.Fatalf("%s %s %q: %d, not a SCIM error: %s", method, path, body, status, raw)
			}
		}
	})
}
