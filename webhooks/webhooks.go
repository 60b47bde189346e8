// Package webhooks pushes a tenant's history events to the URLs it
// subscribes: the rules of subscriptions (Service) and their delivery
// (Worker).
//
// A subscription has a URL, an event filter and a signing secret. Every
// history event whose type matches the filter is queued for it in the
// transaction that records the event (see store.WebhookWriter), so a
// committed change always reaches its subscribers and a rolled-back one
// never does. Workers in any number of processes deliver the queue: each
// delivery is an HTTP POST of the event as JSON, signed (see Sign), and is
// retried with exponential backoff until it is answered with a 2xx or a
// day has passed. A subscription whose deliveries keep failing for a day
// is made inactive, saying why; its pending deliveries wait, and resume
// when it is made active again.
package webhooks

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"crewid"
	"crewid/access"
	"crewid/history"
	"crewid/store"
)

// RecordType is the record type of subscriptions in history.
const RecordType = "Webhook"

// Limits of a subscription and of a redelivery.
const (
	maxURL         = 2048
	maxFilterItems = 100
	maxFilterItem  = 100
	// MaxRedelivery is the most events one range redelivery may queue.
	MaxRedelivery = 10_000
)

// Service applies the rules of subscriptions on top of the store.
type Service struct {
	Store store.Store
	Now   func() time.Time
	// AllowPrivate lets URLs resolve to loopback and private addresses
	// (crewid serve --allow-private-webhooks); by default they are refused.
	AllowPrivate bool
	// Resolver resolves URL hosts to check them; nil means the system's.
	Resolver Resolver
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC().Truncate(time.Microsecond)
	}
	return s.Now().UTC().Truncate(time.Microsecond)
}

// Changes are the fields an update sets; nil leaves a field as it is.
type Changes struct {
	URL    *string
	Events *[]string
	Active *bool
}

// Create subscribes url to the tenant's events matching events and returns
// the subscription with its secret, which is shown only this once.
func (s *Service) Create(ctx context.Context, actor crewid.Actor, tenantID int64, rawURL string, events []string) (crewid.Webhook, error) {
	if err := mayReadHistory(ctx); err != nil {
		return crewid.Webhook{}, err
	}
	p := crewid.Problems{}
	u := s.checkURL(ctx, p, rawURL)
	filter := cleanFilter(p, events)
	if err := p.Err(); err != nil {
		return crewid.Webhook{}, err
	}
	secret, err := newSecret()
	if err != nil {
		return crewid.Webhook{}, err
	}
	var w crewid.Webhook
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		now := s.now()
		w = crewid.Webhook{TenantID: tenantID, URL: u, Events: filter, Secret: secret, Active: true,
			CreatedOn: now, ModifiedOn: now}
		if _, err := tx.Tenant(ctx, tenantID); err != nil {
			return err
		}
		if err := tx.CreateWebhook(ctx, &w); err != nil {
			return err
		}
		return history.Record(ctx, tx, now, actor, history.Change{
			TenantID: tenantID, Type: RecordType + ".Created", RecordType: RecordType, RecordID: w.ID, After: withoutSecret(w),
		})
	})
	return w, err
}

// Update changes a subscription. Making it inactive parks its pending
// deliveries; making it active again clears why it was disabled and
// resumes them, due at once.
func (s *Service) Update(ctx context.Context, actor crewid.Actor, tenantID, id int64, c Changes) (crewid.Webhook, error) {
	if c.URL != nil || c.Events != nil {
		if err := mayReadHistory(ctx); err != nil {
			return crewid.Webhook{}, err
		}
	}
	p := crewid.Problems{}
	var newURL string
	var filter []string
	if c.URL != nil {
		newURL = s.checkURL(ctx, p, *c.URL)
	}
	if c.Events != nil {
		filter = cleanFilter(p, *c.Events)
	}
	if err := p.Err(); err != nil {
		return crewid.Webhook{}, err
	}
	var after crewid.Webhook
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		now := s.now()
		if err := tx.LockTenant(ctx, tenantID); err != nil {
			return err
		}
		before, err := tx.Webhook(ctx, tenantID, id)
		if err != nil {
			return err
		}
		after = before
		after.Events = slices.Clone(before.Events)
		if c.URL != nil {
			after.URL = newURL
		}
		if c.Events != nil {
			after.Events = filter
		}
		if c.Active != nil && *c.Active != before.Active {
			after.Active = *c.Active
			after.DisabledReason = ""
			if after.Active {
				// A fresh start: the failures that disabled it are past.
				after.ConsecutiveFailures, after.FailingSince = 0, time.Time{}
			}
		}
		if reflect.DeepEqual(after, before) {
			return nil // nothing changed: no write, no event
		}
		after.ModifiedOn = now
		if err := tx.UpdateWebhook(ctx, &after); err != nil {
			return err
		}
		if after.Active != before.Active {
			if err := tx.ParkDeliveries(ctx, tenantID, id, !after.Active, now); err != nil {
				return err
			}
		}
		return history.Record(ctx, tx, now, actor, history.Change{
			TenantID: tenantID, Type: RecordType + ".Updated", RecordType: RecordType, RecordID: id,
			Before: withoutSecret(before), After: withoutSecret(after),
		})
	})
	if err != nil {
		return crewid.Webhook{}, err
	}
	return after, nil
}

// Delete removes a subscription and its delivery log.
func (s *Service) Delete(ctx context.Context, actor crewid.Actor, tenantID, id int64) error {
	return s.Store.Update(ctx, func(tx store.Tx) error {
		if err := tx.LockTenant(ctx, tenantID); err != nil {
			return err
		}
		before, err := tx.Webhook(ctx, tenantID, id)
		if err != nil {
			return err
		}
		if err := tx.DeleteWebhook(ctx, tenantID, id); err != nil {
			return err
		}
		return history.Record(ctx, tx, s.now(), actor, history.Change{
			TenantID: tenantID, Type: RecordType + ".Deleted", RecordType: RecordType, RecordID: id, Before: withoutSecret(before),
		})
	})
}

// Redelivery names what Redeliver queues again: one event, or the events
// of a time range [OccurredOnOrAfter, OccurredBefore) that match the
// subscription's filter (a zero bound is open).
type Redelivery struct {
	EventID           int64
	OccurredOnOrAfter time.Time
	OccurredBefore    time.Time
}

// redeliveryRecord is what history shows of a redelivery.
type redeliveryRecord struct {
	EventID           int64
	OccurredOnOrAfter time.Time
	OccurredBefore    time.Time
	Queued            int
}

// Redeliver queues events for the subscription again, delivered even if
// they were delivered before, and returns how many. A range may hold at
// most MaxRedelivery events. An inactive subscription keeps them until it
// is active again.
func (s *Service) Redeliver(ctx context.Context, actor crewid.Actor, tenantID, id int64, r Redelivery) (int, error) {
	if err := mayReadHistory(ctx); err != nil {
		return 0, err
	}
	p := crewid.Problems{}
	switch {
	case r.EventID < 0:
		p.Add("eventId", "The event id must be a positive whole number.")
	case r.EventID > 0 && (!r.OccurredOnOrAfter.IsZero() || !r.OccurredBefore.IsZero()):
		p.Add("eventId", "Give either an event id or a time range, not both.")
	case r.EventID == 0 && r.OccurredOnOrAfter.IsZero() && r.OccurredBefore.IsZero():
		p.Add("eventId", "Give the event id to redeliver, or a time range (occurredOnOrAfter, occurredBefore).")
	case !r.OccurredOnOrAfter.IsZero() && !r.OccurredBefore.IsZero() && !r.OccurredBefore.After(r.OccurredOnOrAfter):
		p.Add("occurredBefore", "The end of the range must come after its start.")
	}
	if err := p.Err(); err != nil {
		return 0, err
	}
	var n int
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		now := s.now()
		if _, err := tx.Webhook(ctx, tenantID, id); err != nil {
			return err
		}
		var err error
		n, err = tx.QueueRedeliveries(ctx, tenantID, id, store.Redelivery{EventID: r.EventID,
			OccurredOnOrAfter: r.OccurredOnOrAfter, OccurredBefore: r.OccurredBefore, Max: MaxRedelivery}, now)
		if err != nil {
			return err
		}
		return history.Record(ctx, tx, now, actor, history.Change{
			TenantID: tenantID, Type: RecordType + ".RedeliveryQueued", RecordType: RecordType, RecordID: id,
			After: redeliveryRecord{EventID: r.EventID, OccurredOnOrAfter: r.OccurredOnOrAfter, OccurredBefore: r.OccurredBefore, Queued: n},
		})
	})
	return n, err
}

// withoutSecret is a subscription as history shows it. history.Snapshot
// leaves out fields named Secret too; blanking it here keeps the secret
// out even if that list changes.
func withoutSecret(w crewid.Webhook) webhookRecord {
	return webhookRecord{ID: w.ID, URL: w.URL, Events: w.Events, Active: w.Active, DisabledReason: w.DisabledReason,
		ConsecutiveFailures: w.ConsecutiveFailures, FailingSince: w.FailingSince, CreatedOn: w.CreatedOn, ModifiedOn: w.ModifiedOn}
}

// webhookRecord is crewid.Webhook without its secret.
type webhookRecord struct {
	ID                  int64
	URL                 string
	Events              []string
	Active              bool
	DisabledReason      string
	ConsecutiveFailures int
	FailingSince        time.Time
	CreatedOn           time.Time
	ModifiedOn          time.Time
}

// newSecret is a signing secret: 32 random bytes, base64url, with a
// prefix that says what it is when it turns up in a configuration file.
func newSecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("webhooks: generate a secret: %w", err)
	}
	return "whsec_" + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// checkURL validates a subscription URL and returns it cleaned.
func (s *Service) checkURL(ctx context.Context, p crewid.Problems, raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		p.Add("url", "A URL is required.")
		return ""
	}
	if len(raw) > maxURL {
		p.Add("url", fmt.Sprintf("The URL is longer than %d characters.", maxURL))
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Opaque != "" {
		p.Add("url", "Must be an absolute http or https URL, such as https://example.com/hooks/crewid.")
		return ""
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		p.Add("url", "The scheme must be http or https.")
		return ""
	}
	if u.Hostname() == "" {
		p.Add("url", "The URL needs a host.")
		return ""
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			p.Add("url", "The port must be a number from 1 to 65535.")
			return ""
		}
	}
	if u.User != nil {
		// It would be shown in every listing and in history; deliveries
		// are signed, so the receiver can tell crewid without it.
		p.Add("url", "The URL cannot carry a user name or password; check the Crewid-Signature header instead.")
		return ""
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		p.Add("url", "The URL cannot have a fragment (#…).")
		return ""
	}
	if strings.ContainsFunc(raw, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		p.Add("url", "The URL contains characters that are not allowed.")
		return ""
	}
	if !s.AllowPrivate {
		if err := checkHost(ctx, s.Resolver, u.Hostname()); err != nil {
			p.Add("url", "Not allowed: "+err.Error()+".")
			return ""
		}
	}
	return u.String()
}

// cleanFilter validates an event filter and returns it deduplicated and
// sorted, as the store expects it: event types ("Technician.Created"),
// record wildcards ("Technician.*"), or exactly ["*"].
func cleanFilter(p crewid.Problems, events []string) []string {
	if len(events) == 0 {
		p.Add("events", `List the event types to deliver, e.g. ["Technician.Created", "Employee.*"], or ["*"] for every event.`)
		return nil
	}
	if len(events) > maxFilterItems {
		p.Add("events", fmt.Sprintf("At most %d entries.", maxFilterItems))
		return nil
	}
	out := []string{}
	for _, e := range events {
		e = strings.TrimSpace(e)
		if e == "*" {
			return []string{"*"} // every event: the rest adds nothing
		}
		if !validFilterItem(e) {
			p.Add("events", fmt.Sprintf("%q is not an event type: use Record.Event (e.g. Technician.Created), Record.* or *.", truncate(e, 60)))
			continue
		}
		if record, _, _ := strings.Cut(e, "."); !slices.Contains(EventRecords, record) {
			p.Add("events", fmt.Sprintf("%q names no kind of event crewid records; event types begin with one of %s.", truncate(e, 60), strings.Join(EventRecords, ", ")))
			continue
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	slices.Sort(out)
	return out
}

// mayReadHistory refuses a person who may not read the history (View
// History) to choose where events go or which: deliveries carry them,
// records and all. Applications (scope webhooks needs View History to give)
// and the operator pass.
func mayReadHistory(ctx context.Context) error {
	holder, ok := access.Holder(ctx)
	if !ok || holder.Allows(access.PermViewHistory) {
		return nil
	}
	return access.Missing(access.PermViewHistory)
}

// EventRecords are the first parts of the event types crewid records
// ("Technician" of "Technician.Created"): a filter naming anything else
// (a typo, another casing) would never match, so it is refused.
var EventRecords = []string{
	"App", "BusinessUnit", "CustomFieldType", "Employee", "History", "Invitation", "Permission",
	"SingleSignOn", "TagType", "Team", "Technician", "Tenant", "UserRole", "Webhook", "Zone",
}

// validFilterItem reports whether s is "Record.Event" or "Record.*", each
// part letters, digits, '_' and '-' (the characters the store matches as
// text), the record starting with a letter.
func validFilterItem(s string) bool {
	if len(s) > maxFilterItem {
		return false
	}
	record, event, ok := strings.Cut(s, ".")
	if !ok || !validName(record) || !(record[0] >= 'A' && record[0] <= 'Z' || record[0] >= 'a' && record[0] <= 'z') {
		return false
	}
	if event == "*" {
		return true
	}
	// Further dots may part the event ("Technician.Account.Locked").
	for part := range strings.SplitSeq(event, ".") {
		if !validName(part) {
			return false
		}
	}
	return true
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
		default:
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
