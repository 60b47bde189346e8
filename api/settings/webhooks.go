package settings

import (
	"net/http"
	"time"

	"crewid"
	"crewid/api"
	"crewid/store"
	"crewid/webhooks"
)

// Webhook subscriptions, in the Settings API's style.
//
//	POST   /settings/v2/tenant/{tenant}/webhooks            {url, events} → the subscription with its secret (shown once)
//	GET    /settings/v2/tenant/{tenant}/webhooks            the list envelope (active=True|False|Any, ids, name matches the URL)
//	GET    /settings/v2/tenant/{tenant}/webhooks/{id}       one subscription, without its secret
//	PATCH  /settings/v2/tenant/{tenant}/webhooks/{id}       {url, events, active}
//	DELETE /settings/v2/tenant/{tenant}/webhooks/{id}
//	GET    /settings/v2/tenant/{tenant}/webhooks/{id}/deliveries   the delivery log, newest first (status, eventId)
//	POST   /settings/v2/tenant/{tenant}/webhooks/{id}/redeliver    {eventId} or {occurredOnOrAfter, occurredBefore} → {queued}

// EventJSON is the body of a webhook delivery: the event as GET history
// shows it.
func EventJSON(e crewid.Event) []byte { return appendHistoryEvent(nil, e) }

type webhookResponse struct {
	ID                  int64      `json:"id"`
	URL                 string     `json:"url"`
	Events              []string   `json:"events"`
	Active              bool       `json:"active"`
	DisabledReason      *string    `json:"disabledReason"`
	ConsecutiveFailures int        `json:"consecutiveFailures"`
	FailingSince        *time.Time `json:"failingSince"`
	CreatedOn           time.Time  `json:"createdOn"`
	ModifiedOn          time.Time  `json:"modifiedOn"`
}

// webhookCreated adds the secret, shown only in the answer to POST.
type webhookCreated struct {
	webhookResponse
	Secret string `json:"secret"`
}

func toWebhook(w crewid.Webhook) webhookResponse {
	return webhookResponse{ID: w.ID, URL: w.URL, Events: nonNil(w.Events), Active: w.Active, DisabledReason: opt(w.DisabledReason),
		ConsecutiveFailures: w.ConsecutiveFailures, FailingSince: optTime(w.FailingSince), CreatedOn: w.CreatedOn, ModifiedOn: w.ModifiedOn}
}

type webhookDeliveryResponse struct {
	ID             int64      `json:"id"`
	EventID        int64      `json:"eventId"`
	EventType      *string    `json:"eventType"`
	Status         string     `json:"status"`
	Attempts       int        `json:"attempts"`
	NextAttemptOn  *time.Time `json:"nextAttemptOn"`
	QueuedOn       time.Time  `json:"queuedOn"`
	LastStatusCode *int       `json:"lastStatusCode"`
	LastError      *string    `json:"lastError"`
	CreatedOn      time.Time  `json:"createdOn"`
	DeliveredOn    *time.Time `json:"deliveredOn"`
}

// deliveryStatuses maps the wire's status names to the store's.
var deliveryStatuses = map[string]string{
	"Pending":   crewid.DeliveryPending,
	"Delivered": crewid.DeliveryDelivered,
	"Failed":    crewid.DeliveryFailed,
}

func wireDeliveryStatus(s string) string {
	for wire, st := range deliveryStatuses {
		if st == s {
			return wire
		}
	}
	return s
}

func toWebhookDelivery(d crewid.WebhookDelivery) webhookDeliveryResponse {
	out := webhookDeliveryResponse{ID: d.ID, EventID: d.EventID, EventType: opt(d.EventType), Status: wireDeliveryStatus(d.Status),
		Attempts: d.Attempts, QueuedOn: d.QueuedOn, LastError: opt(d.LastError), CreatedOn: d.CreatedOn,
		DeliveredOn: optTime(d.DeliveredOn)}
	if d.Status == crewid.DeliveryPending {
		out.NextAttemptOn = optTime(d.NextAttemptOn)
	}
	if d.LastStatusCode != 0 {
		out.LastStatusCode = ptr(d.LastStatusCode)
	}
	return out
}

type webhookRequest struct {
	URL    api.Optional[string]   `json:"url"`
	Events api.Optional[[]string] `json:"events"`
	Active api.Optional[bool]     `json:"active"`
}

func (h *Handler) createWebhook(w http.ResponseWriter, r *http.Request, c api.Caller) {
	decodeAnd(w, r, func(req webhookRequest) (any, error) {
		if req.Active.Set && !req.Active.Value {
			return nil, crewid.FieldError("active", "A subscription starts active; make it inactive with PATCH.")
		}
		hook, err := h.Webhooks.Create(r.Context(), c.Actor, c.TenantID, req.URL.Value, req.Events.Value)
		return webhookCreated{webhookResponse: toWebhook(hook), Secret: hook.Secret}, err
	})
}

func (h *Handler) listWebhooks(w http.ResponseWriter, r *http.Request, c api.Caller) {
	q := api.NewQuery(r.URL.Query())
	lq := q.List()
	writeList(w, r, q, lq, func() (store.Page[crewid.Webhook], error) {
		return h.Store.Webhooks(r.Context(), c.TenantID, lq)
	}, toWebhook)
}

func (h *Handler) getWebhook(w http.ResponseWriter, r *http.Request, c api.Caller) {
	writeOne(w, r, func(id int64) (crewid.Webhook, error) { return h.Store.Webhook(r.Context(), c.TenantID, id) }, toWebhook)
}

func (h *Handler) updateWebhook(w http.ResponseWriter, r *http.Request, c api.Caller) {
	withID(w, r, func(id int64) {
		decodeAnd(w, r, func(req webhookRequest) (any, error) {
			var ch webhooks.Changes
			if req.URL.Set {
				ch.URL = &req.URL.Value
			}
			if req.Events.Set {
				ch.Events = &req.Events.Value
			}
			if req.Active.Set {
				ch.Active = &req.Active.Value
			}
			hook, err := h.Webhooks.Update(r.Context(), c.Actor, c.TenantID, id, ch)
			return toWebhook(hook), err
		})
	})
}

func (h *Handler) deleteWebhook(w http.ResponseWriter, r *http.Request, c api.Caller) {
	withID(w, r, func(id int64) { deleted(w, r, h.Webhooks.Delete(r.Context(), c.Actor, c.TenantID, id)) })
}

func (h *Handler) listWebhookDeliveries(w http.ResponseWriter, r *http.Request, c api.Caller) {
	withID(w, r, func(id int64) {
		q := api.NewQuery(r.URL.Query())
		dq := store.DeliveryQuery{
			Status:       deliveryStatuses[q.Enum("status", "", "Pending", "Delivered", "Failed")],
			EventID:      q.Int64("eventId"),
			Page:         q.Int("page", 1, 1, 1_000_000),
			PageSize:     q.Int("pageSize", 50, 1, 5000),
			IncludeTotal: q.Bool("includeTotal"),
		}
		if err := q.Err(); err != nil {
			api.WriteError(w, r, err)
			return
		}
		// Another tenant's subscription, or none, is 404, not an empty log.
		if _, err := h.Store.Webhook(r.Context(), c.TenantID, id); err != nil {
			api.WriteError(w, r, err)
			return
		}
		lq := store.ListQuery{Page: dq.Page, PageSize: dq.PageSize, IncludeTotal: dq.IncludeTotal}
		writeList(w, r, q, lq, func() (store.Page[crewid.WebhookDelivery], error) {
			return h.Store.WebhookDeliveries(r.Context(), c.TenantID, id, dq)
		}, toWebhookDelivery)
	})
}

type redeliverRequest struct {
	EventID           int64   `json:"eventId"`
	OccurredOnOrAfter *string `json:"occurredOnOrAfter"`
	OccurredBefore    *string `json:"occurredBefore"`
}

type redeliverResponse struct {
	Queued int `json:"queued"`
}

func (h *Handler) redeliverWebhook(w http.ResponseWriter, r *http.Request, c api.Caller) {
	withID(w, r, func(id int64) {
		decodeAnd(w, r, func(req redeliverRequest) (any, error) {
			rd := webhooks.Redelivery{EventID: req.EventID}
			p := crewid.Problems{}
			for _, f := range []struct {
				name string
				in   *string
				out  *time.Time
			}{{"occurredOnOrAfter", req.OccurredOnOrAfter, &rd.OccurredOnOrAfter}, {"occurredBefore", req.OccurredBefore, &rd.OccurredBefore}} {
				if f.in == nil || *f.in == "" {
					continue
				}
				t, err := api.ParseTime(*f.in)
				if err != nil || t.IsZero() {
					p.Add(f.name, "Must be a date-time in RFC 3339 format, e.g. 2024-01-31T15:04:05Z, or a date, e.g. 2024-01-31.")
					continue
				}
				*f.out = t
			}
			if err := p.Err(); err != nil {
				return nil, err
			}
			n, err := h.Webhooks.Redeliver(r.Context(), c.Actor, c.TenantID, id, rd)
			return redeliverResponse{Queued: n}, err
		})
	})
}
