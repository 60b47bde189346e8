-- crewid schema, version 10 (SQLite): SCIM filters on name parts.
--
-- Directories filter on name.givenName and name.familyName. The parts are
-- kept as sent (scim_given_name, scim_family_name) and, lower-cased by
-- crewid, in these columns, NULL when empty, which filters compare so that
-- case never matters whatever the database's own case rules.
ALTER TABLE people ADD COLUMN scim_given_name_norm TEXT;
ALTER TABLE people ADD COLUMN scim_family_name_norm TEXT;
UPDATE people SET scim_given_name_norm = lower(scim_given_name) WHERE scim_given_name <> '';
UPDATE people SET scim_family_name_norm = lower(scim_family_name) WHERE scim_family_name <> '';
-- Prefix searches ("familyName sw") are answered as a range over these.
-- They also hold what SCIM always asks with it (active, and whether the
-- directory deleted the person), so a count of many matches reads the
-- index alone.
CREATE INDEX people_scim_family_name ON people (tenant_id, scim_family_name_norm, active, scim_deleted);
CREATE INDEX people_scim_given_name ON people (tenant_id, scim_given_name_norm, active, scim_deleted);
