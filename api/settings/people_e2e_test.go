package settings_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"crewid/api/settings/stclient"
)

// recent fails unless ts is a time set by the server during this test.
func recent(t *testing.T, what string, ts time.Time) {
	t.Helper()
	if ts.IsZero() || time.Since(ts) > 5*time.Minute || time.Until(ts) > time.Minute {
		t.Errorf("%s = %v, want the time of the call", what, ts)
	}
}

func TestEmployeeLifecycle(t *testing.T) {
	each(t, func(t *testing.T, h *h) {
		bu := h.newBusinessUnit(t, "North")
		cf := h.newCustomFieldType(t, "Employee", "Shirt size", "Text")
		email := uniqueEmail()
		req := h.employeeRequest(t, "Erin Office", strings.ToUpper(email))
		req.PhoneNumber = ptr("(555) 100-2000")
		req.MobilePhoneNumber = ptr("555.100.3000")
		req.BusinessUnitId = &bu
		req.RoleId = h.role(t, "Dispatcher")
		req.AadUserId = ptr("aad-erin")
		req.Positions = []stclient.TenantSettingsV2EmployeePosition{"Dispatcher", "CSR"}
		req.CustomFields = &[]stclient.TenantSettingsV2EmployeeCustomFieldCreateOrUpdateRequest{{TypeId: cf, Value: ptr("XL")}}
		created, err := h.st.EmployeesCreateWithResponse(h.ctx, h.tid, req)
		mustOK(t, created, err)
		id := created.JSON200.Id

		e := h.employee(t, id)
		if e.Id != id || e.UserId == 0 || e.Name != "Erin Office" || !e.Active {
			t.Errorf("employee: %+v", e)
		}
		if e.Email == nil || string(*e.Email) != email {
			t.Errorf("email %v, want %q (stored lower-cased)", e.Email, email)
		}
		if deref(e.PhoneNumber) != "+15551002000" {
			t.Errorf("phoneNumber %v", deref(e.PhoneNumber))
		}
		if deref(e.BusinessUnitId) != bu || deref(e.AadUserId) != "aad-erin" {
			t.Errorf("businessUnitId %v, aadUserId %v", deref(e.BusinessUnitId), deref(e.AadUserId))
		}
		if role, _ := e.Role.AsTenantSettingsV2EmployeeUserRole(); role != "Dispatch" {
			t.Errorf("role %q, want Dispatch (the legacy name of the Dispatcher role)", role)
		}
		if e.RoleIds == nil || !slices.Equal(*e.RoleIds, []int64{h.role(t, "Dispatcher")}) {
			t.Errorf("roleIds %v", e.RoleIds)
		}
		if e.CustomFields == nil || len(*e.CustomFields) != 1 || (*e.CustomFields)[0].TypeId != cf ||
			deref((*e.CustomFields)[0].Name) != "Shirt size" || deref((*e.CustomFields)[0].Value) != "XL" {
			t.Errorf("customFields %s", jsonOf(e.CustomFields))
		}
		if e.Permissions == nil || len(*e.Permissions) == 0 {
			t.Errorf("permissions: none listed for a Dispatcher")
		}
		recent(t, "createdOn", e.CreatedOn)
		recent(t, "modifiedOn", e.ModifiedOn)
		raw := h.raw(t, h.sp("/employees/%d", id))
		if raw["mobilePhoneNumber"] != "+15551003000" || raw["accountStatus"] != "NeverLoggedIn" || raw["lastSignInOn"] != nil {
			t.Errorf("mobilePhoneNumber %v, accountStatus %v, lastSignInOn %v", raw["mobilePhoneNumber"], raw["accountStatus"], raw["lastSignInOn"])
		}
		if !slices.Equal(anyStrings(raw["positions"]), []string{"Dispatcher", "CSR"}) {
			t.Errorf("positions %v", raw["positions"])
		}

		// PATCH changes only what is sent.
		time.Sleep(2 * time.Millisecond)
		upd, err := h.st.EmployeesUpdateWithResponse(h.ctx, h.tid, id, stclient.TenantSettingsV2EmployeeUpdateRequest{Name: ptr("Erin Renamed")})
		mustOK(t, upd, err)
		if upd.JSON200.Id != id {
			t.Errorf("update answered id %d", upd.JSON200.Id)
		}
		e2 := h.employee(t, id)
		if e2.Name != "Erin Renamed" {
			t.Errorf("name %q after PATCH", e2.Name)
		}
		if !e2.CreatedOn.Equal(e.CreatedOn) || !e2.ModifiedOn.After(e.ModifiedOn) {
			t.Errorf("createdOn %v→%v, modifiedOn %v→%v", e.CreatedOn, e2.CreatedOn, e.ModifiedOn, e2.ModifiedOn)
		}
		e2.Name, e2.ModifiedOn = e.Name, e.ModifiedOn
		if jsonOf(e2) != jsonOf(e) {
			t.Errorf("PATCH of the name changed other fields:\nbefore %s\nafter  %s", jsonOf(e), jsonOf(e2))
		}

		// null clears nullable fields, [] empties lists; absent ones stay.
		// A list the document does not let be null is not wiped by null.
		for _, field := range []string{"positions", "customFields"} {
			h.must(t, 400, "PATCH", h.sp("/employees/%d", id), map[string]any{field: nil})
		}
		h.must(t, 200, "PATCH", h.sp("/employees/%d", id), map[string]any{
			"phoneNumber": nil, "businessUnitId": nil, "aadUserId": nil, "customFields": []any{}})
		e3 := h.employee(t, id)
		if e3.PhoneNumber != nil || e3.BusinessUnitId != nil || e3.AadUserId != nil || (e3.CustomFields != nil && len(*e3.CustomFields) != 0) {
			t.Errorf("null did not clear: %s", jsonOf(e3))
		}
		if e3.Name != "Erin Renamed" || e3.Email == nil || deref(e3.LoginName) != "" {
			t.Errorf("fields not sent changed: %s", jsonOf(e3))
		}
		if raw := h.raw(t, h.sp("/employees/%d", id)); raw["mobilePhoneNumber"] != "+15551003000" {
			t.Errorf("mobilePhoneNumber %v after a PATCH that did not send it", raw["mobilePhoneNumber"])
		}

		// Extension fields.
		manager := h.newEmployee(t, "Manny Manager")
		h.must(t, 200, "PATCH", h.sp("/employees/%d", id), map[string]any{
			"roleIds":     []int64{h.role(t, "Dispatcher"), h.role(t, "Accounting")},
			"permissions": []map[string]any{{"id": 701, "value": "true"}, {"id": 401, "value": "false"}},
			"skills":      []string{"Spanish", "Forklift"}, "truckId": 77, "warehouse": "Main",
			"managerId": manager, "external": false,
		})
		raw = h.raw(t, h.sp("/employees/%d", id))
		if !slices.Equal(anyInts(raw["roleIds"]), []int64{h.role(t, "Dispatcher"), h.role(t, "Accounting")}) {
			t.Errorf("roleIds %v", raw["roleIds"])
		}
		if !slices.Equal(anyStrings(raw["skills"]), []string{"Spanish", "Forklift"}) || raw["truckId"] != 77.0 ||
			raw["warehouse"] != "Main" || raw["managerId"] != float64(manager) || raw["external"] != false {
			t.Errorf("extension fields: skills %v truckId %v warehouse %v managerId %v external %v",
				raw["skills"], raw["truckId"], raw["warehouse"], raw["managerId"], raw["external"])
		}
		effective := permissionSet(raw["permissions"])
		if effective[401] || !effective[701] {
			t.Errorf("effective permissions %v: want 701 granted and 401 denied by the overrides", raw["permissions"])
		}
		// The document's single roleId replaces the first role only.
		ok(t)(h.st.EmployeesUpdateWithResponse(h.ctx, h.tid, id, stclient.TenantSettingsV2EmployeeUpdateRequest{
			RoleId: ptr(h.role(t, "OfficeStaff")), Positions: &[]stclient.TenantSettingsV2EmployeePosition{"OfficeManager"}}))
		raw = h.raw(t, h.sp("/employees/%d", id))
		if !slices.Equal(anyInts(raw["roleIds"]), []int64{h.role(t, "OfficeStaff"), h.role(t, "Accounting")}) || raw["role"] != "GeneralOffice" ||
			!slices.Equal(anyStrings(raw["positions"]), []string{"OfficeManager"}) || raw["warehouse"] != "Main" {
			t.Errorf("after PATCH roleId and positions: roleIds %v role %v positions %v warehouse %v", raw["roleIds"], raw["role"], raw["positions"], raw["warehouse"])
		}
		// Clearing the extension fields.
		h.must(t, 200, "PATCH", h.sp("/employees/%d", id), map[string]any{"truckId": nil, "warehouse": nil, "managerId": nil, "skills": []string{}})
		raw = h.raw(t, h.sp("/employees/%d", id))
		if raw["truckId"] != nil || raw["warehouse"] != nil || raw["managerId"] != nil || len(anyStrings(raw["skills"])) != 0 {
			t.Errorf("not cleared: truckId %v warehouse %v managerId %v skills %v", raw["truckId"], raw["warehouse"], raw["managerId"], raw["skills"])
		}

		// History: one event per change, by the application, no secrets.
		evs := h.wantEvents(t, "Employee", id, "Employee.Created", "Employee.Updated", "Employee.Updated", "Employee.Updated", "Employee.Updated", "Employee.Updated")
		if len(evs) > 0 && (evs[0].Before != nil || !bytes.Contains(evs[0].After, []byte("Erin Office"))) {
			t.Errorf("created event: before %s after %s", evs[0].Before, evs[0].After)
		}
		if len(evs) > 1 && (!bytes.Contains(evs[1].Before, []byte("Erin Office")) || !bytes.Contains(evs[1].After, []byte("Erin Renamed"))) {
			t.Errorf("updated event: before %s after %s", evs[1].Before, evs[1].After)
		}
	})
}

func TestTechnicianLifecycle(t *testing.T) {
	each(t, func(t *testing.T, h *h) {
		bu := h.newBusinessUnit(t, "Service")
		cf := h.newCustomFieldType(t, "Technician", "Van", "Number")
		h.newTeam(t, "Blue Team")
		email := uniqueEmail()
		var home stclient.TenantSettingsV2TechnicianCreateRequest_Home
		_ = home.FromTenantSettingsV2CreateOrUpdateAddressRequest(stclient.TenantSettingsV2CreateOrUpdateAddressRequest{
			Street: "12 Elm St", Unit: ptr("4B"), City: "Springfield", State: ptr("IL"), Zip: ptr("62701"),
			Country: ptr("USA"), Latitude: ptr(39.78), Longitude: ptr(-89.65),
		})
		var jobFilter stclient.TenantSettingsV2TechnicianCreateRequest_JobFilter
		_ = jobFilter.FromTenantSettingsV2JobFilter(stclient.DispatchedWorking)
		var historyFilter stclient.TenantSettingsV2TechnicianCreateRequest_JobHistoryDateFilter
		_ = historyFilter.FromTenantSettingsV2JobHistoryDateFilter(stclient.LastSevenDays)
		req := h.technicianRequest(t, "Tess Tech", "555-201-0001")
		req.Email = ptr(openapi_types.Email(email))
		req.BusinessUnitId = &bu
		req.RoleId = h.role(t, "TechnicianHVAC")
		req.Positions = []stclient.TenantSettingsV2TechnicianPosition{"Service", "Installer"}
		req.Team = ptr("blue team") // names match case-insensitively
		req.DailyGoal = ptr(float32(1500))
		req.BurdenRate = ptr(float32(12.5))
		req.Bio = ptr("Ten years on rooftops.")
		req.Memo = ptr("Prefers mornings.")
		req.JobFilter = &jobFilter
		req.JobHistoryDateFilter = &historyFilter
		req.Home = &home
		req.AadUserId = ptr("aad-tess")
		req.CustomFields = &[]stclient.TenantSettingsV2TechnicianCustomFieldCreateOrUpdateRequest{{TypeId: cf, Value: ptr("42")}}
		created, err := h.st.TechniciansCreateWithResponse(h.ctx, h.tid, req)
		mustOK(t, created, err)
		id := created.JSON200.Id

		tech := h.technician(t, id)
		if tech.Name != "Tess Tech" || !tech.Active || tech.UserId == 0 || string(deref(tech.Email)) != email ||
			deref(tech.PhoneNumber) != "+15552010001" || deref(tech.BusinessUnitId) != bu || deref(tech.AadUserId) != "aad-tess" {
			t.Errorf("technician: %s", jsonOf(tech))
		}
		if !tech.IsManagedTech || tech.DailyGoal != 1500 || tech.BurdenRate != 12.5 || deref(tech.Team) != "Blue Team" {
			t.Errorf("isManagedTech %v dailyGoal %v burdenRate %v team %v", tech.IsManagedTech, tech.DailyGoal, tech.BurdenRate, deref(tech.Team))
		}
		if tech.RoleIds == nil || !slices.Equal(*tech.RoleIds, []int64{h.role(t, "TechnicianHVAC")}) {
			t.Errorf("roleIds %v", tech.RoleIds)
		}
		if tech.JobFilter == nil {
			t.Errorf("jobFilter missing")
		} else if jf, _ := tech.JobFilter.AsTenantSettingsV2JobFilter(); jf != stclient.DispatchedWorking {
			t.Errorf("jobFilter %q", jf)
		}
		if tech.Home == nil {
			t.Fatalf("home missing")
		}
		addr, _ := tech.Home.AsTenantSettingsV2TechnicianAddressResponse()
		if deref(addr.Street) != "12 Elm St" || deref(addr.Unit) != "4B" || deref(addr.City) != "Springfield" ||
			deref(addr.State) != "IL" || deref(addr.Zip) != "62701" || deref(addr.Country) != "USA" ||
			deref(addr.Latitude) != 39.78 || deref(addr.Longitude) != -89.65 {
			t.Errorf("home %s", jsonOf(addr))
		}
		if tech.CustomFields == nil || len(*tech.CustomFields) != 1 || deref((*tech.CustomFields)[0].Name) != "Van" ||
			deref((*tech.CustomFields)[0].Value) != "42" {
			t.Errorf("customFields %s", jsonOf(tech.CustomFields))
		}
		recent(t, "createdOn", tech.CreatedOn)
		recent(t, "modifiedOn", tech.ModifiedOn)
		raw := h.raw(t, h.sp("/technicians/%d", id))
		for k, want := range map[string]any{"bio": "Ten years on rooftops.", "memo": "Prefers mornings.",
			"jobHistoryDateFilter": "LastSevenDays", "licenseType": "ManagedTech", "mobileAccessEnabled": true,
			"accountStatus": "NeverLoggedIn", "external": false} {
			if raw[k] != want {
				t.Errorf("%s = %v, want %v", k, raw[k], want)
			}
		}
		if !slices.Equal(anyStrings(raw["positions"]), []string{"Service", "Installer"}) {
			t.Errorf("positions %v", raw["positions"])
		}

		// PATCH through the generated client: only the job filter changes.
		var jf2 stclient.TenantSettingsV2TechnicianUpdateRequest_JobFilter
		_ = jf2.FromTenantSettingsV2JobFilter(stclient.AllScheduledDispatchedWorking)
		time.Sleep(2 * time.Millisecond)
		upd, err := h.st.TechniciansUpdateWithResponse(h.ctx, h.tid, id, stclient.TenantSettingsV2TechnicianUpdateRequest{JobFilter: &jf2})
		mustOK(t, upd, err)
		tech2 := h.technician(t, id)
		if got, _ := tech2.JobFilter.AsTenantSettingsV2JobFilter(); got != stclient.AllScheduledDispatchedWorking {
			t.Errorf("jobFilter %q after PATCH", got)
		}
		if !tech2.ModifiedOn.After(tech.ModifiedOn) || !tech2.CreatedOn.Equal(tech.CreatedOn) {
			t.Errorf("modifiedOn %v→%v createdOn %v→%v", tech.ModifiedOn, tech2.ModifiedOn, tech.CreatedOn, tech2.CreatedOn)
		}
		tech2.JobFilter, tech2.ModifiedOn = tech.JobFilter, tech.ModifiedOn
		if jsonOf(tech2) != jsonOf(tech) {
			t.Errorf("PATCH of jobFilter changed other fields:\nbefore %s\nafter  %s", jsonOf(tech), jsonOf(tech2))
		}

		// License types: the create spelling maps to isManagedTech.
		// In this order each is a change (the technician starts as
		// ManagedTech), so each records an event.
		for _, c := range []struct {
			lic     string
			managed bool
		}{{"NonManagedTech", false}, {"ManagedInstaller", true}, {"ManagedTech", true}} {
			lic, managed := c.lic, c.managed
			h.must(t, 200, "PATCH", h.sp("/technicians/%d", id), map[string]any{"licenseType": lic})
			raw := h.raw(t, h.sp("/technicians/%d", id))
			if raw["licenseType"] != lic || raw["isManagedTech"] != managed {
				t.Errorf("licenseType %s: got %v, isManagedTech %v", lic, raw["licenseType"], raw["isManagedTech"])
			}
		}

		// null clears; extension fields.
		zone := h.newZone(t, "Downtown")
		h.must(t, 200, "PATCH", h.sp("/technicians/%d", id), map[string]any{
			"home": nil, "team": nil, "bio": nil, "businessUnitId": nil,
			"skills": []string{"Boilers"}, "truckId": 12, "warehouse": "East", "mobileAccessEnabled": false,
			"zoneIds": []int64{zone}, "mainZoneId": zone, "roleIds": []int64{h.role(t, "TechnicianHVAC"), h.role(t, "Installer")},
		})
		raw = h.raw(t, h.sp("/technicians/%d", id))
		if raw["home"] != nil || raw["team"] != nil || raw["bio"] != nil || raw["businessUnitId"] != nil {
			t.Errorf("null did not clear: home %v team %v bio %v businessUnitId %v", raw["home"], raw["team"], raw["bio"], raw["businessUnitId"])
		}
		if raw["memo"] != "Prefers mornings." || raw["name"] != "Tess Tech" {
			t.Errorf("fields not sent changed: memo %v name %v", raw["memo"], raw["name"])
		}
		if !slices.Equal(anyStrings(raw["skills"]), []string{"Boilers"}) || raw["truckId"] != 12.0 || raw["warehouse"] != "East" ||
			raw["mobileAccessEnabled"] != false || !slices.Equal(anyInts(raw["zoneIds"]), []int64{zone}) || raw["mainZoneId"] != float64(zone) ||
			len(anyInts(raw["roleIds"])) != 2 {
			t.Errorf("extension fields: %v", raw)
		}
		if raw["accountStatus"] != "NoUserAccount" {
			t.Errorf("accountStatus %v with mobile access disabled, want NoUserAccount", raw["accountStatus"])
		}
		h.wantEvents(t, "Technician", id, "Technician.Created", "Technician.Updated", "Technician.Updated",
			"Technician.Updated", "Technician.Updated", "Technician.Updated")
	})
}

func TestPeopleLists(t *testing.T) {
	each(t, func(t *testing.T, h *h) {
		var all []int64
		for i := range 7 {
			name := fmt.Sprintf("Lister %c", 'A'+i)
			if i%2 == 1 {
				name = strings.ToUpper(name) + " special"
			}
			all = append(all, h.newEmployee(t, name))
		}
		other := h.newEmployee(t, "Somebody Else")
		all = append(all, other)
		inactive := all[6]
		resp, err := h.st.EmployeesAccountActionsWithResponse(h.ctx, h.tid, inactive, employeeAction(stclient.TenantSettingsV2AccountActionDeactivate))
		mustOK(t, resp, err)

		list := func(p stclient.EmployeesGetListParams) stclient.PaginatedResponseOfTenantSettingsV2EmployeeResponse {
			t.Helper()
			resp, err := h.st.EmployeesGetListWithResponse(h.ctx, h.tid, &p)
			mustOK(t, resp, err)
			return *resp.JSON200
		}
		empID := func(e stclient.TenantSettingsV2EmployeeResponse) int64 { return e.Id }

		// Defaults: page 1, 50 a page, active only, by id, no total.
		page := list(stclient.EmployeesGetListParams{})
		active := slices.DeleteFunc(slices.Clone(all), func(id int64) bool { return id == inactive })
		if page.Page != 1 || page.PageSize != 50 || page.HasMore || page.TotalCount != nil || !slices.Equal(ids(page.Data, empID), active) {
			t.Errorf("default list: page %d size %d hasMore %v total %v ids %v, want %v", page.Page, page.PageSize, page.HasMore, page.TotalCount, ids(page.Data, empID), active)
		}
		if raw := h.must(t, 200, "GET", h.sp("/employees"), nil); !bytes.Contains(raw, []byte(`"totalCount":null`)) {
			t.Errorf("totalCount is not null without includeTotal: %.200s", raw)
		}
		// Paging.
		var seen []int64
		for p := int32(1); ; p++ {
			pg := list(stclient.EmployeesGetListParams{Page: &p, PageSize: ptr(int32(3)), IncludeTotal: ptr(true)})
			if pg.TotalCount == nil || *pg.TotalCount != int32(len(active)) || pg.Page != p || pg.PageSize != 3 {
				t.Fatalf("page %d: total %v page %d size %d", p, pg.TotalCount, pg.Page, pg.PageSize)
			}
			seen = append(seen, ids(pg.Data, empID)...)
			if !pg.HasMore {
				break
			}
			if len(pg.Data) != 3 {
				t.Fatalf("page %d has %d items and hasMore", p, len(pg.Data))
			}
		}
		if !slices.Equal(seen, active) {
			t.Errorf("pages gave %v, want %v", seen, active)
		}
		if pg := list(stclient.EmployeesGetListParams{Page: ptr(int32(99))}); len(pg.Data) != 0 || pg.HasMore {
			t.Errorf("page past the end: %d items, hasMore %v", len(pg.Data), pg.HasMore)
		}
		// active=False|Any.
		if got := ids(list(stclient.EmployeesGetListParams{Active: ptr("False")}).Data, empID); !slices.Equal(got, []int64{inactive}) {
			t.Errorf("active=False: %v, want [%d]", got, inactive)
		}
		if got := ids(list(stclient.EmployeesGetListParams{Active: ptr("any")}).Data, empID); !slices.Equal(got, all) {
			t.Errorf("active=any: %v, want %v", got, all)
		}
		// ids, userIds, name.
		if got := ids(list(stclient.EmployeesGetListParams{Ids: ptr(joinIDs([]int64{all[2], all[0], 999999}))}).Data, empID); !slices.Equal(got, []int64{all[0], all[2]}) {
			t.Errorf("ids: %v", got)
		}
		e := h.employee(t, all[3])
		if got := ids(list(stclient.EmployeesGetListParams{UserIds: ptr(fmt.Sprint(e.UserId))}).Data, empID); !slices.Equal(got, []int64{all[3]}) {
			t.Errorf("userIds: %v", got)
		}
		if got := ids(list(stclient.EmployeesGetListParams{Name: ptr("sPeCiAl"), Active: ptr("Any")}).Data, empID); !slices.Equal(got, []int64{all[1], all[3], all[5]}) {
			t.Errorf("name contains, case-insensitive: %v", got)
		}
		if got := ids(list(stclient.EmployeesGetListParams{Name: ptr("lister"), Active: ptr("Any")}).Data, empID); !slices.Equal(got, all[:7]) {
			t.Errorf("name=lister: %v", got)
		}
		fifty := make([]int64, 50)
		for i := range fifty {
			fifty[i] = int64(i + 1)
		}
		ok(t)(h.st.EmployeesGetListWithResponse(h.ctx, h.tid, &stclient.EmployeesGetListParams{Ids: ptr(joinIDs(fifty))}))
		resp51, err := h.st.EmployeesGetListWithResponse(h.ctx, h.tid, &stclient.EmployeesGetListParams{Ids: ptr(joinIDs(append(fifty, 51)))})
		clientError(t, resp51, err, 400, "ids")

		// Created and modified bounds, against the records' own times.
		people := list(stclient.EmployeesGetListParams{Active: ptr("Any")}).Data
		pivot := people[3]
		time.Sleep(2 * time.Millisecond)
		ok(t)(h.st.EmployeesUpdateWithResponse(h.ctx, h.tid, people[1].Id, stclient.TenantSettingsV2EmployeeUpdateRequest{Name: ptr("Lister B special again")}))
		people = list(stclient.EmployeesGetListParams{Active: ptr("Any")}).Data
		modPivot := people[1].ModifiedOn
		want := func(keep func(e stclient.TenantSettingsV2EmployeeResponse) bool) []int64 {
			var out []int64
			for _, e := range people {
				if keep(e) {
					out = append(out, e.Id)
				}
			}
			return out
		}
		for name, c := range map[string]struct {
			p    stclient.EmployeesGetListParams
			keep func(e stclient.TenantSettingsV2EmployeeResponse) bool
		}{
			"createdBefore":     {stclient.EmployeesGetListParams{CreatedBefore: &pivot.CreatedOn}, func(e stclient.TenantSettingsV2EmployeeResponse) bool { return e.CreatedOn.Before(pivot.CreatedOn) }},
			"createdOnOrAfter":  {stclient.EmployeesGetListParams{CreatedOnOrAfter: &pivot.CreatedOn}, func(e stclient.TenantSettingsV2EmployeeResponse) bool { return !e.CreatedOn.Before(pivot.CreatedOn) }},
			"modifiedBefore":    {stclient.EmployeesGetListParams{ModifiedBefore: &modPivot}, func(e stclient.TenantSettingsV2EmployeeResponse) bool { return e.ModifiedOn.Before(modPivot) }},
			"modifiedOnOrAfter": {stclient.EmployeesGetListParams{ModifiedOnOrAfter: &modPivot}, func(e stclient.TenantSettingsV2EmployeeResponse) bool { return !e.ModifiedOn.Before(modPivot) }},
		} {
			c.p.Active = ptr("Any")
			got, exp := ids(list(c.p).Data, empID), want(c.keep)
			if !slices.Equal(got, exp) || len(exp) == 0 || len(exp) == len(people) {
				t.Errorf("%s: %v, want %v (of %d)", name, got, exp, len(people))
			}
		}
		if got := ids(list(stclient.EmployeesGetListParams{ModifiedOnOrAfter: &modPivot, Active: ptr("Any")}).Data, empID); !slices.Contains(got, people[1].Id) {
			t.Errorf("modifiedOnOrAfter misses the recently changed: %v", got)
		}

		// Technicians list the same way, and never employees.
		t1, t2 := h.newTechnician(t, "Tech One"), h.newTechnician(t, "Tech Two")
		tl, err := h.st.TechniciansGetListWithResponse(h.ctx, h.tid, &stclient.TechniciansGetListParams{IncludeTotal: ptr(true), PageSize: ptr(int32(1))})
		mustOK(t, tl, err)
		if len(tl.JSON200.Data) != 1 || tl.JSON200.Data[0].Id != t1 || !tl.JSON200.HasMore || deref(tl.JSON200.TotalCount) != 2 {
			t.Errorf("technicians page 1: %s", tl.Body)
		}
		tl, err = h.st.TechniciansGetListWithResponse(h.ctx, h.tid, &stclient.TechniciansGetListParams{Name: ptr("TWO")})
		mustOK(t, tl, err)
		if len(tl.JSON200.Data) != 1 || tl.JSON200.Data[0].Id != t2 {
			t.Errorf("technicians name=TWO: %s", tl.Body)
		}

		// Bad parameters are 400s naming the parameter.
		for param, value := range map[string]string{"page": "0", "pageSize": "abc", "active": "Maybe", "createdBefore": "yesterday", "ids": "1,x", "includeTotal": "perhaps"} {
			status, body := h.do(t, "GET", h.sp("/employees?%s=%s", param, value), nil)
			wantError(t, status, body, 400, param)
		}
	})
}

func TestAccountActions(t *testing.T) {
	each(t, func(t *testing.T, h *h) {
		emp := h.newEmployee(t, "Acting Employee")
		tech := h.newTechnician(t, "Acting Technician")

		// Employees: Deactivate, Activate.
		r, err := h.st.EmployeesAccountActionsWithResponse(h.ctx, h.tid, emp, employeeAction(stclient.TenantSettingsV2AccountActionDeactivate))
		mustOK(t, r, err)
		if st, _ := r.JSON200.Status.AsTenantSettingsV2AccountActionStatus(); st != stclient.Success {
			t.Errorf("status %q", st)
		}
		if e := h.employee(t, emp); e.Active {
			t.Errorf("employee still active after Deactivate")
		}
		if raw := h.raw(t, h.sp("/employees/%d", emp)); raw["accountStatus"] != "Inactive" {
			t.Errorf("accountStatus %v, want Inactive", raw["accountStatus"])
		}
		l, err := h.st.EmployeesGetListWithResponse(h.ctx, h.tid, &stclient.EmployeesGetListParams{Active: ptr("False")})
		mustOK(t, l, err)
		if len(l.JSON200.Data) != 1 || l.JSON200.Data[0].Id != emp {
			t.Errorf("active=False: %s", l.Body)
		}
		r, err = h.st.EmployeesAccountActionsWithResponse(h.ctx, h.tid, emp, employeeAction(stclient.TenantSettingsV2AccountActionActivate))
		mustOK(t, r, err)
		if e := h.employee(t, emp); !e.Active {
			t.Errorf("employee inactive after Activate")
		}

		// Technicians: Activate needs a license type.
		tr, err := h.st.TechniciansAccountActionsWithResponse(h.ctx, h.tid, tech, techAction(stclient.TenantSettingsV2AccountActionDeactivate, ""))
		mustOK(t, tr, err)
		if got := h.technician(t, tech); got.Active {
			t.Errorf("technician active after Deactivate")
		}
		if raw := h.raw(t, h.sp("/technicians/%d", tech)); raw["accountStatus"] != "Inactive" {
			t.Errorf("accountStatus %v, want Inactive", raw["accountStatus"])
		}
		tl, err := h.st.TechniciansGetListWithResponse(h.ctx, h.tid, &stclient.TechniciansGetListParams{Active: ptr("False")})
		mustOK(t, tl, err)
		if len(tl.JSON200.Data) != 1 || tl.JSON200.Data[0].Id != tech {
			t.Errorf("technicians active=False: %s", tl.Body)
		}
		tr, err = h.st.TechniciansAccountActionsWithResponse(h.ctx, h.tid, tech, techAction(stclient.TenantSettingsV2AccountActionActivate, ""))
		clientError(t, tr, err, 400, "licenseType")
		if got := h.technician(t, tech); got.Active {
			t.Errorf("technician activated without a license type")
		}
		activate := techAction(stclient.TenantSettingsV2AccountActionActivate, stclient.IdentityUserManagementTechnicianLicenseTypeNonManagedTechnician)
		activate.TruckId = ptr(int64(55))
		tr, err = h.st.TechniciansAccountActionsWithResponse(h.ctx, h.tid, tech, activate)
		mustOK(t, tr, err)
		if got := h.technician(t, tech); !got.Active || got.IsManagedTech {
			t.Errorf("after Activate as NonManagedTechnician: active %v isManagedTech %v", got.Active, got.IsManagedTech)
		}
		if raw := h.raw(t, h.sp("/technicians/%d", tech)); raw["licenseType"] != "NonManagedTech" || raw["accountStatus"] != "NeverLoggedIn" || raw["truckId"] != 55.0 {
			t.Errorf("licenseType %v accountStatus %v truckId %v", raw["licenseType"], raw["accountStatus"], raw["truckId"])
		}

		// The document's accountLocked: an administrator's lock and unlock.
		ok(t)(h.st.TechniciansUpdateWithResponse(h.ctx, h.tid, tech, stclient.TenantSettingsV2TechnicianUpdateRequest{AccountLocked: ptr(true), Login: ptr("locked.tech")}))
		if got := h.technician(t, tech); !deref(got.AccountLocked) || deref(got.LoginName) != "locked.tech" {
			t.Errorf("accountLocked %v loginName %v", deref(got.AccountLocked), deref(got.LoginName))
		}
		if raw := h.raw(t, h.sp("/technicians/%d", tech)); raw["accountStatus"] != "Locked" {
			t.Errorf("accountStatus %v, want Locked", raw["accountStatus"])
		}
		ok(t)(h.st.TechniciansUpdateWithResponse(h.ctx, h.tid, tech, stclient.TenantSettingsV2TechnicianUpdateRequest{AccountLocked: ptr(false)}))
		if got := h.technician(t, tech); deref(got.AccountLocked) {
			t.Errorf("still locked")
		}

		// Unknown and missing actions.
		tr, err = h.st.TechniciansAccountActionsWithResponse(h.ctx, h.tid, tech, techAction("Explode", ""))
		clientError(t, tr, err, 400, "action")
		r, err = h.st.EmployeesAccountActionsWithResponse(h.ctx, h.tid, emp, employeeAction("Explode"))
		clientError(t, r, err, 400, "action")
		status, body := h.do(t, "POST", h.sp("/employees/%d/account-actions", emp), map[string]any{})
		wantError(t, status, body, 400, "action")
		// A technician's id on the employees path (and the reverse) is not found.
		r, err = h.st.EmployeesAccountActionsWithResponse(h.ctx, h.tid, tech, employeeAction(stclient.TenantSettingsV2AccountActionDeactivate))
		clientError(t, r, err, 404)
		tr, err = h.st.TechniciansAccountActionsWithResponse(h.ctx, h.tid, emp, techAction(stclient.TenantSettingsV2AccountActionDeactivate, ""))
		clientError(t, tr, err, 404)

		h.wantEvents(t, "Employee", emp, "Employee.Created", "Employee.Deactivated", "Employee.Activated")
		h.wantEvents(t, "Technician", tech, "Technician.Created", "Technician.Deactivated", "Technician.Activated", "Technician.Updated", "Technician.Updated")
	})
}

type bulkResult struct {
	ID     int64    `json:"id"`
	Status string   `json:"status"`
	Error  *problem `json:"error"`
}

func TestBulkAccountActions(t *testing.T) {
	each(t, func(t *testing.T, h *h) {
		var techs []int64
		for i := range 3 {
			techs = append(techs, h.newTechnician(t, fmt.Sprintf("Bulk Tech %d", i)))
		}
		// Another tenant's technician.
		other := h.otherTenant(t, "Other Co")
		foreign := other.newTechnician(t, "Foreign Tech")

		bulk := func(kind string, body any) []bulkResult {
			t.Helper()
			raw := h.must(t, 200, "POST", h.sp("/%s/account-actions", kind), body)
			return decode[struct {
				Results []bulkResult `json:"results"`
			}](t, raw).Results
		}
		res := bulk("technicians", map[string]any{"action": "Deactivate", "ids": append(slices.Clone(techs), foreign, 987654)})
		if len(res) != 5 {
			t.Fatalf("results %+v", res)
		}
		for i, r := range res {
			wantOK := i < 3
			if r.ID != append(slices.Clone(techs), foreign, 987654)[i] || (r.Status == "Success") != wantOK {
				t.Errorf("result %d: %+v", i, r)
			}
			if !wantOK && (r.Error == nil || r.Error.Status != 404) {
				t.Errorf("result %d: error %+v, want a 404 problem", i, r.Error)
			}
		}
		for _, id := range techs {
			if h.technician(t, id).Active {
				t.Errorf("technician %d still active", id)
			}
		}
		if !other.technician(t, foreign).Active {
			t.Errorf("another tenant's technician was deactivated")
		}

		// Activate with license types per id; the one without fails alone.
		res = bulk("technicians", map[string]any{"action": "Activate", "ids": techs,
			"licenseTypes": map[string]string{fmt.Sprint(techs[0]): "ManagedTechnician", fmt.Sprint(techs[2]): "ManagedInstaller"}})
		if len(res) != 3 || res[0].Status != "Success" || res[1].Status != "Failed" || res[2].Status != "Success" {
			t.Fatalf("results %+v", res)
		}
		if res[1].Error == nil || res[1].Error.Status != 400 || len(res[1].Error.Errors["licenseType"]) == 0 {
			t.Errorf("failure of the id without a license type: %+v", res[1].Error)
		}
		if a, b, c := h.technician(t, techs[0]), h.technician(t, techs[1]), h.technician(t, techs[2]); !a.Active || b.Active || !c.Active || !c.IsManagedTech {
			t.Errorf("after bulk Activate: active %v %v %v", a.Active, b.Active, c.Active)
		}

		// Employees too.
		e1, e2 := h.newEmployee(t, "Bulk Emp 1"), h.newEmployee(t, "Bulk Emp 2")
		res = bulk("employees", map[string]any{"action": "Deactivate", "ids": []int64{e1, techs[0], e2}})
		if len(res) != 3 || res[0].Status != "Success" || res[1].Status != "Failed" || res[2].Status != "Success" {
			t.Errorf("employees bulk: %+v", res)
		}

		// Invalid bulk requests.
		for _, body := range []any{map[string]any{"action": "Deactivate"}, map[string]any{"ids": techs}, map[string]any{"action": "Deactivate", "ids": make([]int64, 1001)}} {
			status, raw := h.do(t, "POST", h.sp("/technicians/account-actions"), body)
			wantError(t, status, raw, 400)
		}
		res = bulk("technicians", map[string]any{"action": "Explode", "ids": techs[:1]})
		if len(res) != 1 || res[0].Status != "Failed" || res[0].Error == nil || res[0].Error.Status != 400 {
			t.Errorf("unknown action in bulk: %+v", res)
		}
	})
}

// otherTenant creates a second tenant with its own application and
// returns a harness for it on the same server.
func (h *h) otherTenant(t *testing.T, name string) *h {
	t.Helper()
	tenant, roles, app := h.env.NewTenant(t, name)
	env := *h.env
	env.Tenant, env.Roles, env.App = tenant, roles, app
	auth := env.Authorize(t, app)
	st, err := stclient.NewClientWithResponses(env.URL+"/settings/v2", stclient.WithRequestEditorFn(auth))
	if err != nil {
		t.Fatal(err)
	}
	o := *h
	o.env, o.auth, o.st, o.tid = &env, auth, st, tenant.ID
	o.dc = nil
	return &o
}

func TestProfileRules(t *testing.T) {
	each(t, func(t *testing.T, h *h) {
		createEmployee := func(body map[string]any) (int, []byte) {
			t.Helper()
			base := map[string]any{"name": "Rule Person", "roleId": h.role(t, "OfficeStaff"), "positions": []string{}, "accountCreationMethod": "CreateLater"}
			for k, v := range body {
				base[k] = v
			}
			raw, _ := json.Marshal(base)
			resp, err := h.st.EmployeesCreateWithBodyWithResponse(h.ctx, h.tid, "application/json", bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			return resp.StatusCode(), resp.Body
		}
		createTech := func(body map[string]any) (int, []byte) {
			t.Helper()
			base := map[string]any{"name": "Rule Tech", "roleId": h.role(t, "Technician"), "positions": []string{}, "licenseType": "ManagedTech", "accountCreationMethod": "CreateLater"}
			for k, v := range body {
				if v == nil {
					delete(base, k)
					continue
				}
				base[k] = v
			}
			raw, _ := json.Marshal(base)
			resp, err := h.st.TechniciansCreateWithBodyWithResponse(h.ctx, h.tid, "application/json", bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			return resp.StatusCode(), resp.Body
		}
		techStatus := func(raw []byte) string {
			t.Helper()
			id := decode[idBody](t, raw).ID
			return fmt.Sprint(h.raw(t, h.sp("/technicians/%d", id))["accountStatus"])
		}

		// An employee needs an email.
		status, body := createEmployee(nil)
		wantError(t, status, body, 400, "email")
		status, body = createEmployee(map[string]any{"email": ""})
		wantError(t, status, body, 400, "email")
		status, body = createEmployee(map[string]any{"email": "not-an-email"})
		wantError(t, status, body, 400, "email")
		// Required fields of the document.
		status, body = createTech(map[string]any{"licenseType": nil, "phoneNumber": uniqueMobile()})
		wantError(t, status, body, 400, "licenseType")
		status, body = createTech(map[string]any{"roleId": nil, "positions": nil, "accountCreationMethod": nil})
		wantError(t, status, body, 400, "roleId", "positions", "accountCreationMethod")
		status, body = createTech(map[string]any{"name": "  "})
		wantError(t, status, body, 400, "name")
		status, body = createTech(map[string]any{"positions": []string{"Astronaut"}})
		wantError(t, status, body, 400, "positions")
		status, body = createTech(map[string]any{"roleId": h.role(t, "Dispatcher")}) // an employee-only role
		wantError(t, status, body, 400, "roleId")

		// A technician may have only a mobile number, or nothing at all.
		status, body = createTech(map[string]any{"phoneNumber": "(555) 333-4444"})
		if status != 200 {
			t.Fatalf("technician with only a mobile: %d %s", status, body)
		}
		if got := techStatus(body); got != "NeverLoggedIn" {
			t.Errorf("only a mobile: accountStatus %s, want NeverLoggedIn", got)
		}
		status, body = createTech(nil)
		if status != 200 {
			t.Fatalf("technician with no contact: %d %s", status, body)
		}
		if got := techStatus(body); got != "NoUserAccount" {
			t.Errorf("no email nor mobile: accountStatus %s, want NoUserAccount", got)
		}
		status, body = createTech(map[string]any{"phoneNumber": uniqueMobile(), "mobileAccessEnabled": false})
		if status != 200 {
			t.Fatalf("technician without mobile access: %d %s", status, body)
		}
		if got := techStatus(body); got != "NoUserAccount" {
			t.Errorf("mobileAccessEnabled=false: accountStatus %s, want NoUserAccount", got)
		}
		status, body = createTech(map[string]any{"phoneNumber": uniqueMobile(), "mobileAccessEnabled": false, "accountCreationMethod": "SendInvite"})
		wantError(t, status, body, 400, "accountCreationMethod")

		// Login and password set by the admin.
		secret := "Sturdy-Walrus-42x"
		status, body = createEmployee(map[string]any{"email": uniqueEmail(), "accountCreationMethod": "AssignLoginAndPassword", "login": "assigned.login", "password": secret})
		if status != 200 {
			t.Fatalf("AssignLoginAndPassword: %d %s", status, body)
		}
		assigned := decode[idBody](t, body).ID
		e := h.employee(t, assigned)
		if deref(e.LoginName) != "assigned.login" {
			t.Errorf("loginName %v", deref(e.LoginName))
		}
		if raw := h.raw(t, h.sp("/employees/%d", assigned)); raw["accountStatus"] != "AdminAssigned" {
			t.Errorf("accountStatus %v, want AdminAssigned", raw["accountStatus"])
		}
		for _, ev := range h.wantEvents(t, "Employee", assigned, "Employee.Created") {
			for _, doc := range [][]byte{ev.Before, ev.After} {
				low := strings.ToLower(string(doc))
				if strings.Contains(string(doc), secret) || strings.Contains(low, "argon2") || strings.Contains(low, "passwordhash") {
					t.Errorf("history event holds a secret: %s", doc)
				}
			}
		}
		status, body = createEmployee(map[string]any{"email": uniqueEmail(), "accountCreationMethod": "AssignLoginAndPassword", "login": "weak.login", "password": "password"})
		wantError(t, status, body, 400, "password")
		status, body = createEmployee(map[string]any{"email": uniqueEmail(), "accountCreationMethod": "AssignLoginAndPassword", "login": "no.password"})
		wantError(t, status, body, 400, "password")
		status, body = createEmployee(map[string]any{"email": uniqueEmail(), "accountCreationMethod": "Telepathy"})
		wantError(t, status, body, 400, "accountCreationMethod")

		// Invitations: Pending.
		status, body = createEmployee(map[string]any{"email": uniqueEmail(), "accountCreationMethod": "SendInvite"})
		if status != 200 {
			t.Fatalf("SendInvite: %d %s", status, body)
		}
		invited := decode[idBody](t, body).ID
		if raw := h.raw(t, h.sp("/employees/%d", invited)); raw["accountStatus"] != "Pending" {
			t.Errorf("invited employee: accountStatus %v, want Pending", raw["accountStatus"])
		}
		h.wantEvents(t, "Employee", invited, "Employee.Created", "Invitation.Sent")
		status, body = createTech(map[string]any{"phoneNumber": uniqueMobile(), "accountCreationMethod": "SendInvite"})
		if status != 200 {
			t.Fatalf("SendInvite to a mobile: %d %s", status, body)
		}
		if got := techStatus(body); got != "Pending" {
			t.Errorf("invited technician: accountStatus %s, want Pending", got)
		}

		// Uniqueness per kind.
		shared := uniqueEmail()
		sharedMobile := "(555) 201-3344"
		if status, body := createEmployee(map[string]any{"email": shared, "mobilePhoneNumber": sharedMobile}); status != 200 {
			t.Fatalf("employee: %d %s", status, body)
		}
		status, body = createEmployee(map[string]any{"email": strings.ToUpper(shared)})
		wantError(t, status, body, 409, "email")
		// An employee's mobile is mobilePhoneNumber (phoneNumber is the
		// office phone), in errors too.
		status, body = createEmployee(map[string]any{"email": uniqueEmail(), "mobilePhoneNumber": "+15552013344"})
		if p := wantError(t, status, body, 409, "mobilePhoneNumber"); len(p.Errors["phoneNumber"]) > 0 {
			t.Errorf("an employee's mobile conflict names the office phone: %s", body)
		}
		// A missing login is said plainly, once.
		status, body = createEmployee(map[string]any{"email": uniqueEmail(), "accountCreationMethod": "AssignLoginAndPassword", "password": "Another-Strong-Pass9"})
		if p := wantError(t, status, body, 400, "login"); !slices.Equal(p.Errors["login"], []string{"A login is required."}) {
			t.Errorf("login errors %q, want just \"A login is required.\"", p.Errors["login"])
		}
		if status, body := createTech(map[string]any{"email": shared, "phoneNumber": sharedMobile}); status != 200 {
			t.Errorf("a technician sharing an employee's email and mobile: %d %s", status, body)
		}
		status, body = createTech(map[string]any{"phoneNumber": "+15552013344"})
		wantError(t, status, body, 409, "phoneNumber")
		status, body = createTech(map[string]any{"email": " " + strings.ToUpper(shared) + " "})
		wantError(t, status, body, 409, "email")
		// PATCH into a taken email or mobile conflicts too.
		techID := h.newTechnician(t, "Patched Into Conflict")
		status, body = h.do(t, "PATCH", h.sp("/technicians/%d", techID), map[string]any{"phoneNumber": "555 201 3344"})
		wantError(t, status, body, 409, "phoneNumber")

		// Another tenant may use the same email; logins are global.
		other := h.otherTenant(t, "Second Co")
		ereq := other.employeeRequest(t, "Same Email Elsewhere", shared)
		ereq.RoleId = other.role(t, "OfficeStaff")
		cr, err := other.st.EmployeesCreateWithResponse(h.ctx, other.tid, ereq)
		mustOK(t, cr, err)
		raw, _ := json.Marshal(map[string]any{"name": "Login Thief", "email": uniqueEmail(), "roleId": other.role(t, "OfficeStaff"), "positions": []string{},
			"accountCreationMethod": "AssignLoginAndPassword", "login": "ASSIGNED.Login", "password": "Another-Strong-Pass9"})
		cr, err = other.st.EmployeesCreateWithBodyWithResponse(h.ctx, other.tid, "application/json", bytes.NewReader(raw))
		clientError(t, cr, err, 409, "login")
		status, body = other.do(t, "PATCH", other.sp("/employees/%d", other.newEmployee(t, "Login Changer")), map[string]any{"login": "assigned.LOGIN"})
		wantError(t, status, body, 409, "login")

		// Only a platform operator changes an email.
		status, body = h.do(t, "PATCH", h.sp("/employees/%d", assigned), map[string]any{"email": uniqueEmail()})
		wantError(t, status, body, 400, "email")
		if got := h.employee(t, assigned); got.Email == nil || e.Email == nil || *got.Email != *e.Email {
			t.Errorf("email changed to %v", got.Email)
		}
		// …but giving an email to a technician who had none is fine.
		noEmail := h.newTechnician(t, "No Email Yet")
		h.must(t, 200, "PATCH", h.sp("/technicians/%d", noEmail), map[string]any{"email": uniqueEmail()})
		// Sending the same email again (another case) is not a change.
		h.must(t, 200, "PATCH", h.sp("/employees/%d", assigned), map[string]any{"email": strings.ToUpper(string(*e.Email))})

		// External people never hold Admin Access.
		status, body = createEmployee(map[string]any{"email": uniqueEmail(), "external": true, "roleId": h.role(t, "Administrator")})
		wantError(t, status, body, 400, "permissions")
		ext := decode[idBody](t, mustStatus(t, 200)(createEmployee(map[string]any{"email": uniqueEmail(), "external": true}))).ID
		status, body = h.do(t, "PATCH", h.sp("/employees/%d", ext), map[string]any{"roleIds": []int64{h.role(t, "OfficeStaff"), h.role(t, "Administrator")}})
		wantError(t, status, body, 400, "permissions")
		status, body = h.do(t, "PATCH", h.sp("/employees/%d", ext), map[string]any{"permissions": []map[string]any{{"id": 101, "value": "true"}}})
		wantError(t, status, body, 400, "permissions")
		admin := decode[idBody](t, mustStatus(t, 200)(createEmployee(map[string]any{"email": uniqueEmail(), "roleId": h.role(t, "Administrator")}))).ID
		status, body = h.do(t, "PATCH", h.sp("/employees/%d", admin), map[string]any{"external": true})
		wantError(t, status, body, 400, "permissions")
		// Denying the permissions for the person makes it acceptable.
		h.must(t, 200, "PATCH", h.sp("/employees/%d", admin), map[string]any{"external": true,
			"permissions": []map[string]any{{"id": 101, "value": "false"}, {"id": 302, "value": "false"}}})
		if raw := h.raw(t, h.sp("/employees/%d", admin)); permissionSet(raw["permissions"])[101] || raw["external"] != true {
			t.Errorf("external admin with Admin Access denied: %v", raw["permissions"])
		}
	})
}

// mustStatus returns a function checking a (status, body) pair.
func mustStatus(t *testing.T, want int) func(int, []byte) []byte {
	return func(status int, body []byte) []byte {
		t.Helper()
		if status != want {
			t.Fatalf("status %d, want %d; body %s", status, want, body)
		}
		return body
	}
}

// TestConcurrentDuplicateEmail: of many simultaneous creations with one
// email exactly one succeeds; the others are conflicts, never errors.
func TestConcurrentDuplicateEmail(t *testing.T) {
	each(t, func(t *testing.T, h *h) {
		const n = 50
		email := uniqueEmail()
		body, _ := json.Marshal(map[string]any{"name": "Racer", "email": email, "roleId": h.role(t, "OfficeStaff"), "positions": []string{}, "accountCreationMethod": "CreateLater"})
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n}, Timeout: 60 * time.Second}
		defer client.CloseIdleConnections()
		statuses := make([]int, n)
		bodies := make([][]byte, n)
		errs := make([]error, n)
		var ready, wg sync.WaitGroup
		startGun := make(chan struct{})
		ready.Add(n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest("POST", h.env.URL+h.sp("/employees"), bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				_ = h.auth(h.ctx, req)
				ready.Done()
				<-startGun
				resp, err := client.Do(req)
				if err != nil {
					errs[i] = err
					return
				}
				defer resp.Body.Close()
				statuses[i] = resp.StatusCode
				var buf bytes.Buffer
				_, _ = buf.ReadFrom(resp.Body)
				bodies[i] = buf.Bytes()
			}()
		}
		ready.Wait()
		close(startGun)
		wg.Wait()
		count := map[int]int{}
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("request %d: %v", i, errs[i])
			}
			count[statuses[i]]++
			if statuses[i] == 409 {
				wantError(t, statuses[i], bodies[i], 409, "email")
			} else if statuses[i] != 200 {
				t.Errorf("request %d: status %d, body %s", i, statuses[i], bodies[i])
			}
		}
		if count[200] != 1 || count[409] != n-1 {
			t.Errorf("statuses %v, want one 200 and %d × 409", count, n-1)
		}
		l, err := h.st.EmployeesGetListWithResponse(h.ctx, h.tid, &stclient.EmployeesGetListParams{IncludeTotal: ptr(true)})
		mustOK(t, l, err)
		if deref(l.JSON200.TotalCount) != 1 {
			t.Errorf("%d employees stored, want 1", deref(l.JSON200.TotalCount))
		}
	})
}

func TestTenantIsolation(t *testing.T) {
	each(t, func(t *testing.T, h *h) {
		mine := h.newEmployee(t, "Mine")
		myTech := h.newTechnician(t, "My Tech")
		b := h.otherTenant(t, "Tenant B")
		theirEmp := b.newEmployee(t, "Theirs")
		theirTech := b.newTechnician(t, "Their Tech")
		theirBU := b.newBusinessUnit(t, "Their Unit")
		theirTag := b.mustID(t, "POST", b.sp("/tag-types"), map[string]any{"name": "Their Tag"})
		theirRole := b.mustID(t, "POST", b.sp("/user-roles"), map[string]any{"name": "Their Role", "employeeType": "All"})
		theirCF := b.newCustomFieldType(t, "Employee", "Their Field", "Text")
		theirZone := b.mustID(t, "POST", fmt.Sprintf("/dispatch/v2/tenant/%d/zones", b.tid), map[string]any{"name": "Their Zone"})
		theirTeam := b.mustID(t, "POST", fmt.Sprintf("/dispatch/v2/tenant/%d/teams", b.tid), map[string]any{"name": "Their Team", "active": true})

		// A's application on B's paths: the tenant does not exist for it.
		for _, c := range []struct{ method, path string }{
			{"GET", "/settings/v2/tenant/%d/employees"}, {"GET", "/settings/v2/tenant/%d/technicians"},
			{"POST", "/settings/v2/tenant/%d/employees"}, {"GET", "/settings/v2/tenant/%d/export/employees"},
			{"GET", "/settings/v2/tenant/%d/user-roles"}, {"GET", "/settings/v2/tenant/%d/business-units"},
			{"GET", "/settings/v2/tenant/%d/tag-types"}, {"GET", "/dispatch/v2/tenant/%d/teams"}, {"GET", "/dispatch/v2/tenant/%d/zones"},
		} {
			status, body := h.do(t, c.method, fmt.Sprintf(c.path, b.tid), map[string]any{})
			wantError(t, status, body, 404)
		}
		ge, err := h.st.EmployeesGetWithResponse(h.ctx, b.tid, theirEmp)
		clientError(t, ge, err, 404)

		// B's ids through A's path: not found.
		ge, err = h.st.EmployeesGetWithResponse(h.ctx, h.tid, theirEmp)
		clientError(t, ge, err, 404)
		gt, err := h.st.TechniciansGetWithResponse(h.ctx, h.tid, theirTech)
		clientError(t, gt, err, 404)
		ue, err := h.st.EmployeesUpdateWithResponse(h.ctx, h.tid, theirEmp, stclient.TenantSettingsV2EmployeeUpdateRequest{Name: ptr("Hijacked")})
		clientError(t, ue, err, 404)
		ut, err := h.st.TechniciansUpdateWithResponse(h.ctx, h.tid, theirTech, stclient.TenantSettingsV2TechnicianUpdateRequest{Name: ptr("Hijacked")})
		clientError(t, ut, err, 404)
		ae, err := h.st.EmployeesAccountActionsWithResponse(h.ctx, h.tid, theirEmp, employeeAction(stclient.TenantSettingsV2AccountActionDeactivate))
		clientError(t, ae, err, 404)
		at, err := h.st.TechniciansAccountActionsWithResponse(h.ctx, h.tid, theirTech, techAction(stclient.TenantSettingsV2AccountActionDeactivate, ""))
		clientError(t, at, err, 404)
		gb, err := h.st.BusinessUnitsGetWithResponse(h.ctx, h.tid, theirBU, nil)
		clientError(t, gb, err, 404)
		for _, c := range []struct{ method, path string }{
			{"GET", h.sp("/tag-types/%d", theirTag)}, {"PATCH", h.sp("/tag-types/%d", theirTag)},
			{"GET", h.sp("/user-roles/%d", theirRole)}, {"PATCH", h.sp("/user-roles/%d", theirRole)}, {"DELETE", h.sp("/user-roles/%d", theirRole)},
			{"PATCH", h.sp("/business-units/%d", theirBU)}, {"DELETE", h.sp("/business-units/%d", theirBU)},
			{"GET", h.sp("/custom-field-types/%d", theirCF)}, {"PATCH", h.sp("/custom-field-types/%d", theirCF)},
			{"GET", h.dp("/zones/%d", theirZone)}, {"PATCH", h.dp("/zones/%d", theirZone)}, {"DELETE", h.dp("/zones/%d", theirZone)},
			{"GET", h.dp("/teams/%d", theirTeam)}, {"DELETE", h.dp("/teams/%d", theirTeam)},
		} {
			var body any
			if c.method == "PATCH" {
				body = map[string]any{"name": "Hijacked"}
			}
			status, raw := h.do(t, c.method, c.path, body)
			wantError(t, status, raw, 404)
		}
		// References to B's records are refused.
		status, body := h.do(t, "PATCH", h.sp("/employees/%d", mine), map[string]any{"businessUnitId": theirBU})
		wantError(t, status, body, 400, "businessUnitId")
		status, body = h.do(t, "PATCH", h.sp("/employees/%d", mine), map[string]any{"roleIds": []int64{theirRole}})
		wantError(t, status, body, 400, "roleIds")
		status, body = h.do(t, "PATCH", h.sp("/employees/%d", mine), map[string]any{"managerId": theirEmp})
		wantError(t, status, body, 400, "managerId")
		status, body = h.do(t, "PATCH", h.sp("/technicians/%d", myTech), map[string]any{"zoneIds": []int64{theirZone}})
		wantError(t, status, body, 400, "zoneIds")
		status, body = h.do(t, "PATCH", h.sp("/employees/%d", mine), map[string]any{"customFields": []map[string]any{{"typeId": theirCF, "value": "x"}}})
		wantError(t, status, body, 400, "customFields")
		status, body = h.do(t, "POST", h.dp("/zones"), map[string]any{"name": "Grabby", "technicians": []int64{theirTech}})
		wantError(t, status, body, 400, "technicians")

		// Lists and exports never include B's rows.
		el, err := h.st.EmployeesGetListWithResponse(h.ctx, h.tid, &stclient.EmployeesGetListParams{Active: ptr("Any"), Ids: ptr(joinIDs([]int64{mine, theirEmp}))})
		mustOK(t, el, err)
		if got := ids(el.JSON200.Data, func(e stclient.TenantSettingsV2EmployeeResponse) int64 { return e.Id }); !slices.Equal(got, []int64{mine}) {
			t.Errorf("employees of A: %v", got)
		}
		tl, err := h.st.TechniciansGetListWithResponse(h.ctx, h.tid, &stclient.TechniciansGetListParams{Active: ptr("Any")})
		mustOK(t, tl, err)
		if got := ids(tl.JSON200.Data, func(e stclient.TenantSettingsV2TechnicianResponse) int64 { return e.Id }); !slices.Equal(got, []int64{myTech}) {
			t.Errorf("technicians of A: %v", got)
		}
		ex, err := h.st.ExportEmployeesWithResponse(h.ctx, h.tid, nil)
		mustOK(t, ex, err)
		if got := ids(ex.JSON200.Data, func(e stclient.TenantSettingsV2ExportEmployeeResponse) int64 { return e.Id }); !slices.Equal(got, []int64{mine}) {
			t.Errorf("export of A: %v", got)
		}
		bl, err := h.st.BusinessUnitsGetListWithResponse(h.ctx, h.tid, &stclient.BusinessUnitsGetListParams{Active: ptr("Any")})
		mustOK(t, bl, err)
		if len(bl.JSON200.Data) != 0 {
			t.Errorf("business units of A: %s", bl.Body)
		}
		rl, err := h.st.UserRolesGetListWithResponse(h.ctx, h.tid, &stclient.UserRolesGetListParams{Name: ptr("Their Role"), Active: ptr("Any")})
		mustOK(t, rl, err)
		if len(rl.JSON200.Data) != 0 {
			t.Errorf("roles of A include B's: %s", rl.Body)
		}
		zl, err := h.dc.ZoneGetListWithResponse(h.ctx, h.tid, nil)
		mustOK(t, zl, err)
		if len(zl.JSON200.Data) != 0 {
			t.Errorf("zones of A: %s", zl.Body)
		}
		// B's record is untouched.
		if got := b.employee(t, theirEmp); got.Name != "Theirs" || !got.Active {
			t.Errorf("B's employee changed: %+v", got)
		}
		if len(b.events(t, "Employee", theirEmp)) != 1 {
			t.Errorf("B's employee has more than its creation in history")
		}
	})
}

// JSON helpers for the untyped extension fields.

func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func anyStrings(v any) []string {
	var out []string
	for _, x := range asSlice(v) {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func anyInts(v any) []int64 {
	var out []int64
	for _, x := range asSlice(v) {
		f, _ := x.(float64)
		out = append(out, int64(f))
	}
	return out
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// permissionSet reads an effective permission list [{id, value}].
func permissionSet(v any) map[int64]bool {
	out := map[int64]bool{}
	for _, x := range asSlice(v) {
		m, _ := x.(map[string]any)
		id, _ := m["id"].(float64)
		out[int64(id)] = m["value"] == "true"
	}
	return out
}

// TestAccountActionsExtended covers the document's SendInvite and
// SendPasswordResetLink and crewid's SetLoginAndPassword,
// SetTemporaryPassword and Unlock.
func TestAccountActionsExtended(t *testing.T) {
	each(t, func(t *testing.T, h *h) {
		emp := h.newEmployee(t, "Invitee")
		status := func(id int64) string {
			t.Helper()
			return fmt.Sprint(h.raw(t, h.sp("/employees/%d", id))["accountStatus"])
		}
		action := func(id int64, body map[string]any) (int, []byte) {
			t.Helper()
			return h.do(t, "POST", h.sp("/employees/%d/account-actions", id), body)
		}

		// Nothing to reset without an account; an invitation makes it Pending.
		r, err := h.st.EmployeesAccountActionsWithResponse(h.ctx, h.tid, emp, employeeAction(stclient.TenantSettingsV2AccountActionSendPasswordResetLink))
		clientError(t, r, err, 400)
		r, err = h.st.EmployeesAccountActionsWithResponse(h.ctx, h.tid, emp, employeeAction(stclient.TenantSettingsV2AccountActionSendInvite))
		mustOK(t, r, err)
		if got := status(emp); got != "Pending" {
			t.Errorf("after SendInvite: %s, want Pending", got)
		}

		// Login and password set by an administrator.
		st, body := action(emp, map[string]any{"action": "SetLoginAndPassword", "login": "set.by.admin", "password": "password1"})
		wantError(t, st, body, 400, "password")
		secret := "Granite-Otter-7731"
		h.must(t, 200, "POST", h.sp("/employees/%d/account-actions", emp), map[string]any{"action": "SetLoginAndPassword", "login": "set.by.admin", "password": secret})
		if got := status(emp); got != "AdminAssigned" {
			t.Errorf("after SetLoginAndPassword: %s, want AdminAssigned", got)
		}
		if e := h.employee(t, emp); deref(e.LoginName) != "set.by.admin" {
			t.Errorf("loginName %v", deref(e.LoginName))
		}
		other := h.newEmployee(t, "Login Collider")
		st, body = action(other, map[string]any{"action": "SetLoginAndPassword", "login": "SET.BY.ADMIN", "password": "Another-Granite-99"})
		wantError(t, st, body, 409, "login")

		// Invitations go only to people without an account.
		r, err = h.st.EmployeesAccountActionsWithResponse(h.ctx, h.tid, emp, employeeAction(stclient.TenantSettingsV2AccountActionSendInvite))
		clientError(t, r, err, 400)
		r, err = h.st.EmployeesAccountActionsWithResponse(h.ctx, h.tid, emp, employeeAction(stclient.TenantSettingsV2AccountActionSendPasswordResetLink))
		mustOK(t, r, err)

		// Temporary password.
		st, body = action(emp, map[string]any{"action": "SetTemporaryPassword", "password": "short"})
		wantError(t, st, body, 400, "password")
		h.must(t, 200, "POST", h.sp("/employees/%d/account-actions", emp), map[string]any{"action": "SetTemporaryPassword", "password": "Temporary-Heron-42"})

		// Lock and Unlock.
		ok(t)(h.st.EmployeesUpdateWithResponse(h.ctx, h.tid, emp, stclient.TenantSettingsV2EmployeeUpdateRequest{AccountLocked: ptr(true)}))
		if got := status(emp); got != "Locked" {
			t.Errorf("after accountLocked=true: %s, want Locked", got)
		}
		h.must(t, 200, "POST", h.sp("/employees/%d/account-actions", emp), map[string]any{"action": "Unlock"})
		if e := h.employee(t, emp); deref(e.AccountLocked) {
			t.Errorf("still locked after Unlock")
		}
		if got := status(emp); got == "Locked" {
			t.Errorf("accountStatus %s after Unlock", got)
		}

		// Bulk SendInvite: one without an account, one with.
		fresh := h.newEmployee(t, "Fresh Invitee")
		raw := h.must(t, 200, "POST", h.sp("/employees/account-actions"), map[string]any{"action": "SendInvite", "ids": []int64{fresh, emp}})
		res := decode[struct {
			Results []bulkResult `json:"results"`
		}](t, raw).Results
		if len(res) != 2 || res[0].Status != "Success" || res[1].Status != "Failed" || res[1].Error == nil || res[1].Error.Status != 400 {
			t.Errorf("bulk SendInvite: %+v", res)
		}
		if got := status(fresh); got != "Pending" {
			t.Errorf("bulk-invited: %s, want Pending", got)
		}

		// No password or token reaches history.
		for _, ev := range h.events(t, "Employee", emp) {
			for _, doc := range [][]byte{ev.Before, ev.After} {
				if bytes.Contains(doc, []byte(secret)) || bytes.Contains(doc, []byte("Temporary-Heron-42")) {
					t.Errorf("event %s holds a password: %s", ev.Type, doc)
				}
			}
		}
	})
}

// parallel runs fns at once (each an HTTP call) and returns their answers.
func (h *h) parallel(t *testing.T, calls []func() *http.Request) (statuses []int, bodies [][]byte) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: len(calls)}, Timeout: time.Minute}
	defer client.CloseIdleConnections()
	statuses, bodies = make([]int, len(calls)), make([][]byte, len(calls))
	errs := make([]error, len(calls))
	reqs := make([]*http.Request, len(calls))
	for i, c := range calls {
		reqs[i] = c()
		_ = h.auth(h.ctx, reqs[i])
	}
	var wg sync.WaitGroup
	gun := make(chan struct{})
	for i := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gun
			resp, err := client.Do(reqs[i])
			if err != nil {
				errs[i] = err
				return
			}
			defer resp.Body.Close()
			var buf bytes.Buffer
			_, _ = buf.ReadFrom(resp.Body)
			statuses[i], bodies[i] = resp.StatusCode, buf.Bytes()
		}()
	}
	close(gun)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	return statuses, bodies
}

// jsonRequest builds a request with a JSON body to a path of the server.
func (h *h) jsonRequest(method, path string, body any) func() *http.Request {
	return func() *http.Request {
		raw, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, h.env.URL+path, bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		return req
	}
}

// TestConcurrentPatches: simultaneous PATCHes of different fields of one
// record all take effect (no lost update).
func TestConcurrentPatches(t *testing.T) {
	each(t, func(t *testing.T, h *h) {
		bu := h.newBusinessUnit(t, "Concurrent Unit")
		manager := h.newEmployee(t, "Concurrent Manager")
		for round := range 3 {
			id := h.newEmployee(t, fmt.Sprintf("Concurrent %d", round))
			changes := []map[string]any{
				{"name": "Renamed"}, {"phoneNumber": "555-777-0001"}, {"mobilePhoneNumber": fmt.Sprintf("555-777-100%d", round)},
				{"aadUserId": fmt.Sprintf("aad-%d", round)}, {"warehouse": "North"}, {"truckId": 9},
				{"managerId": manager}, {"skills": []string{"Welding"}}, {"businessUnitId": bu},
				{"positions": []string{"CSR"}},
			}
			var calls []func() *http.Request
			for _, c := range changes {
				calls = append(calls, h.jsonRequest("PATCH", h.sp("/employees/%d", id), c))
			}
			statuses, bodies := h.parallel(t, calls)
			for i, s := range statuses {
				if s != 200 {
					t.Errorf("PATCH %v: %d %s", changes[i], s, bodies[i])
				}
			}
			raw := h.raw(t, h.sp("/employees/%d", id))
			for _, c := range changes {
				for k, v := range c {
					got, want := jsonOf(raw[k]), jsonOf(v)
					switch k {
					case "phoneNumber":
						want = `"+15557770001"`
					case "mobilePhoneNumber":
						want = fmt.Sprintf(`"+1555777100%d"`, round)
					}
					if got != want {
						t.Errorf("round %d: %s = %s, want %s (a concurrent PATCH was lost)", round, k, got, want)
					}
				}
			}
			if n := len(h.events(t, "Employee", id)); n != 1+len(changes) {
				t.Errorf("round %d: %d history events, want %d", round, n, 1+len(changes))
			}
		}
	})
}

// TestConcurrentExternalDataMerges: applications that merge their own
// external data into one business unit at the same time keep every
// application's items.
func TestConcurrentExternalDataMerges(t *testing.T) {
	each(t, func(t *testing.T, h *h) {
		bu := h.newBusinessUnit(t, "Shared Unit")
		var calls []func() *http.Request
		guids := []string{}
		for i := range 8 {
			guid := fmt.Sprintf("3f2504e0-4f89-11d3-9a0c-0305e82c33%02d", i)
			guids = append(guids, guid)
			calls = append(calls, h.jsonRequest("PATCH", h.sp("/business-units/%d", bu), map[string]any{"externalData": map[string]any{
				"applicationGuid": guid, "patchMode": "Merge", "externalData": []map[string]any{{"key": "k", "value": guid}}}}))
		}
		statuses, bodies := h.parallel(t, calls)
		for i, s := range statuses {
			if s != 200 {
				t.Errorf("external data PATCH %d: %d %s", i, s, bodies[i])
			}
		}
		for _, guid := range guids {
			resp, err := h.st.BusinessUnitsGetWithResponse(h.ctx, h.tid, bu, &stclient.BusinessUnitsGetParams{ExternalDataApplicationGuid: &guid})
			mustOK(t, resp, err)
			if d := deref(resp.JSON200.ExternalData); len(d) != 1 || d[0].Value != guid {
				t.Errorf("external data of %s: %s (a concurrent merge was lost)", guid, jsonOf(d))
			}
		}
	})
}

// A problem with a person's roles is named after the field the request
// used: roleId (the document's single role) or roleIds; a custom field
// without its type is refused.
func TestRoleProblemsNameTheFieldSent(t *testing.T) {
	each(t, func(t *testing.T, h *h) {
		fieldsOf := func(raw []byte) map[string][]string {
			var p struct {
				Errors map[string][]string `json:"errors"`
			}
			if err := json.Unmarshal(raw, &p); err != nil {
				t.Fatal(err)
			}
			return p.Errors
		}
		body := map[string]any{"name": "Rosa Role", "email": "rosa.role@example.com", "roleId": 999999, "positions": []string{}, "accountCreationMethod": "CreateLater"}
		if errs := fieldsOf(h.must(t, 400, "POST", h.sp("/employees"), body)); len(errs["roleId"]) == 0 || len(errs["roleIds"]) != 0 {
			t.Errorf("create with roleId: errors %v", errs)
		}
		delete(body, "roleId")
		body["roleIds"] = []int64{999999}
		if errs := fieldsOf(h.must(t, 400, "POST", h.sp("/employees"), body)); len(errs["roleIds"]) == 0 {
			t.Errorf("create with roleIds: errors %v", errs)
		}
		// A custom field without its type is refused, not dropped.
		body["roleIds"] = []int64{h.role(t, "Dispatcher")}
		body["customFields"] = []map[string]any{{}}
		if errs := fieldsOf(h.must(t, 400, "POST", h.sp("/employees"), body)); len(errs["customFields"]) == 0 {
			t.Errorf("create with a custom field lacking typeId: errors %v", errs)
		}
		id := h.newEmployee(t, "Rita Role")
		if errs := fieldsOf(h.must(t, 400, "PATCH", h.sp("/employees/%d", id), map[string]any{"roleId": 999999})); len(errs["roleId"]) == 0 || len(errs["roleIds"]) != 0 {
			t.Errorf("update with roleId: errors %v", errs)
		}
	})
}

// A permission both granted and denied in one request is refused; named
// twice with the same value it counts once.
func TestContradictoryOverridesRefused(t *testing.T) {
	each(t, func(t *testing.T, h *h) {
		id := h.newEmployee(t, "Otto Override")
		raw := h.must(t, 400, "PATCH", h.sp("/employees/%d", id), map[string]any{"permissions": []map[string]any{
			{"id": 402, "value": "true"}, {"id": 402, "value": "false"}}})
		if !strings.Contains(string(raw), "both granted and denied") {
			t.Errorf("contradiction: %s", raw)
		}
		h.must(t, 200, "PATCH", h.sp("/employees/%d", id), map[string]any{"permissions": []map[string]any{
			{"id": 402, "value": "true"}, {"id": 402, "value": "true"}}})
	})
}

// An edit that changes nothing writes nothing: no history event, and
// modifiedOn (hence the export position) stays.
func TestEditChangingNothingIsNotAChange(t *testing.T) {
	each(t, func(t *testing.T, h *h) {
		id := h.newEmployee(t, "Norma Nochange")
		before := h.raw(t, h.sp("/employees/%d", id))
		events := func() int {
			var page struct {
				Data []any `json:"data"`
			}
			if err := json.Unmarshal(h.must(t, 200, "GET", h.sp("/history?recordType=Employee&recordId=%d&pageSize=200", id), nil), &page); err != nil {
				t.Fatal(err)
			}
			return len(page.Data)
		}
		n := events()
		h.must(t, 200, "PATCH", h.sp("/employees/%d", id), map[string]any{"name": before["name"], "positions": before["positions"]})
		h.must(t, 200, "PATCH", h.sp("/employees/%d", id), map[string]any{})
		after := h.raw(t, h.sp("/employees/%d", id))
		if after["modifiedOn"] != before["modifiedOn"] || events() != n {
			t.Errorf("an edit that changed nothing: modifiedOn %v → %v, events %d → %d", before["modifiedOn"], after["modifiedOn"], n, events())
		}
		h.must(t, 200, "PATCH", h.sp("/employees/%d", id), map[string]any{"name": "Norma Changed"})
		if events() != n+1 {
			t.Errorf("a real edit recorded %d events, want 1", events()-n)
		}

		// The same for the settings records (one path serves them all).
		unit := h.mustID(t, "POST", h.sp("/business-units"), map[string]any{"name": "Unchanged Unit"})
		unitEvents := func() int {
			var page struct {
				Data []any `json:"data"`
			}
			if err := json.Unmarshal(h.must(t, 200, "GET", h.sp("/history?recordType=BusinessUnit&recordId=%d", unit), nil), &page); err != nil {
				t.Fatal(err)
			}
			return len(page.Data)
		}
		m, was := unitEvents(), h.raw(t, h.sp("/business-units/%d", unit))["modifiedOn"]
		h.must(t, 200, "PATCH", h.sp("/business-units/%d", unit), map[string]any{"name": "Unchanged Unit"})
		if unitEvents() != m || h.raw(t, h.sp("/business-units/%d", unit))["modifiedOn"] != was {
			t.Errorf("a business-unit edit that changed nothing was recorded")
		}
	})
}
