package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"crewid"
	"crewid/store"
)

// ---- people: sign-in bookkeeping ------------------------------------------

func (t *tx) LockPerson(ctx context.Context, tenantID, personID int64) error {
	// A write that changes nothing takes the row lock on PostgreSQL (and
	// the write lock on SQLite, which the transaction holds anyway).
	return t.execOne(ctx, `UPDATE people SET seq = seq WHERE tenant_id = ? AND id = ?`, tenantID, personID)
}

// bumpPerson gives the person the tenant's next change number and sets
// ModifiedOn, for account changes that show in the person's record.
func (t *tx) bumpPerson(ctx context.Context, tenantID, personID int64, now time.Time) error {
	seq, err := t.nextSeq(ctx, tenantID)
	if err != nil {
		return err
	}
	return t.execOne(ctx, `UPDATE people SET seq = ?, modified_on = ? WHERE tenant_id = ? AND id = ?`,
		seq, toMicros(now), tenantID, personID)
}

func (t *tx) RecordFailedSignIn(ctx context.Context, tenantID, personID int64, now time.Time, threshold int, lockUntil time.Time) (store.FailedSignIn, error) {
	if threshold < 1 {
		threshold = 1
	}
	// One statement reads and writes the count, so concurrent failures
	// queue on the row and none is lost. The right-hand sides see the
	// row as it was before this update.
	var failures int
	err := t.queryRow(ctx, `UPDATE people SET
			failed_sign_ins = CASE WHEN failed_sign_ins + 1 >= ? THEN 0 ELSE failed_sign_ins + 1 END,
			locked_until = CASE WHEN failed_sign_ins + 1 >= ? THEN ? ELSE locked_until END
		WHERE tenant_id = ? AND id = ? AND locked_until <= ?
		RETURNING failed_sign_ins`,
		threshold, threshold, toMicros(lockUntil), tenantID, personID, toMicros(now)).Scan(&failures)
	if err != nil {
		err = notFound(err)
		if !crewid.IsNotFound(err) {
			return store.FailedSignIn{}, t.db.translate(err)
		}
		// Locked already, or no such person.
		exists, err := t.exists(ctx, `SELECT 1 FROM people WHERE tenant_id = ? AND id = ?`, tenantID, personID)
		if err != nil {
			return store.FailedSignIn{}, err
		}
		if !exists {
			return store.FailedSignIn{}, crewid.ErrNotFound
		}
		return store.FailedSignIn{}, nil
	}
	// The count goes back to 0 only when this failure locked the account.
	res := store.FailedSignIn{Counted: true, Failures: failures, Locked: failures == 0}
	if res.Locked {
		if err := t.bumpPerson(ctx, tenantID, personID, now); err != nil {
			return store.FailedSignIn{}, err
		}
	}
	return res, nil
}

func (t *tx) RecordSignIn(ctx context.Context, tenantID, personID int64, s store.SignIn) (bool, error) {
	on := toMicros(s.On)
	newHash := s.NewHash
	if newHash == "" {
		newHash = s.PasswordHash
	}
	const cond = ` WHERE tenant_id = ? AND id = ? AND password_hash = ? AND active = ? AND locked_until <= ?`
	condArgs := []any{tenantID, personID, s.PasswordHash, true, on}
	touched := func(res sql.Result, err error) (bool, error) {
		if err != nil {
			return false, t.db.translate(err)
		}
		n, err := res.RowsAffected()
		return n > 0, err
	}
	if !s.Complete {
		return touched(t.exec(ctx, `UPDATE people SET failed_sign_ins = 0, password_hash = ?`+cond, append([]any{newHash}, condArgs...)...))
	}
	// The usual case, an established account, in one statement.
	ok, err := touched(t.exec(ctx, `UPDATE people SET failed_sign_ins = 0, password_hash = ?, last_sign_in_on = ?`+cond+
		` AND account_state = ?`, append(append([]any{newHash, on}, condArgs...), string(crewid.AccountEstablished))...))
	if err != nil || ok {
		return ok, err
	}
	// The first sign-in: the state changes, and shows in the record.
	ok, err = touched(t.exec(ctx, `UPDATE people SET failed_sign_ins = 0, password_hash = ?, last_sign_in_on = ?, account_state = ?`+cond,
		append([]any{newHash, on, string(crewid.AccountEstablished)}, condArgs...)...))
	if err != nil || !ok {
		return ok, err
	}
	return true, t.bumpPerson(ctx, tenantID, personID, s.On)
}

func (t *tx) UseInvitation(ctx context.Context, tenantID, invitationID int64, now time.Time) (bool, error) {
	var personID int64
	err := t.queryRow(ctx, `SELECT person_id FROM invitations WHERE tenant_id = ? AND id = ?`, tenantID, invitationID).Scan(&personID)
	if err != nil {
		return false, t.db.translate(notFound(err))
	}
	// The person's row first: invite.Resend writes it before voiding and
	// issuing invitations, so the two never interleave.
	if err := t.LockPerson(ctx, tenantID, personID); err != nil {
		return false, err
	}
	used := toMicros(now)
	if used == 0 {
		used = 1 // 0 means "unused"
	}
	res, err := t.exec(ctx, `UPDATE invitations SET used_on = ?
		WHERE tenant_id = ? AND id = ? AND used_on = 0 AND voided_on = 0 AND expires_on > ?`,
		used, tenantID, invitationID, toMicros(now))
	if err != nil {
		return false, t.db.translate(err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ---- sessions -------------------------------------------------------------

const sessionCols = `id, tenant_id, person_id, family_id, refresh_hash, created_on, expires_on, rotated_on, revoked_on, ip, user_agent, method`

func scanSession(r rowScanner) (crewid.Session, error) {
	var s crewid.Session
	var created, expires, rotated, revoked int64
	if err := r.Scan(&s.ID, &s.TenantID, &s.PersonID, &s.FamilyID, &s.RefreshHash,
		&created, &expires, &rotated, &revoked, &s.IP, &s.UserAgent, &s.Method); err != nil {
		return crewid.Session{}, err
	}
	s.CreatedOn, s.ExpiresOn = fromMicros(created), fromMicros(expires)
	s.RotatedOn, s.RevokedOn = fromMicros(rotated), fromMicros(revoked)
	return s, nil
}

func (c conn) SessionByRefreshHash(ctx context.Context, hash []byte) (crewid.Session, error) {
	if len(hash) == 0 {
		return crewid.Session{}, crewid.ErrNotFound
	}
	s, err := scanSession(c.queryRow(ctx, `SELECT `+sessionCols+` FROM sessions WHERE refresh_hash = ?`, hash))
	if err != nil {
		return crewid.Session{}, notFound(err)
	}
	return s, nil
}

func (c conn) RevokedSessionFamilies(ctx context.Context, tenantID, personID int64, since time.Time) ([]string, error) {
	from := toMicros(since)
	if from < 1 {
		from = 1 // 0 means "not revoked"
	}
	rows, err := c.query(ctx, `SELECT DISTINCT family_id FROM sessions
		WHERE tenant_id = ? AND person_id = ? AND revoked_on >= ?`, tenantID, personID, from)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var f string
		if err := rows.Scan(&f); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

func (t *tx) CreateSession(ctx context.Context, s *crewid.Session) error {
	problems := crewid.Problems{}
	if s.FamilyID == "" {
		problems.Add("familyId", "A session needs a family id.")
	}
	if len(s.RefreshHash) == 0 {
		problems.Add("refreshHash", "A session needs a refresh token hash.")
	}
	if err := problems.Err(); err != nil {
		return err
	}
	if s.Method == "" {
		s.Method = crewid.SignInPassword
	}
	err := t.queryRow(ctx, `INSERT INTO sessions (tenant_id, person_id, family_id, refresh_hash, created_on, expires_on,
		rotated_on, revoked_on, ip, user_agent, method) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		s.TenantID, s.PersonID, s.FamilyID, s.RefreshHash, toMicros(s.CreatedOn), toMicros(s.ExpiresOn),
		toMicros(s.RotatedOn), toMicros(s.RevokedOn), s.IP, s.UserAgent, s.Method).Scan(&s.ID)
	return t.db.translate(err)
}

// stamp is now in microseconds, never 0 (which means "never").
func stamp(now time.Time) int64 {
	if us := toMicros(now); us != 0 {
		return us
	}
	return 1
}

func (t *tx) RotateSession(ctx context.Context, tenantID, sessionID int64, now time.Time) (bool, error) {
	res, err := t.exec(ctx, `UPDATE sessions SET rotated_on = ?
		WHERE tenant_id = ? AND id = ? AND rotated_on = 0 AND revoked_on = 0`, stamp(now), tenantID, sessionID)
	if err != nil {
		return false, t.db.translate(err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (t *tx) RevokeSessionFamily(ctx context.Context, tenantID int64, familyID string, now time.Time) error {
	_, err := t.exec(ctx, `UPDATE sessions SET revoked_on = ? WHERE tenant_id = ? AND family_id = ? AND revoked_on = 0`,
		stamp(now), tenantID, familyID)
	return t.db.translate(err)
}

func (t *tx) RevokeSessions(ctx context.Context, tenantID, personID int64, exceptFamily string, now time.Time) error {
	_, err := t.exec(ctx, `UPDATE sessions SET revoked_on = ?
		WHERE tenant_id = ? AND person_id = ? AND revoked_on = 0 AND family_id <> ?`,
		stamp(now), tenantID, personID, exceptFamily)
	return t.db.translate(err)
}

func (t *tx) DeleteExpiredSessions(ctx context.Context, tenantID, personID int64, now time.Time) error {
	_, err := t.exec(ctx, `DELETE FROM sessions WHERE tenant_id = ? AND person_id = ? AND expires_on < ?`,
		tenantID, personID, toMicros(now))
	return t.db.translate(err)
}

// ---- forgotten-password secrets ------------------------------------------

const resetCodeCols = `id, tenant_id, person_id, kind, code_hash, channel, created_on, expires_on, attempts, used_on`

func scanResetCode(r rowScanner) (crewid.ResetCode, error) {
	var c crewid.ResetCode
	var created, expires, used int64
	if err := r.Scan(&c.ID, &c.TenantID, &c.PersonID, &c.Kind, &c.CodeHash, &c.Channel,
		&created, &expires, &c.Attempts, &used); err != nil {
		return crewid.ResetCode{}, err
	}
	c.CreatedOn, c.ExpiresOn, c.UsedOn = fromMicros(created), fromMicros(expires), fromMicros(used)
	return c, nil
}

func (c conn) LiveResetCodes(ctx context.Context, tenantID, personID int64, kind string, now time.Time) ([]crewid.ResetCode, error) {
	rows, err := c.query(ctx, `SELECT `+resetCodeCols+` FROM reset_codes
		WHERE tenant_id = ? AND person_id = ? AND kind = ? AND used_on = 0 AND expires_on > ?
		ORDER BY id DESC`, tenantID, personID, kind, toMicros(now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []crewid.ResetCode{}
	for rows.Next() {
		rc, err := scanResetCode(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, rc)
	}
	return out, rows.Err()
}

func (c conn) ResetTokenByHash(ctx context.Context, hash []byte) (crewid.ResetCode, error) {
	if len(hash) == 0 {
		return crewid.ResetCode{}, crewid.ErrNotFound
	}
	rc, err := scanResetCode(c.queryRow(ctx, `SELECT `+resetCodeCols+` FROM reset_codes
		WHERE kind = ? AND code_hash = ?`, crewid.ResetKindToken, hash))
	if err != nil {
		return crewid.ResetCode{}, notFound(err)
	}
	return rc, nil
}

func (t *tx) CreateResetCode(ctx context.Context, c *crewid.ResetCode) error {
	problems := crewid.Problems{}
	if c.Kind != crewid.ResetKindCode && c.Kind != crewid.ResetKindToken {
		problems.Add("kind", "The kind must be code or token.")
	}
	if c.Channel != "" && !validChannel(c.Channel) {
		problems.Add("channel", "The channel must be email, sms or empty.")
	}
	if c.Kind == crewid.ResetKindCode && c.Channel == "" {
		problems.Add("channel", "A code is sent by email or sms.")
	}
	if len(c.CodeHash) == 0 {
		problems.Add("codeHash", "A reset secret needs a hash.")
	}
	if err := problems.Err(); err != nil {
		return err
	}
	err := t.queryRow(ctx, `INSERT INTO reset_codes (tenant_id, person_id, kind, code_hash, channel, created_on, expires_on,
		attempts, used_on) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		c.TenantID, c.PersonID, c.Kind, c.CodeHash, c.Channel, toMicros(c.CreatedOn), toMicros(c.ExpiresOn),
		c.Attempts, toMicros(c.UsedOn)).Scan(&c.ID)
	return t.db.translate(err)
}

func (t *tx) CountResetAttempt(ctx context.Context, tenantID, codeID int64) (int, error) {
	var n int
	err := t.queryRow(ctx, `UPDATE reset_codes SET attempts = attempts + 1 WHERE tenant_id = ? AND id = ? RETURNING attempts`,
		tenantID, codeID).Scan(&n)
	if err != nil {
		return 0, t.db.translate(notFound(err))
	}
	return n, nil
}

func (t *tx) UseResetCode(ctx context.Context, tenantID, codeID int64, now time.Time) (bool, error) {
	res, err := t.exec(ctx, `UPDATE reset_codes SET used_on = ?
		WHERE tenant_id = ? AND id = ? AND used_on = 0 AND expires_on > ?`, stamp(now), tenantID, codeID, toMicros(now))
	if err != nil {
		return false, t.db.translate(err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (t *tx) VoidResetCodes(ctx context.Context, tenantID, personID int64, now time.Time) error {
	if _, err := t.exec(ctx, `DELETE FROM reset_codes WHERE tenant_id = ? AND person_id = ? AND expires_on < ?`,
		tenantID, personID, toMicros(now)); err != nil {
		return t.db.translate(err)
	}
	_, err := t.exec(ctx, `UPDATE reset_codes SET used_on = ? WHERE tenant_id = ? AND person_id = ? AND used_on = 0`,
		stamp(now), tenantID, personID)
	return t.db.translate(err)
}
