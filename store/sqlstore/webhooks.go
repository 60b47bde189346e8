package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"crewid"
	"crewid/store"
)

// Webhook subscriptions and their deliveries (see store/webhooks.go). A
// subscription's filter is kept as the JSON array package webhooks writes
// (sorted event types, "Record.*" wildcards, or exactly ["*"]), and matched
// against an event's type as text: the filter holds `"Technician.Created"`
// or `"Technician.*"`, quotes included. Event types and filter entries are
// made of letters, digits, '.', '_' and '-' (see filterSafe), so a quoted
// type can only match a whole entry.

const webhookCols = `id, tenant_id, url, events, secret, active, disabled_reason,
	consecutive_failures, failing_since, created_on, modified_on`

func scanWebhook(r rowScanner) (crewid.Webhook, error) {
	var w crewid.Webhook
	var events string
	var failingSince, created, modified int64
	if err := r.Scan(&w.ID, &w.TenantID, &w.URL, &events, &w.Secret, &w.Active, &w.DisabledReason,
		&w.ConsecutiveFailures, &failingSince, &created, &modified); err != nil {
		return crewid.Webhook{}, err
	}
	if err := fromJSON(events, &w.Events); err != nil {
		return crewid.Webhook{}, err
	}
	w.Events = orEmpty(w.Events)
	w.FailingSince, w.CreatedOn, w.ModifiedOn = fromMicros(failingSince), fromMicros(created), fromMicros(modified)
	return w, nil
}

// parked is the next_attempt_on of a pending delivery whose subscription
// is inactive: never due.
const parked = math.MaxInt64

const deliveryCols = `id, tenant_id, webhook_id, event_id, status, attempts, next_attempt_on,
	queued_on, last_status_code, last_error, created_on, delivered_on`

// scanDelivery reads deliveryCols, then the extra destinations.
func scanDelivery(r rowScanner, extra ...any) (crewid.WebhookDelivery, error) {
	var d crewid.WebhookDelivery
	var next, queued, created, delivered int64
	dest := append([]any{&d.ID, &d.TenantID, &d.WebhookID, &d.EventID, &d.Status, &d.Attempts, &next,
		&queued, &d.LastStatusCode, &d.LastError, &created, &delivered}, extra...)
	if err := r.Scan(dest...); err != nil {
		return crewid.WebhookDelivery{}, err
	}
	if next != parked {
		d.NextAttemptOn = fromMicros(next)
	}
	d.QueuedOn, d.CreatedOn, d.DeliveredOn = fromMicros(queued), fromMicros(created), fromMicros(delivered)
	return d, nil
}

func (c conn) Webhook(ctx context.Context, tenantID, id int64) (crewid.Webhook, error) {
	w, err := scanWebhook(c.queryRow(ctx, `SELECT `+webhookCols+` FROM webhooks WHERE tenant_id = ? AND id = ?`, tenantID, id))
	if err != nil {
		return crewid.Webhook{}, notFound(err)
	}
	return w, nil
}

func (c conn) Webhooks(ctx context.Context, tenantID int64, q store.ListQuery) (store.Page[crewid.Webhook], error) {
	var w where
	name := q.Name
	q.Name = "" // webhooks have no name: it filters the URL
	listFilters(&w, "", tenantID, q)
	if name != "" {
		w.add(`LOWER(url) LIKE ? ESCAPE '\'`, likeContains(name))
	}
	return listPage(ctx, c, webhookCols, "webhooks", &w, " ORDER BY id", q, scanWebhook)
}

func (c conn) WebhookDeliveries(ctx context.Context, tenantID, webhookID int64, q store.DeliveryQuery) (store.Page[crewid.WebhookDelivery], error) {
	var w where
	w.add("d.webhook_id = ?", webhookID)
	w.add("d.tenant_id = ?", tenantID)
	if q.Status != "" {
		w.add("d.status = ?", q.Status)
	}
	if q.EventID != 0 {
		w.add("d.event_id = ?", q.EventID)
	}
	cols := "d." + strings.ReplaceAll(deliveryCols, ", ", ", d.") + ", COALESCE(e.event_type, '')"
	lq := store.ListQuery{Page: q.Page, PageSize: q.PageSize, IncludeTotal: q.IncludeTotal}
	return listPage(ctx, c, cols, "webhook_deliveries d LEFT JOIN events e ON e.id = d.event_id", &w, " ORDER BY d.id DESC", lq,
		func(r rowScanner) (crewid.WebhookDelivery, error) {
			var eventType string
			d, err := scanDelivery(r, &eventType)
			d.EventType = eventType
			return d, err
		})
}

func (t *tx) CreateWebhook(ctx context.Context, w *crewid.Webhook) error {
	events, err := toJSON(orEmpty(w.Events))
	if err != nil {
		return err
	}
	err = t.queryRow(ctx, `INSERT INTO webhooks (tenant_id, url, events, secret, active, disabled_reason,
		consecutive_failures, failing_since, created_on, modified_on)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		w.TenantID, w.URL, events, w.Secret, w.Active, w.DisabledReason, w.ConsecutiveFailures,
		toMicros(w.FailingSince), toMicros(w.CreatedOn), toMicros(w.ModifiedOn)).Scan(&w.ID)
	return t.db.translate(err)
}

func (t *tx) UpdateWebhook(ctx context.Context, w *crewid.Webhook) error {
	events, err := toJSON(orEmpty(w.Events))
	if err != nil {
		return err
	}
	return t.execOne(ctx, `UPDATE webhooks SET url = ?, events = ?, active = ?, disabled_reason = ?,
		consecutive_failures = ?, failing_since = ?, modified_on = ?
		WHERE tenant_id = ? AND id = ?`,
		w.URL, events, w.Active, w.DisabledReason, w.ConsecutiveFailures, toMicros(w.FailingSince),
		toMicros(w.ModifiedOn), w.TenantID, w.ID)
}

func (t *tx) DeleteWebhook(ctx context.Context, tenantID, id int64) error {
	// The deliveries go with it (ON DELETE CASCADE).
	return t.execOne(ctx, `DELETE FROM webhooks WHERE tenant_id = ? AND id = ?`, tenantID, id)
}

func (t *tx) ParkDeliveries(ctx context.Context, tenantID, webhookID int64, park bool, now time.Time) error {
	nowUS := toMicros(now)
	var err error
	if park {
		_, err = t.exec(ctx, `UPDATE webhook_deliveries SET next_attempt_on = ?
			WHERE webhook_id = ? AND tenant_id = ? AND status = 'pending' AND lease_until <= ?`,
			int64(parked), webhookID, tenantID, nowUS)
	} else {
		_, err = t.exec(ctx, `UPDATE webhook_deliveries SET next_attempt_on = ?, queued_on = ?
			WHERE webhook_id = ? AND tenant_id = ? AND status = 'pending' AND lease_until <= ?`,
			nowUS, nowUS, webhookID, tenantID, nowUS)
	}
	return t.db.translate(err)
}

// filterSafe reports whether an event type may be matched against the
// stored filters as text: letters, digits, '.', '_' and '-' only, as
// package webhooks requires of filter entries.
func filterSafe(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
		default:
			return false
		}
	}
	return true
}

// deliveriesOf is the statement that queues a delivery of e, being
// appended, for every active subscription of the tenant whose filter
// matches e's type: one INSERT … SELECT over the tenant's active
// subscriptions (an index lookup that finds nothing for a tenant without
// any). Its result goes to countQueued.
func (t *tx) deliveriesOf(e *crewid.Event) (string, []any) {
	contains := "instr(events, ?) > 0"
	if t.db.flavor.Name == "postgres" {
		contains = "strpos(events, ?) > 0"
	}
	at := toMicros(e.OccurredOn)
	args := []any{e.ID, at, at, at, e.TenantID, true}
	cond := `events = '["*"]'`
	if filterSafe(e.Type) {
		cond += " OR " + contains
		args = append(args, `"`+e.Type+`"`)
		if record, _, ok := strings.Cut(e.Type, "."); ok && record != "" {
			cond += " OR " + contains
			args = append(args, `"`+record+`.*"`)
		}
	}
	return `INSERT INTO webhook_deliveries (tenant_id, webhook_id, event_id, status, attempts,
		next_attempt_on, queued_on, created_on)
		SELECT tenant_id, id, CAST(? AS BIGINT), 'pending', 0, CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT)
		FROM webhooks WHERE tenant_id = ? AND active = ? AND (` + cond + `)`, args
}

// countQueued adds the deliveries a deliveriesOf statement queued to the
// transaction's count.
func (t *tx) countQueued(res sql.Result, err error) error {
	if err != nil {
		return t.db.translate(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	t.queued += int(n)
	return nil
}

func (t *tx) QueuedDeliveries() int { return t.queued }

// upsertDelivery ends an INSERT of a delivery: an existing delivery of the
// same event to the same subscription is reset to pending instead. A lease
// on it is left alone: its worker's result still counts.
const upsertDelivery = ` ON CONFLICT (webhook_id, event_id) DO UPDATE SET status = 'pending', attempts = 0,
	next_attempt_on = excluded.next_attempt_on, queued_on = excluded.queued_on, delivered_on = 0`

func (t *tx) QueueRedeliveries(ctx context.Context, tenantID, webhookID int64, r store.Redelivery, now time.Time) (int, error) {
	var eventsJSON string
	if err := t.queryRow(ctx, `SELECT events FROM webhooks WHERE tenant_id = ? AND id = ?`, tenantID, webhookID).Scan(&eventsJSON); err != nil {
		return 0, notFound(err)
	}
	var filter []string
	if err := fromJSON(eventsJSON, &filter); err != nil {
		return 0, err
	}
	nowUS := toMicros(now)
	if r.EventID != 0 {
		found, err := t.exists(ctx, `SELECT 1 FROM events WHERE tenant_id = ? AND id = ?`, tenantID, r.EventID)
		if err != nil {
			return 0, err
		}
		if !found {
			return 0, crewid.Errorf(crewid.NotFound, "Event %d was not found.", r.EventID)
		}
		_, err = t.exec(ctx, `INSERT INTO webhook_deliveries (tenant_id, webhook_id, event_id, status, attempts,
			next_attempt_on, queued_on, created_on) VALUES (?, ?, ?, 'pending', 0, ?, ?, ?)`+upsertDelivery,
			tenantID, webhookID, r.EventID, nowUS, nowUS, nowUS)
		if err != nil {
			return 0, t.db.translate(err)
		}
		t.queued++
		return 1, nil
	}

	var w where
	w.add("tenant_id = ?", tenantID)
	if !r.OccurredOnOrAfter.IsZero() {
		w.add("occurred_on >= ?", toMicros(r.OccurredOnOrAfter))
	}
	if !r.OccurredBefore.IsZero() {
		w.add("occurred_on < ?", toMicros(r.OccurredBefore))
	}
	if !slices.Contains(filter, "*") {
		var conds []string
		var args []any
		for _, f := range filter {
			if record, ok := strings.CutSuffix(f, ".*"); ok {
				conds = append(conds, "substr(event_type, 1, ?) = ?")
				args = append(args, len(record)+1, record+".")
			} else {
				conds = append(conds, "event_type = ?")
				args = append(args, f)
			}
		}
		if len(conds) == 0 {
			return 0, nil
		}
		w.add("("+strings.Join(conds, " OR ")+")", args...)
	}
	if r.Max > 0 {
		var n int
		if err := t.queryRow(ctx, `SELECT COUNT(*) FROM events`+w.String(), w.args...).Scan(&n); err != nil {
			return 0, err
		}
		if n > r.Max {
			return 0, crewid.FieldError("occurredBefore", "The range holds more than the "+strconv.Itoa(r.Max)+
				" events one redelivery may queue; redeliver it in parts.")
		}
	}
	res, err := t.exec(ctx, `INSERT INTO webhook_deliveries (tenant_id, webhook_id, event_id, status, attempts,
		next_attempt_on, queued_on, created_on)
		SELECT tenant_id, CAST(? AS BIGINT), id, 'pending', 0, CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT)
		FROM events`+w.String()+upsertDelivery,
		append([]any{webhookID, nowUS, nowUS, nowUS}, w.args...)...)
	if err != nil {
		return 0, t.db.translate(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	t.queued += int(n)
	return int(n), nil
}

// ---- delivery ----------------------------------------------------------------

// ClaimDeliveries leases due deliveries to owner (see claimLeased), then
// reads their subscriptions and events.
func (db *DB) ClaimDeliveries(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]store.DueDelivery, error) {
	problems := crewid.Problems{}
	if owner == "" {
		problems.Add("owner", "A lease needs an owner.")
	}
	if !leaseUntil.After(now) {
		problems.Add("leaseUntil", "A lease must end after it starts.")
	}
	if limit <= 0 {
		problems.Add("limit", "The limit must be at least 1.")
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	nowUS := toMicros(now)
	// Most claims find nothing (workers are woken after every change that
	// queued a delivery, and poll besides): ask the read pool first, so
	// that an empty claim takes no write lock.
	found, err := db.exists(ctx, `SELECT 1 FROM webhook_deliveries
		WHERE status = 'pending' AND next_attempt_on <= ? AND lease_until <= ?`, nowUS, nowUS)
	if err != nil || !found {
		return []store.DueDelivery{}, err
	}
	due := `SELECT id FROM webhook_deliveries
		WHERE status = 'pending' AND next_attempt_on <= ? AND lease_until <= ?
		ORDER BY next_attempt_on, id LIMIT ?`
	claimed, err := claimLeased(ctx, db, "webhook_deliveries", due, []any{nowUS, nowUS, min(limit, maxClaim)},
		owner, leaseUntil, deliveryCols, func(r rowScanner) (crewid.WebhookDelivery, error) { return scanDelivery(r) })
	if err != nil || len(claimed) == 0 {
		return []store.DueDelivery{}, err
	}
	slices.SortFunc(claimed, func(a, b crewid.WebhookDelivery) int {
		if c := a.NextAttemptOn.Compare(b.NextAttemptOn); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})

	// The subscriptions and events, read after the claim has committed.
	var hookIDs, eventIDs []int64
	for _, d := range claimed {
		hookIDs, eventIDs = append(hookIDs, d.WebhookID), append(eventIDs, d.EventID)
	}
	hooks := map[int64]crewid.Webhook{}
	for _, ids := range chunks(uniqueSorted(hookIDs)) {
		var w where
		w.in("id", ids)
		if err := db.scanAll(ctx, `SELECT `+webhookCols+` FROM webhooks`+w.String(), w.args, func(r rowScanner) error {
			h, err := scanWebhook(r)
			hooks[h.ID] = h
			return err
		}); err != nil {
			return nil, err
		}
	}
	events := map[int64]crewid.Event{}
	for _, ids := range chunks(uniqueSorted(eventIDs)) {
		var w where
		w.in("id", ids)
		if err := db.scanAll(ctx, `SELECT `+eventCols+` FROM events`+w.String(), w.args, func(r rowScanner) error {
			e, err := scanEvent(r)
			events[e.ID] = e
			return err
		}); err != nil {
			return nil, err
		}
	}
	out := make([]store.DueDelivery, 0, len(claimed))
	for _, d := range claimed {
		h, ok := hooks[d.WebhookID]
		if !ok || h.TenantID != d.TenantID {
			// Deleted since the claim (its deliveries with it): nothing
			// to deliver, nothing to record.
			continue
		}
		e := events[d.EventID]
		if e.TenantID != d.TenantID {
			e = crewid.Event{}
		}
		d.EventType = e.Type
		out = append(out, store.DueDelivery{Delivery: d, Webhook: h, Event: e})
	}
	return out, nil
}

// scanAll runs a read query on the read pool and calls scan for each row.
func (db *DB) scanAll(ctx context.Context, query string, args []any, scan func(rowScanner) error) error {
	rows, err := db.query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (t *tx) MarkDelivery(ctx context.Context, m store.DeliveryMark) (bool, error) {
	if m.Attempts < 0 {
		return false, crewid.FieldError("attempts", "The attempt count cannot be negative.")
	}
	var set string
	args := []any{m.Attempts}
	switch m.Status {
	case crewid.DeliveryDelivered:
		set = `status = 'delivered', attempts = ?, delivered_on = ?`
		args = append(args, toMicros(m.On))
	case crewid.DeliveryFailed:
		set = `status = 'failed', attempts = ?`
	case crewid.DeliveryPending:
		next := toMicros(m.NextAttemptOn)
		if m.Park {
			next = parked
		}
		set = `attempts = ?, next_attempt_on = ?`
		args = append(args, next)
	default:
		return false, crewid.FieldError("status", "The status must be pending, delivered or failed.")
	}
	if m.Tried {
		set += `, last_status_code = ?, last_error = ?`
		args = append(args, m.StatusCode, m.Error)
	}
	return t.updateLeased(ctx, "webhook_deliveries", m.ID, m.Owner, set, args...)
}

// markBatch is the most results MarkDeliveries writes in one statement.
const markBatch = 100

func (t *tx) MarkDeliveries(ctx context.Context, marks []store.DeliveryMark) (int, error) {
	for _, m := range marks {
		if m.Attempts < 0 {
			return 0, crewid.FieldError("attempts", "The attempt count cannot be negative.")
		}
		switch m.Status {
		case crewid.DeliveryDelivered, crewid.DeliveryFailed, crewid.DeliveryPending:
		default:
			return 0, crewid.FieldError("status", "The status must be pending, delivered or failed.")
		}
	}
	total := 0
	for start := 0; start < len(marks); start += markBatch {
		var rows []string
		var args []any
		for _, m := range marks[start:min(start+markBatch, len(marks))] {
			if m.Owner == "" {
				continue // an unleased row must not match
			}
			next := toMicros(m.NextAttemptOn)
			if m.Park {
				next = parked
			}
			tried := 0
			if m.Tried {
				tried = 1
			}
			rows = append(rows, `(CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS BIGINT),
				CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS TEXT))`)
			args = append(args, m.ID, m.Owner, m.Status, m.Attempts, int64(next), toMicros(m.On), tried, m.StatusCode, m.Error)
		}
		if len(rows) == 0 {
			continue
		}
		// One UPDATE … FROM (VALUES …) for the batch; the columns of the
		// values are column1 … column9 on both databases. The conditions
		// are those of updateLeased.
		res, err := t.exec(ctx, `UPDATE webhook_deliveries SET
			status = v.column3,
			attempts = v.column4,
			next_attempt_on = CASE WHEN v.column3 = 'pending' THEN v.column5 ELSE webhook_deliveries.next_attempt_on END,
			delivered_on = CASE WHEN v.column3 = 'delivered' THEN v.column6 ELSE webhook_deliveries.delivered_on END,
			last_status_code = CASE WHEN v.column7 = 1 THEN v.column8 ELSE webhook_deliveries.last_status_code END,
			last_error = CASE WHEN v.column7 = 1 THEN v.column9 ELSE webhook_deliveries.last_error END,
			lease_owner = '', lease_until = 0
			FROM (VALUES `+strings.Join(rows, ", ")+`) AS v
			WHERE webhook_deliveries.id = v.column1 AND webhook_deliveries.status = 'pending'
			AND webhook_deliveries.lease_owner = v.column2`, args...)
		if err != nil {
			return total, t.db.translate(err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, err
		}
		total += int(n)
	}
	return total, nil
}

func (t *tx) CountWebhookAttempts(ctx context.Context, tenantID, webhookID int64, reset bool, failures int, now time.Time) (int, time.Time, bool, error) {
	if failures < 0 {
		return 0, time.Time{}, false, crewid.FieldError("failures", "The failure count cannot be negative.")
	}
	nowUS := toMicros(now)
	var count int
	var since int64
	var err error
	switch {
	case reset && failures == 0:
		// The usual case, a success of a healthy subscription, writes
		// nothing.
		var res sql.Result
		res, err = t.exec(ctx, `UPDATE webhooks SET consecutive_failures = 0, failing_since = 0
			WHERE tenant_id = ? AND id = ? AND (consecutive_failures <> 0 OR failing_since <> 0)`, tenantID, webhookID)
		if err != nil {
			return 0, time.Time{}, false, t.db.translate(err)
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return 0, time.Time{}, n > 0, err
		}
		found, err := t.exists(ctx, `SELECT 1 FROM webhooks WHERE tenant_id = ? AND id = ?`, tenantID, webhookID)
		return 0, time.Time{}, found, err
	case reset:
		err = t.queryRow(ctx, `UPDATE webhooks SET consecutive_failures = ?, failing_since = ?
			WHERE tenant_id = ? AND id = ? RETURNING consecutive_failures, failing_since`,
			failures, nowUS, tenantID, webhookID).Scan(&count, &since)
	default:
		err = t.queryRow(ctx, `UPDATE webhooks SET consecutive_failures = consecutive_failures + ?,
			failing_since = CASE WHEN failing_since = 0 THEN ? ELSE failing_since END
			WHERE tenant_id = ? AND id = ? RETURNING consecutive_failures, failing_since`,
			failures, nowUS, tenantID, webhookID).Scan(&count, &since)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return 0, time.Time{}, false, nil
	}
	if err != nil {
		return 0, time.Time{}, false, t.db.translate(err)
	}
	return count, fromMicros(since), true, nil
}
