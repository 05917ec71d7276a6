-- Seeding: the search projection (product_search) built once from the loaded catalog, by parallel
-- workers, instead of by the insert trigger chunk by chunk. A document (to_tsvector of title,
-- category and description) is most of what loading a product costs, and a trigger's INSERT runs
-- in one backend, where a CREATE TABLE … AS query may use parallel workers: on two cores the
-- documents take about half as long. The seeder calls search_projection_suspend() before it loads
-- products and search_projection_resume() after, before search_counts_resume(), all in the
-- seeding transaction.
CREATE FUNCTION search_projection_suspend() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  ALTER TABLE products DISABLE TRIGGER products_inserted;
END $$;

-- Projects every product that has no row yet, exactly as products_inserted() does, then lets the
-- trigger project inserts again. product_titles is left to search_counts_resume().
CREATE FUNCTION search_projection_resume() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  CREATE TEMP TABLE projected_products ON COMMIT DROP AS
  SELECT p.id, p.category_id, p.price, p.created_at, p.title, product_search_document(p.title, c.name, p.description) AS document
    FROM products p JOIN categories c ON c.id = p.category_id
   WHERE NOT EXISTS (SELECT FROM product_search s WHERE s.product_id = p.id);
  INSERT INTO product_search (product_id, category_id, price, created_at, title, document)
  SELECT id, category_id, price, created_at, title, document FROM projected_products;
  DROP TABLE projected_products;
  ALTER TABLE products ENABLE TRIGGER products_inserted;
END $$;
