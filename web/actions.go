package web

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"crewid"
	"crewid/access"
	"crewid/accounts"
)

// accountAction is an action on another person's account.
type accountAction = accounts.Action

// taskOf is the task an account action belongs to.
func taskOf(a accountAction) access.Task {
	if a == accounts.ActionActivate || a == accounts.ActionDeactivate {
		return access.TaskActivatePeople
	}
	return access.TaskManageCredentials
}

func validAction(a accountAction) bool { return slices.Contains(accounts.Actions, a) }

// actionLabels are the actions as the console names them.
var actionLabels = map[accountAction]string{
	accounts.ActionActivate:              "Activate",
	accounts.ActionDeactivate:            "Deactivate",
	accounts.ActionSendInvite:            "Send Account Invite",
	accounts.ActionSendPasswordResetLink: "Send Password Reset",
	accounts.ActionSetTemporaryPassword:  "Set Temporary Password",
	accounts.ActionUnlock:                "Unlock",
	accounts.ActionSetLoginAndPassword:   "Set Login and Password",
}

// actionQuestion is what the console asks before taking action a on the
// profile of name: actions that end the person's access ask first; the
// others ask nothing ("").
func actionQuestion(a accountAction, name string) string {
	switch a {
	case accounts.ActionDeactivate:
		return "Deactivate " + name + "? They are signed out everywhere and cannot sign in until they are activated again."
	case accounts.ActionSetTemporaryPassword:
		return "Set a temporary password for " + name + "? Their current password stops working and they are signed out everywhere."
	case accounts.ActionSetLoginAndPassword:
		return "Set a new login and password for " + name + "? Their current login, password and any invitation stop working, and they are signed out everywhere."
	}
	return ""
}

// checkLicense refuses a license type the forms do not offer, naming the
// ones they do.
func checkLicense(kind crewid.Kind, a accountAction, l crewid.LicenseType) error {
	if kind == crewid.KindTechnician && a == accounts.ActionActivate && !slices.Contains(licenseTypes, l) {
		return crewid.FieldError("licenseType", "Choose a license type: "+licenseChoices+".")
	}
	return nil
}

// doAction runs one account action as the viewer, after checking the
// viewer may take it.
func (c *Console) doAction(ctx context.Context, v *Viewer, actor crewid.Actor, kind crewid.Kind, id int64, req accounts.ActionRequest) error {
	if !validAction(req.Action) {
		return crewid.FieldError("action", "Choose an action.")
	}
	if err := access.Authorize(v.Perms, taskOf(req.Action)); err != nil {
		return err
	}
	if err := checkLicense(kind, req.Action, req.License); err != nil {
		return err
	}
	taker := accounts.ActionTaker{People: c.People, Accounts: c.Accounts}
	return taker.Take(ctx, actor, v.Person.TenantID, kind, id, req)
}

// personAction takes a profile action from the profile page.
func (c *Console) personAction(w http.ResponseWriter, r *http.Request, v *Viewer) {
	if !c.authorize(w, r, v, access.TaskViewPeople) {
		return
	}
	p, labels, err := c.personOf(r, v)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	req := accounts.ActionRequest{Action: accountAction(r.PostFormValue("action")),
		License: crewid.LicenseType(r.PostFormValue("licenseType")),
		Login:   strings.TrimSpace(r.PostFormValue("actionLogin")), Password: r.PostFormValue("actionPassword")}
	if err := c.doAction(r.Context(), v, v.Actor(r), labels.Kind, p.ID, req); err != nil {
		if formFailure(err) {
			// Field errors of the action show beside the action's inputs.
			if e, ok := err.(*crewid.Error); ok && len(e.Fields) > 0 {
				fields := crewid.Problems{}
				for f, msgs := range e.Fields {
					fields["action."+f] = msgs
				}
				err = &crewid.Error{Code: e.Code, Message: e.Message, Fields: fields}
			}
			c.showPerson(w, r, v, api400(err), labels, p, err, req.Action)
			return
		}
		c.fail(w, r, err)
		return
	}
	c.flash(w, actionLabels[req.Action]+": done for "+p.Name+".")
	http.Redirect(w, r, "/settings/people/"+labels.Slug+"/"+itoa(p.ID), http.StatusSeeOther)
}

// maxBulk bounds the people one bulk action takes.
const maxBulk = 1000

type bulkPerson struct {
	Person  crewid.Person
	License crewid.LicenseType
	Result  string
	Failed  bool
}

type bulkData struct {
	Labels      kindLabels
	Action      accountAction
	ActionLabel string
	People      []bulkPerson
	Licenses    []crewid.LicenseType
	NeedLicense bool
	Done        bool
	Succeeded   int
}

// bulkAction runs the three steps of an action on selected rows: confirm
// (and, to activate technicians, a license type each), then apply.
func (c *Console) bulkAction(w http.ResponseWriter, r *http.Request, v *Viewer) {
	kind, slug, err := kindOf(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	action := accountAction(r.PostFormValue("action"))
	switch action {
	case accounts.ActionActivate, accounts.ActionDeactivate, accounts.ActionSendInvite, accounts.ActionSendPasswordResetLink:
	default:
		c.fail(w, r, crewid.FieldError("action", "Choose one of the bulk actions."))
		return
	}
	if !c.authorize(w, r, v, taskOf(action)) {
		return
	}
	labels := labelsOf(kind, slug)
	ids := r.PostForm["ids"]
	if len(ids) == 0 {
		c.flash(w, "Select at least one "+strings.ToLower(labels.One)+" first.")
		http.Redirect(w, r, "/settings/people/"+slug, http.StatusSeeOther)
		return
	}
	if len(ids) > maxBulk {
		c.fail(w, r, crewid.FieldError("ids", "Select at most 1000 people at once."))
		return
	}
	d := bulkData{Labels: labels, Action: action, ActionLabel: actionLabels[action], Licenses: licenseTypes,
		NeedLicense: action == accounts.ActionActivate && kind == crewid.KindTechnician}
	seen := map[int64]bool{}
	for _, raw := range ids {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || id <= 0 || seen[id] {
			continue
		}
		seen[id] = true
		p, err := c.People.Get(r.Context(), v.Person.TenantID, kind, id)
		if crewid.IsNotFound(err) {
			continue
		}
		if err != nil {
			c.fail(w, r, err)
			return
		}
		license := crewid.LicenseType(r.PostFormValue("license." + raw))
		if license == "" {
			license = p.LicenseType
		}
		d.People = append(d.People, bulkPerson{Person: p, License: license})
	}
	if r.PostFormValue("step") != "apply" {
		c.render(w, r, http.StatusOK, "bulk", &View{Title: d.ActionLabel, Data: d})
		return
	}
	actor := v.Actor(r)
	for i := range d.People {
		bp := &d.People[i]
		err := c.doAction(r.Context(), v, actor, kind, bp.Person.ID, accounts.ActionRequest{Action: action, License: bp.License})
		switch {
		case err == nil:
			bp.Result = "Done"
			d.Succeeded++
		case crewid.CodeOf(err) == crewid.Internal:
			c.fail(w, r, err)
			return
		default:
			bp.Result, bp.Failed = errorText(err), true
		}
	}
	d.Done = true
	c.render(w, r, http.StatusOK, "bulk", &View{Title: d.ActionLabel, Data: d})
}

// errorText is a domain error as one line for a results table.
func errorText(err error) string {
	e, ok := err.(*crewid.Error)
	if !ok || len(e.Fields) == 0 {
		return err.Error()
	}
	var parts []string
	for _, msgs := range e.Fields {
		parts = append(parts, msgs...)
	}
	return strings.Join(parts, " ")
}
