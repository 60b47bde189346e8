-- crewid schema, version 2 (SQLite): invitations and the message outbox.
-- Times are microseconds since the Unix epoch, UTC; 0 means "never".

-- An invitation lets one person create their account. Only the SHA-256
-- hash of the token is kept; the token itself is only in the message.
-- used_on and voided_on are 0 while the invitation is live.
CREATE TABLE invitations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id  INTEGER NOT NULL REFERENCES tenants (id),
    person_id  INTEGER NOT NULL,
    token_hash BLOB    NOT NULL UNIQUE,
    channel    TEXT    NOT NULL CHECK (channel IN ('email', 'sms')),
    created_on INTEGER NOT NULL,
    expires_on INTEGER NOT NULL,
    used_on    INTEGER NOT NULL DEFAULT 0,
    voided_on  INTEGER NOT NULL DEFAULT 0,
    FOREIGN KEY (tenant_id, person_id) REFERENCES people (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX invitations_person ON invitations (tenant_id, person_id);

-- The transactional outbox: every email and SMS is written here in the
-- transaction of the change that causes it. A delivery worker claims due
-- 'pending' rows (next_attempt_on reached, lease_until passed) by setting
-- lease_owner and lease_until, sends them, and marks them 'sent', or counts
-- the attempt, keeps last_error and sets the next attempt, or gives up with
-- 'failed'. 'local' rows are kept for the local outbox only (no SMTP or SMS
-- provider configured) and are never sent.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id       INTEGER NOT NULL REFERENCES tenants (id),
    channel         TEXT    NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient       TEXT    NOT NULL,
    subject         TEXT    NOT NULL DEFAULT '',
    body            TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'local')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_on INTEGER NOT NULL DEFAULT 0,
    lease_owner     TEXT    NOT NULL DEFAULT '',
    lease_until     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    created_on      INTEGER NOT NULL,
    sent_on         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_on);
CREATE INDEX outbox_tenant ON outbox (tenant_id, id);
