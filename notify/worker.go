package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"crewid"
	"crewid/store"
)

// Defaults of a Worker's settings.
const (
	DefaultLease       = 2 * time.Minute
	DefaultBatch       = 20
	DefaultMaxAttempts = 10
	DefaultInterval    = 500 * time.Millisecond
	DefaultConcurrency = 4
	// DefaultFirstRetry and DefaultMaxRetry shape DefaultBackoff.
	DefaultFirstRetry = 30 * time.Second
	DefaultMaxRetry   = time.Hour
)

// maxErrorText bounds the error kept with a message.
const maxErrorText = 1000

// Worker drains the outbox. Set its fields, then call Run (or DrainOnce);
// the fields must not change while it runs. Zero fields take the defaults.
//
// A message is claimed only for a channel the worker has a sender for.
// Messages of a channel without one are normally never pending (Routed
// writes them local), but if a channel loses its sender (the process is
// restarted without --sms, say) its pending messages stay pending, neither
// sent nor failed, until a worker with a sender for it runs.
//
// Each claimed batch is leased for Lease. The worker starts no send after
// half of the lease has passed (the rest of the batch is given back
// untried, to be claimed again at once) and gives each send a deadline at
// three quarters of it, so a lease ends only when the process stops or
// its clock jumps. A message is then sent again by the next worker to
// claim it; the SMTP sender gives it the same Message-ID, so a duplicate
// can be recognised.
type Worker struct {
	Store store.Outbox
	// Email and SMS send the messages of each channel; nil leaves the
	// channel alone.
	Email Sender
	SMS   Sender
	// Now is the clock of claims, leases and retries; nil means time.Now.
	Now func() time.Time
	// Owner names this worker in leases; it must differ between workers
	// sharing a database. Empty means NewOwner().
	Owner string
	// Lease is how long a claimed batch is held (DefaultLease).
	Lease time.Duration
	// Batch is the most messages claimed at once (DefaultBatch).
	Batch int
	// MaxAttempts is the number of attempts after which a message that
	// keeps failing is marked failed (DefaultMaxAttempts).
	MaxAttempts int
	// Backoff is the wait before the next attempt after the attempt-th
	// failed (attempt counts from 1); nil means DefaultBackoff.
	Backoff func(attempt int) time.Duration
	// Interval is how often Run looks for due messages when not woken
	// (DefaultInterval).
	Interval time.Duration
	// Concurrency is the most messages sent at once (DefaultConcurrency).
	Concurrency int
	// Logger receives a line per failed attempt; nil means slog.Default().
	Logger *slog.Logger

	once  sync.Once
	wake  chan struct{}
	owner string
}

// DefaultBackoff waits about 30 seconds after the first failure, doubling
// up to an hour, each wait varied by up to a quarter either way.
func DefaultBackoff(attempt int) time.Duration {
	return ExponentialBackoff(DefaultFirstRetry, DefaultMaxRetry)(attempt)
}

// ExponentialBackoff returns a backoff that waits about first after the
// first failed attempt and twice as long after each further one, never
// more than max, each wait varied at random by up to a quarter either way
// so that messages that failed together do not come back together.
func ExponentialBackoff(first, max time.Duration) func(attempt int) time.Duration {
	return func(attempt int) time.Duration {
		if first <= 0 {
			return 0
		}
		d := first
		for i := 1; i < attempt && d < max; i++ {
			d *= 2
		}
		if max > 0 && d > max {
			d = max
		}
		return d*3/4 + rand.N(d/2+1)
	}
}

func (w *Worker) init() {
	w.once.Do(func() {
		w.wake = make(chan struct{}, 1)
		w.owner = w.Owner
		if w.owner == "" {
			w.owner = NewOwner()
		}
	})
}

// OwnerName is the name the worker's leases carry.
func (w *Worker) OwnerName() string {
	w.init()
	return w.owner
}

// Wake makes a running worker look for due messages now instead of at its
// next interval. It never blocks; it may be called before Run and from any
// goroutine.
func (w *Worker) Wake() {
	w.init()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Channels lists the channels the worker sends.
func (w *Worker) Channels() []string {
	var out []string
	if w.Email != nil {
		out = append(out, crewid.ChannelEmail)
	}
	if w.SMS != nil {
		out = append(out, crewid.ChannelSMS)
	}
	return out
}

// Run drains the outbox until ctx ends: at once, then whenever woken and
// every Interval. Sends in progress when ctx ends are finished and
// recorded (each is bounded by its lease); messages claimed but not yet
// started are given back. Run returns when that is done.
func (w *Worker) Run(ctx context.Context) {
	w.init()
	Poll(ctx, w.wake, w.interval(), func(ctx context.Context) error {
		_, err := w.DrainOnce(ctx)
		return err
	}, func(err error, failures int) {
		w.logger().Error("notify: cannot read the outbox", "err", err, "failures", failures)
	})
}

// Poll runs drain until ctx ends: at once, then whenever wake receives
// and every interval. While drain keeps failing (the database is likely
// unreachable) it waits longer, doubling up to 30 seconds, and reports
// the failure the first time and every 20th. Delivery workers share it.
func Poll(ctx context.Context, wake <-chan struct{}, interval time.Duration, drain func(context.Context) error, report func(err error, failures int)) {
	failures := 0
	for {
		err := drain(ctx)
		if ctx.Err() != nil {
			return
		}
		wait := interval
		if err != nil {
			failures++
			if failures == 1 || failures%20 == 0 {
				report(err, failures)
			}
			wait = min(wait<<min(failures, 6), 30*time.Second)
		} else {
			failures = 0
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// DrainOnce delivers every message due now, batch by batch, until a claim
// finds none, and returns how many messages it handled (sent, failed or
// put back for a retry). It returns early, with ctx's error, when ctx
// ends.
func (w *Worker) DrainOnce(ctx context.Context) (int, error) {
	w.init()
	channels := w.Channels()
	if len(channels) == 0 {
		return 0, nil
	}
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		started := time.Now()
		now := w.now()
		msgs, err := w.Store.ClaimMessages(ctx, w.owner, now, now.Add(w.lease()), w.batch(), channels...)
		if err != nil {
			if ctx.Err() != nil {
				return total, ctx.Err()
			}
			return total, fmt.Errorf("notify: claim messages: %w", err)
		}
		if len(msgs) == 0 {
			return total, nil
		}
		total += w.deliverBatch(ctx, msgs, started)
	}
}

// deliverBatch sends the messages claimed at claimed, Concurrency at a
// time. Times are on the real clock (Now may be a test's): a send starts
// only in the first half of the lease and must end before three quarters
// of it have passed, so it has at least a quarter of the lease and ends
// well before another worker may claim the message. The messages not
// started by then, or before ctx ends, are given back untried. It returns
// how many it started.
func (w *Worker) deliverBatch(ctx context.Context, msgs []crewid.Message, claimed time.Time) int {
	startBy, deadline := claimed.Add(w.lease()/2), claimed.Add(w.lease()*3/4)
	sem := make(chan struct{}, w.concurrency())
	var wg sync.WaitGroup
	started := 0
	for _, m := range msgs {
		// Wait for a free slot, unless ctx ends first.
		slot := false
		select {
		case sem <- struct{}{}:
			slot = true
		case <-ctx.Done():
		}
		if ctx.Err() != nil || !time.Now().Before(startBy) {
			if slot {
				<-sem
			}
			w.giveBack(ctx, m)
			continue
		}
		started++
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			w.deliver(ctx, m, deadline)
		}()
	}
	wg.Wait()
	return started
}

// deliver sends one claimed message and records the result.
func (w *Worker) deliver(ctx context.Context, m crewid.Message, deadline time.Time) {
	log := w.logger().With("message", m.ID, "tenant", m.TenantID, "channel", m.Channel, "attempt", m.Attempts)
	if m.Attempts > w.maxAttempts() {
		// Earlier attempts ended without a result (their worker stopped
		// mid-send): do not try for ever.
		reason := fmt.Sprintf("gave up after %d attempts that ended without a result", m.Attempts-1)
		if m.LastError != "" {
			reason += "; last error: " + m.LastError
		}
		log.Error("notify: message failed", "err", reason)
		w.record(ctx, log, func(ctx context.Context) error {
			return w.Store.MarkFailed(ctx, m.ID, w.owner, ErrorText(reason))
		})
		return
	}
	sender := w.sender(m.Channel)
	if sender == nil {
		// Claims ask only for channels with a sender; a store that ignored
		// that gets the message back, due again a minute later.
		w.record(ctx, log, func(ctx context.Context) error {
			return w.Store.MarkRetry(ctx, m.ID, w.owner, max(m.Attempts-1, 0), w.now().Add(time.Minute), m.LastError)
		})
		return
	}
	sendCtx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	err := sender.Send(sendCtx, m)
	cancel()
	switch {
	case err == nil:
		now := w.now()
		log.Debug("notify: message sent")
		w.record(ctx, log, func(ctx context.Context) error { return w.Store.MarkSent(ctx, m.ID, w.owner, now) })
	case IsPermanent(err):
		log.Error("notify: message refused; not retrying", "err", err)
		w.record(ctx, log, func(ctx context.Context) error {
			return w.Store.MarkFailed(ctx, m.ID, w.owner, ErrorText(err.Error()))
		})
	case m.Attempts >= w.maxAttempts():
		log.Error("notify: message failed; no attempts left", "err", err)
		w.record(ctx, log, func(ctx context.Context) error {
			return w.Store.MarkFailed(ctx, m.ID, w.owner, ErrorText(fmt.Sprintf("gave up after %d attempts: %v", m.Attempts, err)))
		})
	default:
		next := w.now().Add(w.backoff(m.Attempts))
		log.Warn("notify: message not sent; will retry", "err", err, "next_attempt", next)
		w.record(ctx, log, func(ctx context.Context) error {
			return w.Store.MarkRetry(ctx, m.ID, w.owner, m.Attempts, next, ErrorText(err.Error()))
		})
	}
}

// giveBack releases a claimed message untried, as it was before the claim.
func (w *Worker) giveBack(ctx context.Context, m crewid.Message) {
	log := w.logger().With("message", m.ID, "tenant", m.TenantID, "channel", m.Channel)
	w.record(ctx, log, func(ctx context.Context) error {
		return w.Store.MarkRetry(ctx, m.ID, w.owner, max(m.Attempts-1, 0), m.NextAttemptOn, m.LastError)
	})
}

// record runs a Mark call, a few times if the database fails, even after
// ctx has ended: a result not recorded means the message is sent again.
func (w *Worker) record(ctx context.Context, log *slog.Logger, mark func(ctx context.Context) error) {
	base := context.WithoutCancel(ctx)
	for attempt := 1; ; attempt++ {
		c, cancel := context.WithTimeout(base, 15*time.Second)
		err := mark(c)
		cancel()
		switch {
		case err == nil:
			return
		case errors.Is(err, store.ErrLeaseLost):
			// Our lease ended and another worker claimed the message: its
			// result stands.
			log.Warn("notify: lease lost before the result was recorded")
			return
		case attempt == 3:
			log.Error("notify: cannot record the result; the message will be tried again when its lease ends", "err", err)
			return
		}
		time.Sleep(time.Duration(attempt) * 200 * time.Millisecond)
	}
}

func (w *Worker) sender(channel string) Sender {
	switch channel {
	case crewid.ChannelEmail:
		return w.Email
	case crewid.ChannelSMS:
		return w.SMS
	}
	return nil
}

// ErrorText is an error as kept with a message (or a webhook delivery):
// valid UTF-8, at most about 1,000 bytes.
func ErrorText(s string) string {
	s = strings.ToValidUTF8(s, "?")
	if len(s) <= maxErrorText {
		return s
	}
	cut := maxErrorText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func (w *Worker) now() time.Time {
	if w.Now == nil {
		return time.Now().UTC()
	}
	return w.Now().UTC()
}

func (w *Worker) lease() time.Duration {
	if w.Lease <= 0 {
		return DefaultLease
	}
	return w.Lease
}

func (w *Worker) batch() int {
	if w.Batch <= 0 {
		return DefaultBatch
	}
	return w.Batch
}

func (w *Worker) maxAttempts() int {
	if w.MaxAttempts <= 0 {
		return DefaultMaxAttempts
	}
	return w.MaxAttempts
}

func (w *Worker) backoff(attempt int) time.Duration {
	if w.Backoff == nil {
		return DefaultBackoff(attempt)
	}
	return max(w.Backoff(attempt), 0)
}

func (w *Worker) interval() time.Duration {
	if w.Interval <= 0 {
		return DefaultInterval
	}
	return w.Interval
}

func (w *Worker) concurrency() int {
	if w.Concurrency <= 0 {
		return DefaultConcurrency
	}
	return w.Concurrency
}

func (w *Worker) logger() *slog.Logger {
	if w.Logger == nil {
		return slog.Default()
	}
	return w.Logger
}
