// Package server assembles crewid's services and HTTP interfaces into one
// handler. It reads no flags or environment: cmd/crewid passes a Config.
package server

import (
	"net/http"
	"strings"
	"time"

	"crewid/access"
	"crewid/accounts"
	"crewid/accounts/invite"
	"crewid/api"
	"crewid/api/auth"
	"crewid/api/oauth"
	apiscim "crewid/api/scim"
	"crewid/api/settings"
	"crewid/apps"
	"crewid/notify"
	"crewid/org"
	"crewid/people"
	"crewid/scim"
	"crewid/sso"
	"crewid/store"
	"crewid/web"
	"crewid/webhooks"
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
	// them (no SMTP or SMS configured). It is ignored when Email or SMS is
	// set. With neither set and LocalOutbox false, messages are queued for
	// the workers of other processes (the command line's one-off commands
	// do that when the server has a provider configured).
	LocalOutbox bool
	// Email and SMS deliver the outbox (see package notify); nil leaves a
	// channel undelivered. With either set, New builds a Worker (Server.Notify)
	// for the caller to Run, and a message of a channel without a sender is
	// written to the local outbox instead of being queued.
	Email notify.Sender
	SMS   notify.Sender
	// MessageLease and MessageRetry tune the worker: how long it holds a
	// claimed batch of messages, and the wait before the first retry of a
	// failed message (doubling to an hour). Zero means the defaults of
	// package notify.
	MessageLease time.Duration
	MessageRetry time.Duration
	// WorkerOwner names the worker in leases; empty means notify.NewOwner().
	WorkerOwner string
	// SignInRate is how many sign-in and password-reset attempts a client
	// address may make a minute on this node; 0 means no limit.
	SignInRate int
	// Accounts are the sign-in rules (lockout threshold and duration,
	// token lifetimes …); zero fields take the defaults of package accounts.
	Accounts accounts.Config
	// SSOClient reaches the tenants' single sign-on providers; nil means
	// a client with a 15-second timeout.
	SSOClient *http.Client
	// AllowPrivateWebhooks lets webhook URLs resolve to loopback and
	// private addresses; by default they are refused, when subscribing
	// and when connecting.
	AllowPrivateWebhooks bool
}

// Server holds the services and the HTTP handler built from a Config.
type Server struct {
	Config   Config
	People   *people.Service
	Org      *org.Service
	Apps     *apps.Service
	Keys     *apps.Keys
	Access   *access.Authorizer
	Invites  *invite.Service
	Accounts *accounts.Service
	Handler  http.Handler
	// Notify delivers the outbox; nil when Config has no sender. New does
	// not start it: the caller runs it (crewid serve does) and may tune it
	// before that.
	Notify *notify.Worker
	// SSO signs people in through their company's identity provider.
	SSO *sso.Service
	// Webhooks manages webhook subscriptions; WebhookWorker delivers them.
	// New does not start the worker: the caller runs it (crewid serve
	// does) and may tune it before that.
	Webhooks      *webhooks.Service
	WebhookWorker *webhooks.Worker
}

// New builds the services and routes.
func New(cfg Config) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if cfg.Email != nil || cfg.SMS != nil {
		cfg.LocalOutbox = false
	}
	s := &Server{Config: cfg}
	if cfg.Email != nil || cfg.SMS != nil {
		s.Notify = &notify.Worker{Store: cfg.Store, Email: cfg.Email, SMS: cfg.SMS, Now: cfg.Now,
			Owner: cfg.WorkerOwner, Lease: cfg.MessageLease}
		if cfg.MessageRetry > 0 {
			s.Notify.Backoff = notify.ExponentialBackoff(cfg.MessageRetry, notify.DefaultMaxRetry)
		}
		// The services enqueue through the router: per channel local or
		// queued, and the worker woken after each commit that queued one.
		// s.Config.Store stays the store itself.
		cfg.Store = notify.Routed(cfg.Store, s.Notify)
	}
	// Every change may queue webhook deliveries (history events do): the
	// worker is woken after each commit that queued some.
	s.WebhookWorker = &webhooks.Worker{Encode: settings.EventJSON, AllowPrivate: cfg.AllowPrivateWebhooks,
		Now: cfg.Now, Owner: cfg.WorkerOwner}
	cfg.Store = webhooks.Waking(cfg.Store, s.WebhookWorker)
	s.WebhookWorker.Store = cfg.Store
	s.Webhooks = &webhooks.Service{Store: cfg.Store, Now: cfg.Now, AllowPrivate: cfg.AllowPrivateWebhooks}
	s.Keys = apps.NewKeys(cfg.Store, cfg.Now)
	s.Apps = &apps.Service{Store: cfg.Store, Keys: s.Keys, Now: cfg.Now, Issuer: cfg.PublicURL, Environment: cfg.Environment}
	s.Invites = &invite.Service{Store: cfg.Store, Now: cfg.Now, PublicURL: cfg.PublicURL, Local: cfg.LocalOutbox}
	s.People = &people.Service{Store: cfg.Store, Now: cfg.Now, Inviter: s.Invites}
	s.Org = &org.Service{Store: cfg.Store, Now: cfg.Now}
	s.Accounts = &accounts.Service{Store: cfg.Store, Keys: s.Keys, Invites: s.Invites, Now: cfg.Now,
		Issuer: cfg.PublicURL, Environment: cfg.Environment, PublicURL: cfg.PublicURL, LocalOutbox: cfg.LocalOutbox,
		Config: cfg.Accounts}

	s.SSO = &sso.Service{Store: cfg.Store, Accounts: s.Accounts, HTTPClient: cfg.SSOClient, Now: cfg.Now, PublicURL: cfg.PublicURL}

	mux := http.NewServeMux()
	oauth.Routes(mux, s.Apps, s.Keys)
	s.Access = &access.Authorizer{Store: cfg.Store, Now: cfg.Now}
	(&settings.Handler{Store: cfg.Store, People: s.People, Org: s.Org, Auth: callers{s.Apps, s.Accounts}, Now: cfg.Now,
		Accounts: s.Accounts, Invites: s.Invites, Access: s.Access, Apps: s.Apps, Webhooks: s.Webhooks, SSO: s.SSO}).Register(mux)
	limiter := auth.NewLimiter(cfg.SignInRate)
	(&auth.Handler{Accounts: s.Accounts, Limiter: limiter, Now: cfg.Now}).Register(mux)
	(&apiscim.Handler{SCIM: &scim.Service{Store: cfg.Store, People: s.People, Org: s.Org, Now: cfg.Now},
		Auth: s.Apps, PublicURL: cfg.PublicURL}).Register(mux)
	// The web console shares the sign-in limiter; its paths (/, /signin,
	// /static/ …) are apart from the APIs'. It finishes the single
	// sign-ons it started, to set its session cookies.
	console := &web.Console{Store: cfg.Store, People: s.People, Org: s.Org, Accounts: s.Accounts, Invites: s.Invites,
		Apps: s.Apps, Webhooks: s.Webhooks, SSO: s.SSO, Access: s.Access,
		Environment: cfg.Environment, PublicURL: cfg.PublicURL, Limiter: limiter, Now: cfg.Now}
	(&auth.SSOHandler{SSO: s.SSO, Limiter: limiter, Handoff: console.FinishSSO}).Register(mux)
	console.Register(mux)
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
