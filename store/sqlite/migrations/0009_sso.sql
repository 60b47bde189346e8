-- crewid schema, version 9 (SQLite): single sign-on through an upstream
-- OpenID Connect provider. Times are microseconds since the Unix epoch,
-- UTC; 0 means "never".

-- One row per tenant that configured single sign-on. scopes is a JSON
-- array of strings.
--
-- client_secret is stored in clear: crewid presents it to the provider's
-- token endpoint each time it redeems an authorization code, so it must be
-- recoverable, and a hash could not be presented. Encrypting it would need
-- a key kept in this same database, which would protect nothing; the
-- database and its backups are its protection, as they are the signing
-- keys'. It is write-only in the API and never written to history.
CREATE TABLE sso_configs (
    tenant_id             INTEGER PRIMARY KEY REFERENCES tenants (id),
    issuer_url            TEXT    NOT NULL,
    client_id             TEXT    NOT NULL,
    client_secret         TEXT    NOT NULL,
    scopes                TEXT    NOT NULL,
    user_id_claim         TEXT    NOT NULL,
    email_claim           TEXT    NOT NULL,
    trust_email           BOOLEAN NOT NULL DEFAULT FALSE,
    enabled               BOOLEAN NOT NULL DEFAULT FALSE,
    require_for_employees BOOLEAN NOT NULL DEFAULT FALSE,
    created_on            INTEGER NOT NULL,
    modified_on           INTEGER NOT NULL
);

-- Sign-ins started and awaiting the provider's callback: single use
-- (used_on), short-lived (expires_on). State, nonce and browser binding
-- are kept only as SHA-256 hashes; the PKCE verifier in clear, since the
-- token endpoint must be sent the verifier itself.
CREATE TABLE sso_sign_ins (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id     INTEGER NOT NULL REFERENCES tenants (id),
    state_hash    BLOB    NOT NULL UNIQUE,
    nonce_hash    BLOB    NOT NULL,
    browser_hash  BLOB    NOT NULL,
    pkce_verifier TEXT    NOT NULL,
    redirect      TEXT    NOT NULL DEFAULT '',
    created_on    INTEGER NOT NULL,
    expires_on    INTEGER NOT NULL,
    used_on       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sso_sign_ins_expiry ON sso_sign_ins (expires_on);

-- How a session family was started: 'Password' or 'SSO'.
ALTER TABLE sessions ADD COLUMN method TEXT NOT NULL DEFAULT 'Password';
