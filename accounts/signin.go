package accounts

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"crewid"
	"crewid/accounts/password"
	"crewid/history"
	"crewid/people"
	"crewid/store"
)

// ErrSignInFailed is the one answer to every failed sign-in: unknown login,
// wrong password, locked or inactive account, expired temporary password.
var ErrSignInFailed = crewid.Errorf(crewid.Unauthenticated, "The login or password is incorrect.")

// maxLoginLength bounds a login looked up (an email is at most 254).
const maxLoginLength = 320

// Result is a sign-in's outcome: tokens, or an action to complete first.
type Result struct {
	AccessToken  string
	RefreshToken string
	// ExpiresIn is the access token's lifetime in seconds.
	ExpiresIn int
	// RequiredAction, when set, must be completed with ActionToken
	// (CompleteRequiredAction) before any token is given.
	RequiredAction crewid.RequiredChange
	ActionToken    string
}

// Reasons a sign-in failed, as history records them.
const (
	reasonWrongPassword    = "WrongPassword"
	reasonLocked           = "Locked"
	reasonInactive         = "Inactive"
	reasonMobileAccess     = "MobileAccessDisabled"
	reasonNoAccount        = "NoUserAccount"
	reasonTemporaryExpired = "TemporaryPasswordExpired"
)

// signInEvent is the history record of a sign-in or a failed one. It
// never holds the password or a token.
type signInEvent struct {
	Login          string
	Reason         string `json:",omitempty"`
	Failures       int    `json:",omitempty"`
	RequiredAction string `json:",omitempty"`
	LockedUntil    time.Time
}

// candidates returns the people a login may mean: the one whose username it
// is and those whose email or mobile number it is, in every tenant, the
// username first. Only people with a password are kept.
func (s *Service) candidates(ctx context.Context, login string) ([]crewid.Person, error) {
	login = strings.TrimSpace(login)
	if login == "" || len(login) > maxLoginLength {
		return nil, nil
	}
	var out []crewid.Person
	p, err := s.Store.PersonByLogin(ctx, login)
	switch {
	case err == nil:
		out = append(out, p)
	case !crewid.IsNotFound(err):
		return nil, err
	}
	var contact string
	if strings.Contains(login, "@") {
		contact = login
	} else if phone, err := people.NormalizePhone("login", login); err == nil {
		contact = phone
	}
	if contact != "" {
		more, err := s.Store.PeopleByContact(ctx, contact)
		if err != nil {
			return nil, err
		}
		for _, m := range more {
			if !slices.ContainsFunc(out, func(q crewid.Person) bool { return q.TenantID == m.TenantID && q.ID == m.ID }) {
				out = append(out, m)
			}
		}
	}
	return slices.DeleteFunc(out, func(q crewid.Person) bool { return q.Account.PasswordHash == "" }), nil
}

// matchPassword tries pw against each candidate's hash, in order, and
// returns the index of the first that matches (-1 for none). It does at
// least one hash (a dummy one when there is no candidate) and stops at the
// first match. When the matching hash was made with lower parameters than
// password.Current, rehash is its replacement.
func (s *Service) matchPassword(ctx context.Context, cands []crewid.Person, pw string) (match int, rehash string, err error) {
	release, err := s.hashSlot(ctx)
	if err != nil {
		return -1, "", err
	}
	defer release()
	return s.matchInSlot(ctx, cands, pw)
}

// matchInSlot is matchPassword for a caller that holds a hash slot.
func (s *Service) matchInSlot(ctx context.Context, cands []crewid.Person, pw string) (match int, rehash string, err error) {
	if len(cands) == 0 {
		password.VerifyDummy(pw)
		return -1, "", nil
	}
	for i, p := range cands {
		ok, err := password.Verify(p.Account.PasswordHash, pw)
		if err != nil {
			slog.WarnContext(ctx, "unreadable password hash", "tenant", p.TenantID, "person", p.ID, "err", err)
			continue
		}
		if ok {
			if password.NeedsRehash(p.Account.PasswordHash) {
				if h, err := password.Hash(pw); err == nil {
					rehash = h
				}
			}
			return i, rehash, nil
		}
	}
	return -1, "", nil
}

// refusal says why p, whose password matched, still may not sign in ("" if
// nothing stops them).
func (s *Service) refusal(p crewid.Person, now time.Time) string {
	switch {
	case !p.Active:
		return reasonInactive
	case p.Kind == crewid.KindTechnician && !p.MobileAccessEnabled:
		return reasonMobileAccess
	case !people.CanHaveAccount(p):
		// A technician whose email and mobile number were both removed.
		return reasonNoAccount
	case people.Locked(p, now):
		return reasonLocked
	case !p.Account.TemporaryUntil.IsZero() && !now.Before(p.Account.TemporaryUntil):
		return reasonTemporaryExpired
	}
	return ""
}

// requiredAction is what p must do before getting tokens.
func (s *Service) requiredAction(p crewid.Person, now time.Time) crewid.RequiredChange {
	a := p.Account
	switch {
	case a.MustChange != crewid.ChangeNothing:
		return a.MustChange
	case !a.TemporaryUntil.IsZero():
		return crewid.ChangePassword
	case a.PasswordSetOn.IsZero() || !now.Before(a.PasswordSetOn.Add(s.cfg.PasswordMaxAge)):
		return crewid.ChangePassword
	}
	return crewid.ChangeNothing
}

// SignIn checks a login and password. It returns tokens, or the action to
// complete first, or ErrSignInFailed (whatever the reason).
func (s *Service) SignIn(ctx context.Context, login, pw string, meta Meta) (Result, error) {
	s.init()
	cands, err := s.candidates(ctx, login)
	if err != nil {
		return Result{}, err
	}
	// Unless configured otherwise, the slot covers the writes after the
	// hash too (Config.ReleaseSlotAfterHash; BENCHMARKS.md, "Sign-in").
	release, err := s.hashSlot(ctx)
	if err != nil {
		return Result{}, err
	}
	var once sync.Once
	defer once.Do(release)
	i, rehash, err := s.matchInSlot(ctx, cands, pw)
	if s.cfg.ReleaseSlotAfterHash {
		once.Do(release)
	}
	if err != nil {
		return Result{}, err
	}
	now := s.now()
	if i < 0 {
		if err := s.recordFailures(ctx, cands, login, meta, now); err != nil {
			return Result{}, err
		}
		return Result{}, ErrSignInFailed
	}
	p := cands[i]
	reason, err := s.passwordRefusal(ctx, p, now)
	if err != nil {
		return Result{}, err
	}
	if reason != "" {
		if err := s.recordRefusal(ctx, p, login, reason, meta, now); err != nil {
			return Result{}, err
		}
		return Result{}, ErrSignInFailed
	}

	if action := s.requiredAction(p, now); action != crewid.ChangeNothing {
		var wrote bool
		err := s.Store.Update(ctx, func(tx store.Tx) error {
			var err error
			wrote, err = tx.RecordSignIn(ctx, p.TenantID, p.ID, store.SignIn{PasswordHash: p.Account.PasswordHash, NewHash: rehash, On: now})
			if err != nil || !wrote {
				return err
			}
			return history.Record(ctx, tx, now, self(p, meta), history.Change{
				TenantID: p.TenantID, Type: eventType(p, "SignInActionRequired"), RecordType: string(p.Kind), RecordID: p.ID,
				After: signInEvent{Login: login, RequiredAction: string(action)},
			})
		})
		if err != nil {
			return Result{}, err
		}
		if !wrote {
			// Changed since it was read (a new password, deactivated,
			// locked): try again from the start, as a failure.
			return Result{}, ErrSignInFailed
		}
		if rehash != "" {
			p.Account.PasswordHash = rehash
		}
		token, err := s.actionToken(ctx, p, action, now)
		if err != nil {
			return Result{}, err
		}
		return Result{RequiredAction: action, ActionToken: token}, nil
	}

	var res issued
	var wrote bool
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		var err error
		wrote, err = tx.RecordSignIn(ctx, p.TenantID, p.ID, store.SignIn{PasswordHash: p.Account.PasswordHash, NewHash: rehash, On: now, Complete: true})
		if err != nil || !wrote {
			return err
		}
		if res, err = s.startSession(ctx, tx, p, meta, now, "", crewid.SignInPassword); err != nil {
			return err
		}
		return history.Record(ctx, tx, now, self(p, meta), history.Change{
			TenantID: p.TenantID, Type: eventType(p, "SignedIn"), RecordType: string(p.Kind), RecordID: p.ID,
			After: signInEvent{Login: login},
		})
	})
	if err != nil {
		return Result{}, err
	}
	if !wrote {
		return Result{}, ErrSignInFailed
	}
	return s.finishSession(ctx, p, res, now)
}

// recordFailures counts a wrong password against every candidate and
// records it in their history (nothing is recorded for an unknown login:
// there is no tenant to record it in).
func (s *Service) recordFailures(ctx context.Context, cands []crewid.Person, login string, meta Meta, now time.Time) error {
	for _, p := range cands {
		if !canSignIn(p) {
			reason := reasonInactive
			if p.Active {
				reason = reasonMobileAccess
			}
			if err := s.recordRefusal(ctx, p, login, reason, meta, now); err != nil {
				return err
			}
			continue
		}
		if err := s.countFailure(ctx, p, login, reasonWrongPassword, meta, now); err != nil {
			return err
		}
	}
	return nil
}

// countFailure counts one failed attempt against p and records it; when it
// reaches the threshold, the account locks and that is recorded too.
func (s *Service) countFailure(ctx context.Context, p crewid.Person, login, reason string, meta Meta, now time.Time) error {
	until := now.Add(s.cfg.LockoutDuration)
	actor := self(p, meta)
	return s.Store.Update(ctx, func(tx store.Tx) error {
		res, err := tx.RecordFailedSignIn(ctx, p.TenantID, p.ID, now, s.cfg.LockoutThreshold, until)
		if crewid.IsNotFound(err) {
			return nil // deleted meanwhile
		}
		if err != nil {
			return err
		}
		ev := signInEvent{Login: login, Reason: reason, Failures: res.Failures}
		if !res.Counted {
			ev.Reason = reasonLocked
		}
		if res.Locked {
			ev.Failures = s.cfg.LockoutThreshold
		}
		if err := history.Record(ctx, tx, now, actor, history.Change{
			TenantID: p.TenantID, Type: eventType(p, "SignInFailed"), RecordType: string(p.Kind), RecordID: p.ID, After: ev,
		}); err != nil {
			return err
		}
		if !res.Locked {
			return nil
		}
		return history.Record(ctx, tx, now, actor, history.Change{
			TenantID: p.TenantID, Type: eventType(p, "Locked"), RecordType: string(p.Kind), RecordID: p.ID,
			After: signInEvent{Login: login, Failures: s.cfg.LockoutThreshold, LockedUntil: until},
		})
	})
}

// recordRefusal records a sign-in refused although the password matched
// (or the account could not sign in at all). Nothing is counted.
func (s *Service) recordRefusal(ctx context.Context, p crewid.Person, login, reason string, meta Meta, now time.Time) error {
	return s.Store.Update(ctx, func(tx store.Tx) error {
		return history.Record(ctx, tx, now, self(p, meta), history.Change{
			TenantID: p.TenantID, Type: eventType(p, "SignInFailed"), RecordType: string(p.Kind), RecordID: p.ID,
			After: signInEvent{Login: login, Reason: reason},
		})
	})
}

// CompleteRequiredAction completes the action a sign-in demanded: a new
// password (ChangePassword), or a new login and a new password
// (ChangeLoginAndPassword), each different from the current one. On
// success the person is signed in.
func (s *Service) CompleteRequiredAction(ctx context.Context, actionToken, login, pw string, meta Meta) (Result, error) {
	s.init()
	claims, err := s.verifyAction(ctx, actionToken)
	if err != nil {
		return Result{}, err
	}
	p, err := s.Store.Person(ctx, claims.TenantID, claims.PersonID)
	if crewid.IsNotFound(err) {
		return Result{}, errActionToken
	}
	if err != nil {
		return Result{}, err
	}
	now := s.now()
	if !claims.boundTo(p) || s.refusal(p, now) != "" || !canSignIn(p) {
		return Result{}, errActionToken
	}
	if reason, err := s.passwordRefusal(ctx, p, now); err != nil || reason != "" {
		if err != nil {
			return Result{}, err
		}
		return Result{}, errActionToken
	}
	action := crewid.RequiredChange(claims.Action)

	problems := crewid.Problems{}
	newLogin := p.Account.Login
	if action == crewid.ChangeLoginAndPassword {
		l, err := people.NormalizeLogin(login)
		switch {
		case err != nil:
			addFieldErrors(problems, "login", err)
		case strings.EqualFold(l, p.Account.Login):
			problems.Add("login", "The new login must differ from the current one.")
		default:
			newLogin = l
		}
	}
	if err := password.Check(pw, newLogin, p.Email); err != nil {
		addFieldErrors(problems, "password", err)
	}
	if err := problems.Err(); err != nil {
		return Result{}, err
	}
	hash, err := s.newHash(ctx, p, pw, "password")
	if err != nil {
		return Result{}, err
	}

	var res issued
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		if err := tx.LockPerson(ctx, p.TenantID, p.ID); err != nil {
			return err
		}
		before, err := tx.Person(ctx, p.TenantID, p.ID)
		if err != nil {
			return err
		}
		if before.Account.PasswordHash != p.Account.PasswordHash || !before.Account.PasswordSetOn.Equal(p.Account.PasswordSetOn) ||
			s.refusal(before, now) != "" || !canSignIn(before) {
			return errActionToken
		}
		after := before.Clone()
		after.Account.Login = newLogin
		if newLogin != before.Account.Login {
			if err := people.CheckLoginLeadsOnlyHere(ctx, tx, after); err != nil {
				return err
			}
		}
		applyNewPassword(&after, hash, now)
		after.Account.State = crewid.AccountEstablished
		after.Account.LastSignInOn = now
		after.ModifiedOn = now
		if err := tx.UpdatePerson(ctx, &after); err != nil {
			return err
		}
		actor := self(after, meta)
		verb := "PasswordChanged"
		if action == crewid.ChangeLoginAndPassword {
			verb = "LoginAndPasswordChanged"
		}
		if err := history.Record(ctx, tx, now, actor, history.Change{
			TenantID: p.TenantID, Type: eventType(p, verb), RecordType: string(p.Kind), RecordID: p.ID,
			Before: before, After: after,
		}); err != nil {
			return err
		}
		// Whatever sessions the old password held end with it.
		if err := tx.RevokeSessions(ctx, p.TenantID, p.ID, "", now); err != nil {
			return err
		}
		if err := tx.VoidResetCodes(ctx, p.TenantID, p.ID, now); err != nil {
			return err
		}
		if res, err = s.startSession(ctx, tx, after, meta, now, "", crewid.SignInPassword); err != nil {
			return err
		}
		p = after
		return history.Record(ctx, tx, now, actor, history.Change{
			TenantID: p.TenantID, Type: eventType(p, "SignedIn"), RecordType: string(p.Kind), RecordID: p.ID,
			After: signInEvent{Login: newLogin},
		})
	})
	if err != nil {
		return Result{}, err
	}
	s.cache.forget(p.TenantID, p.ID)
	return s.finishSession(ctx, p, res, now)
}

// newHash hashes a new password for p after checking that it is not p's
// current one (field names the request field for that error).
func (s *Service) newHash(ctx context.Context, p crewid.Person, pw, field string) (string, error) {
	release, err := s.hashSlot(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	if p.Account.PasswordHash != "" {
		if same, err := password.Verify(p.Account.PasswordHash, pw); err == nil && same {
			return "", crewid.FieldError(field, "The new password must differ from the current one.")
		}
	}
	return password.Hash(pw)
}

// hashPassword hashes a password an administrator chose.
func (s *Service) hashPassword(ctx context.Context, pw string) (string, error) {
	release, err := s.hashSlot(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return password.Hash(pw)
}

// addFieldErrors copies the field errors of err into problems, under field
// when err names the generic "password" field (or none).
func addFieldErrors(problems crewid.Problems, field string, err error) {
	var e *crewid.Error
	if errors.As(err, &e) && len(e.Fields) > 0 {
		for f, msgs := range e.Fields {
			if f == password.Field {
				f = field
			}
			for _, m := range msgs {
				problems.Add(f, m)
			}
		}
		return
	}
	problems.Add(field, err.Error())
}
