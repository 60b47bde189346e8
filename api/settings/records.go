package settings

import (
	"net/http"
	"time"

	"crewid"
	"crewid/access"
	"crewid/api"
	"crewid/store"
)

// writeOne answers with one record loaded by get, converted by conv.
func writeOne[T, W any](w http.ResponseWriter, r *http.Request, get func(id int64) (T, error), conv func(T) W) {
	id, err := pathID(r)
	if err != nil {
		api.WriteError(w, r, err)
		return
	}
	v, err := get(id)
	if err != nil {
		api.WriteError(w, r, err)
		return
	}
	api.WriteJSON(w, conv(v))
}

// writeList answers a list operation: list runs the parsed query.
func writeList[T, W any](w http.ResponseWriter, r *http.Request, q *api.Query, lq store.ListQuery, list func() (store.Page[T], error), conv func(T) W) {
	if err := q.Err(); err != nil {
		api.WriteError(w, r, err)
		return
	}
	page, err := list()
	if err != nil {
		api.WriteError(w, r, err)
		return
	}
	api.WriteJSON(w, toPaginated(lq, page, conv))
}

// decodeAnd decodes a body into req and, if that worked, runs do.
func decodeAnd[R any](w http.ResponseWriter, r *http.Request, do func(req R) (any, error)) {
	var req R
	if err := api.Decode(r, &req); err != nil {
		api.WriteError(w, r, err)
		return
	}
	out, err := do(req)
	if err != nil {
		api.WriteError(w, r, err)
		return
	}
	api.WriteJSON(w, out)
}

// withID runs do with the {id} of the path.
func withID(w http.ResponseWriter, r *http.Request, do func(id int64)) {
	id, err := pathID(r)
	if err != nil {
		api.WriteError(w, r, err)
		return
	}
	do(id)
}

// deleted answers a deletion.
func deleted(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		api.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// User roles.

type roleResponse struct {
	ID           int64     `json:"id"`
	Active       bool      `json:"active"`
	Name         string    `json:"name"`
	CreatedOn    time.Time `json:"createdOn"`
	ModifiedOn   time.Time `json:"modifiedOn"`
	EmployeeType string    `json:"employeeType"`
	BuiltIn      bool      `json:"builtIn"`
	Permissions  []int64   `json:"permissions"`
}

func toRole(r crewid.Role) roleResponse {
	return roleResponse{ID: r.ID, Active: r.Active, Name: r.Name, CreatedOn: r.CreatedOn, ModifiedOn: r.ModifiedOn,
		EmployeeType: string(r.EmployeeType), BuiltIn: r.BuiltIn != "", Permissions: nonNil(r.Permissions)}
}

type roleRequest struct {
	Name         api.Optional[string]  `json:"name"`
	EmployeeType api.Optional[string]  `json:"employeeType"`
	Active       api.Optional[bool]    `json:"active"`
	Permissions  api.Optional[[]int64] `json:"permissions"`
}

func (req roleRequest) apply(role *crewid.Role) error {
	req.Name.Apply(&role.Name)
	if req.EmployeeType.Set {
		role.EmployeeType = crewid.EmployeeType(req.EmployeeType.Value)
	}
	req.Active.Apply(&role.Active)
	req.Permissions.Apply(&role.Permissions)
	return nil
}

func (h *Handler) listRoles(w http.ResponseWriter, r *http.Request, c api.Caller) {
	q := api.NewQuery(r.URL.Query())
	rq := store.RoleQuery{ListQuery: q.List()}
	switch q.Enum("employeeType", "None", "None", "Employee", "Technician", "All") {
	case "Employee":
		rq.EmployeeType = crewid.EmployeeTypeEmployee
	case "Technician":
		rq.EmployeeType = crewid.EmployeeTypeTechnician
	}
	writeList(w, r, q, rq.ListQuery, func() (store.Page[crewid.Role], error) {
		return h.Store.Roles(r.Context(), c.TenantID, rq)
	}, toRole)
}

func (h *Handler) getRole(w http.ResponseWriter, r *http.Request, c api.Caller) {
	writeOne(w, r, func(id int64) (crewid.Role, error) { return h.Store.Role(r.Context(), c.TenantID, id) }, toRole)
}

func (h *Handler) createRole(w http.ResponseWriter, r *http.Request, c api.Caller) {
	decodeAnd(w, r, func(req roleRequest) (any, error) {
		role := crewid.Role{Active: true, Permissions: []int64{}}
		if err := req.apply(&role); err != nil {
			return nil, err
		}
		created, err := h.Org.CreateRole(r.Context(), c.Actor, c.TenantID, role)
		return idResponse{ID: created.ID}, err
	})
}

func (h *Handler) updateRole(w http.ResponseWriter, r *http.Request, c api.Caller) {
	withID(w, r, func(id int64) {
		decodeAnd(w, r, func(req roleRequest) (any, error) {
			_, err := h.Org.UpdateRole(r.Context(), c.Actor, c.TenantID, id, req.apply)
			return idResponse{ID: id}, err
		})
	})
}

func (h *Handler) deleteRole(w http.ResponseWriter, r *http.Request, c api.Caller) {
	withID(w, r, func(id int64) { deleted(w, r, h.Org.DeleteRole(r.Context(), c.Actor, c.TenantID, id)) })
}

// Permissions.

type permissionResponse struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Section     string `json:"section"`
	Description string `json:"description"`
}

func (h *Handler) listPermissions(w http.ResponseWriter, r *http.Request, c api.Caller) {
	q := api.NewQuery(r.URL.Query())
	lq := q.List()
	if err := q.Err(); err != nil {
		api.WriteError(w, r, err)
		return
	}
	catalog := access.Catalog()
	from := min((lq.Page-1)*lq.PageSize, len(catalog))
	to := min(from+lq.PageSize, len(catalog))
	page := store.Page[access.Permission]{Items: catalog[from:to], HasMore: to < len(catalog), Total: len(catalog)}
	api.WriteJSON(w, toPaginated(lq, page, func(p access.Permission) permissionResponse {
		return permissionResponse{ID: p.ID, Name: p.Name, Section: p.Section, Description: p.Description}
	}))
}

// Tag types.

type tagTypeResponse struct {
	ID                            int64     `json:"id"`
	Name                          string    `json:"name"`
	Color                         string    `json:"color"`
	Code                          string    `json:"code"`
	Importance                    *string   `json:"importance"`
	IsConversionOpportunity       bool      `json:"isConversionOpportunity"`
	AllowToUseOnTimesheetActivity bool      `json:"allowToUseOnTimesheetActivity"`
	Active                        bool      `json:"active"`
	CreatedOn                     time.Time `json:"createdOn"`
	ModifiedOn                    time.Time `json:"modifiedOn"`
}

func toTagType(t crewid.TagType) tagTypeResponse {
	return tagTypeResponse{ID: t.ID, Name: t.Name, Color: t.Color, Code: t.Code, Importance: opt(t.Importance),
		IsConversionOpportunity: t.IsConversionOpportunity, AllowToUseOnTimesheetActivity: t.AllowToUseOnTimesheetActivity,
		Active: t.Active, CreatedOn: t.CreatedOn, ModifiedOn: t.ModifiedOn}
}

type tagTypeRequest struct {
	Name                          api.Optional[string] `json:"name"`
	Color                         api.Optional[string] `json:"color"`
	Code                          api.Optional[string] `json:"code"`
	Importance                    api.Optional[string] `json:"importance"`
	IsConversionOpportunity       api.Optional[bool]   `json:"isConversionOpportunity"`
	AllowToUseOnTimesheetActivity api.Optional[bool]   `json:"allowToUseOnTimesheetActivity"`
	Active                        api.Optional[bool]   `json:"active"`
}

func (req tagTypeRequest) apply(t *crewid.TagType) error {
	req.Name.Apply(&t.Name)
	req.Color.Apply(&t.Color)
	req.Code.Apply(&t.Code)
	req.Importance.Apply(&t.Importance)
	req.IsConversionOpportunity.Apply(&t.IsConversionOpportunity)
	req.AllowToUseOnTimesheetActivity.Apply(&t.AllowToUseOnTimesheetActivity)
	req.Active.Apply(&t.Active)
	return nil
}

func (h *Handler) listTagTypes(w http.ResponseWriter, r *http.Request, c api.Caller) {
	q := api.NewQuery(r.URL.Query())
	lq := q.List()
	lq.Sort = q.Sort("Id", "Name", "CreatedOn", "ModifiedOn")
	writeList(w, r, q, lq, func() (store.Page[crewid.TagType], error) { return h.Store.TagTypes(r.Context(), c.TenantID, lq) }, toTagType)
}

func (h *Handler) getTagType(w http.ResponseWriter, r *http.Request, c api.Caller) {
	writeOne(w, r, func(id int64) (crewid.TagType, error) { return h.Store.TagType(r.Context(), c.TenantID, id) }, toTagType)
}

func (h *Handler) createTagType(w http.ResponseWriter, r *http.Request, c api.Caller) {
	decodeAnd(w, r, func(req tagTypeRequest) (any, error) {
		t := crewid.TagType{Active: true}
		_ = req.apply(&t)
		created, err := h.Org.CreateTagType(r.Context(), c.Actor, c.TenantID, t)
		return idResponse{ID: created.ID}, err
	})
}

func (h *Handler) updateTagType(w http.ResponseWriter, r *http.Request, c api.Caller) {
	withID(w, r, func(id int64) {
		decodeAnd(w, r, func(req tagTypeRequest) (any, error) {
			_, err := h.Org.UpdateTagType(r.Context(), c.Actor, c.TenantID, id, req.apply)
			return idResponse{ID: id}, err
		})
	})
}

func (h *Handler) exportTagTypes(w http.ResponseWriter, r *http.Request, c api.Caller) {
	eq, err := exportQuery(r)
	if err != nil {
		api.WriteError(w, r, err)
		return
	}
	batch, err := h.Store.ExportTagTypes(r.Context(), c.TenantID, eq)
	if err != nil {
		api.WriteError(w, r, err)
		return
	}
	api.WriteJSON(w, toExported(batch, toTagType))
}

// Custom field types.

type customFieldTypeResponse struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	AppliesTo  string    `json:"appliesTo"`
	DataType   string    `json:"dataType"`
	Active     bool      `json:"active"`
	CreatedOn  time.Time `json:"createdOn"`
	ModifiedOn time.Time `json:"modifiedOn"`
}

func toCustomFieldType(t crewid.CustomFieldType) customFieldTypeResponse {
	return customFieldTypeResponse{ID: t.ID, Name: t.Name, AppliesTo: string(t.AppliesTo), DataType: t.DataType,
		Active: t.Active, CreatedOn: t.CreatedOn, ModifiedOn: t.ModifiedOn}
}

type customFieldTypeRequest struct {
	Name      api.Optional[string] `json:"name"`
	AppliesTo api.Optional[string] `json:"appliesTo"`
	DataType  api.Optional[string] `json:"dataType"`
	Active    api.Optional[bool]   `json:"active"`
}

func (req customFieldTypeRequest) apply(t *crewid.CustomFieldType) error {
	req.Name.Apply(&t.Name)
	if req.AppliesTo.Set {
		t.AppliesTo = crewid.Kind(req.AppliesTo.Value)
	}
	req.DataType.Apply(&t.DataType)
	req.Active.Apply(&t.Active)
	return nil
}

func (h *Handler) listCustomFieldTypes(w http.ResponseWriter, r *http.Request, c api.Caller) {
	q := api.NewQuery(r.URL.Query())
	lq := q.List()
	writeList(w, r, q, lq, func() (store.Page[crewid.CustomFieldType], error) {
		return h.Store.CustomFieldTypes(r.Context(), c.TenantID, lq)
	}, toCustomFieldType)
}

func (h *Handler) getCustomFieldType(w http.ResponseWriter, r *http.Request, c api.Caller) {
	writeOne(w, r, func(id int64) (crewid.CustomFieldType, error) {
		return h.Store.CustomFieldType(r.Context(), c.TenantID, id)
	}, toCustomFieldType)
}

func (h *Handler) createCustomFieldType(w http.ResponseWriter, r *http.Request, c api.Caller) {
	decodeAnd(w, r, func(req customFieldTypeRequest) (any, error) {
		t := crewid.CustomFieldType{Active: true}
		_ = req.apply(&t)
		created, err := h.Org.CreateCustomFieldType(r.Context(), c.Actor, c.TenantID, t)
		return idResponse{ID: created.ID}, err
	})
}

func (h *Handler) updateCustomFieldType(w http.ResponseWriter, r *http.Request, c api.Caller) {
	withID(w, r, func(id int64) {
		decodeAnd(w, r, func(req customFieldTypeRequest) (any, error) {
			_, err := h.Org.UpdateCustomFieldType(r.Context(), c.Actor, c.TenantID, id, req.apply)
			return idResponse{ID: id}, err
		})
	})
}
