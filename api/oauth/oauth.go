// Package oauth serves the OAuth 2.0 client-credentials token endpoint,
// token introspection (RFC 7662) and revocation (RFC 7009), and the OpenID
// Connect discovery documents for API applications. It only
// translates between HTTP and the apps package.
package oauth

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"crewid"
	"crewid/api"
	"crewid/apps"
)

// MaxBodyBytes caps the size of a token request body.
const MaxBodyBytes = 64 << 10

// Paths served.
const (
	TokenPath     = "/connect/token"
	DiscoveryPath = "/.well-known/openid-configuration"
	JWKSPath      = "/.well-known/jwks.json"
)

// Routes registers the token endpoint and the discovery documents on mux.
// The issuer and the URLs in the discovery document come from svc.Issuer.
func Routes(mux *http.ServeMux, svc *apps.Service, keys *apps.Keys) {
	h := &handler{svc: svc, keys: keys}
	mux.HandleFunc("POST "+TokenPath, h.token)
	mux.HandleFunc("POST "+IntrospectPath, h.introspect)
	mux.HandleFunc("POST "+RevokePath, h.revoke)
	mux.HandleFunc("GET "+DiscoveryPath, h.discovery)
	mux.HandleFunc("GET "+JWKSPath, h.jwks)
}

type handler struct {
	svc  *apps.Service
	keys *apps.Keys
}

// tokenResponse is the success answer of RFC 6749 §5.1.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
}

// errorResponse is an RFC 6749 §5.2 error and, in the same object, the
// contract's ApiErrorResponse, so that OAuth libraries and clients of the
// Settings API both understand it.
type errorResponse struct {
	Error            string              `json:"error"`
	ErrorDescription string              `json:"error_description,omitempty"`
	Type             string              `json:"type"`
	Title            string              `json:"title"`
	Status           int                 `json:"status"`
	TraceID          string              `json:"traceId"`
	Errors           map[string][]string `json:"errors"`
	Data             map[string]any      `json:"data"`
}

// clientRequest reads a form request authenticated by client credentials
// (HTTP Basic, or client_id and client_secret in the body). On failure it
// has answered and ok is false.
func clientRequest(w http.ResponseWriter, r *http.Request) (form url.Values, clientID, clientSecret string, ok bool) {
	fail := func(status int, code, description string) {
		writeError(w, r, status, code, description, nil)
	}
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediaType != "application/x-www-form-urlencoded" {
		fail(http.StatusBadRequest, "invalid_request", "The request body must be application/x-www-form-urlencoded.")
		return nil, "", "", false
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			fail(http.StatusBadRequest, "invalid_request", "The request body is larger than 64 KiB.")
			return nil, "", "", false
		}
		fail(http.StatusBadRequest, "invalid_request", "The request body is not a valid form.")
		return nil, "", "", false
	}
	form = r.PostForm
	for name, values := range form {
		if len(values) > 1 {
			fail(http.StatusBadRequest, "invalid_request", "The parameter "+name+" is given more than once.")
			return nil, "", "", false
		}
	}

	clientID, clientSecret = form.Get("client_id"), form.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		if clientSecret != "" {
			fail(http.StatusBadRequest, "invalid_request", "Authenticate the client with HTTP Basic or with client_secret in the body, not both.")
			return nil, "", "", false
		}
		// RFC 6749 §2.3.1: both are form-encoded before Basic encoding.
		bu, err1 := url.QueryUnescape(u)
		bp, err2 := url.QueryUnescape(p)
		if err1 != nil || err2 != nil {
			fail(http.StatusUnauthorized, "invalid_client", "The client credentials in the Authorization header are not valid.")
			return nil, "", "", false
		}
		if clientID != "" && clientID != bu {
			fail(http.StatusBadRequest, "invalid_request", "client_id differs from the client of the Authorization header.")
			return nil, "", "", false
		}
		clientID, clientSecret = bu, bp
	}
	return form, clientID, clientSecret, true
}

func (h *handler) token(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, code, description string, fields map[string][]string) {
		writeError(w, r, status, code, description, fields)
	}
	form, clientID, clientSecret, ok := clientRequest(w, r)
	if !ok {
		return
	}

	switch grant := form.Get("grant_type"); {
	case grant == "":
		fail(http.StatusBadRequest, "invalid_request", "grant_type is required.", map[string][]string{"grant_type": {"The grant_type is required."}})
		return
	case grant != "client_credentials":
		fail(http.StatusBadRequest, "unsupported_grant_type", "Only the client_credentials grant is supported.", nil)
		return
	}
	if clientID == "" || clientSecret == "" {
		fail(http.StatusUnauthorized, "invalid_client", "Client authentication is required: client_id and client_secret.", nil)
		return
	}

	tok, err := h.svc.IssueToken(r.Context(), clientID, clientSecret, form.Get("scope"))
	if err != nil {
		var e *crewid.Error
		switch {
		case errors.As(err, &e) && e.Code == crewid.Unauthenticated:
			fail(http.StatusUnauthorized, "invalid_client", e.Message, nil)
		case errors.As(err, &e) && e.Code == crewid.Invalid && len(e.Fields[apps.ScopeField]) > 0:
			fail(http.StatusBadRequest, "invalid_scope", e.Fields[apps.ScopeField][0], e.Fields)
		case errors.As(err, &e) && e.Code == crewid.Invalid:
			fail(http.StatusBadRequest, "invalid_request", e.Error(), e.Fields)
		default:
			slog.ErrorContext(r.Context(), "token endpoint", "err", err)
			fail(http.StatusInternalServerError, "server_error", "The token could not be issued; try again later.", nil)
		}
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, tokenResponse{
		AccessToken: tok.AccessToken,
		TokenType:   tok.TokenType,
		ExpiresIn:   tok.ExpiresIn,
		Scope:       tok.Scope,
	})
}

// discoveryDocument lists only what is served here.
type discoveryDocument struct {
	Issuer                            string   `json:"issuer"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	IntrospectionEndpoint             string   `json:"introspection_endpoint"`
	IntrospectionAuthMethodsSupported []string `json:"introspection_endpoint_auth_methods_supported"`
	RevocationEndpoint                string   `json:"revocation_endpoint"`
	RevocationAuthMethodsSupported    []string `json:"revocation_endpoint_auth_methods_supported"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	ScopesSupported                   []string `json:"scopes_supported"`
	ClaimsSupported                   []string `json:"claims_supported"`
}

func (h *handler) discovery(w http.ResponseWriter, r *http.Request) {
	base := strings.TrimSuffix(h.svc.Issuer, "/")
	clientAuth := []string{"client_secret_post", "client_secret_basic"}
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeJSON(w, http.StatusOK, discoveryDocument{
		Issuer:                            h.svc.Issuer,
		TokenEndpoint:                     base + TokenPath,
		JWKSURI:                           base + JWKSPath,
		GrantTypesSupported:               []string{"client_credentials"},
		TokenEndpointAuthMethodsSupported: clientAuth,
		IntrospectionEndpoint:             base + IntrospectPath,
		IntrospectionAuthMethodsSupported: clientAuth,
		RevocationEndpoint:                base + RevokePath,
		RevocationAuthMethodsSupported:    clientAuth,
		ResponseTypesSupported:            []string{"token"},
		SubjectTypesSupported:             []string{"public"},
		IDTokenSigningAlgValuesSupported:  []string{string(apps.Algorithm)},
		ScopesSupported:                   apps.AllScopes(),
		ClaimsSupported:                   []string{"iss", "sub", "aud", "iat", "nbf", "exp", "jti", "client_id", "tid", "app", "env", "scope"},
	})
}

func (h *handler) jwks(w http.ResponseWriter, r *http.Request) {
	set, err := h.keys.JWKS(r.Context())
	if err != nil {
		slog.ErrorContext(r.Context(), "jwks", "err", err)
		writeError(w, r, http.StatusInternalServerError, "server_error", "The keys could not be loaded; try again later.", nil)
		return
	}
	// Short enough that clients see a new key soon; verifiers that meet an
	// unknown kid fetch the set again anyway.
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeJSON(w, http.StatusOK, set)
}

var titles = map[int]string{
	http.StatusBadRequest:          "The request is invalid.",
	http.StatusUnauthorized:        "The client could not be authenticated.",
	http.StatusInternalServerError: "An internal error occurred.",
}

var typeURIs = map[int]string{
	http.StatusBadRequest:          "https://tools.ietf.org/html/rfc9110#section-15.5.1",
	http.StatusUnauthorized:        "https://tools.ietf.org/html/rfc9110#section-15.5.2",
	http.StatusInternalServerError: "https://tools.ietf.org/html/rfc9110#section-15.6.1",
}

func writeError(w http.ResponseWriter, r *http.Request, status int, code, description string, fields map[string][]string) {
	if fields == nil {
		fields = map[string][]string{}
	}
	if status == http.StatusUnauthorized {
		// invalid_client is always a 401 (RFC 6749 §5.2 demands it when the
		// client used Basic, and allows it otherwise), and a 401 always
		// carries a challenge (RFC 9110 §15.5.2).
		w.Header().Set("WWW-Authenticate", `Basic realm="crewid", charset="UTF-8"`)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, status, errorResponse{
		Error:            code,
		ErrorDescription: description,
		Type:             typeURIs[status],
		Title:            titles[status],
		Status:           status,
		TraceID:          traceID(r),
		Errors:           fields,
		Data:             map[string]any{"error": code},
	})
}

// traceID is the request's trace id, the one the X-Trace-Id header
// carries; outside the server's middleware it takes the trace id of a W3C
// traceparent header, or makes one.
func traceID(r *http.Request) string {
	if id := api.TraceID(r.Context()); id != "" {
		return id
	}
	if tp := r.Header.Get("Traceparent"); len(tp) >= 55 && tp[2] == '-' && tp[35] == '-' {
		if id := tp[3:35]; isHex(id) {
			return id
		}
	}
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func isHex(s string) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
