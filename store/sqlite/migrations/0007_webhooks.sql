-- crewid schema, version 7 (SQLite): webhook subscriptions and their
-- deliveries. Times are microseconds since the Unix epoch, UTC; 0 means
-- "never".

-- A subscription of a tenant to its history events. events is the filter,
-- a JSON array of event types ("Technician.Created"), record wildcards
-- ("Technician.*") or exactly ["*"], sorted, as package webhooks writes it.
--
-- secret is stored as it was shown, in clear. crewid signs every delivery
-- with it (HMAC-SHA256), so it must be recoverable: a hash cannot sign. It
-- is not encrypted because the only key crewid could encrypt it with would
-- live in this same database (as the token signing keys of signing_keys
-- do), which would protect nothing; the database and its backups are the
-- secret's protection, as they are the signing keys'. It is never shown
-- again after creation and never written to history.
--
-- consecutive_failures counts failed delivery attempts since the last
-- success, failing_since is when the first of them ended (0 when none);
-- a subscription failing for long enough is made inactive with
-- disabled_reason saying why.
CREATE TABLE webhooks (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id            INTEGER NOT NULL REFERENCES tenants (id),
    url                  TEXT    NOT NULL,
    events               TEXT    NOT NULL,
    secret               TEXT    NOT NULL,
    active               BOOLEAN NOT NULL DEFAULT TRUE,
    disabled_reason      TEXT    NOT NULL DEFAULT '',
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    failing_since        INTEGER NOT NULL DEFAULT 0,
    created_on           INTEGER NOT NULL,
    modified_on          INTEGER NOT NULL
);
-- Every history append looks up the tenant's active subscriptions.
CREATE INDEX webhooks_tenant_active ON webhooks (tenant_id, active);

-- One row per (subscription, event): written in the transaction that
-- appends the event (one per matching active subscription), so a committed
-- change always has its deliveries and a rolled-back one none. A delivery
-- worker claims due 'pending' rows (next_attempt_on reached, lease_until
-- passed) by setting lease_owner and lease_until, POSTs the event, and
-- marks the row 'delivered', or counts the attempt and sets the next one,
-- or gives up with 'failed'. A redelivery resets the row to 'pending'
-- (hence the one row per pair). queued_on is when the row was queued or
-- last re-queued; retries go on for a day after it. While the subscription
-- is inactive its pending rows are parked: next_attempt_on is the largest
-- integer, so that they are never due. event_id has no foreign key: history
-- retention may delete the event, and the delivery then fails saying so.
CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id        INTEGER NOT NULL REFERENCES tenants (id),
    webhook_id       INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id         INTEGER NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_on  INTEGER NOT NULL DEFAULT 0,
    queued_on        INTEGER NOT NULL,
    lease_owner      TEXT    NOT NULL DEFAULT '',
    lease_until      INTEGER NOT NULL DEFAULT 0,
    last_status_code INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT    NOT NULL DEFAULT '',
    created_on       INTEGER NOT NULL,
    delivered_on     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (webhook_id, event_id)
);
-- Claims read the due pending rows in due order.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_on, id) WHERE status = 'pending';
-- The delivery log of a subscription, newest first.
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook_id, id);
