package store

import (
	"context"
	"time"

	"crewid"
)

// RevocationReader reads token revocations. Every node polls them (a few
// seconds apart, from the last id it saw) so that a revoked token stops
// working everywhere without a read per request.
type RevocationReader interface {
	// TokenRevocations lists the revocations, of every tenant, with an id
	// above afterID that have not expired at now (ExpiresOn after now), in
	// id order, at most limit (1000 when 0 or less).
	TokenRevocations(ctx context.Context, afterID int64, now time.Time, limit int) ([]crewid.TokenRevocation, error)
}

// RevocationWriter records token revocations.
type RevocationWriter interface {
	// RevokeToken stores r and sets r.ID; ids only grow, so a poller that
	// remembers the last id it saw misses none. Revocations that expired
	// before r.RevokedOn are deleted on the way.
	RevokeToken(ctx context.Context, r *crewid.TokenRevocation) error
}
