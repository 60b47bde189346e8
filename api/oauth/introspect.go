package oauth

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"crewid"
	"crewid/apps"
)

// Paths of token introspection (RFC 7662) and revocation (RFC 7009).
const (
	IntrospectPath = "/connect/introspect"
	RevokePath     = "/connect/revoke"
)

// introspectionResponse is RFC 7662 §2.2: only "active" for a token that
// is not, the token's details for one that is.
type introspectionResponse struct {
	Active      bool   `json:"active"`
	Scope       string `json:"scope,omitempty"`
	ClientID    string `json:"client_id,omitempty"`
	TokenType   string `json:"token_type,omitempty"`
	Exp         int64  `json:"exp,omitempty"`
	Iat         int64  `json:"iat,omitempty"`
	Sub         string `json:"sub,omitempty"`
	Aud         string `json:"aud,omitempty"`
	Iss         string `json:"iss,omitempty"`
	Jti         string `json:"jti,omitempty"`
	TenantID    int64  `json:"tid,omitempty"`
	Environment string `json:"env,omitempty"`
}

// introspect answers whether a token is active, for the application that
// holds it (a client learns nothing of other clients' tokens).
func (h *handler) introspect(w http.ResponseWriter, r *http.Request) {
	clientID, clientSecret, token, ok := tokenRequest(w, r)
	if !ok {
		return
	}
	res, err := h.svc.Introspect(r.Context(), clientID, clientSecret, token)
	if err != nil {
		h.clientFailure(w, r, err)
		return
	}
	out := introspectionResponse{Active: res.Active}
	if res.Active {
		c := res.Claims
		out.Scope, out.ClientID, out.TokenType = strings.Join(c.Scopes, " "), c.ClientID, "Bearer"
		out.Exp, out.Iat, out.Sub, out.Aud, out.Iss = c.ExpiresAt.Unix(), c.IssuedAt.Unix(), c.ClientID, apps.Audience, h.svc.Issuer
		out.Jti, out.TenantID, out.Environment = c.TokenID, c.TenantID, c.Environment
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, out)
}

// revoke ends one of the client's access tokens. As RFC 7009 asks, an
// invalid or expired token is answered 200 like any other (§2.2), and a
// valid one issued to someone else is refused (§2.1).
func (h *handler) revoke(w http.ResponseWriter, r *http.Request) {
	clientID, clientSecret, token, ok := tokenRequest(w, r)
	if !ok {
		return
	}
	if err := h.svc.Revoke(r.Context(), clientID, clientSecret, token); err != nil {
		h.clientFailure(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

// tokenRequest reads a client-authenticated request about one token (the
// "token" parameter). On failure it has answered and ok is false.
func tokenRequest(w http.ResponseWriter, r *http.Request) (clientID, clientSecret, token string, ok bool) {
	form, clientID, clientSecret, ok := clientRequest(w, r)
	if !ok {
		return "", "", "", false
	}
	token = strings.TrimSpace(form.Get("token"))
	if token == "" {
		writeError(w, r, http.StatusBadRequest, "invalid_request", "token is required.", map[string][]string{"token": {"The token is required."}})
		return "", "", "", false
	}
	return clientID, clientSecret, token, true
}

// clientFailure answers an error of a client-authenticated endpoint.
func (h *handler) clientFailure(w http.ResponseWriter, r *http.Request, err error) {
	var e *crewid.Error
	if errors.As(err, &e) {
		switch e.Code {
		case crewid.Unauthenticated:
			writeError(w, r, http.StatusUnauthorized, "invalid_client", e.Message, nil)
			return
		case crewid.Forbidden:
			writeError(w, r, http.StatusBadRequest, "unauthorized_client", e.Message, nil)
			return
		case crewid.Invalid:
			writeError(w, r, http.StatusBadRequest, "invalid_request", e.Message, e.Fields)
			return
		}
	}
	slog.ErrorContext(r.Context(), r.URL.Path, "err", err)
	writeError(w, r, http.StatusInternalServerError, "server_error", "The request could not be completed; try again later.", nil)
}
