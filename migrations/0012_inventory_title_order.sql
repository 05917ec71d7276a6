-- A store's inventory page is ordered by product title (case and accents ignored, byte order,
-- ties by product id). The key is kept on each inventory row and indexed with the store, so a
-- page is read in index order (LIMIT/OFFSET stop early) instead of joining and sorting every row
-- the store carries on each request.
ALTER TABLE inventory ADD COLUMN title_key text COLLATE "C";
UPDATE inventory i SET title_key = lower(immutable_unaccent(p.title)) FROM products p WHERE p.id = i.product_id;
ALTER TABLE inventory ALTER COLUMN title_key SET NOT NULL;
CREATE INDEX inventory_store_title_idx ON inventory (store_id, title_key, product_id);

-- A new row takes its product's key (unless the insert computed it already). An unknown product
-- gets '' here and is refused by the foreign key as before.
CREATE FUNCTION inventory_title_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.title_key := coalesce((SELECT lower(immutable_unaccent(title)) FROM products WHERE id = NEW.product_id), '');
  RETURN NEW;
END $$;
CREATE TRIGGER inventory_title_key
  BEFORE INSERT ON inventory
  FOR EACH ROW WHEN (NEW.title_key IS NULL) EXECUTE FUNCTION inventory_title_key();

-- A renamed product moves in every store's order.
CREATE FUNCTION product_title_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE inventory SET title_key = lower(immutable_unaccent(NEW.title)) WHERE product_id = NEW.id;
  RETURN NULL;
END $$;
CREATE TRIGGER product_title_key
  AFTER UPDATE OF title ON products
  FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title) EXECUTE FUNCTION product_title_key();
