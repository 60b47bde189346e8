package settings

import (
	"context"
	"net/http"
	"strconv"

	"crewid"
	"crewid/api"
	"crewid/store"
)

// roleMap loads the tenant's roles, to compute effective permissions.
func (h *Handler) roleMap(ctx context.Context, tenantID int64) (map[int64]crewid.Role, error) {
	page, err := h.Store.Roles(ctx, tenantID, store.RoleQuery{ListQuery: store.ListQuery{Active: store.ActiveAny, PageSize: 5000}})
	if err != nil {
		return nil, err
	}
	roles := make(map[int64]crewid.Role, len(page.Items))
	for _, r := range page.Items {
		roles[r.ID] = r
	}
	return roles, nil
}

// personConverter returns the wire form for people of kind.
func (h *Handler) personConverter(ctx context.Context, tenantID int64, kind crewid.Kind) (func(crewid.Person) any, error) {
	roles, err := h.roleMap(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	now := h.Now()
	if kind == crewid.KindEmployee {
		return func(p crewid.Person) any { return toEmployee(roles, p, now) }, nil
	}
	return func(p crewid.Person) any { return toTechnician(roles, p, now) }, nil
}

func (h *Handler) listPeople(kind crewid.Kind) func(http.ResponseWriter, *http.Request, api.Caller) {
	return func(w http.ResponseWriter, r *http.Request, c api.Caller) {
		q := api.NewQuery(r.URL.Query())
		pq := store.PersonQuery{
			ListQuery:      q.List(),
			Kind:           kind,
			UserIDs:        q.IDs("userIds"),
			RoleID:         q.Int64("roleId"),
			BusinessUnitID: q.Int64("businessUnitId"),
			TeamID:         q.Int64("teamId"),
		}
		if err := q.Err(); err != nil {
			api.WriteError(w, r, err)
			return
		}
		page, err := h.Store.People(r.Context(), c.TenantID, pq)
		if err != nil {
			api.WriteError(w, r, err)
			return
		}
		conv, err := h.personConverter(r.Context(), c.TenantID, kind)
		if err != nil {
			api.WriteError(w, r, err)
			return
		}
		api.WriteJSON(w, toPaginated(pq.ListQuery, page, conv))
	}
}

func (h *Handler) getPerson(kind crewid.Kind) func(http.ResponseWriter, *http.Request, api.Caller) {
	return func(w http.ResponseWriter, r *http.Request, c api.Caller) {
		id, err := pathID(r)
		if err != nil {
			api.WriteError(w, r, err)
			return
		}
		p, err := h.People.Get(r.Context(), c.TenantID, kind, id)
		if err != nil {
			api.WriteError(w, r, err)
			return
		}
		conv, err := h.personConverter(r.Context(), c.TenantID, kind)
		if err != nil {
			api.WriteError(w, r, err)
			return
		}
		api.WriteJSON(w, conv(p))
	}
}

type idResponse struct {
	ID int64 `json:"id"`
}

func (h *Handler) createPerson(kind crewid.Kind) func(http.ResponseWriter, *http.Request, api.Caller) {
	return func(w http.ResponseWriter, r *http.Request, c api.Caller) {
		var req personCreateRequest
		if err := api.Decode(r, &req); err != nil {
			api.WriteError(w, r, err)
			return
		}
		person, setup, err := fromCreate(kind, c.TenantID, req)
		if err != nil {
			api.WriteError(w, r, err)
			return
		}
		created, err := h.People.Create(r.Context(), c.Actor, person, setup)
		if err != nil {
			api.WriteError(w, r, err)
			return
		}
		api.WriteJSON(w, idResponse{ID: created.ID})
	}
}

func (h *Handler) updatePerson(kind crewid.Kind) func(http.ResponseWriter, *http.Request, api.Caller) {
	return func(w http.ResponseWriter, r *http.Request, c api.Caller) {
		id, err := pathID(r)
		if err != nil {
			api.WriteError(w, r, err)
			return
		}
		var req personUpdateRequest
		if err := api.Decode(r, &req); err != nil {
			api.WriteError(w, r, err)
			return
		}
		_, err = h.People.Update(r.Context(), c.Actor, c.TenantID, kind, id, func(p *crewid.Person) error {
			return applyUpdate(p, req)
		})
		if err != nil {
			api.WriteError(w, r, err)
			return
		}
		api.WriteJSON(w, idResponse{ID: id})
	}
}

// accountActionRequest is the body of an account action.
type accountActionRequest struct {
	Action      string `json:"action"`
	LicenseType string `json:"licenseType"`
	TruckID     int64  `json:"truckId"`
}

type accountActionResponse struct {
	Status string `json:"status"`
}

func (h *Handler) accountAction(kind crewid.Kind) func(http.ResponseWriter, *http.Request, api.Caller) {
	return func(w http.ResponseWriter, r *http.Request, c api.Caller) {
		id, err := pathID(r)
		if err != nil {
			api.WriteError(w, r, err)
			return
		}
		var req accountActionRequest
		if err := api.Decode(r, &req); err != nil {
			api.WriteError(w, r, err)
			return
		}
		if err := h.doAccountAction(r.Context(), c, kind, id, req.Action, crewid.LicenseType(req.LicenseType), req.TruckID); err != nil {
			api.WriteError(w, r, err)
			return
		}
		api.WriteJSON(w, accountActionResponse{Status: "Success"})
	}
}

func (h *Handler) doAccountAction(ctx context.Context, c api.Caller, kind crewid.Kind, id int64, action string, license crewid.LicenseType, truckID int64) error {
	switch action {
	case "Activate":
		return h.People.Activate(ctx, c.Actor, c.TenantID, kind, id, license, truckID)
	case "Deactivate":
		return h.People.Deactivate(ctx, c.Actor, c.TenantID, kind, id)
	case "":
		return crewid.FieldError("action", "An action is required.")
	}
	return crewid.FieldError("action", "Unknown action '"+action+"'; this server supports Activate and Deactivate.")
}

// bulkActionRequest applies one action to many people.
type bulkActionRequest struct {
	Action       string            `json:"action"`
	IDs          []int64           `json:"ids"`
	LicenseTypes map[string]string `json:"licenseTypes"`
	TruckIDs     map[string]int64  `json:"truckIds"`
}

type bulkResult struct {
	ID     int64              `json:"id"`
	Status string             `json:"status"`
	Error  *api.ErrorResponse `json:"error,omitempty"`
}

type bulkResponse struct {
	Results []bulkResult `json:"results"`
}

const maxBulk = 1000

func (h *Handler) bulkAccountAction(kind crewid.Kind) func(http.ResponseWriter, *http.Request, api.Caller) {
	return func(w http.ResponseWriter, r *http.Request, c api.Caller) {
		var req bulkActionRequest
		if err := api.Decode(r, &req); err != nil {
			api.WriteError(w, r, err)
			return
		}
		problems := crewid.Problems{}
		if req.Action == "" {
			problems.Add("action", "An action is required.")
		}
		if len(req.IDs) == 0 || len(req.IDs) > maxBulk {
			problems.Add("ids", "Give from 1 to 1000 ids.")
		}
		if err := problems.Err(); err != nil {
			api.WriteError(w, r, err)
			return
		}
		out := bulkResponse{Results: make([]bulkResult, 0, len(req.IDs))}
		for _, id := range req.IDs {
			key := strconv.FormatInt(id, 10)
			err := h.doAccountAction(r.Context(), c, kind, id, req.Action, crewid.LicenseType(req.LicenseTypes[key]), req.TruckIDs[key])
			res := bulkResult{ID: id, Status: "Success"}
			if err != nil {
				if crewid.CodeOf(err) == crewid.Internal {
					api.WriteError(w, r, err)
					return
				}
				problem := api.Problem(r, err)
				res.Status, res.Error = "Failed", &problem
			}
			out.Results = append(out.Results, res)
		}
		api.WriteJSON(w, out)
	}
}

func (h *Handler) exportPeople(kind crewid.Kind) func(http.ResponseWriter, *http.Request, api.Caller) {
	return func(w http.ResponseWriter, r *http.Request, c api.Caller) {
		eq, err := exportQuery(r)
		if err != nil {
			api.WriteError(w, r, err)
			return
		}
		batch, err := h.Store.ExportPeople(r.Context(), c.TenantID, kind, eq)
		if err != nil {
			api.WriteError(w, r, err)
			return
		}
		conv, err := h.personConverter(r.Context(), c.TenantID, kind)
		if err != nil {
			api.WriteError(w, r, err)
			return
		}
		api.WriteJSON(w, toExported(batch, conv))
	}
}
