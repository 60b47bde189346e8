package apps

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"crewid"
	"crewid/access"
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

// scopePermissions are the permissions a person needs to give an
// application a scope: with them the person could do themselves what the
// scope lets the application do. Scopes that reach everything need Admin
// Access: applications (an application could make others with any scope),
// the settings that Admin Access alone opens, and SCIM, which provisions
// people and their roles.
var scopePermissions = map[Scope][]int64{
	ScopePeopleRead: {access.PermViewEmployees},
	// An application is not held to "give only what you hold": with
	// people.write it could make anyone an administrator, with roles it
	// could put Admin Access into a role. Only Admin Access gives those.
	ScopePeopleWrite:   {access.PermAdminAccess},
	ScopeRoles:         {access.PermAdminAccess},
	ScopeSettingsRead:  nil, // every person may read these settings
	ScopeSettingsWrite: {access.PermAdminAccess},
	ScopeApps:          {access.PermAdminAccess},
	ScopeHistory:       {access.PermViewHistory},
	// Deliveries, redelivered ones too, carry the history's events.
	ScopeWebhooks: {access.PermManageWebhooks, access.PermViewHistory},
	ScopeSCIM:     {access.PermAdminAccess},
}

// checkScopesHeld stops a person from giving an application, or taking a
// client secret for, power they do not hold themselves: each scope needs
// the permissions of scopePermissions. Changes without a person behind
// them (applications, the operator) are not limited here, as with
// access.CheckGrant. The error is Forbidden on field "scopes".
func checkScopesHeld(ctx context.Context, scopes []string) error {
	holder, ok := access.Holder(ctx)
	if !ok {
		return nil
	}
	missing := scopesBeyond(holder, scopes)
	if len(missing) == 0 {
		return nil
	}
	msg := "An application can only be given scopes whose permissions you hold: " + strings.Join(missing, ", ") + "."
	return &crewid.Error{Code: crewid.Forbidden, Message: msg, Fields: map[string][]string{"scopes": {msg}}}
}

// ScopesHeldBy reports whether a person holding perms may give an
// application all of scopes (and so take a secret for it).
func ScopesHeldBy(perms access.Set, scopes []string) bool {
	return len(scopesBeyond(perms, scopes)) == 0
}

// scopesBeyond says, for each of scopes that needs a permission the holder
// lacks, which one.
func scopesBeyond(holder access.Set, scopes []string) []string {
	var missing []string
	for _, sc := range NormalizeScopes(scopes) {
		for _, perm := range scopePermissions[sc] {
			if !holder.Allows(perm) {
				p, _ := access.PermissionByID(perm)
				missing = append(missing, fmt.Sprintf("%q needs %q", sc, p.Name))
				break
			}
		}
	}
	return missing
}

// mayConnect reports whether the person behind ctx, if any, may connect an
// application to the tenant: take its client id and secret. Registering it
// (Generate API Application Key) gives only its key.
func mayConnect(ctx context.Context) bool {
	holder, ok := access.Holder(ctx)
	return !ok || holder.Allows(access.PermManageAppAccess)
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
