-- What the background jobs write: the notification outbox and the daily inventory summaries.

-- Every notification the service sent, written by the default Notifier; a mail relay would read
-- it from here. The unique order id is what makes a confirmation exactly-once: a job delivered
-- twice, or retried after its worker died between sending and completing, finds the row taken.
-- The only notification today is the order confirmation; a second kind would join this key.
CREATE TABLE notifications (
  id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  order_id  bigint      NOT NULL REFERENCES orders (id),
  recipient text        NOT NULL CHECK (btrim(recipient) <> ''),
  subject   text        NOT NULL CHECK (btrim(subject) <> ''),
  body      text        NOT NULL,
  sent_at   timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT notifications_one_per_order UNIQUE (order_id)
);

-- One row per store per day (recomputing a day replaces it), a snapshot of the levels at
-- generated_at. The key also serves "the latest summary of a store" (one backward index scan).
CREATE TABLE inventory_summaries (
  store_id            bigint      NOT NULL REFERENCES stores (id),
  summary_date        date        NOT NULL,
  sku_count           integer     NOT NULL CHECK (sku_count >= 0),
  total_units         bigint      NOT NULL CHECK (total_units >= 0),
  out_of_stock        integer     NOT NULL CHECK (out_of_stock >= 0),
  -- The threshold the low-stock list was cut at, since LOW_STOCK_THRESHOLD may change between days.
  low_stock_threshold integer     NOT NULL CHECK (low_stock_threshold > 0),
  -- [{"product_id", "title", "quantity"}], lowest quantity first: read whole, never queried into.
  low_stock           jsonb       NOT NULL,
  generated_at        timestamptz NOT NULL,
  PRIMARY KEY (store_id, summary_date)
);
