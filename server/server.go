// Package server assembles crewid's services and HTTP interfaces into one
// handler. It reads no flags or environment: cmd/crewid passes a Config.
package server

import (
	"context"
	"net/http"
	"strings"
	"time"

	"crewid"
	"crewid/accounts/invite"
	"crewid/api"
	"crewid/api/oauth"
	"crewid/api/settings"
	"crewid/apps"
	"crewid/org"
	"crewid/people"
	"crewid/store"
)

// Config is what the server needs from its environment.
type Config struct {
	Store store.Store
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// PublicURL is the base of links in messages and the token issuer.
	PublicURL string
	// Environment is "production" or "integration"; tokens carry it.
	Environment string
	// LocalOutbox keeps messages in the local outbox instead of sending
	// them (no SMTP or SMS configured).
	LocalOutbox bool
}

// Server holds the services and the HTTP handler built from a Config.
type Server struct {
	Config  Config
	People  *people.Service
	Org     *org.Service
	Apps    *apps.Service
	Keys    *apps.Keys
	Invites *invite.Service
	Handler http.Handler
}

// New builds the services and routes.
func New(cfg Config) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	s := &Server{Config: cfg}
	s.Keys = apps.NewKeys(cfg.Store, cfg.Now)
	s.Apps = &apps.Service{Store: cfg.Store, Keys: s.Keys, Now: cfg.Now, Issuer: cfg.PublicURL, Environment: cfg.Environment}
	s.Invites = &invite.Service{Store: cfg.Store, Now: cfg.Now, PublicURL: cfg.PublicURL, Local: cfg.LocalOutbox}
	s.People = &people.Service{Store: cfg.Store, Now: cfg.Now, Inviter: s.Invites}
	s.Org = &org.Service{Store: cfg.Store, Now: cfg.Now}

	mux := http.NewServeMux()
	oauth.Routes(mux, s.Apps, s.Keys)
	(&settings.Handler{Store: cfg.Store, People: s.People, Org: s.Org, Auth: appAuth{s.Apps}, Now: cfg.Now}).Register(mux)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if _, err := cfg.Store.Tenants(r.Context()); err != nil {
			api.WriteError(w, r, err)
			return
		}
		api.WriteJSON(w, map[string]string{"status": "ok"})
	})
	s.Handler = api.Base(routeOr404(mux))
	return s
}

// routeOr404 answers requests no route matches in the contract's error
// format instead of the mux's plain text.
func routeOr404(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "" {
			if allowed := allowedMethods(mux, r); allowed != "" {
				api.MethodNotAllowed(w, r, allowed)
				return
			}
			api.NotFound(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// allowedMethods lists the methods that have a route for r's path.
func allowedMethods(mux *http.ServeMux, r *http.Request) string {
	var allowed []string
	for _, m := range []string{"GET", "POST", "PATCH", "PUT", "DELETE"} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); pattern != "" {
			allowed = append(allowed, m)
		}
	}
	return strings.Join(allowed, ", ")
}

// appAuth authenticates application tokens for the Settings API.
type appAuth struct{ apps *apps.Service }

func (a appAuth) Authenticate(ctx context.Context, token, appKey string) (api.Caller, error) {
	claims, err := a.apps.Authenticate(ctx, token, appKey)
	if err != nil {
		return api.Caller{}, err
	}
	return api.Caller{
		TenantID: claims.TenantID,
		Actor:    crewid.Actor{Type: crewid.ActorApplication, ID: claims.AppID, Name: claims.AppName},
		Scopes:   claims.Scopes,
	}, nil
}
