package sqlstore

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"crewid"
	"crewid/store"
)

// ---- invitations -----------------------------------------------------------

const invitationCols = `id, tenant_id, person_id, token_hash, channel, created_on, expires_on, used_on, voided_on`

func scanInvitation(r rowScanner) (crewid.Invitation, error) {
	var i crewid.Invitation
	var created, expires, used, voided int64
	if err := r.Scan(&i.ID, &i.TenantID, &i.PersonID, &i.TokenHash, &i.Channel, &created, &expires, &used, &voided); err != nil {
		return crewid.Invitation{}, err
	}
	i.CreatedOn, i.ExpiresOn = fromMicros(created), fromMicros(expires)
	i.UsedOn, i.VoidedOn = fromMicros(used), fromMicros(voided)
	return i, nil
}

// InvitationByTokenHash looks in every tenant: the token is what tells
// which tenant the invitation belongs to.
func (c conn) InvitationByTokenHash(ctx context.Context, hash []byte) (crewid.Invitation, error) {
	if len(hash) == 0 {
		return crewid.Invitation{}, crewid.ErrNotFound
	}
	i, err := scanInvitation(c.queryRow(ctx, `SELECT `+invitationCols+` FROM invitations WHERE token_hash = ?`, hash))
	if err != nil {
		return crewid.Invitation{}, notFound(err)
	}
	return i, nil
}

func (t *tx) CreateInvitation(ctx context.Context, i *crewid.Invitation) error {
	if !validChannel(i.Channel) {
		return crewid.FieldError("channel", "The channel must be email or sms.")
	}
	if len(i.TokenHash) == 0 {
		return crewid.FieldError("tokenHash", "An invitation needs a token hash.")
	}
	err := t.queryRow(ctx, `INSERT INTO invitations (tenant_id, person_id, token_hash, channel, created_on, expires_on, used_on, voided_on)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		i.TenantID, i.PersonID, i.TokenHash, i.Channel, toMicros(i.CreatedOn), toMicros(i.ExpiresOn),
		toMicros(i.UsedOn), toMicros(i.VoidedOn)).Scan(&i.ID)
	return t.db.translate(err)
}

func (t *tx) VoidInvitations(ctx context.Context, tenantID, personID int64, now time.Time) error {
	voided := toMicros(now)
	if voided == 0 {
		// 0 means "live"; a zero now must still void.
		voided = 1
	}
	_, err := t.exec(ctx, `UPDATE invitations SET voided_on = ?
		WHERE tenant_id = ? AND person_id = ? AND used_on = 0 AND voided_on = 0`,
		voided, tenantID, personID)
	return t.db.translate(err)
}

// ---- outbox ----------------------------------------------------------------

const messageCols = `id, tenant_id, channel, recipient, subject, body, status, attempts,
	next_attempt_on, last_error, created_on, sent_on`

func scanMessage(r rowScanner) (crewid.Message, error) {
	var m crewid.Message
	var next, created, sent int64
	if err := r.Scan(&m.ID, &m.TenantID, &m.Channel, &m.Recipient, &m.Subject, &m.Body, &m.Status, &m.Attempts,
		&next, &m.LastError, &created, &sent); err != nil {
		return crewid.Message{}, err
	}
	m.NextAttemptOn, m.CreatedOn, m.SentOn = fromMicros(next), fromMicros(created), fromMicros(sent)
	return m, nil
}

func validChannel(c string) bool { return c == crewid.ChannelEmail || c == crewid.ChannelSMS }

func validMessageStatus(s string) bool {
	switch s {
	case crewid.MessagePending, crewid.MessageSent, crewid.MessageFailed, crewid.MessageLocal:
		return true
	}
	return false
}

// Message list limits.
const (
	defaultMessageLimit = 100
	maxMessageLimit     = 500
)

func (c conn) Messages(ctx context.Context, tenantID int64, q store.MessageQuery) ([]crewid.Message, error) {
	var w where
	w.add("tenant_id = ?", tenantID)
	if q.Recipient != "" {
		w.add("recipient = ?", q.Recipient)
	}
	if q.Status != "" {
		w.add("status = ?", q.Status)
	}
	if q.AfterID != 0 {
		w.add("id > ?", q.AfterID)
	}
	if q.BeforeID != 0 {
		w.add("id < ?", q.BeforeID)
	}
	limit := q.Limit
	switch {
	case limit <= 0:
		limit = defaultMessageLimit
	case limit > maxMessageLimit:
		limit = maxMessageLimit
	}
	rows, err := c.query(ctx, `SELECT `+messageCols+` FROM outbox`+w.String()+` ORDER BY id DESC LIMIT ? OFFSET ?`,
		append(append([]any{}, w.args...), limit, max(q.Offset, 0))...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []crewid.Message{}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// EnqueueMessage writes a message with no lease: the delivery worker leases
// due pending messages when it claims them.
func (t *tx) EnqueueMessage(ctx context.Context, m *crewid.Message) error {
	problems := crewid.Problems{}
	if !validChannel(m.Channel) {
		problems.Add("channel", "The channel must be email or sms.")
	}
	if !validMessageStatus(m.Status) {
		problems.Add("status", "The status must be pending, sent, failed or local.")
	}
	if m.Recipient == "" {
		problems.Add("recipient", "A message needs a recipient.")
	}
	if err := problems.Err(); err != nil {
		return err
	}
	err := t.queryRow(ctx, `INSERT INTO outbox (tenant_id, channel, recipient, subject, body, status, attempts,
		next_attempt_on, lease_owner, lease_until, last_error, created_on, sent_on)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', 0, ?, ?, ?) RETURNING id`,
		m.TenantID, m.Channel, m.Recipient, m.Subject, m.Body, m.Status, m.Attempts,
		toMicros(m.NextAttemptOn), m.LastError, toMicros(m.CreatedOn), toMicros(m.SentOn)).Scan(&m.ID)
	return t.db.translate(err)
}

// ---- delivery ----------------------------------------------------------------

// maxClaim bounds one ClaimMessages call.
const maxClaim = 1000

// ClaimMessages leases due messages to owner (see claimLeased).
func (db *DB) ClaimMessages(ctx context.Context, owner string, now, leaseUntil time.Time, limit int, channels ...string) ([]crewid.Message, error) {
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
	for _, c := range channels {
		if !validChannel(c) {
			problems.Add("channels", "A channel must be email or sms.")
		}
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	limit = min(limit, maxClaim)
	if len(channels) == 0 {
		channels = []string{crewid.ChannelEmail, crewid.ChannelSMS}
	}
	nowUS := toMicros(now)
	dueArgs := []any{nowUS, nowUS}
	for _, c := range channels {
		dueArgs = append(dueArgs, c)
	}
	dueArgs = append(dueArgs, limit)
	due := `SELECT id FROM outbox
		WHERE status = 'pending' AND next_attempt_on <= ? AND lease_until <= ?
		AND channel IN (?` + strings.Repeat(", ?", len(channels)-1) + `)
		ORDER BY next_attempt_on, id LIMIT ?`
	out, err := claimLeased(ctx, db, "outbox", due, dueArgs, owner, leaseUntil, messageCols, scanMessage)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b crewid.Message) int {
		if c := a.NextAttemptOn.Compare(b.NextAttemptOn); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return orEmpty(out), nil
}

// claimLeased leases the rows of table that due selects (a SELECT of their
// ids, with its ORDER BY and LIMIT, taking dueArgs) to owner until
// leaseUntil, counts an attempt on each, and returns them as updated
// (the columns cols, read by scan). The table has the lease columns of the
// outbox: lease_owner, lease_until and attempts.
//
// On PostgreSQL the candidate rows are locked with FOR UPDATE SKIP LOCKED,
// so concurrent claims on other connections pass over each other's rows
// instead of waiting, and the lease condition is checked again on the row
// as it is when locked. On SQLite the single writer connection runs one
// claim at a time.
func claimLeased[T any](ctx context.Context, db *DB, table, due string, dueArgs []any, owner string, leaseUntil time.Time, cols string, scan func(rowScanner) (T, error)) ([]T, error) {
	leaseArgs := []any{owner, toMicros(leaseUntil)}
	var query string
	var args []any
	if db.flavor.Name == "postgres" {
		query = `WITH due AS MATERIALIZED (` + due + ` FOR UPDATE SKIP LOCKED)
		UPDATE ` + table + ` SET lease_owner = ?, lease_until = ?, attempts = attempts + 1
		WHERE id IN (SELECT id FROM due)
		RETURNING ` + cols
		args = append(append([]any{}, dueArgs...), leaseArgs...)
	} else {
		query = `UPDATE ` + table + ` SET lease_owner = ?, lease_until = ?, attempts = attempts + 1
		WHERE id IN (` + due + `)
		RETURNING ` + cols
		args = append(append([]any{}, leaseArgs...), dueArgs...)
	}
	var out []T
	err := db.Update(ctx, func(stx store.Tx) error {
		out = out[:0]
		t := stx.(*tx)
		rows, err := t.query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			v, err := scan(rows)
			if err != nil {
				return err
			}
			out = append(out, v)
		}
		return rows.Err()
	})
	return out, err
}

// updateLeased runs one UPDATE (set, taking args) of the row id of table
// if it is pending and leased to owner, releasing the lease, and reports
// whether it matched.
func (c conn) updateLeased(ctx context.Context, table string, id int64, owner, set string, args ...any) (bool, error) {
	if owner == "" {
		return false, nil
	}
	res, err := c.exec(ctx, `UPDATE `+table+` SET `+set+`, lease_owner = '', lease_until = 0
		WHERE id = ? AND status = 'pending' AND lease_owner = ?`, append(args, id, owner)...)
	if err != nil {
		return false, c.db.translate(err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// markMessage runs one UPDATE of a message leased to owner and answers
// ErrLeaseLost when it matched nothing.
func (db *DB) markMessage(ctx context.Context, id int64, owner, set string, args ...any) error {
	return db.Update(ctx, func(stx store.Tx) error {
		ok, err := stx.(*tx).updateLeased(ctx, "outbox", id, owner, set, args...)
		if err == nil && !ok {
			err = store.ErrLeaseLost
		}
		return err
	})
}

func (db *DB) MarkSent(ctx context.Context, id int64, owner string, now time.Time) error {
	return db.markMessage(ctx, id, owner, `status = 'sent', sent_on = ?`, toMicros(now))
}

func (db *DB) MarkRetry(ctx context.Context, id int64, owner string, attempts int, nextAttempt time.Time, lastError string) error {
	if attempts < 0 {
		return crewid.FieldError("attempts", "The attempt count cannot be negative.")
	}
	return db.markMessage(ctx, id, owner, `attempts = ?, next_attempt_on = ?, last_error = ?`,
		attempts, toMicros(nextAttempt), lastError)
}

func (db *DB) MarkFailed(ctx context.Context, id int64, owner string, lastError string) error {
	return db.markMessage(ctx, id, owner, `status = 'failed', last_error = ?`, lastError)
}
