// Package notify delivers the messages of the transactional outbox: the
// emails and SMS that changes write (invitations, password resets) in the
// transaction that causes them.
//
// A Worker drains the outbox. It claims due messages with a lease (see
// store.Outbox), hands each to the Sender of its channel, and records the
// result: sent; pending again after a backoff when the failure may pass (a
// network error, a 4xx SMTP reply, an HTTP 5xx or 429); failed when it
// cannot (a 5xx SMTP reply, an HTTP 4xx) or after MaxAttempts. A failed
// message stays in the outbox with its last error; nothing is dropped.
// Any number of workers, in one process or in several sharing a database,
// may run at once; the leases keep them from sending a message twice.
//
// The senders are in notify/smtp (email over SMTP) and notify/sms (a
// Twilio-compatible Messages API). A channel without a sender is not
// delivered: its messages are written with status local (see Routed) and
// are read through the outbox API instead.
package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"crewid"
)

// Sender hands one message to a provider. It returns nil once the provider
// has accepted the message, an error made with Permanent when trying again
// cannot help (the provider refused this message), and any other error when
// a later attempt may succeed. Send must give up when ctx ends. Senders are
// used by several goroutines at once.
type Sender interface {
	Send(ctx context.Context, m crewid.Message) error
}

// permanentError marks a failure that another attempt would repeat.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as a failure that another attempt would repeat: the
// worker marks the message failed at once. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent reports whether err, or an error it wraps, was made with
// Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// NewOwner returns a lease owner name unique to this process and call:
// host name, process id and a random suffix, e.g. "web-3.1234.9f2c01ab".
func NewOwner() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "crewid"
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s.%d.%s", strings.ReplaceAll(host, " ", "-"), os.Getpid(), hex.EncodeToString(b[:]))
}
