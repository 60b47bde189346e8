package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"crewid"
	"crewid/access"
	"crewid/store"
	"crewid/webhooks"
)

// Settings > Webhooks: subscriptions to the tenant's history events, each
// with its delivery log, through package webhooks as the Settings API's
// webhooks resource does (Admin Access). A subscription's secret is shown
// once, on the answer to the form that created it.

const deliveryPageSize = 50

func (c *Console) webhookList(w http.ResponseWriter, r *http.Request, v *Viewer) {
	if !c.authorize(w, r, v, access.TaskManageWebhooks) {
		return
	}
	page, err := c.Store.Webhooks(r.Context(), v.Person.TenantID, store.ListQuery{Active: store.ActiveAny, PageSize: lookupAll})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "webhooks", &View{Title: "Webhooks", Data: page.Items})
}

type webhookFormData struct {
	New  bool
	Hook crewid.Webhook
	// Events is the filter as typed: one entry a line.
	Events string
	// The delivery log of an existing subscription.
	Deliveries []crewid.WebhookDelivery
	Status     string
	Statuses   []string
	Page       int
	PrevURL    string
	NextURL    string
}

// splitEvents reads an event filter typed one entry a line (or with
// commas between).
func splitEvents(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' || r == ' ' || r == '\t' })
}

func (c *Console) webhookNew(w http.ResponseWriter, r *http.Request, v *Viewer) {
	if !c.authorize(w, r, v, access.TaskManageWebhooks) {
		return
	}
	c.render(w, r, http.StatusOK, "webhook", &View{Title: "New webhook", Data: webhookFormData{New: true, Events: "*"}})
}

func (c *Console) webhookCreate(w http.ResponseWriter, r *http.Request, v *Viewer) {
	if !c.authorize(w, r, v, access.TaskManageWebhooks) {
		return
	}
	d := webhookFormData{New: true, Hook: crewid.Webhook{URL: strings.TrimSpace(r.PostFormValue("url"))}, Events: r.PostFormValue("events")}
	hook, err := c.Webhooks.Create(asViewer(r.Context(), v), v.Actor(r), v.Person.TenantID, d.Hook.URL, splitEvents(d.Events))
	if err != nil {
		c.webhookFailed(w, r, err, d)
		return
	}
	c.render(w, r, http.StatusOK, "webhook-secret", &View{Title: "Webhook created", Data: hook})
}

func (c *Console) webhookFailed(w http.ResponseWriter, r *http.Request, err error, d webhookFormData) {
	if !formFailure(err) {
		c.fail(w, r, err)
		return
	}
	problems, msg := fieldErrors(err)
	c.render(w, r, api400(err), "webhook", &View{Title: "Webhook", Data: d, Errors: problems, Error: msg})
}

func (c *Console) webhookOf(w http.ResponseWriter, r *http.Request, v *Viewer) (crewid.Webhook, bool) {
	return recordOf(c, w, r, v, access.TaskManageWebhooks, c.Store.Webhook)
}

// withLog adds a page of the subscription's delivery log to d, per the
// query's status and page.
func (c *Console) withLog(r *http.Request, tenantID int64, d *webhookFormData) error {
	q := r.URL.Query()
	d.Statuses = []string{crewid.DeliveryPending, crewid.DeliveryDelivered, crewid.DeliveryFailed}
	d.Status, d.Page = q.Get("status"), 1
	switch d.Status {
	case "", crewid.DeliveryPending, crewid.DeliveryDelivered, crewid.DeliveryFailed:
	default:
		return crewid.FieldError("status", "Unknown delivery status.")
	}
	if raw := q.Get("page"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > 1_000_000 {
			return crewid.FieldError("page", "The page must be a whole number from 1.")
		}
		d.Page = n
	}
	page, err := c.Store.WebhookDeliveries(r.Context(), tenantID, d.Hook.ID, store.DeliveryQuery{Status: d.Status, Page: d.Page, PageSize: deliveryPageSize})
	if err != nil {
		return err
	}
	d.Deliveries = page.Items
	pageURL := func(n int) string {
		vals := url.Values{"page": {strconv.Itoa(n)}}
		if d.Status != "" {
			vals.Set("status", d.Status)
		}
		return "/settings/webhooks/" + itoa(d.Hook.ID) + "?" + vals.Encode()
	}
	if d.Page > 1 {
		d.PrevURL = pageURL(d.Page - 1)
	}
	if page.HasMore {
		d.NextURL = pageURL(d.Page + 1)
	}
	return nil
}

func (c *Console) webhookShow(w http.ResponseWriter, r *http.Request, v *Viewer) {
	hook, ok := c.webhookOf(w, r, v)
	if !ok {
		return
	}
	d := webhookFormData{Hook: hook, Events: strings.Join(hook.Events, "\n")}
	if err := c.withLog(r, v.Person.TenantID, &d); err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "webhook", &View{Title: "Webhook", Data: d})
}

func (c *Console) webhookSave(w http.ResponseWriter, r *http.Request, v *Viewer) {
	hook, ok := c.webhookOf(w, r, v)
	if !ok {
		return
	}
	rawURL, events, active := strings.TrimSpace(r.PostFormValue("url")), r.PostFormValue("events"), r.PostFormValue("active") == "on"
	filter := splitEvents(events)
	_, err := c.Webhooks.Update(asViewer(r.Context(), v), v.Actor(r), v.Person.TenantID, hook.ID,
		webhooks.Changes{URL: &rawURL, Events: &filter, Active: &active})
	if err != nil {
		edited := hook
		edited.URL, edited.Active = rawURL, active
		d := webhookFormData{Hook: edited, Events: events}
		if lerr := c.withLog(r, v.Person.TenantID, &d); lerr != nil {
			c.fail(w, r, lerr)
			return
		}
		c.webhookFailed(w, r, err, d)
		return
	}
	c.doneWith(w, r, "/settings/webhooks/"+itoa(hook.ID), "The webhook was saved.")
}

func (c *Console) webhookDelete(w http.ResponseWriter, r *http.Request, v *Viewer) {
	hook, ok := c.webhookOf(w, r, v)
	if !ok {
		return
	}
	if err := c.Webhooks.Delete(asViewer(r.Context(), v), v.Actor(r), v.Person.TenantID, hook.ID); err != nil {
		c.fail(w, r, err)
		return
	}
	c.doneWith(w, r, "/settings/webhooks", "The webhook to "+hook.URL+" was deleted.")
}

func (c *Console) webhookRedeliver(w http.ResponseWriter, r *http.Request, v *Viewer) {
	hook, ok := c.webhookOf(w, r, v)
	if !ok {
		return
	}
	eventID, err := strconv.ParseInt(r.PostFormValue("eventId"), 10, 64)
	if err != nil || eventID <= 0 {
		c.fail(w, r, crewid.FieldError("eventId", "The event id must be a positive whole number."))
		return
	}
	n, err := c.Webhooks.Redeliver(asViewer(r.Context(), v), v.Actor(r), v.Person.TenantID, hook.ID, webhooks.Redelivery{EventID: eventID})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	msg := "Event " + itoa(eventID) + " is queued for delivery again."
	if n == 0 {
		msg = "Event " + itoa(eventID) + " was not queued: it no longer exists."
	}
	c.doneWith(w, r, "/settings/webhooks/"+itoa(hook.ID), msg)
}
