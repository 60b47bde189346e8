package settings

import (
	"net/http"
	"time"

	"crewid"
	"crewid/api"
	"crewid/store"
)

// Teams.

type teamResponse struct {
	ID         int64     `json:"id"`
	Active     bool      `json:"active"`
	Name       *string   `json:"name"`
	CreatedBy  *int64    `json:"createdBy"`
	CreatedOn  time.Time `json:"createdOn"`
	ModifiedOn time.Time `json:"modifiedOn"`
}

type createTeamResponse struct {
	teamResponse
	Created bool `json:"created"`
}

func toTeam(t crewid.Team) teamResponse {
	return teamResponse{ID: t.ID, Active: t.Active, Name: opt(t.Name), CreatedBy: optID(t.CreatedBy),
		CreatedOn: t.CreatedOn, ModifiedOn: t.ModifiedOn}
}

type createTeamRequest struct {
	Active *bool   `json:"active"`
	Name   *string `json:"name"`
}

func (h *Handler) listTeams(w http.ResponseWriter, r *http.Request, c api.Caller) {
	q := api.NewQuery(r.URL.Query())
	lq := q.List()
	// The Dispatch API filters teams with includeInactive, not active.
	lq.Active = store.ActiveTrue
	if q.Bool("includeInactive") {
		lq.Active = store.ActiveAny
	}
	lq.Sort = q.Sort("Id", "Name", "CreatedOn", "ModifiedOn")
	writeList(w, r, q, lq, func() (store.Page[crewid.Team], error) { return h.Store.Teams(r.Context(), c.TenantID, lq) }, toTeam)
}

func (h *Handler) getTeam(w http.ResponseWriter, r *http.Request, c api.Caller) {
	writeOne(w, r, func(id int64) (crewid.Team, error) { return h.Store.Team(r.Context(), c.TenantID, id) }, toTeam)
}

func (h *Handler) createTeam(w http.ResponseWriter, r *http.Request, c api.Caller) {
	decodeAnd(w, r, func(req createTeamRequest) (any, error) {
		if req.Active == nil {
			return nil, crewid.FieldError("active", "Whether the team is active is required.")
		}
		team := crewid.Team{Name: deref(req.Name), Active: *req.Active, CreatedBy: c.Actor.ID}
		created, isNew, err := h.Org.CreateTeam(r.Context(), c.Actor, c.TenantID, team)
		return createTeamResponse{teamResponse: toTeam(created), Created: isNew}, err
	})
}

func (h *Handler) deleteTeam(w http.ResponseWriter, r *http.Request, c api.Caller) {
	withID(w, r, func(id int64) { deleted(w, r, h.Org.DeleteTeam(r.Context(), c.Actor, c.TenantID, id)) })
}

// Zones.

type zoneResponse struct {
	ID                 int64     `json:"id"`
	Active             bool      `json:"active"`
	Name               *string   `json:"name"`
	Zips               []string  `json:"zips"`
	Cities             []string  `json:"cities"`
	TerritoryNumbers   []string  `json:"territoryNumbers"`
	LocnNumbers        []string  `json:"locnNumbers"`
	CreatedBy          int64     `json:"createdBy"`
	CreatedOn          time.Time `json:"createdOn"`
	ModifiedOn         time.Time `json:"modifiedOn"`
	ServiceDaysEnabled bool      `json:"serviceDaysEnabled"`
	ServiceDays        []string  `json:"serviceDays"`
	BusinessUnits      []int64   `json:"businessUnits"`
	Technicians        []int64   `json:"technicians"`
}

func toZone(z crewid.Zone) zoneResponse {
	return zoneResponse{ID: z.ID, Active: z.Active, Name: opt(z.Name), Zips: nonNil(z.Zips), Cities: nonNil(z.Cities),
		TerritoryNumbers: nonNil(z.TerritoryNumbers), LocnNumbers: nonNil(z.LocnNumbers), CreatedBy: z.CreatedBy,
		CreatedOn: z.CreatedOn, ModifiedOn: z.ModifiedOn, ServiceDaysEnabled: z.ServiceDaysEnabled,
		ServiceDays: nonNil(z.ServiceDays), BusinessUnits: nonNil(z.BusinessUnits), Technicians: nonNil(z.Technicians)}
}

type zoneRequest struct {
	Active             api.Optional[bool]     `json:"active"`
	Name               api.Optional[string]   `json:"name"`
	Zips               api.Optional[[]string] `json:"zips"`
	Cities             api.Optional[[]string] `json:"cities"`
	TerritoryNumbers   api.Optional[[]string] `json:"territoryNumbers"`
	LocnNumbers        api.Optional[[]string] `json:"locnNumbers"`
	ServiceDaysEnabled api.Optional[bool]     `json:"serviceDaysEnabled"`
	ServiceDays        api.Optional[[]string] `json:"serviceDays"`
	BusinessUnits      api.Optional[[]int64]  `json:"businessUnits"`
	Technicians        api.Optional[[]int64]  `json:"technicians"`
}

func (req zoneRequest) apply(z *crewid.Zone) error {
	req.Active.Apply(&z.Active)
	req.Name.Apply(&z.Name)
	req.Zips.Apply(&z.Zips)
	req.Cities.Apply(&z.Cities)
	req.TerritoryNumbers.Apply(&z.TerritoryNumbers)
	req.LocnNumbers.Apply(&z.LocnNumbers)
	req.ServiceDaysEnabled.Apply(&z.ServiceDaysEnabled)
	req.ServiceDays.Apply(&z.ServiceDays)
	req.BusinessUnits.Apply(&z.BusinessUnits)
	req.Technicians.Apply(&z.Technicians)
	return nil
}

func (h *Handler) listZones(w http.ResponseWriter, r *http.Request, c api.Caller) {
	q := api.NewQuery(r.URL.Query())
	lq := q.List()
	lq.Sort = q.Sort("Id", "Name", "CreatedOn", "ModifiedOn")
	writeList(w, r, q, lq, func() (store.Page[crewid.Zone], error) { return h.Store.Zones(r.Context(), c.TenantID, lq) }, toZone)
}

func (h *Handler) getZone(w http.ResponseWriter, r *http.Request, c api.Caller) {
	writeOne(w, r, func(id int64) (crewid.Zone, error) { return h.Store.Zone(r.Context(), c.TenantID, id) }, toZone)
}

func (h *Handler) createZone(w http.ResponseWriter, r *http.Request, c api.Caller) {
	decodeAnd(w, r, func(req zoneRequest) (any, error) {
		z := crewid.Zone{Active: true, CreatedBy: c.Actor.ID}
		_ = req.apply(&z)
		created, err := h.Org.CreateZone(r.Context(), c.Actor, c.TenantID, z)
		return idResponse{ID: created.ID}, err
	})
}

func (h *Handler) updateZone(w http.ResponseWriter, r *http.Request, c api.Caller) {
	withID(w, r, func(id int64) {
		decodeAnd(w, r, func(req zoneRequest) (any, error) {
			_, err := h.Org.UpdateZone(r.Context(), c.Actor, c.TenantID, id, req.apply)
			return idResponse{ID: id}, err
		})
	})
}

func (h *Handler) deleteZone(w http.ResponseWriter, r *http.Request, c api.Caller) {
	withID(w, r, func(id int64) { deleted(w, r, h.Org.DeleteZone(r.Context(), c.Actor, c.TenantID, id)) })
}
