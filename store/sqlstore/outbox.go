package sqlstore

import (
	"context"
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
	rows, err := c.query(ctx, `SELECT `+messageCols+` FROM outbox`+w.String()+` ORDER BY id DESC LIMIT ?`,
		append(append([]any{}, w.args...), limit)...)
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
