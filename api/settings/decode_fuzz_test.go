package settings

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"crewid"
	"crewid/api"
	"crewid/org"
)

// Fuzz targets for the request bodies and parameters of the Settings
// handlers, below HTTP: decoding, then the conversion to domain values.
// None may panic; every error must be an Invalid error naming its fields.

// fzCheckInvalid fails unless err is an Invalid error naming only fields
// among allowed, each with a message, and rendering as a 400 body.
func fzCheckInvalid(t *testing.T, err error, allowed ...string) {
	t.Helper()
	var e *crewid.Error
	if !errors.As(err, &e) || e.Code != crewid.Invalid {
		t.Fatalf("want an Invalid crewid error, got %T %v", err, err)
	}
	if len(e.Fields) == 0 {
		t.Fatalf("Invalid error names no field: %v", err)
	}
	for field, msgs := range e.Fields {
		if field == "" || (len(allowed) > 0 && !slices.Contains(allowed, field)) {
			t.Fatalf("error names unexpected field %q: %v", field, err)
		}
		if len(msgs) == 0 || slices.Contains(msgs, "") {
			t.Fatalf("field %q has no message: %v", field, err)
		}
	}
	if api.Status(err) != 400 {
		t.Fatalf("status %d for %v", api.Status(err), err)
	}
	if _, err := json.Marshal(api.Problem(httptest.NewRequest("GET", "/", nil), err)); err != nil {
		t.Fatalf("error body does not encode: %v", err)
	}
}

// fzDecodeField is a decoding error's field: "body" or a JSON field of the
// request type (possibly dotted into an object).
func fzCheckDecodeError(t *testing.T, err error, v any) {
	t.Helper()
	fzCheckInvalid(t, err)
	var e *crewid.Error
	errors.As(err, &e)
	rt := reflect.TypeOf(v).Elem()
	for field := range e.Fields {
		if field == "body" {
			continue
		}
		first, _, _ := strings.Cut(field, ".")
		found := false
		for i := range rt.NumField() {
			tag, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
			found = found || tag == first
		}
		if !found {
			t.Fatalf("decoding error names %q, not a field of %s: %v", field, rt.Name(), err)
		}
	}
}

// fzSamplePerson is a stored person with every field set.
func fzSamplePerson(kind crewid.Kind) crewid.Person {
	lat, lon := 40.7, -74.0
	return crewid.Person{
		ID: 7, TenantID: 3, UserID: 11, Kind: kind, Name: "Pat Doe", Email: "pat@example.com",
		MobilePhone: "+15551234567", OfficePhone: "+15557654321", Active: true, BusinessUnitID: 2,
		RoleIDs: []int64{4, 5, 6}, Overrides: []crewid.PermissionOverride{{PermissionID: 1, Granted: true}},
		Positions: []string{"Service"}, Skills: []string{"brazing"}, ManagerID: 9, AADUserID: "aad",
		CustomFields: []crewid.CustomFieldValue{{TypeID: 1, Name: "Shirt", Value: "L"}},
		LicenseType:  crewid.LicenseManagedTech, MobileAccessEnabled: true, TeamID: 1, TeamName: "Blue",
		ZoneIDs: []int64{1, 2}, MainZoneID: 1, TruckID: 12, Warehouse: "North",
		Home: &crewid.Address{Street: "1 Main St", City: "Springfield", Latitude: &lat, Longitude: &lon},
		Bio:  "bio", Memo: "memo", DailyGoal: 1000, BurdenRate: 20, JobFilter: "DispatchedWorking",
		Account:              crewid.Account{State: crewid.AccountEstablished, Login: "pat"},
		CreatedOn:            time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
		ModifiedOn:           time.Date(2024, 2, 2, 3, 4, 5, 0, time.UTC),
		JobHistoryDateFilter: "LastMonth", Seq: 42,
	}
}

func FuzzPersonBodies(f *testing.F) {
	for _, s := range []string{
		`{"name":"Ann","email":"ann@example.com","roleId":1,"positions":[],"accountCreationMethod":"CreateLater"}`,
		`{"name":"Tom","phoneNumber":"5551234567","roleIds":[1,2],"positions":["Service"],"licenseType":"ManagedTech",` +
			`"accountCreationMethod":"AssignLoginAndPassword","login":"tom","password":"Secret1234x","dailyGoal":1.5,` +
			`"home":{"street":"1 Main","city":"X","latitude":91,"longitude":null},"zoneIds":[1],"mainZoneId":2,` +
			`"permissions":[{"id":1,"value":"true"},{"id":2,"value":false},{"id":3,"value":"TRUE"},{"id":4,"value":null}],` +
			`"customFields":[{"typeId":1,"value":null},{"typeId":2,"value":"x"}],"mobileAccessEnabled":false,"external":true}`,
		`{"licenseType":"ManagedTechnician"}`, `{"licenseType":"Bogus"}`, `{"licenseType":null}`,
		`{"roleId":0}`, `{"roleId":null,"roleIds":[]}`, `{"roleId":5,"roleIds":[5,5,0,-1]}`,
		`{"accountLocked":true}`, `{"accountLocked":false}`, `{"accountLocked":null}`,
		`{"name":null,"email":null,"login":null,"roleIds":null,"home":null,"positions":null,"skills":null}`,
		`{"dailyGoal":1e400}`, `{"dailyGoal":-0}`, `{"burdenRate":"NaN"}`, `{"truckId":9223372036854775808}`,
		`{"roleId":-9223372036854775808}`, `{"permissions":[{"id":1,"value":"\"true\""}]}`,
		`{"permissions":[{"id":1,"value":{"a":1}}]}`, `{"permissions":[{"id":1}]}`, `{"permissions":{}}`,
		`{"home":{"street":1}}`, `{"home":[]}`, `{"customFields":[{"typeId":"1"}]}`,
		"{\"name\":\"\xff\x00\"}", `{"name":"a","name":"b"}`, `[]`, `null`, `"x"`, `{} {}`,
		`{"roleIds":[` + strings.TrimSuffix(strings.Repeat("7,", 10_000), ",") + `]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var create personCreateRequest
		if err := api.DecodeBytes(body, &create); err != nil {
			fzCheckDecodeError(t, err, &create)
		} else {
			for _, kind := range []crewid.Kind{crewid.KindEmployee, crewid.KindTechnician} {
				p, setup, err := fromCreate(kind, 3, create)
				if err != nil {
					fzCheckInvalid(t, err, "roleId", "positions", "email", "licenseType", "accountCreationMethod", "permissions")
				}
				if p.Kind != kind || p.TenantID != 3 || p.ID != 0 || p.UserID != 0 {
					t.Fatalf("fromCreate set what identifies the record: %+v", p)
				}
				if p.Active || p.Account.State != "" || p.Account.PasswordHash != "" {
					t.Fatalf("fromCreate set the account or the active flag: %+v", p)
				}
				if create.AccountCreationMethod != nil && string(setup.Method) != *create.AccountCreationMethod {
					t.Fatalf("method %q from %q", setup.Method, *create.AccountCreationMethod)
				}
				if setup.OwnChoice {
					t.Fatalf("a request body chose OwnChoice")
				}
				// The deprecated roleId comes first, unless it is 0 (none).
				if r := create.RoleID; r != nil && *r != 0 && (len(p.RoleIDs) == 0 || p.RoleIDs[0] != *r) {
					t.Fatalf("roleId %d is not the first of %v", *r, p.RoleIDs)
				}
			}
		}

		var update personUpdateRequest
		if err := api.DecodeBytes(body, &update); err != nil {
			fzCheckDecodeError(t, err, &update)
			return
		}
		for _, kind := range []crewid.Kind{crewid.KindEmployee, crewid.KindTechnician} {
			before := fzSamplePerson(kind)
			p := fzSamplePerson(kind)
			if err := applyUpdate(&p, update); err != nil {
				fzCheckInvalid(t, err, "licenseType", "permissions", "positions", "customFields")
			}
			if p.ID != before.ID || p.TenantID != before.TenantID || p.UserID != before.UserID || p.Kind != before.Kind ||
				p.Seq != before.Seq || !p.CreatedOn.Equal(before.CreatedOn) || p.Active != before.Active ||
				p.Account.State != before.Account.State || p.Account.PasswordHash != before.Account.PasswordHash {
				t.Fatalf("a PATCH body changed what it may not:\nbefore %+v\nafter  %+v", before, p)
			}
			// Fields absent from the body stay as they were.
			for _, c := range []struct {
				set       bool
				got, want any
			}{
				{update.Name.Set, p.Name, before.Name},
				{update.Email.Set, p.Email, before.Email},
				{update.BusinessUnitID.Set, p.BusinessUnitID, before.BusinessUnitID},
				{update.RoleID.Set || update.RoleIDs.Set, p.RoleIDs, before.RoleIDs},
				{update.Positions.Set, p.Positions, before.Positions},
				{update.Skills.Set, p.Skills, before.Skills},
				{update.Permissions.Set, p.Overrides, before.Overrides},
				{update.CustomFields.Set, p.CustomFields, before.CustomFields},
				{update.ManagerID.Set, p.ManagerID, before.ManagerID},
				{update.External.Set, p.External, before.External},
				{update.Home.Set && kind == crewid.KindTechnician, p.Home, before.Home},
				{update.ZoneIDs.Set && kind == crewid.KindTechnician, p.ZoneIDs, before.ZoneIDs},
				{update.LicenseType.Set && kind == crewid.KindTechnician, p.LicenseType, before.LicenseType},
				{update.AccountLocked.Set, p.Account.LockedUntil, before.Account.LockedUntil},
			} {
				if !c.set && !reflect.DeepEqual(c.got, c.want) {
					t.Fatalf("a field absent from the body changed: %v -> %v", c.want, c.got)
				}
			}
			if kind == crewid.KindEmployee && (p.LicenseType != before.LicenseType || !reflect.DeepEqual(p.ZoneIDs, before.ZoneIDs) ||
				p.DailyGoal != before.DailyGoal || p.TeamName != before.TeamName) {
				t.Fatalf("a PATCH of an employee changed technician fields: %+v", p)
			}
		}
	})
}

func FuzzExportFrom(f *testing.F) {
	for _, s := range []struct {
		from, recent string
		seq          int64
	}{
		{"", "", 0}, {continuationToken(12), "true", 12}, {continuationToken(0), "", 0}, {"2024-01-31", "false", 1},
		{"2024-01-31T15:04:05Z", "", 5}, {"0001-01-01", "", 9}, {"0000-01-01", "", 9}, {"10000-01-01", "", 9},
		{"9999-12-31T23:59:59-01:00", "", 9}, {"YzEuLTE", "", -1}, {"YzEu", "", 3}, {"YzEuOTIyMzM3MjAzNjg1NDc3NTgwOA", "", 4},
		{"YzIuMTI", "", 5}, {"c1.12", "maybe", 6}, {"%zz", "", 7}, {"\x00", "", 8}, {strings.Repeat("A", 2000), "", 9},
		{"  " + continuationToken(77) + "  ", "", 77}, {"YzEuMTI=", "", 12}, {"YzEuKzEy", "", 1}, {"YzEuMHgx", "", 1},
	} {
		f.Add(s.from, s.recent, s.seq)
	}
	f.Fuzz(func(t *testing.T, from, recent string, seq int64) {
		query := url.Values{"from": {from}, "includeRecentChanges": {recent}}.Encode()
		eq, err := exportQuery(httptest.NewRequest("GET", "/export/employees?"+query, nil))
		if err != nil {
			fzCheckInvalid(t, err, "from", "includeRecentChanges")
		}
		if eq.AfterSeq < 0 || eq.Limit != 1000 {
			t.Fatalf("from=%q: afterSeq %d, limit %d", from, eq.AfterSeq, eq.Limit)
		}
		if m := eq.ModifiedOnOrAfter; !m.IsZero() && (m.Location() != time.UTC || m.Year() < 1 || m.Year() > 9999) {
			t.Fatalf("from=%q: modifiedOnOrAfter %v", from, m)
		}
		if eq.AfterSeq != 0 && !eq.ModifiedOnOrAfter.IsZero() {
			t.Fatalf("from=%q read as both a token and a date", from)
		}
		// Every token the server hands out reads back as itself.
		if seq >= 0 {
			eq, err := exportQuery(httptest.NewRequest("GET", "/export/employees?from="+continuationToken(seq), nil))
			if err != nil || eq.AfterSeq != seq {
				t.Fatalf("token of %d read back as %d, %v", seq, eq.AfterSeq, err)
			}
		}
	})
}

const (
	fzAppA = "8b2f0a4e-8c8e-4b1e-9d7a-2f3e4d5c6b7a"
	fzAppB = "{1B2F0A4E-8C8E-4B1E-9D7A-2F3E4D5C6B7A}"
)

func fzSampleUnit() crewid.BusinessUnit {
	rate := 8.25
	return crewid.BusinessUnit{ID: 5, TenantID: 3, Name: "North", Active: true, DefaultTaxRate: &rate,
		Address: &crewid.Address{Street: "1 Main", City: "X"},
		ExternalData: []crewid.ExternalData{
			{ApplicationGUID: fzAppA, Key: "k1", Value: "a1"},
			{ApplicationGUID: strings.ToLower(strings.Trim(fzAppB, "{}")), Key: "k1", Value: "b1"},
			{ApplicationGUID: fzAppA, Key: "k2", Value: "a2"},
		}}
}

func FuzzBusinessUnitPatch(f *testing.F) {
	for _, s := range []string{
		`{"externalData":{"applicationGuid":"` + fzAppA + `","externalData":[{"key":"k1","value":"x"},{"key":"k3","value":"y"}]}}`,
		`{"externalData":{"patchMode":"Merge","applicationGuid":"` + fzAppA + `","externalData":[{"key":"k1","value":null},{"key":"k9","value":"z"}]}}`,
		`{"externalData":{"patchMode":"Replace","applicationGuid":"` + fzAppB + `","externalData":[]}}`,
		`{"externalData":{"patchMode":"Merge","applicationGuid":"` + strings.ToUpper(fzAppA) + `","externalData":[{"key":"k2","value":"v"},{"key":"k2","value":null},{"key":"k2","value":"w"}]}}`,
		`{"externalData":{"patchMode":"Replace","applicationGuid":"` + fzAppA + `","externalData":[{"key":"k1"},{"key":"k1","value":"q"}]}}`,
		`{"externalData":{"patchMode":"merge","applicationGuid":"` + fzAppA + `"}}`,
		`{"externalData":{"patchMode":"","applicationGuid":"not-a-guid","externalData":[{"key":""}]}}`,
		`{"externalData":{"patchMode":null,"applicationGuid":null,"externalData":null}}`,
		`{"externalData":null,"name":null,"address":null,"defaultTaxRate":null}`,
		`{"externalData":{"applicationGuid":"` + fzAppA + `","externalData":[{"key":"` + strings.Repeat("k", 256) + `","value":"` + strings.Repeat("v", 10001) + `"}]}}`,
		`{"externalData":[]}`, `{"externalData":{"externalData":{}}}`, `{"defaultTaxRate":1e400}`, `{"defaultTaxRate":"NaN"}`,
		`{"name":"South","active":false,"address":{"street":"2 Main","zip":null},"defaultTaxRate":-0}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req businessUnitRequest
		if err := api.DecodeBytes(body, &req); err != nil {
			fzCheckDecodeError(t, err, &req)
			return
		}
		before, b := fzSampleUnit(), fzSampleUnit()
		err := req.apply(&b)
		if err != nil {
			fzCheckInvalid(t, err, "externalData.patchMode", "externalData.applicationGuid", "externalData.externalData")
			return
		}
		if b.ID != before.ID || b.TenantID != before.TenantID || b.Seq != before.Seq {
			t.Fatalf("the patch changed what identifies the unit: %+v", b)
		}
		x := req.ExternalData
		if x == nil {
			if !reflect.DeepEqual(b.ExternalData, before.ExternalData) {
				t.Fatalf("external data changed without a patch: %v", b.ExternalData)
			}
			return
		}
		merge := x.PatchMode != nil && *x.PatchMode == "Merge"
		var others, wantOthers []crewid.ExternalData
		mine := map[string]string{}
		for _, e := range b.ExternalData {
			if !org.SameGUID(e.ApplicationGUID, x.ApplicationGUID) {
				others = append(others, e)
				continue
			}
			if _, dup := mine[e.Key]; dup {
				t.Fatalf("key %q twice for the application: %v", e.Key, b.ExternalData)
			}
			mine[e.Key] = e.Value
		}
		want := map[string]string{}
		for _, e := range before.ExternalData {
			if !org.SameGUID(e.ApplicationGUID, x.ApplicationGUID) {
				wantOthers = append(wantOthers, e)
			} else if merge {
				want[e.Key] = e.Value
			}
		}
		if x.ExternalData == nil {
			t.Fatalf("a patch without its pairs was applied: %v", b.ExternalData)
		}
		for _, it := range *x.ExternalData {
			switch {
			case it.Value == nil && merge:
				delete(want, it.Key)
			case it.Value == nil:
				want[it.Key] = ""
			default:
				want[it.Key] = *it.Value
			}
		}
		if !reflect.DeepEqual(others, wantOthers) {
			t.Fatalf("other applications' data changed: %v -> %v", wantOthers, others)
		}
		if !reflect.DeepEqual(mine, want) {
			t.Fatalf("the application's data is %v, want %v", mine, want)
		}
		if b.ExternalData == nil {
			t.Fatalf("external data became nil")
		}
	})
}
