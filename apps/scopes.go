package apps

import (
	"slices"
	"strings"

	"crewid"
)

// Scope is an API area an application may be granted.
type Scope = string

// The scopes an application can hold. An application created without a
// list gets all of them.
const (
	ScopePeopleRead    Scope = "people.read"    // read employees, technicians, user roles, the permission catalog
	ScopePeopleWrite   Scope = "people.write"   // create and change people, account actions
	ScopeRoles         Scope = "roles"          // create, change and delete user roles
	ScopeSettingsRead  Scope = "settings.read"  // read business units, tag types, custom fields, teams, zones
	ScopeSettingsWrite Scope = "settings.write" // change them
	ScopeApps          Scope = "apps"           // manage API applications
	ScopeHistory       Scope = "history"        // read history and its export
	ScopeWebhooks      Scope = "webhooks"       // manage webhook subscriptions
	ScopeSCIM          Scope = "scim"           // SCIM provisioning
)

var allScopes = []string{
	ScopePeopleRead, ScopePeopleWrite, ScopeRoles, ScopeSettingsRead,
	ScopeSettingsWrite, ScopeApps, ScopeHistory, ScopeWebhooks, ScopeSCIM,
}

// AllScopes returns every scope in canonical order (a new slice each call).
func AllScopes() []string { return slices.Clone(allScopes) }

// KnownScope reports whether s is one of AllScopes.
func KnownScope(s string) bool { return slices.Contains(allScopes, s) }

// ValidateScopes checks that every scope is known. An empty list is valid
// here; what it means (usually all scopes) is for the caller to decide.
func ValidateScopes(scopes []string) error {
	var unknown []string
	for _, s := range scopes {
		if !KnownScope(s) {
			unknown = append(unknown, s)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	return crewid.FieldError("scopes", "Unknown scope "+quoteList(unknown)+"; the scopes are: "+strings.Join(allScopes, ", ")+".")
}

// NormalizeScopes returns the scopes without duplicates in canonical order.
// Unknown scopes are dropped; validate first.
func NormalizeScopes(scopes []string) []string {
	out := make([]string, 0, len(scopes))
	for _, s := range allScopes {
		if slices.Contains(scopes, s) {
			out = append(out, s)
		}
	}
	return out
}

// HasScope reports whether scopes contains want.
func HasScope(scopes []string, want string) bool { return slices.Contains(scopes, want) }

func quoteList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = `"` + s + `"`
	}
	return strings.Join(q, ", ")
}
