-- Seeding: the search projection (product_search) written by parallel workers, chunk by chunk as
-- the seed loads products, instead of by the insert trigger. A document (to_tsvector of title,
-- category and description) is most of what loading a product costs, and a trigger's INSERT runs
-- in one backend, where a CREATE TABLE … AS query may use parallel workers. The seeder calls
-- search_projection_suspend() before it loads products, search_project_products() for each
-- chunk it has loaded (while it generates the next), and search_projection_resume() after, all
-- in the seeding transaction.
CREATE FUNCTION search_projection_suspend() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  ALTER TABLE products DISABLE TRIGGER products_inserted;
END $$;

-- Projects the products with ids from first_id to last_id, exactly as products_inserted() does.
-- product_titles is left to search_counts_resume().
CREATE FUNCTION search_project_products(first_id bigint, last_id bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  CREATE TEMP TABLE projected_products ON COMMIT DROP AS
  SELECT p.id, p.category_id, p.price, p.created_at, p.title, product_search_document(p.title, c.name, p.description) AS document
    FROM products p JOIN categories c ON c.id = p.category_id
   WHERE p.id BETWEEN first_id AND last_id;
  INSERT INTO product_search (product_id, category_id, price, created_at, title, document)
  SELECT id, category_id, price, created_at, title, document FROM projected_products;
  DROP TABLE projected_products;
END $$;

CREATE FUNCTION search_projection_resume() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  ALTER TABLE products ENABLE TRIGGER products_inserted;
END $$;
