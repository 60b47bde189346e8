package web

import (
	"net/http"

	"crewid"
	"crewid/access"
	"crewid/apps"
	"crewid/store"
)

// Settings > API applications: register an application (Generate API
// Application Key), see, change and revoke applications and their
// secrets (Manage API Application Access), as the Settings API's apps
// resource does. Secrets are shown once, on the answer to the form that
// made them; render marks every page no-store, so it is not kept.

// scopeArea groups scopes on the form.
type scopeArea struct {
	Name   string
	Scopes []scopeInfo
}

type scopeInfo struct {
	Scope       string
	Description string
}

var scopeAreas = []scopeArea{
	{"People", []scopeInfo{
		{apps.ScopePeopleRead, "Read employees, technicians, user roles and the permission catalog"},
		{apps.ScopePeopleWrite, "Create and change people; account actions"},
		{apps.ScopeRoles, "Create, change and delete user roles"},
	}},
	{"Settings", []scopeInfo{
		{apps.ScopeSettingsRead, "Read business units, tag types, custom fields, teams and zones"},
		{apps.ScopeSettingsWrite, "Change them"},
		{apps.ScopeHistory, "Read history and its export"},
	}},
	{"Integrations", []scopeInfo{
		{apps.ScopeApps, "Manage API applications"},
		{apps.ScopeWebhooks, "Manage webhook subscriptions"},
		{apps.ScopeSCIM, "Provision people from a directory (SCIM 2.0)"},
	}},
}

type appListData struct {
	Apps        []crewid.App
	CanList     bool
	CanRegister bool
}

func (c *Console) appList(w http.ResponseWriter, r *http.Request, v *Viewer) {
	d := appListData{CanList: access.Allows(v.Perms, access.TaskManageApps), CanRegister: access.Allows(v.Perms, access.TaskRegisterApps)}
	if !d.CanList && !d.CanRegister {
		c.authorize(w, r, v, access.TaskManageApps)
		return
	}
	if d.CanList {
		page, err := c.Apps.List(r.Context(), v.Person.TenantID, store.ListQuery{Active: store.ActiveAny, PageSize: lookupAll, Sort: "+Name"})
		if err != nil {
			c.fail(w, r, err)
			return
		}
		d.Apps = page.Items
	}
	c.render(w, r, http.StatusOK, "apps", &View{Title: "API applications", Data: d})
}

type appFormData struct {
	New    bool
	App    crewid.App
	Areas  []scopeArea
	CanAdd bool // another secret may be added
}

func newAppForm(app crewid.App, isNew bool) appFormData {
	return appFormData{New: isNew, App: app, Areas: scopeAreas, CanAdd: len(app.Secrets) < apps.MaxLiveSecrets}
}

// appForm is an existing application's form as v sees it: a secret may be
// added only by someone who could give the application all its scopes.
func appForm(v *Viewer, app crewid.App) appFormData {
	d := newAppForm(app, false)
	d.CanAdd = d.CanAdd && apps.ScopesHeldBy(v.Perms, app.Scopes)
	return d
}

func (c *Console) appNew(w http.ResponseWriter, r *http.Request, v *Viewer) {
	if !c.authorize(w, r, v, access.TaskRegisterApps) {
		return
	}
	c.render(w, r, http.StatusOK, "app", &View{Title: "Register an application", Data: newAppForm(crewid.App{}, true)})
}

// appCreated is the one page that shows a new application's credentials.
type appCreated struct {
	App    crewid.App
	Secret string
	// First says the application is new (else: a second secret).
	First bool
	// CanManage says the viewer may open the application's page; one who
	// may only register goes back to the list.
	CanManage bool
}

func (c *Console) appCreate(w http.ResponseWriter, r *http.Request, v *Viewer) {
	if !c.authorize(w, r, v, access.TaskRegisterApps) {
		return
	}
	name, scopes := r.PostFormValue("name"), r.PostForm["scopes"]
	app, secret, err := c.Apps.Create(asViewer(r.Context(), v), v.Actor(r), v.Person.TenantID, name, scopes)
	if err != nil {
		c.appFailed(w, r, err, newAppForm(crewid.App{Name: name, Scopes: scopes}, true))
		return
	}
	c.render(w, r, http.StatusOK, "app-secret", &View{Title: "Application registered", Data: appCreated{App: app, Secret: secret, First: true,
		CanManage: access.Allows(v.Perms, access.TaskManageApps)}})
}

func (c *Console) appFailed(w http.ResponseWriter, r *http.Request, err error, d appFormData) {
	if !formFailure(err) {
		c.fail(w, r, err)
		return
	}
	problems, msg := fieldErrors(err)
	title := d.App.Name
	if d.New {
		title = "Register an application"
	}
	c.render(w, r, api400(err), "app", &View{Title: title, Data: d, Errors: problems, Error: msg})
}

func (c *Console) appOf(w http.ResponseWriter, r *http.Request, v *Viewer) (crewid.App, bool) {
	return recordOf(c, w, r, v, access.TaskManageApps, c.Apps.Get)
}

func (c *Console) appShow(w http.ResponseWriter, r *http.Request, v *Viewer) {
	if app, ok := c.appOf(w, r, v); ok {
		c.render(w, r, http.StatusOK, "app", &View{Title: app.Name, Data: appForm(v, app)})
	}
}

func (c *Console) appSave(w http.ResponseWriter, r *http.Request, v *Viewer) {
	app, ok := c.appOf(w, r, v)
	if !ok {
		return
	}
	name, scopes, active := r.PostFormValue("name"), r.PostForm["scopes"], r.PostFormValue("active") == "on"
	if scopes == nil {
		scopes = []string{} // none ticked: the domain refuses it, rather than keeping the old ones
	}
	saved, err := c.Apps.Update(asViewer(r.Context(), v), v.Actor(r), v.Person.TenantID, app.ID, &name, &scopes, &active)
	if err != nil {
		edited := app
		edited.Name, edited.Scopes, edited.Active = name, scopes, active
		c.appFailed(w, r, err, appForm(v, edited))
		return
	}
	c.doneWith(w, r, "/settings/apps/"+itoa(saved.ID), "The application "+saved.Name+" was saved.")
}

func (c *Console) appAddSecret(w http.ResponseWriter, r *http.Request, v *Viewer) {
	app, ok := c.appOf(w, r, v)
	if !ok {
		return
	}
	_, secret, err := c.Apps.AddSecret(asViewer(r.Context(), v), v.Actor(r), v.Person.TenantID, app.ID)
	if err != nil {
		if formFailure(err) {
			c.render(w, r, api400(err), "app", &View{Title: app.Name, Data: appForm(v, app), Error: errorText(err)})
			return
		}
		c.fail(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "app-secret", &View{Title: "New client secret", Data: appCreated{App: app, Secret: secret, CanManage: true}})
}

func (c *Console) appRevokeSecret(w http.ResponseWriter, r *http.Request, v *Viewer) {
	app, ok := c.appOf(w, r, v)
	if !ok {
		return
	}
	secretID, err := idOf(r, "secretId")
	if err == nil {
		err = c.Apps.DeleteSecret(asViewer(r.Context(), v), v.Actor(r), v.Person.TenantID, app.ID, secretID)
	}
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.doneWith(w, r, "/settings/apps/"+itoa(app.ID), "The secret was revoked; tokens obtained with it no longer work.")
}

func (c *Console) appRevoke(w http.ResponseWriter, r *http.Request, v *Viewer) {
	app, ok := c.appOf(w, r, v)
	if !ok {
		return
	}
	inactive := false
	if _, err := c.Apps.Update(asViewer(r.Context(), v), v.Actor(r), v.Person.TenantID, app.ID, nil, nil, &inactive); err != nil {
		c.fail(w, r, err)
		return
	}
	c.doneWith(w, r, "/settings/apps/"+itoa(app.ID), "The application "+app.Name+" was revoked; its tokens no longer work.")
}
