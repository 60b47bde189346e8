package settings_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"crewid"
	"crewid/access"
	"crewid/api/settings"
	"crewid/people"
	"crewid/server/servertest"
	"crewid/store"
	"crewid/store/postgres"
	"crewid/store/sqlite"
)

// FuzzSettingsAPI sends arbitrary requests, with valid credentials, to a
// real server on SQLite, over every route of the Settings and Dispatch
// APIs: no answer may be a 5xx, and every error answer must be an
// ApiErrorResponse. One server serves a whole fuzzing process.
//
// Inputs: route picks the route (modulo their number); flags pick the
// tenant, the id, the content type, the method and whether suffix is also
// appended to the path; suffix is also a junk path value; query is the raw
// query string; body is sent as is.
//
// Flags, low bits first:
//
//	0-1   tenant: 0, 1 the caller's; 2 junk; 3 another tenant
//	2-4   id: 0-3 a record of the route's kind; 4 of another kind; 5 junk;
//	      6 suffix; 7 the last record created by the fuzzer
//	5-6   content type: application/json, none, text/plain, +json with charset
//	7     append suffix to the path
//	8-10  method: 0-5 the route's; 6, 7 another one
//	11-12 3: a broken token
//	13-14 3: suffix is also the User-Agent
//
// The store is SQLite; CREWID_FUZZ_BACKEND=postgres runs the same on the
// PostgreSQL server of CREWID_TEST_POSTGRES_URL. CREWID_FUZZ_DEBUG=1 prints
// every exchange (with go test -v).
func FuzzSettingsAPI(f *testing.F) {
	fz := fzStartServer(f)
	for _, s := range fzSeeds(fz) {
		f.Add(s.route, s.flags, s.suffix, s.query, s.body)
	}
	f.Fuzz(func(t *testing.T, route uint8, flags uint16, suffix, query string, body []byte) {
		fz.do(t, route, flags, suffix, query, body)
	})
}

type fzServer struct {
	env    *servertest.Env
	routes []settings.Route
	other  crewid.Tenant
	client *http.Client
	token  string
	tokAt  time.Time
	// ids of records by collection ("employees", "zones", …).
	ids     map[string][]int64
	created map[string]int64
}

func fzStartServer(f *testing.F) *fzServer {
	var st store.Store
	if os.Getenv("CREWID_FUZZ_BACKEND") == "postgres" {
		st = postgres.OpenTest(f)
	} else {
		st = sqlite.OpenTest(f)
	}
	env := servertest.Start(f, st)
	fz := &fzServer{
		env:    env,
		routes: (&settings.Handler{}).Routes(),
		client: &http.Client{
			Timeout:       30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		ids:     map[string][]int64{},
		created: map[string]int64{},
	}
	fz.other, _, _ = env.NewTenant(f, "Other Plumbing")
	ctx := context.Background()
	srv, tenant := env.Server, env.Tenant.ID
	actor := crewid.Actor{Type: crewid.ActorOperator, Name: "fuzz"}
	must := func(err error) {
		f.Helper()
		if err != nil {
			f.Fatal(err)
		}
	}
	for _, r := range env.Roles {
		fz.ids["user-roles"] = append(fz.ids["user-roles"], r.ID)
	}
	role, err := srv.Org.CreateRole(ctx, actor, tenant, crewid.Role{Name: "Fuzz role", EmployeeType: crewid.EmployeeTypeAll, Active: true, Permissions: []int64{}})
	must(err)
	fz.ids["user-roles"] = append(fz.ids["user-roles"], role.ID)
	bu, err := srv.Org.CreateBusinessUnit(ctx, actor, tenant, crewid.BusinessUnit{Name: "North", Active: true,
		ExternalData: []crewid.ExternalData{{ApplicationGUID: "8b2f0a4e-8c8e-4b1e-9d7a-2f3e4d5c6b7a", Key: "k", Value: "v"}}})
	must(err)
	fz.ids["business-units"] = []int64{bu.ID}
	tag, err := srv.Org.CreateTagType(ctx, actor, tenant, crewid.TagType{Name: "VIP", Active: true})
	must(err)
	fz.ids["tag-types"] = []int64{tag.ID}
	for _, kind := range []crewid.Kind{crewid.KindEmployee, crewid.KindTechnician} {
		cf, err := srv.Org.CreateCustomFieldType(ctx, actor, tenant, crewid.CustomFieldType{Name: "Shirt " + string(kind), AppliesTo: kind, DataType: "Text", Active: true})
		must(err)
		fz.ids["custom-field-types"] = append(fz.ids["custom-field-types"], cf.ID)
	}
	team, _, err := srv.Org.CreateTeam(ctx, actor, tenant, crewid.Team{Name: "Blue", Active: true})
	must(err)
	fz.ids["teams"] = []int64{team.ID}
	zone, err := srv.Org.CreateZone(ctx, actor, tenant, crewid.Zone{Name: "Downtown", Active: true, Zips: []string{"10001"}})
	must(err)
	fz.ids["zones"] = []int64{zone.ID}
	emp, err := srv.People.Create(ctx, actor, crewid.Person{TenantID: tenant, Kind: crewid.KindEmployee, Name: "Ann Office",
		Email: "ann@example.com", RoleIDs: []int64{env.Roles[access.KeyDispatcher].ID}, Positions: []string{}}, people.AccountSetup{Method: people.CreateLater})
	must(err)
	tech, err := srv.People.Create(ctx, actor, crewid.Person{TenantID: tenant, Kind: crewid.KindTechnician, Name: "Tom Field",
		MobilePhone: "5551234567", RoleIDs: []int64{env.Roles[access.KeyTechnician].ID}, Positions: []string{"Service"},
		LicenseType: crewid.LicenseManagedTech, MobileAccessEnabled: true, TeamName: "Blue", ZoneIDs: []int64{zone.ID},
		BusinessUnitID: bu.ID, CustomFields: []crewid.CustomFieldValue{{TypeID: fz.ids["custom-field-types"][1], Value: "L"}}},
		people.AccountSetup{Method: people.SendInvite})
	must(err)
	fz.ids["employees"] = []int64{emp.ID}
	fz.ids["technicians"] = []int64{tech.ID}
	// A record of the other tenant, which must stay out of reach.
	otherBU, err := srv.Org.CreateBusinessUnit(ctx, actor, fz.other.ID, crewid.BusinessUnit{Name: "Elsewhere", Active: true})
	must(err)
	fz.ids["business-units"] = append(fz.ids["business-units"], otherBU.ID)
	return fz
}

// bearer returns a token for the tenant's application, renewed well before
// it expires.
func (fz *fzServer) bearer(t *testing.T) string {
	if fz.token == "" || time.Since(fz.tokAt) > 10*time.Minute {
		fz.token, fz.tokAt = fz.env.Token(t, fz.env.App), time.Now()
	}
	return fz.token
}

var (
	fzMethods  = []string{"GET", "POST", "PATCH", "DELETE", "PUT", "OPTIONS"}
	fzJunkIDs  = []string{"0", "-1", "abc", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "1.5", "1e3", "0x10", " 1", "+1", "01", "١", "\x00", "", "..", "%"}
	fzJunkTens = []string{"0", "-1", "abc", "9223372036854775807", "9223372036854775808", "1e3", "+1", " ", "%2F"}
	fzTypes    = []string{"application/json", "", "text/plain", "application/merge-patch+json; charset=utf-8"}
)

// fzCollection is the kind of record a route pattern is about.
func fzCollection(pattern string) string {
	_, rest, _ := strings.Cut(pattern, "{tenant}/")
	first, _, _ := strings.Cut(rest, "/")
	return first
}

func fzPick[T any](items []T, n int) T { return items[n%len(items)] }

func (fz *fzServer) request(route uint8, flags uint16, suffix string) (method, path string) {
	rt := fz.routes[int(route)%len(fz.routes)]
	method = rt.Method
	if m := flags >> 8 & 7; m >= 6 {
		method = fzPick(fzMethods, int(flags>>4)+len(suffix))
	}
	tenant := strconv.FormatInt(fz.env.Tenant.ID, 10)
	switch flags & 3 {
	case 2:
		tenant = fzPick(fzJunkTens, len(suffix))
		if len(suffix)%3 == 0 {
			tenant = suffix
		}
	case 3:
		tenant = strconv.FormatInt(fz.other.ID, 10)
	}
	coll := fzCollection(rt.Pattern)
	var id string
	switch sel := flags >> 2 & 7; {
	case sel < 4 && len(fz.ids[coll]) > 0:
		id = strconv.FormatInt(fzPick(fz.ids[coll], int(sel)+len(suffix)), 10)
	case sel == 4:
		others := []string{"employees", "technicians", "zones", "teams", "business-units", "user-roles"}
		id = strconv.FormatInt(fzPick(fz.ids[fzPick(others, len(suffix))], 0), 10)
	case sel == 6:
		id = suffix
	case sel == 7 && fz.created[coll] != 0:
		id = strconv.FormatInt(fz.created[coll], 10)
	default:
		id = fzPick(fzJunkIDs, len(suffix))
	}
	path = strings.ReplaceAll(rt.Pattern, "{tenant}", url.PathEscape(tenant))
	path = strings.ReplaceAll(path, "{id}", url.PathEscape(id))
	if flags&(1<<7) != 0 {
		for seg := range strings.SplitSeq(suffix, "/") {
			path += "/" + url.PathEscape(seg)
		}
	}
	return method, path
}

// fzQuery keeps a raw query string well-formed enough to reach the
// server: bytes a request line cannot carry are percent-encoded, and '%'
// is left alone so malformed escapes get through.
func fzQuery(raw string) string {
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c <= ' ' || c >= 0x7f || c == '#' || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' || c == '`' || c == '{' || c == '|' || c == '}' {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func (fz *fzServer) do(t *testing.T, route uint8, flags uint16, suffix, query string, body []byte) {
	if len(fz.routes) == 0 {
		t.Skip("no routes")
	}
	method, path := fz.request(route, flags, suffix)
	target := fz.env.URL + path
	if query != "" {
		target += "?" + fzQuery(query)
	}
	req, err := http.NewRequest(method, target, bytes.NewReader(body))
	if err != nil {
		t.Skipf("not a request: %v", err) // only malformed escapes in the suffix path
	}
	// A header can carry any byte but control characters.
	header := string(slices.DeleteFunc([]byte(suffix), func(c byte) bool { return c < ' ' && c != '\t' || c == 0x7f }))
	req.Header.Set("Authorization", "Bearer "+fz.bearer(t))
	if flags>>11&3 == 3 {
		req.Header.Set("Authorization", "Bearer "+header+"x")
	}
	req.Header.Set("ST-App-Key", fz.env.App.AppKey)
	if flags>>13&3 == 3 {
		req.Header.Set("User-Agent", header)
	}
	if ct := fzTypes[flags>>5&3]; ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	start := time.Now()
	resp, err := fz.client.Do(req)
	if err != nil {
		t.Fatalf("%s %.500s: %v (after %v)", method, target, err, time.Since(start))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %.500s: reading the answer: %v", method, target, err)
	}
	describe := func() string {
		b := body
		if len(b) > 300 {
			b = b[:300]
		}
		a := raw
		if len(a) > 500 {
			a = a[:500]
		}
		u := target
		if len(u) > 500 {
			u = u[:500] + "…"
		}
		return fmt.Sprintf("%s %s\nbody %q\n-> %d %s %s", method, u, b, resp.StatusCode, resp.Header.Get("Content-Type"), a)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("slow answer (%v): %s", d, describe())
	}
	if os.Getenv("CREWID_FUZZ_DEBUG") != "" {
		fmt.Println(describe())
	}
	switch status := resp.StatusCode; {
	case status >= 500:
		t.Fatalf("server error: %s", describe())
	case status < 300:
		if len(raw) > 0 && !json.Valid(raw) {
			t.Fatalf("success answer is not JSON: %s", describe())
		}
		if method == "POST" && strings.HasSuffix(path, "s") {
			var created struct{ ID int64 }
			if json.Unmarshal(raw, &created) == nil && created.ID > 0 {
				fz.created[fzCollection(fz.routes[int(route)%len(fz.routes)].Pattern)] = created.ID
			}
		}
	case status < 400:
		// Only the mux's redirect of an unclean path (//, /./, /../) to
		// the clean one, which is then answered like any request.
		if resp.Header.Get("Location") == "" {
			t.Fatalf("redirect without a location: %s", describe())
		}
	default:
		if err := fzCheckProblem(raw, status); err != nil {
			t.Fatalf("error answer is not an ApiErrorResponse (%v): %s", err, describe())
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Fatalf("error answer with content type %q: %s", ct, describe())
		}
		if status == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") == "" {
			t.Fatalf("401 without WWW-Authenticate: %s", describe())
		}
	}
}

// fzCheckProblem checks raw is {type, title, status, traceId, errors, data}
// with the types of the document's ApiErrorResponse.
func fzCheckProblem(raw []byte, status int) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return err
	}
	for _, k := range []string{"type", "title", "status", "traceId", "errors", "data"} {
		if _, ok := fields[k]; !ok {
			return fmt.Errorf("no %q", k)
		}
	}
	var p struct {
		Type    string              `json:"type"`
		Title   string              `json:"title"`
		Status  int                 `json:"status"`
		TraceID string              `json:"traceId"`
		Errors  map[string][]string `json:"errors"`
		Data    map[string]any      `json:"data"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return err
	}
	switch {
	case p.Status != status:
		return fmt.Errorf("status %d in the body", p.Status)
	case p.Type == "" || p.Title == "" || p.TraceID == "":
		return fmt.Errorf("empty type, title or traceId")
	case p.Errors == nil || p.Data == nil:
		return fmt.Errorf("errors or data is null")
	case status == http.StatusBadRequest && len(p.Errors) == 0:
		return fmt.Errorf("a 400 that names no field")
	}
	return nil
}

type fzSeed struct {
	route  uint8
	flags  uint16
	suffix string
	query  string
	body   []byte
}

// fzSeeds are requests to every route, then nasty inputs.
func fzSeeds(fz *fzServer) []fzSeed {
	index := func(method, pattern string) uint8 {
		for i, rt := range fz.routes {
			if rt.Method == method && strings.HasSuffix(rt.Pattern, pattern) {
				return uint8(i)
			}
		}
		return 0
	}
	var seeds []fzSeed
	add := func(method, pattern string, flags uint16, suffix, query, body string) {
		seeds = append(seeds, fzSeed{index(method, pattern), flags, suffix, query, []byte(body)})
	}
	for i := range fz.routes {
		seeds = append(seeds, fzSeed{route: uint8(i), body: []byte(`{}`)})
	}
	deep := strings.Repeat(`{"a":`, 20_000) + "1" + strings.Repeat("}", 20_000)
	ids10k := strings.TrimSuffix(strings.Repeat("1,", 10_000), ",")
	long := strings.Repeat("é", 50_000)
	ids51 := strings.TrimSuffix(strings.Repeat("1,", 51), ",")

	// People.
	add("POST", "/employees", 0, "", "", `{"name":"Eve","email":"eve@example.com","roleId":1,"positions":["CSR"],"accountCreationMethod":"CreateLater"}`)
	add("POST", "/technicians", 0, "", "", `{"name":"Tim","phoneNumber":"5559876543","roleIds":[1],"positions":[],"licenseType":"ManagedTech","accountCreationMethod":"SendInvite","zoneIds":[1,2,3],"mainZoneId":9}`)
	add("POST", "/technicians", 0, "", "", `{"name":"`+long+`","roleIds":[`+ids10k+`],"zoneIds":[`+ids10k+`],"positions":[],"licenseType":"ManagedTech","accountCreationMethod":"CreateLater"}`)
	add("POST", "/employees", 0, "", "", `{"name":"Nul\u0000","email":"nul@example.com","roleId":9223372036854775807,"positions":[],"accountCreationMethod":"AssignLoginAndPassword","login":"\u0000\u0000\u0000","password":"\ud800"}`)
	add("POST", "/employees", 0, "", "", "{\"name\":\"\xff\xfe\",\"email\":\"\xff@example.com\"}")
	add("POST", "/employees", 0, "", "", `{"name":null,"email":null,"roleId":null,"roleIds":null,"positions":null,"accountCreationMethod":null,"customFields":null,"permissions":null}`)
	add("POST", "/employees", 0, "", "", `{"roleId":9223372036854775808}`)
	add("POST", "/technicians", 0, "", "", `{"dailyGoal":1e400,"burdenRate":-0}`)
	add("POST", "/technicians", 0, "", "", `{"dailyGoal":"NaN","home":{"latitude":"Infinity"}}`)
	add("PATCH", "/technicians/{id}", 0, "", "", `{"name":"a","name":"b","phoneNumber":"+0","phoneNumber":"+15551112222"}`)
	add("PATCH", "/technicians/{id}", 0, "", "", `{"home":{"street":"1 Main","city":"X","latitude":1e308,"longitude":-1e308},"dailyGoal":-0,"burdenRate":1e13}`)
	add("PATCH", "/technicians/{id}", 0, "", "", `{"permissions":[{"id":-1,"value":"true"},{"id":9223372036854775807,"value":false}],"customFields":[{"typeId":-5,"value":"x"}]}`)
	add("PATCH", "/employees/{id}", 0, "", "", `{"roleId":0,"roleIds":null,"managerId":-1,"truckId":-1,"accountLocked":true,"login":""}`)
	add("PATCH", "/employees/{id}", 0, "", "", `{"email":"ANN@EXAMPLE.COM","login":"`+strings.Repeat("l", 101)+`"}`)
	add("PATCH", "/employees/{id}", 0, "", "", `{"customFields":[{"typeId":1,"value":"`+strings.Repeat("x", 10001)+`"}],"skills":[`+strings.TrimSuffix(strings.Repeat(`"s",`, 10_000), ",")+`]}`)
	add("PATCH", "/employees/{id}", 0, "", "", deep)
	add("PATCH", "/employees/{id}", 0, "", "", strings.Repeat("[", 100_000))
	add("PATCH", "/employees/{id}", 0, "", "", `null`)
	add("PATCH", "/employees/{id}", 0, "", "", `[]`)
	add("PATCH", "/employees/{id}", 1<<5, "", "", `{"name":"no content type"}`)
	add("PATCH", "/employees/{id}", 2<<5, "", "", `{"name":"text/plain"}`)
	add("POST", "/employees/{id}/account-actions", 0, "", "", `{"action":"Deactivate"}`)
	add("POST", "/technicians/{id}/account-actions", 0, "", "", `{"action":"Activate","licenseType":"ManagedTechnician","truckId":-1}`)
	add("POST", "/technicians/{id}/account-actions", 0, "", "", `{"action":"Activate","licenseType":"Bogus","truckId":9223372036854775807}`)
	add("POST", "/technicians/account-actions", 0, "", "", `{"action":"Activate","ids":[`+ids10k+`],"licenseTypes":{"1":"ManagedTechnician"},"truckIds":{"x":1}}`)
	add("POST", "/employees/account-actions", 0, "", "", `{"action":"Deactivate","ids":[-1,0,1,9223372036854775807]}`)
	add("POST", "/employees/account-actions", 0, "", "", `{"action":"Activate","ids":[],"licenseTypes":null}`)

	// Lists and exports.
	add("GET", "/employees", 0, "", "page=0&pageSize=-1&active=maybe&includeTotal=yes", "")
	add("GET", "/technicians", 0, "", "ids="+ids51, "")
	add("GET", "/technicians", 0, "", "ids=9223372036854775808&userIds=-1,abc&roleId=-1&teamId=x&businessUnitId=1e3", "")
	add("GET", "/employees", 0, "", "createdBefore=0000-01-01&modifiedOnOrAfter=10000-01-01&createdOnOrAfter=9999-12-31T23:59:59-01:00", "")
	add("GET", "/employees", 0, "", "createdBefore=0001-01-01&modifiedBefore=9999-12-31T23:59:59Z&page=1000000&pageSize=5000&includeTotal=true&active=Any", "")
	add("GET", "/employees", 0, "", "page=1&page=2&PAGE=3&Page=4&pageSize=1&pagesize=2&name=a&name=b", "")
	add("GET", "/employees", 0, "", "name=%25_%5C%00%ff&name="+strings.Repeat("n", 1001), "")
	add("GET", "/user-roles", 0, "", "employeeType=Nobody&sort=-Name", "")
	add("GET", "/teams", 0, "", "sort=%2B-+Name;DROP&includeInactive=NaN", "")
	add("GET", "/zones", 0, "", "sort=--createdon&ids=1,,2", "")
	add("GET", "/permissions", 0, "", "page=1000000&pageSize=5000", "")
	add("GET", "/export/employees", 0, "", "from=YzEuLTE&includeRecentChanges=maybe", "")
	add("GET", "/export/technicians", 0, "", "from=0000-01-01", "")
	add("GET", "/export/business-units", 0, "", "from=YzEuOTIyMzM3MjAzNjg1NDc3NTgwNw&externalDataApplicationGuid=nope", "")
	add("GET", "/export/tag-types", 0, "", "from=%zz&from=1", "")
	add("GET", "/business-units/{id}", 0, "", "externalDataApplicationGuid={8B2F0A4E-8C8E-4B1E-9D7A-2F3E4D5C6B7A}", "")
	add("GET", "/custom-field-types", 0, "", strings.Repeat("a=1&", 5000), "")

	// Settings records.
	add("POST", "/business-units", 0, "", "", `{"name":"BU","defaultTaxRate":1e400}`)
	add("POST", "/business-units", 0, "", "", `{"name":"BU2","defaultTaxRate":-0,"email":"x","phoneNumber":"١٢٣","currency":"EURO","address":null}`)
	add("PATCH", "/business-units/{id}", 0, "", "", `{"externalData":{"patchMode":"Merge","applicationGuid":"8b2f0a4e-8c8e-4b1e-9d7a-2f3e4d5c6b7a","externalData":[{"key":"k","value":null},{"key":"k2","value":"v"}]}}`)
	add("PATCH", "/business-units/{id}", 0, "", "", `{"externalData":{"applicationGuid":"8b2f0a4e-8c8e-4b1e-9d7a-2f3e4d5c6b7a","externalData":[`+strings.TrimSuffix(strings.Repeat(`{"key":"k","value":"v"},`, 600), ",")+`]}}`)
	add("PATCH", "/business-units/{id}", 0, "", "", `{"externalData":{"patchMode":"Upsert","applicationGuid":null}}`)
	add("DELETE", "/business-units/{id}", 0, "", "", "")
	add("POST", "/tag-types", 0, "", "", `{"name":"T","color":"#GGGGGG","importance":"Low","code":"`+strings.Repeat("c", 51)+`"}`)
	add("PATCH", "/tag-types/{id}", 0, "", "", `{"name":"","active":null,"color":null}`)
	add("POST", "/custom-field-types", 0, "", "", `{"name":"F","appliesTo":"Robot","dataType":"Blob"}`)
	add("PATCH", "/custom-field-types/{id}", 0, "", "", `{"appliesTo":null,"dataType":"Number"}`)
	add("POST", "/user-roles", 0, "", "", `{"name":"R","employeeType":"Robot","permissions":[-1,0,9223372036854775807]}`)
	add("PATCH", "/user-roles/{id}", 0, "", "", `{"name":null,"employeeType":null,"active":false,"permissions":null}`)
	add("DELETE", "/user-roles/{id}", 0, "", "", "")
	add("POST", "/teams", 0, "", "", `{"name":"Blue","active":true}`)
	add("POST", "/teams", 0, "", "", `{"name":null,"active":null}`)
	add("POST", "/zones", 0, "", "", `{"name":"Z","zips":[`+strings.TrimSuffix(strings.Repeat(`"1",`, 1001), ",")+`],"serviceDays":["Funday"],"businessUnits":[-1,9223372036854775807],"technicians":[1,1,1]}`)
	add("POST", "/zones", 0, "", "", `{"name":"Z2","businessUnits":[`+ids10k+`],"technicians":[`+ids10k+`]}`)
	// Bodies of nearly 1 MiB of distinct ids: each used to keep the
	// writer busy for 20 to 60 seconds (quadratic de-duplication, then a
	// lookup per id in the transaction).
	var many strings.Builder
	for i := 1; many.Len() < 1<<20-300; i++ {
		if i > 1 {
			many.WriteByte(',')
		}
		many.WriteString(strconv.Itoa(i))
	}
	add("POST", "/zones", 0, "", "", `{"name":"Z3","technicians":[`+many.String()+`]}`)
	add("POST", "/employees", 0, "", "", `{"name":"E","email":"e3@example.com","roleIds":[`+many.String()+`],"positions":[],"accountCreationMethod":"CreateLater"}`)
	add("PATCH", "/zones/{id}", 0, "", "", `{"zips":null,"cities":[null],"active":"yes"}`)
	add("DELETE", "/zones/{id}", 0, "", "", "")
	add("DELETE", "/teams/{id}", 0, "", "", "")

	// Paths: junk ids, junk tenants, another tenant, wrong methods.
	for sel := range uint16(8) {
		add("GET", "/employees/{id}", sel<<2, "9223372036854775808", "", "")
		add("PATCH", "/zones/{id}", sel<<2, "../../x", "", `{}`)
	}
	add("GET", "/employees", 2, "", "", "")
	add("GET", "/employees", 2, "abc", "", "")
	add("GET", "/employees", 3, "", "", "")
	add("GET", "/business-units/{id}", 3, "", "", "")
	add("GET", "/employees", 1<<7, "/x/y", "", "")
	add("GET", "/employees", 1<<7, "//", "", "")
	add("DELETE", "/employees", 6<<8, "", "", "")
	add("POST", "/permissions", 7<<8, "abc", "", "{}")
	add("GET", "/employees", 3<<11, "junk", "", "")
	add("PATCH", "/employees/{id}", 3<<13, "agent \xff\xfe"+strings.Repeat("é", 300), "", `{"name":"Agent"}`)
	add("POST", "/teams", 3<<13, strings.Repeat("a", 499)+"é", "", `{"name":"Agent team","active":true}`)
	return seeds
}
