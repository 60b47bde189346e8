package settings

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"crewid"
	"crewid/api"
)

// Single sign-on configuration of the tenant (an extension):
//
//	GET /settings/v2/tenant/{tenant}/sso  (settings.read)
//	PUT /settings/v2/tenant/{tenant}/sso  (settings.write)
//
// PUT replaces the whole configuration. The client secret is write-only:
// responses say only whether one is set, and a PUT without one keeps it.

type ssoConfigResponse struct {
	IssuerURL           string     `json:"issuerUrl"`
	ClientID            string     `json:"clientId"`
	ClientSecretSet     bool       `json:"clientSecretSet"`
	Scopes              []string   `json:"scopes"`
	UserIDClaim         string     `json:"userIdClaim"`
	EmailClaim          string     `json:"emailClaim"`
	TrustEmail          bool       `json:"trustEmail"`
	Enabled             bool       `json:"enabled"`
	RequireForEmployees bool       `json:"requireForEmployees"`
	RedirectURI         string     `json:"redirectUri"`
	StartURL            string     `json:"startUrl"`
	CreatedOn           *time.Time `json:"createdOn"`
	ModifiedOn          *time.Time `json:"modifiedOn"`
}

type ssoConfigRequest struct {
	IssuerURL           string   `json:"issuerUrl"`
	ClientID            string   `json:"clientId"`
	ClientSecret        string   `json:"clientSecret"`
	Scopes              []string `json:"scopes"`
	UserIDClaim         string   `json:"userIdClaim"`
	EmailClaim          string   `json:"emailClaim"`
	TrustEmail          bool     `json:"trustEmail"`
	Enabled             bool     `json:"enabled"`
	RequireForEmployees bool     `json:"requireForEmployees"`
}

func (h *Handler) ssoResponse(cfg crewid.SSOConfig) ssoConfigResponse {
	out := ssoConfigResponse{
		IssuerURL: cfg.IssuerURL, ClientID: cfg.ClientID, ClientSecretSet: cfg.ClientSecret != "",
		Scopes: cfg.Scopes, UserIDClaim: cfg.UserIDClaim, EmailClaim: cfg.EmailClaim, TrustEmail: cfg.TrustEmail,
		Enabled: cfg.Enabled, RequireForEmployees: cfg.RequireForEmployees,
		RedirectURI: h.SSO.CallbackURL(),
		StartURL:    strings.TrimRight(h.SSO.PublicURL, "/") + "/auth/sso/" + strconv.FormatInt(cfg.TenantID, 10) + "/start",
	}
	if out.Scopes == nil {
		out.Scopes = []string{}
	}
	if !cfg.CreatedOn.IsZero() {
		c, m := cfg.CreatedOn.UTC(), cfg.ModifiedOn.UTC()
		out.CreatedOn, out.ModifiedOn = &c, &m
	}
	return out
}

func (h *Handler) getSSO(w http.ResponseWriter, r *http.Request, c api.Caller) {
	cfg, err := h.SSO.Config(r.Context(), c.TenantID)
	if err != nil {
		api.WriteError(w, r, err)
		return
	}
	api.WriteJSON(w, h.ssoResponse(cfg))
}

func (h *Handler) putSSO(w http.ResponseWriter, r *http.Request, c api.Caller) {
	var req ssoConfigRequest
	if err := api.Decode(r, &req); err != nil {
		api.WriteError(w, r, err)
		return
	}
	cfg, err := h.SSO.PutConfig(r.Context(), c.Actor, c.TenantID, crewid.SSOConfig{
		IssuerURL: req.IssuerURL, ClientID: req.ClientID, ClientSecret: req.ClientSecret, Scopes: req.Scopes,
		UserIDClaim: req.UserIDClaim, EmailClaim: req.EmailClaim, TrustEmail: req.TrustEmail,
		Enabled: req.Enabled, RequireForEmployees: req.RequireForEmployees,
	})
	if err != nil {
		api.WriteError(w, r, err)
		return
	}
	api.WriteJSON(w, h.ssoResponse(cfg))
}
