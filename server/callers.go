package server

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"

	"crewid"
	"crewid/accounts"
	"crewid/api"
	"crewid/apps"
)

// callers authenticates the Settings API's callers: people by their access
// token alone, applications by their token and application key.
type callers struct {
	apps     *apps.Service
	accounts *accounts.Service
}

func (c callers) Authenticate(ctx context.Context, token, appKey string) (api.Caller, error) {
	if tokenType(token) == accounts.TypePerson {
		pr, err := c.accounts.Authenticate(ctx, token)
		if err != nil {
			return api.Caller{}, err
		}
		return api.Caller{
			TenantID: pr.TenantID,
			Actor:    crewid.Actor{Type: crewid.ActorPerson, ID: pr.PersonID, Name: pr.Name},
		}, nil
	}
	claims, err := c.apps.Authenticate(ctx, token, appKey)
	if err != nil {
		return api.Caller{}, err
	}
	return api.Caller{
		TenantID: claims.TenantID,
		Actor:    crewid.Actor{Type: crewid.ActorApplication, ID: claims.AppID, Name: claims.AppName},
		Scopes:   claims.Scopes,
	}, nil
}

// tokenType reads the "typ" claim of a JWT without verifying it, only to
// choose the verifier; that verifier then checks the signature and the
// type again. Anything unreadable counts as an application token.
func tokenType(token string) string {
	_, rest, ok := strings.Cut(token, ".")
	if !ok {
		return ""
	}
	payload, _, ok := strings.Cut(rest, ".")
	if !ok || len(payload) > 8192 {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return ""
	}
	var claims struct {
		Type string `json:"typ"`
	}
	if json.Unmarshal(raw, &claims) != nil {
		return ""
	}
	return claims.Type
}
