package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"crewid"
	"crewid/history"
	"crewid/store"
)

// History: one events row per change, chained per tenant (package history
// computes the hashes; this file only stores them). The chain's state is on
// the tenant row, and every append or prune takes that row's lock first
// (the lock nextSeq takes), so each tenant's chain grows one transaction at
// a time and its event ids rise in commit order.

const eventCols = `id, tenant_id, occurred_on, event_type, record_type, record_id,
	actor_type, actor_id, actor_name, ip, user_agent, before, after, prev_hash, hash`

func scanEvent(r rowScanner) (crewid.Event, error) {
	var e crewid.Event
	var occurred int64
	var actorType string
	// Scanned into []byte, a NULL document stays nil and an empty one
	// empty: the chain tells them apart.
	if err := r.Scan(&e.ID, &e.TenantID, &occurred, &e.Type, &e.RecordType, &e.RecordID,
		&actorType, &e.Actor.ID, &e.Actor.Name, &e.Actor.IP, &e.Actor.UserAgent, &e.Before, &e.After,
		&e.PrevHash, &e.Hash); err != nil {
		return crewid.Event{}, err
	}
	e.OccurredOn = fromMicros(occurred)
	e.Actor.Type = crewid.ActorType(actorType)
	return e, nil
}

// eventFilters adds the tenant and the filters of q (AfterID included).
func eventFilters(w *where, tenantID int64, q store.EventQuery) {
	w.add("tenant_id = ?", tenantID)
	if q.RecordType != "" {
		w.add("record_type = ?", q.RecordType)
	}
	if q.RecordID != 0 {
		w.add("record_id = ?", q.RecordID)
	}
	if q.ActorID != 0 {
		w.add("actor_id = ?", q.ActorID)
	}
	if q.ActorType != "" {
		w.add("actor_type = ?", string(q.ActorType))
	}
	if q.EventType != "" {
		w.add("event_type = ?", q.EventType)
	}
	if !q.OccurredOnOrAfter.IsZero() {
		w.add("occurred_on >= ?", toMicros(q.OccurredOnOrAfter))
	}
	if !q.OccurredBefore.IsZero() {
		w.add("occurred_on < ?", toMicros(q.OccurredBefore))
	}
	if q.AfterID != 0 {
		w.add("id > ?", q.AfterID)
	}
}

// eventLimit is the page size of Events and ExportEvents.
func eventLimit(limit int) int {
	if limit <= 0 || limit > 5000 {
		return 1000
	}
	return limit
}

// events reads the events matching q in id order, at most limit.
func (c conn) events(ctx context.Context, tenantID int64, q store.EventQuery, limit int) ([]crewid.Event, error) {
	var w where
	eventFilters(&w, tenantID, q)
	rows, err := c.query(ctx, "SELECT "+eventCols+" FROM events"+w.String()+" ORDER BY id LIMIT ?", append(w.args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]crewid.Event, 0, min(limit, 1000))
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func (c conn) Events(ctx context.Context, tenantID int64, q store.EventQuery) ([]crewid.Event, error) {
	return c.events(ctx, tenantID, q, eventLimit(q.Limit))
}

func (c conn) History(ctx context.Context, tenantID int64, q store.HistoryQuery) (store.Page[crewid.Event], error) {
	var w where
	eq := q.EventQuery
	eq.AfterID = 0
	eventFilters(&w, tenantID, eq)
	order := " ORDER BY id DESC"
	if q.OldestFirst {
		order = " ORDER BY id ASC"
	}
	lq := store.ListQuery{Page: q.Page, PageSize: q.PageSize, IncludeTotal: q.IncludeTotal}
	return listPage(ctx, c, eventCols, "events", &w, order, lq, scanEvent)
}

func (c conn) ExportEvents(ctx context.Context, tenantID int64, q store.EventQuery) (store.Batch[crewid.Event], error) {
	limit := eventLimit(q.Limit)
	items, err := c.events(ctx, tenantID, q, limit+1)
	if err != nil {
		return store.Batch[crewid.Event]{}, err
	}
	batch := store.Batch[crewid.Event]{Items: items, LastSeq: q.AfterID}
	if len(items) > limit {
		batch.Items, batch.HasMore = items[:limit], true
	}
	if n := len(batch.Items); n > 0 {
		batch.LastSeq = batch.Items[n-1].ID
	}
	return batch, nil
}

func (c conn) HistoryChain(ctx context.Context, tenantID int64) (store.HistoryChain, error) {
	var hc store.HistoryChain
	err := c.queryRow(ctx, `SELECT history_head, history_anchor, history_anchor_id FROM tenants WHERE id = ?`, tenantID).
		Scan(&hc.Head, &hc.Anchor, &hc.AnchorID)
	if err != nil {
		return store.HistoryChain{}, notFound(err)
	}
	return hc, nil
}

func (t *tx) AppendEvent(ctx context.Context, e *crewid.Event) error {
	prev, id, err := t.lockChainForAppend(ctx, e.TenantID)
	if err != nil {
		return err
	}
	if len(prev) == 0 {
		// The tenant's first append: chain any events written before
		// the chain existed first.
		if prev, err = t.sealEvents(ctx, e.TenantID, prev); err != nil {
			return err
		}
	}
	if prev == nil {
		prev = []byte{}
	}
	// The id is taken under the chain's lock, so the event's hash is known
	// before it is written and the row goes in whole.
	e.ID, e.PrevHash = id, prev
	e.Hash = history.EventHash(*e)
	var before, after any
	if e.Before != nil {
		before = string(e.Before)
	}
	if e.After != nil {
		after = string(e.After)
	}
	const insertEvent = `INSERT INTO events (id, tenant_id, occurred_on, event_type, record_type, record_id,
		actor_type, actor_id, actor_name, ip, user_agent, before, after, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	eventArgs := []any{e.ID, e.TenantID, toMicros(e.OccurredOn), e.Type, e.RecordType, e.RecordID,
		string(e.Actor.Type), e.Actor.ID, e.Actor.Name, e.Actor.IP, e.Actor.UserAgent, before, after, e.PrevHash, e.Hash}
	const moveHead = `UPDATE tenants SET history_head = ? WHERE id = ?`
	headArgs := []any{e.Hash, e.TenantID}
	queue, queueArgs := t.deliveriesOf(e) // see webhooks.go

	if t.db.flavor.WritableWith {
		// One statement, so one round trip while the tenant's lock is held.
		// Its parts see one snapshot, and none reads what another writes.
		query := "WITH appended AS (" + insertEvent + "), head AS (" + moveHead + ") " + queue
		args := append(append(eventArgs, headArgs...), queueArgs...)
		return t.countQueued(t.exec(ctx, query, args...))
	}
	if _, err := t.exec(ctx, insertEvent, eventArgs...); err != nil {
		return t.db.translate(err)
	}
	if err := t.execOne(ctx, moveHead, headArgs...); err != nil {
		return err
	}
	return t.countQueued(t.exec(ctx, queue, queueArgs...))
}

// lockChain takes the tenant's row lock, the one nextSeq takes, held to
// commit, and returns the chain head (empty before the first event). A
// missing tenant is crewid.ErrNotFound.
func (c conn) lockChain(ctx context.Context, tenantID int64) ([]byte, error) {
	var head []byte
	err := c.queryRow(ctx, `UPDATE tenants SET history_head = history_head WHERE id = ? RETURNING history_head`, tenantID).Scan(&head)
	if err != nil {
		return nil, c.db.translate(err)
	}
	return head, nil
}

// lockChainForAppend is lockChain that also returns the id the appended
// event takes (Flavor.NextEventID), in the same statement.
func (c conn) lockChainForAppend(ctx context.Context, tenantID int64) (head []byte, nextID int64, err error) {
	err = c.queryRow(ctx, `UPDATE tenants SET history_head = history_head WHERE id = ? RETURNING history_head, `+
		c.db.flavor.NextEventID, tenantID).Scan(&head, &nextID)
	if err != nil {
		return nil, 0, c.db.translate(err)
	}
	return head, nextID, nil
}

// sealBatch is how many unchained events sealEvents reads at a time.
const sealBatch = 500

// sealEvents chains the tenant's events that have no hash (written before
// the chain existed), in id order after head, records the new head and
// returns it. The caller holds the chain's lock.
func (c conn) sealEvents(ctx context.Context, tenantID int64, head []byte) ([]byte, error) {
	sealed := false
	for {
		// Read the whole batch before writing: a connection runs one
		// statement at a time.
		var batch []crewid.Event
		rows, err := c.query(ctx, "SELECT "+eventCols+" FROM events WHERE tenant_id = ? AND hash IS NULL ORDER BY id LIMIT ?", tenantID, sealBatch)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			e, err := scanEvent(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			batch = append(batch, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for _, e := range batch {
			e.PrevHash = head
			if e.PrevHash == nil {
				e.PrevHash = []byte{}
			}
			e.Hash = history.EventHash(e)
			if err := c.execOne(ctx, `UPDATE events SET prev_hash = ?, hash = ? WHERE id = ?`, e.PrevHash, e.Hash, e.ID); err != nil {
				return nil, err
			}
			head, sealed = e.Hash, true
		}
		if len(batch) < sealBatch {
			break
		}
	}
	if sealed {
		if err := c.execOne(ctx, `UPDATE tenants SET history_head = ? WHERE id = ?`, head, tenantID); err != nil {
			return nil, err
		}
	}
	return head, nil
}

// sealHistory chains the events every tenant had before the chain existed.
// Migrate runs it; afterwards it finds nothing to do.
func (db *DB) sealHistory(ctx context.Context) error {
	rows, err := db.writer.QueryContext(ctx, `SELECT DISTINCT tenant_id FROM events WHERE hash IS NULL`)
	if err != nil {
		return err
	}
	var tenants []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		tenants = append(tenants, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range tenants {
		err := db.Update(ctx, func(st store.Tx) error {
			t := st.(*tx)
			head, err := t.lockChain(ctx, id)
			if err != nil {
				return err
			}
			_, err = t.sealEvents(ctx, id, head)
			return err
		})
		if err != nil {
			return fmt.Errorf("seal the history of tenant %d: %w", id, err)
		}
	}
	return nil
}

func (t *tx) PruneEvents(ctx context.Context, tenantID int64, before time.Time, limit int) (store.Pruned, error) {
	if limit <= 0 {
		limit = 10000
	}
	head, err := t.lockChain(ctx, tenantID)
	if err != nil {
		return store.Pruned{}, err
	}
	if len(head) == 0 {
		if _, err := t.sealEvents(ctx, tenantID, head); err != nil {
			return store.Pruned{}, err
		}
	}
	chain, err := t.HistoryChain(ctx, tenantID)
	if err != nil {
		return store.Pruned{}, err
	}
	out := store.Pruned{AnchorID: chain.AnchorID, Anchor: chain.Anchor}

	// Events go in chain order: everything before the oldest event that
	// occurred at or after the cutoff, at most limit of them.
	var w where
	w.add("tenant_id = ?", tenantID)
	var keep int64
	err = t.queryRow(ctx, `SELECT id FROM events WHERE tenant_id = ? AND occurred_on >= ? ORDER BY id LIMIT 1`,
		tenantID, toMicros(before)).Scan(&keep)
	switch {
	case err == nil:
		w.add("id < ?", keep)
	case !errors.Is(err, sql.ErrNoRows):
		return store.Pruned{}, err
	}
	var lastID int64
	var lastHash []byte
	err = t.queryRow(ctx, "SELECT id, hash FROM events"+w.String()+" ORDER BY id LIMIT 1 OFFSET ?", append(w.args, limit-1)...).
		Scan(&lastID, &lastHash)
	if errors.Is(err, sql.ErrNoRows) {
		// Fewer than limit to remove: up to the newest before the cutoff.
		err = t.queryRow(ctx, "SELECT id, hash FROM events"+w.String()+" ORDER BY id DESC LIMIT 1", w.args...).
			Scan(&lastID, &lastHash)
		if errors.Is(err, sql.ErrNoRows) {
			return out, nil
		}
	}
	if err != nil {
		return store.Pruned{}, err
	}
	res, err := t.exec(ctx, `DELETE FROM events WHERE tenant_id = ? AND id <= ?`, tenantID, lastID)
	if err != nil {
		return store.Pruned{}, t.db.translate(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return store.Pruned{}, err
	}
	if err := t.execOne(ctx, `UPDATE tenants SET history_anchor = ?, history_anchor_id = ? WHERE id = ?`, lastHash, lastID, tenantID); err != nil {
		return store.Pruned{}, err
	}
	return store.Pruned{Deleted: int(n), AnchorID: lastID, Anchor: lastHash}, nil
}
