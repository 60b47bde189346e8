package scim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"crewid"
	"crewid/apps"
	"crewid/server/servertest"
	"crewid/store"
)

// start runs a server and returns a SCIM client of its tenant's application.
func start(t *testing.T, b servertest.Backend) (*servertest.Env, scimClient) {
	env := servertest.Start(t, b.Open(t))
	return env, scimClient{t: t, base: env.URL, token: env.Token(t, env.App)}
}

// call sends v as JSON and decodes the answer into a map.
func (c scimClient) call(method, path string, v any) (int, map[string]any) {
	c.t.Helper()
	var body []byte
	switch v := v.(type) {
	case nil:
	case string:
		body = []byte(v)
	default:
		var err error
		if body, err = json.Marshal(v); err != nil {
			c.t.Fatal(err)
		}
	}
	status, _, raw := c.do(method, path, body)
	out := map[string]any{}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			c.t.Fatalf("%s %s: answer is not JSON: %s", method, path, raw)
		}
	}
	return status, out
}

func (c scimClient) createUser(userName, email string, extra map[string]any) string {
	c.t.Helper()
	u := map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": userName,
		"emails": []map[string]any{{"value": email, "type": "work", "primary": true}}, "active": true}
	for k, v := range extra {
		u[k] = v
	}
	status, got := c.call("POST", "/Users", u)
	if status != http.StatusCreated {
		c.t.Fatalf("create %s: %d %v", userName, status, got)
	}
	return got["id"].(string)
}

// ids lists the ids of a ListResponse.
func ids(t *testing.T, got map[string]any) []string {
	t.Helper()
	res, ok := got["Resources"].([]any)
	if !ok {
		t.Fatalf("no Resources in %v", got)
	}
	out := []string{}
	for _, r := range res {
		out = append(out, r.(map[string]any)["id"].(string))
	}
	slices.Sort(out)
	return out
}

func TestAuthentication(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		env, _ := start(t, b)
		anonymous := scimClient{t: t, base: env.URL}
		status, got := anonymous.call("GET", "/Users", nil)
		if status != http.StatusUnauthorized || got["status"] != "401" {
			t.Fatalf("no token: %d %v", status, got)
		}
		forged := scimClient{t: t, base: env.URL, token: "not-a-token"}
		if status, _ := forged.call("GET", "/Users", nil); status != http.StatusUnauthorized {
			t.Fatalf("forged token: %d", status)
		}

		ctx := context.Background()
		operator := crewid.Actor{Type: crewid.ActorOperator, Name: "test"}
		app, secret, err := env.Server.Apps.Create(ctx, operator, env.Tenant.ID, "reader", []string{apps.ScopePeopleRead})
		if err != nil {
			t.Fatal(err)
		}
		readerClientID, readerSecret := app.ClientID, secret
		reader := scimClient{t: t, base: env.URL, token: env.Token(t, servertest.Credentials{ClientID: app.ClientID, ClientSecret: secret})}
		status, got = reader.call("GET", "/Users", nil)
		if status != http.StatusForbidden || got["status"] != "403" || !strings.Contains(fmt.Sprint(got["detail"]), "scim") {
			t.Fatalf("token without the scim scope: %d %v", status, got)
		}

		app, secret, err = env.Server.Apps.Create(ctx, operator, env.Tenant.ID, "directory", []string{apps.ScopeSCIM})
		if err != nil {
			t.Fatal(err)
		}
		directory := scimClient{t: t, base: env.URL, token: env.Token(t, servertest.Credentials{ClientID: app.ClientID, ClientSecret: secret})}
		if status, got := directory.call("GET", "/ServiceProviderConfig", nil); status != http.StatusOK ||
			got["patch"].(map[string]any)["supported"] != true {
			t.Fatalf("scim-only token: %d %v", status, got)
		}

		// Directories that keep one secret send the client credentials
		// as the bearer value or with HTTP Basic.
		status, got = client(t, env, app.ClientID+":"+secret).call("GET", "/Users", nil)
		if status != http.StatusOK {
			t.Fatalf("client credentials as the bearer value: %d %v", status, got)
		}
		if status := basicGet(t, env.URL, app.ClientID, secret); status != http.StatusOK {
			t.Fatalf("HTTP Basic: %d", status)
		}
		if status := basicGet(t, env.URL, app.ClientID, secret+"x"); status != http.StatusUnauthorized {
			t.Fatalf("HTTP Basic, wrong secret: %d", status)
		}
		if status, _ := client(t, env, app.ClientID+":wrong").call("GET", "/Users", nil); status != http.StatusUnauthorized {
			t.Fatalf("wrong secret as the bearer value: %d", status)
		}
		if status := basicGet(t, env.URL, readerClientID, readerSecret); status != http.StatusForbidden {
			t.Fatalf("HTTP Basic of an application without the scim scope: %d", status)
		}

		// Revoking the application ends its access.
		inactive := false
		if _, err := env.Server.Apps.Update(ctx, operator, env.Tenant.ID, app.ID, nil, nil, &inactive); err != nil {
			t.Fatal(err)
		}
		if status, _ := directory.call("GET", "/Users", nil); status != http.StatusUnauthorized {
			t.Fatalf("revoked application: %d", status)
		}
		if status := basicGet(t, env.URL, app.ClientID, secret); status != http.StatusUnauthorized {
			t.Fatalf("revoked application, HTTP Basic: %d", status)
		}
	})
}

func client(t *testing.T, env *servertest.Env, token string) scimClient {
	return scimClient{t: t, base: env.URL, token: token}
}

func basicGet(t *testing.T, base, user, password string) int {
	t.Helper()
	req, err := http.NewRequest("GET", base+"/scim/v2/Users", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestTenantIsolation(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		env, a := start(t, b)
		_, _, credsB := env.NewTenant(t, "Bravo Plumbing")
		other := scimClient{t: t, base: env.URL, token: env.Token(t, credsB)}

		user := a.createUser("alice@acme.example", "alice@acme.example", map[string]any{"externalId": "alice-ext"})
		status, group := a.call("POST", "/Groups", map[string]any{"displayName": "Night Shift", "members": []map[string]any{{"value": user}}})
		if status != http.StatusCreated {
			t.Fatalf("create group: %d %v", status, group)
		}
		groupID := group["id"].(string)

		for _, path := range []string{"/Users/" + user, "/Groups/" + groupID} {
			if status, _ := other.call("GET", path, nil); status != http.StatusNotFound {
				t.Fatalf("tenant B GET %s: %d", path, status)
			}
			if status, _ := other.call("PATCH", path, map[string]any{"Operations": []map[string]any{{"op": "replace", "path": "externalId", "value": "stolen"}}}); status != http.StatusNotFound {
				t.Fatalf("tenant B PATCH %s: %d", path, status)
			}
			if status, _ := other.call("DELETE", path, nil); status != http.StatusNotFound {
				t.Fatalf("tenant B DELETE %s: %d", path, status)
			}
		}
		for _, filter := range []string{`externalId eq "alice-ext"`, `userName eq "alice@acme.example"`, `id eq "` + user + `"`} {
			status, got := other.call("GET", "/Users?filter="+url.QueryEscape(filter), nil)
			if status != http.StatusOK || got["totalResults"] != float64(0) {
				t.Fatalf("tenant B filter %s: %d %v", filter, status, got)
			}
		}
		if status, got := other.call("GET", "/Groups?filter="+url.QueryEscape(`displayName eq "Night Shift"`), nil); status != http.StatusOK || got["totalResults"] != float64(0) {
			t.Fatalf("tenant B groups: %d %v", status, got)
		}
		// Tenant B adding tenant A's user to its own group is refused.
		status, got := other.call("POST", "/Groups", map[string]any{"displayName": "Raid", "members": []map[string]any{{"value": user}}})
		if status != http.StatusBadRequest {
			t.Fatalf("tenant B group with A's user: %d %v", status, got)
		}
		// And tenant A still sees its own.
		if status, got := a.call("GET", "/Users/"+user, nil); status != http.StatusOK || got["externalId"] != "alice-ext" {
			t.Fatalf("tenant A: %d %v", status, got)
		}
	})
}

func TestHistoryShowsTheApplication(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		env, client := start(t, b)
		id := client.createUser("hank@acme.example", "hank@acme.example", map[string]any{"externalId": "hank-1"})
		status, _ := client.call("PATCH", "/Users/"+id, map[string]any{"Operations": []map[string]any{
			{"op": "Replace", "path": "displayName", "value": "Hank Hill"},
			{"op": "Replace", "path": "active", "value": "False"},
		}})
		if status != http.StatusOK {
			t.Fatalf("patch: %d", status)
		}
		if status, _ := client.call("DELETE", "/Users/"+id, nil); status != http.StatusNoContent {
			t.Fatalf("delete: %d", status)
		}
		personID := mustID(t, id)
		page, err := env.Store.History(context.Background(), env.Tenant.ID, store.HistoryQuery{
			EventQuery: store.EventQuery{RecordID: personID}, PageSize: 100, OldestFirst: true})
		if err != nil {
			t.Fatal(err)
		}
		var types []string
		for _, e := range page.Items {
			if e.RecordType != string(crewid.KindEmployee) {
				continue
			}
			types = append(types, e.Type)
			if e.Actor.Type != crewid.ActorApplication || e.Actor.ID != env.App.AppID || e.Actor.Name != "test integration" {
				t.Fatalf("event %s by %+v, want the application", e.Type, e.Actor)
			}
		}
		want := []string{"Employee.Created", "Employee.DirectoryUpdated", "Employee.Updated", "Employee.Deactivated", "Employee.DirectoryUpdated"}
		if !slices.Equal(types, want) {
			t.Fatalf("events %v, want %v", types, want)
		}
		// The person is kept, inactive, for the Settings API and history.
		p, err := env.Store.Person(context.Background(), env.Tenant.ID, personID)
		if err != nil || p.Active || p.Name != "Hank Hill" {
			t.Fatalf("kept person: %+v %v", p, err)
		}
	})
}

// A directory that deletes a User and later provisions the same userName
// again gets the same person back, active, with the default role and
// nothing of the old groups; another userName still gets a new person.
func TestProvisionAgainAfterDelete(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		env, client := start(t, b)
		id := client.createUser("ida@acme.example", "ida@acme.example", map[string]any{"externalId": "ida-1"})
		status, list := client.call("GET", "/Groups?filter="+url.QueryEscape(`displayName eq "Dispatcher"`), nil)
		if status != http.StatusOK || list["totalResults"] != float64(1) {
			t.Fatalf("find Dispatcher: %d %v", status, list)
		}
		if status, got := client.call("PATCH", "/Groups/"+ids(t, list)[0], map[string]any{"Operations": []map[string]any{
			{"op": "add", "path": "members", "value": []map[string]any{{"value": id}}},
		}}); status != http.StatusNoContent && status != http.StatusOK {
			t.Fatalf("add to Dispatcher: %d %v", status, got)
		}
		if status, _ := client.call("DELETE", "/Users/"+id, nil); status != http.StatusNoContent {
			t.Fatalf("delete: %d", status)
		}
		if status, _ := client.call("GET", "/Users/"+id, nil); status != http.StatusNotFound {
			t.Fatalf("GET after delete: %d, want 404", status)
		}

		again := client.createUser("ida@acme.example", "ida@acme.example", map[string]any{
			"externalId": "ida-2", "name": map[string]any{"givenName": "Ida", "familyName": "North"}})
		if again != id {
			t.Fatalf("provisioned again as %s, want the same person %s", again, id)
		}
		status, got := client.call("GET", "/Users/"+id, nil)
		if status != http.StatusOK || got["active"] != true || got["externalId"] != "ida-2" || got["displayName"] != "Ida North" {
			t.Fatalf("GET after provisioning again: %d %v", status, got)
		}
		p, err := env.Store.Person(context.Background(), env.Tenant.ID, mustID(t, id))
		if err != nil {
			t.Fatal(err)
		}
		if want := []int64{env.Roles["OfficeStaff"].ID}; !p.Active || !slices.Equal(p.RoleIDs, want) {
			t.Fatalf("person provisioned again: active %v, roles %v, want active with %v", p.Active, p.RoleIDs, want)
		}
		if status, got := client.call("GET", "/Users?filter="+url.QueryEscape(`userName eq "ida@acme.example"`), nil); status != http.StatusOK || got["totalResults"] != float64(1) {
			t.Fatalf("filter after provisioning again: %d %v", status, got)
		}
		if status, got := client.call("POST", "/Users", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
			"userName": "ida@acme.example"}); status != http.StatusConflict || got["scimType"] != "uniqueness" {
			t.Fatalf("second POST of a visible userName: %d %v, want 409 uniqueness", status, got)
		}
	})
}

func mustID(t *testing.T, s string) int64 {
	t.Helper()
	var id int64
	if _, err := fmt.Sscan(s, &id); err != nil {
		t.Fatalf("id %q: %v", s, err)
	}
	return id
}

func TestTechnicians(t *testing.T) {
	const ext = "urn:crewid:params:scim:schemas:extension:crewid:2.0:User"
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		_, client := start(t, b)
		status, got := client.call("POST", "/Users", map[string]any{"userName": "+15552010001",
			"displayName": "Rita Ramos", "phoneNumbers": []map[string]any{{"value": "(555) 201-0001", "type": "mobile"}},
			ext: map[string]any{"type": "Technician"}})
		if status != http.StatusBadRequest || got["scimType"] != "invalidValue" || !strings.Contains(fmt.Sprint(got["detail"]), "licenseType") {
			t.Fatalf("technician without a license: %d %v", status, got)
		}
		status, got = client.call("POST", "/Users", map[string]any{"userName": "+15552010001",
			"displayName": "Rita Ramos", "phoneNumbers": []map[string]any{{"value": "(555) 201-0001", "type": "mobile"}},
			ext: map[string]any{"type": "Technician", "licenseType": "ManagedTech", "positions": []string{"Service"}}})
		if status != http.StatusCreated {
			t.Fatalf("technician: %d %v", status, got)
		}
		id := got["id"].(string)
		crew := got[ext].(map[string]any)
		if crew["type"] != "Technician" || crew["licenseType"] != "ManagedTechnician" || crew["mobileAccessEnabled"] != true || got["userName"] != "+15552010001" {
			t.Fatalf("technician answer: %v", got)
		}
		status, got = client.call("GET", "/Users?filter="+url.QueryEscape(ext+`:type eq "technician" and phoneNumbers[type eq "mobile"].value eq "(555) 201-0001"`), nil)
		if status != http.StatusOK || !slices.Equal(ids(t, got), []string{id}) {
			t.Fatalf("technicians by type and mobile: %d %v", status, got)
		}
		// Deactivated, then activated with the license they had.
		for _, active := range []string{"False", "True"} {
			status, got = client.call("PATCH", "/Users/"+id, map[string]any{"Operations": []map[string]any{{"op": "replace", "path": "active", "value": active}}})
			if status != http.StatusOK || fmt.Sprint(got["active"]) != strings.ToLower(active) {
				t.Fatalf("active %s: %d %v", active, status, got)
			}
		}
		// The kind is fixed at creation.
		status, got = client.call("PATCH", "/Users/"+id, map[string]any{"Operations": []map[string]any{{"op": "replace", "path": ext + ":type", "value": "Employee"}}})
		if status != http.StatusBadRequest || got["scimType"] != "mutability" {
			t.Fatalf("kind change: %d %v", status, got)
		}
	})
}

func TestFilters(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		_, client := start(t, b)
		ann := client.createUser("ann.smith@acme.example", "ann.smith@acme.example", map[string]any{"name": map[string]any{"givenName": "Ann", "familyName": "Smith"}, "displayName": "Ann Smith"})
		bob := client.createUser("bob", "bob.jones@other.example", map[string]any{"displayName": "Bob Jones", "externalId": "B-2",
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{"employeeNumber": "0042", "manager": map[string]any{"value": ann}},
			"urn:crewid:params:scim:schemas:extension:crewid:2.0:User":   map[string]any{"aadUserId": "0f8fad5b-d9cb-469f-a165-70867728950e"}})
		cec := client.createUser("cec@acme.example", "cec@acme.example", map[string]any{"displayName": "Cécile Smithers", "active": false})
		cases := []struct {
			filter string
			want   []string
		}{
			{`userName eq "BOB"`, []string{bob}},
			{`emails co "acme"`, []string{ann, cec}},
			{`emails[type eq "work" and value ew ".example"]`, []string{ann, bob, cec}},
			{`emails[type eq "work"].value sw "ann"`, []string{ann}},
			{`emails[type eq "home"]`, []string{}},
			{`displayName sw "c" and active eq false`, []string{cec}},
			{`name.formatted co "smith" and active eq true`, []string{ann}},
			{`name.familyName sw "SMI" and active eq true`, []string{ann}},
			{`name.givenName eq "ann" or name.familyName pr`, []string{ann}},
			{`not (displayName co "smith")`, []string{bob}},
			{`externalId pr`, []string{bob}},
			{`externalId eq "b-2"`, []string{}},
			{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "` + ann + `"`, []string{bob}},
			{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber sw "00"`, []string{bob}},
			{`id eq "` + bob + `" or id eq "` + cec + `"`, []string{bob, cec}},
			{`id eq "nonsense"`, []string{}},
			{`meta.lastModified gt "2000-01-01T00:00:00Z" and meta.resourceType eq "User"`, []string{ann, bob, cec}},
			{`userName eq "a\"b"`, []string{}},
			{`urn:crewid:params:scim:schemas:extension:crewid:2.0:User:aadUserId eq "0f8fad5b-d9cb-469f-a165-70867728950e"`, []string{bob}},
		}
		for _, c := range cases {
			status, got := client.call("GET", "/Users?filter="+url.QueryEscape(c.filter), nil)
			if status != http.StatusOK {
				t.Fatalf("%s: %d %v", c.filter, status, got)
			}
			want := slices.Clone(c.want)
			slices.Sort(want)
			if g := ids(t, got); !slices.Equal(g, want) || got["totalResults"] != float64(len(want)) {
				t.Fatalf("%s: got %v (total %v), want %v", c.filter, g, got["totalResults"], want)
			}
		}
		for _, bad := range []string{`title eq "x"`, `userName eq`, `emails[type eq "work"`, `active gt true`, `meta.created eq "yesterday"`, `userName eq "nul` + "\x00" + `"`, `urn:example:User:x eq "1"`} {
			status, got := client.call("GET", "/Users?filter="+url.QueryEscape(bad), nil)
			if status != http.StatusBadRequest || got["scimType"] != "invalidFilter" {
				t.Fatalf("%q: %d %v, want 400 invalidFilter", bad, status, got)
			}
		}
		// Paging: startIndex from 1, count per page, totals unchanged.
		status, got := client.call("GET", "/Users?startIndex=2&count=1&filter="+url.QueryEscape(`emails co "example"`), nil)
		if status != http.StatusOK || got["totalResults"] != float64(3) || got["startIndex"] != float64(2) || got["itemsPerPage"] != float64(1) ||
			!slices.Equal(ids(t, got), []string{bob}) {
			t.Fatalf("paging: %d %v", status, got)
		}
		if status, got := client.call("GET", "/Users?count=many", nil); status != http.StatusBadRequest || got["scimType"] != "invalidValue" {
			t.Fatalf("bad count: %d %v", status, got)
		}
	})
}

func TestUniquenessAndValidation(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		env, client := start(t, b)
		client.createUser("dora@acme.example", "dora@acme.example", nil)
		// The same email for a second employee breaks the profile rules.
		status, got := client.call("POST", "/Users", map[string]any{"userName": "dora2", "emails": []map[string]any{{"value": "DORA@acme.example"}}})
		if status != http.StatusConflict || got["scimType"] != "uniqueness" {
			t.Fatalf("same email: %d %v", status, got)
		}
		// Logins are unique across tenants.
		client.createUser("shared.login", "eve@acme.example", nil)
		_, _, credsB := env.NewTenant(t, "Bravo Plumbing")
		other := scimClient{t: t, base: env.URL, token: env.Token(t, credsB)}
		status, got = other.call("POST", "/Users", map[string]any{"userName": "SHARED.login", "emails": []map[string]any{{"value": "eve@bravo.example"}}})
		if status != http.StatusConflict || got["scimType"] != "uniqueness" {
			t.Fatalf("login of another tenant: %d %v", status, got)
		}
		// Two groups cannot share a name.
		if status, _ := client.call("POST", "/Groups", map[string]any{"displayName": "Dispatcher"}); status != http.StatusConflict {
			t.Fatalf("group named like a built-in role: %d", status)
		}
		// A built-in role cannot be deleted.
		status, list := client.call("GET", "/Groups?filter="+url.QueryEscape(`displayName eq "Administrator"`), nil)
		if status != http.StatusOK || list["totalResults"] != float64(1) {
			t.Fatalf("find Administrator: %d %v", status, list)
		}
		admin := ids(t, list)[0]
		if status, got := client.call("DELETE", "/Groups/"+admin, nil); status != http.StatusBadRequest || got["scimType"] != "mutability" {
			t.Fatalf("delete built-in: %d %v", status, got)
		}
	})
}

// TestNoServerErrors sends malformed and hostile input: every answer is a
// SCIM error below 500.
func TestNoServerErrors(t *testing.T) {
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		_, client := start(t, b)
		id := client.createUser("frank@acme.example", "frank@acme.example", nil)
		bodies := []string{
			``, `{`, `[]`, `"x"`, `{"userName": 5}`, `{"userName": "x\u0000y"}`, `{"userName": "nul", "externalId": "a\u0000b"}`,
			`{"userName": "ok.name", "name": {"givenName": "\ud800"}}`, `{"userName": "ok.name2", "active": "maybe"}`,
			`{"userName": "ok.name3", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": "abc"}}`,
			`{"userName": "ok.name4", "urn:crewid:params:scim:schemas:extension:crewid:2.0:User": {"type": "Robot"}}`,
			`{"Operations": [{"op": "jump", "path": "active", "value": true}]}`,
			`{"Operations": [{"op": "remove"}]}`,
			`{"Operations": [{"op": "add", "path": "emails[type eq", "value": "x"}]}`,
			`{"Operations": [{"op": "replace", "path": "urn:nope:x", "value": "x"}]}`,
			`{"Operations": [{"op": "replace", "path": "name.givenName[type eq \"x\"]", "value": "x"}]}`,
			`{"Operations": [{"op": "replace", "path": "emails[value sw \"zz\"].value", "value": "x"}]}`,
			`{"Operations": [{"op": "replace", "value": 7}]}`,
			`{"Operations": [{"op": "add", "path": "members", "value": [{"value": "999999"}]}]}`,
			`{"Operations": []}`,
			`{"displayName": "\u0000"}`,
		}
		for _, body := range bodies {
			for _, target := range []struct{ method, path string }{
				{"POST", "/Users"}, {"PUT", "/Users/" + id}, {"PATCH", "/Users/" + id},
				{"POST", "/Groups"}, {"PATCH", "/Users/abc"},
			} {
				status, got := client.call(target.method, target.path, body)
				if status >= 500 || (status >= 400 && got["schemas"] == nil) {
					t.Fatalf("%s %s %s: %d %v", target.method, target.path, body, status, got)
				}
			}
		}
		for _, path := range []string{"/Nope", "/Users/1/extra", "/Schemas/urn:nope", "/ResourceTypes/User", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group", "/ResourceTypes"} {
			status, got := client.call("GET", path, nil)
			if status >= 500 || got["schemas"] == nil {
				t.Fatalf("GET %s: %d %v", path, status, got)
			}
		}
		if status, got := client.call("POST", "/ServiceProviderConfig", "{}"); status != http.StatusMethodNotAllowed || got["status"] != "405" {
			t.Fatalf("POST ServiceProviderConfig: %d %v", status, got)
		}
	})
}
