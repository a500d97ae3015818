-- Flyway V12__billing.sql: no explicit transaction (Flyway wraps it).
CREATE TABLE billing.invoice (
    id serial PRIMARY KEY,
    account_id integer NOT NULL REFERENCES billing.account (id),
    amount numeric(12,2) NOT NULL,
    currency char(3) NOT NULL,
    issued timestamp NOT NULL DEFAULT now()
);
CREATE INDEX invoice_account ON billing.invoice (account_id);
ALTER TABLE billing.account ADD COLUMN balance numeric(12,2) NOT NULL DEFAULT 0;
ALTER TABLE billing.account ADD COLUMN external_id bigserial;
ALTER TABLE billing.account ALTER COLUMN email SET NOT NULL;
ALTER TABLE billing.account ADD CONSTRAINT account_email_key UNIQUE (email);
ALTER TABLE billing.payment ADD CONSTRAINT payment_invoice_fk FOREIGN KEY (invoice_id) REFERENCES billing.invoice (id) NOT VALID;
ALTER TABLE billing.payment VALIDATE CONSTRAINT payment_invoice_fk;
CREATE TYPE billing.state AS ENUM ('open', 'paid');
ALTER TYPE billing.state ADD VALUE 'void';
COMMENT ON TABLE billing.invoice IS 'issued invoices';
