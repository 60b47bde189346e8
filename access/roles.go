package access

import (
	"context"
	"fmt"
	"time"

	"crewid"
	"crewid/store"
)

// Keys of the built-in role templates, stored in crewid.Role.BuiltIn. They
// are stable identifiers: a tenant may rename a built-in role, but its key
// stays and keeps it from being deleted.
const (
	KeyAdministrator         = "Administrator"
	KeyDispatcher            = "Dispatcher"
	KeyOfficeStaff           = "OfficeStaff"
	KeyCSR                   = "CSR"
	KeyAccounting            = "Accounting"
	KeyFieldManager          = "FieldManager"
	KeyTechnician            = "Technician"
	KeyTechnicianHVAC        = "TechnicianHVAC"
	KeyTechnicianPlumbing    = "TechnicianPlumbing"
	KeyTechnicianElectrical  = "TechnicianElectrical"
	KeyTechnicianMaintenance = "TechnicianMaintenance"
	KeyTechnicianSales       = "TechnicianSales"
	KeyInstaller             = "Installer"
	KeyTechnicianHelper      = "TechnicianHelper"
)

// Template is a built-in role as seeded in every tenant.
type Template struct {
	Key          string
	Name         string
	EmployeeType crewid.EmployeeType
	// Legacy is the Settings API's EmployeeUserRole value for the role.
	Legacy      string
	Permissions []int64
}

// Permission groups shared by several templates.
var (
	// fieldBasics is what every technician who runs calls needs on the
	// mobile app.
	fieldBasics = []int64{
		PermChangeApptStatus,
		PermViewPricebook,
		PermTakePayments,
		PermViewCustomers,
		PermViewCustomerContact,
		PermSendCustomerMessages,
		PermEditOwnTimesheet,
		PermViewOwnPerformance,
	}
	// serviceTech adds selling at the door to fieldBasics.
	serviceTech = join(fieldBasics, []int64{
		PermSelfDispatch,
		PermCreateEstimates,
	})
	// tradeTech is the starting point of the trade-specific service roles;
	// companies tune each trade from here.
	tradeTech = join(serviceTech, []int64{PermApplyDiscounts})
)

// templates lists the built-in roles in the order they are seeded, each
// with its permissions deduplicated in catalog order.
var templates = normalizeTemplates([]Template{
	{
		// Every permission, filled in by normalizeTemplates. EmployeeType All:
		// owners of small shops often run calls themselves.
		Key: KeyAdministrator, Name: "Administrator", EmployeeType: crewid.EmployeeTypeAll, Legacy: "Admin",
	},
	{
		Key: KeyDispatcher, Name: "Dispatcher", EmployeeType: crewid.EmployeeTypeEmployee, Legacy: "Dispatch",
		Permissions: []int64{
			PermViewEmployees,
			PermViewDispatchBoard, PermAssignTechnicians, PermChangeApptStatus, PermManageTechMemos,
			PermViewTechLocations, PermManageDispatchAlerts,
			PermBookJobs, PermRescheduleAppts, PermCancelJobs, PermManageShifts,
			PermViewPricebook,
			PermViewCustomers, PermEditCustomers, PermViewCustomerContact, PermSendCustomerMessages,
			PermViewReports,
		},
	},
	{
		Key: KeyOfficeStaff, Name: "Office Staff", EmployeeType: crewid.EmployeeTypeEmployee, Legacy: "GeneralOffice",
		Permissions: []int64{
			PermViewEmployees,
			PermViewDispatchBoard,
			PermBookJobs, PermRescheduleAppts, PermCancelJobs,
			PermViewPricebook, PermCreateEstimates, PermApplyDiscounts,
			PermTakePayments, PermEditInvoices, PermManageInvoiceBatches,
			PermViewCustomers, PermEditCustomers, PermViewCustomerContact, PermSendCustomerMessages,
			PermListenCallRecordings,
			PermViewReports, PermViewFinancialReports, PermExportReportData,
			PermEditOwnTimesheet,
		},
	},
	{
		Key: KeyCSR, Name: "Customer Service Representative", EmployeeType: crewid.EmployeeTypeEmployee, Legacy: "CSR",
		Permissions: []int64{
			PermViewDispatchBoard,
			PermBookJobs, PermRescheduleAppts, PermCancelJobs,
			PermViewPricebook,
			PermTakePayments,
			PermViewCustomers, PermEditCustomers, PermViewCustomerContact, PermSendCustomerMessages,
			PermListenCallRecordings,
			PermEditOwnTimesheet,
		},
	},
	{
		Key: KeyAccounting, Name: "Accounting", EmployeeType: crewid.EmployeeTypeEmployee, Legacy: "Accounting",
		Permissions: []int64{
			PermViewEmployees,
			PermManageAccounting,
			PermViewPricebook, PermViewItemCosts,
			PermTakePayments, PermIssueRefunds, PermEditVoidPayments, PermEditInvoices, PermManageInvoiceBatches,
			PermViewCustomers, PermViewCustomerContact,
			PermViewReports, PermViewFinancialReports, PermBuildReports, PermScheduleReports, PermExportReportData,
			PermViewPayroll, PermEditPayRates, PermApproveTimesheets, PermEditAnyTimesheet, PermEditOwnTimesheet,
			PermClosePayPeriods,
		},
	},
	{
		Key: KeyFieldManager, Name: "Field Manager", EmployeeType: crewid.EmployeeTypeAll, Legacy: "FieldManager",
		Permissions: []int64{
			PermViewEmployees,
			PermViewDispatchBoard, PermAssignTechnicians, PermChangeApptStatus, PermManageTechMemos,
			PermSelfDispatch, PermViewTechLocations,
			PermRescheduleAppts, PermManageShifts,
			PermViewPricebook, PermCreateEstimates, PermApplyDiscounts, PermOverridePrices,
			PermTakePayments,
			PermViewCustomers, PermViewCustomerContact, PermSendCustomerMessages,
			PermViewReports, PermViewOwnPerformance,
			PermApproveTimesheets, PermEditAnyTimesheet, PermEditOwnTimesheet,
		},
	},
	{
		Key: KeyTechnician, Name: "Technician", EmployeeType: crewid.EmployeeTypeTechnician, Legacy: "Technician",
		Permissions: serviceTech,
	},
	{
		Key: KeyTechnicianHVAC, Name: "HVAC Technician", EmployeeType: crewid.EmployeeTypeTechnician, Legacy: "TechnicianService",
		Permissions: tradeTech,
	},
	{
		Key: KeyTechnicianPlumbing, Name: "Plumbing Technician", EmployeeType: crewid.EmployeeTypeTechnician, Legacy: "TechnicianService",
		Permissions: tradeTech,
	},
	{
		Key: KeyTechnicianElectrical, Name: "Electrical Technician", EmployeeType: crewid.EmployeeTypeTechnician, Legacy: "TechnicianService",
		Permissions: tradeTech,
	},
	{
		// Runs planned maintenance visits: no selling beyond the agreement,
		// but members get their discounts applied.
		Key: KeyTechnicianMaintenance, Name: "Maintenance Technician", EmployeeType: crewid.EmployeeTypeTechnician, Legacy: "TechnicianMaintenance",
		Permissions: join(fieldBasics, []int64{PermSelfDispatch, PermApplyDiscounts}),
	},
	{
		// Sales technician (comfort advisor): builds and prices proposals.
		Key: KeyTechnicianSales, Name: "Sales Technician", EmployeeType: crewid.EmployeeTypeTechnician, Legacy: "TechnicianSales",
		Permissions: join(fieldBasics, []int64{
			PermSelfDispatch, PermCreateEstimates, PermApplyDiscounts, PermOverridePrices,
			PermViewItemCosts, PermBookJobs,
		}),
	},
	{
		// Install crews work pre-planned, often multi-day jobs: no self
		// dispatch and no estimating; they collect the balance at the end.
		Key: KeyInstaller, Name: "Installer", EmployeeType: crewid.EmployeeTypeTechnician, Legacy: "TechnicianInstaller",
		Permissions: fieldBasics,
	},
	{
		// Rides along with a lead technician: sees where the work is and
		// keeps their own hours, nothing more.
		Key: KeyTechnicianHelper, Name: "Technician Helper", EmployeeType: crewid.EmployeeTypeTechnician, Legacy: "TechnicianHelper",
		Permissions: []int64{PermViewCustomers, PermViewPricebook, PermEditOwnTimesheet},
	},
})

func normalizeTemplates(ts []Template) []Template {
	for i := range ts {
		if ts[i].Key == KeyAdministrator {
			ts[i].Permissions = all.IDs()
			continue
		}
		ts[i].Permissions = NewSet(ts[i].Permissions...).IDs()
	}
	return ts
}

// join returns a new slice holding a then b.
func join(a, b []int64) []int64 {
	out := make([]int64, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}

// Templates returns the built-in role templates in seeding order. The
// result is a deep copy.
func Templates() []Template {
	out := make([]Template, len(templates))
	for i, t := range templates {
		t.Permissions = append([]int64(nil), t.Permissions...)
		out[i] = t
	}
	return out
}

// TemplateByKey finds a built-in template by its key.
func TemplateByKey(key string) (Template, bool) {
	for _, t := range templates {
		if t.Key == key {
			t.Permissions = append([]int64(nil), t.Permissions...)
			return t, true
		}
	}
	return Template{}, false
}

// SeedRoles creates, in tx, the built-in roles tenant tenantID does not
// have yet (matched by BuiltIn key), active, with the templates' default
// permissions, and returns the roles it created in seeding order. On a new
// tenant that is every template; run again later, it adds only templates
// introduced since. It writes no history event: the caller records the
// seeding together with the change that triggered it.
func SeedRoles(ctx context.Context, tx store.Tx, tenantID int64, now time.Time) ([]crewid.Role, error) {
	have, err := builtInKeys(ctx, tx, tenantID)
	if err != nil {
		return nil, err
	}
	var created []crewid.Role
	for _, t := range templates {
		if have[t.Key] {
			continue
		}
		r := crewid.Role{
			TenantID:     tenantID,
			Name:         t.Name,
			EmployeeType: t.EmployeeType,
			Active:       true,
			BuiltIn:      t.Key,
			Permissions:  append([]int64(nil), t.Permissions...),
			CreatedOn:    now,
			ModifiedOn:   now,
		}
		if err := tx.CreateRole(ctx, &r); err != nil {
			return nil, fmt.Errorf("seed role %q: %w", t.Key, err)
		}
		created = append(created, r)
	}
	return created, nil
}

// builtInKeys returns the BuiltIn keys of the tenant's existing roles,
// active or not.
func builtInKeys(ctx context.Context, tx store.Tx, tenantID int64) (map[string]bool, error) {
	have := map[string]bool{}
	for page := 1; ; page++ {
		q := store.RoleQuery{ListQuery: store.ListQuery{Active: store.ActiveAny, Page: page, PageSize: 500}}
		res, err := tx.Roles(ctx, tenantID, q)
		if err != nil {
			return nil, fmt.Errorf("list roles: %w", err)
		}
		for _, r := range res.Items {
			if r.BuiltIn != "" {
				have[r.BuiltIn] = true
			}
		}
		if !res.HasMore || len(res.Items) == 0 {
			return have, nil
		}
	}
}

// LegacyRole maps a built-in key to the Settings API's deprecated
// EmployeeUserRole value ("role" of an employee response). Custom roles
// (empty key) and unknown keys map to "Unspecified".
func LegacyRole(builtIn string) string {
	if builtIn == "" {
		return "Unspecified"
	}
	for _, t := range templates {
		if t.Key == builtIn {
			return t.Legacy
		}
	}
	return "Unspecified"
}

// RolePermissions returns the permission ids to show for role r, whether
// or not it is active: the whole catalog for the built-in Administrator
// role, otherwise r's own known permissions in catalog order.
func RolePermissions(r crewid.Role) []int64 {
	if r.BuiltIn == KeyAdministrator {
		return all.IDs()
	}
	return NewSet(r.Permissions...).IDs()
}
