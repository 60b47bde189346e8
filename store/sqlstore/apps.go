package sqlstore

import (
	"context"

	"crewid"
	"crewid/store"
)

const appCols = `id, tenant_id, name, app_key, client_id, scopes, active, created_on, modified_on`

func scanApp(r rowScanner) (crewid.App, error) {
	var a crewid.App
	var scopes string
	var created, modified int64
	if err := r.Scan(&a.ID, &a.TenantID, &a.Name, &a.AppKey, &a.ClientID, &scopes, &a.Active, &created, &modified); err != nil {
		return crewid.App{}, err
	}
	if err := fromJSON(scopes, &a.Scopes); err != nil {
		return crewid.App{}, err
	}
	a.Scopes = orEmpty(a.Scopes)
	a.Secrets = []crewid.AppSecret{} // filled by loadAppSecrets
	a.CreatedOn, a.ModifiedOn = fromMicros(created), fromMicros(modified)
	return a, nil
}

func (c conn) App(ctx context.Context, tenantID, id int64) (crewid.App, error) {
	a, err := scanApp(c.queryRow(ctx, `SELECT `+appCols+` FROM apps WHERE tenant_id = ? AND id = ?`, tenantID, id))
	if err != nil {
		return crewid.App{}, notFound(err)
	}
	apps := []crewid.App{a}
	if err := c.loadAppSecrets(ctx, tenantID, apps); err != nil {
		return crewid.App{}, err
	}
	return apps[0], nil
}

func (c conn) Apps(ctx context.Context, tenantID int64, q store.ListQuery) (store.Page[crewid.App], error) {
	var w where
	listFilters(&w, "", tenantID, q)
	page, err := listPage(ctx, c, appCols, "apps", &w, orderBy("", q.Sort), q, scanApp)
	if err != nil {
		return store.Page[crewid.App]{}, err
	}
	return page, c.loadAppSecrets(ctx, tenantID, page.Items)
}

// AppByClientID looks in every tenant: client ids are global, and the
// tenant is what a token request is about to learn.
func (c conn) AppByClientID(ctx context.Context, clientID string) (crewid.App, error) {
	if clientID == "" {
		return crewid.App{}, crewid.ErrNotFound
	}
	a, err := scanApp(c.queryRow(ctx, `SELECT `+appCols+` FROM apps WHERE client_id = ?`, clientID))
	if err != nil {
		return crewid.App{}, notFound(err)
	}
	apps := []crewid.App{a}
	if err := c.loadAppSecrets(ctx, a.TenantID, apps); err != nil {
		return crewid.App{}, err
	}
	return apps[0], nil
}

// loadAppSecrets fills Secrets of apps (all of one tenant), ordered by id.
func (c conn) loadAppSecrets(ctx context.Context, tenantID int64, apps []crewid.App) error {
	index := make(map[int64]int, len(apps))
	ids := make([]int64, len(apps))
	for i, a := range apps {
		index[a.ID] = i
		ids[i] = a.ID
	}
	for _, chunk := range chunks(ids) {
		var w where
		w.add("tenant_id = ?", tenantID)
		w.in("app_id", chunk)
		if err := func() error {
			rows, err := c.query(ctx, `SELECT id, app_id, hash, created_on FROM app_secrets`+w.String()+` ORDER BY id`, w.args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var s crewid.AppSecret
				var created int64
				if err := rows.Scan(&s.ID, &s.AppID, &s.Hash, &created); err != nil {
					return err
				}
				s.CreatedOn = fromMicros(created)
				if i, ok := index[s.AppID]; ok {
					apps[i].Secrets = append(apps[i].Secrets, s)
				}
			}
			return rows.Err()
		}(); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) CreateApp(ctx context.Context, a *crewid.App) error {
	scopes, err := toJSON(orEmpty(a.Scopes))
	if err != nil {
		return err
	}
	err = t.queryRow(ctx, `INSERT INTO apps (tenant_id, name, name_norm, app_key, client_id, scopes, active, created_on, modified_on)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		a.TenantID, a.Name, norm(a.Name), a.AppKey, a.ClientID, scopes, a.Active, toMicros(a.CreatedOn), toMicros(a.ModifiedOn)).Scan(&a.ID)
	if err != nil {
		return t.db.translate(err)
	}
	for i := range a.Secrets {
		s := &a.Secrets[i]
		s.AppID = a.ID
		if err := t.insertAppSecret(ctx, a.TenantID, s); err != nil {
			return err
		}
	}
	return nil
}

// UpdateApp writes name, scopes and the active flag; key and client id
// never change.
func (t *tx) UpdateApp(ctx context.Context, a *crewid.App) error {
	scopes, err := toJSON(orEmpty(a.Scopes))
	if err != nil {
		return err
	}
	return t.execOne(ctx, `UPDATE apps SET name = ?, name_norm = ?, scopes = ?, active = ?, modified_on = ? WHERE tenant_id = ? AND id = ?`,
		a.Name, norm(a.Name), scopes, a.Active, toMicros(a.ModifiedOn), a.TenantID, a.ID)
}

// AddAppSecret takes the tenant from the application: the interface names
// only the app, whose id is unique across tenants.
func (t *tx) AddAppSecret(ctx context.Context, s *crewid.AppSecret) error {
	var tenantID int64
	if err := t.queryRow(ctx, `SELECT tenant_id FROM apps WHERE id = ?`, s.AppID).Scan(&tenantID); err != nil {
		return notFound(err)
	}
	return t.insertAppSecret(ctx, tenantID, s)
}

func (t *tx) insertAppSecret(ctx context.Context, tenantID int64, s *crewid.AppSecret) error {
	err := t.queryRow(ctx, `INSERT INTO app_secrets (tenant_id, app_id, hash, created_on) VALUES (?, ?, ?, ?) RETURNING id`,
		tenantID, s.AppID, nonEmptyBytes(s.Hash), toMicros(s.CreatedOn)).Scan(&s.ID)
	return t.db.translate(err)
}

func (t *tx) DeleteAppSecret(ctx context.Context, appID, secretID int64) error {
	return t.execOne(ctx, `DELETE FROM app_secrets WHERE app_id = ? AND id = ?`, appID, secretID)
}

func (c conn) SigningKeys(ctx context.Context) ([]crewid.SigningKey, error) {
	rows, err := c.query(ctx, `SELECT id, algorithm, private_key, created_on FROM signing_keys ORDER BY created_on, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []crewid.SigningKey{}
	for rows.Next() {
		var k crewid.SigningKey
		var created int64
		if err := rows.Scan(&k.ID, &k.Algorithm, &k.PrivateKeyPEM, &created); err != nil {
			return nil, err
		}
		k.CreatedOn = fromMicros(created)
		out = append(out, k)
	}
	return out, rows.Err()
}

func (t *tx) LockSigningKeys(ctx context.Context) error {
	if t.db.flavor.LockSigningKeys == "" {
		return nil
	}
	_, err := t.exec(ctx, t.db.flavor.LockSigningKeys)
	return err
}

func (t *tx) AddSigningKey(ctx context.Context, k crewid.SigningKey) error {
	_, err := t.exec(ctx, `INSERT INTO signing_keys (id, algorithm, private_key, created_on) VALUES (?, ?, ?, ?)`,
		k.ID, k.Algorithm, nonEmptyBytes(k.PrivateKeyPEM), toMicros(k.CreatedOn))
	return t.db.translate(err)
}
