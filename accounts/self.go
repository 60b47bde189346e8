package accounts

import (
	"context"
	"time"

	"crewid"
	"crewid/accounts/password"
	"crewid/history"
	"crewid/people"
	"crewid/store"
)

var errCurrentPassword = crewid.FieldError("currentPassword", "The current password is not correct.")

// ChangePassword changes the signed-in person's own password. The current
// password must be given (a wrong one counts as a failed sign-in, towards
// the lockout) and the new one must follow the policy and differ from it.
// The person's other sessions end; the one making the change goes on.
func (s *Service) ChangePassword(ctx context.Context, pr Principal, current, next string, meta Meta) error {
	s.init()
	p, err := s.Store.Person(ctx, pr.TenantID, pr.PersonID)
	if crewid.IsNotFound(err) {
		return ErrInvalidToken
	}
	if err != nil {
		return err
	}
	if !canSignIn(p) {
		return ErrInvalidToken
	}
	if current == "" {
		return crewid.FieldError("currentPassword", "The current password is required.")
	}
	i, _, err := s.matchPassword(ctx, []crewid.Person{p}, current)
	if err != nil {
		return err
	}
	now := s.now()
	if people.Locked(p, now) {
		return crewid.FieldError("currentPassword", "Too many wrong passwords: the account is locked until "+
			p.Account.LockedUntil.UTC().Format(time.RFC3339)+".")
	}
	if i < 0 {
		if err := s.countFailure(ctx, p, p.Account.Login, reasonWrongPassword, meta, now); err != nil {
			return err
		}
		return errCurrentPassword
	}
	if err := password.Check(next, p.Account.Login, p.Email); err != nil {
		problems := crewid.Problems{}
		addFieldErrors(problems, "newPassword", err)
		return problems.Err()
	}
	hash, err := s.newHash(ctx, p, next, "newPassword")
	if err != nil {
		return err
	}
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		if err := tx.LockPerson(ctx, p.TenantID, p.ID); err != nil {
			return err
		}
		before, err := tx.Person(ctx, p.TenantID, p.ID)
		if err != nil {
			return err
		}
		if before.Account.PasswordHash != p.Account.PasswordHash {
			return crewid.Errorf(crewid.Conflict, "The password was changed meanwhile; sign in again.")
		}
		after := before.Clone()
		applyNewPassword(&after, hash, now)
		after.ModifiedOn = now
		if err := tx.UpdatePerson(ctx, &after); err != nil {
			return err
		}
		if err := tx.RevokeSessions(ctx, p.TenantID, p.ID, pr.SessionID, now); err != nil {
			return err
		}
		if err := tx.VoidResetCodes(ctx, p.TenantID, p.ID, now); err != nil {
			return err
		}
		return history.Record(ctx, tx, now, self(before, meta), history.Change{
			TenantID: p.TenantID, Type: eventType(p, "PasswordChanged"), RecordType: string(p.Kind), RecordID: p.ID,
			Before: before, After: after,
		})
	})
	s.cache.forget(p.TenantID, p.ID)
	return err
}
