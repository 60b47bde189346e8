package sqlstore

import (
	"context"
	"database/sql"
	"strings"

	"crewid"
	"crewid/store"
)

// personDetails holds the fields of crewid.Person that are never filtered
// on nor unique; they live in the details JSON column.
type personDetails struct {
	Positions            []string       `json:"positions,omitempty"`
	Skills               []string       `json:"skills,omitempty"`
	Overrides            []overrideJSON `json:"overrides,omitempty"`
	TruckID              int64          `json:"truckId,omitempty"`
	Warehouse            string         `json:"warehouse,omitempty"`
	Home                 *addressJSON   `json:"home,omitempty"`
	Bio                  string         `json:"bio,omitempty"`
	Memo                 string         `json:"memo,omitempty"`
	DailyGoal            float64        `json:"dailyGoal,omitempty"`
	BurdenRate           float64        `json:"burdenRate,omitempty"`
	JobFilter            string         `json:"jobFilter,omitempty"`
	JobHistoryDateFilter string         `json:"jobHistoryDateFilter,omitempty"`
}

type overrideJSON struct {
	PermissionID int64 `json:"permissionId"`
	Granted      bool  `json:"granted"`
}

// personCols are the columns scanPerson reads, from people aliased p.
const personCols = `p.id, p.tenant_id, p.kind, p.name, p.email, p.mobile_phone, p.office_phone, p.active,
	p.business_unit_id, p.team_id, p.manager_id, p.main_zone_id, p.external, p.license_type,
	p.mobile_access_enabled, p.aad_user_id, p.details,
	p.account_state, p.login, p.password_hash, p.password_set_on, p.temporary_until, p.must_change,
	p.last_sign_in_on, p.failed_sign_ins, p.locked_until, p.sessions_not_before,
	p.created_on, p.modified_on, p.seq,
	COALESCE((SELECT t.name FROM teams t WHERE t.tenant_id = p.tenant_id AND t.id = p.team_id), '')`

func scanPerson(r rowScanner) (crewid.Person, error) {
	var p crewid.Person
	var kind, details, state, license, mustChange string
	var email, mobile, aad, login sql.NullString
	var businessUnit, team, manager, mainZone sql.NullInt64
	var passwordSet, temporaryUntil, lastSignIn, lockedUntil, notBefore, created, modified int64
	err := r.Scan(&p.ID, &p.TenantID, &kind, &p.Name, &email, &mobile, &p.OfficePhone, &p.Active,
		&businessUnit, &team, &manager, &mainZone, &p.External, &license,
		&p.MobileAccessEnabled, &aad, &details,
		&state, &login, &p.Account.PasswordHash, &passwordSet, &temporaryUntil, &mustChange,
		&lastSignIn, &p.Account.FailedSignIns, &lockedUntil, &notBefore,
		&created, &modified, &p.Seq,
		&p.TeamName)
	if err != nil {
		return crewid.Person{}, err
	}
	p.UserID = p.ID
	p.Kind = crewid.Kind(kind)
	p.Email, p.MobilePhone, p.AADUserID = email.String, mobile.String, aad.String
	p.BusinessUnitID, p.TeamID, p.ManagerID, p.MainZoneID = businessUnit.Int64, team.Int64, manager.Int64, mainZone.Int64
	p.LicenseType = crewid.LicenseType(license)
	p.Account.State = crewid.AccountState(state)
	p.Account.Login = login.String
	p.Account.PasswordSetOn = fromMicros(passwordSet)
	p.Account.TemporaryUntil = fromMicros(temporaryUntil)
	p.Account.MustChange = crewid.RequiredChange(mustChange)
	p.Account.LastSignInOn = fromMicros(lastSignIn)
	p.Account.LockedUntil = fromMicros(lockedUntil)
	p.Account.SessionsNotBefore = fromMicros(notBefore)
	p.CreatedOn, p.ModifiedOn = fromMicros(created), fromMicros(modified)

	var d personDetails
	if err := fromJSON(details, &d); err != nil {
		return crewid.Person{}, err
	}
	p.Positions = orEmpty(d.Positions)
	p.Skills = orEmpty(d.Skills)
	p.Overrides = make([]crewid.PermissionOverride, len(d.Overrides))
	for i, o := range d.Overrides {
		p.Overrides[i] = crewid.PermissionOverride{PermissionID: o.PermissionID, Granted: o.Granted}
	}
	p.TruckID, p.Warehouse, p.Home = d.TruckID, d.Warehouse, d.Home.address()
	p.Bio, p.Memo = d.Bio, d.Memo
	p.DailyGoal, p.BurdenRate = d.DailyGoal, d.BurdenRate
	p.JobFilter, p.JobHistoryDateFilter = d.JobFilter, d.JobHistoryDateFilter
	// Filled by loadPersonChildren; non-nil even for a person without any.
	p.RoleIDs, p.ZoneIDs, p.CustomFields = []int64{}, []int64{}, []crewid.CustomFieldValue{}
	return p, nil
}

// personWriteCols are the columns CreatePerson and UpdatePerson both write,
// in the order of personWriteArgs. Identity (tenant, kind) and creation time
// are written on insert only.
var personWriteCols = []string{
	"name", "name_norm", "email", "mobile_phone", "office_phone", "active",
	"business_unit_id", "team_id", "manager_id", "main_zone_id", "external", "license_type",
	"mobile_access_enabled", "aad_user_id", "details",
	"account_state", "login", "login_norm", "password_hash", "password_set_on", "temporary_until", "must_change",
	"last_sign_in_on", "failed_sign_ins", "locked_until", "sessions_not_before",
	"modified_on", "seq",
}

var (
	insertPersonSQL = `INSERT INTO people (tenant_id, kind, created_on, ` + strings.Join(personWriteCols, ", ") +
		`) VALUES (?, ?, ?` + strings.Repeat(", ?", len(personWriteCols)) + `) RETURNING id`
	updatePersonSQL = `UPDATE people SET ` + strings.Join(personWriteCols, " = ?, ") + ` = ? WHERE tenant_id = ? AND id = ?`
)

// personWriteArgs returns the values of personWriteCols for p. It also
// brings p's email and account state to their stored form, so that p
// matches what a read returns.
func personWriteArgs(p *crewid.Person) ([]any, error) {
	p.Email = norm(p.Email)
	if p.Account.State == "" {
		p.Account.State = crewid.AccountNone
	}
	d := personDetails{
		Positions: p.Positions, Skills: p.Skills,
		TruckID: p.TruckID, Warehouse: p.Warehouse, Home: addressToJSON(p.Home),
		Bio: p.Bio, Memo: p.Memo, DailyGoal: p.DailyGoal, BurdenRate: p.BurdenRate,
		JobFilter: p.JobFilter, JobHistoryDateFilter: p.JobHistoryDateFilter,
	}
	for _, o := range p.Overrides {
		d.Overrides = append(d.Overrides, overrideJSON{PermissionID: o.PermissionID, Granted: o.Granted})
	}
	details, err := toJSON(d)
	if err != nil {
		return nil, err
	}
	a := p.Account
	return []any{
		p.Name, norm(p.Name), nullString(p.Email), nullString(p.MobilePhone), p.OfficePhone, p.Active,
		nullID(p.BusinessUnitID), nullID(p.TeamID), nullID(p.ManagerID), nullID(p.MainZoneID), p.External, string(p.LicenseType),
		p.MobileAccessEnabled, nullString(p.AADUserID), details,
		string(a.State), nullString(a.Login), nullString(norm(a.Login)), a.PasswordHash, toMicros(a.PasswordSetOn), toMicros(a.TemporaryUntil), string(a.MustChange),
		toMicros(a.LastSignInOn), a.FailedSignIns, toMicros(a.LockedUntil), toMicros(a.SessionsNotBefore),
		toMicros(p.ModifiedOn), p.Seq,
	}, nil
}

func (c conn) Person(ctx context.Context, tenantID, id int64) (crewid.Person, error) {
	p, err := scanPerson(c.queryRow(ctx, `SELECT `+personCols+` FROM people p WHERE p.tenant_id = ? AND p.id = ?`, tenantID, id))
	if err != nil {
		return crewid.Person{}, notFound(err)
	}
	people := []crewid.Person{p}
	if err := c.loadPersonChildren(ctx, people); err != nil {
		return crewid.Person{}, err
	}
	return people[0], nil
}

func (c conn) People(ctx context.Context, tenantID int64, q store.PersonQuery) (store.Page[crewid.Person], error) {
	var w where
	listFilters(&w, "p.", tenantID, q.ListQuery)
	if q.Kind != "" {
		w.add("p.kind = ?", string(q.Kind))
	}
	w.in("p.id", q.UserIDs)
	if q.RoleID != 0 {
		w.add("EXISTS (SELECT 1 FROM person_roles pr WHERE pr.tenant_id = p.tenant_id AND pr.person_id = p.id AND pr.role_id = ?)", q.RoleID)
	}
	if q.BusinessUnitID != 0 {
		w.add("p.business_unit_id = ?", q.BusinessUnitID)
	}
	if q.TeamID != 0 {
		w.add("p.team_id = ?", q.TeamID)
	}
	page, err := listPage(ctx, c, personCols, "people p", &w, orderBy("p.", q.Sort), q.ListQuery, scanPerson)
	if err != nil {
		return store.Page[crewid.Person]{}, err
	}
	return page, c.loadPersonChildren(ctx, page.Items)
}

func (c conn) ExportPeople(ctx context.Context, tenantID int64, kind crewid.Kind, q store.ExportQuery) (store.Batch[crewid.Person], error) {
	var w where
	w.add("p.tenant_id = ?", tenantID)
	if kind != "" {
		w.add("p.kind = ?", string(kind))
	}
	batch, err := exportPage(ctx, c, personCols, "people p", "p.", &w, q, scanPerson, func(p crewid.Person) int64 { return p.Seq })
	if err != nil {
		return store.Batch[crewid.Person]{}, err
	}
	return batch, c.loadPersonChildren(ctx, batch.Items)
}

func (c conn) PersonByLogin(ctx context.Context, login string) (crewid.Person, error) {
	key := norm(login)
	if key == "" {
		return crewid.Person{}, crewid.ErrNotFound
	}
	// Logins are unique across tenants, so this is the one query without a
	// tenant: the tenant is what it finds out.
	p, err := scanPerson(c.queryRow(ctx, `SELECT `+personCols+` FROM people p WHERE p.login_norm = ?`, key))
	if err != nil {
		return crewid.Person{}, notFound(err)
	}
	people := []crewid.Person{p}
	if err := c.loadPersonChildren(ctx, people); err != nil {
		return crewid.Person{}, err
	}
	return people[0], nil
}

func (c conn) PeopleByContact(ctx context.Context, value string) ([]crewid.Person, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return []crewid.Person{}, nil
	}
	// Emails are stored lower-cased; mobile numbers as given (E.164).
	// A plain "email = ? OR mobile_phone = ?" makes SQLite scan the whole
	// table once ANALYZE has seen a mostly-NULL mobile column; the union
	// keeps each lookup on its own index in both databases.
	rows, err := c.query(ctx, `SELECT `+personCols+` FROM people p WHERE p.id IN (
		SELECT id FROM people WHERE email = ? UNION ALL SELECT id FROM people WHERE mobile_phone = ?)
		ORDER BY p.tenant_id, p.id`,
		norm(value), value)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []crewid.Person{}
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, c.loadPersonChildren(ctx, out)
}

// loadPersonChildren fills RoleIDs, ZoneIDs and CustomFields of people
// with one query per child table and tenant (not one per person).
func (c conn) loadPersonChildren(ctx context.Context, people []crewid.Person) error {
	byTenant := map[int64][]int64{}
	index := map[int64]int{} // person id → position in people
	for i, p := range people {
		byTenant[p.TenantID] = append(byTenant[p.TenantID], p.ID)
		index[p.ID] = i
	}
	for tenantID, ids := range byTenant {
		for _, chunk := range chunks(ids) {
			if err := c.loadPersonChildChunk(ctx, tenantID, chunk, people, index); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c conn) loadPersonChildChunk(ctx context.Context, tenantID int64, ids []int64, people []crewid.Person, index map[int64]int) error {
	pairs := func(table, col string, set func(p *crewid.Person, id int64)) error {
		var w where
		// On SQLite (without ANALYZE statistics) the unary + keeps the
		// planner from choosing the (tenant_id, role_id|zone_id) index,
		// which reads every row of the tenant; the primary key
		// (person_id, …) finds the rows of these people directly. The
		// condition itself is unchanged. PostgreSQL must keep the plain
		// column: with the + it has no index left it trusts for a long IN
		// list and scans the whole table (100 ms a page of 1,000 people
		// among 1,000,000, against 2 ms through the tenant's index).
		if c.db.flavor.SteerPlanner {
			w.add("+tenant_id = ?", tenantID)
		} else {
			w.add("tenant_id = ?", tenantID)
		}
		w.in("person_id", ids)
		rows, err := c.query(ctx, "SELECT person_id, "+col+" FROM "+table+w.String()+" ORDER BY person_id, "+col, w.args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var personID, id int64
			if err := rows.Scan(&personID, &id); err != nil {
				return err
			}
			if i, ok := index[personID]; ok {
				set(&people[i], id)
			}
		}
		return rows.Err()
	}
	if err := pairs("person_roles", "role_id", func(p *crewid.Person, id int64) { p.RoleIDs = append(p.RoleIDs, id) }); err != nil {
		return err
	}
	if err := pairs("person_zones", "zone_id", func(p *crewid.Person, id int64) { p.ZoneIDs = append(p.ZoneIDs, id) }); err != nil {
		return err
	}

	var w where
	w.add("f.tenant_id = ?", tenantID)
	w.in("f.person_id", ids)
	rows, err := c.query(ctx, `SELECT f.person_id, f.type_id, t.name, f.value
		FROM person_custom_fields f JOIN custom_field_types t ON t.tenant_id = f.tenant_id AND t.id = f.type_id`+
		w.String()+` ORDER BY f.person_id, f.type_id`, w.args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var personID int64
		var f crewid.CustomFieldValue
		if err := rows.Scan(&personID, &f.TypeID, &f.Name, &f.Value); err != nil {
			return err
		}
		if i, ok := index[personID]; ok {
			people[i].CustomFields = append(people[i].CustomFields, f)
		}
	}
	return rows.Err()
}

func (c conn) RoleInUse(ctx context.Context, tenantID, id int64) (bool, error) {
	return c.exists(ctx, `SELECT 1 FROM person_roles WHERE tenant_id = ? AND role_id = ?`, tenantID, id)
}

func (t *tx) CreatePerson(ctx context.Context, p *crewid.Person) error {
	seq, err := t.nextSeq(ctx, p.TenantID)
	if err != nil {
		return err
	}
	p.Seq = seq
	args, err := personWriteArgs(p)
	if err != nil {
		return err
	}
	args = append([]any{p.TenantID, string(p.Kind), toMicros(p.CreatedOn)}, args...)
	if err := t.queryRow(ctx, insertPersonSQL, args...).Scan(&p.ID); err != nil {
		return t.db.translate(err)
	}
	p.UserID = p.ID
	return t.insertPersonChildren(ctx, p)
}

// UpdatePerson writes every field but the identity (tenant, id, kind) and
// the creation time, and replaces the person's roles, zones and custom
// fields.
func (t *tx) UpdatePerson(ctx context.Context, p *crewid.Person) error {
	seq, err := t.nextSeq(ctx, p.TenantID)
	if err != nil {
		return err
	}
	p.Seq = seq
	args, err := personWriteArgs(p)
	if err != nil {
		return err
	}
	if err := t.execOne(ctx, updatePersonSQL, append(args, p.TenantID, p.ID)...); err != nil {
		return err
	}
	p.UserID = p.ID
	for _, table := range []string{"person_roles", "person_zones", "person_custom_fields"} {
		if _, err := t.exec(ctx, "DELETE FROM "+table+" WHERE tenant_id = ? AND person_id = ?", p.TenantID, p.ID); err != nil {
			return t.db.translate(err)
		}
	}
	return t.insertPersonChildren(ctx, p)
}

// insertPersonChildren writes p's roles, zones and custom fields. The
// composite foreign keys make ids of another tenant fail as a Conflict.
func (t *tx) insertPersonChildren(ctx context.Context, p *crewid.Person) error {
	var rows [][]any
	for _, id := range uniqueSorted(p.RoleIDs) {
		rows = append(rows, []any{p.TenantID, p.ID, id})
	}
	if err := t.insertRows(ctx, "person_roles", "tenant_id, person_id, role_id", 3, rows); err != nil {
		return err
	}
	rows = rows[:0]
	for _, id := range uniqueSorted(p.ZoneIDs) {
		rows = append(rows, []any{p.TenantID, p.ID, id})
	}
	if err := t.insertRows(ctx, "person_zones", "tenant_id, person_id, zone_id", 3, rows); err != nil {
		return err
	}
	rows = rows[:0]
	for _, f := range p.CustomFields {
		rows = append(rows, []any{p.TenantID, p.ID, f.TypeID, f.Value})
	}
	return t.insertRows(ctx, "person_custom_fields", "tenant_id, person_id, type_id, value", 4, rows)
}
