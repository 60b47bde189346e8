package settings_test

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"crewid"
	"crewid/api/settings"
	"crewid/api/settings/stclient"
)

// send makes one request with exactly the given headers.
func send(t *testing.T, method, url string, header map[string]string, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, raw
}

func TestAuthentication(t *testing.T) {
	each(t, func(t *testing.T, h *h) {
		token := h.env.Token(t, h.env.App)
		key := h.env.App.AppKey
		url := h.env.URL + h.sp("/employees")
		for _, c := range []struct {
			name   string
			header map[string]string
			want   int
		}{
			{"no credentials", nil, 401},
			{"no token", map[string]string{"ST-App-Key": key}, 401},
			{"empty bearer", map[string]string{"Authorization": "Bearer ", "ST-App-Key": key}, 401},
			{"garbage token", map[string]string{"Authorization": "Bearer not.a.jwt", "ST-App-Key": key}, 401},
			{"tampered token", map[string]string{"Authorization": "Bearer " + token[:len(token)-4] + "AAAA", "ST-App-Key": key}, 401},
			// The token is good but the application key is missing or wrong: 403 (apps.Authenticate).
			{"no app key", map[string]string{"Authorization": "Bearer " + token}, 403},
			{"wrong app key", map[string]string{"Authorization": "Bearer " + token, "ST-App-Key": "ak1.wrong"}, 403},
			{"bare token", map[string]string{"Authorization": token, "ST-App-Key": key}, 200},
			{"lower-case bearer", map[string]string{"Authorization": "bearer " + token, "ST-App-Key": key}, 200},
			{"App-Key header", map[string]string{"Authorization": "Bearer " + token, "App-Key": key}, 200},
		} {
			resp, body := send(t, "GET", url, c.header, "")
			if resp.StatusCode != c.want {
				t.Errorf("%s: status %d, want %d; body %s", c.name, resp.StatusCode, c.want, body)
				continue
			}
			if c.want == 200 {
				continue
			}
			checkProblem(t, resp.StatusCode, body)
			if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, "json") {
				t.Errorf("%s: Content-Type %q", c.name, ct)
			}
			if c.want == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s: WWW-Authenticate %q", c.name, resp.Header.Get("WWW-Authenticate"))
			}
		}

		// The application key as a query parameter, as the published API allows.
		resp, body := send(t, "GET", url+"?servicetitanapplicationkey="+key, map[string]string{"Authorization": "Bearer " + token}, "")
		if resp.StatusCode != 200 {
			t.Errorf("app key in the query: %d %s", resp.StatusCode, body)
		}

		// The generated client without credentials.
		anon, err := stclient.NewClientWithResponses(h.env.URL + "/settings/v2")
		if err != nil {
			t.Fatal(err)
		}
		r, err := anon.TechniciansGetListWithResponse(h.ctx, h.tid, nil)
		clientError(t, r, err, 401)

		// Another tenant's application key with this token, and that
		// application's own token on this tenant.
		other := h.otherTenant(t, "Key Owner")
		resp, body = send(t, "GET", url, map[string]string{"Authorization": "Bearer " + token, "ST-App-Key": other.env.App.AppKey}, "")
		wantError(t, resp.StatusCode, body, 403)
		rr, err := other.st.EmployeesGetListWithResponse(h.ctx, h.tid, nil)
		clientError(t, rr, err, 404)

		// Scopes: an application with read access only.
		readerApp, secret, err := h.env.Server.Apps.Create(context.Background(), crewid.Actor{Type: crewid.ActorOperator, Name: "test"}, h.tid, "reader", []string{"people.read"})
		if err != nil {
			t.Fatal(err)
		}
		creds := h.env.App
		creds.AppID, creds.AppKey, creds.ClientID, creds.ClientSecret = readerApp.ID, readerApp.AppKey, readerApp.ClientID, secret
		readerAuth := h.env.Authorize(t, creds)
		reader, err := stclient.NewClientWithResponses(h.env.URL+"/settings/v2", stclient.WithRequestEditorFn(readerAuth))
		if err != nil {
			t.Fatal(err)
		}
		rl, err := reader.EmployeesGetListWithResponse(h.ctx, h.tid, nil)
		mustOK(t, rl, err)
		rc, err := reader.EmployeesCreateWithResponse(h.ctx, h.tid, h.employeeRequest(t, "Not Allowed", uniqueEmail()))
		clientError(t, rc, err, 403)
		status, body := h.env.Do(t, readerAuth, "POST", h.sp("/tag-types"), map[string]any{"name": "Nope"})
		wantError(t, status, body, 403)
		status, body = h.env.Do(t, readerAuth, "GET", h.sp("/business-units"), nil)
		wantError(t, status, body, 403)

		// Nothing was written by the refused calls.
		l, err := h.st.EmployeesGetListWithResponse(h.ctx, h.tid, &stclient.EmployeesGetListParams{IncludeTotal: ptr(true), Active: ptr("Any")})
		mustOK(t, l, err)
		if deref(l.JSON200.TotalCount) != 0 {
			t.Errorf("%d employees after refused calls", deref(l.JSON200.TotalCount))
		}
	})
}

func TestErrorResponses(t *testing.T) {
	each(t, func(t *testing.T, h *h) {
		emp := h.newEmployee(t, "Error Target")
		tech := h.newTechnician(t, "Error Tech")
		bu := h.newBusinessUnit(t, "Error Unit")
		token := h.env.Token(t, h.env.App)
		auth := map[string]string{"Authorization": "Bearer " + token, "ST-App-Key": h.env.App.AppKey, "Content-Type": "application/json"}

		// Bodies that are not what the operation takes.
		huge := `{"name":"` + strings.Repeat("x", 1<<20) + `"}`
		for _, c := range []struct {
			name, method, path, body string
			fields                   []string
		}{
			{"malformed JSON", "POST", h.sp("/employees"), `{"name":`, []string{"body"}},
			{"not JSON", "POST", h.sp("/technicians"), `hello`, []string{"body"}},
			{"empty body", "POST", h.sp("/employees"), ``, []string{"body"}},
			{"array body", "POST", h.sp("/employees"), `[]`, []string{"body"}},
			{"two values", "PATCH", h.sp("/employees/%d", emp), `{} {}`, []string{"body"}},
			{"huge body", "POST", h.sp("/employees"), huge, []string{"body"}},
			{"name a number", "POST", h.sp("/employees"), `{"name":5}`, []string{"name"}},
			{"roleId a string", "PATCH", h.sp("/employees/%d", emp), `{"roleId":"abc"}`, []string{"roleId"}},
			{"positions a string", "PATCH", h.sp("/technicians/%d", tech), `{"positions":"Service"}`, []string{"positions"}},
			{"home latitude a string", "PATCH", h.sp("/technicians/%d", tech), `{"home":{"street":"a","city":"b","latitude":"north"}}`, []string{"home.latitude"}},
			{"latitude out of range", "PATCH", h.sp("/technicians/%d", tech), `{"home":{"street":"a","city":"b","latitude":91}}`, []string{"home.latitude"}},
			{"home without street", "PATCH", h.sp("/technicians/%d", tech), `{"home":{"city":"b"}}`, []string{"home.street"}},
			{"dailyGoal too big", "PATCH", h.sp("/technicians/%d", tech), `{"dailyGoal":1e400}`, nil},
			{"negative burden", "PATCH", h.sp("/technicians/%d", tech), `{"burdenRate":-1}`, []string{"burdenRate"}},
			{"id overflow", "PATCH", h.sp("/employees/%d", emp), `{"managerId":9223372036854775808}`, []string{"managerId"}},
			{"control characters", "PATCH", h.sp("/employees/%d", emp), `{"name":"a\u0000b"}`, []string{"name"}},
			{"unknown job filter", "PATCH", h.sp("/technicians/%d", tech), `{"jobFilter":"Everything"}`, []string{"jobFilter"}},
			{"bad phone", "PATCH", h.sp("/employees/%d", emp), `{"phoneNumber":"call me"}`, []string{"phoneNumber"}},
			{"bad permission value", "PATCH", h.sp("/employees/%d", emp), `{"permissions":[{"id":401,"value":"maybe"}]}`, []string{"permissions"}},
			{"unknown permission", "PATCH", h.sp("/employees/%d", emp), `{"permissions":[{"id":424242,"value":"true"}]}`, []string{"permissions"}},
			{"unknown role", "PATCH", h.sp("/employees/%d", emp), `{"roleIds":[424242]}`, []string{"roleIds"}},
			{"no roles", "PATCH", h.sp("/employees/%d", emp), `{"roleIds":[]}`, []string{"roleIds"}},
			{"own manager", "PATCH", h.sp("/employees/%d", emp), `{"managerId":` + itoa(emp) + `}`, []string{"managerId"}},
			{"deep nesting", "POST", h.sp("/tag-types"), strings.Repeat("[", 20000) + strings.Repeat("]", 20000), []string{"body"}},
			{"action a number", "POST", h.sp("/technicians/%d/account-actions", tech), `{"action":1}`, []string{"action"}},
			{"bulk ids strings", "POST", h.sp("/technicians/account-actions"), `{"action":"Deactivate","ids":["a"]}`, nil},
			{"zone name a list", "POST", h.dp("/zones"), `{"name":["a"]}`, []string{"name"}},
			{"team active a string", "POST", h.dp("/teams"), `{"name":"x","active":"yes"}`, []string{"active"}},
			{"role permissions strings", "POST", h.sp("/user-roles"), `{"name":"x","employeeType":"All","permissions":["a"]}`, nil},
			{"business unit tax rate a string", "POST", h.sp("/business-units"), `{"name":"x","defaultTaxRate":"high"}`, []string{"defaultTaxRate"}},
			{"external data not an object", "PATCH", h.sp("/business-units/%d", bu), `{"externalData":[1]}`, nil},
		} {
			resp, body := send(t, c.method, h.env.URL+c.path, auth, c.body)
			if resp.StatusCode != 400 {
				t.Errorf("%s: status %d, want 400; body %.300s", c.name, resp.StatusCode, body)
				continue
			}
			p := checkProblem(t, resp.StatusCode, body)
			for _, f := range c.fields {
				if len(p.Errors[f]) == 0 {
					t.Errorf("%s: errors do not name %q: %s", c.name, f, body)
				}
			}
			if len(p.Errors) == 0 && resp.StatusCode == 400 {
				t.Errorf("%s: a 400 without errors: %s", c.name, body)
			}
		}
		// Content-Type must be JSON when given.
		resp, body := send(t, "POST", h.env.URL+h.sp("/employees"), map[string]string{"Authorization": "Bearer " + token,
			"ST-App-Key": h.env.App.AppKey, "Content-Type": "text/plain"}, `{"name":"x"}`)
		wantError(t, resp.StatusCode, body, 400, "body")
		// Nothing changed through all that.
		if e := h.employee(t, emp); e.Name != "Error Target" || e.PhoneNumber != nil {
			t.Errorf("employee changed by refused requests: %+v", e)
		}

		// Paths and methods.
		for _, c := range []struct {
			method, path string
			want         int
			fields       []string
		}{
			{"GET", "/settings/v2/tenant/1/nothing-here", 404, nil},
			{"GET", "/nowhere", 404, nil},
			{"GET", h.sp("/employees/abc"), 400, []string{"id"}},
			{"GET", h.sp("/employees/0"), 400, []string{"id"}},
			{"GET", h.sp("/employees/-4"), 400, []string{"id"}},
			{"GET", h.sp("/employees/99999999999999999999"), 400, []string{"id"}},
			{"GET", h.sp("/employees/987654321"), 404, nil},
			{"GET", "/settings/v2/tenant/abc/employees", 400, []string{"tenant"}},
			{"GET", "/settings/v2/tenant/987654/employees", 404, nil},
			{"PUT", h.sp("/employees/%d", emp), 405, nil},
			{"DELETE", h.sp("/employees/%d", emp), 405, nil},
			{"POST", h.sp("/export/employees"), 405, nil},
			{"PATCH", h.sp("/employees"), 405, nil},
			{"GET", h.sp("/employees?name=%s", strings.Repeat("n", 1001)), 400, []string{"name"}},
			{"GET", h.sp("/employees?pageSize=5001"), 400, []string{"pageSize"}},
			{"GET", h.sp("/employees?page=-1"), 400, []string{"page"}},
			{"GET", h.sp("/employees?modifiedOnOrAfter=2024-02-30"), 400, []string{"modifiedOnOrAfter"}},
			{"GET", h.sp("/employees?userIds=1,,x"), 400, []string{"userIds"}},
			{"GET", h.sp("/employees?roleId=-1"), 400, []string{"roleId"}},
		} {
			resp, body := send(t, c.method, h.env.URL+c.path, auth, "")
			if resp.StatusCode != c.want {
				t.Errorf("%s %s: status %d, want %d; body %.300s", c.method, c.path, resp.StatusCode, c.want, body)
				continue
			}
			p := checkProblem(t, resp.StatusCode, body)
			for _, f := range c.fields {
				if len(p.Errors[f]) == 0 {
					t.Errorf("%s %s: errors do not name %q: %s", c.method, c.path, f, body)
				}
			}
			if c.want == 405 && resp.Header.Get("Allow") == "" {
				t.Errorf("%s %s: 405 without Allow", c.method, c.path)
			}
		}
		// Unknown routes are JSON 404s without credentials too.
		resp, body = send(t, "GET", h.env.URL+"/settings/v2/tenant/1/unknown", nil, "")
		wantError(t, resp.StatusCode, body, 404)
		resp, body = send(t, "PUT", h.env.URL+h.sp("/employees/%d", emp), nil, "")
		wantError(t, resp.StatusCode, body, 405)
		if !strings.Contains(resp.Header.Get("Allow"), "PATCH") || !strings.Contains(resp.Header.Get("Allow"), "GET") {
			t.Errorf("Allow %q", resp.Header.Get("Allow"))
		}

		// Every operation of the documents answers a missing record with a JSON 404.
		ge, err := h.st.EmployeesGetWithResponse(h.ctx, h.tid, 987654)
		clientError(t, ge, err, 404)
		if ge.JSON404 == nil || ge.JSON404.Status != 404 || ge.JSON404.TraceId == "" {
			t.Errorf("generated client's JSON404: %+v", ge.JSON404)
		}
		ut, err := h.st.TechniciansUpdateWithResponse(h.ctx, h.tid, 987654, stclient.TenantSettingsV2TechnicianUpdateRequest{Name: ptr("x")})
		clientError(t, ut, err, 404)
		ue, err := h.st.EmployeesUpdateWithResponse(h.ctx, h.tid, emp, stclient.TenantSettingsV2EmployeeUpdateRequest{Name: ptr("")})
		clientError(t, ue, err, 400, "name")
		if ue.JSON400 == nil || ue.JSON400.Errors["name"] == nil {
			t.Errorf("generated client's JSON400: %+v", ue.JSON400)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestNoServerErrors sends hostile bodies and queries to every route: no
// answer is a 5xx, and every error answer has the contract's shape.
func TestNoServerErrors(t *testing.T) {
	each(t, func(t *testing.T, h *h) {
		emp := h.newEmployee(t, "Sweep Employee")
		tech := h.newTechnician(t, "Sweep Technician")
		zone := h.newZone(t, "Sweep Zone")
		h.newBusinessUnit(t, "Sweep Unit")
		h.newTeam(t, "Sweep Team")
		h.mustID(t, "POST", h.sp("/tag-types"), map[string]any{"name": "Sweep Tag"})
		h.newCustomFieldType(t, "Employee", "Sweep Field", "Number")
		token := h.env.Token(t, h.env.App)
		header := map[string]string{"Authorization": "Bearer " + token, "ST-App-Key": h.env.App.AppKey, "Content-Type": "application/json"}

		bodies := []string{
			`null`, `{}`, `[]`, `"text"`, `123`, `true`,
			`{"name":null,"active":null,"ids":null,"action":null,"email":null,"positions":null,"roleId":null,"licenseType":null,"accountCreationMethod":null}`,
			`{"name":"\ud800\udfff\u0000","email":"a@b.c","phoneNumber":"+1","mobilePhoneNumber":"1","login":"\t"}`,
			`{"home":{},"externalData":{},"permissions":[{}],"customFields":[{}],"licenseTypes":{"x":"y"},"truckIds":{"1":-1}}`,
			`{"ids":[0,-1,9223372036854775807],"action":"Activate","licenseTypes":{"0":"ManagedTechnician"}}`,
			`{"zoneIds":[-1],"mainZoneId":-5,"technicians":[-1,0],"businessUnits":[0],"roleIds":[0],"managerId":-1,"truckId":-1,"team":"none"}`,
			`{"name":"` + strings.Repeat("é", 300) + `","code":"` + strings.Repeat("c", 60) + `","color":"#GGGGGG"}`,
			`{"externalData":{"applicationGuid":"3f2504e0-4f89-11d3-9a0c-0305e82c3301","patchMode":"Merge","externalData":[{"key":"","value":null}]}}`,
			`{"name":"Sweep","roleId":` + itoa(h.role(t, "Technician")) + `,"positions":[],"licenseType":"ManagedTech","accountCreationMethod":"SendInvite","mobileAccessEnabled":true}`,
			`{"name":"Sweep","employeeType":"All","permissions":[101,101,-1]}`,
			`{"dailyGoal":-0.0,"burdenRate":1e308,"latitude":1e999}`,
			`{"active":true,"name":"Sweep Team","serviceDays":[null],"zips":[null]}`,
			// NUL characters everywhere: PostgreSQL refuses them in text.
			nulBody,
			`{"externalData":{"applicationGuid":"3f2504e0-4f89-11d3-9a0c-0305e82c3301","externalData":[{"key":"k\u0000","value":"v\u0000"}]}}`,
		}
		queries := []string{
			"", "?name=%ff%fe&from=%ff", "?name=a%00b", "?page=99999999999&pageSize=5000",
			"?ids=9223372036854775807,-1&userIds=0&name=%00&active=any&includeTotal=1",
			"?createdBefore=0001-01-01T00:00:00Z&createdOnOrAfter=9999-12-31T23:59:59Z&modifiedBefore=2024-01-01&modifiedOnOrAfter=2024-01-01T10:00",
			"?sort=-&from=" + base64URL("c1.9223372036854775807") + "&externalDataApplicationGuid={3f2504e0-4f89-11d3-9a0c-0305e82c3301}",
			"?from=0001-01-01&employeeType=All&includeInactive=true&roleId=9223372036854775807&teamId=1&businessUnitId=1",
		}
		ids := []string{itoa(emp), itoa(tech), itoa(zone), "9223372036854775807"}
		count := 0
		for _, rt := range (&settings.Handler{}).Routes() {
			path := strings.Replace(rt.Pattern, "{tenant}", itoa(h.tid), 1)
			// Reads get every query; writes every body.
			qs, bs := queries, bodies
			if rt.Method == "GET" {
				bs = []string{""}
			} else {
				qs = []string{""}
			}
			for _, id := range ids {
				p := strings.Replace(path, "{id}", id, 1)
				for _, q := range qs {
					for _, body := range bs {
						resp, raw := send(t, rt.Method, h.env.URL+p+q, header, body)
						count++
						if resp.StatusCode >= 500 {
							t.Errorf("%s %s%s with %s: status %d, body %s", rt.Method, p, q, body, resp.StatusCode, raw)
							continue
						}
						if resp.StatusCode >= 400 {
							checkProblem(t, resp.StatusCode, raw)
						}
					}
				}
				if !strings.Contains(rt.Pattern, "{id}") {
					break
				}
			}
		}
		if count < 1000 {
			t.Errorf("only %d requests sent", count)
		}
	})
}

// nulBody holds a NUL character in every string field the routes take.
var nulBody = func() string {
	fields := []string{"name", "email", "phoneNumber", "mobilePhoneNumber", "login", "password", "aadUserId", "team", "bio", "memo",
		"warehouse", "jobFilter", "jobHistoryDateFilter", "licenseType", "accountCreationMethod", "action", "employeeType",
		"officialName", "currency", "invoiceHeader", "invoiceMessage", "authorizationParagraph", "acknowledgementParagraph",
		"materialSku", "quickbooksClass", "accountCode", "franchiseId", "conceptCode", "corporateContractNumber",
		"color", "code", "importance", "appliesTo", "dataType"}
	var b strings.Builder
	b.WriteString(`{"positions":["Service\u0000"],"skills":["a\u0000"],"zips":["1\u0000"],"cities":["c\u0000"],`)
	b.WriteString(`"territoryNumbers":["t\u0000"],"locnNumbers":["l\u0000"],"serviceDays":["Monday\u0000"],`)
	b.WriteString(`"home":{"street":"s\u0000","city":"c\u0000","unit":"u\u0000","state":"x\u0000","zip":"z\u0000","country":"k\u0000"},`)
	b.WriteString(`"address":{"street":"s\u0000","city":"c\u0000"},"customFields":[{"typeId":1,"value":"v\u0000"}],`)
	b.WriteString(`"licenseTypes":{"1\u0000":"x\u0000"}`)
	for _, f := range fields {
		b.WriteString(`,"` + f + `":"x\u0000y"`)
	}
	b.WriteString("}")
	return b.String()
}()

func base64URL(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
