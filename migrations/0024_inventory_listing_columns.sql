-- A store's inventory page reads what it shows from the store's own rows, in index order. Joining
-- products for each row of a page (a primary-key probe and a heap fetch per row) was half of the
-- statement's Postgres time: with pgbench, 10 clients, a 100-row page of a 1,000-product catalog,
-- 2,156-2,432 pages a second with the join, 4,311-4,656 without it, same run.
-- So the row carries its product's title, price, category id and whether it is archived, as it
-- already carried the title's sort key (0012), and the triggers below keep them in step with
-- products. The category's name is still joined by id (a few rows, looked up once per category of
-- a page), so renaming a category rewrites no inventory row.
ALTER TABLE inventory
  ADD COLUMN title text,
  ADD COLUMN price numeric(12, 2),
  ADD COLUMN category_id bigint,
  ADD COLUMN archived boolean;
UPDATE inventory i
   SET title = p.title, price = p.price, category_id = p.category_id, archived = p.archived_at IS NOT NULL
  FROM products p
 WHERE p.id = i.product_id;
ALTER TABLE inventory
  ALTER COLUMN title SET NOT NULL,
  ALTER COLUMN price SET NOT NULL,
  ALTER COLUMN category_id SET NOT NULL,
  ALTER COLUMN archived SET NOT NULL;

-- Archived products leave the listing. Indexing only the others lets the page and its count read
-- this index alone, without a filter on each row.
DROP INDEX inventory_store_title_idx;
CREATE INDEX inventory_store_listing_idx ON inventory (store_id, title_key, product_id) WHERE NOT archived;

-- A new row copies its product: the seeder's COPY and a first restock give only the store, the
-- product and the quantity. So does a row pointed at another product, which nothing does today.
-- A missing product is refused here, as the foreign key would refuse it. FOR SHARE waits for a
-- change to the product still in flight and copies what it committed: without it, a first restock
-- racing a price change could copy the old price after the change's trigger had passed this store.
DROP TRIGGER inventory_title_key ON inventory;
DROP FUNCTION inventory_title_key();
CREATE FUNCTION inventory_copy_product() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT p.title, lower(immutable_unaccent(p.title)), p.price, p.category_id, p.archived_at IS NOT NULL
    INTO NEW.title, NEW.title_key, NEW.price, NEW.category_id, NEW.archived
    FROM products p
   WHERE p.id = NEW.product_id
     FOR SHARE;
  IF NOT FOUND THEN
    RAISE foreign_key_violation USING MESSAGE = format('product %s does not exist', NEW.product_id);
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER inventory_copy_product
  BEFORE INSERT OR UPDATE OF product_id ON inventory
  FOR EACH ROW EXECUTE FUNCTION inventory_copy_product();

-- A product's change reaches every store that carries it, in the same transaction. Products are
-- changed one at a time (a PATCH, an archive), so these row locks are taken for one product's rows
-- only, after that product's own row lock, as the title key's trigger took them before.
DROP TRIGGER product_title_key ON products;
DROP FUNCTION product_title_key();
CREATE FUNCTION product_copy_to_inventory() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE inventory
     SET title = NEW.title, title_key = lower(immutable_unaccent(NEW.title)), price = NEW.price,
         category_id = NEW.category_id, archived = NEW.archived_at IS NOT NULL
   WHERE product_id = NEW.id;
  RETURN NULL;
END $$;
CREATE TRIGGER product_copy_to_inventory
  AFTER UPDATE OF title, price, category_id, archived_at ON products
  FOR EACH ROW
  WHEN ((OLD.title, OLD.price, OLD.category_id, OLD.archived_at IS NULL)
        IS DISTINCT FROM (NEW.title, NEW.price, NEW.category_id, NEW.archived_at IS NULL))
  EXECUTE FUNCTION product_copy_to_inventory();
