package settings

import (
	"net/http"
	"strconv"
	"time"

	"crewid"
	"crewid/api"
	"crewid/store"
)

// API applications: POST apps {name, scopes} registers one and returns its
// credentials (the secret only this once); GET apps and GET apps/{id} show
// them without secrets; PATCH apps/{id} changes name, scopes and active
// (false revokes the application and its tokens); POST apps/{id}/secrets
// adds a second secret for rotation and DELETE apps/{id}/secrets/{secretId}
// removes one. A third live secret is refused with 409 (Conflict): the
// request is valid, the application's current state is what forbids it.

type appSecretResponse struct {
	ID        int64     `json:"id"`
	CreatedOn time.Time `json:"createdOn"`
}

type appResponse struct {
	ID         int64               `json:"id"`
	Name       string              `json:"name"`
	AppKey     string              `json:"appKey"`
	ClientID   string              `json:"clientId"`
	Scopes     []string            `json:"scopes"`
	Active     bool                `json:"active"`
	Secrets    []appSecretResponse `json:"secrets"`
	CreatedOn  time.Time           `json:"createdOn"`
	ModifiedOn time.Time           `json:"modifiedOn"`
}

func toApp(a crewid.App) appResponse {
	out := appResponse{ID: a.ID, Name: a.Name, AppKey: a.AppKey, ClientID: a.ClientID, Scopes: nonNil(a.Scopes),
		Active: a.Active, Secrets: make([]appSecretResponse, len(a.Secrets)), CreatedOn: a.CreatedOn, ModifiedOn: a.ModifiedOn}
	for i, sec := range a.Secrets {
		out.Secrets[i] = appSecretResponse{ID: sec.ID, CreatedOn: sec.CreatedOn}
	}
	return out
}

type appCreateRequest struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
}

type appCreateResponse struct {
	ID           int64  `json:"id"`
	AppKey       string `json:"appKey"`
	ClientID     string `json:"clientId,omitempty"`
	ClientSecret string `json:"clientSecret,omitempty"`
}

type appUpdateRequest struct {
	Name   api.Optional[string]   `json:"name"`
	Scopes api.Optional[[]string] `json:"scopes"`
	Active api.Optional[bool]     `json:"active"`
}

type appSecretCreateResponse struct {
	SecretID     int64  `json:"secretId"`
	ClientSecret string `json:"clientSecret"`
}

func (h *Handler) listApps(w http.ResponseWriter, r *http.Request, c api.Caller) {
	q := api.NewQuery(r.URL.Query())
	lq := q.List()
	writeList(w, r, q, lq, func() (store.Page[crewid.App], error) {
		return h.Apps.List(r.Context(), c.TenantID, lq)
	}, toApp)
}

func (h *Handler) getApp(w http.ResponseWriter, r *http.Request, c api.Caller) {
	writeOne(w, r, func(id int64) (crewid.App, error) { return h.Apps.Get(r.Context(), c.TenantID, id) }, toApp)
}

func (h *Handler) createApp(w http.ResponseWriter, r *http.Request, c api.Caller) {
	decodeAnd(w, r, func(req appCreateRequest) (any, error) {
		app, secret, err := h.Apps.Create(r.Context(), c.Actor, c.TenantID, req.Name, req.Scopes)
		res := appCreateResponse{ID: app.ID, AppKey: app.AppKey}
		if secret != "" {
			// Only who may connect the application sees its client id.
			res.ClientID, res.ClientSecret = app.ClientID, secret
		}
		return res, err
	})
}

func (h *Handler) updateApp(w http.ResponseWriter, r *http.Request, c api.Caller) {
	withID(w, r, func(id int64) {
		decodeAnd(w, r, func(req appUpdateRequest) (any, error) {
			p := crewid.Problems{}
			for field, null := range map[string]bool{"name": req.Name.Null, "scopes": req.Scopes.Null, "active": req.Active.Null} {
				if null {
					p.Add(field, "Leave the field out to keep it; it cannot be null.")
				}
			}
			if err := p.Err(); err != nil {
				return nil, err
			}
			var name *string
			var scopes *[]string
			var active *bool
			if req.Name.Set {
				name = &req.Name.Value
			}
			if req.Scopes.Set {
				scopes = &req.Scopes.Value
			}
			if req.Active.Set {
				active = &req.Active.Value
			}
			app, err := h.Apps.Update(r.Context(), c.Actor, c.TenantID, id, name, scopes, active)
			return toApp(app), err
		})
	})
}

func (h *Handler) addAppSecret(w http.ResponseWriter, r *http.Request, c api.Caller) {
	withID(w, r, func(id int64) {
		secretID, secret, err := h.Apps.AddSecret(r.Context(), c.Actor, c.TenantID, id)
		if err != nil {
			api.WriteError(w, r, err)
			return
		}
		api.WriteJSON(w, appSecretCreateResponse{SecretID: secretID, ClientSecret: secret})
	})
}

func (h *Handler) deleteAppSecret(w http.ResponseWriter, r *http.Request, c api.Caller) {
	withID(w, r, func(id int64) {
		secretID, err := strconv.ParseInt(r.PathValue("secretId"), 10, 64)
		if err != nil || secretID <= 0 {
			api.WriteError(w, r, crewid.FieldError("secretId", "The secret id must be a positive whole number."))
			return
		}
		deleted(w, r, h.Apps.DeleteSecret(r.Context(), c.Actor, c.TenantID, id, secretID))
	})
}
