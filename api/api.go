// Package api holds what every HTTP interface of crewid shares: the error
// format (the Settings API's ApiErrorResponse), JSON decoding with field
// names in errors, list query parsing, and the request context (trace id,
// caller).
//
// Handlers translate between HTTP and the domain; they do not decide.
package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"unicode"
	"unicode/utf8"

	"crewid"
)

// ErrorResponse is the body of every error answer.
type ErrorResponse struct {
	Type    string              `json:"type"`
	Title   string              `json:"title"`
	Status  int                 `json:"status"`
	TraceID string              `json:"traceId"`
	Errors  map[string][]string `json:"errors"`
	Data    map[string]any      `json:"data"`
}

// statuses is the one table from domain error codes to HTTP.
var statuses = map[crewid.ErrorCode]struct {
	status int
	typ    string
	title  string
}{
	crewid.Invalid:         {http.StatusBadRequest, "https://tools.ietf.org/html/rfc9110#section-15.5.1", "One or more validation errors occurred."},
	crewid.Unauthenticated: {http.StatusUnauthorized, "https://tools.ietf.org/html/rfc9110#section-15.5.2", "Not signed in."},
	crewid.Forbidden:       {http.StatusForbidden, "https://tools.ietf.org/html/rfc9110#section-15.5.4", "Permission denied."},
	crewid.NotFound:        {http.StatusNotFound, "https://tools.ietf.org/html/rfc9110#section-15.5.5", "The requested entity was not found."},
	crewid.Conflict:        {http.StatusConflict, "https://tools.ietf.org/html/rfc9110#section-15.5.10", "The request conflicts with an existing record."},
	crewid.RateLimited:     {http.StatusTooManyRequests, "https://tools.ietf.org/html/rfc6585#section-4", "Too many requests."},
	crewid.Internal:        {http.StatusInternalServerError, "https://tools.ietf.org/html/rfc9110#section-15.6.1", "An unexpected error occurred."},
}

// Status returns the HTTP status for an error.
func Status(err error) int { return statuses[crewid.CodeOf(err)].status }

// Problem builds the error body for err.
func Problem(r *http.Request, err error) ErrorResponse {
	code := crewid.CodeOf(err)
	s := statuses[code]
	body := ErrorResponse{Type: s.typ, Title: s.title, Status: s.status, TraceID: TraceID(r.Context()),
		Errors: map[string][]string{}, Data: map[string]any{}}
	var e *crewid.Error
	if errors.As(err, &e) {
		for field, msgs := range e.Fields {
			body.Errors[field] = msgs
		}
		if e.Message != "" && code != crewid.Invalid {
			body.Title = e.Message
		}
		if code == crewid.Invalid && len(e.Fields) == 0 && e.Message != "" {
			body.Errors[""] = []string{e.Message}
		}
	}
	return body
}

// WriteError answers with err in the contract's error format. Errors that
// are not domain errors are logged and answered as 500 without detail.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	if crewid.CodeOf(err) == crewid.Internal {
		slog.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "trace", TraceID(r.Context()), "err", err)
	}
	body := Problem(r, err)
	if body.Status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="crewid"`)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(body.Status)
	_ = json.NewEncoder(w).Encode(body)
}

// WriteJSON answers 200 with v.
func WriteJSON(w http.ResponseWriter, v any) {
	WriteJSONStatus(w, http.StatusOK, v)
}

// WriteJSONStatus answers with the given status and v.
func WriteJSONStatus(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own wire types are written; they always encode.
		http.Error(w, `{"title":"encoding failed","status":500}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

type ctxKey int

const (
	traceKey ctxKey = iota
	callerKey
)

// TraceID returns the request's trace id.
func TraceID(ctx context.Context) string {
	id, _ := ctx.Value(traceKey).(string)
	return id
}

// Caller is who is calling: the tenant they act in, as whom (for history),
// and what they may do.
type Caller struct {
	TenantID int64
	Actor    crewid.Actor
	// Scopes of an application's token; nil for people.
	Scopes []string
	// Permissions of a person; nil for applications.
	Permissions interface{ Allows(id int64) bool }
}

// ClientIP is the address of the client as this server sees it (the
// connection's peer; crewid trusts no forwarding header).
func ClientIP(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}

// UserAgent is the request's User-Agent as it may be recorded: valid UTF-8
// without control characters, at most 500 bytes, cut between characters.
// Clients may send any byte above 0x7f in a header, which a database
// refuses in a text column.
func UserAgent(r *http.Request) string {
	ua := strings.ToValidUTF8(r.UserAgent(), "\uFFFD")
	ua = strings.Map(func(c rune) rune {
		if unicode.IsControl(c) {
			return -1
		}
		return c
	}, ua)
	for len(ua) > 500 {
		_, size := utf8.DecodeLastRuneInString(ua)
		ua = ua[:len(ua)-size]
	}
	return ua
}

// WithCaller returns ctx carrying c.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey, c)
}

// CallerFrom returns the caller of the request, if authenticated.
func CallerFrom(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey).(Caller)
	return c, ok
}

// Base wraps the whole server: a trace id for every request, a JSON 500 for
// a handler that panics, and a few safe headers.
func Base(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b [8]byte
		_, _ = rand.Read(b[:])
		trace := hex.EncodeToString(b[:])
		r = r.WithContext(context.WithValue(r.Context(), traceKey, trace))
		h := w.Header()
		h.Set("X-Trace-Id", trace)
		h.Set("X-Content-Type-Options", "nosniff")
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				slog.Error("handler panicked", "path", r.URL.Path, "trace", trace, "panic", p, "stack", string(debug.Stack()))
				WriteError(w, r, errors.New("panic"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// NotFound answers any route that does not exist.
func NotFound(w http.ResponseWriter, r *http.Request) {
	WriteError(w, r, crewid.Errorf(crewid.NotFound, "No such endpoint: %s %s", r.Method, r.URL.Path))
}

// MethodNotAllowed answers a request whose path exists for other methods.
func MethodNotAllowed(w http.ResponseWriter, r *http.Request, allowed string) {
	body := ErrorResponse{Type: "https://tools.ietf.org/html/rfc9110#section-15.5.6",
		Title: "Method " + r.Method + " is not allowed here; use " + allowed + ".", Status: http.StatusMethodNotAllowed,
		TraceID: TraceID(r.Context()), Errors: map[string][]string{}, Data: map[string]any{}}
	w.Header().Set("Allow", allowed)
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(body.Status)
	_ = json.NewEncoder(w).Encode(body)
}
