-- crewid schema, version 1 (SQLite).
-- Times are microseconds since the Unix epoch, UTC; 0 means "never".
-- Every tenant-owned table carries tenant_id and references to other
-- tenant-owned rows include it, so a row can never point into another tenant.

CREATE TABLE tenants (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL,
    change_seq  INTEGER NOT NULL DEFAULT 0,
    created_on  INTEGER NOT NULL,
    modified_on INTEGER NOT NULL
);

CREATE TABLE business_units (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    name        TEXT    NOT NULL,
    name_norm   TEXT    NOT NULL,
    active      BOOLEAN NOT NULL,
    details     TEXT    NOT NULL DEFAULT '{}',
    created_on  INTEGER NOT NULL,
    modified_on INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    UNIQUE (tenant_id, id)
);
CREATE INDEX business_units_list ON business_units (tenant_id, active, id);
CREATE INDEX business_units_seq ON business_units (tenant_id, seq);

CREATE TABLE tag_types (
    id                          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id                   INTEGER NOT NULL REFERENCES tenants (id),
    name                        TEXT    NOT NULL,
    name_norm                   TEXT    NOT NULL,
    code                        TEXT    NOT NULL,
    color                       TEXT    NOT NULL,
    importance                  TEXT    NOT NULL DEFAULT '',
    is_conversion_opportunity   BOOLEAN NOT NULL DEFAULT FALSE,
    allow_on_timesheet_activity BOOLEAN NOT NULL DEFAULT FALSE,
    active                      BOOLEAN NOT NULL,
    created_on                  INTEGER NOT NULL,
    modified_on                 INTEGER NOT NULL,
    seq                         INTEGER NOT NULL
);
CREATE UNIQUE INDEX tag_types_name_uq ON tag_types (tenant_id, name_norm);
CREATE INDEX tag_types_seq ON tag_types (tenant_id, seq);

CREATE TABLE teams (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    name        TEXT    NOT NULL,
    name_norm   TEXT    NOT NULL,
    active      BOOLEAN NOT NULL,
    created_by  INTEGER NOT NULL DEFAULT 0,
    created_on  INTEGER NOT NULL,
    modified_on INTEGER NOT NULL,
    UNIQUE (tenant_id, id)
);
CREATE UNIQUE INDEX teams_name_uq ON teams (tenant_id, name_norm);

CREATE TABLE zones (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    name        TEXT    NOT NULL,
    name_norm   TEXT    NOT NULL,
    active      BOOLEAN NOT NULL,
    details     TEXT    NOT NULL DEFAULT '{}',
    created_by  INTEGER NOT NULL DEFAULT 0,
    created_on  INTEGER NOT NULL,
    modified_on INTEGER NOT NULL,
    UNIQUE (tenant_id, id)
);
CREATE UNIQUE INDEX zones_name_uq ON zones (tenant_id, name_norm);

CREATE TABLE roles (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id     INTEGER NOT NULL REFERENCES tenants (id),
    name          TEXT    NOT NULL,
    name_norm     TEXT    NOT NULL,
    employee_type TEXT    NOT NULL CHECK (employee_type IN ('Employee', 'Technician', 'All')),
    active        BOOLEAN NOT NULL,
    built_in      TEXT    NOT NULL DEFAULT '',
    permissions   TEXT    NOT NULL DEFAULT '[]',
    created_on    INTEGER NOT NULL,
    modified_on   INTEGER NOT NULL,
    UNIQUE (tenant_id, id)
);
CREATE UNIQUE INDEX roles_name_uq ON roles (tenant_id, name_norm);

CREATE TABLE custom_field_types (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    applies_to  TEXT    NOT NULL CHECK (applies_to IN ('Employee', 'Technician')),
    name        TEXT    NOT NULL,
    name_norm   TEXT    NOT NULL,
    data_type   TEXT    NOT NULL,
    active      BOOLEAN NOT NULL,
    created_on  INTEGER NOT NULL,
    modified_on INTEGER NOT NULL,
    UNIQUE (tenant_id, id)
);
CREATE UNIQUE INDEX custom_field_types_name_uq ON custom_field_types (tenant_id, applies_to, name_norm);

-- People: office employees and technicians, with their sign-in account.
-- A person's userId is their id. Email and mobile are unique per tenant and
-- kind (one employee and one technician may share them); logins are unique
-- across all tenants. NULL means "none" and never collides.
CREATE TABLE people (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id             INTEGER NOT NULL REFERENCES tenants (id),
    kind                  TEXT    NOT NULL CHECK (kind IN ('Employee', 'Technician')),
    name                  TEXT    NOT NULL,
    name_norm             TEXT    NOT NULL,
    email                 TEXT,
    mobile_phone          TEXT,
    office_phone          TEXT    NOT NULL DEFAULT '',
    active                BOOLEAN NOT NULL,
    business_unit_id      INTEGER,
    team_id               INTEGER,
    manager_id            INTEGER,
    main_zone_id          INTEGER,
    external              BOOLEAN NOT NULL DEFAULT FALSE,
    license_type          TEXT    NOT NULL DEFAULT '',
    mobile_access_enabled BOOLEAN NOT NULL DEFAULT TRUE,
    aad_user_id           TEXT,
    details               TEXT    NOT NULL DEFAULT '{}',
    account_state         TEXT    NOT NULL DEFAULT 'None',
    login                 TEXT,
    login_norm            TEXT,
    password_hash         TEXT    NOT NULL DEFAULT '',
    password_set_on       INTEGER NOT NULL DEFAULT 0,
    temporary_until       INTEGER NOT NULL DEFAULT 0,
    must_change           TEXT    NOT NULL DEFAULT '',
    last_sign_in_on       INTEGER NOT NULL DEFAULT 0,
    failed_sign_ins       INTEGER NOT NULL DEFAULT 0,
    locked_until          INTEGER NOT NULL DEFAULT 0,
    sessions_not_before   INTEGER NOT NULL DEFAULT 0,
    created_on            INTEGER NOT NULL,
    modified_on           INTEGER NOT NULL,
    seq                   INTEGER NOT NULL,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, business_unit_id) REFERENCES business_units (tenant_id, id),
    FOREIGN KEY (tenant_id, team_id) REFERENCES teams (tenant_id, id),
    FOREIGN KEY (tenant_id, manager_id) REFERENCES people (tenant_id, id),
    FOREIGN KEY (tenant_id, main_zone_id) REFERENCES zones (tenant_id, id)
);
CREATE UNIQUE INDEX people_email_uq ON people (tenant_id, kind, email);
CREATE UNIQUE INDEX people_mobile_uq ON people (tenant_id, kind, mobile_phone);
CREATE UNIQUE INDEX people_login_uq ON people (login_norm);
CREATE UNIQUE INDEX people_aad_uq ON people (tenant_id, kind, aad_user_id);
CREATE INDEX people_list ON people (tenant_id, kind, active, id);
CREATE INDEX people_seq ON people (tenant_id, kind, seq);
CREATE INDEX people_email ON people (email);
CREATE INDEX people_mobile ON people (mobile_phone);
CREATE INDEX people_business_unit ON people (tenant_id, business_unit_id);
CREATE INDEX people_team ON people (tenant_id, team_id);
CREATE INDEX people_manager ON people (tenant_id, manager_id);
-- DeleteZone checks (and the foreign key looks up) people with a zone as main zone.
CREATE INDEX people_main_zone ON people (tenant_id, main_zone_id);

CREATE TABLE person_roles (
    tenant_id INTEGER NOT NULL,
    person_id INTEGER NOT NULL,
    role_id   INTEGER NOT NULL,
    PRIMARY KEY (person_id, role_id),
    FOREIGN KEY (tenant_id, person_id) REFERENCES people (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, role_id) REFERENCES roles (tenant_id, id)
);
CREATE INDEX person_roles_role ON person_roles (tenant_id, role_id);

CREATE TABLE person_zones (
    tenant_id INTEGER NOT NULL,
    person_id INTEGER NOT NULL,
    zone_id   INTEGER NOT NULL,
    PRIMARY KEY (person_id, zone_id),
    FOREIGN KEY (tenant_id, person_id) REFERENCES people (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, zone_id) REFERENCES zones (tenant_id, id)
);
CREATE INDEX person_zones_zone ON person_zones (tenant_id, zone_id);

CREATE TABLE person_custom_fields (
    tenant_id INTEGER NOT NULL,
    person_id INTEGER NOT NULL,
    type_id   INTEGER NOT NULL,
    value     TEXT    NOT NULL,
    PRIMARY KEY (person_id, type_id),
    FOREIGN KEY (tenant_id, person_id) REFERENCES people (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, type_id) REFERENCES custom_field_types (tenant_id, id)
);

CREATE TABLE apps (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    name        TEXT    NOT NULL,
    name_norm   TEXT    NOT NULL,
    app_key     TEXT    NOT NULL UNIQUE,
    client_id   TEXT    NOT NULL UNIQUE,
    scopes      TEXT    NOT NULL DEFAULT '[]',
    active      BOOLEAN NOT NULL,
    created_on  INTEGER NOT NULL,
    modified_on INTEGER NOT NULL,
    UNIQUE (tenant_id, id)
);

CREATE TABLE app_secrets (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id  INTEGER NOT NULL,
    app_id     INTEGER NOT NULL,
    hash       BLOB    NOT NULL,
    created_on INTEGER NOT NULL,
    FOREIGN KEY (tenant_id, app_id) REFERENCES apps (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX app_secrets_app ON app_secrets (app_id);

CREATE TABLE signing_keys (
    id          TEXT    PRIMARY KEY,
    algorithm   TEXT    NOT NULL,
    private_key BLOB    NOT NULL,
    created_on  INTEGER NOT NULL
);

-- History: one row per change, written in the transaction of the change.
CREATE TABLE events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    occurred_on INTEGER NOT NULL,
    event_type  TEXT    NOT NULL,
    record_type TEXT    NOT NULL,
    record_id   INTEGER NOT NULL,
    actor_type  TEXT    NOT NULL,
    actor_id    INTEGER NOT NULL,
    actor_name  TEXT    NOT NULL,
    ip          TEXT    NOT NULL DEFAULT '',
    user_agent  TEXT    NOT NULL DEFAULT '',
    before      TEXT,
    after       TEXT
);
CREATE INDEX events_tenant ON events (tenant_id, id);
CREATE INDEX events_record ON events (tenant_id, record_type, record_id, id);
