-- Orders and their lines. A REJECTED order is kept: the rejection is an outcome, not an error.
CREATE TYPE order_status AS ENUM ('PENDING', 'CONFIRMED', 'REJECTED');

CREATE TABLE orders (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  store_id   bigint       NOT NULL REFERENCES stores (id),
  status     order_status NOT NULL,
  -- Each short line with what was asked and what was there; NULL unless REJECTED.
  rejection  jsonb,
  created_at timestamptz  NOT NULL DEFAULT now(),
  CHECK ((status = 'REJECTED') = (rejection IS NOT NULL))
);
-- Serves the store's order listing, newest first, with its id tie-break, and the store FK.
CREATE INDEX orders_store_created_idx ON orders (store_id, created_at DESC, id DESC);

CREATE TABLE order_items (
  order_id           bigint  NOT NULL REFERENCES orders (id),
  product_id         bigint  NOT NULL REFERENCES products (id),
  quantity_requested integer NOT NULL CHECK (quantity_requested > 0),
  -- Lines are answered in the order the client first named each product.
  line_number        smallint NOT NULL CHECK (line_number > 0),
  PRIMARY KEY (order_id, product_id)
);
CREATE INDEX order_items_product_id_idx ON order_items (product_id);
