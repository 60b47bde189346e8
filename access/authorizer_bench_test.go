package access_test

import (
	"context"
	"testing"
	"time"

	"crewid"
	"crewid/access"
	"crewid/store"
	"crewid/store/sqlite"
)

// benchPerson stores a tenant with one role and one employee holding it,
// with one override, and returns the tenant and person ids.
func benchPerson(b testing.TB, st store.Store) (int64, int64) {
	b.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	var tenantID, personID int64
	err := st.Update(ctx, func(tx store.Tx) error {
		t := crewid.Tenant{Name: "Bench", CreatedOn: now, ModifiedOn: now}
		if err := tx.CreateTenant(ctx, &t); err != nil {
			return err
		}
		r := crewid.Role{TenantID: t.ID, Name: "Dispatch", EmployeeType: crewid.EmployeeTypeAll, Active: true,
			Permissions: []int64{access.PermViewEmployees, access.PermEditEmployee}, CreatedOn: now, ModifiedOn: now}
		if err := tx.CreateRole(ctx, &r); err != nil {
			return err
		}
		p := crewid.Person{TenantID: t.ID, Kind: crewid.KindEmployee, Name: "Bench Person", Email: "bench@example.com", Active: true,
			RoleIDs: []int64{r.ID}, Overrides: []crewid.PermissionOverride{{PermissionID: access.PermManageLogins, Granted: true}},
			Positions: []string{}, Skills: []string{}, CustomFields: []crewid.CustomFieldValue{}, ZoneIDs: []int64{},
			Account: crewid.Account{State: crewid.AccountNone}, CreatedOn: now, ModifiedOn: now}
		if err := tx.CreatePerson(ctx, &p); err != nil {
			return err
		}
		tenantID, personID = t.ID, p.ID
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return tenantID, personID
}

// BenchmarkAllowed is the permission check of every request a person makes:
// after the first, answered from memory (no database).
func BenchmarkAllowed(b *testing.B) {
	st := sqlite.OpenTest(b)
	tenantID, personID := benchPerson(b, st)
	a := &access.Authorizer{Store: st, TTL: time.Hour}
	ctx := context.Background()
	if ok, err := a.Allowed(ctx, tenantID, personID, access.PermEditEmployee); err != nil || !ok {
		b.Fatalf("Allowed = %v, %v", ok, err)
	}
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			if ok, _ := a.Allowed(ctx, tenantID, personID, access.PermManageLogins); !ok {
				b.Fatal("refused")
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if ok, _ := a.Allowed(ctx, tenantID, personID, access.PermManageLogins); !ok {
					b.Error("refused")
					return
				}
			}
		})
	})
}
