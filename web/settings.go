package web

import (
	"context"
	"net/http"
	"strconv"

	"crewid"
	"crewid/access"
)

// adminRoutes adds the administrator's settings screens other than
// People: roles, API applications, webhooks, history and single sign-on,
// and the console's end of a single sign-on.
func (c *Console) adminRoutes(mux *http.ServeMux) {
	mux.Handle("GET /settings/roles", c.signedIn(c.roleList))
	mux.Handle("GET /settings/roles/new", c.signedIn(c.roleNew))
	mux.Handle("POST /settings/roles/new", c.signedIn(c.roleCreate))
	mux.Handle("GET /settings/roles/{id}", c.signedIn(c.roleEdit))
	mux.Handle("POST /settings/roles/{id}", c.signedIn(c.roleSave))
	mux.Handle("POST /settings/roles/{id}/deactivate", c.signedIn(c.roleDeactivate))
	mux.Handle("POST /settings/roles/{id}/delete", c.signedIn(c.roleDelete))

	mux.Handle("GET /settings/apps", c.signedIn(c.appList))
	mux.Handle("GET /settings/apps/new", c.signedIn(c.appNew))
	mux.Handle("POST /settings/apps/new", c.signedIn(c.appCreate))
	mux.Handle("GET /settings/apps/{id}", c.signedIn(c.appShow))
	mux.Handle("POST /settings/apps/{id}", c.signedIn(c.appSave))
	mux.Handle("POST /settings/apps/{id}/secrets", c.signedIn(c.appAddSecret))
	mux.Handle("POST /settings/apps/{id}/secrets/{secretId}/revoke", c.signedIn(c.appRevokeSecret))
	mux.Handle("POST /settings/apps/{id}/revoke", c.signedIn(c.appRevoke))

	mux.Handle("GET /settings/webhooks", c.signedIn(c.webhookList))
	mux.Handle("GET /settings/webhooks/new", c.signedIn(c.webhookNew))
	mux.Handle("POST /settings/webhooks/new", c.signedIn(c.webhookCreate))
	mux.Handle("GET /settings/webhooks/{id}", c.signedIn(c.webhookShow))
	mux.Handle("POST /settings/webhooks/{id}", c.signedIn(c.webhookSave))
	mux.Handle("POST /settings/webhooks/{id}/delete", c.signedIn(c.webhookDelete))
	mux.Handle("POST /settings/webhooks/{id}/redeliver", c.signedIn(c.webhookRedeliver))

	mux.Handle("GET /settings/history", c.signedIn(c.historyList))

	mux.Handle("GET /settings/sso", c.signedIn(c.ssoSettings))
	mux.Handle("POST /settings/sso", c.signedIn(c.ssoSave))
	mux.Handle("GET /signin/sso", c.public(c.ssoSignInPage))
	mux.Handle("GET "+ssoReturnPath, c.public(c.ssoReturn))
}

// idOf reads a positive id from the path value name; anything else is a
// page that does not exist.
func idOf(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, crewid.Errorf(crewid.NotFound, "There is no such page.")
	}
	return id, nil
}

// recordOf checks that the viewer may do task, then reads the record of
// the path's {id} in their tenant with get. When either fails it draws the
// error page and reports false.
func recordOf[T any](c *Console, w http.ResponseWriter, r *http.Request, v *Viewer, task access.Task,
	get func(ctx context.Context, tenantID, id int64) (T, error)) (T, bool) {
	var rec T
	if !c.authorize(w, r, v, task) {
		return rec, false
	}
	id, err := idOf(r, "id")
	if err == nil {
		if rec, err = get(r.Context(), v.Person.TenantID, id); err == nil {
			return rec, true
		}
	}
	c.fail(w, r, err)
	return rec, false
}

// asViewer is ctx carrying the viewer's permissions, as the domain's rules
// on who may give which permission expect of a change made by a person.
func asViewer(ctx context.Context, v *Viewer) context.Context {
	return access.WithHolder(ctx, v.Perms)
}

// forgetGrants tells the authorizer of the APIs that the tenant's roles
// changed.
func (c *Console) forgetGrants(tenantID int64) {
	if c.Access != nil {
		c.Access.Forget(tenantID)
	}
}

// doneWith leaves msg for the next page and sends the viewer to path: the
// answer to a form that worked, so that reloading does not post it again.
func (c *Console) doneWith(w http.ResponseWriter, r *http.Request, path, msg string) {
	c.flash(w, msg)
	http.Redirect(w, r, path, http.StatusSeeOther)
}
