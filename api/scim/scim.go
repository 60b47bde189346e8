// Package scim serves SCIM 2.0 provisioning at /scim/v2 (RFC 7644): Users,
// Groups and the discovery documents, for directories such as Microsoft
// Entra ID and Okta. It translates HTTP to package scim and back; the
// rules live there.
package scim

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"crewid"
	"crewid/api"
	"crewid/apps"
	"crewid/scim"
)

// Base is where the service is mounted.
const Base = "/scim/v2"

// ContentType is SCIM's media type.
const ContentType = "application/scim+json"

// Authenticator checks a bearer token alone (directories send no
// application key), and issues tokens for client credentials.
type Authenticator interface {
	AuthenticateBearer(ctx context.Context, token string) (apps.Claims, error)
	IssueToken(ctx context.Context, clientID, clientSecret, requestedScope string) (apps.Token, error)
}

// Handler serves /scim/v2.
type Handler struct {
	SCIM *scim.Service
	Auth Authenticator
	// PublicURL is the base of the locations in responses.
	PublicURL string
}

type route struct {
	method, path string
	handle       func(w http.ResponseWriter, r *http.Request, c api.Caller)
}

func (h *Handler) routes() []route {
	return []route{
		{"GET", "/Users", h.listUsers},
		{"POST", "/Users", h.createUser},
		{"GET", "/Users/{id}", h.getUser},
		{"PUT", "/Users/{id}", h.replaceUser},
		{"PATCH", "/Users/{id}", h.patchUser},
		{"DELETE", "/Users/{id}", h.deleteUser},
		{"GET", "/Groups", h.listGroups},
		{"POST", "/Groups", h.createGroup},
		{"GET", "/Groups/{id}", h.getGroup},
		{"PUT", "/Groups/{id}", h.replaceGroup},
		{"PATCH", "/Groups/{id}", h.patchGroup},
		{"DELETE", "/Groups/{id}", h.deleteGroup},
		{"GET", "/ServiceProviderConfig", h.serviceProviderConfig},
		{"GET", "/ResourceTypes", h.resourceTypes},
		{"GET", "/ResourceTypes/{id}", h.resourceType},
		{"GET", "/Schemas", h.schemas},
		{"GET", "/Schemas/{id}", h.schema},
	}
}

// Register adds every route to mux, and answers anything else under
// /scim/v2 with a SCIM error.
func (h *Handler) Register(mux *http.ServeMux) {
	paths := map[string][]string{}
	for _, rt := range h.routes() {
		mux.Handle(rt.method+" "+Base+rt.path, h.guard(rt.handle))
		paths[rt.path] = append(paths[rt.path], rt.method)
	}
	mux.HandleFunc(Base+"/", func(w http.ResponseWriter, r *http.Request) {
		rest := strings.TrimPrefix(r.URL.Path, Base)
		for path, methods := range paths {
			if matches(path, rest) {
				w.Header().Set("Allow", strings.Join(methods, ", "))
				writeError(w, r, http.StatusMethodNotAllowed, "", "Method "+r.Method+" is not allowed here; use "+strings.Join(methods, ", ")+".")
				return
			}
		}
		writeError(w, r, http.StatusNotFound, "", "No such SCIM endpoint: "+r.URL.Path)
	})
}

// matches reports whether a request path fits a route path with one
// {id} wildcard.
func matches(pattern, path string) bool {
	prefix, wild := strings.CutSuffix(pattern, "{id}")
	if !wild {
		return path == pattern
	}
	rest, ok := strings.CutPrefix(path, prefix)
	return ok && rest != "" && !strings.Contains(rest, "/")
}

// guard authenticates the application and checks its scim scope.
func (h *Handler) guard(next func(http.ResponseWriter, *http.Request, api.Caller)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, err := h.authenticate(r)
		if err != nil {
			if crewid.CodeOf(err) == crewid.Unauthenticated {
				w.Header().Set("WWW-Authenticate", `Bearer realm="crewid"`)
			}
			h.fail(w, r, err)
			return
		}
		if !claims.HasScope(apps.ScopeSCIM) {
			writeError(w, r, http.StatusForbidden, "", "The application's token lacks the \"scim\" scope.")
			return
		}
		c := api.Caller{TenantID: claims.TenantID, Scopes: claims.Scopes, Actor: crewid.Actor{
			Type: crewid.ActorApplication, ID: claims.AppID, Name: claims.AppName,
			IP: api.ClientIP(r), UserAgent: api.UserAgent(r)}}
		next(w, r.WithContext(api.WithCaller(r.Context(), c)), c)
	})
}

// authenticate reads the application's credentials: an access token
// from the token endpoint, or, for directories that keep one secret for
// good (Entra ID's "Secret Token", Okta's Basic Auth), the application's
// client id and secret, as a bearer value "CLIENT_ID:CLIENT_SECRET" or as
// HTTP Basic credentials. Those are checked as the token endpoint checks
// them, so rotating the secret or revoking the application ends them.
func (h *Handler) authenticate(r *http.Request) (apps.Claims, error) {
	header := strings.TrimSpace(r.Header.Get("Authorization"))
	clientID, secret, basic := r.BasicAuth()
	token := ""
	if len(header) > 7 && strings.EqualFold(header[:7], "bearer ") {
		token = strings.TrimSpace(header[7:])
		if id, sec, ok := strings.Cut(token, ":"); ok {
			clientID, secret, basic = id, sec, true
		}
	}
	if basic {
		issued, err := h.Auth.IssueToken(r.Context(), clientID, secret, apps.ScopeSCIM)
		if err != nil {
			var e *crewid.Error
			switch {
			case errors.As(err, &e) && e.Code == crewid.Invalid && len(e.Fields[apps.ScopeField]) > 0:
				// The application does not hold the scim scope.
				return apps.Claims{}, crewid.Errorf(crewid.Forbidden, "The application lacks the \"scim\" scope.")
			case errors.As(err, &e) && e.Code == crewid.Invalid:
				// Credentials no client could have (text crewid cannot store).
				return apps.Claims{}, apps.ErrInvalidClient
			}
			return apps.Claims{}, err
		}
		token = issued.AccessToken
	}
	if token == "" {
		return apps.Claims{}, crewid.Errorf(crewid.Unauthenticated, "An access token is required (Authorization: Bearer TOKEN).")
	}
	return h.Auth.AuthenticateBearer(r.Context(), token)
}

func (h *Handler) base() string { return strings.TrimRight(h.PublicURL, "/") + Base }

// errorBody is a SCIM error (RFC 7644 §3.12).
type errorBody struct {
	Schemas  []string `json:"schemas"`
	Status   string   `json:"status"`
	ScimType string   `json:"scimType,omitempty"`
	Detail   string   `json:"detail"`
}

func writeError(w http.ResponseWriter, r *http.Request, status int, scimType, detail string) {
	writeJSON(w, status, errorBody{Schemas: []string{scim.SchemaError}, Status: strconv.Itoa(status), ScimType: scimType, Detail: detail})
}

// fail answers err as a SCIM error; the status comes from the one table
// in package api.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := api.Status(err)
	if status == http.StatusInternalServerError {
		api.WriteError(w, r, err) // logs it; no detail leaves the server
		return
	}
	typ := scim.ErrorType(err)
	if status != http.StatusBadRequest && status != http.StatusConflict {
		typ = ""
	}
	writeError(w, r, status, typ, scim.Detail(err))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"status":"500","detail":"encoding failed"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", ContentType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeResource answers with one resource, its version as ETag.
func writeResource(w http.ResponseWriter, status int, v any, meta *scim.Meta) {
	if meta != nil {
		w.Header().Set("ETag", meta.Version)
		if status == http.StatusCreated {
			w.Header().Set("Location", meta.Location)
		}
	}
	writeJSON(w, status, v)
}

// listParams reads filter, startIndex and count. sortBy and sortOrder
// are accepted and ignored: ServiceProviderConfig says sorting is not
// supported, and lists come in id order.
func listParams(r *http.Request) (string, scim.Page, error) {
	q := r.URL.Query()
	page := scim.Page{StartIndex: 1, Count: scim.DefaultCount}
	for name, target := range map[string]*int{"startIndex": &page.StartIndex, "count": &page.Count} {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return "", page, &scim.Error{Type: scim.TypeInvalidValue, Err: crewid.FieldError(name, name+" must be a whole number.")}
			}
			*target = n
		}
	}
	return q.Get("filter"), page, nil
}

// withMembers says whether a Group answer includes members: not when
// excludedAttributes names them, or attributes asks for others only.
func withMembers(r *http.Request) bool {
	q := r.URL.Query()
	for _, name := range strings.Split(q.Get("excludedAttributes"), ",") {
		if strings.EqualFold(strings.TrimSpace(name), "members") {
			return false
		}
	}
	if attrs := q.Get("attributes"); attrs != "" {
		for _, name := range strings.Split(attrs, ",") {
			if strings.EqualFold(strings.TrimSpace(name), "members") || strings.HasPrefix(strings.ToLower(strings.TrimSpace(name)), "members.") {
				return true
			}
		}
		return false
	}
	return true
}

// decode reads a request body as SCIM JSON.
func decode(r *http.Request, v any) error {
	if err := api.Decode(r, v); err != nil {
		var e *scim.Error
		if ok := asSCIM(err, &e); ok {
			return e
		}
		return &scim.Error{Type: scim.TypeInvalidSyntax, Err: crewid.Errorf(crewid.Invalid, "%s", scim.Detail(err))}
	}
	return nil
}

func asSCIM(err error, target **scim.Error) bool {
	e, ok := err.(*scim.Error)
	if ok {
		*target = e
	}
	return ok
}

// preconditions checks If-Match against a resource's current version.
func preconditions(r *http.Request, current string) error {
	want := strings.TrimSpace(r.Header.Get("If-Match"))
	if want == "" || want == "*" {
		return nil
	}
	for _, tag := range strings.Split(want, ",") {
		if strings.TrimSpace(tag) == current {
			return nil
		}
	}
	return errPrecondition
}

var errPrecondition = &scim.Error{Type: "", Err: crewid.Errorf(crewid.Conflict, "The resource has changed since that version (If-Match).")}

// notModified answers 304 when If-None-Match holds the current version.
func notModified(w http.ResponseWriter, r *http.Request, current string) bool {
	for _, tag := range strings.Split(r.Header.Get("If-None-Match"), ",") {
		if strings.TrimSpace(tag) == current {
			w.Header().Set("ETag", current)
			w.WriteHeader(http.StatusNotModified)
			return true
		}
	}
	return false
}
