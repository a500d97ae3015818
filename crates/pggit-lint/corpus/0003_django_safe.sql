-- Django with django-pg-zero-downtime style operations: plainly safe.
SET lock_timeout = '2s';
SET statement_timeout = '30s';
ALTER TABLE "shop_order" ADD COLUMN IF NOT EXISTS "channel" text NULL;
CREATE INDEX CONCURRENTLY IF NOT EXISTS "shop_order_channel_idx" ON "shop_order" ("channel");
ALTER TABLE "shop_order" ADD CONSTRAINT "channel_known" CHECK ("channel" IN ('web', 'app')) NOT VALID;
ALTER TABLE "shop_order" VALIDATE CONSTRAINT "channel_known";
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "shop_order_ref_uniq" ON "shop_order" ("number", "channel");
ALTER TABLE "shop_order" ADD CONSTRAINT "shop_order_ref_uniq" UNIQUE USING INDEX "shop_order_ref_uniq";
