-- Django 5 sqlmigrate output of an `atomic = False` migration under django-pg-zero-downtime-migrations (timeouts emitted by the backend): plainly safe.
SET lock_timeout = '3s';
SET statement_timeout = '15s';
ALTER TABLE "billing_invoice" ADD COLUMN IF NOT EXISTS "paid_via" varchar(32) NULL, ADD COLUMN IF NOT EXISTS "reminder_count" integer DEFAULT 0 NOT NULL, ADD COLUMN IF NOT EXISTS "external_ref" uuid NULL;
SET statement_timeout = 0;
CREATE INDEX CONCURRENTLY IF NOT EXISTS "billing_invoice_paid_via_idx" ON "billing_invoice" ("paid_via");
CREATE INDEX CONCURRENTLY IF NOT EXISTS "billing_invoice_unpaid_idx" ON "billing_invoice" ("due_date") WHERE "paid_at" IS NULL;
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "billing_invoice_external_ref_uniq" ON "billing_invoice" ("external_ref");
SET statement_timeout = '15s';
ALTER TABLE "billing_invoice" ADD CONSTRAINT "billing_invoice_external_ref_key" UNIQUE USING INDEX "billing_invoice_external_ref_uniq";
ALTER TABLE "billing_payment" ADD CONSTRAINT "billing_payment_invoice_id_fk" FOREIGN KEY ("invoice_id") REFERENCES "billing_invoice" ("id") DEFERRABLE INITIALLY DEFERRED NOT VALID;
SET statement_timeout = 0;
ALTER TABLE "billing_payment" VALIDATE CONSTRAINT "billing_payment_invoice_id_fk";
SET statement_timeout = '15s';
ALTER TABLE "billing_payment" ADD CONSTRAINT "billing_payment_amount_positive" CHECK ("amount" > 0) NOT VALID;
SET statement_timeout = 0;
ALTER TABLE "billing_payment" VALIDATE CONSTRAINT "billing_payment_amount_positive";
DROP INDEX CONCURRENTLY IF EXISTS "billing_invoice_paid_via_old_idx";
COMMENT ON COLUMN "billing_invoice"."paid_via" IS 'payment channel, filled by the app from now on';
