package store

import (
	"context"
	"time"

	"crewid"
)

// Webhook subscriptions and their deliveries (package webhooks).
//
// Deliveries are queued by AppendEvent: in the transaction that appends an
// event, one pending delivery is written for each active subscription of
// the tenant whose filter matches the event's type, so a committed change
// always has its deliveries and a rolled-back one none. Workers in any
// number of processes then claim due deliveries with a lease, as they
// claim outbox messages (see Outbox): only the holder of a lease records
// what became of a delivery, and a lease that ends without a result frees
// the delivery for another worker, so every delivery is attempted at least
// once.

// WebhookReader reads subscriptions and their delivery logs.
type WebhookReader interface {
	// Webhook returns one subscription of the tenant, secret included.
	Webhook(ctx context.Context, tenantID, id int64) (crewid.Webhook, error)
	// Webhooks is one page of the tenant's subscriptions in id order,
	// secrets included. q.Name matches the URL (case-insensitive
	// "contains"); q.Sort is ignored.
	Webhooks(ctx context.Context, tenantID int64, q ListQuery) (Page[crewid.Webhook], error)
	// WebhookDeliveries is one page of a subscription's deliveries, newest
	// first (by id). A subscription that is not the tenant's has none.
	WebhookDeliveries(ctx context.Context, tenantID, webhookID int64, q DeliveryQuery) (Page[crewid.WebhookDelivery], error)
}

// DeliveryQuery filters and pages a delivery log.
type DeliveryQuery struct {
	Status       string // one of the crewid.Delivery* statuses; "" for all
	EventID      int64  // 0 for all
	Page         int    // from 1
	PageSize     int
	IncludeTotal bool
}

// Redelivery says which events QueueRedeliveries queues again: the event
// EventID, or else every event of the tenant that occurred in
// [OccurredOnOrAfter, OccurredBefore) (a zero bound is open) and matches
// the subscription's filter.
type Redelivery struct {
	EventID           int64
	OccurredOnOrAfter time.Time
	OccurredBefore    time.Time
	// Max is the most events a range may hold: a range holding more is
	// refused (Invalid) and nothing is queued. 0 means no limit.
	Max int
}

// DeliveryMark is the result of an attempt at a delivery, for
// MarkDelivery.
type DeliveryMark struct {
	ID    int64
	Owner string
	// Status is the delivery's status from now on. DeliveryDelivered sets
	// DeliveredOn to On; DeliveryPending makes it due again at
	// NextAttemptOn (or parks it, with Park, until its subscription is
	// active again).
	Status        string
	Attempts      int
	NextAttemptOn time.Time
	Park          bool
	On            time.Time
	// Tried is false for a delivery given back untried: LastStatusCode and
	// LastError are then left as they were.
	Tried      bool
	StatusCode int
	Error      string
}

// DueDelivery is a claimed delivery with what sending it needs.
type DueDelivery struct {
	Delivery crewid.WebhookDelivery
	// Webhook is the subscription as it is now, secret included.
	Webhook crewid.Webhook
	// Event is the event to deliver; its ID is 0 when history no longer
	// holds it (retention removed it).
	Event crewid.Event
}

// WebhookOutbox is the delivery side of webhook deliveries, used by the
// delivery workers.
type WebhookOutbox interface {
	// ClaimDeliveries takes up to limit deliveries, of every tenant, that
	// are pending, due at or before now and not leased (no lease, or one
	// that ended at or before now), oldest due first. Each is leased to
	// owner until leaseUntil and its Attempts count goes up by one. Two
	// calls, in this process or another, never take the same delivery
	// while its lease is live. It runs in a transaction of its own.
	ClaimDeliveries(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]DueDelivery, error)
}

// WebhookWriter changes subscriptions and records deliveries.
type WebhookWriter interface {
	// CreateWebhook inserts a subscription and sets w.ID.
	CreateWebhook(ctx context.Context, w *crewid.Webhook) error
	// UpdateWebhook replaces every field but the id, tenant, secret and
	// CreatedOn; NotFound when the tenant has no such subscription. It
	// leaves the deliveries alone (see ParkDeliveries).
	UpdateWebhook(ctx context.Context, w *crewid.Webhook) error
	// DeleteWebhook removes a subscription and its deliveries.
	DeleteWebhook(ctx context.Context, tenantID, id int64) error
	// ParkDeliveries parks (park true) the pending deliveries of a
	// subscription, so that no worker claims them, or (park false) makes
	// every pending delivery of it due at now, queued again at now, parked
	// or waiting for a retry alike. Deliveries under a live lease are
	// left to their worker.
	ParkDeliveries(ctx context.Context, tenantID, webhookID int64, park bool, now time.Time) error
	// QueueRedeliveries queues the events r names for the subscription
	// again: a delivery of each, created or reset to pending with no
	// attempts, due and queued at now. It returns how many it queued.
	// NotFound when the subscription, or the event r.EventID, is not the
	// tenant's.
	QueueRedeliveries(ctx context.Context, tenantID, webhookID int64, r Redelivery, now time.Time) (int, error)
	// QueuedDeliveries is the number of deliveries the transaction has
	// queued so far (by AppendEvent and QueueRedeliveries), so that the
	// caller may wake a worker once it commits.
	QueuedDeliveries() int

	// MarkDelivery records the result m of an attempt at a delivery, if
	// the delivery is still pending and leased to m.Owner (the lease may
	// have ended, as long as no other worker has claimed it since), and
	// releases the lease. It reports whether it did.
	MarkDelivery(ctx context.Context, m DeliveryMark) (bool, error)
	// MarkDeliveries records several results as MarkDelivery records each
	// (in one statement where it can) and returns how many it recorded.
	// Marks without an owner record nothing.
	MarkDeliveries(ctx context.Context, marks []DeliveryMark) (int, error)
	// CountWebhookAttempts updates the failure streak of a subscription
	// after attempts at its deliveries: with reset (some attempt
	// succeeded) the streak becomes the failures that followed the last
	// success, else it grows by failures, starting (FailingSince) at now
	// if it was empty. It returns the streak (count and start) as it now
	// is; found is false when the subscription no longer exists.
	CountWebhookAttempts(ctx context.Context, tenantID, webhookID int64, reset bool, failures int, now time.Time) (count int, since time.Time, found bool, err error)
}
