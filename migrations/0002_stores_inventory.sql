-- Stores, the stock each keeps, and the append-only ledger that explains every level.
CREATE TABLE stores (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name       text        NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
  location   text        NOT NULL CHECK (btrim(location) <> '' AND length(location) <= 300),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE inventory (
  store_id   bigint      NOT NULL REFERENCES stores (id),
  product_id bigint      NOT NULL REFERENCES products (id),
  quantity   integer     NOT NULL CHECK (quantity >= 0),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- At most one row per product in a store; also the lock target and lookup path for orders.
  PRIMARY KEY (store_id, product_id)
);
CREATE INDEX inventory_product_id_idx ON inventory (product_id);

CREATE TYPE stock_movement_reason AS ENUM ('seed', 'restock', 'order');

-- Append-only: the sum of a (store, product)'s deltas equals its inventory level (npm run audit).
CREATE TABLE stock_movements (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  store_id    bigint                NOT NULL,
  product_id  bigint                NOT NULL,
  delta       integer               NOT NULL CHECK (delta <> 0),
  reason      stock_movement_reason NOT NULL,
  reference   text,
  occurred_at timestamptz           NOT NULL DEFAULT now(),
  FOREIGN KEY (store_id, product_id) REFERENCES inventory (store_id, product_id)
);
CREATE INDEX stock_movements_store_product_idx ON stock_movements (store_id, product_id);

CREATE FUNCTION forbid_ledger_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'stock_movements is append-only (% refused)', TG_OP;
END $$;
CREATE TRIGGER stock_movements_append_only
  BEFORE UPDATE OR DELETE ON stock_movements
  FOR EACH ROW EXECUTE FUNCTION forbid_ledger_rewrite();
