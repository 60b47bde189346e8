// Package invite issues account invitations. An invitation is written in the
// transaction of the change that asks for it (creating a person, or the
// SendInvite account action), together with its message in the outbox and
// its history event, so either all of them commit or none does.
//
// The token of an invitation appears only in the message: the store keeps
// its SHA-256 hash, and history never sees either.
package invite

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"crewid"
	"crewid/history"
	"crewid/people"
	"crewid/store"
)

// DefaultTTL is how long an invitation stays valid when Service.TTL is zero.
const DefaultTTL = 7 * 24 * time.Hour

// tokenBytes is the length of a token before encoding: 256 bits.
const tokenBytes = 32

// Service issues invitations. It implements people.Inviter.
type Service struct {
	Store store.Store
	// Now is the clock of Resend; Invite takes the time of its caller.
	Now func() time.Time
	// PublicURL is the base of the link in the message, e.g.
	// https://crewid.example.com; a trailing slash is ignored.
	PublicURL string
	// TTL is how long an invitation stays valid; zero means DefaultTTL.
	TTL time.Duration
	// Local is set when no SMTP or SMS provider is configured: messages
	// are kept in the local outbox (status local) and nothing sends them.
	// Otherwise they are queued (status pending) for the delivery worker.
	Local bool
}

var _ people.Inviter = (*Service)(nil)

// HashToken is the form in which a token is stored and looked up.
func HashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// AcceptPath is the path of the link in an invitation, below PublicURL. The
// token follows in the query parameter "token".
const AcceptPath = "/invitations/accept"

// sent is the history record of an invitation: where it went and until when
// it is valid, never the token.
type sent struct {
	Channel   string
	Recipient string
	ExpiresOn time.Time
}

// Invite issues a new invitation to p, who is saved with the account state
// Invited, inside tx: it voids the person's earlier live invitations, stores
// the new one (its token hashed), queues the message and records the
// history event "Invitation.Sent". It refuses people who cannot have an
// account. The caller writes the person in tx first (Create and Resend
// do): that write orders concurrent invitations of one person, so the
// voiding of each sees the one before it.
func (s *Service) Invite(ctx context.Context, tx store.Tx, now time.Time, actor crewid.Actor, p crewid.Person) error {
	if !people.CanHaveAccount(p) {
		return crewid.FieldError("accountCreationMethod", accountNeeds(p.Kind))
	}
	base := strings.TrimRight(strings.TrimSpace(s.PublicURL), "/")
	if base == "" {
		return errors.New("invite: no public URL is configured for invitation links")
	}
	tenant, err := tx.Tenant(ctx, p.TenantID)
	if err != nil {
		return err
	}
	if err := tx.VoidInvitations(ctx, p.TenantID, p.ID, now); err != nil {
		return err
	}
	token, err := newToken()
	if err != nil {
		return err
	}
	channel, recipient := crewid.ChannelEmail, p.Email
	if p.Email == "" {
		channel, recipient = crewid.ChannelSMS, p.MobilePhone
	}
	inv := crewid.Invitation{
		TenantID:  p.TenantID,
		PersonID:  p.ID,
		TokenHash: HashToken(token),
		Channel:   channel,
		CreatedOn: now,
		ExpiresOn: now.Add(s.ttl()),
	}
	if err := tx.CreateInvitation(ctx, &inv); err != nil {
		return err
	}
	text := content{
		company: tenant.Name,
		name:    p.Name,
		email:   p.Email,
		login:   p.Account.Login,
		link:    base + AcceptPath + "?token=" + token,
		valid:   s.ttl(),
		expires: inv.ExpiresOn,
	}
	msg := crewid.Message{
		TenantID:  p.TenantID,
		Channel:   channel,
		Recipient: recipient,
		Status:    crewid.MessagePending,
		CreatedOn: now,
	}
	if channel == crewid.ChannelEmail {
		msg.Subject, msg.Body = text.emailText()
	} else {
		msg.Body = text.smsText()
	}
	if s.Local {
		msg.Status = crewid.MessageLocal
	} else {
		msg.NextAttemptOn = now
	}
	if err := tx.EnqueueMessage(ctx, &msg); err != nil {
		return err
	}
	return history.Record(ctx, tx, now, actor, history.Change{
		TenantID:   p.TenantID,
		Type:       "Invitation.Sent",
		RecordType: string(p.Kind),
		RecordID:   p.ID,
		After:      sent{Channel: channel, Recipient: recipient, ExpiresOn: inv.ExpiresOn},
	})
}

// Resend sends a new invitation to a person who has no account yet, in its
// own transaction; earlier invitations stop working. Inactive people and
// people whose profile cannot hold an account are refused. It backs the
// SendInvite account action, single and bulk.
//
// A person "has an account" once credentials exist: the states Accepted,
// AdminAssigned and Established, or any stored password. Those are refused
// (Invalid): an invitation would let whoever holds it replace the login and
// password the person or an administrator chose. The states None and
// Invited are accepted; the person's state becomes Invited.
//
// Resend does not look at the person's kind: a caller serving one kind's
// endpoint checks it first (a person's kind never changes).
func (s *Service) Resend(ctx context.Context, actor crewid.Actor, tenantID, personID int64) error {
	return s.Store.Update(ctx, func(tx store.Tx) error {
		now := s.now()
		// Lock first: two re-sends at once must not both see the
		// person uninvited and leave two live invitations.
		if err := tx.LockPerson(ctx, tenantID, personID); err != nil {
			return err
		}
		before, err := tx.Person(ctx, tenantID, personID)
		if err != nil {
			return err
		}
		if err := people.CheckMayManage(ctx, tx, before); err != nil {
			return err
		}
		switch {
		case HasAccount(before):
			return crewid.FieldError("action", "The person already has an account; invitations go only to people without one.")
		case !before.Active:
			return crewid.FieldError("action", "An inactive person cannot be invited; activate them first.")
		case !people.CanHaveAccount(before):
			return crewid.FieldError("action", accountNeeds(before.Kind))
		}
		after := before
		after.Account.State = crewid.AccountInvited
		after.ModifiedOn = now
		// Written even when the state was already Invited: the write takes
		// the person's row lock, so concurrent re-sends to one person run
		// one after the other and only the last invitation stays live.
		if err := tx.UpdatePerson(ctx, &after); err != nil {
			return err
		}
		if before.Account.State != crewid.AccountInvited {
			kind := string(before.Kind)
			if err := history.Record(ctx, tx, now, actor, history.Change{
				TenantID: tenantID, Type: kind + ".Updated", RecordType: kind, RecordID: personID,
				Before: before, After: after,
			}); err != nil {
				return err
			}
		}
		return s.Invite(ctx, tx, now, actor, after)
	})
}

// HasAccount reports whether p already has sign-in credentials, so that an
// invitation must not be sent.
func HasAccount(p crewid.Person) bool {
	if p.Account.PasswordHash != "" {
		return true
	}
	switch p.Account.State {
	case crewid.AccountNone, crewid.AccountInvited, "":
		return false
	}
	return true
}

func (s *Service) ttl() time.Duration {
	if s.TTL <= 0 {
		return DefaultTTL
	}
	return s.TTL
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

// newToken returns 32 random bytes, base64url-encoded without padding.
func newToken() (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("invite: random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func accountNeeds(kind crewid.Kind) string {
	if kind == crewid.KindTechnician {
		return "A technician needs mobile access and an email address or mobile number to be invited."
	}
	return "An employee needs an email address to be invited."
}
