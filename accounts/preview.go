package accounts

import (
	"context"
	"strings"

	"crewid"
	"crewid/accounts/invite"
)

// InvitationPreview is what the acceptance page shows before the person
// chooses a login and password: who the invitation is for and the login
// proposed to them.
type InvitationPreview struct {
	Name string
	// Login is the proposed login: the one given when the person was
	// invited, else their email ("" when they have neither).
	Login string
}

// PreviewInvitation checks an invitation token without using it and
// returns what the acceptance page shows, or the same error
// AcceptInvitation would give for the token.
func (s *Service) PreviewInvitation(ctx context.Context, token string) (InvitationPreview, error) {
	s.init()
	token = strings.TrimSpace(token)
	if token == "" {
		return InvitationPreview{}, crewid.FieldError("token", "The invitation token is required.")
	}
	inv, err := s.Store.InvitationByTokenHash(ctx, invite.HashToken(token))
	if crewid.IsNotFound(err) {
		return InvitationPreview{}, crewid.FieldError("token", "The invitation link is not valid.")
	}
	if err != nil {
		return InvitationPreview{}, err
	}
	if err := invitationProblem(inv, s.now()); err != nil {
		return InvitationPreview{}, err
	}
	p, err := s.Store.Person(ctx, inv.TenantID, inv.PersonID)
	if crewid.IsNotFound(err) {
		return InvitationPreview{}, crewid.FieldError("token", "The invitation link is not valid.")
	}
	if err != nil {
		return InvitationPreview{}, err
	}
	if err := acceptProblem(p); err != nil {
		return InvitationPreview{}, err
	}
	login := p.Account.Login
	if login == "" {
		login = p.Email
	}
	return InvitationPreview{Name: p.Name, Login: login}, nil
}
