-- Catalog management over HTTP. Deleting a product archives it: the row stays (old orders and the
-- stock ledger refer to it) but it leaves every read path. The search projection and the title
-- dictionary hold live products only, so search, autocomplete and their counts need no filter.
ALTER TABLE products ADD COLUMN archived_at timestamptz;
-- NULL until the first change after creation (a reader shows created_at then): no rewrite of the
-- existing rows, whose every UPDATE would also rewrite their search rows through the triggers.
ALTER TABLE products ADD COLUMN updated_at timestamptz;
-- The few archived products, for counts that must leave them out (in stock anywhere).
CREATE INDEX products_archived_idx ON products (id) WHERE archived_at IS NOT NULL;

CREATE OR REPLACE FUNCTION products_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Archived by this statement: out of search and of the title dictionary.
  DELETE FROM product_search s
   USING new_products n JOIN old_products o ON o.id = n.id
   WHERE s.product_id = n.id AND o.archived_at IS NULL AND n.archived_at IS NOT NULL;
  PERFORM product_titles_remove(ARRAY(
    SELECT o.title FROM new_products n JOIN old_products o ON o.id = n.id
     WHERE o.archived_at IS NULL AND n.archived_at IS NOT NULL));
  -- Live products: the projection follows, and renamed titles move in the dictionary.
  UPDATE product_search s
     SET category_id = p.category_id, price = p.price, created_at = p.created_at, title = p.title,
         document = product_search_document(p.title, c.name, p.description)
    FROM new_products p JOIN categories c ON c.id = p.category_id
   WHERE s.product_id = p.id AND p.archived_at IS NULL;
  PERFORM product_titles_add(ARRAY(
    SELECT n.title FROM new_products n JOIN old_products o ON o.id = n.id WHERE n.archived_at IS NULL AND n.title <> o.title));
  PERFORM product_titles_remove(ARRAY(
    SELECT o.title FROM new_products n JOIN old_products o ON o.id = n.id WHERE n.archived_at IS NULL AND n.title <> o.title));
  RETURN NULL;
END $$;

-- An archived product's title left the dictionary when it was archived.
CREATE OR REPLACE FUNCTION products_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM product_titles_remove(ARRAY(SELECT title FROM old_products WHERE archived_at IS NULL));
  RETURN NULL;
END $$;
