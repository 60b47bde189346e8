package settings

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"strconv"

	"crewid"
	"crewid/accounts"
	"crewid/api"
	"crewid/store"
)

// roleMap loads the roles the given people hold (active or not), to
// compute their effective permissions: only those, not every role of the
// tenant, since a page rarely holds them all and one person holds one or two.
func (h *Handler) roleMap(ctx context.Context, tenantID int64, people []crewid.Person) (map[int64]crewid.Role, error) {
	seen := map[int64]bool{}
	var ids []int64
	for _, p := range people {
		for _, id := range p.RoleIDs {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		return map[int64]crewid.Role{}, nil
	}
	page, err := h.Store.Roles(ctx, tenantID, store.RoleQuery{ListQuery: store.ListQuery{IDs: ids, Active: store.ActiveAny, PageSize: len(ids)}})
	if err != nil {
		return nil, err
	}
	roles := make(map[int64]crewid.Role, len(page.Items))
	for _, r := range page.Items {
		roles[r.ID] = r
	}
	return roles, nil
}

// personConverter returns the wire form for people of kind, for the given
// people (whose roles it loads).
func (h *Handler) personConverter(ctx context.Context, tenantID int64, kind crewid.Kind, people []crewid.Person) (func(crewid.Person) any, error) {
	roles, err := h.roleMap(ctx, tenantID, people)
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
		conv, err := h.personConverter(r.Context(), c.TenantID, kind, page.Items)
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
		conv, err := h.personConverter(r.Context(), c.TenantID, kind, []crewid.Person{p})
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
		if err := h.requireAll(r, c, createPermissions(setup, req)...); err != nil {
			api.WriteError(w, r, err)
			return
		}
		created, err := h.People.Create(r.Context(), c.Actor, person, setup)
		if err != nil {
			api.WriteError(w, r, h.refused(r, c, asSent(err, req.RoleIDs == nil && req.RoleID != nil)))
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
		if err := h.requireAll(r, c, updatePermissions(req)...); err != nil {
			api.WriteError(w, r, err)
			return
		}
		_, err = h.People.Update(r.Context(), c.Actor, c.TenantID, kind, id, func(p *crewid.Person) error {
			return applyUpdate(p, req)
		})
		if err != nil {
			api.WriteError(w, r, h.refused(r, c, asSent(err, !req.RoleIDs.Set && req.RoleID.Set)))
			return
		}
		api.WriteJSON(w, idResponse{ID: id})
	}
}

// asSent names a problem with the person's roles after the field the
// request used: roleId (the document's single role) when it sent that and
// not roleIds.
func asSent(err error, sentRoleID bool) error {
	var e *crewid.Error
	if !sentRoleID || !errors.As(err, &e) || len(e.Fields["roleIds"]) == 0 {
		return err
	}
	renamed := *e
	renamed.Fields = maps.Clone(e.Fields)
	renamed.Fields["roleId"] = append(renamed.Fields["roleId"], renamed.Fields["roleIds"]...)
	delete(renamed.Fields, "roleIds")
	return &renamed
}

// accountActionRequest is the body of an account action. Login and
// Password are for SetLoginAndPassword and SetTemporaryPassword.
type accountActionRequest struct {
	Action      string `json:"action"`
	LicenseType string `json:"licenseType"`
	TruckID     int64  `json:"truckId"`
	Login       string `json:"login"`
	Password    string `json:"password"`
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
		if err := h.requireAll(r, c, actionPermission(req.Action)); err != nil {
			api.WriteError(w, r, err)
			return
		}
		if err := h.takeAccountAction(r.Context(), c, kind, id, req); err != nil {
			api.WriteError(w, r, err)
			return
		}
		api.WriteJSON(w, accountActionResponse{Status: "Success"})
	}
}

// takeAccountAction takes req on person id's account as the caller.
func (h *Handler) takeAccountAction(ctx context.Context, c api.Caller, kind crewid.Kind, id int64, req accountActionRequest) error {
	taker := accounts.ActionTaker{People: h.People, Accounts: h.Accounts}
	return taker.Take(ctx, c.Actor, c.TenantID, kind, id, accounts.ActionRequest{
		Action: accounts.Action(req.Action), License: crewid.LicenseType(req.LicenseType), TruckID: req.TruckID,
		Login: req.Login, Password: req.Password,
	})
}

// actionPermission is what the caller needs for action; nothing for an
// unknown one, which Take refuses as invalid.
func actionPermission(action string) int64 {
	perm, _ := accounts.Action(action).Permission()
	return perm
}

// bulkActionRequest applies one action to many people. Login and Password
// are given to each (a login can of course be taken only once).
type bulkActionRequest struct {
	Action       string            `json:"action"`
	IDs          []int64           `json:"ids"`
	LicenseTypes map[string]string `json:"licenseTypes"`
	TruckIDs     map[string]int64  `json:"truckIds"`
	Login        string            `json:"login"`
	Password     string            `json:"password"`
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
		if err := h.requireAll(r, c, actionPermission(req.Action)); err != nil {
			api.WriteError(w, r, err)
			return
		}
		out := bulkResponse{Results: make([]bulkResult, 0, len(req.IDs))}
		for _, id := range req.IDs {
			key := strconv.FormatInt(id, 10)
			err := h.takeAccountAction(r.Context(), c, kind, id, accountActionRequest{
				Action: req.Action, LicenseType: req.LicenseTypes[key], TruckID: req.TruckIDs[key],
				Login: req.Login, Password: req.Password,
			})
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
		conv, err := h.personConverter(r.Context(), c.TenantID, kind, batch.Items)
		if err != nil {
			api.WriteError(w, r, err)
			return
		}
		api.WriteJSON(w, toExported(batch, conv))
	}
}
