-- crewid schema, version 5 (PostgreSQL): the history hash chain and retention.
--
-- Each tenant's events form a hash chain (see package history): hash is
-- SHA-256 over prev_hash and the event's fields, prev_hash the hash of the
-- tenant's previous event (empty for its first). hash is NULL only for
-- events written before this version; the store seals them into the chain
-- (Migrate, and a tenant's first append).
ALTER TABLE events ADD COLUMN prev_hash BYTEA;
ALTER TABLE events ADD COLUMN hash BYTEA;
CREATE INDEX events_unsealed ON events (tenant_id, id) WHERE hash IS NULL;

-- The chain's state, on the tenant row whose lock serializes the tenant's
-- changes: history_head is the hash of the newest event (NULL before the
-- first), history_anchor the hash of the last event removed by pruning and
-- history_anchor_id its id (empty and 0 when nothing was pruned); the
-- oldest kept event links to the anchor.
ALTER TABLE tenants ADD COLUMN history_head BYTEA;
ALTER TABLE tenants ADD COLUMN history_anchor BYTEA NOT NULL DEFAULT ''::bytea;
ALTER TABLE tenants ADD COLUMN history_anchor_id BIGINT NOT NULL DEFAULT 0;
