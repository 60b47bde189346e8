package sqlstore

import (
	"context"

	"crewid"
)

func (c conn) Tenant(ctx context.Context, id int64) (crewid.Tenant, error) {
	var t crewid.Tenant
	var created, modified int64
	err := c.queryRow(ctx, `SELECT id, name, created_on, modified_on FROM tenants WHERE id = ?`, id).
		Scan(&t.ID, &t.Name, &created, &modified)
	if err != nil {
		return crewid.Tenant{}, notFound(err)
	}
	t.CreatedOn, t.ModifiedOn = fromMicros(created), fromMicros(modified)
	return t, nil
}

func (c conn) Tenants(ctx context.Context) ([]crewid.Tenant, error) {
	rows, err := c.query(ctx, `SELECT id, name, created_on, modified_on FROM tenants ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []crewid.Tenant
	for rows.Next() {
		var t crewid.Tenant
		var created, modified int64
		if err := rows.Scan(&t.ID, &t.Name, &created, &modified); err != nil {
			return nil, err
		}
		t.CreatedOn, t.ModifiedOn = fromMicros(created), fromMicros(modified)
		out = append(out, t)
	}
	return out, rows.Err()
}

func (t *tx) CreateTenant(ctx context.Context, tenant *crewid.Tenant) error {
	return t.queryRow(ctx, `INSERT INTO tenants (name, change_seq, created_on, modified_on) VALUES (?, 0, ?, ?) RETURNING id`,
		tenant.Name, toMicros(tenant.CreatedOn), toMicros(tenant.ModifiedOn)).Scan(&tenant.ID)
}

func (t *tx) LockTenant(ctx context.Context, tenantID int64) error {
	// A write that changes nothing takes the row lock on PostgreSQL (and
	// SQLite's single writer holds everything anyway).
	return t.execOne(ctx, `UPDATE tenants SET change_seq = change_seq WHERE id = ?`, tenantID)
}
