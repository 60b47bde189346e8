package settings_test

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"crewid"
	"crewid/api/settings/stclient"
	"crewid/store"
)

func TestUserRoles(t *testing.T) {
	each(t, func(t *testing.T, h *h) {
		list := func(p stclient.UserRolesGetListParams) []stclient.TenantSettingsV2UserRoleResponse {
			t.Helper()
			resp, err := h.st.UserRolesGetListWithResponse(h.ctx, h.tid, &p)
			mustOK(t, resp, err)
			return resp.JSON200.Data
		}
		names := func(roles []stclient.TenantSettingsV2UserRoleResponse) []string {
			var out []string
			for _, r := range roles {
				out = append(out, r.Name)
			}
			return out
		}

		// Built-in roles exist in every tenant.
		builtIn := list(stclient.UserRolesGetListParams{PageSize: ptr(int32(200))})
		for _, want := range []string{"Administrator", "Dispatcher", "Office Staff", "Technician", "HVAC Technician", "Plumbing Technician", "Electrical Technician"} {
			if !slices.Contains(names(builtIn), want) {
				t.Errorf("built-in role %q missing from %v", want, names(builtIn))
			}
		}
		for _, r := range builtIn {
			recent(t, "role createdOn", r.CreatedOn)
			if !r.Active {
				t.Errorf("built-in role %q inactive", r.Name)
			}
		}
		// employeeType filter: roles that apply to the kind.
		for _, kind := range []string{"Technician", "Employee"} {
			got := list(stclient.UserRolesGetListParams{EmployeeType: ptr(kind), PageSize: ptr(int32(200))})
			for _, r := range got {
				if string(r.EmployeeType) != kind && r.EmployeeType != "All" {
					t.Errorf("employeeType=%s lists %q of type %s", kind, r.Name, r.EmployeeType)
				}
			}
			if kind == "Technician" && (!slices.Contains(names(got), "Technician") || slices.Contains(names(got), "Dispatcher")) {
				t.Errorf("employeeType=Technician: %v", names(got))
			}
			if kind == "Employee" && (!slices.Contains(names(got), "Dispatcher") || slices.Contains(names(got), "Technician")) {
				t.Errorf("employeeType=Employee: %v", names(got))
			}
		}
		status, body := h.do(t, "GET", h.sp("/user-roles?employeeType=Robot"), nil)
		wantError(t, status, body, 400, "employeeType")

		// Custom role: create, read, patch, delete.
		id := h.mustID(t, "POST", h.sp("/user-roles"), map[string]any{"name": "Night Shift", "employeeType": "Technician", "permissions": []int64{402, 401}})
		role := decode[map[string]any](t, h.must(t, 200, "GET", h.sp("/user-roles/%d", id), nil))
		if role["name"] != "Night Shift" || role["employeeType"] != "Technician" || role["active"] != true || role["builtIn"] != false ||
			!slices.Equal(anyInts(role["permissions"]), []int64{401, 402}) {
			t.Errorf("role %v", role)
		}
		status, body = h.do(t, "POST", h.sp("/user-roles"), map[string]any{"name": "night SHIFT", "employeeType": "All"})
		wantError(t, status, body, 409, "name")
		status, body = h.do(t, "POST", h.sp("/user-roles"), map[string]any{"name": "Bad", "employeeType": "Robot", "permissions": []int64{999999}})
		wantError(t, status, body, 400, "employeeType", "permissions")
		status, body = h.do(t, "POST", h.sp("/user-roles"), map[string]any{"employeeType": "All"})
		wantError(t, status, body, 400, "name")

		h.must(t, 200, "PATCH", h.sp("/user-roles/%d", id), map[string]any{"permissions": []int64{406}})
		role2 := decode[map[string]any](t, h.must(t, 200, "GET", h.sp("/user-roles/%d", id), nil))
		if role2["name"] != "Night Shift" || role2["employeeType"] != "Technician" || !slices.Equal(anyInts(role2["permissions"]), []int64{406}) {
			t.Errorf("after PATCH of permissions: %v", role2)
		}
		if got := list(stclient.UserRolesGetListParams{Ids: ptr(fmt.Sprint(id))}); len(got) != 1 || got[0].Name != "Night Shift" || got[0].EmployeeType != "Technician" {
			t.Errorf("ids=%d: %+v", id, got)
		}
		if got := list(stclient.UserRolesGetListParams{Name: ptr("NIGHT")}); len(got) != 1 || got[0].Id != id {
			t.Errorf("name=NIGHT: %+v", got)
		}

		// A held role cannot be deleted; deactivated it leaves the active list.
		tech := h.newTechnician(t, "Night Worker")
		h.must(t, 200, "PATCH", h.sp("/technicians/%d", tech), map[string]any{"roleIds": []int64{h.role(t, "Technician"), id}})
		if perms := permissionSet(h.raw(t, h.sp("/technicians/%d", tech))["permissions"]); !perms[406] {
			t.Errorf("the custom role's permission 406 is not effective: %v", perms)
		}
		status, body = h.do(t, "DELETE", h.sp("/user-roles/%d", id), nil)
		wantError(t, status, body, 409, "id")
		h.must(t, 200, "PATCH", h.sp("/user-roles/%d", id), map[string]any{"active": false})
		if got := list(stclient.UserRolesGetListParams{Name: ptr("Night")}); len(got) != 0 {
			t.Errorf("inactive role in the default list: %+v", got)
		}
		if got := list(stclient.UserRolesGetListParams{Name: ptr("Night"), Active: ptr("False")}); len(got) != 1 || got[0].Active {
			t.Errorf("active=False: %+v", got)
		}
		h.must(t, 200, "PATCH", h.sp("/technicians/%d", tech), map[string]any{"roleIds": []int64{h.role(t, "Technician")}})
		h.must(t, 200, "DELETE", h.sp("/user-roles/%d", id), nil)
		status, body = h.do(t, "GET", h.sp("/user-roles/%d", id), nil)
		wantError(t, status, body, 404)
		status, body = h.do(t, "DELETE", h.sp("/user-roles/%d", id), nil)
		wantError(t, status, body, 404)

		// Built-in roles cannot be deleted; Administrator keeps its powers.
		for _, key := range []string{"Administrator", "Technician", "Dispatcher"} {
			status, body := h.do(t, "DELETE", h.sp("/user-roles/%d", h.role(t, key)), nil)
			wantError(t, status, body, 400, "id")
		}
		status, body = h.do(t, "PATCH", h.sp("/user-roles/%d", h.role(t, "Administrator")), map[string]any{"active": false})
		wantError(t, status, body, 400, "active")
		h.must(t, 200, "PATCH", h.sp("/user-roles/%d", h.role(t, "Administrator")), map[string]any{"name": "Owner"})
		if got := list(stclient.UserRolesGetListParams{Ids: ptr(fmt.Sprint(h.role(t, "Administrator")))}); len(got) != 1 || got[0].Name != "Owner" {
			t.Errorf("renamed Administrator: %+v", got)
		}

		h.wantEvents(t, "UserRole", id, "UserRole.Created", "UserRole.Updated", "UserRole.Updated", "UserRole.Deleted")
	})
}

func TestPermissionsCatalog(t *testing.T) {
	each(t, func(t *testing.T, h *h) {
		type perm struct {
			ID          int64  `json:"id"`
			Name        string `json:"name"`
			Section     string `json:"section"`
			Description string `json:"description"`
		}
		type page struct {
			Page       int    `json:"page"`
			PageSize   int    `json:"pageSize"`
			HasMore    bool   `json:"hasMore"`
			TotalCount *int   `json:"totalCount"`
			Data       []perm `json:"data"`
		}
		all := decode[page](t, h.must(t, 200, "GET", h.sp("/permissions?pageSize=1000&includeTotal=true"), nil))
		if all.HasMore || all.TotalCount == nil || *all.TotalCount != len(all.Data) {
			t.Errorf("catalog page: hasMore %v total %v of %d", all.HasMore, all.TotalCount, len(all.Data))
		}
		byName, sections := map[string]perm{}, map[string]bool{}
		for _, p := range all.Data {
			byName[p.Name] = p
			sections[p.Section] = true
			if p.ID == 0 || p.Section == "" || p.Description == "" {
				t.Errorf("incomplete permission %+v", p)
			}
		}
		for _, name := range []string{"Activate Or Deactivate Employees", "Edit Employee", "View or Update Another User Username or Password",
			"Manage API Application Access", "Generate API Application Key", "Admin Access"} {
			if _, ok := byName[name]; !ok {
				t.Errorf("permission %q missing", name)
			}
		}
		for _, s := range []string{"Dispatch", "Scheduling", "Pricing", "Payments", "Customer Contact", "Reports", "Payroll"} {
			if !sections[s] {
				t.Errorf("section %q missing", s)
			}
		}
		p2 := decode[page](t, h.must(t, 200, "GET", h.sp("/permissions?page=2&pageSize=5"), nil))
		if p2.Page != 2 || len(p2.Data) != 5 || !p2.HasMore || p2.TotalCount != nil || p2.Data[0] != all.Data[5] {
			t.Errorf("page 2 of 5: %+v", p2)
		}
	})
}

// guidA and guidB are two applications' GUIDs for external data.
const (
	guidA = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
	guidB = "{6F9619FF-8B86-D011-B42D-00C04FC964FF}"
)

func externalPatch(t *testing.T, guid string, mode stclient.TenantSettingsV2ExternalDataPatchMode, kv ...any) stclient.TenantSettingsV2UpdateBusinessUnitRequest {
	t.Helper()
	x := stclient.TenantSettingsV2ExternalDataUpdateRequest{ApplicationGuid: guid, ExternalData: []stclient.TenantSettingsV2ExternalDataUpdateModel{}}
	if mode != "" {
		x.PatchMode = &stclient.TenantSettingsV2ExternalDataUpdateRequest_PatchMode{}
		_ = x.PatchMode.FromTenantSettingsV2ExternalDataPatchMode(mode)
	}
	for i := 0; i < len(kv); i += 2 {
		item := stclient.TenantSettingsV2ExternalDataUpdateModel{Key: kv[i].(string)}
		if v, ok := kv[i+1].(string); ok {
			item.Value = &v
		}
		x.ExternalData = append(x.ExternalData, item)
	}
	var u stclient.TenantSettingsV2UpdateBusinessUnitRequest_ExternalData
	_ = u.FromTenantSettingsV2ExternalDataUpdateRequest(x)
	return stclient.TenantSettingsV2UpdateBusinessUnitRequest{ExternalData: &u}
}

func TestBusinessUnits(t *testing.T) {
	each(t, func(t *testing.T, h *h) {
		id := h.mustID(t, "POST", h.sp("/business-units"), map[string]any{
			"name": "Plumbing East", "officialName": "Acme Plumbing East LLC", "email": "East@Acme.example", "currency": "USD",
			"phoneNumber": "555-300-4000", "invoiceHeader": "Acme", "invoiceMessage": "Thanks!", "defaultTaxRate": 7.25,
			"authorizationParagraph": "I authorize.", "acknowledgementParagraph": "I acknowledge.",
			"address":     map[string]any{"street": "1 Main St", "unit": "2", "city": "Springfield", "state": "IL", "zip": "62701", "country": "USA"},
			"materialSku": "MAT", "quickbooksClass": "QB", "accountCode": "AC1", "franchiseId": "F1", "conceptCode": "C1", "corporateContractNumber": "CC1",
		})
		get := func(guid string) stclient.TenantSettingsV2BusinessUnitResponse {
			t.Helper()
			var p *stclient.BusinessUnitsGetParams
			if guid != "" {
				p = &stclient.BusinessUnitsGetParams{ExternalDataApplicationGuid: &guid}
			}
			resp, err := h.st.BusinessUnitsGetWithResponse(h.ctx, h.tid, id, p)
			mustOK(t, resp, err)
			return *resp.JSON200
		}
		bu := get("")
		if bu.Name != "Plumbing East" || !bu.Active || deref(bu.OfficialName) != "Acme Plumbing East LLC" || string(deref(bu.Email)) != "east@acme.example" ||
			deref(bu.Currency) != "USD" || deref(bu.PhoneNumber) != "+15553004000" || deref(bu.InvoiceHeader) != "Acme" ||
			deref(bu.InvoiceMessage) != "Thanks!" || deref(bu.DefaultTaxRate) != 7.25 || deref(bu.AuthorizationParagraph) != "I authorize." ||
			deref(bu.AcknowledgementParagraph) != "I acknowledge." || deref(bu.MaterialSku) != "MAT" || deref(bu.QuickbooksClass) != "QB" ||
			deref(bu.AccountCode) != "AC1" || deref(bu.FranchiseId) != "F1" || deref(bu.ConceptCode) != "C1" || deref(bu.CorporateContractNumber) != "CC1" {
			t.Errorf("business unit %s", jsonOf(bu))
		}
		recent(t, "createdOn", bu.CreatedOn)
		recent(t, "modifiedOn", bu.ModifiedOn)
		if bu.Address == nil {
			t.Fatalf("no address")
		}
		if a, _ := bu.Address.AsTenantSettingsV2BusinessUnitAddressResponse(); deref(a.Street) != "1 Main St" || deref(a.City) != "Springfield" || deref(a.Zip) != "62701" {
			t.Errorf("address %s", jsonOf(a))
		}
		if bu.Tenant == nil {
			t.Errorf("no tenant")
		} else if tn, _ := bu.Tenant.AsTenantSettingsV2BusinessUnitTenantResponse(); tn.Id != h.tid || tn.Name != "Acme Heating" {
			t.Errorf("tenant %s", jsonOf(tn))
		}

		// External data: Replace and Merge per application GUID.
		patch := func(req stclient.TenantSettingsV2UpdateBusinessUnitRequest) {
			t.Helper()
			resp, err := h.st.BusinessUnitsUpdateWithResponse(h.ctx, h.tid, id, req)
			mustOK(t, resp, err)
			if resp.JSON200.Id != id {
				t.Errorf("update answered id %d", resp.JSON200.Id)
			}
		}
		external := func(guid string) map[string]string {
			t.Helper()
			out := map[string]string{}
			for _, e := range deref(get(guid).ExternalData) {
				out[e.Key] = e.Value
			}
			return out
		}
		patch(externalPatch(t, guidA, "", "k1", "v1", "k2", "v2")) // Replace is the default
		patch(externalPatch(t, guidB, stclient.Replace, "k3", "v3"))
		if got := external(guidA); fmt.Sprint(got) != "map[k1:v1 k2:v2]" {
			t.Errorf("A: %v", got)
		}
		if got := external(strings.ToUpper(strings.Trim(guidB, "{}"))); fmt.Sprint(got) != "map[k3:v3]" {
			t.Errorf("B: %v", got)
		}
		if bu := get(""); bu.ExternalData != nil && len(*bu.ExternalData) != 0 {
			t.Errorf("external data shown without a GUID: %s", jsonOf(bu.ExternalData))
		}
		patch(externalPatch(t, guidA, stclient.Replace, "k2", "new"))
		if got := external(guidA); fmt.Sprint(got) != "map[k2:new]" {
			t.Errorf("A after Replace: %v", got)
		}
		patch(externalPatch(t, guidA, stclient.Merge, "k4", "v4", "k2", nil, "absent", nil))
		if got := external(guidA); fmt.Sprint(got) != "map[k4:v4]" {
			t.Errorf("A after Merge: %v", got)
		}
		patch(externalPatch(t, guidA, stclient.Merge, "k5", "v5"))
		if got := external(guidA); fmt.Sprint(got) != "map[k4:v4 k5:v5]" {
			t.Errorf("A after second Merge: %v", got)
		}
		if got := external(guidB); fmt.Sprint(got) != "map[k3:v3]" {
			t.Errorf("B touched by A's patches: %v", got)
		}
		// The unit's own fields were not touched by external data patches.
		after := get("")
		if after.Name != bu.Name || deref(after.OfficialName) != deref(bu.OfficialName) || !after.CreatedOn.Equal(bu.CreatedOn) || !after.ModifiedOn.After(bu.ModifiedOn) {
			t.Errorf("after external data patches: %s", jsonOf(after))
		}
		// Invalid external data patches.
		resp, err := h.st.BusinessUnitsUpdateWithResponse(h.ctx, h.tid, id, externalPatch(t, "not-a-guid", stclient.Merge, "k", "v"))
		clientError(t, resp, err, 400, "externalData.applicationGuid")
		resp, err = h.st.BusinessUnitsUpdateWithResponse(h.ctx, h.tid, id, externalPatch(t, guidA, "Sideways", "k", "v"))
		clientError(t, resp, err, 400, "externalData.patchMode")
		for _, body := range []map[string]any{
			{"externalData": map[string]any{"applicationGuid": guidA}},
			{"externalData": map[string]any{"applicationGuid": guidA, "externalData": nil}},
		} {
			h.must(t, 400, "PATCH", h.sp("/business-units/%d", id), body)
		}
		gr, err := h.st.BusinessUnitsGetWithResponse(h.ctx, h.tid, id, &stclient.BusinessUnitsGetParams{ExternalDataApplicationGuid: ptr("zzz")})
		clientError(t, gr, err, 400, "externalDataApplicationGuid")
		if got := external(guidA); fmt.Sprint(got) != "map[k4:v4 k5:v5]" {
			t.Errorf("A after refused patches: %v", got)
		}

		// The unit's own fields (extension): absent unchanged, null clears.
		h.must(t, 200, "PATCH", h.sp("/business-units/%d", id), map[string]any{"name": "Plumbing East 2", "officialName": nil, "defaultTaxRate": nil, "address": nil})
		after = get("")
		if after.Name != "Plumbing East 2" || after.OfficialName != nil || after.DefaultTaxRate != nil || after.Address != nil ||
			deref(after.InvoiceHeader) != "Acme" || deref(after.Currency) != "USD" {
			t.Errorf("after PATCH: %s", jsonOf(after))
		}
		if got := external(guidB); fmt.Sprint(got) != "map[k3:v3]" {
			t.Errorf("B after a PATCH without external data: %v", got)
		}
		status, body := h.do(t, "PATCH", h.sp("/business-units/%d", id), map[string]any{"defaultTaxRate": 101, "email": "nope"})
		wantError(t, status, body, 400, "defaultTaxRate", "email")
		status, body = h.do(t, "POST", h.sp("/business-units"), map[string]any{"officialName": "No Name"})
		wantError(t, status, body, 400, "name")

		// Lists.
		second := h.newBusinessUnit(t, "Electrical West")
		third := h.newBusinessUnit(t, "HVAC North")
		h.must(t, 200, "PATCH", h.sp("/business-units/%d", third), map[string]any{"active": false})
		listBU := func(p stclient.BusinessUnitsGetListParams) stclient.PaginatedResponseOfTenantSettingsV2BusinessUnitResponse {
			t.Helper()
			resp, err := h.st.BusinessUnitsGetListWithResponse(h.ctx, h.tid, &p)
			mustOK(t, resp, err)
			return *resp.JSON200
		}
		buID := func(b stclient.TenantSettingsV2BusinessUnitResponse) int64 { return b.Id }
		if got := ids(listBU(stclient.BusinessUnitsGetListParams{}).Data, buID); !slices.Equal(got, []int64{id, second}) {
			t.Errorf("active units: %v", got)
		}
		if got := ids(listBU(stclient.BusinessUnitsGetListParams{Active: ptr("False")}).Data, buID); !slices.Equal(got, []int64{third}) {
			t.Errorf("inactive units: %v", got)
		}
		if got := ids(listBU(stclient.BusinessUnitsGetListParams{Name: ptr("WEST")}).Data, buID); !slices.Equal(got, []int64{second}) {
			t.Errorf("name=WEST: %v", got)
		}
		pg := listBU(stclient.BusinessUnitsGetListParams{Active: ptr("Any"), PageSize: ptr(int32(2)), IncludeTotal: ptr(true), Ids: ptr(joinIDs([]int64{third, id, second}))})
		if got := ids(pg.Data, buID); !slices.Equal(got, []int64{id, second}) || !pg.HasMore || deref(pg.TotalCount) != 3 {
			t.Errorf("page of 2: %v hasMore %v total %v", got, pg.HasMore, pg.TotalCount)
		}
		withData := listBU(stclient.BusinessUnitsGetListParams{ExternalDataApplicationGuid: ptr(guidA), Ids: ptr(fmt.Sprint(id))})
		if len(withData.Data) != 1 || len(deref(withData.Data[0].ExternalData)) != 2 {
			t.Errorf("list with externalDataApplicationGuid: %s", jsonOf(withData))
		}

		// Export, with external data for the GUID asked for.
		ex, err := h.st.ExportBusinessUnitsWithResponse(h.ctx, h.tid, &stclient.ExportBusinessUnitsParams{})
		mustOK(t, ex, err)
		if got := ids(ex.JSON200.Data, func(b stclient.TenantSettingsV2ExportBusinessUnitResponse) int64 { return b.Id }); !sameSet(got, []int64{id, second, third}) {
			t.Errorf("export (inactive included): %v", got)
		}

		// Deletion (extension): refused while people belong to the unit.
		emp := h.newEmployee(t, "Unit Member")
		h.must(t, 200, "PATCH", h.sp("/employees/%d", emp), map[string]any{"businessUnitId": second})
		status, body = h.do(t, "DELETE", h.sp("/business-units/%d", second), nil)
		wantError(t, status, body, 409)
		h.must(t, 200, "PATCH", h.sp("/employees/%d", emp), map[string]any{"businessUnitId": nil})
		h.must(t, 200, "DELETE", h.sp("/business-units/%d", second), nil)
		gr, err = h.st.BusinessUnitsGetWithResponse(h.ctx, h.tid, second, nil)
		clientError(t, gr, err, 404)
		status, body = h.do(t, "PATCH", h.sp("/employees/%d", emp), map[string]any{"businessUnitId": third})
		wantError(t, status, body, 400, "businessUnitId") // inactive unit

		evs := h.wantEvents(t, "BusinessUnit", second, "BusinessUnit.Created", "BusinessUnit.Deleted")
		if len(evs) == 2 && (evs[1].After != nil || evs[1].Before == nil) {
			t.Errorf("deletion event: before %s after %s", evs[1].Before, evs[1].After)
		}
		h.wantEvents(t, "BusinessUnit", id, append([]string{"BusinessUnit.Created"}, repeat("BusinessUnit.Updated", 6)...)...)
	})
}

func TestTagTypes(t *testing.T) {
	each(t, func(t *testing.T, h *h) {
		id := h.mustID(t, "POST", h.sp("/tag-types"), map[string]any{"name": "Warranty", "color": "#1A2B3C", "code": "WAR",
			"importance": "High", "isConversionOpportunity": true, "allowToUseOnTimesheetActivity": true})
		tag := decode[map[string]any](t, h.must(t, 200, "GET", h.sp("/tag-types/%d", id), nil))
		for k, want := range map[string]any{"name": "Warranty", "color": "#1A2B3C", "code": "WAR", "importance": "High",
			"isConversionOpportunity": true, "allowToUseOnTimesheetActivity": true, "active": true} {
			if tag[k] != want {
				t.Errorf("%s = %v, want %v", k, tag[k], want)
			}
		}
		h.must(t, 200, "PATCH", h.sp("/tag-types/%d", id), map[string]any{"code": "W2", "importance": nil})
		tag2 := decode[map[string]any](t, h.must(t, 200, "GET", h.sp("/tag-types/%d", id), nil))
		if tag2["code"] != "W2" || tag2["importance"] != nil || tag2["name"] != "Warranty" || tag2["color"] != "#1A2B3C" || tag2["createdOn"] != tag["createdOn"] {
			t.Errorf("after PATCH: %v", tag2)
		}
		for body, field := range map[string]string{`{"name":"Bad","color":"red"}`: "color", `{"name":"Bad","importance":"Low"}`: "importance", `{"color":"#000000"}`: "name"} {
			status, raw := h.do(t, "POST", h.sp("/tag-types"), body)
			wantError(t, status, raw, 400, field)
		}
		status, raw := h.do(t, "POST", h.sp("/tag-types"), map[string]any{"name": "WARRANTY"})
		wantError(t, status, raw, 409, "name")

		// List with sort and active.
		b := h.mustID(t, "POST", h.sp("/tag-types"), map[string]any{"name": "Callback"})
		c := h.mustID(t, "POST", h.sp("/tag-types"), map[string]any{"name": "Maintenance"})
		d := h.mustID(t, "POST", h.sp("/tag-types"), map[string]any{"name": "Archived"})
		h.must(t, 200, "PATCH", h.sp("/tag-types/%d", d), map[string]any{"active": false})
		list := func(p stclient.TagTypesGetListParams) stclient.PaginatedResponseOfTenantSettingsV2TagTypeResponse {
			t.Helper()
			resp, err := h.st.TagTypesGetListWithResponse(h.ctx, h.tid, &p)
			mustOK(t, resp, err)
			return *resp.JSON200
		}
		tagID := func(x stclient.TenantSettingsV2TagTypeResponse) int64 { return x.Id }
		for sort, want := range map[string][]int64{"": {id, b, c}, "+Name": {b, c, id}, "-Name": {id, c, b}, "-Id": {c, b, id},
			"+CreatedOn": {id, b, c}, "-createdon": {c, b, id}} {
			p := stclient.TagTypesGetListParams{}
			if sort != "" {
				p.Sort = &sort
			}
			if got := ids(list(p).Data, tagID); !slices.Equal(got, want) {
				t.Errorf("sort %q: %v, want %v", sort, got, want)
			}
		}
		// Warranty's PATCH came before Callback and Maintenance were created.
		if got := ids(list(stclient.TagTypesGetListParams{Sort: ptr("-ModifiedOn")}).Data, tagID); !slices.Equal(got, []int64{c, b, id}) {
			t.Errorf("sort -ModifiedOn: %v", got)
		}
		resp, err := h.st.TagTypesGetListWithResponse(h.ctx, h.tid, &stclient.TagTypesGetListParams{Sort: ptr("+Color")})
		clientError(t, resp, err, 400, "sort")
		if pg := list(stclient.TagTypesGetListParams{PageSize: ptr(int32(3)), IncludeTotal: ptr(true)}); len(pg.Data) != 3 || pg.HasMore || deref(pg.TotalCount) != 3 {
			t.Errorf("exactly one full page: %d items, hasMore %v, total %v", len(pg.Data), pg.HasMore, pg.TotalCount)
		}
		if got := ids(list(stclient.TagTypesGetListParams{Active: ptr("False")}).Data, tagID); !slices.Equal(got, []int64{d}) {
			t.Errorf("active=False: %v", got)
		}
		pg := list(stclient.TagTypesGetListParams{Active: ptr("Any"), Page: ptr(int32(2)), PageSize: ptr(int32(3)), IncludeTotal: ptr(true)})
		if got := ids(pg.Data, tagID); !slices.Equal(got, []int64{d}) || pg.HasMore || deref(pg.TotalCount) != 4 || pg.Page != 2 {
			t.Errorf("page 2 of 3: %v hasMore %v total %v", got, pg.HasMore, pg.TotalCount)
		}
		if imp := list(stclient.TagTypesGetListParams{Sort: ptr("+Id")}).Data[0].Importance; imp != nil {
			if v, _ := imp.AsTenantSettingsV2TagImportance(); v != "" {
				t.Errorf("cleared importance listed as %q", v)
			}
		}
		h.wantEvents(t, "TagType", id, "TagType.Created", "TagType.Updated")
	})
}

func TestCustomFieldTypes(t *testing.T) {
	each(t, func(t *testing.T, h *h) {
		id := h.newCustomFieldType(t, "Technician", "Certification", "Date")
		got := decode[map[string]any](t, h.must(t, 200, "GET", h.sp("/custom-field-types/%d", id), nil))
		if got["name"] != "Certification" || got["appliesTo"] != "Technician" || got["dataType"] != "Date" || got["active"] != true {
			t.Errorf("custom field type %v", got)
		}
		h.must(t, 200, "PATCH", h.sp("/custom-field-types/%d", id), map[string]any{"name": "Certified On"})
		status, body := h.do(t, "PATCH", h.sp("/custom-field-types/%d", id), map[string]any{"dataType": "Text"})
		wantError(t, status, body, 400, "dataType")
		status, body = h.do(t, "POST", h.sp("/custom-field-types"), map[string]any{"name": "certified on", "appliesTo": "Technician"})
		wantError(t, status, body, 409, "name")
		h.newCustomFieldType(t, "Employee", "Certified On", "Text") // same name, other kind
		status, body = h.do(t, "POST", h.sp("/custom-field-types"), map[string]any{"name": "X", "appliesTo": "Robot", "dataType": "Blob"})
		wantError(t, status, body, 400, "appliesTo", "dataType")

		type cft struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		}
		l := decode[struct{ Data []cft }](t, h.must(t, 200, "GET", h.sp("/custom-field-types?name=CERTIFIED"), nil))
		if len(l.Data) != 2 || l.Data[0].ID != id || l.Data[0].Name != "Certified On" {
			t.Errorf("list: %+v", l.Data)
		}

		// Values are checked against the data type; names come back.
		tech := h.newTechnician(t, "Certified Tech")
		status, body = h.do(t, "PATCH", h.sp("/technicians/%d", tech), map[string]any{"customFields": []map[string]any{{"typeId": id, "value": "last tuesday"}}})
		wantError(t, status, body, 400, "customFields")
		h.must(t, 200, "PATCH", h.sp("/technicians/%d", tech), map[string]any{"customFields": []map[string]any{{"typeId": id, "value": "2024-05-01"}}})
		tr := h.technician(t, tech)
		if tr.CustomFields == nil || len(*tr.CustomFields) != 1 || deref((*tr.CustomFields)[0].Name) != "Certified On" || deref((*tr.CustomFields)[0].Value) != "2024-05-01" {
			t.Errorf("customFields %s", jsonOf(tr.CustomFields))
		}
		h.wantEvents(t, "CustomFieldType", id, "CustomFieldType.Created", "CustomFieldType.Updated")
	})
}

// TestExports pages through every export with its continuation token.
func TestExports(t *testing.T) {
	each(t, func(t *testing.T, h *h) {
		type batch struct {
			ids          []int64
			names        map[int64]string
			hasMore      bool
			continueFrom string
		}
		export := func(kind, from string) batch {
			t.Helper()
			var p *string
			if from != "" {
				p = &from
			}
			b := batch{names: map[int64]string{}}
			switch kind {
			case "employees":
				r, err := h.st.ExportEmployeesWithResponse(h.ctx, h.tid, &stclient.ExportEmployeesParams{From: p})
				mustOK(t, r, err)
				for _, e := range r.JSON200.Data {
					b.ids = append(b.ids, e.Id)
					b.names[e.Id] = e.Name
				}
				b.hasMore, b.continueFrom = r.JSON200.HasMore, r.JSON200.ContinueFrom
			case "technicians":
				r, err := h.st.ExportTechniciansWithResponse(h.ctx, h.tid, &stclient.ExportTechniciansParams{From: p, IncludeRecentChanges: ptr(true)})
				mustOK(t, r, err)
				for _, e := range r.JSON200.Data {
					b.ids = append(b.ids, e.Id)
					b.names[e.Id] = e.Name
				}
				b.hasMore, b.continueFrom = r.JSON200.HasMore, r.JSON200.ContinueFrom
			case "tag-types":
				r, err := h.st.ExportTagTypesWithResponse(h.ctx, h.tid, &stclient.ExportTagTypesParams{From: p})
				mustOK(t, r, err)
				for _, e := range r.JSON200.Data {
					b.ids = append(b.ids, e.Id)
					b.names[e.Id] = e.Name
				}
				b.hasMore, b.continueFrom = r.JSON200.HasMore, r.JSON200.ContinueFrom
			case "business-units":
				r, err := h.st.ExportBusinessUnitsWithResponse(h.ctx, h.tid, &stclient.ExportBusinessUnitsParams{From: p})
				mustOK(t, r, err)
				for _, e := range r.JSON200.Data {
					b.ids = append(b.ids, e.Id)
					b.names[e.Id] = e.Name
				}
				b.hasMore, b.continueFrom = r.JSON200.HasMore, r.JSON200.ContinueFrom
			}
			if b.continueFrom == "" {
				t.Fatalf("export %s: no continueFrom", kind)
			}
			return b
		}
		type kind struct {
			name   string
			create func(i int) int64
			update func(id int64, name string)
			retire func(id int64)
		}
		kinds := []kind{
			{"employees", func(i int) int64 { return h.newEmployee(t, fmt.Sprintf("Export Emp %d", i)) },
				func(id int64, name string) {
					h.must(t, 200, "PATCH", h.sp("/employees/%d", id), map[string]any{"name": name})
				},
				func(id int64) {
					ok(t)(h.st.EmployeesAccountActionsWithResponse(h.ctx, h.tid, id, employeeAction(stclient.TenantSettingsV2AccountActionDeactivate)))
				}},
			{"technicians", func(i int) int64 { return h.newTechnician(t, fmt.Sprintf("Export Tech %d", i)) },
				func(id int64, name string) {
					h.must(t, 200, "PATCH", h.sp("/technicians/%d", id), map[string]any{"name": name})
				},
				func(id int64) {
					ok(t)(h.st.TechniciansAccountActionsWithResponse(h.ctx, h.tid, id, techAction(stclient.TenantSettingsV2AccountActionDeactivate, "")))
				}},
			{"tag-types", func(i int) int64 {
				return h.mustID(t, "POST", h.sp("/tag-types"), map[string]any{"name": fmt.Sprintf("Export Tag %d", i)})
			},
				func(id int64, name string) {
					h.must(t, 200, "PATCH", h.sp("/tag-types/%d", id), map[string]any{"name": name})
				},
				func(id int64) { h.must(t, 200, "PATCH", h.sp("/tag-types/%d", id), map[string]any{"active": false}) }},
			{"business-units", func(i int) int64 { return h.newBusinessUnit(t, fmt.Sprintf("Export Unit %d", i)) },
				func(id int64, name string) {
					h.must(t, 200, "PATCH", h.sp("/business-units/%d", id), map[string]any{"name": name})
				},
				func(id int64) {
					h.must(t, 200, "PATCH", h.sp("/business-units/%d", id), map[string]any{"active": false})
				}},
		}
		for _, k := range kinds {
			var created []int64
			for i := range 4 {
				created = append(created, k.create(i))
			}
			k.retire(created[3])
			first := export(k.name, "")
			if !sameSet(first.ids, created) || first.hasMore {
				t.Errorf("%s: first export %v (hasMore %v), want %v with the inactive one", k.name, first.ids, first.hasMore, created)
			}
			if dup := duplicates(first.ids); len(dup) > 0 {
				t.Errorf("%s: repeated in one export: %v", k.name, dup)
			}
			// Nothing new: an empty batch whose token still works.
			empty := export(k.name, first.continueFrom)
			if len(empty.ids) != 0 || empty.hasMore {
				t.Errorf("%s: export after the end: %v", k.name, empty.ids)
			}
			// New and changed records come next, once each.
			more := k.create(10)
			k.update(created[1], "Changed "+k.name)
			next := export(k.name, empty.continueFrom)
			if !slices.Equal(next.ids, []int64{more, created[1]}) || next.names[created[1]] != "Changed "+k.name {
				t.Errorf("%s: after a creation and an update: %v %v, want [%d %d]", k.name, next.ids, next.names, more, created[1])
			}
			if again := export(k.name, next.continueFrom); len(again.ids) != 0 {
				t.Errorf("%s: the same changes again: %v", k.name, again.ids)
			}
			// An old token replays from where it was.
			if replay := export(k.name, first.continueFrom); !slices.Equal(replay.ids, next.ids) {
				t.Errorf("%s: replay from the first token: %v, want %v", k.name, replay.ids, next.ids)
			}
			// Dates.
			if all := export(k.name, "2020-01-01"); !sameSet(all.ids, append(slices.Clone(created), more)) {
				t.Errorf("%s: from=2020-01-01: %v", k.name, all.ids)
			}
			if none := export(k.name, time.Now().Add(time.Hour).UTC().Format(time.RFC3339)); len(none.ids) != 0 {
				t.Errorf("%s: from a future time: %v", k.name, none.ids)
			}
			for _, garbage := range []string{"yesterday", "2020-13-45", "c1.abc", base64.RawURLEncoding.EncodeToString([]byte("c1.-5"))} {
				status, body := h.do(t, "GET", h.sp("/export/%s?from=%s", k.name, garbage), nil)
				wantError(t, status, body, 400, "from")
			}
		}

		// A long export comes in batches, without gaps or repeats.
		var seeded []int64
		err := h.env.Store.Update(h.ctx, func(tx store.Tx) error {
			now := time.Now().UTC()
			for i := range 1005 {
				tt := crewid.TagType{TenantID: h.tid, Name: fmt.Sprintf("Bulk Tag %04d", i), Color: "#808080", Active: i%3 != 0, CreatedOn: now, ModifiedOn: now}
				if err := tx.CreateTagType(h.ctx, &tt); err != nil {
					return err
				}
				seeded = append(seeded, tt.ID)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var all []int64
		from := ""
		for range 10 {
			b := export("tag-types", from)
			all = append(all, b.ids...)
			from = b.continueFrom
			if !b.hasMore {
				break
			}
			if len(b.ids) == 0 {
				t.Fatalf("empty batch with hasMore")
			}
		}
		if dup := duplicates(all); len(dup) > 0 {
			t.Errorf("long export repeats %d ids", len(dup))
		}
		if len(all) != len(seeded)+5 || !containsAll(all, seeded) {
			t.Errorf("long export: %d ids, want the %d seeded and the 5 made before", len(all), len(seeded))
		}
		if first := export("tag-types", ""); !first.hasMore || len(first.ids) == 0 {
			t.Errorf("first batch of a long export: %d ids, hasMore %v", len(first.ids), first.hasMore)
		}
	})
}

func sameSet(a, b []int64) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func duplicates(ids []int64) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for _, id := range ids {
		if seen[id] {
			out = append(out, id)
		}
		seen[id] = true
	}
	return out
}

func containsAll(have, want []int64) bool {
	set := map[int64]bool{}
	for _, id := range have {
		set[id] = true
	}
	for _, id := range want {
		if !set[id] {
			return false
		}
	}
	return true
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}
