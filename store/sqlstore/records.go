package sqlstore

import (
	"context"
	"slices"
	"time"

	"crewid"
	"crewid/store"
)

// Settings records: roles, business units, tag types, teams, zones and
// custom field types. Updates leave identity and creation fields (tenant,
// id, created on/by, a role's built-in key, a custom field's kind) alone.

// ---- Roles

const roleCols = `id, tenant_id, name, employee_type, active, built_in, permissions, created_on, modified_on`

func scanRole(r rowScanner) (crewid.Role, error) {
	var x crewid.Role
	var employeeType, permissions string
	var created, modified int64
	if err := r.Scan(&x.ID, &x.TenantID, &x.Name, &employeeType, &x.Active, &x.BuiltIn, &permissions, &created, &modified); err != nil {
		return crewid.Role{}, err
	}
	x.EmployeeType = crewid.EmployeeType(employeeType)
	if err := fromJSON(permissions, &x.Permissions); err != nil {
		return crewid.Role{}, err
	}
	x.Permissions = orEmpty(x.Permissions)
	x.CreatedOn, x.ModifiedOn = fromMicros(created), fromMicros(modified)
	return x, nil
}

func (c conn) Role(ctx context.Context, tenantID, id int64) (crewid.Role, error) {
	x, err := scanRole(c.queryRow(ctx, `SELECT `+roleCols+` FROM roles WHERE tenant_id = ? AND id = ?`, tenantID, id))
	return x, notFound(err)
}

func (c conn) Roles(ctx context.Context, tenantID int64, q store.RoleQuery) (store.Page[crewid.Role], error) {
	var w where
	listFilters(&w, "", tenantID, q.ListQuery)
	if q.EmployeeType != "" {
		w.add("employee_type IN (?, ?)", string(q.EmployeeType), string(crewid.EmployeeTypeAll))
	}
	return listPage(ctx, c, roleCols, "roles", &w, orderBy("", q.Sort), q.ListQuery, scanRole)
}

func (t *tx) CreateRole(ctx context.Context, r *crewid.Role) error {
	permissions, err := toJSON(orEmpty(r.Permissions))
	if err != nil {
		return err
	}
	err = t.queryRow(ctx, `INSERT INTO roles (tenant_id, name, name_norm, employee_type, active, built_in, permissions, created_on, modified_on)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		r.TenantID, r.Name, norm(r.Name), string(r.EmployeeType), r.Active, r.BuiltIn, permissions,
		toMicros(r.CreatedOn), toMicros(r.ModifiedOn)).Scan(&r.ID)
	return t.db.translate(err)
}

func (t *tx) UpdateRole(ctx context.Context, r *crewid.Role) error {
	permissions, err := toJSON(orEmpty(r.Permissions))
	if err != nil {
		return err
	}
	return t.execOne(ctx, `UPDATE roles SET name = ?, name_norm = ?, employee_type = ?, active = ?, permissions = ?, modified_on = ?
		WHERE tenant_id = ? AND id = ?`,
		r.Name, norm(r.Name), string(r.EmployeeType), r.Active, permissions, toMicros(r.ModifiedOn), r.TenantID, r.ID)
}

func (t *tx) DeleteRole(ctx context.Context, tenantID, id int64) error {
	inUse, err := t.RoleInUse(ctx, tenantID, id)
	if err != nil {
		return err
	}
	if inUse {
		return crewid.Errorf(crewid.Conflict, "The role is held by people; take it from them first.")
	}
	// The foreign key from person_roles still guards against a concurrent
	// assignment.
	return t.execOne(ctx, `DELETE FROM roles WHERE tenant_id = ? AND id = ?`, tenantID, id)
}

// ---- Business units

type businessUnitDetails struct {
	OfficialName             string             `json:"officialName,omitempty"`
	Email                    string             `json:"email,omitempty"`
	Currency                 string             `json:"currency,omitempty"`
	PhoneNumber              string             `json:"phoneNumber,omitempty"`
	InvoiceHeader            string             `json:"invoiceHeader,omitempty"`
	InvoiceMessage           string             `json:"invoiceMessage,omitempty"`
	DefaultTaxRate           *float64           `json:"defaultTaxRate,omitempty"`
	AuthorizationParagraph   string             `json:"authorizationParagraph,omitempty"`
	AcknowledgementParagraph string             `json:"acknowledgementParagraph,omitempty"`
	Address                  *addressJSON       `json:"address,omitempty"`
	MaterialSku              string             `json:"materialSku,omitempty"`
	QuickbooksClass          string             `json:"quickbooksClass,omitempty"`
	AccountCode              string             `json:"accountCode,omitempty"`
	FranchiseID              string             `json:"franchiseId,omitempty"`
	ConceptCode              string             `json:"conceptCode,omitempty"`
	CorporateContractNumber  string             `json:"corporateContractNumber,omitempty"`
	ExternalData             []externalDataJSON `json:"externalData,omitempty"`
}

type externalDataJSON struct {
	ApplicationGUID string `json:"applicationGuid"`
	Key             string `json:"key"`
	Value           string `json:"value"`
}

const businessUnitCols = `id, tenant_id, name, active, details, created_on, modified_on, seq`

func scanBusinessUnit(r rowScanner) (crewid.BusinessUnit, error) {
	var b crewid.BusinessUnit
	var details string
	var created, modified int64
	if err := r.Scan(&b.ID, &b.TenantID, &b.Name, &b.Active, &details, &created, &modified, &b.Seq); err != nil {
		return crewid.BusinessUnit{}, err
	}
	var d businessUnitDetails
	if err := fromJSON(details, &d); err != nil {
		return crewid.BusinessUnit{}, err
	}
	b.OfficialName, b.Email, b.Currency, b.PhoneNumber = d.OfficialName, d.Email, d.Currency, d.PhoneNumber
	b.InvoiceHeader, b.InvoiceMessage, b.DefaultTaxRate = d.InvoiceHeader, d.InvoiceMessage, d.DefaultTaxRate
	b.AuthorizationParagraph, b.AcknowledgementParagraph = d.AuthorizationParagraph, d.AcknowledgementParagraph
	b.Address = d.Address.address()
	b.MaterialSku, b.QuickbooksClass, b.AccountCode = d.MaterialSku, d.QuickbooksClass, d.AccountCode
	b.FranchiseID, b.ConceptCode, b.CorporateContractNumber = d.FranchiseID, d.ConceptCode, d.CorporateContractNumber
	b.ExternalData = make([]crewid.ExternalData, len(d.ExternalData))
	for i, e := range d.ExternalData {
		b.ExternalData[i] = crewid.ExternalData{ApplicationGUID: e.ApplicationGUID, Key: e.Key, Value: e.Value}
	}
	b.CreatedOn, b.ModifiedOn = fromMicros(created), fromMicros(modified)
	return b, nil
}

func businessUnitDetailsJSON(b *crewid.BusinessUnit) (string, error) {
	d := businessUnitDetails{
		OfficialName: b.OfficialName, Email: b.Email, Currency: b.Currency, PhoneNumber: b.PhoneNumber,
		InvoiceHeader: b.InvoiceHeader, InvoiceMessage: b.InvoiceMessage, DefaultTaxRate: b.DefaultTaxRate,
		AuthorizationParagraph: b.AuthorizationParagraph, AcknowledgementParagraph: b.AcknowledgementParagraph,
		Address:     addressToJSON(b.Address),
		MaterialSku: b.MaterialSku, QuickbooksClass: b.QuickbooksClass, AccountCode: b.AccountCode,
		FranchiseID: b.FranchiseID, ConceptCode: b.ConceptCode, CorporateContractNumber: b.CorporateContractNumber,
	}
	for _, e := range b.ExternalData {
		d.ExternalData = append(d.ExternalData, externalDataJSON{ApplicationGUID: e.ApplicationGUID, Key: e.Key, Value: e.Value})
	}
	return toJSON(d)
}

func (c conn) BusinessUnit(ctx context.Context, tenantID, id int64) (crewid.BusinessUnit, error) {
	b, err := scanBusinessUnit(c.queryRow(ctx, `SELECT `+businessUnitCols+` FROM business_units WHERE tenant_id = ? AND id = ?`, tenantID, id))
	return b, notFound(err)
}

func (c conn) BusinessUnits(ctx context.Context, tenantID int64, q store.ListQuery) (store.Page[crewid.BusinessUnit], error) {
	var w where
	listFilters(&w, "", tenantID, q)
	return listPage(ctx, c, businessUnitCols, "business_units", &w, orderBy("", q.Sort), q, scanBusinessUnit)
}

func (c conn) ExportBusinessUnits(ctx context.Context, tenantID int64, q store.ExportQuery) (store.Batch[crewid.BusinessUnit], error) {
	var w where
	w.add("tenant_id = ?", tenantID)
	return exportPage(ctx, c, businessUnitCols, "business_units", "", &w, q, scanBusinessUnit,
		func(b crewid.BusinessUnit) int64 { return b.Seq })
}

func (t *tx) CreateBusinessUnit(ctx context.Context, b *crewid.BusinessUnit) error {
	details, err := businessUnitDetailsJSON(b)
	if err != nil {
		return err
	}
	seq, err := t.nextSeq(ctx, b.TenantID)
	if err != nil {
		return err
	}
	b.Seq = seq
	err = t.queryRow(ctx, `INSERT INTO business_units (tenant_id, name, name_norm, active, details, created_on, modified_on, seq)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		b.TenantID, b.Name, norm(b.Name), b.Active, details, toMicros(b.CreatedOn), toMicros(b.ModifiedOn), b.Seq).Scan(&b.ID)
	return t.db.translate(err)
}

func (t *tx) UpdateBusinessUnit(ctx context.Context, b *crewid.BusinessUnit) error {
	details, err := businessUnitDetailsJSON(b)
	if err != nil {
		return err
	}
	seq, err := t.nextSeq(ctx, b.TenantID)
	if err != nil {
		return err
	}
	b.Seq = seq
	return t.execOne(ctx, `UPDATE business_units SET name = ?, name_norm = ?, active = ?, details = ?, modified_on = ?, seq = ?
		WHERE tenant_id = ? AND id = ?`,
		b.Name, norm(b.Name), b.Active, details, toMicros(b.ModifiedOn), b.Seq, b.TenantID, b.ID)
}

func (t *tx) DeleteBusinessUnit(ctx context.Context, tenantID, id int64) error {
	used, err := t.exists(ctx, `SELECT 1 FROM people WHERE tenant_id = ? AND business_unit_id = ?`, tenantID, id)
	if err != nil {
		return err
	}
	if used {
		return crewid.Errorf(crewid.Conflict, "The business unit still has people.")
	}
	return t.execOne(ctx, `DELETE FROM business_units WHERE tenant_id = ? AND id = ?`, tenantID, id)
}

// ---- Tag types

const tagTypeCols = `id, tenant_id, name, color, code, importance, is_conversion_opportunity,
	allow_on_timesheet_activity, active, created_on, modified_on, seq`

func scanTagType(r rowScanner) (crewid.TagType, error) {
	var x crewid.TagType
	var created, modified int64
	if err := r.Scan(&x.ID, &x.TenantID, &x.Name, &x.Color, &x.Code, &x.Importance, &x.IsConversionOpportunity,
		&x.AllowToUseOnTimesheetActivity, &x.Active, &created, &modified, &x.Seq); err != nil {
		return crewid.TagType{}, err
	}
	x.CreatedOn, x.ModifiedOn = fromMicros(created), fromMicros(modified)
	return x, nil
}

func (c conn) TagType(ctx context.Context, tenantID, id int64) (crewid.TagType, error) {
	x, err := scanTagType(c.queryRow(ctx, `SELECT `+tagTypeCols+` FROM tag_types WHERE tenant_id = ? AND id = ?`, tenantID, id))
	return x, notFound(err)
}

func (c conn) TagTypes(ctx context.Context, tenantID int64, q store.ListQuery) (store.Page[crewid.TagType], error) {
	var w where
	listFilters(&w, "", tenantID, q)
	return listPage(ctx, c, tagTypeCols, "tag_types", &w, orderBy("", q.Sort), q, scanTagType)
}

func (c conn) ExportTagTypes(ctx context.Context, tenantID int64, q store.ExportQuery) (store.Batch[crewid.TagType], error) {
	var w where
	w.add("tenant_id = ?", tenantID)
	return exportPage(ctx, c, tagTypeCols, "tag_types", "", &w, q, scanTagType, func(x crewid.TagType) int64 { return x.Seq })
}

func (t *tx) CreateTagType(ctx context.Context, x *crewid.TagType) error {
	seq, err := t.nextSeq(ctx, x.TenantID)
	if err != nil {
		return err
	}
	x.Seq = seq
	err = t.queryRow(ctx, `INSERT INTO tag_types (tenant_id, name, name_norm, color, code, importance, is_conversion_opportunity,
		allow_on_timesheet_activity, active, created_on, modified_on, seq)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		x.TenantID, x.Name, norm(x.Name), x.Color, x.Code, x.Importance, x.IsConversionOpportunity,
		x.AllowToUseOnTimesheetActivity, x.Active, toMicros(x.CreatedOn), toMicros(x.ModifiedOn), x.Seq).Scan(&x.ID)
	return t.db.translate(err)
}

func (t *tx) UpdateTagType(ctx context.Context, x *crewid.TagType) error {
	seq, err := t.nextSeq(ctx, x.TenantID)
	if err != nil {
		return err
	}
	x.Seq = seq
	return t.execOne(ctx, `UPDATE tag_types SET name = ?, name_norm = ?, color = ?, code = ?, importance = ?,
		is_conversion_opportunity = ?, allow_on_timesheet_activity = ?, active = ?, modified_on = ?, seq = ?
		WHERE tenant_id = ? AND id = ?`,
		x.Name, norm(x.Name), x.Color, x.Code, x.Importance, x.IsConversionOpportunity,
		x.AllowToUseOnTimesheetActivity, x.Active, toMicros(x.ModifiedOn), x.Seq, x.TenantID, x.ID)
}

// ---- Teams

const teamCols = `id, tenant_id, name, active, created_by, created_on, modified_on`

func scanTeam(r rowScanner) (crewid.Team, error) {
	var x crewid.Team
	var created, modified int64
	if err := r.Scan(&x.ID, &x.TenantID, &x.Name, &x.Active, &x.CreatedBy, &created, &modified); err != nil {
		return crewid.Team{}, err
	}
	x.CreatedOn, x.ModifiedOn = fromMicros(created), fromMicros(modified)
	return x, nil
}

func (c conn) Team(ctx context.Context, tenantID, id int64) (crewid.Team, error) {
	x, err := scanTeam(c.queryRow(ctx, `SELECT `+teamCols+` FROM teams WHERE tenant_id = ? AND id = ?`, tenantID, id))
	return x, notFound(err)
}

// TeamByName finds a team by name, case-insensitively (names are unique
// per tenant in that form).
func (c conn) TeamByName(ctx context.Context, tenantID int64, name string) (crewid.Team, error) {
	x, err := scanTeam(c.queryRow(ctx, `SELECT `+teamCols+` FROM teams WHERE tenant_id = ? AND name_norm = ?`, tenantID, norm(name)))
	return x, notFound(err)
}

func (c conn) Teams(ctx context.Context, tenantID int64, q store.ListQuery) (store.Page[crewid.Team], error) {
	var w where
	listFilters(&w, "", tenantID, q)
	return listPage(ctx, c, teamCols, "teams", &w, orderBy("", q.Sort), q, scanTeam)
}

func (t *tx) CreateTeam(ctx context.Context, x *crewid.Team) error {
	err := t.queryRow(ctx, `INSERT INTO teams (tenant_id, name, name_norm, active, created_by, created_on, modified_on)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		x.TenantID, x.Name, norm(x.Name), x.Active, x.CreatedBy, toMicros(x.CreatedOn), toMicros(x.ModifiedOn)).Scan(&x.ID)
	return t.db.translate(err)
}

func (t *tx) UpdateTeam(ctx context.Context, x *crewid.Team) error {
	return t.execOne(ctx, `UPDATE teams SET name = ?, name_norm = ?, active = ?, modified_on = ? WHERE tenant_id = ? AND id = ?`,
		x.Name, norm(x.Name), x.Active, toMicros(x.ModifiedOn), x.TenantID, x.ID)
}

func (t *tx) DeleteTeam(ctx context.Context, tenantID, id int64) error {
	used, err := t.exists(ctx, `SELECT 1 FROM people WHERE tenant_id = ? AND team_id = ?`, tenantID, id)
	if err != nil {
		return err
	}
	if used {
		return crewid.Errorf(crewid.Conflict, "The team still has technicians.")
	}
	return t.execOne(ctx, `DELETE FROM teams WHERE tenant_id = ? AND id = ?`, tenantID, id)
}

// ---- Zones

type zoneDetails struct {
	Zips               []string `json:"zips,omitempty"`
	Cities             []string `json:"cities,omitempty"`
	TerritoryNumbers   []string `json:"territoryNumbers,omitempty"`
	LocnNumbers        []string `json:"locnNumbers,omitempty"`
	ServiceDaysEnabled bool     `json:"serviceDaysEnabled,omitempty"`
	ServiceDays        []string `json:"serviceDays,omitempty"`
	BusinessUnits      []int64  `json:"businessUnits,omitempty"`
}

const zoneCols = `id, tenant_id, name, active, details, created_by, created_on, modified_on`

func scanZone(r rowScanner) (crewid.Zone, error) {
	var z crewid.Zone
	var details string
	var created, modified int64
	if err := r.Scan(&z.ID, &z.TenantID, &z.Name, &z.Active, &details, &z.CreatedBy, &created, &modified); err != nil {
		return crewid.Zone{}, err
	}
	var d zoneDetails
	if err := fromJSON(details, &d); err != nil {
		return crewid.Zone{}, err
	}
	z.Zips, z.Cities = orEmpty(d.Zips), orEmpty(d.Cities)
	z.TerritoryNumbers, z.LocnNumbers = orEmpty(d.TerritoryNumbers), orEmpty(d.LocnNumbers)
	z.ServiceDaysEnabled, z.ServiceDays = d.ServiceDaysEnabled, orEmpty(d.ServiceDays)
	z.BusinessUnits = orEmpty(d.BusinessUnits)
	z.Technicians = []int64{} // filled by loadZoneTechnicians
	z.CreatedOn, z.ModifiedOn = fromMicros(created), fromMicros(modified)
	return z, nil
}

func zoneDetailsJSON(z *crewid.Zone) (string, error) {
	return toJSON(zoneDetails{
		Zips: z.Zips, Cities: z.Cities, TerritoryNumbers: z.TerritoryNumbers, LocnNumbers: z.LocnNumbers,
		ServiceDaysEnabled: z.ServiceDaysEnabled, ServiceDays: z.ServiceDays, BusinessUnits: z.BusinessUnits,
	})
}

func (c conn) Zone(ctx context.Context, tenantID, id int64) (crewid.Zone, error) {
	z, err := scanZone(c.queryRow(ctx, `SELECT `+zoneCols+` FROM zones WHERE tenant_id = ? AND id = ?`, tenantID, id))
	if err != nil {
		return crewid.Zone{}, notFound(err)
	}
	zones := []crewid.Zone{z}
	if err := c.loadZoneTechnicians(ctx, tenantID, zones); err != nil {
		return crewid.Zone{}, err
	}
	return zones[0], nil
}

func (c conn) Zones(ctx context.Context, tenantID int64, q store.ListQuery) (store.Page[crewid.Zone], error) {
	var w where
	listFilters(&w, "", tenantID, q)
	page, err := listPage(ctx, c, zoneCols, "zones", &w, orderBy("", q.Sort), q, scanZone)
	if err != nil {
		return store.Page[crewid.Zone]{}, err
	}
	return page, c.loadZoneTechnicians(ctx, tenantID, page.Items)
}

// loadZoneTechnicians fills Technicians of zones (all of one tenant) from
// the technicians' zone memberships, one query per chunk of zones.
func (c conn) loadZoneTechnicians(ctx context.Context, tenantID int64, zones []crewid.Zone) error {
	index := make(map[int64]int, len(zones))
	ids := make([]int64, len(zones))
	for i, z := range zones {
		index[z.ID] = i
		ids[i] = z.ID
	}
	for _, chunk := range chunks(ids) {
		var w where
		w.add("tenant_id = ?", tenantID)
		w.in("zone_id", chunk)
		if err := func() error {
			rows, err := c.query(ctx, `SELECT zone_id, person_id FROM person_zones`+w.String()+` ORDER BY zone_id, person_id`, w.args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var zoneID, personID int64
				if err := rows.Scan(&zoneID, &personID); err != nil {
					return err
				}
				if i, ok := index[zoneID]; ok {
					zones[i].Technicians = append(zones[i].Technicians, personID)
				}
			}
			return rows.Err()
		}(); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) CreateZone(ctx context.Context, z *crewid.Zone) error {
	details, err := zoneDetailsJSON(z)
	if err != nil {
		return err
	}
	err = t.queryRow(ctx, `INSERT INTO zones (tenant_id, name, name_norm, active, details, created_by, created_on, modified_on)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		z.TenantID, z.Name, norm(z.Name), z.Active, details, z.CreatedBy, toMicros(z.CreatedOn), toMicros(z.ModifiedOn)).Scan(&z.ID)
	if err != nil {
		return t.db.translate(err)
	}
	if err := t.insertZoneTechnicians(ctx, z); err != nil {
		return err
	}
	return t.touchTechnicians(ctx, z.TenantID, z.ID, uniqueSorted(z.Technicians), z.ModifiedOn)
}

func (t *tx) UpdateZone(ctx context.Context, z *crewid.Zone) error {
	details, err := zoneDetailsJSON(z)
	if err != nil {
		return err
	}
	err = t.execOne(ctx, `UPDATE zones SET name = ?, name_norm = ?, active = ?, details = ?, modified_on = ? WHERE tenant_id = ? AND id = ?`,
		z.Name, norm(z.Name), z.Active, details, toMicros(z.ModifiedOn), z.TenantID, z.ID)
	if err != nil {
		return err
	}
	before, err := t.zoneMembers(ctx, z.TenantID, z.ID)
	if err != nil {
		return err
	}
	if _, err := t.exec(ctx, `DELETE FROM person_zones WHERE tenant_id = ? AND zone_id = ?`, z.TenantID, z.ID); err != nil {
		return t.db.translate(err)
	}
	if err := t.insertZoneTechnicians(ctx, z); err != nil {
		return err
	}
	after := uniqueSorted(z.Technicians)
	var changed []int64
	for _, id := range before {
		if !slices.Contains(after, id) {
			changed = append(changed, id)
		}
	}
	for _, id := range after {
		if !slices.Contains(before, id) {
			changed = append(changed, id)
		}
	}
	return t.touchTechnicians(ctx, z.TenantID, z.ID, changed, z.ModifiedOn)
}

// zoneMembers lists the technicians in a zone.
func (c conn) zoneMembers(ctx context.Context, tenantID, zoneID int64) ([]int64, error) {
	rows, err := c.query(ctx, `SELECT person_id FROM person_zones WHERE tenant_id = ? AND zone_id = ? ORDER BY person_id`, tenantID, zoneID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// touchTechnicians marks technicians whose zone list a zone change altered
// as changed (new change number and modification time), so exports carry
// their new zone lists; one who left the zone it was their main zone loses
// that main zone.
func (t *tx) touchTechnicians(ctx context.Context, tenantID, zoneID int64, ids []int64, now time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	// Each record gets its own number: an export page may end between
	// two of them, and the next page resumes after the last number seen.
	for _, id := range ids {
		seq, err := t.nextSeq(ctx, tenantID)
		if err != nil {
			return err
		}
		if _, err := t.exec(ctx, `UPDATE people SET seq = ?, modified_on = ? WHERE tenant_id = ? AND id = ?`,
			seq, toMicros(now), tenantID, id); err != nil {
			return t.db.translate(err)
		}
	}
	_, err := t.exec(ctx, `UPDATE people SET main_zone_id = NULL WHERE tenant_id = ? AND main_zone_id = ?
		AND NOT EXISTS (SELECT 1 FROM person_zones pz WHERE pz.person_id = people.id AND pz.zone_id = ?)`, tenantID, zoneID, zoneID)
	return t.db.translate(err)
}

// insertZoneTechnicians puts z.Technicians in the zone. The composite
// foreign key refuses people of another tenant (as a Conflict).
func (t *tx) insertZoneTechnicians(ctx context.Context, z *crewid.Zone) error {
	var rows [][]any
	for _, id := range uniqueSorted(z.Technicians) {
		rows = append(rows, []any{z.TenantID, id, z.ID})
	}
	return t.insertRows(ctx, "person_zones", "tenant_id, person_id, zone_id", 3, rows)
}

func (t *tx) DeleteZone(ctx context.Context, tenantID, id int64) error {
	// Checked here rather than cascaded: removing a zone must not silently
	// change technicians' profiles.
	used, err := t.exists(ctx, `SELECT 1 FROM person_zones WHERE tenant_id = ? AND zone_id = ?
		UNION ALL SELECT 1 FROM people WHERE tenant_id = ? AND main_zone_id = ?`, tenantID, id, tenantID, id)
	if err != nil {
		return err
	}
	if used {
		return crewid.Errorf(crewid.Conflict, "Technicians are still in the zone.")
	}
	return t.execOne(ctx, `DELETE FROM zones WHERE tenant_id = ? AND id = ?`, tenantID, id)
}

// ---- Custom field types

const customFieldTypeCols = `id, tenant_id, applies_to, name, data_type, active, created_on, modified_on`

func scanCustomFieldType(r rowScanner) (crewid.CustomFieldType, error) {
	var x crewid.CustomFieldType
	var appliesTo string
	var created, modified int64
	if err := r.Scan(&x.ID, &x.TenantID, &appliesTo, &x.Name, &x.DataType, &x.Active, &created, &modified); err != nil {
		return crewid.CustomFieldType{}, err
	}
	x.AppliesTo = crewid.Kind(appliesTo)
	x.CreatedOn, x.ModifiedOn = fromMicros(created), fromMicros(modified)
	return x, nil
}

func (c conn) CustomFieldType(ctx context.Context, tenantID, id int64) (crewid.CustomFieldType, error) {
	x, err := scanCustomFieldType(c.queryRow(ctx, `SELECT `+customFieldTypeCols+` FROM custom_field_types WHERE tenant_id = ? AND id = ?`, tenantID, id))
	return x, notFound(err)
}

func (c conn) CustomFieldTypes(ctx context.Context, tenantID int64, q store.ListQuery) (store.Page[crewid.CustomFieldType], error) {
	var w where
	listFilters(&w, "", tenantID, q)
	return listPage(ctx, c, customFieldTypeCols, "custom_field_types", &w, orderBy("", q.Sort), q, scanCustomFieldType)
}

func (t *tx) CreateCustomFieldType(ctx context.Context, x *crewid.CustomFieldType) error {
	err := t.queryRow(ctx, `INSERT INTO custom_field_types (tenant_id, applies_to, name, name_norm, data_type, active, created_on, modified_on)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		x.TenantID, string(x.AppliesTo), x.Name, norm(x.Name), x.DataType, x.Active, toMicros(x.CreatedOn), toMicros(x.ModifiedOn)).Scan(&x.ID)
	return t.db.translate(err)
}

// UpdateCustomFieldType keeps the kind the field applies to: people's
// values were given for that kind.
func (t *tx) UpdateCustomFieldType(ctx context.Context, x *crewid.CustomFieldType) error {
	return t.execOne(ctx, `UPDATE custom_field_types SET name = ?, name_norm = ?, data_type = ?, active = ?, modified_on = ?
		WHERE tenant_id = ? AND id = ?`,
		x.Name, norm(x.Name), x.DataType, x.Active, toMicros(x.ModifiedOn), x.TenantID, x.ID)
}
