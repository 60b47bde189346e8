package settings_test

// Helpers shared by the end-to-end tests of the Settings and Dispatch APIs.
// Every test starts a real server (servertest) on each storage backend and
// talks to it over HTTP: through the clients generated from the published
// documents for the operations those documents define, and through env.Do
// for crewid's extensions.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"crewid"
	"crewid/api/settings/dispatchclient"
	"crewid/api/settings/stclient"
	"crewid/server/servertest"
	"crewid/store"
)

// h is one running server with clients for its tenant's application.
type h struct {
	env  *servertest.Env
	auth func(context.Context, *http.Request) error
	st   *stclient.ClientWithResponses
	dc   *dispatchclient.ClientWithResponses
	tid  int64
	ctx  context.Context
}

// each runs fn on every backend, in parallel with other tests; every run
// has its own store and server.
func each(t *testing.T, fn func(t *testing.T, h *h)) {
	t.Parallel()
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		t.Parallel()
		fn(t, start(t, b))
	})
}

func start(t *testing.T, b servertest.Backend) *h {
	t.Helper()
	env := servertest.Start(t, b.Open(t))
	auth := env.Authorize(t, env.App)
	st, err := stclient.NewClientWithResponses(env.URL+"/settings/v2", stclient.WithRequestEditorFn(auth))
	if err != nil {
		t.Fatal(err)
	}
	dc, err := dispatchclient.NewClientWithResponses(env.URL+"/dispatch/v2", dispatchclient.WithRequestEditorFn(auth))
	if err != nil {
		t.Fatal(err)
	}
	return &h{env: env, auth: auth, st: st, dc: dc, tid: env.Tenant.ID, ctx: context.Background()}
}

// sp is a Settings API path of the tenant; dp a Dispatch API path.
func (h *h) sp(format string, args ...any) string {
	return fmt.Sprintf("/settings/v2/tenant/%d", h.tid) + fmt.Sprintf(format, args...)
}

func (h *h) dp(format string, args ...any) string {
	return fmt.Sprintf("/dispatch/v2/tenant/%d", h.tid) + fmt.Sprintf(format, args...)
}

// do sends a request with the tenant application's credentials.
func (h *h) do(t *testing.T, method, path string, body any) (int, []byte) {
	t.Helper()
	return h.env.Do(t, h.auth, method, path, body)
}

// must sends a request and fails the test unless the answer has status want.
func (h *h) must(t *testing.T, want int, method, path string, body any) []byte {
	t.Helper()
	status, raw := h.do(t, method, path, body)
	if status != want {
		t.Fatalf("%s %s: status %d, want %d; body %s", method, path, status, want, raw)
	}
	return raw
}

// mustID sends a create request and returns the id of the answer.
func (h *h) mustID(t *testing.T, method, path string, body any) int64 {
	t.Helper()
	return decode[idBody](t, h.must(t, 200, method, path, body)).ID
}

type idBody struct {
	ID int64 `json:"id"`
}

func decode[T any](t *testing.T, raw []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %T: %v; body %s", v, err, raw)
	}
	return v
}

// parts returns the HTTP response and body of a generated client's
// response (every generated response type has these two fields).
func parts(t *testing.T, resp any) (*http.Response, []byte) {
	t.Helper()
	v := reflect.ValueOf(resp)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		t.Fatalf("no response (%T)", resp)
	}
	v = v.Elem()
	hr, _ := v.FieldByName("HTTPResponse").Interface().(*http.Response)
	if hr == nil {
		t.Fatalf("%T has no HTTP response", resp)
	}
	return hr, v.FieldByName("Body").Bytes()
}

// mustOK fails the test unless a generated client's call answered 200.
func mustOK(t *testing.T, resp any, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("call failed: %v", err)
	}
	hr, body := parts(t, resp)
	if hr.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: status %d, want 200; body %s", hr.Request.Method, hr.Request.URL, hr.StatusCode, body)
	}
}

// ok is mustOK for a call's results passed straight through:
// ok(t)(h.st.SomethingWithResponse(...)).
func ok(t *testing.T) func(resp any, err error) {
	return func(resp any, err error) {
		t.Helper()
		mustOK(t, resp, err)
	}
}

// problem is the contract's ApiErrorResponse.
type problem struct {
	Type    string              `json:"type"`
	Title   string              `json:"title"`
	Status  int                 `json:"status"`
	TraceID string              `json:"traceId"`
	Errors  map[string][]string `json:"errors"`
	Data    map[string]any      `json:"data"`
}

// checkProblem checks that body is an ApiErrorResponse for status: exactly
// the six members, errors and data objects, status equal to the HTTP
// status, a trace id.
func checkProblem(t *testing.T, status int, body []byte) problem {
	t.Helper()
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil {
		t.Fatalf("status %d: error body is not a JSON object: %v; body %q", status, err, body)
	}
	var keys []string
	for k := range members {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"data", "errors", "status", "title", "traceId", "type"}; !slices.Equal(keys, want) {
		t.Fatalf("status %d: error body has members %v, want %v; body %s", status, keys, want, body)
	}
	for _, k := range []string{"errors", "data"} {
		if s := strings.TrimSpace(string(members[k])); !strings.HasPrefix(s, "{") {
			t.Fatalf("status %d: %q is not an object: %s", status, k, s)
		}
	}
	var p problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("status %d: error body does not decode: %v; body %s", status, err, body)
	}
	if p.Status != status {
		t.Errorf("error body status %d, HTTP status %d; body %s", p.Status, status, body)
	}
	if p.Type == "" || p.Title == "" || p.TraceID == "" {
		t.Errorf("error body lacks type, title or traceId: %s", body)
	}
	return p
}

// wantError checks an error answer: its status, its shape, and that
// errors names each of fields.
func wantError(t *testing.T, gotStatus int, body []byte, want int, fields ...string) problem {
	t.Helper()
	if gotStatus != want {
		t.Fatalf("status %d, want %d; body %s", gotStatus, want, body)
	}
	p := checkProblem(t, gotStatus, body)
	for _, f := range fields {
		if len(p.Errors[f]) == 0 {
			t.Errorf("status %d: errors do not name %q: %s", gotStatus, f, body)
		}
	}
	return p
}

// clientError checks a generated client's error answer like wantError.
func clientError(t *testing.T, resp any, err error, want int, fields ...string) problem {
	t.Helper()
	if err != nil {
		t.Fatalf("call failed: %v", err)
	}
	hr, body := parts(t, resp)
	return wantError(t, hr.StatusCode, body, want, fields...)
}

func ptr[T any](v T) *T { return &v }

// unique makes names and addresses that do not collide within a test.
var counter atomic.Int64

func unique(prefix string) string {
	return fmt.Sprintf("%s%d", prefix, counter.Add(1))
}

// uniqueEmail is a fresh valid email address.
func uniqueEmail() string { return unique("person") + "@example.com" }

// uniqueMobile is a fresh North American mobile number in E.164 form.
func uniqueMobile() string { return fmt.Sprintf("+1555%07d", counter.Add(1)) }

// Account creation methods and license types as the generated unions take them.

func employeeMethod(m stclient.TenantSettingsV2AccountCreationMethod) stclient.TenantSettingsV2EmployeeCreateRequest_AccountCreationMethod {
	var u stclient.TenantSettingsV2EmployeeCreateRequest_AccountCreationMethod
	_ = u.FromTenantSettingsV2AccountCreationMethod(m)
	return u
}

func technicianMethod(m stclient.TenantSettingsV2AccountCreationMethod) stclient.TenantSettingsV2TechnicianCreateRequest_AccountCreationMethod {
	var u stclient.TenantSettingsV2TechnicianCreateRequest_AccountCreationMethod
	_ = u.FromTenantSettingsV2AccountCreationMethod(m)
	return u
}

func createLicense(l stclient.TenantSettingsV2LicenseType) stclient.TenantSettingsV2TechnicianCreateRequest_LicenseType {
	var u stclient.TenantSettingsV2TechnicianCreateRequest_LicenseType
	_ = u.FromTenantSettingsV2LicenseType(l)
	return u
}

func techAction(a stclient.TenantSettingsV2AccountAction, license stclient.IdentityUserManagementTechnicianLicenseType) stclient.TenantSettingsV2TechnicianAccountActionRequest {
	var req stclient.TenantSettingsV2TechnicianAccountActionRequest
	_ = req.Action.FromTenantSettingsV2AccountAction(a)
	if license != "" {
		req.LicenseType = &stclient.TenantSettingsV2TechnicianAccountActionRequest_LicenseType{}
		_ = req.LicenseType.FromIdentityUserManagementTechnicianLicenseType(license)
	}
	return req
}

func employeeAction(a stclient.TenantSettingsV2AccountAction) stclient.TenantSettingsV2AccountActionRequest {
	var req stclient.TenantSettingsV2AccountActionRequest
	_ = req.Action.FromTenantSettingsV2AccountAction(a)
	return req
}

// role returns the id of one of the tenant's built-in roles by key.
func (h *h) role(t *testing.T, key string) int64 {
	t.Helper()
	r, ok := h.env.Roles[key]
	if !ok {
		t.Fatalf("no built-in role %q", key)
	}
	return r.ID
}

// employeeRequest is a valid employee create body with an email.
func (h *h) employeeRequest(t *testing.T, name, email string) stclient.TenantSettingsV2EmployeeCreateRequest {
	return stclient.TenantSettingsV2EmployeeCreateRequest{
		Name:                  name,
		Email:                 openapi_types.Email(email),
		RoleId:                h.role(t, "OfficeStaff"),
		Positions:             []stclient.TenantSettingsV2EmployeePosition{},
		AccountCreationMethod: employeeMethod(stclient.TenantSettingsV2AccountCreationMethodCreateLater),
	}
}

// technicianRequest is a valid technician create body with a mobile number.
func (h *h) technicianRequest(t *testing.T, name, phone string) stclient.TenantSettingsV2TechnicianCreateRequest {
	req := stclient.TenantSettingsV2TechnicianCreateRequest{
		Name:                  name,
		RoleId:                h.role(t, "Technician"),
		Positions:             []stclient.TenantSettingsV2TechnicianPosition{},
		LicenseType:           createLicense(stclient.TenantSettingsV2LicenseTypeManagedTech),
		AccountCreationMethod: technicianMethod(stclient.TenantSettingsV2AccountCreationMethodCreateLater),
	}
	if phone != "" {
		req.PhoneNumber = &phone
	}
	return req
}

// newEmployee creates an employee through the generated client.
func (h *h) newEmployee(t *testing.T, name string) int64 {
	t.Helper()
	resp, err := h.st.EmployeesCreateWithResponse(h.ctx, h.tid, h.employeeRequest(t, name, uniqueEmail()))
	mustOK(t, resp, err)
	return resp.JSON200.Id
}

// newTechnician creates a technician through the generated client.
func (h *h) newTechnician(t *testing.T, name string) int64 {
	t.Helper()
	resp, err := h.st.TechniciansCreateWithResponse(h.ctx, h.tid, h.technicianRequest(t, name, uniqueMobile()))
	mustOK(t, resp, err)
	return resp.JSON200.Id
}

// employee and technician read one person through the generated client.
func (h *h) employee(t *testing.T, id int64) stclient.TenantSettingsV2EmployeeResponse {
	t.Helper()
	resp, err := h.st.EmployeesGetWithResponse(h.ctx, h.tid, id)
	mustOK(t, resp, err)
	return *resp.JSON200
}

func (h *h) technician(t *testing.T, id int64) stclient.TenantSettingsV2TechnicianResponse {
	t.Helper()
	resp, err := h.st.TechniciansGetWithResponse(h.ctx, h.tid, id)
	mustOK(t, resp, err)
	return *resp.JSON200
}

// raw reads a record through env.Do into a generic map, to see the
// extension fields the generated types do not carry.
func (h *h) raw(t *testing.T, path string) map[string]any {
	t.Helper()
	return decode[map[string]any](t, h.must(t, 200, "GET", path, nil))
}

// events returns the history of one record.
func (h *h) events(t *testing.T, recordType string, id int64) []crewid.Event {
	t.Helper()
	evs, err := h.env.Store.Events(h.ctx, h.tid, store.EventQuery{RecordType: recordType, RecordID: id})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// wantEvents checks that a record's history is exactly the given event
// types, each made by the test application.
func (h *h) wantEvents(t *testing.T, recordType string, id int64, types ...string) []crewid.Event {
	t.Helper()
	evs := h.events(t, recordType, id)
	var got []string
	for _, e := range evs {
		got = append(got, e.Type)
		if e.Actor.Type != crewid.ActorApplication || e.Actor.ID != h.env.App.AppID {
			t.Errorf("event %s of %s %d: actor %+v, want the application %d", e.Type, recordType, id, e.Actor, h.env.App.AppID)
		}
		if e.RecordID != id || e.RecordType != recordType {
			t.Errorf("event %s: record %s %d, want %s %d", e.Type, e.RecordType, e.RecordID, recordType, id)
		}
		if e.Actor.Name == "" || e.Actor.IP != "127.0.0.1" || e.Actor.UserAgent == "" || e.OccurredOn.IsZero() {
			t.Errorf("event %s: actor %+v occurred %v, want the application's name, address and user agent", e.Type, e.Actor, e.OccurredOn)
		}
		for _, doc := range [][]byte{e.Before, e.After} {
			if low := strings.ToLower(string(doc)); strings.Contains(low, "passwordhash") || strings.Contains(low, "argon2") || strings.Contains(low, "token") {
				t.Errorf("event %s holds a secret: %s", e.Type, doc)
			}
		}
	}
	if !slices.Equal(got, types) {
		t.Errorf("history of %s %d: %v, want %v", recordType, id, got, types)
	}
	return evs
}

// ids collects the ids of records.
func ids[T any](items []T, id func(T) int64) []int64 {
	out := make([]int64, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}

func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprint(id)
	}
	return strings.Join(parts, ",")
}

// newBusinessUnit creates a business unit (crewid's extension).
func (h *h) newBusinessUnit(t *testing.T, name string) int64 {
	t.Helper()
	return h.mustID(t, "POST", h.sp("/business-units"), map[string]any{"name": name})
}

// newCustomFieldType creates a custom field type (crewid's extension).
func (h *h) newCustomFieldType(t *testing.T, appliesTo, name, dataType string) int64 {
	t.Helper()
	return h.mustID(t, "POST", h.sp("/custom-field-types"), map[string]any{"name": name, "appliesTo": appliesTo, "dataType": dataType})
}

// newTeam creates a team through the generated Dispatch client.
func (h *h) newTeam(t *testing.T, name string) int64 {
	t.Helper()
	resp, err := h.dc.TeamCreateWithResponse(h.ctx, h.tid, dispatchclient.DispatchV2CreateTeamRequest{Active: true, Name: &name})
	mustOK(t, resp, err)
	return resp.JSON200.Id
}

// newZone creates a zone (crewid's extension).
func (h *h) newZone(t *testing.T, name string) int64 {
	t.Helper()
	return h.mustID(t, "POST", h.dp("/zones"), map[string]any{"name": name})
}
