package people

import (
	"time"

	"crewid"
)

// Account statuses as the Settings API and the console show them.
const (
	StatusNoUserAccount = "NoUserAccount"
	StatusNeverLoggedIn = "NeverLoggedIn"
	StatusPending       = "Pending"
	StatusAccepted      = "Accepted"
	StatusAdminAssigned = "AdminAssigned"
	StatusActive        = "Active"
	StatusLocked        = "Locked"
	StatusInactive      = "Inactive"
)

// Statuses lists every account status, for filters.
var Statuses = []string{StatusNoUserAccount, StatusNeverLoggedIn, StatusPending, StatusAccepted,
	StatusAdminAssigned, StatusActive, StatusLocked, StatusInactive}

// CanHaveAccount reports whether the profile holds what a sign-in account
// needs: an email for an employee; an email or mobile number, and mobile
// access, for a technician.
func CanHaveAccount(p crewid.Person) bool {
	if p.Kind == crewid.KindTechnician {
		return p.MobileAccessEnabled && (p.Email != "" || p.MobilePhone != "")
	}
	return p.Email != ""
}

// Locked reports whether too many failed sign-ins (or an administrator)
// have locked the account at time now.
func Locked(p crewid.Person, now time.Time) bool {
	return p.Account.LockedUntil.After(now)
}

// Status is the account status of p at time now.
func Status(p crewid.Person, now time.Time) string {
	switch {
	case !p.Active:
		return StatusInactive
	case !CanHaveAccount(p):
		// Whatever account there was cannot be used: a technician whose
		// mobile access was turned off, or whose email and mobile number
		// were both removed.
		return StatusNoUserAccount
	case Locked(p, now):
		return StatusLocked
	}
	switch p.Account.State {
	case crewid.AccountEstablished:
		return StatusActive
	case crewid.AccountAdminAssigned:
		return StatusAdminAssigned
	case crewid.AccountAccepted:
		return StatusAccepted
	case crewid.AccountInvited:
		return StatusPending
	}
	return StatusNeverLoggedIn
}
