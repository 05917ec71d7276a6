-- Cancellation: a CONFIRMED order becomes CANCELLED once, at cancelled_at.
ALTER TABLE orders ADD COLUMN cancelled_at timestamptz;
ALTER TABLE orders ADD CONSTRAINT orders_cancelled_at_when_cancelled CHECK ((status = 'CANCELLED') = (cancelled_at IS NOT NULL));
-- A confirmation sent before the cancellation stays recorded on the cancelled order.
ALTER TABLE orders DROP CONSTRAINT orders_confirmation_only_when_confirmed;
ALTER TABLE orders ADD CONSTRAINT orders_confirmation_only_when_confirmed
  CHECK (confirmation_sent_at IS NULL OR status IN ('CONFIRMED', 'CANCELLED'));

-- Each line keeps the title its product had when the order was placed: a later rename or archive
-- of the product changes neither the order's reads nor a replayed idempotent response.
ALTER TABLE order_items ADD COLUMN title text;
UPDATE order_items i SET title = p.title FROM products p WHERE p.id = i.product_id;
ALTER TABLE order_items ALTER COLUMN title SET NOT NULL;
