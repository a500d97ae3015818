-- Rails: structure of a typical change_table migration, as executed (in a transaction).
BEGIN;
ALTER TABLE "users" ADD "last_seen_at" timestamp(6);
ALTER TABLE "users" ADD "uuid" uuid DEFAULT gen_random_uuid() NOT NULL;
CREATE INDEX "index_users_on_last_seen_at" ON "users" ("last_seen_at");
ALTER TABLE "users" RENAME COLUMN "login" TO "username";
ALTER TABLE "accounts" RENAME TO "organisations";
ALTER TABLE "posts" ADD "user_id" bigint;
ALTER TABLE "posts" ADD CONSTRAINT "fk_rails_5b5ddfd518" FOREIGN KEY ("user_id") REFERENCES "users" ("id");
ALTER TABLE "posts" ALTER COLUMN "title" TYPE text;
ALTER TABLE "posts" DROP COLUMN "legacy_body";
DROP TABLE "old_sessions";
UPDATE "users" SET "uuid" = gen_random_uuid();
COMMIT;
