package crewid

import "time"

// TokenRevocation ends access tokens before they expire: one token (by its
// "jti"), or, with an empty TokenID, every token of the application issued
// at or before RevokedOn (the application was deactivated). It is kept
// until ExpiresOn, after which no token it concerns can still be valid.
type TokenRevocation struct {
	ID        int64
	TenantID  int64
	AppID     int64
	TokenID   string
	RevokedOn time.Time
	ExpiresOn time.Time
}
