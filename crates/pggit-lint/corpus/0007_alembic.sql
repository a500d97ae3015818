-- Alembic offline (--sql) output, one transaction.
BEGIN;
CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
CREATE TABLE item (id SERIAL NOT NULL, name VARCHAR(50) NOT NULL, price INTEGER, owner_id INTEGER, PRIMARY KEY (id), FOREIGN KEY(owner_id) REFERENCES "user" (id));
CREATE INDEX ix_item_name ON item (name);
ALTER TABLE "user" ADD COLUMN is_admin BOOLEAN DEFAULT false NOT NULL;
ALTER TABLE "user" ALTER COLUMN email TYPE VARCHAR(320);
ALTER TABLE "user" ALTER COLUMN email DROP NOT NULL;
CREATE DOMAIN us_postal_code AS TEXT CHECK (VALUE ~ '^\d{5}$');
ALTER DOMAIN us_postal_code ADD CONSTRAINT not_empty CHECK (VALUE <> '');
INSERT INTO alembic_version (version_num) VALUES ('3f2a1b');
COMMIT;
