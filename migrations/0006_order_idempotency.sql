-- The sum of an order's quantities, written once with the order so listings need no join.
ALTER TABLE orders ADD COLUMN total_items integer NOT NULL DEFAULT 0 CHECK (total_items >= 0);
ALTER TABLE orders ALTER COLUMN total_items DROP DEFAULT;

-- Idempotency-Key of POST /orders/: written in the order's own transaction, so a key exists
-- exactly when its order does. Concurrent use of one key is told apart by a transaction-scoped
-- advisory lock, not by this table.
CREATE TABLE idempotency_keys (
  key         text        PRIMARY KEY CHECK (key ~ '^[!-~]{1,255}$'),
  fingerprint text        NOT NULL,
  order_id    bigint      NOT NULL REFERENCES orders (id),
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idempotency_keys_order_id_idx ON idempotency_keys (order_id);
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);
