package accounts

import (
	"context"
	"errors"
	"strings"
	"time"

	"crewid"
	"crewid/accounts/password"
	"crewid/history"
	"crewid/people"
	"crewid/store"
)

// Account actions an administrator takes on a person of a given kind (a
// person of the other kind is NotFound, as for the Settings API's
// endpoints). Every one runs in one transaction with its history event.

// errNoAccount refuses actions that need credentials the person lacks.
var errNoAccount = crewid.FieldError("action", "The person has no account yet; send an invitation or set a login and password instead.")

// adminUpdate runs change on person id of the kind in a transaction that
// locks the person first, saves the result and records it as event verb
// (with the person before and after). change may enqueue messages with tx.
// It returns the person as saved.
func (s *Service) adminUpdate(ctx context.Context, actor crewid.Actor, tenantID int64, kind crewid.Kind, id int64, verb string,
	change func(tx store.Tx, before crewid.Person, after *crewid.Person, now time.Time) error) (crewid.Person, error) {
	s.init()
	var saved crewid.Person
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		if err := tx.LockPerson(ctx, tenantID, id); err != nil {
			return err
		}
		before, err := tx.Person(ctx, tenantID, id)
		if err != nil {
			return err
		}
		if before.Kind != kind {
			return crewid.ErrNotFound
		}
		if err := people.CheckMayManage(ctx, tx, before); err != nil {
			return err
		}
		now := s.now()
		after := before.Clone()
		if err := change(tx, before, &after, now); err != nil {
			return err
		}
		after.ModifiedOn = now
		if err := tx.UpdatePerson(ctx, &after); err != nil {
			return err
		}
		saved = after
		return history.Record(ctx, tx, now, actor, history.Change{
			TenantID: tenantID, Type: string(kind) + "." + verb, RecordType: string(kind), RecordID: id,
			Before: before, After: after,
		})
	})
	if err != nil {
		return crewid.Person{}, err
	}
	s.cache.forget(tenantID, id)
	return saved, nil
}

// get reads a person of the kind outside a transaction.
func (s *Service) get(ctx context.Context, tenantID int64, kind crewid.Kind, id int64) (crewid.Person, error) {
	p, err := s.Store.Person(ctx, tenantID, id)
	if err != nil {
		return crewid.Person{}, err
	}
	if p.Kind != kind {
		return crewid.Person{}, crewid.ErrNotFound
	}
	return p, nil
}

// endCredentials ends what the old password gave: every session, every
// reset secret.
func endCredentials(ctx context.Context, tx store.Tx, p *crewid.Person, now time.Time) error {
	p.Account.SessionsNotBefore = now
	if err := tx.RevokeSessions(ctx, p.TenantID, p.ID, "", now); err != nil {
		return err
	}
	return tx.VoidResetCodes(ctx, p.TenantID, p.ID, now)
}

// SetLoginAndPassword gives a person a login and a password chosen by an
// administrator; the person must change both at their first sign-in
// (AdminAssigned). Earlier invitations stop working; a lock and every
// session end.
func (s *Service) SetLoginAndPassword(ctx context.Context, actor crewid.Actor, tenantID int64, kind crewid.Kind, id int64, login, pw string) error {
	p, err := s.get(ctx, tenantID, kind, id)
	if err != nil {
		return err
	}
	if err := canHoldCredentials(p); err != nil {
		return err
	}
	problems := crewid.Problems{}
	login, err = people.NormalizeLogin(login)
	if err != nil {
		addFieldErrors(problems, "login", err)
	}
	if pw == "" {
		problems.Add("password", "A password is required.")
	} else if err := password.Check(pw, login, p.Email); err != nil {
		addFieldErrors(problems, "password", err)
	}
	if err := problems.Err(); err != nil {
		return err
	}
	hash, err := s.hashPassword(ctx, pw)
	if err != nil {
		return err
	}
	_, err = s.adminUpdate(ctx, actor, tenantID, kind, id, "LoginAndPasswordSet", func(tx store.Tx, before crewid.Person, after *crewid.Person, now time.Time) error {
		if err := canHoldCredentials(before); err != nil {
			return err
		}
		if err := tx.VoidInvitations(ctx, tenantID, id, now); err != nil {
			return err
		}
		after.Account.Login = login
		if err := people.CheckLoginLeadsOnlyHere(ctx, tx, *after); err != nil {
			return err
		}
		applyNewPassword(after, hash, now)
		after.Account.State = crewid.AccountAdminAssigned
		after.Account.MustChange = crewid.ChangeLoginAndPassword
		return endCredentials(ctx, tx, after, now)
	})
	return err
}

// canHoldCredentials refuses people who cannot be given a password now.
func canHoldCredentials(p crewid.Person) error {
	switch {
	case !p.Active:
		return crewid.FieldError("action", "The person is inactive; activate them first.")
	case !people.CanHaveAccount(p):
		if p.Kind == crewid.KindTechnician {
			return crewid.FieldError("action", "A technician needs mobile access and an email address or mobile number to have an account.")
		}
		return crewid.FieldError("action", "An employee needs an email address to have an account.")
	}
	return nil
}

// SetTemporaryPassword gives a person who has an account a password that
// works for Config.TemporaryPasswordTTL and must be changed at sign-in. It
// ends a lock and every session, and tells the person (without the
// password) by email or SMS.
func (s *Service) SetTemporaryPassword(ctx context.Context, actor crewid.Actor, tenantID int64, kind crewid.Kind, id int64, pw string) error {
	p, err := s.get(ctx, tenantID, kind, id)
	if err != nil {
		return err
	}
	if err := temporaryProblem(p); err != nil {
		return err
	}
	if pw == "" {
		return crewid.FieldError("password", "A password is required.")
	}
	if err := password.Check(pw, p.Account.Login, p.Email); err != nil {
		return err
	}
	hash, err := s.hashPassword(ctx, pw)
	if err != nil {
		return err
	}
	_, err = s.adminUpdate(ctx, actor, tenantID, kind, id, "TemporaryPasswordSet", func(tx store.Tx, before crewid.Person, after *crewid.Person, now time.Time) error {
		if err := temporaryProblem(before); err != nil {
			return err
		}
		applyNewPassword(after, hash, now)
		after.Account.TemporaryUntil = now.Add(s.cfg.TemporaryPasswordTTL)
		after.Account.MustChange = crewid.ChangePassword
		if before.Account.MustChange == crewid.ChangeLoginAndPassword {
			after.Account.MustChange = crewid.ChangeLoginAndPassword
		}
		if err := endCredentials(ctx, tx, after, now); err != nil {
			return err
		}
		return s.notify(ctx, tx, *after, now, func(company string) (subject, body, sms string) {
			until := after.Account.TemporaryUntil.UTC().Format("January 2, 2006 at 15:04 UTC")
			subject = "A temporary password was set for your " + company + " account"
			body = "Hello " + oneLine(after.Name) + ",\n\n" +
				"An administrator of " + company + " set a temporary password for your account (username " + after.Account.Login + "). " +
				"Ask them for it: it is not sent by email. It works for " + span(s.cfg.TemporaryPasswordTTL) + ", until " + until +
				", and you will choose a new password when you sign in with it.\n\n" +
				"If you did not expect this, contact your administrator.\n"
			sms = company + ": an administrator set a temporary password for your account " + after.Account.Login +
				". Ask them for it. It works for " + span(s.cfg.TemporaryPasswordTTL) + "; you will choose a new one when you sign in."
			return
		})
	})
	return err
}

// temporaryProblem refuses people a temporary password cannot be set for.
func temporaryProblem(p crewid.Person) error {
	if err := canHoldCredentials(p); err != nil {
		return err
	}
	if p.Account.Login == "" || p.Account.PasswordHash == "" {
		return errNoAccount
	}
	return nil
}

// Unlock ends a lock from failed sign-ins (and clears the count of
// failures). A person who is not locked is left as they are.
func (s *Service) Unlock(ctx context.Context, actor crewid.Actor, tenantID int64, kind crewid.Kind, id int64) error {
	_, err := s.adminUpdate(ctx, actor, tenantID, kind, id, "Unlocked", func(tx store.Tx, before crewid.Person, after *crewid.Person, now time.Time) error {
		if before.Account.LockedUntil.IsZero() && before.Account.FailedSignIns == 0 {
			return errUnchanged
		}
		after.Account.LockedUntil = time.Time{}
		after.Account.FailedSignIns = 0
		return nil
	})
	if errors.Is(err, errUnchanged) {
		return nil
	}
	return err
}

// errUnchanged rolls back an action that has nothing to do.
var errUnchanged = errors.New("accounts: nothing to change")

// SendPasswordResetLink sends a person who has an account a link
// (PublicURL/password-reset?token=TOKEN) to choose a new password, by email
// or, without an email, by SMS. The token is a reset token for
// CompleteReset, valid for Config.ResetLinkTTL; it replaces earlier reset
// codes and links.
func (s *Service) SendPasswordResetLink(ctx context.Context, actor crewid.Actor, tenantID int64, kind crewid.Kind, id int64) error {
	s.init()
	base := publicBase(s.PublicURL)
	if base == "" {
		return errors.New("accounts: no public URL is configured for reset links")
	}
	token := resetPrefix + randomString(32)
	return s.Store.Update(ctx, func(tx store.Tx) error {
		if err := tx.LockPerson(ctx, tenantID, id); err != nil {
			return err
		}
		p, err := tx.Person(ctx, tenantID, id)
		if err != nil {
			return err
		}
		if p.Kind != kind {
			return crewid.ErrNotFound
		}
		// The link may land in the local outbox, where whoever manages
		// logins can read it.
		if err := people.CheckMayManage(ctx, tx, p); err != nil {
			return err
		}
		if err := temporaryProblem(p); err != nil {
			return err
		}
		now := s.now()
		if err := tx.VoidResetCodes(ctx, tenantID, id, now); err != nil {
			return err
		}
		channel, recipient := contactOf(p)
		rc := crewid.ResetCode{
			TenantID: tenantID, PersonID: id, Kind: crewid.ResetKindToken, CodeHash: hashSecret(token),
			Channel: channel, CreatedOn: now, ExpiresOn: now.Add(s.cfg.ResetLinkTTL),
		}
		if err := tx.CreateResetCode(ctx, &rc); err != nil {
			return err
		}
		link := base + ResetLinkPath + "?token=" + token
		if err := s.notify(ctx, tx, p, now, func(company string) (subject, body, sms string) {
			subject = "Reset your " + company + " password"
			body = "Hello " + oneLine(p.Name) + ",\n\n" +
				"An administrator of " + company + " sent you this link to choose a new password for your account (username " +
				p.Account.Login + "):\n\n" + link + "\n\n" +
				"The link can be used once and expires in " + span(s.cfg.ResetLinkTTL) + ", on " +
				rc.ExpiresOn.UTC().Format("January 2, 2006 at 15:04 UTC") + ".\n\n" +
				"If you did not expect this, you can ignore this email: your password has not changed.\n"
			sms = company + ": choose a new password for " + p.Account.Login + " here: " + link +
				" The link expires in " + span(s.cfg.ResetLinkTTL) + "."
			return
		}); err != nil {
			return err
		}
		return history.Record(ctx, tx, now, actor, history.Change{
			TenantID: tenantID, Type: string(kind) + ".PasswordResetLinkSent", RecordType: string(kind), RecordID: id,
			After: resetEvent{Channel: channel, Recipient: recipient, ExpiresOn: rc.ExpiresOn},
		})
	})
}

// notify queues a message to p, by email when p has an email, else by SMS.
// text gets the company name and returns the email's subject and body and
// the SMS text.
func (s *Service) notify(ctx context.Context, tx store.Tx, p crewid.Person, now time.Time, text func(company string) (subject, body, sms string)) error {
	tenant, err := tx.Tenant(ctx, p.TenantID)
	if err != nil {
		return err
	}
	channel, recipient := contactOf(p)
	if recipient == "" {
		return nil
	}
	subject, body, sms := text(oneLine(tenant.Name))
	msg := crewid.Message{TenantID: p.TenantID, Channel: channel, Recipient: recipient, CreatedOn: now}
	if channel == crewid.ChannelEmail {
		msg.Subject, msg.Body = subject, body
	} else {
		msg.Body = strings.TrimSpace(sms)
	}
	s.messageStatus(&msg, now)
	return tx.EnqueueMessage(ctx, &msg)
}
