package sqlstore

import (
	"context"
	"time"

	"crewid"
)

// Single sign-on configuration and started sign-ins (see store/sso.go).

const ssoConfigCols = `tenant_id, issuer_url, client_id, client_secret, scopes, user_id_claim, email_claim,
	trust_email, enabled, require_for_employees, created_on, modified_on`

func (c conn) SSOConfig(ctx context.Context, tenantID int64) (crewid.SSOConfig, error) {
	var cfg crewid.SSOConfig
	var scopes string
	var created, modified int64
	err := c.queryRow(ctx, `SELECT `+ssoConfigCols+` FROM sso_configs WHERE tenant_id = ?`, tenantID).Scan(
		&cfg.TenantID, &cfg.IssuerURL, &cfg.ClientID, &cfg.ClientSecret, &scopes, &cfg.UserIDClaim, &cfg.EmailClaim,
		&cfg.TrustEmail, &cfg.Enabled, &cfg.RequireForEmployees, &created, &modified)
	if err != nil {
		return crewid.SSOConfig{}, c.db.translate(notFound(err))
	}
	if err := fromJSON(scopes, &cfg.Scopes); err != nil {
		return crewid.SSOConfig{}, err
	}
	cfg.Scopes = orEmpty(cfg.Scopes)
	cfg.CreatedOn, cfg.ModifiedOn = fromMicros(created), fromMicros(modified)
	return cfg, nil
}

func (t *tx) PutSSOConfig(ctx context.Context, cfg *crewid.SSOConfig) error {
	scopes, err := toJSON(orEmpty(cfg.Scopes))
	if err != nil {
		return err
	}
	var created int64
	err = t.queryRow(ctx, `INSERT INTO sso_configs (`+ssoConfigCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant_id) DO UPDATE SET issuer_url = excluded.issuer_url, client_id = excluded.client_id,
			client_secret = excluded.client_secret, scopes = excluded.scopes, user_id_claim = excluded.user_id_claim,
			email_claim = excluded.email_claim, trust_email = excluded.trust_email, enabled = excluded.enabled,
			require_for_employees = excluded.require_for_employees, modified_on = excluded.modified_on
		RETURNING created_on`,
		cfg.TenantID, cfg.IssuerURL, cfg.ClientID, cfg.ClientSecret, scopes, cfg.UserIDClaim, cfg.EmailClaim,
		cfg.TrustEmail, cfg.Enabled, cfg.RequireForEmployees, toMicros(cfg.CreatedOn), toMicros(cfg.ModifiedOn)).Scan(&created)
	if err != nil {
		return t.db.translate(err)
	}
	cfg.CreatedOn = fromMicros(created)
	return nil
}

const ssoSignInCols = `id, tenant_id, state_hash, nonce_hash, browser_hash, pkce_verifier, redirect,
	created_on, expires_on, used_on`

func (c conn) SSOSignInByStateHash(ctx context.Context, hash []byte) (crewid.SSOSignIn, error) {
	if len(hash) == 0 {
		return crewid.SSOSignIn{}, crewid.ErrNotFound
	}
	var s crewid.SSOSignIn
	var created, expires, used int64
	err := c.queryRow(ctx, `SELECT `+ssoSignInCols+` FROM sso_sign_ins WHERE state_hash = ?`, hash).Scan(
		&s.ID, &s.TenantID, &s.StateHash, &s.NonceHash, &s.BrowserHash, &s.PKCEVerifier, &s.Redirect,
		&created, &expires, &used)
	if err != nil {
		return crewid.SSOSignIn{}, c.db.translate(notFound(err))
	}
	s.CreatedOn, s.ExpiresOn, s.UsedOn = fromMicros(created), fromMicros(expires), fromMicros(used)
	return s, nil
}

func (t *tx) CreateSSOSignIn(ctx context.Context, s *crewid.SSOSignIn) error {
	problems := crewid.Problems{}
	if len(s.StateHash) == 0 {
		problems.Add("stateHash", "A sign-in needs a state hash.")
	}
	if len(s.NonceHash) == 0 || len(s.BrowserHash) == 0 || s.PKCEVerifier == "" {
		problems.Add("nonceHash", "A sign-in needs a nonce hash, a browser hash and a PKCE verifier.")
	}
	if err := problems.Err(); err != nil {
		return err
	}
	err := t.queryRow(ctx, `INSERT INTO sso_sign_ins (tenant_id, state_hash, nonce_hash, browser_hash, pkce_verifier,
		redirect, created_on, expires_on, used_on) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		s.TenantID, s.StateHash, s.NonceHash, s.BrowserHash, s.PKCEVerifier, s.Redirect,
		toMicros(s.CreatedOn), toMicros(s.ExpiresOn), toMicros(s.UsedOn)).Scan(&s.ID)
	return t.db.translate(err)
}

func (t *tx) UseSSOSignIn(ctx context.Context, tenantID, id int64, now time.Time) (bool, error) {
	res, err := t.exec(ctx, `UPDATE sso_sign_ins SET used_on = ?
		WHERE tenant_id = ? AND id = ? AND used_on = 0 AND expires_on > ?`,
		stamp(now), tenantID, id, toMicros(now))
	if err != nil {
		return false, t.db.translate(err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (t *tx) DeleteSSOSignIns(ctx context.Context, before time.Time) (int, error) {
	res, err := t.exec(ctx, `DELETE FROM sso_sign_ins WHERE expires_on < ?`, toMicros(before))
	if err != nil {
		return 0, t.db.translate(err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func (t *tx) RecordExternalSignIn(ctx context.Context, tenantID, personID int64, on time.Time) (bool, error) {
	onUS := toMicros(on)
	established := string(crewid.AccountEstablished)
	// The usual case, an established account, in one statement.
	res, err := t.exec(ctx, `UPDATE people SET last_sign_in_on = ?
		WHERE tenant_id = ? AND id = ? AND active = ? AND account_state = ?`,
		onUS, tenantID, personID, true, established)
	if err != nil {
		return false, t.db.translate(err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return n == 1, err
	}
	res, err = t.exec(ctx, `UPDATE people SET last_sign_in_on = ?, account_state = ?
		WHERE tenant_id = ? AND id = ? AND active = ?`,
		onUS, established, tenantID, personID, true)
	if err != nil {
		return false, t.db.translate(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	if n == 0 {
		exists, err := t.exists(ctx, `SELECT 1 FROM people WHERE tenant_id = ? AND id = ?`, tenantID, personID)
		if err != nil {
			return false, err
		}
		if !exists {
			return false, crewid.ErrNotFound
		}
		return false, nil // inactive
	}
	// The first sign-in: the account state shows in the record.
	return true, t.bumpPerson(ctx, tenantID, personID, on)
}
