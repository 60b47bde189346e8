-- crewid schema, version 8 (SQLite): revoked access tokens. Times are
-- microseconds since the Unix epoch, UTC.

-- One row ends one access token (token_id, its "jti") or, with an empty
-- token_id, every token of the application issued at or before
-- revoked_on. A row is needed only until expires_on, when every token it
-- concerns has expired anyway. Every node polls the rows by id.
-- AUTOINCREMENT: ids never go back, even after the newest rows are deleted.
CREATE TABLE token_revocations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id  INTEGER NOT NULL REFERENCES tenants (id),
    app_id     INTEGER NOT NULL,
    token_id   TEXT    NOT NULL DEFAULT '',
    revoked_on INTEGER NOT NULL,
    expires_on INTEGER NOT NULL
);
CREATE INDEX token_revocations_expires ON token_revocations (expires_on);
