// Package access is crewid's permission model: the fixed permission
// catalog, the built-in role templates seeded in every tenant, the
// computation of a person's effective permissions from their roles and
// per-person overrides, and the rules that guard them.
//
// The package is pure domain code: no HTTP and no SQL. It reaches storage
// only through store.Tx, to seed the built-in roles.
package access

// Permission is one entry of the catalog. Its ID is published on the wire
// (GET permissions, role and person permission lists) and never changes
// once released; new permissions get new ids and retired ones leave a hole.
type Permission struct {
	ID          int64
	Name        string
	Section     string
	Description string
}

// Section names, in catalog order.
const (
	SectionSettings        = "Settings"
	SectionPeople          = "People"
	SectionIntegrations    = "Integrations"
	SectionDispatch        = "Dispatch"
	SectionScheduling      = "Scheduling"
	SectionPricing         = "Pricing"
	SectionPayments        = "Payments"
	SectionCustomerContact = "Customer Contact"
	SectionReports         = "Reports"
	SectionPayroll         = "Payroll"
)

// Permission ids. Each section owns a block of one hundred ids (Settings
// 100-199, People 200-299, …, Payroll 1000-1099) so that a section can grow
// without renumbering anything. These values are part of the public API:
// never change or reuse one.
const (
	// Settings (100s).
	PermAdminAccess         int64 = 101
	PermManageRoles         int64 = 102
	PermManageBusinessUnits int64 = 103
	PermManageTagTypes      int64 = 104
	PermManageCustomFields  int64 = 105
	PermViewHistory         int64 = 106

	// People (200s).
	PermViewEmployees      int64 = 201
	PermEditEmployee       int64 = 202
	PermActivateDeactivate int64 = 203
	PermManageLogins       int64 = 204
	PermAssignRoles        int64 = 205

	// Integrations (300s).
	PermManageAppAccess  int64 = 301
	PermGenerateAppKey   int64 = 302
	PermManageWebhooks   int64 = 303
	PermManageAccounting int64 = 304

	// Dispatch (400s).
	PermViewDispatchBoard    int64 = 401
	PermAssignTechnicians    int64 = 402
	PermChangeApptStatus     int64 = 403
	PermManageTechMemos      int64 = 404
	PermManageTeamsZones     int64 = 405
	PermSelfDispatch         int64 = 406
	PermViewTechLocations    int64 = 407
	PermManageDispatchAlerts int64 = 408

	// Scheduling (500s).
	PermBookJobs             int64 = 501
	PermRescheduleAppts      int64 = 502
	PermCancelJobs           int64 = 503
	PermManageShifts         int64 = 504
	PermManageArrivalWindows int64 = 505

	// Pricing (600s).
	PermViewPricebook   int64 = 601
	PermEditPricebook   int64 = 602
	PermViewItemCosts   int64 = 603
	PermCreateEstimates int64 = 604
	PermApplyDiscounts  int64 = 605
	PermOverridePrices  int64 = 606

	// Payments (700s).
	PermTakePayments         int64 = 701
	PermIssueRefunds         int64 = 702
	PermEditVoidPayments     int64 = 703
	PermEditInvoices         int64 = 704
	PermManageInvoiceBatches int64 = 705

	// Customer Contact (800s).
	PermViewCustomers        int64 = 801
	PermEditCustomers        int64 = 802
	PermViewCustomerContact  int64 = 803
	PermSendCustomerMessages int64 = 804
	PermListenCallRecordings int64 = 805
	PermExportCustomers      int64 = 806

	// Reports (900s).
	PermViewReports          int64 = 901
	PermViewFinancialReports int64 = 902
	PermBuildReports         int64 = 903
	PermScheduleReports      int64 = 904
	PermExportReportData     int64 = 905
	PermViewOwnPerformance   int64 = 906

	// Payroll (1000s).
	PermViewPayroll       int64 = 1001
	PermEditPayRates      int64 = 1002
	PermApproveTimesheets int64 = 1003
	PermEditAnyTimesheet  int64 = 1004
	PermEditOwnTimesheet  int64 = 1005
	PermClosePayPeriods   int64 = 1006
)

// catalog is ordered by section and, within a section, by id; ids ascend
// through the whole list. Tests hold it to that.
var catalog = []Permission{
	// Settings
	{PermAdminAccess, "Admin Access", SectionSettings,
		"Open and change every company setting: business units, tag types, custom fields, teams and zones, and the rest of the Settings area. Intended for owners and office managers. Never available to people outside the organization."},
	{PermManageRoles, "Manage Roles", SectionSettings,
		"Create, rename, deactivate and delete custom roles and choose which permissions each role carries."},
	{PermManageBusinessUnits, "Manage Business Units", SectionSettings,
		"Add, edit, deactivate and delete the company's business units."},
	{PermManageTagTypes, "Manage Tag Types", SectionSettings,
		"Add and edit the tags used to classify jobs, customers and timesheet activities."},
	{PermManageCustomFields, "Manage Custom Fields", SectionSettings,
		"Define the extra fields that employee and technician profiles can carry."},
	{PermViewHistory, "View History", SectionSettings,
		"Read and export the change history of every record, including sign-ins and failed sign-in attempts."},

	// People
	{PermViewEmployees, "View Employees", SectionPeople,
		"See the Employees and Technicians lists and open profiles without changing them."},
	{PermEditEmployee, "Edit Employee", SectionPeople,
		"Add office employee and technician profiles and change their details: contact information, business unit, team, zones, truck and the other profile sections."},
	{PermActivateDeactivate, "Activate Or Deactivate Employees", SectionPeople,
		"Deactivate a profile so the person can no longer sign in, or reactivate it (choosing the license type for technicians)."},
	{PermManageLogins, "View or Update Another User Username or Password", SectionPeople,
		"Manage other people's sign-in accounts: send invitations and password reset links, set a login and password or a temporary password, and unlock locked accounts. Passwords themselves can never be read."},
	{PermAssignRoles, "Assign Roles And Permissions", SectionPeople,
		"Change which roles a person holds and grant or deny individual permissions to that person."},

	// Integrations
	{PermManageAppAccess, "Manage API Application Access", SectionIntegrations,
		"Connect API applications to the company, issue and rotate their client ids and secrets, change their scopes and revoke them."},
	{PermGenerateAppKey, "Generate API Application Key", SectionIntegrations,
		"Register new API applications and obtain their application keys. Keys are shared by everyone in the company who holds this permission. Never available to people outside the organization."},
	{PermManageWebhooks, "Manage Webhooks", SectionIntegrations,
		"Subscribe outside systems to change events, rotate webhook secrets and inspect delivery attempts."},
	{PermManageAccounting, "Manage Accounting Integration", SectionIntegrations,
		"Configure how invoices, payments and payroll are synchronised with the company's accounting package."},

	// Dispatch
	{PermViewDispatchBoard, "View Dispatch Board", SectionDispatch,
		"Open the dispatch board to see the day's appointments, technician status and unassigned work."},
	{PermAssignTechnicians, "Assign Technicians", SectionDispatch,
		"Put technicians on appointments, move work between them and remove them from a job."},
	{PermChangeApptStatus, "Change Appointment Status", SectionDispatch,
		"Move an appointment through dispatched, working, on hold and done, from the office or from the mobile app."},
	{PermManageTechMemos, "Manage Technician Memos", SectionDispatch,
		"Write, change and clear the memos shown next to a technician on the dispatch board."},
	{PermManageTeamsZones, "Manage Teams And Zones", SectionDispatch,
		"Create and edit technician teams and service zones (zip codes, cities, service days) used for dispatching."},
	{PermSelfDispatch, "Self Dispatch", SectionDispatch,
		"Let a technician dispatch themselves to their next assigned appointment from the mobile app."},
	{PermViewTechLocations, "View Technician Locations", SectionDispatch,
		"See where technicians' vehicles and devices are on the dispatch map."},
	{PermManageDispatchAlerts, "Manage Dispatch Notifications", SectionDispatch,
		"Choose which dispatch alerts technicians and customers receive, by email or text message."},

	// Scheduling
	{PermBookJobs, "Book Jobs", SectionScheduling,
		"Create jobs and their first appointment for a customer, choosing job type, business unit and arrival window."},
	{PermRescheduleAppts, "Reschedule Appointments", SectionScheduling,
		"Move appointments to another day or arrival window and add follow-up appointments to a job."},
	{PermCancelJobs, "Cancel Jobs", SectionScheduling,
		"Cancel jobs or single appointments and record why."},
	{PermManageShifts, "Manage Technician Shifts", SectionScheduling,
		"Set technicians' working hours, time off and non-job events that block the schedule."},
	{PermManageArrivalWindows, "Manage Arrival Windows And Capacity", SectionScheduling,
		"Define the arrival windows offered to customers and how much work can be booked into each."},

	// Pricing
	{PermViewPricebook, "View Pricebook", SectionPricing,
		"Browse services, materials and equipment with their selling prices."},
	{PermEditPricebook, "Edit Pricebook", SectionPricing,
		"Add, change and retire pricebook items, categories and selling prices."},
	{PermViewItemCosts, "View Item Costs And Margins", SectionPricing,
		"See what pricebook items cost the company and the margin they earn, not only what customers pay."},
	{PermCreateEstimates, "Create Estimates", SectionPricing,
		"Build estimates and good-better-best options from the pricebook and present them to customers."},
	{PermApplyDiscounts, "Apply Discounts", SectionPricing,
		"Add discounts and membership savings to estimates and invoices."},
	{PermOverridePrices, "Override Item Prices", SectionPricing,
		"Charge a different price than the pricebook for an item on an estimate or invoice."},

	// Payments
	{PermTakePayments, "Take Payments", SectionPayments,
		"Collect and record payments by card, check, cash or financing, in the office or at the job."},
	{PermIssueRefunds, "Issue Refunds", SectionPayments,
		"Return money to a customer against an earlier payment."},
	{PermEditVoidPayments, "Edit Or Void Payments", SectionPayments,
		"Correct the amount, method or date of a recorded payment, or void it."},
	{PermEditInvoices, "Edit Invoices", SectionPayments,
		"Change items, quantities and details of an invoice after the work is done."},
	{PermManageInvoiceBatches, "Manage Invoice Batches", SectionPayments,
		"Group finished invoices and payments into batches and post them for accounting."},

	// Customer Contact
	{PermViewCustomers, "View Customers", SectionCustomerContact,
		"Open customer and location records with their equipment and job history."},
	{PermEditCustomers, "Edit Customers", SectionCustomerContact,
		"Add customers and service locations and change their names, addresses and notes."},
	{PermViewCustomerContact, "View Customer Phone Numbers And Emails", SectionCustomerContact,
		"See customers' phone numbers and email addresses rather than a masked value."},
	{PermSendCustomerMessages, "Send Customer Messages", SectionCustomerContact,
		"Send emails and text messages to customers, such as reminders, on-the-way notices and follow-ups."},
	{PermListenCallRecordings, "Listen To Call Recordings", SectionCustomerContact,
		"Play back recorded phone calls between the office and customers."},
	{PermExportCustomers, "Export Customer List", SectionCustomerContact,
		"Download the customer list with contact details as a spreadsheet."},

	// Reports
	{PermViewReports, "View Operational Reports", SectionReports,
		"Run the standard job, dispatch and technician performance reports."},
	{PermViewFinancialReports, "View Financial Reports", SectionReports,
		"Run revenue, receivables, margin and other money reports."},
	{PermBuildReports, "Build Custom Reports", SectionReports,
		"Create custom reports and change shared report templates."},
	{PermScheduleReports, "Schedule Report Delivery", SectionReports,
		"Have reports emailed automatically on a schedule."},
	{PermExportReportData, "Export Report Data", SectionReports,
		"Download report results as spreadsheets."},
	{PermViewOwnPerformance, "View Own Scorecard", SectionReports,
		"See one's own revenue, conversion rate and progress toward the daily goal."},

	// Payroll
	{PermViewPayroll, "View Payroll", SectionPayroll,
		"See wages, commissions, bonuses and burden rates of employees and technicians."},
	{PermEditPayRates, "Edit Pay Rates And Commissions", SectionPayroll,
		"Set hourly rates, commission plans and bonus rules for each person."},
	{PermApproveTimesheets, "Approve Timesheets", SectionPayroll,
		"Review and approve the hours recorded by employees and technicians."},
	{PermEditAnyTimesheet, "Edit Any Timesheet", SectionPayroll,
		"Correct anyone's clock-in, clock-out and timesheet activities."},
	{PermEditOwnTimesheet, "Edit Own Timesheet", SectionPayroll,
		"Clock in and out and fix one's own timesheet activities before approval."},
	{PermClosePayPeriods, "Close Pay Periods", SectionPayroll,
		"Lock a pay period and export it to the payroll provider."},
}

// sections lists the section names in catalog order.
var sections = []string{
	SectionSettings, SectionPeople, SectionIntegrations, SectionDispatch,
	SectionScheduling, SectionPricing, SectionPayments, SectionCustomerContact,
	SectionReports, SectionPayroll,
}

// maxPermissions is how many permissions a Set can hold. Raising it only
// grows Set; it changes no id.
const maxPermissions = 128

// indexByID maps a permission id to 1 + its catalog index (0: unknown id).
// Package variable initialisation orders it (and all, in set.go) after
// catalog and before anything that uses them.
var indexByID = buildIndex()

func buildIndex() []uint8 {
	if len(catalog) > maxPermissions {
		panic("access: catalog larger than maxPermissions")
	}
	var maxID int64
	for _, p := range catalog {
		if p.ID <= 0 {
			panic("access: permission id must be positive")
		}
		maxID = max(maxID, p.ID)
	}
	idx := make([]uint8, maxID+1)
	for i, p := range catalog {
		if idx[p.ID] != 0 {
			panic("access: duplicate permission id")
		}
		idx[p.ID] = uint8(i + 1)
	}
	return idx
}

// Catalog returns every permission, ordered by section then id. The slice
// is a copy; callers may keep or change it.
func Catalog() []Permission {
	out := make([]Permission, len(catalog))
	copy(out, catalog)
	return out
}

// Sections returns the section names in catalog order.
func Sections() []string {
	out := make([]string, len(sections))
	copy(out, sections)
	return out
}

// PermissionByID finds a permission of the catalog.
func PermissionByID(id int64) (Permission, bool) {
	i, ok := index(id)
	if !ok {
		return Permission{}, false
	}
	return catalog[i], true
}

// Known reports whether id is a catalog permission.
func Known(id int64) bool {
	_, ok := index(id)
	return ok
}

// index returns the catalog index of id.
func index(id int64) (int, bool) {
	if uint64(id) >= uint64(len(indexByID)) {
		return 0, false
	}
	i := indexByID[id]
	if i == 0 {
		return 0, false
	}
	return int(i) - 1, true
}
