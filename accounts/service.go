// Package accounts is the sign-in side of people: signing in with a login
// and password, the actions a sign-in may demand first (a new password, or
// a new login and password), sessions (short-lived access tokens and
// rotating refresh tokens), accepting invitations, forgotten passwords, a
// person's own password change, and the account actions administrators
// take (reset links, temporary passwords, unlocking, assigning a login and
// password). It knows nothing of HTTP.
//
// # Passwords
//
// Passwords follow the policy of package password and are stored as argon2id
// hashes. A hash takes about 19 MiB and 20-odd ms of one core, so the hashes
// in flight are bounded (Config.MaxConcurrentHashes) and no transaction is
// ever open while one runs: a request reads, hashes, then writes in a
// transaction that re-checks what it read. A sign-in keeps its hash slot
// for those writes too (see SignIn). Every password expires
// Config.PasswordMaxAge after it was set (a stored zero time counts as
// expired); a hash made with parameters below password.Current is replaced
// at the next successful sign-in.
//
// # Signing in
//
// A login is a username, an email address or a mobile number. The
// candidates are the person whose username it is and the people whose email
// or mobile number it is, in every tenant; only those with a password
// count. One email (or mobile) may belong to an employee and a technician
// at once, so each candidate's password is tried in turn and the first that
// matches is the one signing in; a failure counts against every candidate.
// The work is one hash per candidate (a dummy hash when there is none), so
// an unknown login, a wrong password, a locked and an inactive account all
// take the same time and get the same error (ErrSignInFailed).
//
// After Config.LockoutThreshold consecutive failures an account is locked
// for Config.LockoutDuration: even the right password is refused. A
// password reset, a temporary password, an assigned login and password and
// an administrator's Unlock end the lock. A technician signs in only with
// mobile access enabled.
//
// # Account status and temporary passwords
//
// A temporary password does not change the account state, so the status
// shown (people.Status) stays what it was: Active with the last sign-in for
// an established account, AdminAssigned or Accepted for one not yet used.
// It ends a lock, so a Locked account shows its underlying status again. It
// signs in only within Config.TemporaryPasswordTTL, and only to the
// required action ChangePassword (or ChangeLoginAndPassword when a login
// and password assigned by an administrator were still to be changed).
// After that time it is refused like a wrong password; the person uses
// Forgot password or asks for another one.
//
// # Sessions
//
// A completed sign-in starts a session family: a refresh token (random,
// stored only as a SHA-256 hash) and an access token (an ES256 JWT signed
// with the deployment's shared keys, see AccessClaims). A refresh rotates
// the refresh token; presenting a rotated one again revokes the whole
// family. Access tokens are checked against a per-node cache, at most
// Config.SessionCacheTTL old, of the person's active flag, their
// SessionsNotBefore and their recently revoked families, so sign-out,
// deactivation and password resets end access on every node within that
// time without a database read per request.
//
// # Single-use action and reset tokens
//
// The action token of a required action is a short-lived signed JWT bound
// to the person and their PasswordSetOn: completing the action changes the
// password, which voids the token. Reset tokens (from a verified code or a
// reset link) are random, stored hashed and marked used once.
package accounts

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"time"

	"crewid"
	"crewid/accounts/invite"
	"crewid/apps"
	"crewid/people"
	"crewid/store"
)

// Config holds the tunable rules. Zero fields take the defaults below.
type Config struct {
	// LockoutThreshold is how many consecutive failed sign-ins lock an
	// account (default 10).
	LockoutThreshold int
	// LockoutDuration is how long the lock lasts (default 30 minutes).
	LockoutDuration time.Duration
	// PasswordMaxAge is how long a password works before sign-in demands
	// a new one (default 365 days).
	PasswordMaxAge time.Duration
	// TemporaryPasswordTTL is how long a temporary password works
	// (default 60 minutes).
	TemporaryPasswordTTL time.Duration
	// AccessTokenTTL is the lifetime of access tokens (default 10 minutes).
	AccessTokenTTL time.Duration
	// RefreshTokenTTL is how long a refresh token works unused (default 30
	// days); each refresh gives a new one.
	RefreshTokenTTL time.Duration
	// ActionTokenTTL is the lifetime of the token of a required action
	// (default 10 minutes).
	ActionTokenTTL time.Duration
	// ResetCodeTTL is how long a forgotten-password code works (default
	// 15 minutes); ResetCodeAttempts how many tries it allows (default 5).
	ResetCodeTTL      time.Duration
	ResetCodeAttempts int
	// ResetTokenTTL is how long the reset token given for a verified code
	// works (default 15 minutes); ResetLinkTTL the same for the token in a
	// reset link an administrator sends (default 24 hours).
	ResetTokenTTL time.Duration
	ResetLinkTTL  time.Duration
	// MaxConcurrentHashes bounds the password hashes computed at once
	// (default GOMAXPROCS: a hash keeps a core busy, so more at once add
	// no throughput, only 19 MiB of memory each); further requests wait
	// for a slot.
	MaxConcurrentHashes int
	// ReleaseSlotAfterHash makes a sign-in give its hash slot back as
	// soon as its hash is done. By default it holds the slot through the
	// writes after the hash, which suits a database in the process
	// (SQLite): those writes are CPU work, and while every core hashes
	// Go's scheduler would otherwise start them only every few
	// milliseconds. With a database over the network (PostgreSQL) the
	// writes are mostly waiting, and a held slot leaves its core idle
	// meanwhile; releasing it wants one more scheduler thread than slots
	// (GOMAXPROCS), so that the answers are picked up while every slot
	// hashes.
	ReleaseSlotAfterHash bool
	// SessionCacheTTL is how long a node trusts what it read about a
	// person's sessions when checking access tokens (default 2 seconds).
	SessionCacheTTL time.Duration
}

// Defaults of Config.
const (
	DefaultLockoutThreshold     = 10
	DefaultLockoutDuration      = 30 * time.Minute
	DefaultPasswordMaxAge       = 365 * 24 * time.Hour
	DefaultTemporaryPasswordTTL = 60 * time.Minute
	DefaultAccessTokenTTL       = 10 * time.Minute
	DefaultRefreshTokenTTL      = 30 * 24 * time.Hour
	DefaultActionTokenTTL       = 10 * time.Minute
	DefaultResetCodeTTL         = 15 * time.Minute
	DefaultResetCodeAttempts    = 5
	DefaultResetTokenTTL        = 15 * time.Minute
	DefaultResetLinkTTL         = 24 * time.Hour
	DefaultSessionCacheTTL      = 2 * time.Second
)

// withDefaults fills the zero fields of c.
func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if c.LockoutThreshold <= 0 {
		c.LockoutThreshold = DefaultLockoutThreshold
	}
	def(&c.LockoutDuration, DefaultLockoutDuration)
	def(&c.PasswordMaxAge, DefaultPasswordMaxAge)
	def(&c.TemporaryPasswordTTL, DefaultTemporaryPasswordTTL)
	def(&c.AccessTokenTTL, DefaultAccessTokenTTL)
	def(&c.RefreshTokenTTL, DefaultRefreshTokenTTL)
	def(&c.ActionTokenTTL, DefaultActionTokenTTL)
	def(&c.ResetCodeTTL, DefaultResetCodeTTL)
	if c.ResetCodeAttempts <= 0 {
		c.ResetCodeAttempts = DefaultResetCodeAttempts
	}
	def(&c.ResetTokenTTL, DefaultResetTokenTTL)
	def(&c.ResetLinkTTL, DefaultResetLinkTTL)
	if c.MaxConcurrentHashes <= 0 {
		c.MaxConcurrentHashes = runtime.GOMAXPROCS(0)
	}
	def(&c.SessionCacheTTL, DefaultSessionCacheTTL)
	return c
}

// Service signs people in and manages their credentials and sessions. Set
// the exported fields before first use and do not change them afterwards.
type Service struct {
	Store store.Store
	// Keys signs and verifies tokens (shared by every node).
	Keys *apps.Keys
	// Invites issues invitations (the SendInvite account action).
	Invites *invite.Service
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Issuer is the "iss" of tokens: the public base URL of the service.
	// It is not compared when a token comes back: every node of a
	// deployment signs with the keys in its database but may name itself
	// differently (its own address when --public-url is not set), and the
	// signature is what shows a token is the deployment's own.
	Issuer string
	// Environment ("production" or "integration") goes into every token;
	// a token of another environment is refused.
	Environment string
	// PublicURL is the base of links in messages.
	PublicURL string
	// LocalOutbox keeps messages in the local outbox (status local)
	// instead of queueing them for delivery.
	LocalOutbox bool
	Config      Config

	initOnce sync.Once
	cfg      Config
	hashSem  chan struct{}
	cache    *sessionCache
}

func (s *Service) init() {
	s.initOnce.Do(func() {
		s.cfg = s.Config.withDefaults()
		s.hashSem = make(chan struct{}, s.cfg.MaxConcurrentHashes)
		s.cache = newSessionCache()
	})
}

// Settings returns the configuration in effect (defaults filled in).
func (s *Service) Settings() Config {
	s.init()
	return s.cfg
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// hashSlot waits for one of the slots that bound the password hashes
// computed at once. The caller runs release when its hash is done.
func (s *Service) hashSlot(ctx context.Context) (release func(), err error) {
	s.init()
	select {
	case s.hashSem <- struct{}{}:
		return func() { <-s.hashSem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Meta is where a request comes from, for history.
type Meta struct {
	IP        string
	UserAgent string
}

// self is the person acting on their own account, as a history actor.
func self(p crewid.Person, m Meta) crewid.Actor {
	return crewid.Actor{Type: crewid.ActorPerson, ID: p.ID, Name: p.Name, IP: m.IP, UserAgent: m.UserAgent}
}

// canSignIn reports whether p may hold a session at all: active, with a
// password, and with what an account needs (people.CanHaveAccount: for a
// technician, mobile access and an email or mobile number).
func canSignIn(p crewid.Person) bool {
	return p.Active && p.Account.PasswordHash != "" && people.CanHaveAccount(p)
}

// eventType names a history event about a person's account, in the style
// of the person events ("Technician.SignedIn").
func eventType(p crewid.Person, verb string) string { return string(p.Kind) + "." + verb }

func publicBase(u string) string { return strings.TrimRight(strings.TrimSpace(u), "/") }

// messageStatus is the status new messages get.
func (s *Service) messageStatus(m *crewid.Message, now time.Time) {
	if s.LocalOutbox {
		m.Status = crewid.MessageLocal
		return
	}
	m.Status = crewid.MessagePending
	m.NextAttemptOn = now
}

// applyNewPassword puts a new password (already hashed) on p's account: it
// works from now, ends a lock and clears what the old one demanded.
func applyNewPassword(p *crewid.Person, hash string, now time.Time) {
	a := &p.Account
	a.PasswordHash = hash
	a.PasswordSetOn = now
	a.TemporaryUntil = time.Time{}
	a.MustChange = crewid.ChangeNothing
	a.FailedSignIns = 0
	a.LockedUntil = time.Time{}
}
