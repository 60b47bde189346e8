package org

import (
	"context"

	"crewid"
	"crewid/access"
	"crewid/history"
	"crewid/store"
)

// CreateTenant adds a company with the built-in roles every tenant has.
func (s *Service) CreateTenant(ctx context.Context, actor crewid.Actor, name string) (crewid.Tenant, []crewid.Role, error) {
	p := crewid.Problems{}
	name = cleanName(p, name)
	if err := p.Err(); err != nil {
		return crewid.Tenant{}, nil, err
	}
	var tenant crewid.Tenant
	var seeded []crewid.Role
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		now := s.Now().UTC()
		tenant = crewid.Tenant{Name: name, CreatedOn: now, ModifiedOn: now}
		if err := tx.CreateTenant(ctx, &tenant); err != nil {
			return err
		}
		var err error
		if seeded, err = access.SeedRoles(ctx, tx, tenant.ID, now); err != nil {
			return err
		}
		return history.Record(ctx, tx, now, actor, history.Change{
			TenantID: tenant.ID, Type: "Tenant.Created", RecordType: "Tenant", RecordID: tenant.ID, After: tenant,
		})
	})
	return tenant, seeded, err
}
