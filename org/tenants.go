package org

import (
	"context"

	"crewid"
	"crewid/access"
	"crewid/history"
	"crewid/people"
	"crewid/store"
)

// CreateTenant adds a company with the built-in roles every tenant has.
func (s *Service) CreateTenant(ctx context.Context, actor crewid.Actor, name string) (crewid.Tenant, []crewid.Role, error) {
	return s.createTenant(ctx, actor, name, nil)
}

// CreateTenantWithAdmin adds a company and its first administrator, who
// holds the built-in Administrator role, in one transaction: a company is
// never left without its administrator.
func (s *Service) CreateTenantWithAdmin(ctx context.Context, actor crewid.Actor, name string, ps *people.Service, admin people.Prepared) (crewid.Tenant, crewid.Person, error) {
	var created crewid.Person
	tenant, _, err := s.createTenant(ctx, actor, name, func(tx store.Tx, tenant crewid.Tenant, roles []crewid.Role) error {
		for _, r := range roles {
			if r.BuiltIn == access.KeyAdministrator {
				var err error
				created, err = ps.Insert(ctx, tx, actor, admin.ForTenant(tenant.ID, []int64{r.ID}))
				return err
			}
		}
		return crewid.Errorf(crewid.Internal, "the built-in roles have no Administrator")
	})
	return tenant, created, err
}

func (s *Service) createTenant(ctx context.Context, actor crewid.Actor, name string, then func(store.Tx, crewid.Tenant, []crewid.Role) error) (crewid.Tenant, []crewid.Role, error) {
	p := crewid.Problems{}
	name = cleanName(p, name)
	if err := p.Err(); err != nil {
		return crewid.Tenant{}, nil, err
	}
	var tenant crewid.Tenant
	var seeded []crewid.Role
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		now := s.now()
		tenant = crewid.Tenant{Name: name, CreatedOn: now, ModifiedOn: now}
		if err := tx.CreateTenant(ctx, &tenant); err != nil {
			return err
		}
		var err error
		if seeded, err = access.SeedRoles(ctx, tx, tenant.ID, now); err != nil {
			return err
		}
		if err := history.Record(ctx, tx, now, actor, history.Change{
			TenantID: tenant.ID, Type: "Tenant.Created", RecordType: "Tenant", RecordID: tenant.ID, After: tenant,
		}); err != nil {
			return err
		}
		if then != nil {
			return then(tx, tenant, seeded)
		}
		return nil
	})
	return tenant, seeded, err
}
