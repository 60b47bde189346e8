package sqlstore

import (
	"context"

	"crewid"
	"crewid/store"
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

func (c conn) Events(ctx context.Context, tenantID int64, q store.EventQuery) ([]crewid.Event, error) {
	var w where
	w.add("tenant_id = ?", tenantID)
	if q.RecordType != "" {
		w.add("record_type = ?", q.RecordType)
	}
	if q.RecordID != 0 {
		w.add("record_id = ?", q.RecordID)
	}
	if q.ActorID != 0 {
		w.add("actor_id = ?", q.ActorID)
	}
	if q.ActorType != "" {
		w.add("actor_type = ?", string(q.ActorType))
	}
	if q.EventType != "" {
		w.add("event_type = ?", q.EventType)
	}
	if !q.OccurredOnOrAfter.IsZero() {
		w.add("occurred_on >= ?", toMicros(q.OccurredOnOrAfter))
	}
	if !q.OccurredBefore.IsZero() {
		w.add("occurred_on < ?", toMicros(q.OccurredBefore))
	}
	if q.AfterID != 0 {
		w.add("id > ?", q.AfterID)
	}
	limit := q.Limit
	if limit <= 0 || limit > 5000 {
		limit = 1000
	}
	rows, err := c.query(ctx, `SELECT id, tenant_id, occurred_on, event_type, record_type, record_id,
		actor_type, actor_id, actor_name, ip, user_agent, before, after
		FROM events`+w.String()+` ORDER BY id LIMIT ?`, append(w.args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []crewid.Event{}
	for rows.Next() {
		var e crewid.Event
		var occurred int64
		var actorType string
		var before, after *string
		if err := rows.Scan(&e.ID, &e.TenantID, &occurred, &e.Type, &e.RecordType, &e.RecordID,
			&actorType, &e.Actor.ID, &e.Actor.Name, &e.Actor.IP, &e.Actor.UserAgent, &before, &after); err != nil {
			return nil, err
		}
		e.OccurredOn = fromMicros(occurred)
		e.Actor.Type = crewid.ActorType(actorType)
		if before != nil {
			e.Before = []byte(*before)
		}
		if after != nil {
			e.After = []byte(*after)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func (t *tx) AppendEvent(ctx context.Context, e *crewid.Event) error {
	var before, after any
	if e.Before != nil {
		before = string(e.Before)
	}
	if e.After != nil {
		after = string(e.After)
	}
	return t.queryRow(ctx, `INSERT INTO events (tenant_id, occurred_on, event_type, record_type, record_id,
		actor_type, actor_id, actor_name, ip, user_agent, before, after)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		e.TenantID, toMicros(e.OccurredOn), e.Type, e.RecordType, e.RecordID,
		string(e.Actor.Type), e.Actor.ID, e.Actor.Name, e.Actor.IP, e.Actor.UserAgent, before, after).Scan(&e.ID)
}
