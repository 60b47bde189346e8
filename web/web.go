// Package web is crewid's web console: server-rendered pages for everyone
// (sign-in, with a password or a company account, invitation acceptance,
// forgotten password, required actions, own profile and password) and for
// administrators (Settings > People, roles, API applications, webhooks,
// history, single sign-on, the local message outbox). It calls the domain
// services directly; its handlers translate forms to calls and results to
// pages, and the domain decides (permissions through package access).
//
// # Adding a page
//
//   - Write templates/NAME.html defining "content" (and optionally
//     "title"); it is rendered inside templates/layout.html, which draws
//     the header (company, environment, signed-in person), the navigation
//     and any flash message.
//   - Register a route in routes (auth.go) or a function it calls: c.public(h) for pages
//     anyone may see, c.signedIn(h) for pages that need a session; the
//     handler gets the viewer (person, effective permissions, form token).
//   - Answer with c.render(w, r, http.StatusOK, "NAME", view) — set
//     view.Title, view.Data (anything the template reads as .Data) and
//     view.Errors (field errors, shown beside the fields by the
//     "field-errors" template) — or c.fail(w, r, err) for an error page.
//   - Add an entry to nav with the access.Task that shows it; entries the
//     viewer may not use are hidden, and the handler must check the task
//     again (c.authorize) since hiding is not refusing.
//
// # Security
//
// Every page carries a strict Content-Security-Policy (default-src 'self':
// no inline scripts or styles, so scripts are files under /static/),
// frame-ancestors 'none' with X-Frame-Options DENY, and no-store caching.
// Unsafe methods pass http.CrossOriginProtection and must carry the form
// token (hidden field "csrf"): for a session, a hash of its session family
// id; before sign-in, a random value also kept in a cookie. The session
// cookie (HttpOnly, SameSite=Lax, Secure when the public URL is https)
// holds the refresh token of an accounts session; its access token rides
// in a second cookie and is renewed from the refresh token when it
// expires, so sign-out, deactivation and password resets end console
// sessions exactly as they end API sessions.
package web

import (
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"crewid"
	"crewid/access"
	"crewid/accounts"
	"crewid/accounts/invite"
	"crewid/api/auth"
	"crewid/apps"
	"crewid/org"
	"crewid/people"
	"crewid/sso"
	"crewid/store"
	"crewid/webhooks"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Console serves the web console. Set the fields, then Register.
type Console struct {
	Store    store.Store
	People   *people.Service
	Org      *org.Service
	Accounts *accounts.Service
	Invites  *invite.Service
	Apps     *apps.Service
	Webhooks *webhooks.Service
	SSO      *sso.Service
	// Access, when set, is told of role changes so that the APIs of this
	// node see them at once.
	Access *access.Authorizer
	// Environment ("production" or "integration") is shown on every page.
	Environment string
	// PublicURL decides whether cookies are Secure (https).
	PublicURL string
	// Limiter limits sign-in and reset attempts per client address, shared
	// with the authentication API; nil for no limit.
	Limiter *auth.Limiter
	// Now is the clock (nil: time.Now).
	Now func() time.Time

	pages    map[string]*template.Template
	csrf     *http.CrossOriginProtection
	refresh  *refreshCache
	secure   bool
	resetsCh chan struct{}
}

// navItem is one entry of the navigation. Task is what the viewer needs
// for the entry to show ("" for everyone signed in).
type navItem struct {
	Label string
	Path  string
	Task  access.Task
	// Or is a second task that also shows the entry ("" for none).
	Or access.Task
}

// nav is the console's navigation, in order.
var nav = []navItem{
	{"Home", "/", "", ""},
	{"Employees", "/settings/people/employees", access.TaskViewPeople, ""},
	{"Technicians", "/settings/people/technicians", access.TaskViewPeople, ""},
	{"Roles", "/settings/roles", access.TaskManageRoles, ""},
	{"API applications", "/settings/apps", access.TaskManageApps, access.TaskRegisterApps},
	{"Webhooks", "/settings/webhooks", access.TaskManageWebhooks, ""},
	{"History", "/settings/history", access.TaskViewHistory, ""},
	{"Single sign-on", "/settings/sso", access.TaskAdminSettings, ""},
	{"Outbox", "/settings/outbox", access.TaskReadOutbox, ""},
	{"My profile", "/profile", "", ""},
}

// Register adds the console's routes to mux.
func (c *Console) Register(mux *http.ServeMux) {
	c.init()
	static, _ := fs.Sub(staticFS, "static")
	files := http.FileServerFS(static)
	mux.Handle("GET /static/", c.headers(http.StripPrefix("/static/", cacheStatic(files))))
	// Browsers ask for /favicon.ico whatever the pages name; the console's
	// icon answers it too.
	mux.Handle("GET /favicon.ico", c.headers(cacheStatic(http.HandlerFunc(serveFavicon))))
	c.routes(mux)
}

// serveFavicon answers /favicon.ico with the console's icon.
func serveFavicon(w http.ResponseWriter, r *http.Request) {
	icon, err := staticFS.ReadFile("static/favicon.svg")
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	_, _ = w.Write(icon)
}

func (c *Console) init() {
	c.pages = parsePages()
	c.csrf = http.NewCrossOriginProtection()
	c.refresh = newRefreshCache()
	c.secure = strings.HasPrefix(strings.ToLower(c.PublicURL), "https://")
	c.resetsCh = make(chan struct{}, 64)
}

func (c *Console) now() time.Time {
	if c.Now != nil {
		return c.Now().UTC()
	}
	return time.Now().UTC()
}

// parsePages builds one template set per page: the layout and partials
// plus the page's own file.
func parsePages() map[string]*template.Template {
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html"))
	entries, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	pages := map[string]*template.Template{}
	for _, path := range entries {
		name := strings.TrimSuffix(strings.TrimPrefix(path, "templates/"), ".html")
		if name == "layout" || name == "partials" {
			continue
		}
		pages[name] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, path))
	}
	return pages
}

// headers sets the security headers every console response carries.
func (c *Console) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

// cacheStatic lets browsers keep the embedded files for a day: they change
// only with a new build.
func cacheStatic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		next.ServeHTTP(w, r)
	})
}

// View is what every page template receives. Templates read page data
// from .Data and field errors with .Errs "field".
type View struct {
	Title  string
	Env    string
	Viewer *Viewer
	Nav    []navLink
	CSRF   string
	Flash  string
	// Error is a message for the whole form or page.
	Error  string
	Errors crewid.Problems
	Data   any
}

type navLink struct {
	Label  string
	Path   string
	Active bool
}

// Errs returns the errors of one field.
func (v *View) Errs(field string) []string { return v.Errors[field] }

// HasErrs reports whether any field errors are set.
func (v *View) HasErrs() bool { return len(v.Errors) > 0 }

// Can reports whether the viewer may do task, for templates that hide
// what the viewer may not do.
func (v *View) Can(task access.Task) bool {
	return v.Viewer != nil && access.Allows(v.Viewer.Perms, task)
}

var funcs = template.FuncMap{
	"date": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04")
	},
	"contains": func(list []int64, id int64) bool {
		for _, v := range list {
			if v == id {
				return true
			}
		}
		return false
	},
	"hasString": func(list []string, s string) bool {
		for _, v := range list {
			if v == s {
				return true
			}
		}
		return false
	},
	"statusLabel":    statusLabel,
	"licenseLabel":   licenseLabel,
	"choiceLabel":    choiceLabel,
	"actionLabel":    func(a accountAction) string { return actionLabels[a] },
	"actionQuestion": actionQuestion,
	"lower":          strings.ToLower,
	"count":          count,
}

// count is n with the noun that goes with it: "1 employee", "2 employees".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// statusLabel is how the status column shows an account status.
func statusLabel(status string) string {
	switch status {
	case people.StatusNoUserAccount:
		return "No user account"
	case people.StatusNeverLoggedIn:
		return "Never logged in"
	case people.StatusAdminAssigned:
		return "Admin Assigned"
	}
	return status
}

// render draws page inside the layout with status.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, page string, v *View) {
	t, ok := c.pages[page]
	if !ok {
		panic("web: no page template " + page)
	}
	if v == nil {
		v = &View{}
	}
	v.Env = c.Environment
	if vw := viewerFrom(r); vw != nil {
		v.Viewer = vw
		v.CSRF = vw.CSRF
		for _, item := range nav {
			if item.Task == "" || access.Allows(vw.Perms, item.Task) || (item.Or != "" && access.Allows(vw.Perms, item.Or)) {
				active := r.URL.Path == item.Path || (item.Path != "/" && strings.HasPrefix(r.URL.Path, item.Path))
				v.Nav = append(v.Nav, navLink{Label: item.Label, Path: item.Path, Active: active})
			}
		}
	} else {
		v.CSRF = c.anonymousToken(w, r)
	}
	if v.Flash == "" {
		v.Flash = c.takeFlash(w, r)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	var buf strings.Builder
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		panic("web: render " + page + ": " + err.Error())
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(buf.String()))
}
