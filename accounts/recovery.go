package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode"

	"crewid"
	"crewid/accounts/password"
	"crewid/history"
	"crewid/store"
)

// Forgotten passwords: StartReset sends a verification code to each account
// the identifier names (by email when the person has one, else by SMS);
// VerifyReset exchanges identifier and code for a reset token;
// CompleteReset sets the new password with it. An administrator's reset
// link (SendPasswordResetLink) carries such a reset token directly.
//
// When one email or mobile number belongs to an employee and a technician,
// each gets a code of their own, and a message naming their username; the
// code entered tells which account is reset.

// codeAlphabet are the characters of a verification code: letters of both
// cases and digits, without those easily mistaken for another (0 O o, 1 I l).
const codeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"

// codeLength is the length of a verification code: 54^8, about 7·10^13.
const codeLength = 8

// ResetLinkPath is the path of the link in a reset message, below the
// public URL; the reset token follows in the query parameter "token".
const ResetLinkPath = "/password-reset"

var (
	errBadCode       = crewid.FieldError("code", "The code is not valid or has expired.")
	errBadResetToken = crewid.FieldError("resetToken", "The reset token is not valid or has expired; start again.")
)

// newCode returns a random verification code with at least one upper-case
// and one lower-case letter, so that its case always matters.
func newCode() string {
	max := big.NewInt(int64(len(codeAlphabet)))
	for {
		var b strings.Builder
		var upper, lower bool
		for range codeLength {
			n, err := rand.Int(rand.Reader, max)
			if err != nil {
				panic(err) // crypto/rand does not fail
			}
			c := codeAlphabet[n.Int64()]
			upper = upper || unicode.IsUpper(rune(c))
			lower = lower || unicode.IsLower(rune(c))
			b.WriteByte(c)
		}
		if upper && lower {
			return b.String()
		}
	}
}

// codeHash is how a code is stored: salted with the person, so the same
// code of two people hashes differently and no table of the short codes
// can be precomputed.
func codeHash(p crewid.Person, code string) []byte {
	sum := sha256.Sum256([]byte("crewid-reset-code\x00" + strconv.FormatInt(p.TenantID, 10) + "/" +
		strconv.FormatInt(p.ID, 10) + "\x00" + code))
	return sum[:]
}

// resetEvent is the history record of a reset step: never a code or token.
type resetEvent struct {
	Channel   string `json:",omitempty"`
	Recipient string `json:",omitempty"`
	ExpiresOn time.Time
	Attempts  int `json:",omitempty"`
}

// contactOf is where p's messages go: email when p has one, else SMS.
func contactOf(p crewid.Person) (channel, recipient string) {
	if p.Email != "" {
		return crewid.ChannelEmail, p.Email
	}
	return crewid.ChannelSMS, p.MobilePhone
}

// StartReset sends a verification code to every account the identifier (a
// username, an email or a mobile number) names and that may sign in. It
// says nothing of whether there was any: the caller answers the same way
// in every case.
func (s *Service) StartReset(ctx context.Context, identifier string, meta Meta) error {
	s.init()
	cands, err := s.candidates(ctx, identifier)
	if err != nil {
		return err
	}
	now := s.now()
	for _, p := range cands {
		if !canSignIn(p) {
			continue
		}
		if err := s.sendResetCode(ctx, p, meta, now); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) sendResetCode(ctx context.Context, p crewid.Person, meta Meta, now time.Time) error {
	code := newCode()
	return s.Store.Update(ctx, func(tx store.Tx) error {
		if err := tx.LockPerson(ctx, p.TenantID, p.ID); err != nil {
			return err
		}
		cur, err := tx.Person(ctx, p.TenantID, p.ID)
		if err != nil {
			return err
		}
		if !canSignIn(cur) {
			return nil
		}
		// A new code replaces the person's earlier reset secrets.
		if err := tx.VoidResetCodes(ctx, cur.TenantID, cur.ID, now); err != nil {
			return err
		}
		channel, recipient := contactOf(cur)
		rc := crewid.ResetCode{
			TenantID: cur.TenantID, PersonID: cur.ID, Kind: crewid.ResetKindCode, CodeHash: codeHash(cur, code),
			Channel: channel, CreatedOn: now, ExpiresOn: now.Add(s.cfg.ResetCodeTTL),
		}
		if err := tx.CreateResetCode(ctx, &rc); err != nil {
			return err
		}
		tenant, err := tx.Tenant(ctx, cur.TenantID)
		if err != nil {
			return err
		}
		msg := crewid.Message{TenantID: cur.TenantID, Channel: channel, Recipient: recipient, CreatedOn: now}
		s.messageStatus(&msg, now)
		company := oneLine(tenant.Name)
		if channel == crewid.ChannelEmail {
			msg.Subject = "Your " + company + " password reset code"
			msg.Body = "Hello " + oneLine(cur.Name) + ",\n\n" +
				"We received a request to reset the password of your " + company + " account (username " + cur.Account.Login + ", " +
				strings.ToLower(string(cur.Kind)) + " profile). Your verification code is:\n\n" +
				"    " + code + "\n\n" +
				"The code is case-sensitive and expires in " + span(s.cfg.ResetCodeTTL) + ".\n\n" +
				"If you did not ask for this, you can ignore this email: your password has not changed.\n"
		} else {
			msg.Body = company + ": your password reset code for " + cur.Account.Login + " is " + code +
				" (case-sensitive). It expires in " + span(s.cfg.ResetCodeTTL) + "."
		}
		if err := tx.EnqueueMessage(ctx, &msg); err != nil {
			return err
		}
		return history.Record(ctx, tx, now, self(cur, meta), history.Change{
			TenantID: cur.TenantID, Type: eventType(cur, "PasswordResetRequested"), RecordType: string(cur.Kind), RecordID: cur.ID,
			After: resetEvent{Channel: channel, Recipient: recipient, ExpiresOn: rc.ExpiresOn},
		})
	})
}

// VerifyReset checks a verification code (case-sensitive) of an account
// the identifier names and returns a reset token for CompleteReset. Each
// code allows Config.ResetCodeAttempts tries, the right one included.
func (s *Service) VerifyReset(ctx context.Context, identifier, code string, meta Meta) (string, error) {
	s.init()
	code = strings.TrimSpace(code)
	if code == "" {
		return "", crewid.FieldError("code", "The code is required.")
	}
	cands, err := s.candidates(ctx, identifier)
	if err != nil {
		return "", err
	}
	now := s.now()
	for _, p := range cands {
		if !canSignIn(p) {
			continue
		}
		codes, err := s.Store.LiveResetCodes(ctx, p.TenantID, p.ID, crewid.ResetKindCode, now)
		if err != nil {
			return "", err
		}
		if len(codes) == 0 {
			continue
		}
		rc := codes[0]
		token := ""
		err = s.Store.Update(ctx, func(tx store.Tx) error {
			tries, err := tx.CountResetAttempt(ctx, rc.TenantID, rc.ID)
			if err != nil {
				return err
			}
			if tries > s.cfg.ResetCodeAttempts {
				return nil
			}
			if subtle.ConstantTimeCompare(rc.CodeHash, codeHash(p, code)) != 1 {
				return history.Record(ctx, tx, now, self(p, meta), history.Change{
					TenantID: p.TenantID, Type: eventType(p, "PasswordResetCodeRejected"), RecordType: string(p.Kind), RecordID: p.ID,
					After: resetEvent{Attempts: tries},
				})
			}
			ok, err := tx.UseResetCode(ctx, rc.TenantID, rc.ID, now)
			if err != nil || !ok {
				return err
			}
			t := resetPrefix + randomString(32)
			tok := crewid.ResetCode{
				TenantID: p.TenantID, PersonID: p.ID, Kind: crewid.ResetKindToken, CodeHash: hashSecret(t),
				CreatedOn: now, ExpiresOn: now.Add(s.cfg.ResetTokenTTL),
			}
			if err := tx.CreateResetCode(ctx, &tok); err != nil {
				return err
			}
			token = t
			return history.Record(ctx, tx, now, self(p, meta), history.Change{
				TenantID: p.TenantID, Type: eventType(p, "PasswordResetCodeVerified"), RecordType: string(p.Kind), RecordID: p.ID,
				After: resetEvent{Channel: rc.Channel, ExpiresOn: tok.ExpiresOn, Attempts: tries},
			})
		})
		if err != nil {
			return "", err
		}
		if token != "" {
			return token, nil
		}
	}
	return "", errBadCode
}

// CompleteReset sets a new password with a reset token (from VerifyReset
// or a reset link). The token works once; the new password must differ
// from the current one. The reset ends a lock and every session of the
// person.
func (s *Service) CompleteReset(ctx context.Context, resetToken, pw string, meta Meta) error {
	s.init()
	if strings.TrimSpace(resetToken) == "" {
		return crewid.FieldError("resetToken", "The reset token is required.")
	}
	rc, err := s.Store.ResetTokenByHash(ctx, hashSecret(strings.TrimSpace(resetToken)))
	if crewid.IsNotFound(err) {
		return errBadResetToken
	}
	if err != nil {
		return err
	}
	now := s.now()
	if !rc.UsedOn.IsZero() || !now.Before(rc.ExpiresOn) {
		return errBadResetToken
	}
	p, err := s.Store.Person(ctx, rc.TenantID, rc.PersonID)
	if crewid.IsNotFound(err) {
		return errBadResetToken
	}
	if err != nil {
		return err
	}
	if !canSignIn(p) {
		return errBadResetToken
	}
	if err := password.Check(pw, p.Account.Login, p.Email); err != nil {
		return err
	}
	hash, err := s.newHash(ctx, p, pw, "password")
	if err != nil {
		return err
	}
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		if err := tx.LockPerson(ctx, p.TenantID, p.ID); err != nil {
			return err
		}
		ok, err := tx.UseResetCode(ctx, rc.TenantID, rc.ID, now)
		if err != nil {
			return err
		}
		if !ok {
			return errBadResetToken
		}
		before, err := tx.Person(ctx, p.TenantID, p.ID)
		if err != nil {
			return err
		}
		if !canSignIn(before) {
			return errBadResetToken
		}
		after := before.Clone()
		applyNewPassword(&after, hash, now)
		if before.Account.MustChange == crewid.ChangeLoginAndPassword {
			// The login an administrator chose still has to change.
			after.Account.MustChange = crewid.ChangeLoginAndPassword
		}
		after.Account.SessionsNotBefore = now
		after.ModifiedOn = now
		if err := tx.UpdatePerson(ctx, &after); err != nil {
			return err
		}
		if err := tx.RevokeSessions(ctx, p.TenantID, p.ID, "", now); err != nil {
			return err
		}
		if err := tx.VoidResetCodes(ctx, p.TenantID, p.ID, now); err != nil {
			return err
		}
		return history.Record(ctx, tx, now, self(before, meta), history.Change{
			TenantID: p.TenantID, Type: eventType(p, "PasswordReset"), RecordType: string(p.Kind), RecordID: p.ID,
			Before: before, After: after,
		})
	})
	s.cache.forget(p.TenantID, p.ID)
	return err
}

// oneLine collapses whitespace, line breaks included, to single spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// span says how long d is in words: "15 minutes", "24 hours", "7 days".
func span(d time.Duration) string {
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return strconv.Itoa(n) + " " + unit + "s"
	}
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return plural(int(d/(24*time.Hour)), "day")
	case d >= time.Hour && d%time.Hour == 0:
		return plural(int(d/time.Hour), "hour")
	default:
		return plural(max(int(d/time.Minute), 1), "minute")
	}
}
