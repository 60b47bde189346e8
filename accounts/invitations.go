package accounts

import (
	"context"
	"strings"
	"time"

	"crewid"
	"crewid/accounts/invite"
	"crewid/accounts/password"
	"crewid/history"
	"crewid/people"
	"crewid/store"
)

// AcceptInvitation creates a person's account from an invitation: the
// login (when login is empty, the one proposed with the invitation, else
// the person's email; required when they have neither) and the password. The invitation works once, until it expires, and
// only if no newer one replaced it. The account becomes Accepted; the
// person then signs in. It returns the login.
func (s *Service) AcceptInvitation(ctx context.Context, token, login, pw string, meta Meta) (string, error) {
	s.init()
	token = strings.TrimSpace(token)
	if token == "" {
		return "", crewid.FieldError("token", "The invitation token is required.")
	}
	inv, err := s.Store.InvitationByTokenHash(ctx, invite.HashToken(token))
	if crewid.IsNotFound(err) {
		return "", crewid.FieldError("token", "The invitation link is not valid.")
	}
	if err != nil {
		return "", err
	}
	now := s.now()
	if err := invitationProblem(inv, now); err != nil {
		return "", err
	}
	p, err := s.Store.Person(ctx, inv.TenantID, inv.PersonID)
	if crewid.IsNotFound(err) {
		return "", crewid.FieldError("token", "The invitation link is not valid.")
	}
	if err != nil {
		return "", err
	}
	if err := acceptProblem(p); err != nil {
		return "", err
	}

	problems := crewid.Problems{}
	login = strings.TrimSpace(login)
	if login == "" {
		// A login proposed when the person was invited, else the email.
		login = p.Account.Login
	}
	if login == "" {
		login = p.Email
	}
	if login == "" {
		problems.Add("login", "A login is required: you have no email address to use as one.")
	} else if l, err := people.NormalizeLogin(login); err != nil {
		addFieldErrors(problems, "login", err)
	} else {
		login = l
	}
	if err := password.Check(pw, login, p.Email); err != nil {
		addFieldErrors(problems, "password", err)
	}
	if err := problems.Err(); err != nil {
		return "", err
	}
	if other, err := s.Store.PersonByLogin(ctx, login); err == nil && (other.TenantID != p.TenantID || other.ID != p.ID) {
		return "", crewid.ConflictError("login", "The login is already taken.")
	} else if err != nil && !crewid.IsNotFound(err) {
		return "", err
	}
	hash, err := s.hashPassword(ctx, pw)
	if err != nil {
		return "", err
	}

	err = s.Store.Update(ctx, func(tx store.Tx) error {
		// UseInvitation takes the person's row lock first, so the read
		// after it is current and no re-send interleaves.
		ok, err := tx.UseInvitation(ctx, inv.TenantID, inv.ID, now)
		if err != nil {
			return err
		}
		if !ok {
			cur, err := tx.InvitationByTokenHash(ctx, inv.TokenHash)
			if err != nil {
				return err
			}
			if err := invitationProblem(cur, now); err != nil {
				return err
			}
			return crewid.FieldError("token", "The invitation can no longer be used.")
		}
		before, err := tx.Person(ctx, inv.TenantID, inv.PersonID)
		if err != nil {
			return err
		}
		if err := acceptProblem(before); err != nil {
			return err
		}
		after := before.Clone()
		after.Account.Login = login
		if err := people.CheckLoginLeadsOnlyHere(ctx, tx, after); err != nil {
			return err
		}
		applyNewPassword(&after, hash, now)
		after.Account.State = crewid.AccountAccepted
		after.ModifiedOn = now
		if err := tx.UpdatePerson(ctx, &after); err != nil {
			return err
		}
		// The person record before and after (the token is never part
		// of it, the password hash is left out of every snapshot).
		return history.Record(ctx, tx, now, self(after, meta), history.Change{
			TenantID: p.TenantID, Type: "Invitation.Accepted", RecordType: string(p.Kind), RecordID: p.ID,
			Before: before, After: after,
		})
	})
	if err != nil {
		return "", err
	}
	return login, nil
}

// invitationProblem says why an invitation cannot be accepted at now.
func invitationProblem(inv crewid.Invitation, now time.Time) error {
	switch {
	case !inv.UsedOn.IsZero():
		return crewid.FieldError("token", "The invitation has already been used; sign in instead.")
	case !inv.VoidedOn.IsZero():
		return crewid.FieldError("token", "A newer invitation replaced this one; use the link in the latest message.")
	case !now.Before(inv.ExpiresOn):
		return crewid.FieldError("token", "The invitation has expired; ask your administrator for a new one.")
	}
	return nil
}

// acceptProblem says why p cannot accept an invitation now.
func acceptProblem(p crewid.Person) error {
	switch {
	case invite.HasAccount(p):
		return crewid.FieldError("token", "The account has already been created; sign in instead.")
	case !p.Active:
		return crewid.FieldError("token", "The profile is inactive; ask your administrator.")
	case !people.CanHaveAccount(p):
		return crewid.FieldError("token", "The profile cannot have an account; ask your administrator.")
	}
	return nil
}
