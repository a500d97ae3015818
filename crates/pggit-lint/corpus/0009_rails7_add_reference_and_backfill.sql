-- Rails 7.1 style: db/migrate/20240312094501_add_workspace_to_projects.rb as executed by `rails db:migrate` (one transaction).
BEGIN;
ALTER TABLE "projects" ADD "workspace_id" bigint;
CREATE INDEX "index_projects_on_workspace_id" ON "projects" ("workspace_id");
ALTER TABLE "projects" ADD CONSTRAINT "fk_rails_3c8b1a7d2e" FOREIGN KEY ("workspace_id") REFERENCES "workspaces" ("id");
ALTER TABLE "projects" ADD "archived_at" timestamp(6) DEFAULT CURRENT_TIMESTAMP NOT NULL;
ALTER TABLE "projects" ADD "public_token" character varying DEFAULT md5(random()::text) NOT NULL;
ALTER TABLE "projects" ADD "sort_key" double precision DEFAULT random();
UPDATE "projects" SET "workspace_id" = (SELECT "workspaces"."id" FROM "workspaces" WHERE "workspaces"."account_id" = "projects"."account_id" LIMIT 1);
ALTER TABLE "projects" ALTER COLUMN "workspace_id" SET NOT NULL;
CREATE UNIQUE INDEX "index_projects_on_workspace_id_and_slug" ON "projects" ("workspace_id", "slug");
ALTER TABLE "projects" RENAME COLUMN "descr" TO "description";
ALTER TABLE "projects" ALTER COLUMN "description" TYPE text;
ALTER TABLE "projects" ALTER COLUMN "priority" TYPE bigint;
ALTER TABLE "projects" ALTER COLUMN "priority" SET DEFAULT 0;
DROP INDEX "index_projects_on_account_id_and_name";
ALTER TABLE "projects" DROP COLUMN "legacy_owner_id";
INSERT INTO "schema_migrations" ("version") VALUES ('20240312094501') RETURNING "version";
COMMIT;
