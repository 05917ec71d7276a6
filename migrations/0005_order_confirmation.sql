-- When the order-confirmation job sent the confirmation of a CONFIRMED order; NULL until then.
ALTER TABLE orders ADD COLUMN confirmation_sent_at timestamptz;
ALTER TABLE orders ADD CONSTRAINT orders_confirmation_only_when_confirmed
  CHECK (confirmation_sent_at IS NULL OR status = 'CONFIRMED');
