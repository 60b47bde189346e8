-- crewid schema, version 4 (SQLite): sign-in sessions and forgotten-password
-- secrets. Times are microseconds since the Unix epoch, UTC; 0 means "never".

-- One row per refresh token. A sign-in starts a family (family_id); every
-- refresh marks the presented row rotated and adds the family's next row.
-- Presenting a rotated token again revokes the whole family. Only the
-- SHA-256 hash of a refresh token is kept.
CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    INTEGER NOT NULL REFERENCES tenants (id),
    person_id    INTEGER NOT NULL,
    family_id    TEXT    NOT NULL,
    refresh_hash BLOB    NOT NULL UNIQUE,
    created_on   INTEGER NOT NULL,
    expires_on   INTEGER NOT NULL,
    rotated_on   INTEGER NOT NULL DEFAULT 0,
    revoked_on   INTEGER NOT NULL DEFAULT 0,
    ip           TEXT    NOT NULL DEFAULT '',
    user_agent   TEXT    NOT NULL DEFAULT '',
    FOREIGN KEY (tenant_id, person_id) REFERENCES people (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX sessions_person ON sessions (tenant_id, person_id, revoked_on);
CREATE INDEX sessions_family ON sessions (tenant_id, family_id);

-- Forgotten-password secrets, kept only as hashes: verification codes
-- (kind 'code', sent by email or SMS, a few attempts each) and reset tokens
-- (kind 'token': given out when a code is verified, or sent in a reset
-- link). used_on is 0 while the secret is live.
CREATE TABLE reset_codes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id  INTEGER NOT NULL REFERENCES tenants (id),
    person_id  INTEGER NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('code', 'token')),
    code_hash  BLOB    NOT NULL,
    channel    TEXT    NOT NULL CHECK (channel IN ('', 'email', 'sms')),
    created_on INTEGER NOT NULL,
    expires_on INTEGER NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    used_on    INTEGER NOT NULL DEFAULT 0,
    FOREIGN KEY (tenant_id, person_id) REFERENCES people (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX reset_codes_person ON reset_codes (tenant_id, person_id, kind, used_on);
CREATE UNIQUE INDEX reset_tokens_uq ON reset_codes (code_hash) WHERE kind = 'token';
