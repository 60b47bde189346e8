package crewid

import "time"

// Webhook is a tenant's subscription to its history events: every event
// whose type matches Events is POSTed, as JSON, to URL, signed with Secret
// (see package webhooks).
type Webhook struct {
	ID       int64
	TenantID int64
	URL      string
	// Events are event types as history writes them ("Technician.Created"),
	// every event of a record type ("Technician.*"), or just "*" for every
	// event.
	Events []string
	// Secret keys the HMAC-SHA256 signature of each delivery. It is shown
	// once, when the subscription is created; it is never shown again nor
	// written to history.
	Secret string
	Active bool
	// DisabledReason says why crewid made the subscription inactive after
	// its deliveries kept failing; empty otherwise.
	DisabledReason string
	// ConsecutiveFailures counts the failed delivery attempts since the
	// last successful one; FailingSince is when the first of them ended
	// (zero when there is none).
	ConsecutiveFailures int
	FailingSince        time.Time
	CreatedOn           time.Time
	ModifiedOn          time.Time
}

// Statuses of a webhook delivery.
const (
	// DeliveryPending waits for its next attempt.
	DeliveryPending = "pending"
	// DeliveryDelivered was answered with a 2xx status.
	DeliveryDelivered = "delivered"
	// DeliveryFailed was given up on after a day of attempts (or because
	// its event is no longer in history).
	DeliveryFailed = "failed"
)

// WebhookDelivery is the delivery of one event to one subscription. There
// is one per (subscription, event): a redelivery queues the same one again.
type WebhookDelivery struct {
	ID        int64
	TenantID  int64
	WebhookID int64
	EventID   int64
	// EventType is filled on read from the event (empty when history no
	// longer holds it).
	EventType string
	Status    string // DeliveryPending, DeliveryDelivered or DeliveryFailed
	// Attempts counts the attempts made, including one under way.
	Attempts int
	// NextAttemptOn is when a pending delivery is next due; zero while its
	// subscription is inactive (the delivery waits for it to be active
	// again).
	NextAttemptOn time.Time
	// QueuedOn is when the delivery was queued, or queued again (by a
	// redelivery, or when its subscription became active again); failed
	// attempts are retried for a day after it.
	QueuedOn time.Time
	// LastStatusCode is the HTTP status of the last attempt, 0 when it got
	// no answer (LastError says why).
	LastStatusCode int
	LastError      string
	CreatedOn      time.Time
	DeliveredOn    time.Time
}
