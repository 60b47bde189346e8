package store

import (
	"context"
	"time"

	"crewid"
)

// Single sign-on (package sso): each tenant's provider configuration and
// the sign-ins started and awaiting the provider's callback.

// SSOReader reads single sign-on data.
type SSOReader interface {
	// SSOConfig returns the tenant's single sign-on configuration, secret
	// included; NotFound when the tenant never saved one.
	SSOConfig(ctx context.Context, tenantID int64) (crewid.SSOConfig, error)
	// SSOSignInByStateHash finds the started sign-in whose state hashes to
	// hash, in any tenant (the state is all the callback carries). Used and
	// expired sign-ins are found too; the caller decides.
	SSOSignInByStateHash(ctx context.Context, hash []byte) (crewid.SSOSignIn, error)
}

// SSOWriter changes single sign-on data.
type SSOWriter interface {
	// PutSSOConfig inserts or replaces the tenant's configuration (found
	// by c.TenantID). CreatedOn is kept from the first save.
	PutSSOConfig(ctx context.Context, c *crewid.SSOConfig) error
	// CreateSSOSignIn stores a started sign-in and sets s.ID. A state hash
	// already stored is a Conflict.
	CreateSSOSignIn(ctx context.Context, s *crewid.SSOSignIn) error
	// UseSSOSignIn marks the sign-in used at now if it is neither used nor
	// expired at now, and reports whether it did: of two callbacks with one
	// state, only one ever gets true.
	UseSSOSignIn(ctx context.Context, tenantID, id int64, now time.Time) (bool, error)
	// DeleteSSOSignIns deletes the sign-ins, of every tenant, that expired
	// before before, and returns how many.
	DeleteSSOSignIns(ctx context.Context, before time.Time) (int, error)
	// RecordExternalSignIn records a sign-in vouched for by the tenant's
	// provider, not by a password: LastSignInOn becomes on and the account
	// state Established (when the state changes the change number and
	// ModifiedOn move). The password, its failure count and lock are left
	// alone. It writes only while the person is active and reports whether
	// it did; NotFound when the person does not exist in the tenant.
	RecordExternalSignIn(ctx context.Context, tenantID, personID int64, on time.Time) (bool, error)
}
