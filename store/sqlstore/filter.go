package sqlstore

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"crewid"
	"crewid/store"
)

// This file turns a store.Filter into a WHERE clause over people p, and
// keeps the directory data SCIM stores beside people and roles.
//
// Every condition it writes is true or false, never NULL: a comparison on
// a column that may be absent is guarded by the column's presence test, so
// NOT can be applied to any part of a filter (SQL's three-valued logic
// would otherwise make "NOT (email = ?)" drop the people without email).

// valueType is the Go type of an attribute's values.
type valueType int

const (
	typeString valueType = iota
	typeInt
	typeBool
	typeTime
)

func (t valueType) String() string {
	switch t {
	case typeInt:
		return "a whole number"
	case typeBool:
		return "true or false"
	case typeTime:
		return "a date and time"
	}
	return "a string"
}

// filterAttr is how one store.PersonAttr reads in SQL.
type filterAttr struct {
	typ  valueType
	expr string
	// present is the condition that the person has a value; "" when
	// every person has one.
	present string
	// nullAbsent: expr is NULL exactly when the value is absent, so
	// outside a NOT a comparison needs no presence guard.
	nullAbsent bool
	// fold: the column holds the lower-cased value, and so must the
	// operand (case-insensitive comparison).
	fold bool
	// multi: the roles a person holds, tested with EXISTS.
	multi bool
	// trigram names the column of the trigram indexes (people_trigram on
	// SQLite, people_*_trgm on PostgreSQL) holding the attribute.
	trigram string
}

// userNameExpr is a person's SCIM userName. The index
// people_scim_user_name holds exactly this expression.
const userNameExpr = "COALESCE(p.login_norm, p.email, p.mobile_phone, CAST(p.id AS TEXT))"

var filterAttrs = map[store.PersonAttr]filterAttr{
	store.PersonID:             {typ: typeInt, expr: "p.id"},
	store.PersonUserName:       {typ: typeString, expr: userNameExpr, fold: true},
	store.PersonName:           {typ: typeString, expr: "p.name_norm", fold: true, trigram: "name_norm"},
	store.PersonEmail:          {typ: typeString, expr: "p.email", present: "p.email IS NOT NULL", nullAbsent: true, fold: true, trigram: "email"},
	store.PersonMobilePhone:    {typ: typeString, expr: "p.mobile_phone", present: "p.mobile_phone IS NOT NULL", nullAbsent: true},
	store.PersonOfficePhone:    {typ: typeString, expr: "p.office_phone", present: "p.office_phone <> ''"},
	store.PersonKind:           {typ: typeString, expr: "p.kind"},
	store.PersonActive:         {typ: typeBool, expr: "p.active"},
	store.PersonLicenseType:    {typ: typeString, expr: "p.license_type", present: "p.license_type <> ''"},
	store.PersonMobileAccess:   {typ: typeBool, expr: "p.mobile_access_enabled"},
	store.PersonBusinessUnitID: {typ: typeInt, expr: "p.business_unit_id", present: "p.business_unit_id IS NOT NULL", nullAbsent: true},
	store.PersonManagerID:      {typ: typeInt, expr: "p.manager_id", present: "p.manager_id IS NOT NULL", nullAbsent: true},
	store.PersonTeam: {typ: typeString, fold: true, present: "p.team_id IS NOT NULL", nullAbsent: true,
		expr: "(SELECT t.name_norm FROM teams t WHERE t.tenant_id = p.tenant_id AND t.id = p.team_id)"},
	store.PersonAADUserID:      {typ: typeString, expr: "p.aad_user_id", present: "p.aad_user_id IS NOT NULL", nullAbsent: true},
	store.PersonExternalID:     {typ: typeString, expr: "p.scim_external_id", present: "p.scim_external_id IS NOT NULL", nullAbsent: true},
	store.PersonEmployeeNumber: {typ: typeString, expr: "p.scim_employee_number", present: "p.scim_employee_number IS NOT NULL", nullAbsent: true},
	store.PersonGivenName: {typ: typeString, expr: "p.scim_given_name_norm", present: "p.scim_given_name_norm IS NOT NULL",
		nullAbsent: true, fold: true},
	store.PersonFamilyName: {typ: typeString, expr: "p.scim_family_name_norm", present: "p.scim_family_name_norm IS NOT NULL",
		nullAbsent: true, fold: true},
	store.PersonDeleted:    {typ: typeBool, expr: "p.scim_deleted"},
	store.PersonCreatedOn:  {typ: typeTime, expr: "p.created_on"},
	store.PersonModifiedOn: {typ: typeTime, expr: "p.modified_on"},
	store.PersonRoleID:     {typ: typeInt, multi: true},
}

// maxFilterNodes bounds the conditions of one filter, well under both
// databases' limits on expression depth and bound parameters.
const maxFilterNodes = 500

// filterSQL compiles filters for one database flavor.
type filterSQL struct {
	postgres bool
	where
	nodes int
	// trigrams holds, for the co comparisons that take their candidates
	// from the SQLite trigram index, the trigram to look up.
	trigrams map[store.Compare]string
}

func invalidFilter(format string, args ...any) error {
	return crewid.Errorf(crewid.Invalid, "Invalid filter: "+format, args...)
}

// compile returns the SQL condition for f, adding its arguments. definite
// asks for a condition that is never NULL, which only matters under a NOT:
// elsewhere a NULL comparison drops the row just as FALSE does (AND and OR
// reach TRUE only through TRUE parts), and leaving out the presence guard
// keeps the condition simple for the planner.
func (c *filterSQL) compile(f store.Filter, definite bool) (string, error) {
	c.nodes++
	if c.nodes > maxFilterNodes {
		return "", invalidFilter("more than %d conditions.", maxFilterNodes)
	}
	switch f := f.(type) {
	case nil:
		return "1=1", nil
	case store.And:
		return c.join(f, " AND ", "1=1", definite)
	case store.Or:
		return c.join(f, " OR ", "1=0", definite)
	case store.Not:
		inner, err := c.compile(f.Filter, true)
		if err != nil {
			return "", err
		}
		return "NOT (" + inner + ")", nil
	case store.Present:
		a, ok := filterAttrs[f.Attr]
		if !ok {
			return "", invalidFilter("unknown attribute %q.", f.Attr)
		}
		switch {
		case a.multi:
			return "EXISTS (SELECT 1 FROM person_roles pr WHERE pr.tenant_id = p.tenant_id AND pr.person_id = p.id)", nil
		case a.present == "":
			return "1=1", nil
		}
		return a.present, nil
	case store.Compare:
		return c.compare(f, definite)
	}
	return "", invalidFilter("unknown condition %T.", f)
}

func (c *filterSQL) join(parts []store.Filter, op, empty string, definite bool) (string, error) {
	if len(parts) == 0 {
		return empty, nil
	}
	out := make([]string, len(parts))
	for i, p := range parts {
		s, err := c.compile(p, definite)
		if err != nil {
			return "", err
		}
		out[i] = s
	}
	if len(out) == 1 {
		return out[0], nil
	}
	return "(" + strings.Join(out, op) + ")", nil
}

var sqlOps = map[store.FilterOp]string{
	store.OpEq: "=", store.OpNe: "<>", store.OpGt: ">", store.OpGe: ">=", store.OpLt: "<", store.OpLe: "<=",
}

func (c *filterSQL) compare(f store.Compare, definite bool) (string, error) {
	a, ok := filterAttrs[f.Attr]
	if !ok {
		return "", invalidFilter("unknown attribute %q.", f.Attr)
	}
	value, err := operand(a, f)
	if err != nil {
		return "", err
	}
	switch f.Op {
	case store.OpEq, store.OpNe, store.OpGt, store.OpGe, store.OpLt, store.OpLe:
		if a.typ == typeBool && f.Op != store.OpEq && f.Op != store.OpNe {
			return "", invalidFilter("%q is true or false and cannot be compared with %q.", f.Attr, f.Op)
		}
	case store.OpCo, store.OpSw, store.OpEw:
		if a.typ != typeString {
			return "", invalidFilter("%q is not a string; %q compares strings only.", f.Attr, f.Op)
		}
	default:
		return "", invalidFilter("unknown operator %q.", f.Op)
	}

	if a.multi {
		c.arg(value)
		return "EXISTS (SELECT 1 FROM person_roles pr WHERE pr.tenant_id = p.tenant_id AND pr.person_id = p.id AND pr.role_id " +
			sqlOps[f.Op] + " ?)", nil
	}

	var cond string
	switch f.Op {
	case store.OpEq, store.OpNe:
		cond = a.expr + " " + sqlOps[f.Op] + " ?"
		c.arg(value)
	case store.OpGt, store.OpGe, store.OpLt, store.OpLe:
		cond = c.ordered(a) + " " + sqlOps[f.Op] + " ?"
		c.arg(value)
	case store.OpCo, store.OpSw, store.OpEw:
		cond = c.match(a, f, value.(string))
	}
	if a.present != "" && (definite || !a.nullAbsent) {
		cond = "(" + a.present + " AND " + cond + ")"
	}
	return cond, nil
}

// ordered is the attribute's expression for an order comparison: strings
// order by their UTF-8 bytes, which PostgreSQL does only in the C
// collation (SQLite's default BINARY collation already does).
func (c *filterSQL) ordered(a filterAttr) string {
	if c.postgres && a.typ == typeString {
		return a.expr + ` COLLATE "C"`
	}
	return a.expr
}

// match writes co, sw and ew. Case-insensitive attributes hold folded
// values and get a folded operand, so the database's own case rules never
// matter. On SQLite, co is a plain substring search (instr), quicker than
// LIKE, whose candidates may come from the trigram index (see
// chooseTrigrams); on PostgreSQL it is a LIKE, which the trigram indexes
// answer. sw and ew use LIKE, or GLOB for case-sensitive attributes on
// SQLite, whose LIKE ignores ASCII case. A prefix also becomes a range, so
// an index on the attribute can answer it.
func (c *filterSQL) match(a filterAttr, f store.Compare, s string) string {
	op := f.Op
	if op == store.OpCo {
		if c.postgres {
			c.arg("%" + likeEscape(s) + "%")
			return a.expr + ` LIKE ? ESCAPE '\'`
		}
		cond := "instr(" + a.expr + ", ?) > 0"
		if tri, ok := c.trigrams[f]; ok {
			c.arg(a.trigram + ` : "` + strings.ReplaceAll(tri, `"`, `""`) + `"`)
			cond = "p.id IN (SELECT rowid FROM people_trigram WHERE people_trigram MATCH ?) AND " + cond
		}
		c.arg(s)
		return cond
	}
	var pattern, cond string
	if !c.postgres && !a.fold {
		if op == store.OpSw {
			pattern = globEscape(s) + "*"
		} else {
			pattern = "*" + globEscape(s)
		}
		cond = a.expr + " GLOB ?"
	} else {
		if op == store.OpSw {
			pattern = likeEscape(s) + "%"
		} else {
			pattern = "%" + likeEscape(s)
		}
		cond = a.expr + ` LIKE ? ESCAPE '\'`
	}
	if op == store.OpSw && s != "" {
		if upper, ok := nextPrefix(s); ok {
			col := c.ordered(a)
			c.arg(s, upper)
			cond = col + " >= ? AND " + col + " < ? AND " + cond
		}
	}
	c.arg(pattern)
	return cond
}

// arg appends arguments for the condition being written.
func (c *filterSQL) arg(args ...any) { c.args = append(c.args, args...) }

// operand checks f's value against the attribute's type and returns it as
// bound: folded strings, microseconds for times.
func operand(a filterAttr, f store.Compare) (any, error) {
	switch a.typ {
	case typeString:
		s, ok := f.Value.(string)
		if !ok {
			return nil, invalidFilter("%q needs %s.", f.Attr, a.typ)
		}
		if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
			return nil, invalidFilter("the value for %q is not valid text.", f.Attr)
		}
		if a.fold {
			s = strings.ToLower(s)
		}
		return s, nil
	case typeInt:
		switch v := f.Value.(type) {
		case int64:
			return v, nil
		case int:
			return int64(v), nil
		}
	case typeBool:
		if v, ok := f.Value.(bool); ok {
			return v, nil
		}
	case typeTime:
		if v, ok := f.Value.(time.Time); ok {
			return v.UnixMicro(), nil
		}
	}
	return nil, invalidFilter("%q needs %s.", f.Attr, a.typ)
}

// likeEscape escapes LIKE's wildcards for ESCAPE '\'.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// globEscape escapes GLOB's wildcards by putting each in a bracket set.
func globEscape(s string) string {
	return strings.NewReplacer(`*`, `[*]`, `?`, `[?]`, `[`, `[[]`).Replace(s)
}

// nextPrefix returns the smallest string above every string that starts
// with s, in byte order: s with its last character incremented. UTF-8
// orders like the code points it encodes, so this is the next code point.
func nextPrefix(s string) (string, bool) {
	r, size := utf8.DecodeLastRuneInString(s)
	if r == utf8.RuneError {
		return "", false
	}
	next := r + 1
	if next == 0xD800 { // skip the surrogates, which UTF-8 cannot hold
		next = 0xE000
	}
	if next > utf8.MaxRune {
		return "", false
	}
	return s[:len(s)-size] + string(next), true
}

// filterIDCap is how many matching ids PeopleByFilter reads in its first
// query. Up to this many matches, that one query, free to use whatever
// index suits the filter, gives both the count and the page; above it the
// count and the page are queried apart (the page in id order, stopping
// early).
const filterIDCap = 5000

// PeopleByFilter runs a SCIM filter over the tenant's people.
func (c conn) PeopleByFilter(ctx context.Context, tenantID int64, f store.Filter, q store.FilterQuery) (store.Page[crewid.Person], error) {
	fs := filterSQL{postgres: c.db.flavor.Name == "postgres"}
	if !fs.postgres {
		var err error
		if fs.trigrams, err = c.chooseTrigrams(ctx, f); err != nil {
			return store.Page[crewid.Person]{}, err
		}
	}
	if len(fs.trigrams) > 0 || (!fs.postgres && pinpoints(f)) {
		// The unary + keeps SQLite (which has no statistics) from reading
		// the tenant's people through an index on tenant_id: the trigram
		// candidates, or the people an indexed equality finds, are fewer.
		fs.where.add("+p.tenant_id = ?", tenantID)
	} else {
		fs.where.add("p.tenant_id = ?", tenantID)
	}
	cond, err := fs.compile(f, false)
	if err != nil {
		return store.Page[crewid.Person]{}, err
	}
	if cond != "1=1" {
		fs.conds = append(fs.conds, cond)
	}
	w := &fs.where
	offset := max(q.Offset, 0)
	limit := min(q.Limit, store.MaxFilterLimit)

	page := store.Page[crewid.Person]{Items: []crewid.Person{}}
	ids, err := c.ids(ctx, "SELECT p.id FROM people p"+w.String()+" LIMIT ?", append(append([]any{}, w.args...), filterIDCap+1)...)
	if err != nil {
		return store.Page[crewid.Person]{}, err
	}
	if len(ids) <= filterIDCap {
		slices.Sort(ids)
		page.Total = len(ids)
		ids = ids[min(offset, len(ids)):]
		ids = ids[:min(max(limit, 0), len(ids))]
	} else {
		if err := c.queryRow(ctx, "SELECT COUNT(*) FROM people p"+w.String(), w.args...).Scan(&page.Total); err != nil {
			return store.Page[crewid.Person]{}, err
		}
		ids = nil
		if limit > 0 && offset < page.Total {
			ids, err = c.ids(ctx, "SELECT p.id FROM people p"+w.String()+" ORDER BY p.id LIMIT ? OFFSET ?",
				append(append([]any{}, w.args...), limit, offset)...)
			if err != nil {
				return store.Page[crewid.Person]{}, err
			}
		}
	}
	page.HasMore = offset+len(ids) < page.Total
	if len(ids) == 0 {
		return page, nil
	}
	var byID where
	byID.add("p.tenant_id = ?", tenantID)
	byID.in("p.id", ids)
	rows, err := c.query(ctx, "SELECT "+personCols+" FROM people p"+byID.String()+" ORDER BY p.id", byID.args...)
	if err != nil {
		return store.Page[crewid.Person]{}, err
	}
	defer rows.Close()
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return store.Page[crewid.Person]{}, err
		}
		page.Items = append(page.Items, p)
	}
	if err := rows.Err(); err != nil {
		return store.Page[crewid.Person]{}, err
	}
	return page, c.loadPersonChildren(ctx, page.Items)
}

// pinpointAttrs have an index of their own, not led by the tenant, that
// finds the few people with a given value.
var pinpointAttrs = map[store.PersonAttr]bool{
	store.PersonID: true, store.PersonUserName: true, store.PersonEmail: true,
	store.PersonMobilePhone: true, store.PersonExternalID: true,
}

// pinpoints reports whether every match of f is found by an equality on
// one of pinpointAttrs: f is such an equality, an And with one, or an Or
// of such filters.
func pinpoints(f store.Filter) bool {
	switch f := f.(type) {
	case store.Compare:
		return f.Op == store.OpEq && pinpointAttrs[f.Attr]
	case store.And:
		return slices.ContainsFunc(f, pinpoints)
	case store.Or:
		return len(f) > 0 && !slices.ContainsFunc(f, func(g store.Filter) bool { return !pinpoints(g) })
	}
	return false
}

// ids runs a query of one id column.
func (c conn) ids(ctx context.Context, query string, args ...any) ([]int64, error) {
	rows, err := c.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// maxTrigramCandidates is the most people (of every tenant) a trigram may
// name for its index to be used: past it, reading the candidates one by
// one costs more than looking at every person of the tenant.
const maxTrigramCandidates = 20000

// chooseTrigrams picks, for each co comparison that must hold for the whole
// filter to hold (f itself, or a part of a top-level And) on an attribute
// in the SQLite trigram index, the trigram of its value that the fewest
// people have, if few enough have it. The people with that trigram are the
// comparison's candidates; each is still checked exactly. Values shorter
// than three characters have no trigram and are searched by a scan.
func (c conn) chooseTrigrams(ctx context.Context, f store.Filter) (map[store.Compare]string, error) {
	var leaves []store.Compare
	var walk func(store.Filter)
	walk = func(f store.Filter) {
		switch f := f.(type) {
		case store.And:
			for _, g := range f {
				walk(g)
			}
		case store.Compare:
			if a, ok := filterAttrs[f.Attr]; ok && a.trigram != "" && f.Op == store.OpCo {
				if s, ok := f.Value.(string); ok && utf8.ValidString(s) && !strings.ContainsRune(s, 0) {
					leaves = append(leaves, f)
				}
			}
		}
	}
	walk(f)
	var out map[store.Compare]string
	for _, leaf := range leaves {
		runes := []rune(strings.ToLower(leaf.Value.(string)))
		if len(runes) < 3 {
			continue
		}
		// Look at no more than 8 trigrams, spread over the value.
		step := max(1, (len(runes)-2+7)/8)
		best, bestDocs := "", maxTrigramCandidates+1
		for i := 0; i+3 <= len(runes); i += step {
			tri := string(runes[i : i+3])
			var docs int
			err := c.queryRow(ctx, "SELECT COALESCE(SUM(doc), 0) FROM people_trigram_vocab WHERE term = ?", tri).Scan(&docs)
			if err != nil {
				return nil, err
			}
			if docs < bestDocs {
				best, bestDocs = tri, docs
			}
		}
		if best != "" {
			if out == nil {
				out = map[store.Compare]string{}
			}
			out[leaf] = best
		}
	}
	return out, nil
}

// PeopleDirectory reads the directory data of the given people.
func (c conn) PeopleDirectory(ctx context.Context, tenantID int64, ids []int64) (map[int64]store.PersonDirectory, error) {
	out := map[int64]store.PersonDirectory{}
	for _, chunk := range chunks(ids) {
		var w where
		w.add("tenant_id = ?", tenantID)
		w.in("id", chunk)
		w.add("(scim_external_id IS NOT NULL OR scim_employee_number IS NOT NULL OR scim_given_name <> '' OR scim_family_name <> '' OR scim_deleted = ?)", true)
		rows, err := c.query(ctx, `SELECT id, scim_external_id, scim_employee_number, scim_given_name, scim_family_name, scim_deleted
			FROM people`+w.String(), w.args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var ext, num *string
			var d store.PersonDirectory
			if err := rows.Scan(&id, &ext, &num, &d.GivenName, &d.FamilyName, &d.Deleted); err != nil {
				rows.Close()
				return nil, err
			}
			if ext != nil {
				d.ExternalID = *ext
			}
			if num != nil {
				d.EmployeeNumber = *num
			}
			out[id] = d
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// RoleExternalIDs reads the external ids of the tenant's roles.
func (c conn) RoleExternalIDs(ctx context.Context, tenantID int64) (map[int64]string, error) {
	rows, err := c.query(ctx, `SELECT id, scim_external_id FROM roles WHERE tenant_id = ? AND scim_external_id IS NOT NULL`, tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var ext string
		if err := rows.Scan(&id, &ext); err != nil {
			return nil, err
		}
		out[id] = ext
	}
	return out, rows.Err()
}

// SetPersonDirectory replaces a person's directory data.
func (t *tx) SetPersonDirectory(ctx context.Context, tenantID, personID int64, d store.PersonDirectory) error {
	return t.execOne(ctx, `UPDATE people SET scim_external_id = ?, scim_employee_number = ?, scim_given_name = ?,
		scim_family_name = ?, scim_given_name_norm = ?, scim_family_name_norm = ?, scim_deleted = ?
		WHERE tenant_id = ? AND id = ?`,
		nullString(d.ExternalID), nullString(d.EmployeeNumber), d.GivenName, d.FamilyName,
		nullString(strings.ToLower(d.GivenName)), nullString(strings.ToLower(d.FamilyName)), d.Deleted, tenantID, personID)
}

// SetRoleExternalID replaces a role's external id.
func (t *tx) SetRoleExternalID(ctx context.Context, tenantID, roleID int64, externalID string) error {
	return t.execOne(ctx, `UPDATE roles SET scim_external_id = ? WHERE tenant_id = ? AND id = ?`,
		nullString(externalID), tenantID, roleID)
}
