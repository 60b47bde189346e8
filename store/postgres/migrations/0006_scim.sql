-- crewid schema, version 6 (PostgreSQL): SCIM provisioning.
--
-- What a directory knows of a person beyond the profile (see
-- store.PersonDirectory): its own id for the person, the enterprise
-- employee number, the name parts as it sent them, and whether it deleted
-- the person (crewid keeps people; SCIM hides a deleted, inactive one).
ALTER TABLE people ADD COLUMN scim_external_id TEXT;
ALTER TABLE people ADD COLUMN scim_employee_number TEXT;
ALTER TABLE people ADD COLUMN scim_given_name TEXT NOT NULL DEFAULT '';
ALTER TABLE people ADD COLUMN scim_family_name TEXT NOT NULL DEFAULT '';
ALTER TABLE people ADD COLUMN scim_deleted BOOLEAN NOT NULL DEFAULT FALSE;
-- A group's externalId (SCIM groups are roles).
ALTER TABLE roles ADD COLUMN scim_external_id TEXT;

-- Directories look people up by externalId and by userName. userName is
-- the login, else the email, else the mobile number, else the id: the
-- index holds exactly the expression the filters use.
CREATE INDEX people_scim_external_id ON people (scim_external_id);
CREATE INDEX people_scim_user_name ON people ((COALESCE(login_norm, email, mobile_phone, CAST(id AS TEXT))));
-- Name prefixes ("name sw") are answered as a range over this index.
-- Filters order strings byte by byte (COLLATE "C"), so it uses that
-- collation.
CREATE INDEX people_name_norm ON people (tenant_id, name_norm COLLATE "C");

-- Substring searches ("co", written as LIKE) on emails and names use
-- trigram indexes when the pg_trgm extension can be installed (it ships
-- with PostgreSQL and is trusted, so a database owner may create it).
-- Without it the searches still work, scanning the tenant's people.
DO $$
BEGIN
    BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
    EXCEPTION WHEN OTHERS THEN
        RAISE NOTICE 'pg_trgm is not available (%); substring filters will scan', SQLERRM;
    END;
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        EXECUTE 'CREATE INDEX people_email_trgm ON people USING gin (email gin_trgm_ops)';
        EXECUTE 'CREATE INDEX people_name_trgm ON people USING gin (name_norm gin_trgm_ops)';
    END IF;
END
$$;
