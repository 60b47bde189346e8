package web

import (
	"net/http"
	"strconv"
	"strings"

	"crewid"
	"crewid/access"
	"crewid/store"
)

// Settings > Roles: the tenant's built-in and custom roles, each edited
// with its permissions grouped by catalog section. The rules (what a
// built-in role may become, when a role may be deleted) are package
// access's and org's; these pages only show what they say.

type roleRow struct {
	Role  crewid.Role
	Count int // permissions granted
}

type roleListData struct {
	Active string // "true", "false" or "any"
	Rows   []roleRow
}

func (c *Console) roleList(w http.ResponseWriter, r *http.Request, v *Viewer) {
	if !c.authorize(w, r, v, access.TaskManageRoles) {
		return
	}
	d := roleListData{Active: r.URL.Query().Get("active")}
	q := store.RoleQuery{ListQuery: store.ListQuery{Active: store.ActiveAny, PageSize: lookupAll, Sort: "+Name"}}
	switch d.Active {
	case "", "any":
		d.Active = "any"
	case "true":
		q.Active = store.ActiveTrue
	case "false":
		q.Active = store.ActiveFalse
	default:
		c.fail(w, r, crewid.FieldError("active", "Must be true, false or any."))
		return
	}
	page, err := c.Store.Roles(r.Context(), v.Person.TenantID, q)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	for _, role := range page.Items {
		d.Rows = append(d.Rows, roleRow{Role: role, Count: len(role.Permissions)})
	}
	c.render(w, r, http.StatusOK, "roles", &View{Title: "Roles", Data: d})
}

type roleFormData struct {
	New      bool
	Role     crewid.Role
	Types    []crewid.EmployeeType
	Sections []permSection
	// Fixed is set for the Administrator role, whose permissions are
	// always all of them.
	Fixed bool
}

func newRoleForm(role crewid.Role, isNew bool) roleFormData {
	d := roleFormData{New: isNew, Role: role, Fixed: role.BuiltIn == access.KeyAdministrator,
		Types: []crewid.EmployeeType{crewid.EmployeeTypeEmployee, crewid.EmployeeTypeTechnician, crewid.EmployeeTypeAll}}
	held := access.NewSet(role.Permissions...)
	for _, perm := range access.Catalog() {
		if n := len(d.Sections); n == 0 || d.Sections[n-1].Name != perm.Section {
			d.Sections = append(d.Sections, permSection{Name: perm.Section})
		}
		s := &d.Sections[len(d.Sections)-1]
		s.Rows = append(s.Rows, permRow{Perm: perm, Held: held.Has(perm.ID)})
	}
	return d
}

func (c *Console) showRole(w http.ResponseWriter, r *http.Request, status int, d roleFormData, problems crewid.Problems, msg string) {
	title := "New role"
	if !d.New {
		title = d.Role.Name
	}
	c.render(w, r, status, "role", &View{Title: title, Data: d, Errors: problems, Error: msg})
}

// readRole applies the form to role. Permission ids that do not parse
// are reported on the field; the domain checks the rest.
func readRole(r *http.Request, role *crewid.Role) crewid.Problems {
	p := crewid.Problems{}
	role.Name = r.PostFormValue("name")
	role.EmployeeType = crewid.EmployeeType(r.PostFormValue("employeeType"))
	role.Active = r.PostFormValue("active") == "on"
	role.Permissions = []int64{}
	for _, raw := range r.PostForm["permissions"] {
		id, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
		if err != nil {
			p.Add(access.FieldPermissions, "Unknown permission "+strconv.Quote(raw)+".")
			continue
		}
		role.Permissions = append(role.Permissions, id)
	}
	return p
}

func (c *Console) roleNew(w http.ResponseWriter, r *http.Request, v *Viewer) {
	if !c.authorize(w, r, v, access.TaskManageRoles) {
		return
	}
	c.showRole(w, r, http.StatusOK, newRoleForm(crewid.Role{Active: true, EmployeeType: crewid.EmployeeTypeEmployee}, true), nil, "")
}

func (c *Console) roleCreate(w http.ResponseWriter, r *http.Request, v *Viewer) {
	if !c.authorize(w, r, v, access.TaskManageRoles) {
		return
	}
	role := crewid.Role{}
	if p := readRole(r, &role); len(p) > 0 {
		c.showRole(w, r, http.StatusBadRequest, newRoleForm(role, true), p, "Please correct the fields marked below.")
		return
	}
	created, err := c.Org.CreateRole(asViewer(r.Context(), v), v.Actor(r), v.Person.TenantID, role)
	if err != nil {
		c.roleFailed(w, r, err, newRoleForm(role, true))
		return
	}
	c.forgetGrants(v.Person.TenantID)
	c.doneWith(w, r, "/settings/roles/"+itoa(created.ID), "The role "+created.Name+" was created.")
}

// roleFailed shows a refused change on the form, or the error page when
// it is not the viewer's to correct.
func (c *Console) roleFailed(w http.ResponseWriter, r *http.Request, err error, d roleFormData) {
	if !formFailure(err) {
		c.fail(w, r, err)
		return
	}
	problems, msg := fieldErrors(err)
	c.showRole(w, r, api400(err), d, problems, msg)
}

func (c *Console) roleOf(w http.ResponseWriter, r *http.Request, v *Viewer) (crewid.Role, bool) {
	return recordOf(c, w, r, v, access.TaskManageRoles, c.Store.Role)
}

func (c *Console) roleEdit(w http.ResponseWriter, r *http.Request, v *Viewer) {
	if role, ok := c.roleOf(w, r, v); ok {
		c.showRole(w, r, http.StatusOK, newRoleForm(role, false), nil, "")
	}
}

func (c *Console) roleSave(w http.ResponseWriter, r *http.Request, v *Viewer) {
	role, ok := c.roleOf(w, r, v)
	if !ok {
		return
	}
	edited := role
	if p := readRole(r, &edited); len(p) > 0 {
		c.showRole(w, r, http.StatusBadRequest, newRoleForm(edited, false), p, "Please correct the fields marked below.")
		return
	}
	c.updateRole(w, r, v, edited, "saved", func(cur *crewid.Role) {
		cur.Name, cur.EmployeeType, cur.Active, cur.Permissions = edited.Name, edited.EmployeeType, edited.Active, edited.Permissions
	})
}

func (c *Console) roleDeactivate(w http.ResponseWriter, r *http.Request, v *Viewer) {
	if role, ok := c.roleOf(w, r, v); ok {
		c.updateRole(w, r, v, role, "deactivated", func(cur *crewid.Role) { cur.Active = false })
	}
}

// updateRole applies change to the stored role shown as shown; a refusal
// comes back on the form showing shown, success as the role's page saying
// what was done.
func (c *Console) updateRole(w http.ResponseWriter, r *http.Request, v *Viewer, shown crewid.Role, done string, change func(*crewid.Role)) {
	saved, err := c.Org.UpdateRole(asViewer(r.Context(), v), v.Actor(r), v.Person.TenantID, shown.ID, func(cur *crewid.Role) error {
		change(cur)
		return nil
	})
	if err != nil {
		c.roleFailed(w, r, err, newRoleForm(shown, false))
		return
	}
	c.forgetGrants(v.Person.TenantID)
	c.doneWith(w, r, "/settings/roles/"+itoa(saved.ID), "The role "+saved.Name+" was "+done+".")
}

func (c *Console) roleDelete(w http.ResponseWriter, r *http.Request, v *Viewer) {
	role, ok := c.roleOf(w, r, v)
	if !ok {
		return
	}
	if err := c.Org.DeleteRole(asViewer(r.Context(), v), v.Actor(r), v.Person.TenantID, role.ID); err != nil {
		if !formFailure(err) {
			c.fail(w, r, err)
			return
		}
		// The reasons (built in, still held) are about the role, not a
		// field: show them at the top of its page.
		c.showRole(w, r, api400(err), newRoleForm(role, false), nil, errorText(err))
		return
	}
	c.forgetGrants(v.Person.TenantID)
	c.doneWith(w, r, "/settings/roles", "The role "+role.Name+" was deleted.")
}
