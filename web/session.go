package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"crewid"
	"crewid/access"
	"crewid/accounts"
	"crewid/api"
)

// Cookie names.
const (
	sessionCookie = "crewid_session" // the refresh token
	accessCookie  = "crewid_access"  // the current access token
	formCookie    = "crewid_form"    // the form token before sign-in
	flashCookie   = "crewid_flash"   // a message for the next page
)

// Viewer is the signed-in person a request speaks for.
type Viewer struct {
	Principal accounts.Principal
	Person    crewid.Person
	Perms     access.Set
	// CSRF is the form token of the session.
	CSRF string
}

// Actor is the viewer as the author of a change.
func (v *Viewer) Actor(r *http.Request) crewid.Actor {
	m := meta(r)
	return crewid.Actor{Type: crewid.ActorPerson, ID: v.Person.ID, Name: v.Person.Name, IP: m.IP, UserAgent: m.UserAgent}
}

type viewerKey struct{}

func viewerFrom(r *http.Request) *Viewer {
	v, _ := r.Context().Value(viewerKey{}).(*Viewer)
	return v
}

func meta(r *http.Request) accounts.Meta {
	return accounts.Meta{IP: api.ClientIP(r), UserAgent: api.UserAgent(r)}
}

// sessionToken derives the form token of a session from its family id,
// which only the holder of the session's cookies can know; it stays the
// same across refreshes, so open forms keep working.
func sessionToken(family string) string {
	sum := sha256.Sum256([]byte("crewid console form token\x00" + family))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (c *Console) setCookie(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	ck := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode}
	switch {
	case maxAge < 0:
		ck.MaxAge = -1
	case maxAge > 0:
		ck.MaxAge = int(maxAge / time.Second)
	}
	http.SetCookie(w, ck)
}

func cookieValue(r *http.Request, name string) string {
	ck, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return ck.Value
}

// anonymousToken returns the form token of a visitor who is not signed
// in, setting its cookie on first use.
func (c *Console) anonymousToken(w http.ResponseWriter, r *http.Request) string {
	if t := cookieValue(r, formCookie); len(t) >= 32 {
		return t
	}
	if t, ok := r.Context().Value(formTokenKey{}).(string); ok {
		return t
	}
	t := randomToken()
	c.setCookie(w, formCookie, t, 0)
	return t
}

type formTokenKey struct{}

// checkForm rejects an unsafe request that is cross-origin or lacks the
// form token of its session (or, before sign-in, of its visitor).
func (c *Console) checkForm(r *http.Request, v *Viewer) error {
	if err := c.csrf.Check(r); err != nil {
		return crewid.Errorf(crewid.Forbidden, "The form was sent from another site and was refused.")
	}
	want := cookieValue(r, formCookie)
	if v != nil {
		want = v.CSRF
	}
	got := r.PostFormValue("csrf")
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return crewid.Errorf(crewid.Forbidden, "The form has expired or was not sent from this site; reload the page and try again.")
	}
	return nil
}

// maxFormBytes bounds a form body.
const maxFormBytes = 1 << 20

// checkInput parses the query and form and refuses text no record can
// hold (not UTF-8, or with a NUL byte), as the databases would refuse it
// deep inside a query. Line breaks and tabs stay allowed for text areas.
func checkInput(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return err
		}
		return crewid.Errorf(crewid.Invalid, "The form could not be read.")
	}
	for name, values := range r.Form {
		for _, v := range append(values, name) {
			if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
				return crewid.Errorf(crewid.Invalid, "The form contains characters that are not allowed.")
			}
		}
	}
	return nil
}

// public wraps a handler anyone may reach. A signed-in visitor is known
// to it (viewerFrom), but not required.
func (c *Console) public(h http.HandlerFunc) http.Handler {
	return c.headers(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := checkInput(w, r); err != nil {
			c.fail(w, r, err)
			return
		}
		v, _ := c.authenticate(w, r)
		if v != nil {
			r = r.WithContext(context.WithValue(r.Context(), viewerKey{}, v))
		}
		if r.Method == http.MethodPost {
			if err := c.checkForm(r, v); err != nil {
				c.fail(w, r, err)
				return
			}
		}
		h(w, r)
	}))
}

// signedIn wraps a handler that needs a session; without one the visitor
// is sent to the sign-in page and comes back afterwards.
func (c *Console) signedIn(h func(http.ResponseWriter, *http.Request, *Viewer)) http.Handler {
	return c.headers(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := checkInput(w, r); err != nil {
			c.fail(w, r, err)
			return
		}
		v, err := c.authenticate(w, r)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		if v == nil {
			target := "/signin"
			if r.Method == http.MethodGet && r.URL.Path != "/" {
				target += "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		// Every change made from here is made on the viewer's behalf, so
		// the rules that limit what a person may hand out or whom they
		// may manage (access.Holder) see their permissions, whichever
		// service the handler calls.
		ctx := access.WithHolder(context.WithValue(r.Context(), viewerKey{}, v), v.Perms)
		r = r.WithContext(ctx)
		if r.Method == http.MethodPost {
			if err := c.checkForm(r, v); err != nil {
				c.fail(w, r, err)
				return
			}
		}
		h(w, r, v)
	}))
}

// authenticate finds the request's session: the access token if it is
// still good, else a refresh with the refresh token. No session is (nil,
// nil); only storage failures are errors.
func (c *Console) authenticate(w http.ResponseWriter, r *http.Request) (*Viewer, error) {
	ctx := r.Context()
	refresh := cookieValue(r, sessionCookie)
	if refresh == "" {
		return nil, nil
	}
	pr, err := c.Accounts.Authenticate(ctx, cookieValue(r, accessCookie))
	if err != nil {
		if crewid.CodeOf(err) == crewid.Internal {
			return nil, err
		}
		res, err := c.refresh.do(ctx, c.Accounts, refresh, meta(r))
		if err != nil || res.AccessToken == "" {
			if err != nil && crewid.CodeOf(err) == crewid.Internal {
				return nil, err
			}
			c.clearSession(w)
			return nil, nil
		}
		c.startSession(w, res)
		if pr, err = c.Accounts.Authenticate(ctx, res.AccessToken); err != nil {
			if crewid.CodeOf(err) == crewid.Internal {
				return nil, err
			}
			c.clearSession(w)
			return nil, nil
		}
	}
	p, perms, err := c.Accounts.Profile(ctx, pr)
	if err != nil {
		if crewid.CodeOf(err) == crewid.Internal {
			return nil, err
		}
		c.clearSession(w)
		return nil, nil
	}
	return &Viewer{Principal: pr, Person: p, Perms: perms, CSRF: sessionToken(pr.SessionID)}, nil
}

// startSession stores a sign-in's tokens in the cookies.
func (c *Console) startSession(w http.ResponseWriter, res accounts.Result) {
	c.setCookie(w, sessionCookie, res.RefreshToken, c.Accounts.Settings().RefreshTokenTTL)
	c.setCookie(w, accessCookie, res.AccessToken, c.Accounts.Settings().RefreshTokenTTL)
}

func (c *Console) clearSession(w http.ResponseWriter) {
	c.setCookie(w, sessionCookie, "", -1)
	c.setCookie(w, accessCookie, "", -1)
}

// refreshCache lets requests that arrive together with one expired access
// token share one refresh: presenting a refresh token twice would revoke
// the session as stolen. A result is kept briefly for latecomers still
// holding the old cookie.
type refreshCache struct {
	mu      sync.Mutex
	results map[[32]byte]refreshed
}

type refreshed struct {
	res accounts.Result
	err error
	at  time.Time
}

const refreshKeep = 10 * time.Second

func newRefreshCache() *refreshCache { return &refreshCache{results: map[[32]byte]refreshed{}} }

func (rc *refreshCache) do(ctx context.Context, svc *accounts.Service, token string, m accounts.Meta) (accounts.Result, error) {
	key := sha256.Sum256([]byte(token))
	rc.mu.Lock()
	defer rc.mu.Unlock()
	now := time.Now()
	for k, v := range rc.results {
		if now.Sub(v.at) > refreshKeep {
			delete(rc.results, k)
		}
	}
	if got, ok := rc.results[key]; ok {
		return got.res, got.err
	}
	res, err := svc.Refresh(ctx, token, m)
	if err == nil || crewid.CodeOf(err) != crewid.Internal {
		rc.results[key] = refreshed{res: res, err: err, at: now}
	}
	return res, err
}

// flash leaves a message for the next page the visitor sees.
func (c *Console) flash(w http.ResponseWriter, msg string) {
	c.setCookie(w, flashCookie, url.QueryEscape(msg), time.Minute)
}

func (c *Console) takeFlash(w http.ResponseWriter, r *http.Request) string {
	raw := cookieValue(r, flashCookie)
	if raw == "" {
		return ""
	}
	c.setCookie(w, flashCookie, "", -1)
	msg, err := url.QueryUnescape(raw)
	if err != nil {
		return ""
	}
	return msg
}

// authorize answers whether the viewer may do task; when not, it draws the
// 403 page and the handler stops.
// The refusal is recorded in history as the APIs record theirs.
func (c *Console) authorize(w http.ResponseWriter, r *http.Request, v *Viewer, task access.Task) bool {
	err := access.Authorize(v.Perms, task)
	if err == nil {
		return true
	}
	if perm, ok := access.TaskPermission(task); ok && c.Access != nil {
		err = c.Access.Deny(r.Context(), v.Actor(r), v.Person.TenantID, "console "+r.Method+" "+r.URL.Path, perm)
	}
	c.fail(w, r, err)
	return false
}

// fail draws the error page for err with its status. Internal errors are
// logged and shown without detail.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := api.Status(err)
	msg := err.Error()
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr):
		status, msg = http.StatusRequestEntityTooLarge, "The form is too large."
	case errors.Is(err, context.Canceled):
		// The visitor left before the answer; nobody will read it.
		return
	case crewid.CodeOf(err) == crewid.Internal:
		slog.ErrorContext(r.Context(), "console request failed", "path", r.URL.Path, "trace", api.TraceID(r.Context()), "err", err)
		msg = "Something went wrong on our side. Try again in a moment."
	case crewid.CodeOf(err) == crewid.Unauthenticated:
		msg = "Please sign in again."
	}
	if e, ok := err.(*crewid.Error); ok && len(e.Fields) > 0 && crewid.CodeOf(err) != crewid.Internal {
		msg = e.Message
		for _, msgs := range e.Fields {
			msg += " " + strings.Join(msgs, " ")
		}
	}
	c.render(w, r, status, "error", &View{Title: http.StatusText(status), Error: msg, Data: status})
}

// allowAttempt applies the per-address limit on sign-in and reset
// attempts; over it, it draws a 429 page with Retry-After.
func (c *Console) allowAttempt(w http.ResponseWriter, r *http.Request) bool {
	ok, wait := c.Limiter.Allow(api.ClientIP(r))
	if ok {
		return true
	}
	secs := int(wait/time.Second) + 1
	w.Header().Set("Retry-After", itoa(int64(secs)))
	c.render(w, r, http.StatusTooManyRequests, "error", &View{Title: "Too many attempts",
		Error: "Too many attempts from your address. Wait a minute and try again.", Data: http.StatusTooManyRequests})
	return false
}
