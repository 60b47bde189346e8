-- crewid schema, version 6 (SQLite): SCIM provisioning.
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
-- index holds exactly the expression the filters use. Neither index starts
-- with the tenant, so that SQLite can answer "a eq x or b eq y" with one
-- index per term (the tenant is checked on the rows found).
CREATE INDEX people_scim_external_id ON people (scim_external_id);
CREATE INDEX people_scim_user_name ON people (COALESCE(login_norm, email, mobile_phone, CAST(id AS TEXT)));
-- Name prefixes ("name sw") are answered as a range over this index.
CREATE INDEX people_name_norm ON people (tenant_id, name_norm);

-- Substring searches ("co") on emails and names: a trigram index, kept
-- by triggers. A search looks up its rarest trigram (people_trigram_vocab
-- counts them) for candidates, then checks each candidate exactly.
CREATE VIRTUAL TABLE people_trigram USING fts5(
    email, name_norm, content = 'people', content_rowid = 'id', tokenize = 'trigram');
CREATE VIRTUAL TABLE people_trigram_vocab USING fts5vocab(people_trigram, 'row');
CREATE TRIGGER people_trigram_insert AFTER INSERT ON people BEGIN
    INSERT INTO people_trigram (rowid, email, name_norm) VALUES (new.id, new.email, new.name_norm);
END;
CREATE TRIGGER people_trigram_delete AFTER DELETE ON people BEGIN
    INSERT INTO people_trigram (people_trigram, rowid, email, name_norm) VALUES ('delete', old.id, old.email, old.name_norm);
END;
CREATE TRIGGER people_trigram_update AFTER UPDATE OF email, name_norm ON people
WHEN old.email IS NOT new.email OR old.name_norm IS NOT new.name_norm BEGIN
    INSERT INTO people_trigram (people_trigram, rowid, email, name_norm) VALUES ('delete', old.id, old.email, old.name_norm);
    INSERT INTO people_trigram (rowid, email, name_norm) VALUES (new.id, new.email, new.name_norm);
END;
INSERT INTO people_trigram (people_trigram) VALUES ('rebuild');
