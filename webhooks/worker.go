package webhooks

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"crewid"
	"crewid/history"
	"crewid/notify"
	"crewid/store"
)

// Defaults of a Worker's settings.
const (
	DefaultLease    = time.Minute
	DefaultBatch    = 25
	DefaultLanes    = 8
	DefaultInterval = time.Second
	// DefaultFirstRetry and DefaultMaxRetry shape the default backoff:
	// about 30 seconds after the first failure, doubling up to an hour.
	DefaultFirstRetry = 30 * time.Second
	DefaultMaxRetry   = time.Hour
	// DefaultRetryFor is how long after it was queued a delivery is
	// retried before it is marked failed.
	DefaultRetryFor = 24 * time.Hour
	// DefaultDisableAfter is how long a subscription's deliveries may
	// fail without a single success before it is made inactive.
	DefaultDisableAfter = 24 * time.Hour
)

// maxAnswer bounds what is read of a receiver's answer; maxAnswerKept is
// what of it is kept as the delivery's last error.
const (
	maxAnswer     = 64 << 10
	maxAnswerKept = 300
)

// Worker delivers webhook deliveries. Set its fields, then call Run (or
// DrainOnce); the fields must not change while it runs. Zero fields take
// the defaults.
//
// It runs up to Lanes loops at once, each claiming up to Batch due deliveries
// with a lease (store.WebhookOutbox), POSTing them all at once, and
// recording their results in one transaction. A slow receiver thus holds
// up one lane, not the others. Any number of workers, in one process or
// in several sharing a database, may run at once.
//
// A delivery is attempted at least once: a worker that stops mid-send
// leaves the delivery leased until the lease ends, and another worker
// then sends it again (with the same event id, for the receiver to drop
// the duplicate).
type Worker struct {
	Store store.Store
	// Encode renders an event as the JSON body of its delivery (the same
	// document as the Settings API's history shows). Required.
	Encode func(crewid.Event) []byte
	// Client sends the deliveries; nil means NewClient(AllowPrivate).
	Client *http.Client
	// AllowPrivate lets deliveries connect to loopback and private
	// addresses; it only matters when Client is nil.
	AllowPrivate bool
	// Now is the clock of claims, retries and signatures; nil means
	// time.Now.
	Now func() time.Time
	// Owner names this worker in leases; it must differ between workers
	// sharing a database. Empty means notify.NewOwner().
	Owner string
	// Lease is how long a claimed batch is held (DefaultLease); an
	// attempt is given at most half of it.
	Lease    time.Duration
	Batch    int
	Lanes    int
	Interval time.Duration
	// Backoff is the wait before the next attempt after the attempt-th
	// failed (from 1); nil means DefaultFirstRetry doubling to
	// DefaultMaxRetry, varied at random by up to a quarter.
	Backoff      func(attempt int) time.Duration
	RetryFor     time.Duration
	DisableAfter time.Duration
	// Logger receives a line per failed attempt; nil means slog.Default().
	Logger *slog.Logger

	once   sync.Once
	wake   chan struct{}
	owner  string
	client *http.Client
}

func (w *Worker) init() {
	w.once.Do(func() {
		w.wake = make(chan struct{}, 1)
		w.owner = cmp.Or(w.Owner, notify.NewOwner())
		w.client = w.Client
		if w.client == nil {
			w.client = NewClient(w.AllowPrivate)
		}
	})
}

// OwnerName is the name the worker's leases carry.
func (w *Worker) OwnerName() string {
	w.init()
	return w.owner
}

// Wake makes a running worker look for due deliveries now instead of at
// its next interval. It never blocks.
func (w *Worker) Wake() {
	w.init()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends: at once, then whenever woken and every
// Interval. Attempts under way when ctx ends are finished (each is
// bounded) and recorded before Run returns.
func (w *Worker) Run(ctx context.Context) {
	w.init()
	notify.Poll(ctx, w.wake, w.interval(), func(ctx context.Context) error {
		_, err := w.DrainOnce(ctx)
		return err
	}, func(err error, failures int) {
		w.logger().Error("webhooks: cannot claim deliveries", "err", err, "failures", failures)
	})
}

// DrainOnce delivers every delivery due now, until claims find none, and
// returns how many it handled. It starts with one lane and adds one, up
// to Lanes, each time a lane claims a full batch: a trickle of deliveries
// costs one claim, a backlog gets every lane.
func (w *Worker) DrainOnce(ctx context.Context) (int, error) {
	w.init()
	if w.Encode == nil {
		return 0, errors.New("webhooks: Worker.Encode is not set")
	}
	var (
		mu       sync.Mutex
		total    int
		firstErr error
		running  int
		wg       sync.WaitGroup
	)
	var grow func()
	grow = func() {
		mu.Lock()
		defer mu.Unlock()
		if running >= w.lanes() {
			return
		}
		running++
		wg.Go(func() {
			n, err := w.drainLane(ctx, grow)
			mu.Lock()
			defer mu.Unlock()
			total += n
			if firstErr == nil {
				firstErr = err
			}
		})
	}
	grow()
	wg.Wait()
	return total, firstErr
}

// drainLane claims and delivers batches until a claim finds none. After a
// full batch it calls more, which may start another lane.
func (w *Worker) drainLane(ctx context.Context, more func()) (int, error) {
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		now := w.now()
		batch, err := w.Store.ClaimDeliveries(ctx, w.owner, now, now.Add(w.lease()), w.batch())
		if err != nil {
			if ctx.Err() != nil {
				return total, ctx.Err()
			}
			return total, fmt.Errorf("webhooks: claim deliveries: %w", err)
		}
		if len(batch) == 0 {
			return total, nil
		}
		if len(batch) == w.batch() {
			more()
		}
		// An event goes to each of its subscribers in the same body:
		// encode it once per batch.
		bodies := map[int64][]byte{}
		for _, d := range batch {
			if _, ok := bodies[d.Event.ID]; !ok && d.Event.ID != 0 {
				bodies[d.Event.ID] = w.Encode(d.Event)
			}
		}
		results := make([]result, len(batch))
		var wg sync.WaitGroup
		for i, d := range batch {
			wg.Go(func() { results[i] = w.attempt(ctx, d, bodies[d.Event.ID]) })
		}
		wg.Wait()
		w.record(ctx, results)
		total += len(batch)
	}
}

// outcome is what became of a claimed delivery.
type outcome int

const (
	sent      outcome = iota // answered with a 2xx
	failed                   // attempted, not answered with a 2xx
	gone                     // its event is no longer in history
	parked                   // its subscription is inactive: not attempted
	givenBack                // not attempted (the worker is stopping)
)

type result struct {
	due        store.DueDelivery
	outcome    outcome
	at         time.Time
	statusCode int
	err        string
}

// attempt makes one attempt at a claimed delivery of body, its event
// encoded.
func (w *Worker) attempt(ctx context.Context, d store.DueDelivery, body []byte) result {
	r := result{due: d, at: w.now()}
	switch {
	case !d.Webhook.Active:
		r.outcome = parked
		return r
	case d.Event.ID == 0:
		r.outcome = gone
		r.err = "The event is no longer in history (removed by retention); it cannot be delivered."
		return r
	case ctx.Err() != nil:
		r.outcome = givenBack
		return r
	}
	// The attempt finishes even if ctx ends meanwhile, within half the
	// lease, so that its result is recorded before another worker may
	// claim the delivery.
	sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.lease()/2)
	defer cancel()
	req, err := http.NewRequestWithContext(sendCtx, http.MethodPost, d.Webhook.URL, bytes.NewReader(body))
	if err != nil {
		r.outcome, r.err = failed, notify.ErrorText("The URL cannot be requested: "+err.Error())
		return r
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "crewid-webhooks/1")
	req.Header.Set(EventIDHeader, strconv.FormatInt(d.Event.ID, 10))
	req.Header.Set(EventTypeHeader, d.Event.Type)
	req.Header.Set(SignatureHeader, Sign(d.Webhook.Secret, r.at, body))
	resp, err := w.client.Do(req)
	r.at = w.now()
	if err != nil {
		r.outcome, r.err = failed, notify.ErrorText(err.Error())
		return r
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	r.statusCode = resp.StatusCode
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		r.outcome = sent
		return r
	}
	r.outcome = failed
	r.err = "HTTP " + resp.Status
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
		r.err += " (redirects are not followed; subscribe the final URL)"
	}
	if text := strings.TrimSpace(string(answer)); text != "" {
		if len(text) > maxAnswerKept {
			cut := maxAnswerKept
			for cut > 0 && !utf8.RuneStart(text[cut]) {
				cut--
			}
			text = text[:cut] + "…"
		}
		r.err += ": " + text
	}
	r.err = notify.ErrorText(r.err)
	return r
}

// streak is what a batch's attempts mean for one subscription's failure
// streak (store.WebhookWriter.CountWebhookAttempts).
type streak struct {
	tenantID  int64
	reset     bool
	failures  int
	lastError string
	// healthy is true when the subscription had no failures when its
	// deliveries were claimed.
	healthy bool
}

// record writes the results of a batch in one transaction: each
// delivery's outcome, the failure streak of each subscription, and, when
// a streak has lasted DisableAfter, the subscription made inactive.
func (w *Worker) record(ctx context.Context, results []result) {
	// Attempts in the order they ended, for the streaks.
	order := slices.Clone(results)
	slices.SortStableFunc(order, func(a, b result) int { return a.at.Compare(b.at) })
	streaks := map[int64]*streak{}
	var hooks []int64
	for _, r := range order {
		if r.outcome != sent && r.outcome != failed {
			continue
		}
		id := r.due.Webhook.ID
		s := streaks[id]
		if s == nil {
			s = &streak{tenantID: r.due.Webhook.TenantID,
				healthy: r.due.Webhook.ConsecutiveFailures == 0 && r.due.Webhook.FailingSince.IsZero()}
			streaks[id] = s
			hooks = append(hooks, id)
		}
		if r.outcome == sent {
			s.reset, s.failures = true, 0
		} else {
			s.failures++
			s.lastError = r.err
		}
	}
	// Tenants are locked in id order, before any row, so that two
	// batches, or a batch and a change of a subscription, never wait on
	// each other in a circle.
	slices.SortFunc(hooks, func(a, b int64) int {
		return cmp.Or(cmp.Compare(streaks[a].tenantID, streaks[b].tenantID), cmp.Compare(a, b))
	})

	now := w.now()
	write := func(ctx context.Context) error {
		return w.Store.Update(ctx, func(tx store.Tx) error {
			disabled := map[int64]bool{}
			locked := map[int64]bool{}
			for _, id := range hooks {
				s := streaks[id]
				if s.failures > 0 && !locked[s.tenantID] {
					if err := tx.LockTenant(ctx, s.tenantID); err != nil && !crewid.IsNotFound(err) {
						return err
					}
					locked[s.tenantID] = true
				}
			}
			for _, id := range hooks {
				s := streaks[id]
				if s.reset && s.failures == 0 && s.healthy {
					continue // nothing to count: the usual case writes nothing
				}
				count, since, found, err := tx.CountWebhookAttempts(ctx, s.tenantID, id, s.reset, s.failures, now)
				if err != nil {
					return err
				}
				if found && count > 0 && !since.IsZero() && now.Sub(since) >= w.disableAfter() {
					off, err := w.disable(ctx, tx, s.tenantID, id, count, since, s.lastError, now)
					if err != nil {
						return err
					}
					disabled[id] = off
				}
			}
			marks := make([]store.DeliveryMark, len(results))
			for i, r := range results {
				marks[i] = w.mark(r, disabled[r.due.Webhook.ID])
			}
			// A mark not recorded lost its lease to another worker, whose
			// result stands.
			_, err := tx.MarkDeliveries(ctx, marks)
			return err
		})
	}
	base := context.WithoutCancel(ctx)
	for attempt := 1; ; attempt++ {
		c, cancel := context.WithTimeout(base, 15*time.Second)
		err := write(c)
		cancel()
		if err == nil {
			break
		}
		if attempt == 3 {
			w.logger().Error("webhooks: cannot record delivery results; they will be attempted again when their lease ends", "err", err, "deliveries", len(results))
			return
		}
		time.Sleep(time.Duration(attempt) * 200 * time.Millisecond)
	}
	for _, r := range results {
		if r.outcome == failed {
			w.logger().Warn("webhooks: delivery failed", "tenant", r.due.Webhook.TenantID, "webhook", r.due.Webhook.ID,
				"event", r.due.Delivery.EventID, "attempt", r.due.Delivery.Attempts, "err", r.err)
		}
	}
}

// mark is the store record of a result. hookDisabled is true when this
// batch made the delivery's subscription inactive.
func (w *Worker) mark(r result, hookDisabled bool) store.DeliveryMark {
	d := r.due.Delivery
	m := store.DeliveryMark{ID: d.ID, Owner: w.owner, Attempts: d.Attempts, On: r.at, StatusCode: r.statusCode, Error: r.err}
	switch r.outcome {
	case sent:
		m.Status, m.Tried = crewid.DeliveryDelivered, true
	case gone:
		m.Status, m.Tried = crewid.DeliveryFailed, true
	case parked:
		// Not attempted: the claim's attempt does not count.
		m.Status, m.Park, m.Attempts = crewid.DeliveryPending, true, max(d.Attempts-1, 0)
	case givenBack:
		m.Status, m.Attempts, m.NextAttemptOn = crewid.DeliveryPending, max(d.Attempts-1, 0), d.NextAttemptOn
	case failed:
		m.Tried = true
		switch {
		case hookDisabled:
			// The receiver, not this event, is failing: the delivery
			// waits for the subscription, with a fresh day of retries
			// once it is active again.
			m.Status, m.Park = crewid.DeliveryPending, true
		case !r.at.Before(d.QueuedOn.Add(w.retryFor())):
			m.Status = crewid.DeliveryFailed
			m.Error = notify.ErrorText(fmt.Sprintf("Gave up after %d attempts over %s: %s", d.Attempts, w.retryFor(), r.err))
		default:
			m.Status, m.NextAttemptOn = crewid.DeliveryPending, r.at.Add(w.backoff(d.Attempts))
		}
	}
	return m
}

// disable makes a subscription whose deliveries kept failing inactive,
// saying why, parks its deliveries, and records that in history. It
// reports whether it did (false when it was inactive or gone already).
func (w *Worker) disable(ctx context.Context, tx store.Tx, tenantID, id int64, count int, since time.Time, lastError string, now time.Time) (bool, error) {
	before, err := tx.Webhook(ctx, tenantID, id)
	if crewid.IsNotFound(err) {
		return false, nil
	}
	if err != nil || !before.Active {
		return false, err
	}
	after := before
	after.Active = false
	after.DisabledReason = fmt.Sprintf("Made inactive on %s: every delivery attempt failed for %s (%d attempts since %s). "+
		"Last error: %s Deliveries wait until the subscription is made active again.",
		now.UTC().Format(time.RFC3339), roundDuration(now.Sub(since)), count, since.UTC().Format(time.RFC3339),
		strings.TrimSuffix(cmp.Or(lastError, "none recorded"), ".")+".")
	after.DisabledReason = notify.ErrorText(after.DisabledReason)
	after.ModifiedOn = now
	if err := tx.UpdateWebhook(ctx, &after); err != nil {
		return false, err
	}
	if err := tx.ParkDeliveries(ctx, tenantID, id, true, now); err != nil {
		return false, err
	}
	w.logger().Error("webhooks: subscription made inactive", "tenant", tenantID, "webhook", id, "reason", after.DisabledReason)
	return true, history.Record(ctx, tx, now, crewid.Actor{Type: crewid.ActorSystem, Name: "Webhook delivery"}, history.Change{
		TenantID: tenantID, Type: RecordType + ".Disabled", RecordType: RecordType, RecordID: id,
		Before: withoutSecret(before), After: withoutSecret(after),
	})
}

func roundDuration(d time.Duration) time.Duration {
	if d > time.Hour {
		return d.Round(time.Minute)
	}
	return d.Round(time.Second)
}

func (w *Worker) now() time.Time {
	if w.Now == nil {
		return time.Now().UTC()
	}
	return w.Now().UTC()
}

func (w *Worker) lease() time.Duration    { return positive(w.Lease, DefaultLease) }
func (w *Worker) batch() int              { return positive(w.Batch, DefaultBatch) }
func (w *Worker) lanes() int              { return positive(w.Lanes, DefaultLanes) }
func (w *Worker) interval() time.Duration { return positive(w.Interval, DefaultInterval) }
func (w *Worker) retryFor() time.Duration { return positive(w.RetryFor, DefaultRetryFor) }
func (w *Worker) disableAfter() time.Duration {
	return positive(w.DisableAfter, DefaultDisableAfter)
}

func (w *Worker) backoff(attempt int) time.Duration {
	if w.Backoff == nil {
		return notify.ExponentialBackoff(DefaultFirstRetry, DefaultMaxRetry)(attempt)
	}
	return max(w.Backoff(attempt), 0)
}

func (w *Worker) logger() *slog.Logger {
	if w.Logger == nil {
		return slog.Default()
	}
	return w.Logger
}

func positive[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Waking returns st as the services that record history should see it:
// after a transaction that queued deliveries commits, w is woken, so
// delivery starts at once rather than at its next interval. With w nil,
// Waking returns st.
func Waking(st store.Store, w *Worker) store.Store {
	if w == nil {
		return st
	}
	return &wakingStore{Store: st, wake: w.Wake}
}

type wakingStore struct {
	store.Store
	wake func()
}

func (s *wakingStore) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	queued := 0
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		queued = 0 // fn may run again; count only the run that commits
		if err := fn(tx); err != nil {
			return err
		}
		queued = tx.QueuedDeliveries()
		return nil
	})
	if err == nil && queued > 0 {
		s.wake()
	}
	return err
}
