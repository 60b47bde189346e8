package sqlstore

import (
	"context"
	"time"

	"crewid"
)

func (c conn) TokenRevocations(ctx context.Context, afterID int64, now time.Time, limit int) ([]crewid.TokenRevocation, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := c.query(ctx, `SELECT id, tenant_id, app_id, token_id, revoked_on, expires_on FROM token_revocations
		WHERE id > ? AND expires_on > ? ORDER BY id LIMIT ?`, afterID, toMicros(now), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []crewid.TokenRevocation{}
	for rows.Next() {
		var r crewid.TokenRevocation
		var revoked, expires int64
		if err := rows.Scan(&r.ID, &r.TenantID, &r.AppID, &r.TokenID, &revoked, &expires); err != nil {
			return nil, err
		}
		r.RevokedOn, r.ExpiresOn = fromMicros(revoked), fromMicros(expires)
		out = append(out, r)
	}
	return out, rows.Err()
}

func (t *tx) RevokeToken(ctx context.Context, r *crewid.TokenRevocation) error {
	if t.db.flavor.LockRevocations != "" {
		if _, err := t.exec(ctx, t.db.flavor.LockRevocations); err != nil {
			return err
		}
	}
	if _, err := t.exec(ctx, `DELETE FROM token_revocations WHERE expires_on < ?`, toMicros(r.RevokedOn)); err != nil {
		return err
	}
	err := t.queryRow(ctx, `INSERT INTO token_revocations (tenant_id, app_id, token_id, revoked_on, expires_on)
		VALUES (?, ?, ?, ?, ?) RETURNING id`,
		r.TenantID, r.AppID, r.TokenID, toMicros(r.RevokedOn), toMicros(r.ExpiresOn)).Scan(&r.ID)
	return t.db.translate(err)
}
