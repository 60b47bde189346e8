package access

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"crewid"
	"crewid/store"
)

// publishedIDs pins every published permission id to its name. Ids are
// part of the API: a change here breaks clients. Add new permissions at
// the end of their section's block; never edit or remove a line.
var publishedIDs = map[int64]string{
	101: "Admin Access", 102: "Manage Roles", 103: "Manage Business Units",
	104: "Manage Tag Types", 105: "Manage Custom Fields", 106: "View History",

	201: "View Employees", 202: "Edit Employee", 203: "Activate Or Deactivate Employees",
	204: "View or Update Another User Username or Password", 205: "Assign Roles And Permissions",

	301: "Manage API Application Access", 302: "Generate API Application Key",
	303: "Manage Webhooks", 304: "Manage Accounting Integration",

	401: "View Dispatch Board", 402: "Assign Technicians", 403: "Change Appointment Status",
	404: "Manage Technician Memos", 405: "Manage Teams And Zones", 406: "Self Dispatch",
	407: "View Technician Locations", 408: "Manage Dispatch Notifications",

	501: "Book Jobs", 502: "Reschedule Appointments", 503: "Cancel Jobs",
	504: "Manage Technician Shifts", 505: "Manage Arrival Windows And Capacity",

	601: "View Pricebook", 602: "Edit Pricebook", 603: "View Item Costs And Margins",
	604: "Create Estimates", 605: "Apply Discounts", 606: "Override Item Prices",

	701: "Take Payments", 702: "Issue Refunds", 703: "Edit Or Void Payments",
	704: "Edit Invoices", 705: "Manage Invoice Batches",

	801: "View Customers", 802: "Edit Customers", 803: "View Customer Phone Numbers And Emails",
	804: "Send Customer Messages", 805: "Listen To Call Recordings", 806: "Export Customer List",

	901: "View Operational Reports", 902: "View Financial Reports", 903: "Build Custom Reports",
	904: "Schedule Report Delivery", 905: "Export Report Data", 906: "View Own Scorecard",

	1001: "View Payroll", 1002: "Edit Pay Rates And Commissions", 1003: "Approve Timesheets",
	1004: "Edit Any Timesheet", 1005: "Edit Own Timesheet", 1006: "Close Pay Periods",
}

func TestCatalogIDsUniqueAscendingAndPublished(t *testing.T) {
	cat := Catalog()
	if n := len(cat); n < 35 || n > 60 {
		t.Errorf("catalog has %d permissions, want 35-60", n)
	}
	if len(cat) > maxPermissions {
		t.Fatalf("catalog (%d) exceeds Set capacity %d", len(cat), maxPermissions)
	}
	seenID := map[int64]bool{}
	seenName := map[string]bool{}
	for i, p := range cat {
		if p.ID <= 0 || p.ID > math.MaxInt32 {
			t.Errorf("%q: id %d out of range (the wire format is int32)", p.Name, p.ID)
		}
		if seenID[p.ID] {
			t.Errorf("duplicate id %d", p.ID)
		}
		seenID[p.ID] = true
		if seenName[strings.ToLower(p.Name)] {
			t.Errorf("duplicate name %q", p.Name)
		}
		seenName[strings.ToLower(p.Name)] = true
		if i > 0 && p.ID <= cat[i-1].ID {
			t.Errorf("catalog not ordered by id at %d (%d after %d)", i, p.ID, cat[i-1].ID)
		}
		if strings.TrimSpace(p.Name) != p.Name || p.Name == "" {
			t.Errorf("id %d: bad name %q", p.ID, p.Name)
		}
		if len(p.Description) < 20 {
			t.Errorf("%q: description too short", p.Name)
		}
		if want, ok := publishedIDs[p.ID]; !ok {
			t.Errorf("id %d (%q) is not pinned in publishedIDs; add it", p.ID, p.Name)
		} else if want != p.Name {
			t.Errorf("id %d is %q, was published as %q", p.ID, p.Name, want)
		}
		got, ok := PermissionByID(p.ID)
		if !ok || got != p {
			t.Errorf("PermissionByID(%d) = %v, %v", p.ID, got, ok)
		}
	}
	for id, name := range publishedIDs {
		if !seenID[id] {
			t.Errorf("published permission %d %q is missing", id, name)
		}
	}
}

func TestContractPermissions(t *testing.T) {
	want := map[int64]string{
		PermActivateDeactivate: "Activate Or Deactivate Employees",
		PermEditEmployee:       "Edit Employee",
		PermManageLogins:       "View or Update Another User Username or Password",
		PermManageAppAccess:    "Manage API Application Access",
		PermGenerateAppKey:     "Generate API Application Key",
		PermAdminAccess:        "Admin Access",
		PermViewHistory:        "View History",
		PermManageWebhooks:     "Manage Webhooks",
	}
	for id, name := range want {
		p, ok := PermissionByID(id)
		if !ok || p.Name != name {
			t.Errorf("permission %d = %q, %v; want %q", id, p.Name, ok, name)
		}
	}
	admin, _ := PermissionByID(PermAdminAccess)
	if !strings.Contains(admin.Description, "every company setting") {
		t.Errorf("Admin Access description should say it covers all settings: %q", admin.Description)
	}
}

func TestSections(t *testing.T) {
	secs := Sections()
	for _, want := range []string{"Dispatch", "Scheduling", "Pricing", "Payments", "Customer Contact",
		"Reports", "Payroll", "People", "Settings", "Integrations"} {
		if !slices.Contains(secs, want) {
			t.Errorf("section %q missing", want)
		}
	}
	count := map[string]int{}
	last := -1
	for _, p := range Catalog() {
		i := slices.Index(secs, p.Section)
		if i < 0 {
			t.Fatalf("%q has unknown section %q", p.Name, p.Section)
		}
		if i < last {
			t.Errorf("%q: sections not contiguous and in order", p.Name)
		}
		last = i
		count[p.Section]++
		// Each section owns a block of one hundred ids.
		if block := int(p.ID/100) - 1; block != i {
			t.Errorf("%q: id %d outside its section's block", p.Name, p.ID)
		}
	}
	for _, s := range secs {
		if count[s] == 0 {
			t.Errorf("section %q is empty", s)
		}
	}
}

func TestPermissionByIDUnknown(t *testing.T) {
	for _, id := range []int64{0, -1, 100, 150, 199, 5000, math.MaxInt64, math.MinInt64} {
		if _, ok := PermissionByID(id); ok {
			t.Errorf("PermissionByID(%d) found something", id)
		}
		if All().Has(id) {
			t.Errorf("All().Has(%d)", id)
		}
	}
}

func TestTemplates(t *testing.T) {
	ts := Templates()
	keys := map[string]bool{}
	names := map[string]bool{}
	for _, tpl := range ts {
		if keys[tpl.Key] || names[tpl.Name] {
			t.Errorf("duplicate template %q / %q", tpl.Key, tpl.Name)
		}
		keys[tpl.Key], names[tpl.Name] = true, true
		if err := ValidatePermissions(tpl.Permissions); err != nil {
			t.Errorf("%s: %v", tpl.Key, err)
		}
		r := crewid.Role{Name: tpl.Name, EmployeeType: tpl.EmployeeType, Permissions: tpl.Permissions}
		if err := ValidateRole(&r); err != nil {
			t.Errorf("%s: %v", tpl.Key, err)
		}
		if len(tpl.Permissions) == 0 {
			t.Errorf("%s has no permissions", tpl.Key)
		}
		if !slices.IsSorted(tpl.Permissions) || len(slices.Compact(slices.Clone(tpl.Permissions))) != len(tpl.Permissions) {
			t.Errorf("%s: permissions not sorted and unique", tpl.Key)
		}
		set := NewSet(tpl.Permissions...)
		if tpl.Key != KeyAdministrator && set.HasAny(PermAdminAccess, PermGenerateAppKey, PermManageAppAccess,
			PermManageRoles, PermAssignRoles, PermManageLogins, PermEditEmployee, PermActivateDeactivate) {
			t.Errorf("%s holds an administrative permission", tpl.Key)
		}
		if tpl.EmployeeType == crewid.EmployeeTypeTechnician && !set.Has(PermEditOwnTimesheet) {
			t.Errorf("%s: a technician role should let them keep their own hours", tpl.Key)
		}
	}
	for _, k := range []string{KeyAdministrator, KeyDispatcher, KeyOfficeStaff, KeyTechnician,
		KeyTechnicianHVAC, KeyTechnicianPlumbing, KeyTechnicianElectrical, KeyInstaller, KeyTechnicianHelper} {
		if !keys[k] {
			t.Errorf("template %q missing", k)
		}
	}
	admin, ok := TemplateByKey(KeyAdministrator)
	if !ok || !slices.Equal(admin.Permissions, All().IDs()) || NewSet(admin.Permissions...) != All() {
		t.Errorf("Administrator does not hold every permission: %v", admin.Permissions)
	}
	if admin.EmployeeType != crewid.EmployeeTypeAll {
		t.Errorf("Administrator employee type %q", admin.EmployeeType)
	}
	// Templates returns copies.
	ts[1].Permissions[0] = -7
	if again := Templates(); again[1].Permissions[0] == -7 {
		t.Error("Templates shares its slices")
	}
	if _, ok := TemplateByKey("nope"); ok {
		t.Error("TemplateByKey found an unknown key")
	}
}

func TestLegacyRole(t *testing.T) {
	enum := []string{"Unspecified", "Technician", "Dispatch", "Accounting", "FieldManager", "DisplayUser",
		"DisplayUserWithBillingAccess", "SalesManager", "CSR", "GeneralOffice", "TechnicianHelper",
		"TechnicianMaintenance", "TechnicianInstaller", "Admin", "TechnicianService", "TechnicianSales",
		"Owner", "EmptyEmployee", "EmptyTechnician"}
	want := map[string]string{
		"":                       "Unspecified",
		"SomethingElse":          "Unspecified",
		KeyAdministrator:         "Admin",
		KeyDispatcher:            "Dispatch",
		KeyOfficeStaff:           "GeneralOffice",
		KeyCSR:                   "CSR",
		KeyAccounting:            "Accounting",
		KeyFieldManager:          "FieldManager",
		KeyTechnician:            "Technician",
		KeyTechnicianHVAC:        "TechnicianService",
		KeyTechnicianPlumbing:    "TechnicianService",
		KeyTechnicianElectrical:  "TechnicianService",
		KeyTechnicianMaintenance: "TechnicianMaintenance",
		KeyTechnicianSales:       "TechnicianSales",
		KeyInstaller:             "TechnicianInstaller",
		KeyTechnicianHelper:      "TechnicianHelper",
	}
	for key, w := range want {
		if got := LegacyRole(key); got != w {
			t.Errorf("LegacyRole(%q) = %q, want %q", key, got, w)
		}
	}
	for _, tpl := range Templates() {
		if !slices.Contains(enum, LegacyRole(tpl.Key)) {
			t.Errorf("%s maps to %q, not in the EmployeeUserRole enum", tpl.Key, LegacyRole(tpl.Key))
		}
		if _, ok := want[tpl.Key]; !ok {
			t.Errorf("template %s has no expected legacy mapping in this test", tpl.Key)
		}
	}
}

// fakeTx is a store.Tx that knows roles only.
type fakeTx struct {
	store.Tx
	roles  []crewid.Role
	nextID int64
	fail   error
}

func (f *fakeTx) CreateRole(_ context.Context, r *crewid.Role) error {
	if f.fail != nil {
		return f.fail
	}
	f.nextID++
	r.ID = f.nextID
	f.roles = append(f.roles, *r)
	return nil
}

func (f *fakeTx) Roles(_ context.Context, tenantID int64, q store.RoleQuery) (store.Page[crewid.Role], error) {
	var items []crewid.Role
	for _, r := range f.roles {
		if r.TenantID == tenantID {
			items = append(items, r)
		}
	}
	// Serve pages of two to exercise paging.
	start := (q.Page - 1) * 2
	if start > len(items) {
		start = len(items)
	}
	end := min(start+2, len(items))
	return store.Page[crewid.Role]{Items: items[start:end], HasMore: end < len(items), Total: -1}, nil
}

func TestSeedRoles(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tx := &fakeTx{}
	roles, err := SeedRoles(ctx, tx, 7, now)
	if err != nil {
		t.Fatal(err)
	}
	ts := Templates()
	if len(roles) != len(ts) {
		t.Fatalf("seeded %d roles, want %d", len(roles), len(ts))
	}
	for i, r := range roles {
		tpl := ts[i]
		if r.ID == 0 || r.TenantID != 7 || r.Name != tpl.Name || r.BuiltIn != tpl.Key ||
			r.EmployeeType != tpl.EmployeeType || !r.Active || !r.CreatedOn.Equal(now) ||
			!r.ModifiedOn.Equal(now) || !slices.Equal(r.Permissions, tpl.Permissions) {
			t.Errorf("role %d = %+v, template %+v", i, r, tpl)
		}
	}
	// Run again: nothing new. Another tenant gets its own set.
	if again, err := SeedRoles(ctx, tx, 7, now); err != nil || len(again) != 0 {
		t.Errorf("second seeding created %d roles, err %v", len(again), err)
	}
	if other, err := SeedRoles(ctx, tx, 8, now); err != nil || len(other) != len(ts) {
		t.Errorf("other tenant: %d roles, err %v", len(other), err)
	}
	// A tenant missing one template (say, added in a later release) gets it.
	tx2 := &fakeTx{}
	for _, r := range tx.roles {
		if r.TenantID == 7 && r.BuiltIn != KeyInstaller {
			tx2.roles = append(tx2.roles, r)
		}
	}
	added, err := SeedRoles(ctx, tx2, 7, now)
	if err != nil || len(added) != 1 || added[0].BuiltIn != KeyInstaller {
		t.Errorf("top-up seeding = %+v, %v", added, err)
	}
	// Store errors come back.
	boom := errors.New("boom")
	if _, err := SeedRoles(ctx, &fakeTx{fail: boom}, 9, now); !errors.Is(err, boom) {
		t.Errorf("err = %v", err)
	}
}

func role(builtIn string, active bool, perms ...int64) crewid.Role {
	return crewid.Role{Name: "r", EmployeeType: crewid.EmployeeTypeAll, Active: active, BuiltIn: builtIn, Permissions: perms}
}

func TestEffective(t *testing.T) {
	roles := []crewid.Role{
		role("", true, PermViewDispatchBoard, PermAssignTechnicians, 99999),
		role("", true, PermBookJobs, PermViewDispatchBoard),
		role("", false, PermAdminAccess, PermViewPayroll), // inactive: grants nothing
	}
	overrides := []crewid.PermissionOverride{
		{PermissionID: PermTakePayments, Granted: true},
		{PermissionID: PermAssignTechnicians, Granted: false},
		{PermissionID: 424242, Granted: true}, // unknown: ignored
		{PermissionID: PermViewPayroll, Granted: false},
	}
	eff := Effective(roles, overrides)
	want := []int64{PermViewDispatchBoard, PermBookJobs, PermTakePayments}
	if got := eff.IDs(); !slices.Equal(got, want) {
		t.Errorf("Effective = %v, want %v", got, want)
	}
	if eff.Has(PermAdminAccess) || eff.Has(PermAssignTechnicians) || eff.Has(99999) || eff.Has(424242) {
		t.Error("Effective holds something it should not")
	}

	// The later override of the same id wins.
	eff = Effective(nil, []crewid.PermissionOverride{
		{PermissionID: PermBookJobs, Granted: false}, {PermissionID: PermBookJobs, Granted: true}})
	if !eff.Has(PermBookJobs) {
		t.Error("later grant should win")
	}

	// No roles, no overrides: nothing, and IDs is an empty non-nil slice.
	if ids := Effective(nil, nil).IDs(); ids == nil || len(ids) != 0 {
		t.Errorf("empty IDs = %#v", ids)
	}

	// The built-in Administrator role grants the whole catalog even if its
	// stored list is stale, and a deny override still takes one away.
	eff = Effective([]crewid.Role{role(KeyAdministrator, true, PermAdminAccess)},
		[]crewid.PermissionOverride{{PermissionID: PermViewPayroll, Granted: false}})
	if eff.Len() != len(Catalog())-1 || eff.Has(PermViewPayroll) || !eff.Has(PermClosePayPeriods) {
		t.Errorf("administrator effective = %v", eff.IDs())
	}
	if !Effective([]crewid.Role{role(KeyAdministrator, false)}, nil).Empty() {
		t.Error("an inactive Administrator role must grant nothing")
	}
}

func TestSetOperations(t *testing.T) {
	var s Set
	if !s.Empty() || s.Len() != 0 {
		t.Fatal("zero Set not empty")
	}
	s.Add(PermClosePayPeriods)
	s.Add(PermAdminAccess)
	s.Add(-3)
	s.Add(0)
	if s.Len() != 2 || !s.Has(PermClosePayPeriods) || !s.Has(PermAdminAccess) {
		t.Errorf("set = %v", s.IDs())
	}
	s.Remove(PermAdminAccess)
	s.Remove(77777)
	if s.Has(PermAdminAccess) || s.Len() != 1 {
		t.Errorf("after Remove: %v", s.IDs())
	}
	if NewSet(PermBookJobs, PermCancelJobs) != NewSet(PermCancelJobs, PermBookJobs, PermBookJobs) {
		t.Error("sets with the same members differ")
	}
	a, b := NewSet(PermBookJobs, PermCancelJobs), NewSet(PermCancelJobs, PermTakePayments)
	if got := a.Union(b).IDs(); !slices.Equal(got, []int64{PermBookJobs, PermCancelJobs, PermTakePayments}) {
		t.Errorf("Union = %v", got)
	}
	if got := a.Minus(b).IDs(); !slices.Equal(got, []int64{PermBookJobs}) {
		t.Errorf("Minus = %v", got)
	}
	if All().Len() != len(Catalog()) {
		t.Error("All() size")
	}
	if !RoleSet(role("", true, PermBookJobs)).Has(PermBookJobs) || !RoleSet(role("", false, PermBookJobs)).Empty() {
		t.Error("RoleSet")
	}
	if got := RolePermissions(role(KeyAdministrator, false, PermBookJobs)); len(got) != len(Catalog()) {
		t.Errorf("RolePermissions(admin) has %d ids", len(got))
	}
	if got := RolePermissions(role("", false, PermCancelJobs, PermBookJobs, 4)); !slices.Equal(got, []int64{PermBookJobs, PermCancelJobs}) {
		t.Errorf("RolePermissions = %v", got)
	}
}

func TestHasDoesNotAllocate(t *testing.T) {
	s := NewSet(PermEditEmployee, PermClosePayPeriods)
	n := testing.AllocsPerRun(1000, func() {
		_ = s.Has(PermEditEmployee) && s.Has(PermClosePayPeriods) && !s.Has(PermAdminAccess) && !s.Has(-1)
	})
	if n != 0 {
		t.Errorf("Has allocates %v times per run", n)
	}
}

// fieldErr returns err's code and its messages for field.
func fieldErr(t *testing.T, err error, field string) (crewid.ErrorCode, []string) {
	t.Helper()
	var e *crewid.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *crewid.Error", err, err)
	}
	return e.Code, e.Fields[field]
}

func TestCheckExternal(t *testing.T) {
	adminRole := role("", true, PermAdminAccess, PermViewReports)
	keyRole := role("", true, PermGenerateAppKey)
	plain := role("", true, PermViewReports, PermManageAppAccess)

	cases := []struct {
		name      string
		roles     []crewid.Role
		overrides []crewid.PermissionOverride
		refused   []string
	}{
		{"admin by role", []crewid.Role{adminRole}, nil, []string{"Admin Access"}},
		{"app key by role", []crewid.Role{plain, keyRole}, nil, []string{"Generate API Application Key"}},
		{"built-in administrator", []crewid.Role{role(KeyAdministrator, true)}, nil,
			[]string{"Admin Access", "Generate API Application Key"}},
		{"admin by override", []crewid.Role{plain},
			[]crewid.PermissionOverride{{PermissionID: PermAdminAccess, Granted: true}}, []string{"Admin Access"}},
		{"app key by override", nil,
			[]crewid.PermissionOverride{{PermissionID: PermGenerateAppKey, Granted: true}}, []string{"Generate API Application Key"}},
		{"denied by override", []crewid.Role{adminRole},
			[]crewid.PermissionOverride{{PermissionID: PermAdminAccess, Granted: false}}, nil},
		{"inactive role", []crewid.Role{role("", false, PermAdminAccess)}, nil, nil},
		{"ordinary", []crewid.Role{plain}, nil, nil},
	}
	for _, c := range cases {
		eff := Effective(c.roles, c.overrides)
		if err := CheckExternal(false, eff); err != nil {
			t.Errorf("%s: internal person refused: %v", c.name, err)
		}
		err := CheckExternal(true, eff)
		if len(c.refused) == 0 {
			if err != nil {
				t.Errorf("%s: unexpected %v", c.name, err)
			}
			continue
		}
		code, msgs := fieldErr(t, err, FieldPermissions)
		if code != crewid.Invalid || len(msgs) != len(c.refused) {
			t.Errorf("%s: code %s, messages %q", c.name, code, msgs)
			continue
		}
		for i, name := range c.refused {
			if !strings.Contains(msgs[i], name) || !strings.Contains(msgs[i], "outside the organization") {
				t.Errorf("%s: message %q should name %q and say why", c.name, msgs[i], name)
			}
		}
	}
}

func TestValidatePermissionsAndOverrides(t *testing.T) {
	if err := ValidatePermissions([]int64{PermBookJobs, PermBookJobs, PermAdminAccess}); err != nil {
		t.Error(err)
	}
	if err := ValidatePermissions(nil); err != nil {
		t.Error(err)
	}
	code, msgs := fieldErr(t, ValidatePermissions([]int64{PermBookJobs, 12, -1}), FieldPermissions)
	if code != crewid.Invalid || len(msgs) != 2 || !strings.Contains(msgs[0], "12") {
		t.Errorf("code %s msgs %q", code, msgs)
	}
	ok := []crewid.PermissionOverride{{PermissionID: PermBookJobs, Granted: true}, {PermissionID: PermBookJobs, Granted: true}}
	if err := ValidateOverrides(ok); err != nil {
		t.Error(err)
	}
	bad := []crewid.PermissionOverride{
		{PermissionID: 3, Granted: true},
		{PermissionID: PermBookJobs, Granted: true}, {PermissionID: PermBookJobs, Granted: false},
	}
	code, msgs = fieldErr(t, ValidateOverrides(bad), FieldPermissions)
	if code != crewid.Invalid || len(msgs) != 2 {
		t.Errorf("code %s msgs %q", code, msgs)
	}
}

func TestValidateRole(t *testing.T) {
	r := crewid.Role{Name: "  Night Dispatch \t", EmployeeType: crewid.EmployeeTypeEmployee,
		Permissions: []int64{PermBookJobs, PermViewDispatchBoard, PermBookJobs}}
	if err := ValidateRole(&r); err != nil {
		t.Fatal(err)
	}
	if r.Name != "Night Dispatch" || !slices.Equal(r.Permissions, []int64{PermViewDispatchBoard, PermBookJobs}) {
		t.Errorf("not normalised: %+v", r)
	}
	for _, name := range []string{strings.Repeat("a", 100), strings.Repeat("é", 100)} {
		r := crewid.Role{Name: name, EmployeeType: crewid.EmployeeTypeAll}
		if err := ValidateRole(&r); err != nil {
			t.Errorf("100-character name refused: %v", err)
		}
	}

	cases := []struct {
		role  crewid.Role
		field string
	}{
		{crewid.Role{Name: "   ", EmployeeType: crewid.EmployeeTypeAll}, FieldName},
		{crewid.Role{Name: strings.Repeat("a", 101), EmployeeType: crewid.EmployeeTypeAll}, FieldName},
		{crewid.Role{Name: "a\x00b", EmployeeType: crewid.EmployeeTypeAll}, FieldName},
		{crewid.Role{Name: "bad \xff", EmployeeType: crewid.EmployeeTypeAll}, FieldName},
		{crewid.Role{Name: "ok", EmployeeType: ""}, FieldEmployeeType},
		{crewid.Role{Name: "ok", EmployeeType: "technician"}, FieldEmployeeType},
		{crewid.Role{Name: "ok", EmployeeType: crewid.EmployeeTypeTechnician, Permissions: []int64{1}}, FieldPermissions},
	}
	for _, c := range cases {
		err := ValidateRole(&c.role)
		code, msgs := fieldErr(t, err, c.field)
		if code != crewid.Invalid || len(msgs) == 0 {
			t.Errorf("%+v: code %s, %s messages %q (err %v)", c.role, code, c.field, msgs, err)
		}
	}
	// Several problems are reported together.
	err := ValidateRole(&crewid.Role{Name: "", EmployeeType: "x", Permissions: []int64{5}})
	var e *crewid.Error
	if !errors.As(err, &e) || len(e.Fields) != 3 {
		t.Errorf("want three fields, got %v", err)
	}
}

func TestCheckRoleUpdate(t *testing.T) {
	admin := crewid.Role{Name: "Administrator", EmployeeType: crewid.EmployeeTypeAll, Active: true,
		BuiltIn: KeyAdministrator, Permissions: All().IDs()}
	renamed := admin
	renamed.Name = "Owner"
	if err := CheckRoleUpdate(admin, renamed); err != nil {
		t.Errorf("renaming Administrator refused: %v", err)
	}
	stale := admin
	stale.Permissions = All().IDs()[:10] // stored before the catalog grew
	staleRenamed := stale
	staleRenamed.Name = "Owner"
	if err := CheckRoleUpdate(stale, staleRenamed); err != nil {
		t.Errorf("renaming an Administrator role with a stale list refused: %v", err)
	}
	off := admin
	off.Active = false
	if code, msgs := fieldErr(t, CheckRoleUpdate(admin, off), FieldActive); code != crewid.Invalid || len(msgs) != 1 {
		t.Errorf("deactivating Administrator: %s %q", code, msgs)
	}
	fewer := admin
	fewer.Permissions = []int64{PermAdminAccess}
	if _, msgs := fieldErr(t, CheckRoleUpdate(admin, fewer), FieldPermissions); len(msgs) != 1 {
		t.Errorf("trimming Administrator: %q", msgs)
	}
	// Other built-in roles may be tuned and deactivated.
	tech := crewid.Role{Name: "Technician", EmployeeType: crewid.EmployeeTypeTechnician, Active: true,
		BuiltIn: KeyTechnician, Permissions: []int64{PermBookJobs}}
	tuned := tech
	tuned.Active, tuned.Permissions = false, []int64{PermCancelJobs}
	if err := CheckRoleUpdate(tech, tuned); err != nil {
		t.Error(err)
	}
	promoted := crewid.Role{Name: "x", EmployeeType: crewid.EmployeeTypeAll, BuiltIn: KeyTechnician}
	if err := CheckRoleUpdate(crewid.Role{Name: "x", EmployeeType: crewid.EmployeeTypeAll}, promoted); err == nil {
		t.Error("a custom role became built-in")
	}
}

func TestCanDelete(t *testing.T) {
	builtIn := crewid.Role{ID: 1, Name: "Dispatcher", BuiltIn: KeyDispatcher}
	for _, inUse := range []bool{false, true} {
		code, msgs := fieldErr(t, CanDelete(builtIn, inUse), FieldID)
		if code != crewid.Invalid || len(msgs) != 1 || !strings.Contains(msgs[0], "built-in") {
			t.Errorf("built-in delete: %s %q", code, msgs)
		}
	}
	custom := crewid.Role{ID: 2, Name: "Night Crew"}
	if err := CanDelete(custom, false); err != nil {
		t.Errorf("custom role unused: %v", err)
	}
	code, msgs := fieldErr(t, CanDelete(custom, true), FieldID)
	if code != crewid.Conflict || len(msgs) != 1 || !strings.Contains(msgs[0], "Night Crew") {
		t.Errorf("custom role in use: %s %q", code, msgs)
	}
}

func TestValidateAssignment(t *testing.T) {
	techRole := crewid.Role{ID: 3, Name: "Technician", EmployeeType: crewid.EmployeeTypeTechnician}
	officeRole := crewid.Role{ID: 4, Name: "Dispatcher", EmployeeType: crewid.EmployeeTypeEmployee}
	allRole := crewid.Role{ID: 5, Name: "Administrator", EmployeeType: crewid.EmployeeTypeAll}
	if err := ValidateAssignment(crewid.KindTechnician, []crewid.Role{techRole, allRole}); err != nil {
		t.Error(err)
	}
	if err := ValidateAssignment(crewid.KindEmployee, []crewid.Role{officeRole, allRole}); err != nil {
		t.Error(err)
	}
	code, msgs := fieldErr(t, ValidateAssignment(crewid.KindEmployee, []crewid.Role{techRole, officeRole}), FieldRoleIDs)
	if code != crewid.Invalid || len(msgs) != 1 || !strings.Contains(msgs[0], "Technician") {
		t.Errorf("%s %q", code, msgs)
	}
}

func TestCheckGrant(t *testing.T) {
	actor := NewSet(PermEditEmployee, PermAssignRoles, PermBookJobs, PermCancelJobs)
	before := NewSet(PermBookJobs, PermViewPayroll)
	if err := CheckGrant(actor, before, NewSet(PermCancelJobs, PermViewPayroll)); err != nil {
		t.Errorf("changing held permissions: %v", err)
	}
	if err := CheckGrant(actor, before, before); err != nil {
		t.Errorf("no change: %v", err)
	}
	err := CheckGrant(actor, before, NewSet(PermBookJobs, PermAdminAccess))
	code, msgs := fieldErr(t, err, FieldPermissions)
	if code != crewid.Forbidden || len(msgs) != 1 ||
		!strings.Contains(msgs[0], "Admin Access") || !strings.Contains(msgs[0], "View Payroll") {
		t.Errorf("%s %q", code, msgs)
	}
	if err := CheckGrant(NewSet(PermAdminAccess), Set{}, All()); err != nil {
		t.Errorf("admin: %v", err)
	}
}

var sink bool

func BenchmarkHas(b *testing.B) {
	s := Effective(templateRoles()[1:], nil)
	ids := []int64{PermEditEmployee, PermAdminAccess, PermClosePayPeriods, 12345}
	b.ReportAllocs()
	var r bool
	for i := 0; b.Loop(); i++ {
		r = s.Has(ids[i&3])
	}
	sink = r
}

func BenchmarkEffective(b *testing.B) {
	roles := templateRoles()
	overrides := []crewid.PermissionOverride{{PermissionID: PermAdminAccess, Granted: false}, {PermissionID: PermBookJobs, Granted: true}}
	b.ReportAllocs()
	var s Set
	for b.Loop() {
		s = Effective(roles[1:4], overrides)
	}
	sink = s.Has(PermBookJobs)
}

// templateRoles turns the templates into active roles.
func templateRoles() []crewid.Role {
	var out []crewid.Role
	for _, t := range Templates() {
		out = append(out, crewid.Role{Name: t.Name, EmployeeType: t.EmployeeType, Active: true,
			BuiltIn: t.Key, Permissions: t.Permissions})
	}
	return out
}
