package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"crewid"
	"crewid/access"
	"crewid/people"
	"crewid/store"
)

// peopleRoutes lists the Settings pages.
func (c *Console) peopleRoutes(mux *http.ServeMux) {
	mux.Handle("GET /settings/people/{kind}", c.signedIn(c.peopleList))
	mux.Handle("GET /settings/people/{kind}/new", c.signedIn(c.personNew))
	mux.Handle("POST /settings/people/{kind}/new", c.signedIn(c.personCreate))
	mux.Handle("GET /settings/people/{kind}/{id}", c.signedIn(c.personEdit))
	mux.Handle("POST /settings/people/{kind}/{id}", c.signedIn(c.personSave))
	mux.Handle("POST /settings/people/{kind}/{id}/action", c.signedIn(c.personAction))
	mux.Handle("POST /settings/people/{kind}/bulk", c.signedIn(c.bulkAction))
	mux.Handle("GET /settings/outbox", c.signedIn(c.outbox))
}

// kindOf reads the {kind} of a people path.
func kindOf(r *http.Request) (crewid.Kind, string, error) {
	switch r.PathValue("kind") {
	case "employees":
		return crewid.KindEmployee, "employees", nil
	case "technicians":
		return crewid.KindTechnician, "technicians", nil
	}
	return "", "", crewid.Errorf(crewid.NotFound, "There is no such page.")
}

// kindLabels names a kind in headings.
type kindLabels struct {
	Kind   crewid.Kind
	Slug   string // path segment
	Plural string
	One    string
}

func labelsOf(kind crewid.Kind, slug string) kindLabels {
	if kind == crewid.KindTechnician {
		return kindLabels{Kind: kind, Slug: slug, Plural: "Technicians", One: "Technician"}
	}
	return kindLabels{Kind: kind, Slug: slug, Plural: "Employees", One: "Employee"}
}

func (k kindLabels) IsTech() bool { return k.Kind == crewid.KindTechnician }

// lookups are the records a people page offers in its selects.
type lookups struct {
	Roles         []crewid.Role // those that apply to the kind
	RoleNames     map[int64]string
	BusinessUnits []crewid.BusinessUnit
	BUNames       map[int64]string
	Teams         []crewid.Team
	TeamNames     map[int64]string
	Zones         []crewid.Zone
	CustomFields  []crewid.CustomFieldType
	Managers      []crewid.Person
	rolesByID     map[int64]crewid.Role
}

// lookupAll is the page size that reads a whole settings list at once.
const lookupAll = 5000

func (c *Console) loadLookups(ctx context.Context, tenantID int64, kind crewid.Kind, withForm bool) (*lookups, error) {
	l := &lookups{RoleNames: map[int64]string{}, BUNames: map[int64]string{}, TeamNames: map[int64]string{}, rolesByID: map[int64]crewid.Role{}}
	all := store.ListQuery{Active: store.ActiveAny, PageSize: lookupAll, Sort: "+Name"}
	roles, err := c.Store.Roles(ctx, tenantID, store.RoleQuery{ListQuery: all})
	if err != nil {
		return nil, err
	}
	for _, r := range roles.Items {
		l.RoleNames[r.ID] = r.Name
		l.rolesByID[r.ID] = r
		if r.EmployeeType.AppliesTo(kind) {
			l.Roles = append(l.Roles, r)
		}
	}
	bus, err := c.Store.BusinessUnits(ctx, tenantID, all)
	if err != nil {
		return nil, err
	}
	l.BusinessUnits = bus.Items
	for _, b := range bus.Items {
		l.BUNames[b.ID] = b.Name
	}
	if kind == crewid.KindTechnician {
		teams, err := c.Store.Teams(ctx, tenantID, all)
		if err != nil {
			return nil, err
		}
		l.Teams = teams.Items
		for _, t := range teams.Items {
			l.TeamNames[t.ID] = t.Name
		}
	}
	if !withForm {
		return l, nil
	}
	if kind == crewid.KindTechnician {
		zones, err := c.Store.Zones(ctx, tenantID, all)
		if err != nil {
			return nil, err
		}
		l.Zones = zones.Items
	}
	fields, err := c.Store.CustomFieldTypes(ctx, tenantID, store.ListQuery{Active: store.ActiveTrue, PageSize: lookupAll})
	if err != nil {
		return nil, err
	}
	for _, f := range fields.Items {
		if f.AppliesTo == kind {
			l.CustomFields = append(l.CustomFields, f)
		}
	}
	managers, err := c.Store.People(ctx, tenantID, store.PersonQuery{Kind: crewid.KindEmployee,
		ListQuery: store.ListQuery{Active: store.ActiveTrue, PageSize: lookupAll, Sort: "+Name"}})
	if err != nil {
		return nil, err
	}
	l.Managers = managers.Items
	return l, nil
}

// effective is what roleIDs and overrides grant, by the tenant's roles.
func (l *lookups) effective(roleIDs []int64, overrides []crewid.PermissionOverride) access.Set {
	roles := make([]crewid.Role, 0, len(roleIDs))
	for _, id := range roleIDs {
		if r, ok := l.rolesByID[id]; ok {
			roles = append(roles, r)
		}
	}
	return access.Effective(roles, overrides)
}

// ---- list ------------------------------------------------------------------

type personRow struct {
	Person    crewid.Person
	Status    string
	Roles     string
	BU        string
	Team      string
	SignInOn  time.Time
	CanChange bool
}

type listFilters struct {
	Active string // "true", "false" or "any"
	RoleID int64
	Status string
	BUID   int64
	TeamID int64
	Name   string
	Page   int
	Size   int
}

type listData struct {
	Labels   kindLabels
	Filters  listFilters
	Lookups  *lookups
	Statuses []string
	Rows     []personRow
	Total    int
	PrevURL  string
	NextURL  string
	Pages    int
}

const listPageSize = 50

func readFilters(q url.Values) (listFilters, error) {
	f := listFilters{Active: strings.ToLower(q.Get("active")), Status: q.Get("status"), Name: strings.TrimSpace(q.Get("name")), Page: 1, Size: listPageSize}
	problems := crewid.Problems{}
	switch f.Active {
	case "":
		f.Active = "true"
	case "true", "false", "any":
	default:
		problems.Add("active", "Choose active, inactive or any.")
	}
	if f.Status != "" && !slices.Contains(people.Statuses, f.Status) {
		problems.Add("status", "Unknown status.")
	}
	ids := map[string]*int64{"role": &f.RoleID, "bu": &f.BUID, "team": &f.TeamID}
	for name, dst := range ids {
		if v := q.Get(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				problems.Add(name, "Not a valid choice.")
			}
			*dst = n
		}
	}
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1_000_000 {
			problems.Add("page", "Not a page number.")
		} else {
			f.Page = n
		}
	}
	return f, problems.Err()
}

func (f listFilters) values() url.Values {
	v := url.Values{}
	v.Set("active", f.Active)
	if f.RoleID != 0 {
		v.Set("role", itoa(f.RoleID))
	}
	if f.Status != "" {
		v.Set("status", f.Status)
	}
	if f.BUID != 0 {
		v.Set("bu", itoa(f.BUID))
	}
	if f.TeamID != 0 {
		v.Set("team", itoa(f.TeamID))
	}
	if f.Name != "" {
		v.Set("name", f.Name)
	}
	return v
}

// statusScanLimit bounds the people read to filter by account status,
// which depends on the clock and is computed here, not stored.
const statusScanLimit = 100000

// listPeople reads one page of people matching f, with the total.
func (c *Console) listPeople(ctx context.Context, tenantID int64, kind crewid.Kind, f listFilters) ([]crewid.Person, int, error) {
	q := store.PersonQuery{Kind: kind, RoleID: f.RoleID, BusinessUnitID: f.BUID, TeamID: f.TeamID,
		ListQuery: store.ListQuery{Name: f.Name, Page: f.Page, PageSize: f.Size, IncludeTotal: true, Sort: "+Name"}}
	switch f.Active {
	case "false":
		q.Active = store.ActiveFalse
	case "any":
		q.Active = store.ActiveAny
	}
	if kind == crewid.KindEmployee {
		q.TeamID = 0
	}
	if f.Status == "" {
		page, err := c.Store.People(ctx, tenantID, q)
		if err != nil {
			return nil, 0, err
		}
		return page.Items, page.Total, nil
	}
	q.Page, q.PageSize, q.IncludeTotal = 1, statusScanLimit, false
	page, err := c.Store.People(ctx, tenantID, q)
	if err != nil {
		return nil, 0, err
	}
	now := c.now()
	matched := page.Items[:0]
	for _, p := range page.Items {
		if people.Status(p, now) == f.Status {
			matched = append(matched, p)
		}
	}
	from := min((f.Page-1)*f.Size, len(matched))
	to := min(from+f.Size, len(matched))
	return matched[from:to], len(matched), nil
}

func (c *Console) peopleList(w http.ResponseWriter, r *http.Request, v *Viewer) {
	kind, slug, err := kindOf(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if !c.authorize(w, r, v, access.TaskViewPeople) {
		return
	}
	f, err := readFilters(r.URL.Query())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	tenant := v.Person.TenantID
	l, err := c.loadLookups(r.Context(), tenant, kind, false)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	items, total, err := c.listPeople(r.Context(), tenant, kind, f)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	d := listData{Labels: labelsOf(kind, slug), Filters: f, Lookups: l, Statuses: people.Statuses, Total: total,
		Rows: make([]personRow, 0, len(items))}
	now := c.now()
	canChange := access.Allows(v.Perms, access.TaskEditPeople)
	for _, p := range items {
		row := personRow{Person: p, Status: people.Status(p, now), BU: l.BUNames[p.BusinessUnitID], Team: p.TeamName,
			SignInOn: p.Account.LastSignInOn, CanChange: canChange}
		names := make([]string, 0, len(p.RoleIDs))
		for _, id := range p.RoleIDs {
			names = append(names, l.RoleNames[id])
		}
		row.Roles = strings.Join(names, ", ")
		d.Rows = append(d.Rows, row)
	}
	d.Pages = (total + f.Size - 1) / f.Size
	base := "/settings/people/" + slug + "?"
	if f.Page > 1 {
		vals := f.values()
		vals.Set("page", strconv.Itoa(f.Page-1))
		d.PrevURL = base + vals.Encode()
	}
	if f.Page < d.Pages {
		vals := f.values()
		vals.Set("page", strconv.Itoa(f.Page+1))
		d.NextURL = base + vals.Encode()
	}
	c.render(w, r, http.StatusOK, "people", &View{Title: d.Labels.Plural, Data: d})
}
