// Package settings serves the Settings API (/settings/v2) and the Dispatch
// API's teams and zones (/dispatch/v2), wire-compatible with the published
// documents, plus crewid's extensions in the same style.
package settings

import (
	"context"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

	"crewid"
	"crewid/access"
	"crewid/accounts"
	"crewid/accounts/invite"
	"crewid/api"
	"crewid/apps"
	"crewid/org"
	"crewid/people"
	"crewid/sso"
	"crewid/store"
	"crewid/webhooks"
)

// Authenticator turns a request's credentials into a caller.
type Authenticator interface {
	// Authenticate checks a bearer token and, for applications, the
	// application key sent with it.
	Authenticate(ctx context.Context, token, appKey string) (api.Caller, error)
}

// Handler serves the Settings and Dispatch APIs.
type Handler struct {
	Store  store.Store
	People *people.Service
	Org    *org.Service
	Auth   Authenticator
	Now    func() time.Time
	// Accounts and Invites back the account actions on credentials.
	Accounts *accounts.Service
	Invites  *invite.Service
	// Access resolves people's permissions and records refusals.
	Access *access.Authorizer
	// SSO keeps the tenant's single sign-on configuration.
	SSO *sso.Service
	// Webhooks manages webhook subscriptions.
	Webhooks *webhooks.Service
	// Apps manages API applications (the apps resource).
	Apps *apps.Service
}

// Route is one operation: its pattern, the application scope it needs, the
// permission a signed-in person needs (a catalog id, access.AnyPerson, or
// access.PerRequest when the handler decides by what is asked) and the
// handler. Every route is listed in Routes so access rules can be checked
// route by route.
type Route struct {
	Method     string
	Pattern    string
	Scope      string
	Permission int64
	Handle     func(w http.ResponseWriter, r *http.Request, c api.Caller)
}

// Scopes an application token may carry for these APIs (defined, with
// what each covers, in package apps).
const (
	ScopePeopleRead    = apps.ScopePeopleRead
	ScopePeopleWrite   = apps.ScopePeopleWrite
	ScopeRoles         = apps.ScopeRoles
	ScopeSettingsRead  = apps.ScopeSettingsRead
	ScopeSettingsWrite = apps.ScopeSettingsWrite
	ScopeHistory       = apps.ScopeHistory
	ScopeWebhooks      = apps.ScopeWebhooks
	ScopeApps          = apps.ScopeApps
)

const (
	settingsBase = "/settings/v2/tenant/{tenant}"
	dispatchBase = "/dispatch/v2/tenant/{tenant}"
)

// Routes lists every operation served.
func (h *Handler) Routes() []Route {
	return []Route{
		{"GET", settingsBase + "/employees", ScopePeopleRead, access.PermViewEmployees, h.listPeople(crewid.KindEmployee)},
		{"POST", settingsBase + "/employees", ScopePeopleWrite, access.PermEditEmployee, h.createPerson(crewid.KindEmployee)},
		{"GET", settingsBase + "/employees/{id}", ScopePeopleRead, access.PermViewEmployees, h.getPerson(crewid.KindEmployee)},
		{"PATCH", settingsBase + "/employees/{id}", ScopePeopleWrite, access.PermEditEmployee, h.updatePerson(crewid.KindEmployee)},
		{"POST", settingsBase + "/employees/{id}/account-actions", ScopePeopleWrite, access.PerRequest, h.accountAction(crewid.KindEmployee)},
		{"POST", settingsBase + "/employees/account-actions", ScopePeopleWrite, access.PerRequest, h.bulkAccountAction(crewid.KindEmployee)},
		{"GET", settingsBase + "/export/employees", ScopePeopleRead, access.PermViewEmployees, h.exportPeople(crewid.KindEmployee)},

		{"GET", settingsBase + "/technicians", ScopePeopleRead, access.PermViewEmployees, h.listPeople(crewid.KindTechnician)},
		{"POST", settingsBase + "/technicians", ScopePeopleWrite, access.PermEditEmployee, h.createPerson(crewid.KindTechnician)},
		{"GET", settingsBase + "/technicians/{id}", ScopePeopleRead, access.PermViewEmployees, h.getPerson(crewid.KindTechnician)},
		{"PATCH", settingsBase + "/technicians/{id}", ScopePeopleWrite, access.PermEditEmployee, h.updatePerson(crewid.KindTechnician)},
		{"POST", settingsBase + "/technicians/{id}/account-actions", ScopePeopleWrite, access.PerRequest, h.accountAction(crewid.KindTechnician)},
		{"POST", settingsBase + "/technicians/account-actions", ScopePeopleWrite, access.PerRequest, h.bulkAccountAction(crewid.KindTechnician)},
		{"GET", settingsBase + "/export/technicians", ScopePeopleRead, access.PermViewEmployees, h.exportPeople(crewid.KindTechnician)},

		{"GET", settingsBase + "/user-roles", ScopePeopleRead, access.AnyPerson, h.listRoles},
		{"POST", settingsBase + "/user-roles", ScopeRoles, access.PermManageRoles, h.createRole},
		{"GET", settingsBase + "/user-roles/{id}", ScopePeopleRead, access.AnyPerson, h.getRole},
		{"PATCH", settingsBase + "/user-roles/{id}", ScopeRoles, access.PermManageRoles, h.updateRole},
		{"DELETE", settingsBase + "/user-roles/{id}", ScopeRoles, access.PermManageRoles, h.deleteRole},
		{"GET", settingsBase + "/permissions", ScopePeopleRead, access.AnyPerson, h.listPermissions},

		{"GET", settingsBase + "/business-units", ScopeSettingsRead, access.AnyPerson, h.listBusinessUnits},
		{"POST", settingsBase + "/business-units", ScopeSettingsWrite, access.PermManageBusinessUnits, h.createBusinessUnit},
		{"GET", settingsBase + "/business-units/{id}", ScopeSettingsRead, access.AnyPerson, h.getBusinessUnit},
		{"PATCH", settingsBase + "/business-units/{id}", ScopeSettingsWrite, access.PermManageBusinessUnits, h.updateBusinessUnit},
		{"DELETE", settingsBase + "/business-units/{id}", ScopeSettingsWrite, access.PermManageBusinessUnits, h.deleteBusinessUnit},
		{"GET", settingsBase + "/export/business-units", ScopeSettingsRead, access.AnyPerson, h.exportBusinessUnits},

		{"GET", settingsBase + "/tag-types", ScopeSettingsRead, access.AnyPerson, h.listTagTypes},
		{"POST", settingsBase + "/tag-types", ScopeSettingsWrite, access.PermManageTagTypes, h.createTagType},
		{"GET", settingsBase + "/tag-types/{id}", ScopeSettingsRead, access.AnyPerson, h.getTagType},
		{"PATCH", settingsBase + "/tag-types/{id}", ScopeSettingsWrite, access.PermManageTagTypes, h.updateTagType},
		{"GET", settingsBase + "/export/tag-types", ScopeSettingsRead, access.AnyPerson, h.exportTagTypes},

		{"GET", settingsBase + "/custom-field-types", ScopeSettingsRead, access.AnyPerson, h.listCustomFieldTypes},
		{"POST", settingsBase + "/custom-field-types", ScopeSettingsWrite, access.PermManageCustomFields, h.createCustomFieldType},
		{"GET", settingsBase + "/custom-field-types/{id}", ScopeSettingsRead, access.AnyPerson, h.getCustomFieldType},
		{"PATCH", settingsBase + "/custom-field-types/{id}", ScopeSettingsWrite, access.PermManageCustomFields, h.updateCustomFieldType},

		{"GET", settingsBase + "/history", ScopeHistory, access.PermViewHistory, h.listHistory},
		{"GET", settingsBase + "/export/history", ScopeHistory, access.PermViewHistory, h.exportHistory},
		{"GET", settingsBase + "/outbox", ScopePeopleWrite, access.PermManageLogins, h.listOutbox}, // see outbox.go for why not a read scope

		{"GET", settingsBase + "/sso", ScopeSettingsRead, access.PermAdminAccess, h.getSSO},
		{"PUT", settingsBase + "/sso", ScopeSettingsWrite, access.PermAdminAccess, h.putSSO},

		{"POST", settingsBase + "/webhooks", ScopeWebhooks, access.PermManageWebhooks, h.createWebhook},
		{"GET", settingsBase + "/webhooks", ScopeWebhooks, access.PermManageWebhooks, h.listWebhooks},
		{"GET", settingsBase + "/webhooks/{id}", ScopeWebhooks, access.PermManageWebhooks, h.getWebhook},
		{"PATCH", settingsBase + "/webhooks/{id}", ScopeWebhooks, access.PermManageWebhooks, h.updateWebhook},
		{"DELETE", settingsBase + "/webhooks/{id}", ScopeWebhooks, access.PermManageWebhooks, h.deleteWebhook},
		{"GET", settingsBase + "/webhooks/{id}/deliveries", ScopeWebhooks, access.PermManageWebhooks, h.listWebhookDeliveries},
		{"POST", settingsBase + "/webhooks/{id}/redeliver", ScopeWebhooks, access.PermManageWebhooks, h.redeliverWebhook},

		{"POST", settingsBase + "/apps", ScopeApps, access.PermGenerateAppKey, h.createApp},
		{"GET", settingsBase + "/apps", ScopeApps, access.PermManageAppAccess, h.listApps},
		{"GET", settingsBase + "/apps/{id}", ScopeApps, access.PermManageAppAccess, h.getApp},
		{"PATCH", settingsBase + "/apps/{id}", ScopeApps, access.PermManageAppAccess, h.updateApp},
		{"POST", settingsBase + "/apps/{id}/secrets", ScopeApps, access.PermManageAppAccess, h.addAppSecret},
		{"DELETE", settingsBase + "/apps/{id}/secrets/{secretId}", ScopeApps, access.PermManageAppAccess, h.deleteAppSecret},

		{"GET", dispatchBase + "/teams", ScopeSettingsRead, access.AnyPerson, h.listTeams},
		{"POST", dispatchBase + "/teams", ScopeSettingsWrite, access.PermManageTeamsZones, h.createTeam},
		{"GET", dispatchBase + "/teams/{id}", ScopeSettingsRead, access.AnyPerson, h.getTeam},
		{"DELETE", dispatchBase + "/teams/{id}", ScopeSettingsWrite, access.PermManageTeamsZones, h.deleteTeam},

		{"GET", dispatchBase + "/zones", ScopeSettingsRead, access.AnyPerson, h.listZones},
		{"POST", dispatchBase + "/zones", ScopeSettingsWrite, access.PermManageTeamsZones, h.createZone},
		{"GET", dispatchBase + "/zones/{id}", ScopeSettingsRead, access.AnyPerson, h.getZone},
		{"PATCH", dispatchBase + "/zones/{id}", ScopeSettingsWrite, access.PermManageTeamsZones, h.updateZone},
		{"DELETE", dispatchBase + "/zones/{id}", ScopeSettingsWrite, access.PermManageTeamsZones, h.deleteZone},
	}
}

// Register adds every route to mux behind authentication.
func (h *Handler) Register(mux *http.ServeMux) {
	for _, rt := range h.Routes() {
		mux.Handle(rt.Method+" "+rt.Pattern, h.guard(rt))
	}
}

// guard authenticates the caller, checks the tenant in the path, then the
// route's scope (applications) or permission (people), and runs the route.
// A refusal is recorded in history and answered 403.
func (h *Handler) guard(rt Route) http.Handler {
	what := rt.Method + " " + rt.Pattern
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caller, err := h.authenticate(r)
		if err != nil {
			api.WriteError(w, r, err)
			return
		}
		tenant, err := strconv.ParseInt(r.PathValue("tenant"), 10, 64)
		if err != nil || tenant <= 0 {
			api.WriteError(w, r, crewid.FieldError("tenant", "The tenant must be a positive whole number."))
			return
		}
		if tenant != caller.TenantID {
			// Another tenant's data does not exist for this caller.
			api.WriteError(w, r, crewid.Errorf(crewid.NotFound, "Tenant %d was not found.", tenant))
			return
		}
		caller.Actor.IP, caller.Actor.UserAgent = api.ClientIP(r), api.UserAgent(r)
		ctx := r.Context()
		switch caller.Actor.Type {
		case crewid.ActorApplication:
			// An application may do only what its token's scopes allow.
			if !hasScope(caller.Scopes, rt.Scope) {
				api.WriteError(w, r, h.Access.DenyScope(ctx, caller.Actor, tenant, what, rt.Scope))
				return
			}
		case crewid.ActorPerson:
			grant, err := h.Access.Resolve(ctx, tenant, caller.Actor.ID)
			if crewid.IsNotFound(err) {
				err = crewid.Errorf(crewid.Unauthenticated, "The person of the access token no longer exists.")
			}
			if err != nil {
				api.WriteError(w, r, err)
				return
			}
			caller.Permissions = grant.Permissions
			if !permits(rt.Permission, grant) {
				api.WriteError(w, r, h.Access.Deny(ctx, caller.Actor, tenant, what, rt.Permission))
				return
			}
			ctx = access.WithHolder(ctx, grant.Permissions)
		default:
			api.WriteError(w, r, crewid.Errorf(crewid.Unauthenticated, "The access token is not accepted here."))
			return
		}
		rt.Handle(w, r.WithContext(api.WithCaller(ctx, caller)), caller)
		if r.Method != http.MethodGet {
			// The change may concern people's roles or permissions: this
			// node sees it at once, others within the cache's lifetime.
			h.Access.Forget(tenant)
		}
	})
}

// permits reports whether a person with grant may use a route needing
// perm; PerRequest routes check in their handler.
func permits(perm int64, grant access.Grant) bool {
	switch perm {
	case access.AnyPerson, access.PerRequest:
		return grant.Active
	}
	return grant.Permissions.Allows(perm)
}

// require checks, for a person, a permission that depends on the request
// (an account action, a field of a body); applications pass (their scope
// was checked by guard). A refusal is recorded and returned as Forbidden.
func (h *Handler) require(r *http.Request, c api.Caller, perm int64) error {
	if c.Actor.Type != crewid.ActorPerson || (c.Permissions != nil && c.Permissions.Allows(perm)) {
		return nil
	}
	return h.Access.Deny(r.Context(), c.Actor, c.TenantID, r.Pattern, perm)
}

func (h *Handler) authenticate(r *http.Request) (api.Caller, error) {
	token := strings.TrimSpace(r.Header.Get("Authorization"))
	if len(token) > 7 && strings.EqualFold(token[:7], "bearer ") {
		token = strings.TrimSpace(token[7:])
	}
	if token == "" {
		return api.Caller{}, crewid.Errorf(crewid.Unauthenticated, "An access token is required (Authorization: Bearer TOKEN).")
	}
	appKey := r.Header.Get("ST-App-Key")
	if appKey == "" {
		appKey = r.Header.Get("App-Key")
	}
	if appKey == "" {
		appKey = r.URL.Query().Get("servicetitanapplicationkey")
	}
	return h.Auth.Authenticate(r.Context(), token, appKey)
}

func hasScope(scopes []string, want string) bool {
	for _, s := range scopes {
		if s == want {
			return true
		}
	}
	return false
}

// pathID reads the {id} path parameter.
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, crewid.FieldError("id", "The id must be a positive whole number.")
	}
	return id, nil
}

// paginated is the list envelope.
type paginated[T any] struct {
	Page       int  `json:"page"`
	PageSize   int  `json:"pageSize"`
	HasMore    bool `json:"hasMore"`
	TotalCount *int `json:"totalCount"`
	Data       []T  `json:"data"`
}

func toPaginated[S, T any](q store.ListQuery, page store.Page[S], conv func(S) T) paginated[T] {
	out := paginated[T]{Page: q.Page, PageSize: q.PageSize, HasMore: page.HasMore, Data: make([]T, len(page.Items))}
	if q.IncludeTotal {
		total := page.Total
		out.TotalCount = &total
	}
	for i, item := range page.Items {
		out.Data[i] = conv(item)
	}
	return out
}

// exported is the export envelope.
type exported[T any] struct {
	HasMore      bool   `json:"hasMore"`
	ContinueFrom string `json:"continueFrom"`
	Data         []T    `json:"data"`
}

func toExported[S, T any](b store.Batch[S], conv func(S) T) exported[T] {
	out := exported[T]{HasMore: b.HasMore, ContinueFrom: continuationToken(b.LastSeq), Data: make([]T, len(b.Items))}
	for i, item := range b.Items {
		out.Data[i] = conv(item)
	}
	return out
}

// Continuation tokens are opaque to clients: a version and the change
// number to resume after.
func continuationToken(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("c1." + strconv.FormatInt(seq, 10)))
}

// exportQuery reads "from": a continuation token, or a date to start from.
func exportQuery(r *http.Request) (store.ExportQuery, error) {
	q := api.NewQuery(r.URL.Query())
	from := q.String("from")
	_ = q.Bool("includeRecentChanges") // every change is already included as soon as it commits
	eq := store.ExportQuery{Limit: 1000}
	if err := q.Err(); err != nil {
		return eq, err
	}
	if from == "" {
		return eq, nil
	}
	if raw, err := base64.RawURLEncoding.DecodeString(from); err == nil {
		if rest, ok := strings.CutPrefix(string(raw), "c1."); ok {
			if seq, err := strconv.ParseInt(rest, 10, 64); err == nil && seq >= 0 {
				eq.AfterSeq = seq
				return eq, nil
			}
		}
	}
	t, err := api.ParseTime(from)
	if err != nil {
		return eq, crewid.FieldError("from", "Must be a continuation token from an earlier export, or a date such as 2020-01-01.")
	}
	eq.ModifiedOnOrAfter = t
	return eq, nil
}

// Small conversions between domain zero values and JSON nulls.

func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

func ptr[T any](v T) *T { return &v }

func opt(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
