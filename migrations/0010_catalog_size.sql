-- How many products the catalog holds, kept exact by statement-level triggers on the search
-- projection: browsing the whole catalog then reads one row for its count instead of counting a
-- million index entries (~50 ms). One row is enough: catalog writes (seed, operators) are rare and
-- set-based, so a writer waiting on it for another's commit costs nothing that matters.
CREATE TABLE catalog_size (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  products bigint  NOT NULL CHECK (products >= 0)
);
INSERT INTO catalog_size (products) SELECT count(*) FROM product_search;

CREATE FUNCTION catalog_size_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE catalog_size SET products = products + (SELECT count(*) FROM added_rows);
  RETURN NULL;
END $$;

CREATE FUNCTION catalog_size_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE catalog_size SET products = products - (SELECT count(*) FROM removed_rows);
  RETURN NULL;
END $$;

CREATE FUNCTION catalog_size_emptied() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE catalog_size SET products = 0;
  RETURN NULL;
END $$;

-- Products reach product_search by trigger and leave it by ON DELETE CASCADE or TRUNCATE … CASCADE,
-- all of which fire these.
CREATE TRIGGER product_search_size_added AFTER INSERT ON product_search
  REFERENCING NEW TABLE AS added_rows FOR EACH STATEMENT EXECUTE FUNCTION catalog_size_added();
CREATE TRIGGER product_search_size_removed AFTER DELETE ON product_search
  REFERENCING OLD TABLE AS removed_rows FOR EACH STATEMENT EXECUTE FUNCTION catalog_size_removed();
CREATE TRIGGER product_search_size_emptied AFTER TRUNCATE ON product_search
  FOR EACH STATEMENT EXECUTE FUNCTION catalog_size_emptied();
