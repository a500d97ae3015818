-- Django: later migrations on tables that hold production data.
BEGIN;
ALTER TABLE "shop_order" ADD COLUMN "note" text NULL;
ALTER TABLE "shop_order" ADD COLUMN "region" varchar(8) DEFAULT 'eu' NOT NULL;
ALTER TABLE "shop_order" ALTER COLUMN "region" DROP DEFAULT;
ALTER TABLE "shop_order" ADD COLUMN "coupon" varchar(32) NOT NULL;
ALTER TABLE "shop_customer" ALTER COLUMN "name" TYPE varchar(200);
ALTER TABLE "shop_customer" ALTER COLUMN "name" SET NOT NULL;
CREATE INDEX "shop_order_status_idx" ON "shop_order" ("status");
ALTER TABLE "shop_order" ADD CONSTRAINT "total_positive" CHECK ("total" >= 0);
ALTER TABLE "shop_order" ADD CONSTRAINT "shop_order_number_key" UNIQUE ("number");
COMMIT;
