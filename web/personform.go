package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"crewid"
	"crewid/access"
	"crewid/accounts"
	"crewid/accounts/invite"
	"crewid/people"
)

// Choices a person form offers.
var (
	licenseTypes   = []crewid.LicenseType{crewid.LicenseManagedTech, crewid.LicenseNonManagedTech, crewid.LicenseManagedInstaller}
	accountMethods = []people.Method{people.CreateLater, people.SendInvite, people.AssignLoginAndPassword}
)

// licenseLabel names a licence type for people.
func licenseLabel(l crewid.LicenseType) string {
	switch l {
	case crewid.LicenseManagedTech:
		return "Managed Technician"
	case crewid.LicenseNonManagedTech:
		return "Non-managed Technician"
	case crewid.LicenseManagedInstaller:
		return "Managed Installer"
	}
	return string(l)
}

// licenseChoices names the license types as the forms offer them, for
// messages about a value the forms do not offer.
const licenseChoices = "Managed Technician, Non-managed Technician or Managed Installer"

// choiceLabels are the positions and appointment visibilities as the forms
// show them; the forms submit the Settings API's names.
var choiceLabels = map[string]string{
	// Positions.
	"CSR":                        "CSR",
	"Dispatcher":                 "Dispatcher",
	"CsrManager":                 "CSR Manager",
	"DispatchManager":            "Dispatch Manager",
	"InstallProductionManager":   "Install/Production Manager",
	"ServiceManager":             "Service Manager",
	"SalesManager":               "Sales Manager",
	"MarketingManager":           "Marketing Manager",
	"Administrator":              "Administrator",
	"PayrollManager":             "Payroll Manager",
	"Bookkeeper":                 "Bookkeeper",
	"PurchasingManager":          "Purchasing Manager",
	"WarehouseManager":           "Warehouse Manager",
	"OfficeManager":              "Office Manager",
	"GeneralManager":             "General Manager",
	"BusinessOwner":              "Business Owner",
	"AnsweringService":           "Answering Service",
	"InsideSales":                "Inside Sales",
	"GeneralOfficeNonManagement": "General Office (non-management)",
	"Installer":                  "Installer",
	"Service":                    "Service",
	"Sales":                      "Sales",
	"Maintenance":                "Maintenance",
	"Helper":                     "Helper",
	"PartRunner":                 "Part Runner",
	"DummyTech":                  "Dummy Tech",
	// Upcoming appointment visibility.
	"AllScheduledDispatchedWorking":               "All scheduled, dispatched or working",
	"NextScheduledDispatchedWorking":              "Next scheduled, dispatched or working",
	"DispatchedWorking":                           "Dispatched or working only",
	"NextScheduledDispatchedWorkingToday":         "Next scheduled, dispatched or working today",
	"AllScheduledDispatchedWorkingToday":          "All scheduled, dispatched or working today",
	"AllScheduledDispatchedWorkingFiveDays":       "All scheduled, dispatched or working in the next five days",
	"NextScheduledDispatchedWorkingTodayTomorrow": "Next scheduled, dispatched or working today or tomorrow",
	"AllScheduledDispatchedWorkingTodayTomorrow":  "All scheduled, dispatched or working today and tomorrow",
	"Next2ScheduledDispatchedWorkingToday":        "Next two scheduled, dispatched or working today",
	// Appointment history visibility.
	"AllJobs":       "All jobs",
	"LastThreeDays": "Last three days",
	"LastSevenDays": "Last seven days",
	"LastMonth":     "Last month",
}

// choiceLabel is how a form shows one of the API's names.
func choiceLabel(name string) string {
	if l, ok := choiceLabels[name]; ok {
		return l
	}
	return name
}

// permRow is one catalog permission on the form, with what the person's
// override says ("", "grant" or "deny") and whether they hold it.
type permRow struct {
	Perm     access.Permission
	Override string
	Held     bool
}

type permSection struct {
	Name string
	Rows []permRow
}

type formData struct {
	Labels   kindLabels
	New      bool
	Person   crewid.Person
	Status   string
	Lookups  *lookups
	Sections []permSection
	Custom   map[int64]string
	// Account set-up of a new person.
	Method   people.Method
	Login    string
	Licenses []crewid.LicenseType
	Methods  []people.Method
	// What the viewer may do here. CanActions says the viewer may take
	// profile actions; Actions are those that apply to the person as they
	// are, and Chosen is the one the viewer last tried.
	CanEdit    bool
	CanRoles   bool
	CanActions bool
	// Beyond says why the person is the viewer's to see but not to change.
	Beyond     string
	Actions    []accountAction
	Chosen     accountAction
	Positions  []string
	JobFilters []string
	JobHistory []string
	Skills     string
	HasHome    bool
}

func (c *Console) newFormData(labels kindLabels, p crewid.Person, l *lookups, v *Viewer, isNew bool) formData {
	d := formData{Labels: labels, New: isNew, Person: p, Lookups: l, Licenses: licenseTypes, Methods: accountMethods,
		Method: people.CreateLater, Login: p.Account.Login, Custom: map[int64]string{},
		CanEdit:  access.Allows(v.Perms, access.TaskEditPeople),
		CanRoles: access.Allows(v.Perms, access.TaskAssignRoles),
		Skills:   strings.Join(p.Skills, ", "), HasHome: p.Home != nil,
		JobFilters: people.JobFilters, JobHistory: people.JobHistoryDateFilters,
	}
	if !isNew {
		now := c.now()
		d.Status = people.Status(p, now)
		for _, a := range accounts.Actions {
			if access.Allows(v.Perms, taskOf(a)) {
				d.CanActions = true
				if actionApplies(a, p, now) {
					d.Actions = append(d.Actions, a)
				}
			}
		}
	}
	d.Positions = people.EmployeePositions
	if labels.IsTech() {
		d.Positions = people.TechnicianPositions
	}
	for _, f := range p.CustomFields {
		d.Custom[f.TypeID] = f.Value
	}
	eff := l.effective(p.RoleIDs, p.Overrides)
	overrides := map[int64]string{}
	for _, o := range p.Overrides {
		overrides[o.PermissionID] = map[bool]string{true: "grant", false: "deny"}[o.Granted]
	}
	for _, perm := range access.Catalog() {
		if n := len(d.Sections); n == 0 || d.Sections[n-1].Name != perm.Section {
			d.Sections = append(d.Sections, permSection{Name: perm.Section})
		}
		s := &d.Sections[len(d.Sections)-1]
		s.Rows = append(s.Rows, permRow{Perm: perm, Override: overrides[perm.ID], Held: eff.Has(perm.ID)})
	}
	return d
}

// Offers reports whether the profile actions include the action named a.
func (d formData) Offers(a string) bool { return slices.Contains(d.Actions, accountAction(a)) }

// actionApplies reports whether action a makes sense for p as they are at
// time now, so that the profile offers only those: activating someone
// active, or resetting the password of someone without one, would only be
// refused.
func actionApplies(a accountAction, p crewid.Person, now time.Time) bool {
	canHold := p.Active && people.CanHaveAccount(p)
	hasPassword := p.Account.Login != "" && p.Account.PasswordHash != ""
	switch a {
	case accounts.ActionActivate:
		return !p.Active
	case accounts.ActionDeactivate:
		return p.Active
	case accounts.ActionSendInvite:
		return canHold && !invite.HasAccount(p)
	case accounts.ActionSendPasswordResetLink, accounts.ActionSetTemporaryPassword:
		return canHold && hasPassword
	case accounts.ActionUnlock:
		return people.Locked(p, now)
	case accounts.ActionSetLoginAndPassword:
		return canHold
	}
	return false
}

// readPerson applies the form's fields to p. Values that do not parse
// are reported under the field's name; the domain checks the rest.
func readPerson(form url.Values, p *crewid.Person, l *lookups, isNew bool) crewid.Problems {
	problems := crewid.Problems{}
	text := func(name string) string { return strings.TrimSpace(form.Get(name)) }
	id := func(name string) int64 {
		v := text(name)
		if v == "" {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			problems.Add(name, "Not a valid choice.")
			return 0
		}
		return n
	}
	ids := func(name string) []int64 {
		out := []int64{}
		for _, v := range form[name] {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				problems.Add(name, "Not a valid choice.")
				continue
			}
			out = append(out, n)
		}
		return out
	}
	// The truck number is typed, not chosen: say what it must be.
	truck := func(v string) int64 {
		if v == "" {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			problems.Add("truckId", "The truck number must be a whole number, such as 12.")
			return 0
		}
		return n
	}
	amount := func(name string) float64 {
		v := text(name)
		if v == "" {
			return 0
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			problems.Add(name, "Enter a number.")
		}
		return f
	}

	// choices refuses values a form's list does not offer (a tampered
	// form), naming the list rather than the API's names.
	choices := func(name string, values, offered []string, msg string) {
		for _, v := range values {
			if !slices.Contains(offered, v) {
				problems.Add(name, msg)
				return
			}
		}
	}

	p.Name = text("name")
	p.Positions = append([]string{}, form["positions"]...)
	offered := people.EmployeePositions
	if p.Kind == crewid.KindTechnician {
		offered = people.TechnicianPositions
	}
	choices("positions", p.Positions, offered, "Choose the positions from the list.")
	p.BusinessUnitID = id("businessUnitId")
	p.External = form.Get("external") == "on"
	p.ManagerID = id("managerId")
	if isNew || p.Email == "" {
		// An email, once set, is changed only by a platform operator.
		p.Email = text("email")
	}
	var skills []string
	for _, s := range strings.Split(form.Get("skills"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			skills = append(skills, s)
		}
	}
	p.Skills = skills
	if p.Kind == crewid.KindTechnician {
		p.MobilePhone = text("phoneNumber")
		p.LicenseType = crewid.LicenseType(text("licenseType"))
		if !slices.Contains(licenseTypes, p.LicenseType) {
			problems.Add("licenseType", "Choose a license type: "+licenseChoices+".")
		}
		p.MobileAccessEnabled = form.Get("mobileAccessEnabled") == "on"
		p.JobFilter = text("jobFilter")
		p.JobHistoryDateFilter = text("jobHistoryDateFilter")
		if p.JobFilter != "" {
			choices("jobFilter", []string{p.JobFilter}, people.JobFilters, "Choose an upcoming appointment visibility from the list.")
		}
		if p.JobHistoryDateFilter != "" {
			choices("jobHistoryDateFilter", []string{p.JobHistoryDateFilter}, people.JobHistoryDateFilters, "Choose an appointment history visibility from the list.")
		}
		p.TeamName = text("team")
		p.ZoneIDs = ids("zoneIds")
		p.MainZoneID = id("mainZoneId")
		p.Memo = text("memo")
		p.Bio = text("bio")
		p.DailyGoal = amount("dailyGoal")
		p.BurdenRate = amount("burdenRate")
		p.TruckID = truck(text("truckId"))
		p.Warehouse = text("warehouse")
		home := crewid.Address{Street: text("home.street"), Unit: text("home.unit"), City: text("home.city"),
			State: text("home.state"), Zip: text("home.zip"), Country: text("home.country")}
		switch {
		case home != crewid.Address{} && p.Home != nil:
			// Keep coordinates the API may have set; the form has none.
			home.Latitude, home.Longitude = p.Home.Latitude, p.Home.Longitude
			p.Home = &home
		case home != crewid.Address{}:
			p.Home = &home
		default:
			p.Home = nil
		}
	} else {
		p.MobilePhone = text("mobilePhoneNumber")
		p.OfficePhone = text("phoneNumber")
	}
	if _, shown := form["roleIds.shown"]; shown {
		p.RoleIDs = ids("roleIds")
		var overrides []crewid.PermissionOverride
		for _, perm := range access.Catalog() {
			switch form.Get("perm." + itoa(perm.ID)) {
			case "grant":
				overrides = append(overrides, crewid.PermissionOverride{PermissionID: perm.ID, Granted: true})
			case "deny":
				overrides = append(overrides, crewid.PermissionOverride{PermissionID: perm.ID, Granted: false})
			}
		}
		p.Overrides = overrides
	}
	fields := []crewid.CustomFieldValue{}
	for _, f := range l.CustomFields {
		fields = append(fields, crewid.CustomFieldValue{TypeID: f.ID, Name: f.Name, Value: text("custom." + itoa(f.ID))})
	}
	// Values of inactive field types are kept: the form does not show them.
	for _, f := range p.CustomFields {
		if !slices.ContainsFunc(l.CustomFields, func(t crewid.CustomFieldType) bool { return t.ID == f.TypeID }) {
			fields = append(fields, f)
		}
	}
	p.CustomFields = fields
	return problems
}

// checkPermissionChange refuses a change to roles or per-person
// permissions by a viewer who may not assign them, or beyond what the
// viewer holds.
func checkPermissionChange(v *Viewer, l *lookups, before, after crewid.Person) error {
	if slices.Equal(before.RoleIDs, after.RoleIDs) && slices.Equal(before.Overrides, after.Overrides) {
		return nil
	}
	if err := access.Authorize(v.Perms, access.TaskAssignRoles); err != nil {
		return err
	}
	return access.CheckGrant(v.Perms, l.effective(before.RoleIDs, before.Overrides), l.effective(after.RoleIDs, after.Overrides))
}

// checkNewPersonGrant applies the permission rules to a new person. Their
// role is part of adding a profile, so Edit Employee suffices for it, but
// only a holder of Admin Access may create another one, and per-person
// overrides follow the rules of changing permissions.
func checkNewPersonGrant(v *Viewer, l *lookups, p crewid.Person) error {
	if l.effective(p.RoleIDs, p.Overrides).Has(access.PermAdminAccess) && !v.Perms.Has(access.PermAdminAccess) {
		return access.CheckGrant(v.Perms, access.Set{}, access.NewSet(access.PermAdminAccess))
	}
	if len(p.Overrides) == 0 {
		return nil
	}
	return checkPermissionChange(v, l, crewid.Person{RoleIDs: p.RoleIDs}, p)
}

func (c *Console) personNew(w http.ResponseWriter, r *http.Request, v *Viewer) {
	kind, slug, err := kindOf(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if !c.authorize(w, r, v, access.TaskEditPeople) {
		return
	}
	l, err := c.loadLookups(r.Context(), v.Person.TenantID, kind, true)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	p := crewid.Person{Kind: kind, TenantID: v.Person.TenantID, MobileAccessEnabled: true}
	// A person needs a role: the form starts with the built-in one for
	// the kind ticked (Office Staff for office employees), which the
	// viewer may change.
	defaultRole := access.KeyOfficeStaff
	if kind == crewid.KindTechnician {
		p.LicenseType = crewid.LicenseManagedTech
		defaultRole = access.KeyTechnician
	}
	for _, role := range l.Roles {
		if role.BuiltIn == defaultRole && role.Active {
			p.RoleIDs = []int64{role.ID}
		}
	}
	labels := labelsOf(kind, slug)
	c.render(w, r, http.StatusOK, "person", &View{Title: "Add " + strings.ToLower(labels.One), Data: c.newFormData(labels, p, l, v, true)})
}

func (c *Console) personCreate(w http.ResponseWriter, r *http.Request, v *Viewer) {
	kind, slug, err := kindOf(r)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if !c.authorize(w, r, v, access.TaskEditPeople) {
		return
	}
	tenant := v.Person.TenantID
	l, err := c.loadLookups(r.Context(), tenant, kind, true)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	p := crewid.Person{Kind: kind, TenantID: tenant}
	problems := readPerson(r.PostForm, &p, l, true)
	setup := people.AccountSetup{Method: people.Method(r.PostFormValue("accountCreationMethod")),
		Login: strings.TrimSpace(r.PostFormValue("login")), Password: r.PostFormValue("password")}
	labels := labelsOf(kind, slug)
	again := func(status int, err error) {
		d := c.newFormData(labels, p, l, v, true)
		d.Method, d.Login = setup.Method, setup.Login
		fields, msg := fieldErrors(err)
		c.render(w, r, status, "person", &View{Title: "Add " + strings.ToLower(labels.One), Errors: fields, Error: msg, Data: d})
	}
	if err := problems.Err(); err != nil {
		again(http.StatusBadRequest, err)
		return
	}
	if setup.Method == people.AssignLoginAndPassword && !c.authorize(w, r, v, access.TaskManageCredentials) {
		return
	}
	if err := checkNewPersonGrant(v, l, p); err != nil {
		c.fail(w, r, err)
		return
	}
	created, err := c.People.Create(r.Context(), v.Actor(r), p, setup)
	if err != nil {
		if formFailure(err) {
			again(api400(err), err)
			return
		}
		c.fail(w, r, err)
		return
	}
	msg := created.Name + " was added."
	if setup.Method == people.SendInvite {
		msg = created.Name + " was added and invited."
	}
	c.flash(w, msg)
	http.Redirect(w, r, "/settings/people/"+slug+"/"+itoa(created.ID), http.StatusSeeOther)
}

// api400 is the status of a form the person must correct.
func api400(err error) int {
	if crewid.CodeOf(err) == crewid.Conflict {
		return http.StatusConflict
	}
	return http.StatusBadRequest
}

// personOf reads the {kind}/{id} of a path and the person.
func (c *Console) personOf(r *http.Request, v *Viewer) (crewid.Person, kindLabels, error) {
	kind, slug, err := kindOf(r)
	if err != nil {
		return crewid.Person{}, kindLabels{}, err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return crewid.Person{}, kindLabels{}, crewid.ErrNotFound
	}
	p, err := c.People.Get(r.Context(), v.Person.TenantID, kind, id)
	return p, labelsOf(kind, slug), err
}

func (c *Console) personEdit(w http.ResponseWriter, r *http.Request, v *Viewer) {
	if !c.authorize(w, r, v, access.TaskViewPeople) {
		return
	}
	p, labels, err := c.personOf(r, v)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.showPerson(w, r, v, http.StatusOK, labels, p, nil, "")
}

// showPerson draws the profile page of p, with err's messages if any and
// chosen, the profile action the viewer tried ("" for none).
func (c *Console) showPerson(w http.ResponseWriter, r *http.Request, v *Viewer, status int, labels kindLabels, p crewid.Person, err error, chosen accountAction) {
	l, lerr := c.loadLookups(r.Context(), v.Person.TenantID, labels.Kind, true)
	if lerr != nil {
		c.fail(w, r, lerr)
		return
	}
	title := "Edit " + strings.ToLower(labels.One)
	if !access.Allows(v.Perms, access.TaskEditPeople) {
		title = strings.ToLower(labels.One)
		title = strings.ToUpper(title[:1]) + title[1:] + " profile"
	}
	fields, msg := fieldErrors(err)
	d := c.newFormData(labels, p, l, v, false)
	d.Chosen = chosen
	// Someone beyond the viewer's power is shown, not offered for change:
	// the services would refuse it.
	if err := people.CheckMayManage(r.Context(), c.Store, p); err != nil && crewid.CodeOf(err) == crewid.Forbidden {
		d.CanEdit, d.CanRoles, d.CanActions, d.Actions = false, false, false, nil
		d.Beyond = err.Error()
	}
	c.render(w, r, status, "person", &View{Title: title, Errors: fields, Error: msg, Data: d})
}

func (c *Console) personSave(w http.ResponseWriter, r *http.Request, v *Viewer) {
	if !c.authorize(w, r, v, access.TaskEditPeople) {
		return
	}
	before, labels, err := c.personOf(r, v)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	l, err := c.loadLookups(r.Context(), v.Person.TenantID, labels.Kind, true)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	edited := before
	edited.Skills, edited.Positions = slices.Clone(before.Skills), slices.Clone(before.Positions)
	if problems := readPerson(r.PostForm, &edited, l, false); len(problems) > 0 {
		c.showPerson(w, r, v, http.StatusBadRequest, labels, edited, problems.Err(), "")
		return
	}
	if err := checkPermissionChange(v, l, before, edited); err != nil {
		c.fail(w, r, err)
		return
	}
	saved, err := c.People.Update(r.Context(), v.Actor(r), before.TenantID, labels.Kind, before.ID, func(p *crewid.Person) error {
		// The form's values over the profile as it is now.
		fresh := *p
		_ = readPerson(r.PostForm, &fresh, l, false)
		if !slices.Equal(p.RoleIDs, before.RoleIDs) || !slices.Equal(p.Overrides, before.Overrides) {
			if err := checkPermissionChange(v, l, *p, fresh); err != nil {
				return err
			}
		}
		*p = fresh
		return nil
	})
	if err != nil {
		if formFailure(err) {
			c.showPerson(w, r, v, api400(err), labels, edited, err, "")
			return
		}
		c.fail(w, r, err)
		return
	}
	c.flash(w, "Saved changes to "+saved.Name+".")
	http.Redirect(w, r, "/settings/people/"+labels.Slug+"/"+itoa(saved.ID), http.StatusSeeOther)
}
