--liquibase formatted sql
-- Liquibase formatted SQL changelog (runInTransaction:true per changeset): quoted mixed-case schemas, unicode names, extensions.

--changeset märta.lindqvist:2025-02-11-1
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS "uuid-ossp";
CREATE SCHEMA IF NOT EXISTS "Analytics";
CREATE TABLE "Analytics"."Événements" ("Id" uuid PRIMARY KEY DEFAULT uuid_generate_v4(), "Catégorie" text NOT NULL, "größe" numeric, "日付" date NOT NULL DEFAULT CURRENT_DATE);
CREATE INDEX "Événements_Catégorie_trgm" ON "Analytics"."Événements" USING gin ("Catégorie" gin_trgm_ops);
--rollback DROP TABLE "Analytics"."Événements";

--changeset märta.lindqvist:2025-02-11-2
ALTER TABLE "Analytics"."Kunden" ADD COLUMN "Straße" text;
ALTER TABLE "Analytics"."Kunden" ADD COLUMN "Registriert" timestamptz NOT NULL DEFAULT now();
ALTER TABLE "Analytics"."Kunden" ADD COLUMN "Référence" uuid NOT NULL DEFAULT uuid_generate_v4();
CREATE INDEX "Kunden_Straße_idx" ON "Analytics"."Kunden" ("Straße") WHERE "Straße" IS NOT NULL;
ALTER TABLE "Analytics"."Kunden" RENAME COLUMN "PLZ" TO "Postleitzahl";
ALTER TABLE "Analytics"."Kunden" ADD CONSTRAINT "Kunden_Postleitzahl_Format" CHECK ("Postleitzahl" ~ '^[0-9]{5}$');
ALTER TABLE "Analytics"."Bestellungen" ADD CONSTRAINT "Bestellungen_Kunde_fk" FOREIGN KEY ("KundeId") REFERENCES "Analytics"."Kunden" ("Id") NOT VALID;
ALTER TABLE "Analytics"."Bestellungen" VALIDATE CONSTRAINT "Bestellungen_Kunde_fk";
ALTER TABLE "Analytics"."Bestellungen" ADD CONSTRAINT "Bestellungen_Nummer_uq" UNIQUE ("Nummer");
ALTER TABLE "Analytics"."Bestellungen" ADD PRIMARY KEY ("Id");
ALTER SCHEMA "Analytics" RENAME TO "Analytik";
GRANT USAGE ON SCHEMA "Analytik" TO "BI-Leser";
COMMENT ON COLUMN "Analytik"."Kunden"."Straße" IS 'Straße und Hausnummer, wie vom Kunden eingegeben';
