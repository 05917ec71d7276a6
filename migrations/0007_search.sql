-- Product search and autocomplete: a search projection of the catalog with a weighted full-text
-- document, a dictionary of distinct titles for suggestions, the triggers that keep both current
-- in the same transaction as the catalog write, and a NOTIFY so caches learn of catalog changes.
CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

-- unaccent() is only STABLE because its dictionary could be swapped; naming the dictionary pins
-- the result to the text alone, which stored documents and index expressions require.
CREATE FUNCTION immutable_unaccent(text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  RETURN public.unaccent('public.unaccent'::regdictionary, $1);

-- Words are kept as written, only lower-cased: no stemming, so that a prefix of a word always
-- matches the word ("lap" finds "laptop"), which a stemmed lexeme would not guarantee. English
-- stop words ("the", "for", "with") are dropped: they would match most of the catalog and say
-- nothing about the product.
CREATE TEXT SEARCH DICTIONARY aforro_simple (TEMPLATE = pg_catalog.simple, STOPWORDS = english);
CREATE TEXT SEARCH CONFIGURATION aforro_search (COPY = pg_catalog.simple);
ALTER TEXT SEARCH CONFIGURATION aforro_search ALTER MAPPING REPLACE pg_catalog.simple WITH aforro_simple;

-- Weights rank title (A) above category name (B) above description (C).
CREATE FUNCTION product_search_document(title text, category text, description text) RETURNS tsvector
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN setweight(to_tsvector('aforro_search', immutable_unaccent(title)), 'A')
      || setweight(to_tsvector('aforro_search', immutable_unaccent(category)), 'B')
      || setweight(to_tsvector('aforro_search', immutable_unaccent(coalesce(description, ''))), 'C');

-- A query in to_tsquery syntax, normalised exactly as documents are.
CREATE FUNCTION product_search_query(text) RETURNS tsquery
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  RETURN to_tsquery('aforro_search', immutable_unaccent($1));

-- What search filters, sorts and matches on, one row per product. A table of its own rather than
-- columns of products: every search must visit the rows its text matches (to count them), and
-- this row is what it visits, so it holds only what search needs.
CREATE TABLE product_search (
  product_id  bigint        PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
  category_id bigint        NOT NULL,
  price       numeric(12,2) NOT NULL,
  created_at  timestamptz   NOT NULL,
  document    tsvector      NOT NULL
);

CREATE INDEX product_search_document_idx ON product_search USING gin (document);
-- sort=newest walks this index and stops after one page.
CREATE INDEX product_search_newest_idx ON product_search (created_at DESC, product_id DESC);
-- sort=price and -price (read backwards), and price ranges.
CREATE INDEX product_search_price_idx ON product_search (price, product_id);
-- category filters, counted from the index alone.
CREATE INDEX product_search_category_price_idx ON product_search (category_id, price);

-- Suggestions come from distinct titles (the contract returns distinct titles), each with how
-- many products carry it, so that a title shared by thousands of products is one row here.
-- `key` is the title lower-cased, unaccented, with every run of non-alphanumerics turned into one
-- space: matching and alphabetical order use it, and "a later word starts with q" is " q".
CREATE FUNCTION suggestion_key(text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  RETURN btrim(regexp_replace(lower(immutable_unaccent($1)), '[^[:alnum:]]+', ' ', 'g'));

CREATE TABLE product_titles (
  title    text    PRIMARY KEY,
  -- Byte order ("C"): the same on every server, and a plain btree then serves LIKE 'q%'.
  key      text    COLLATE "C" NOT NULL GENERATED ALWAYS AS (suggestion_key(title)) STORED,
  products integer NOT NULL CHECK (products > 0)
) WITH (fillfactor = 70);

-- First group (title starts with q), shorter titles first: one short index range per length.
CREATE INDEX product_titles_length_key_idx ON product_titles (char_length(title), key);
-- Second and third groups (a word starts with q, q anywhere): trigram matching.
CREATE INDEX product_titles_key_trgm_idx ON product_titles USING gin (key gin_trgm_ops);

-- Inventory rows in stock, by product: in_stock without a store asks "stocked anywhere?".
CREATE INDEX inventory_in_stock_product_idx ON inventory (product_id) WHERE quantity > 0;

-- Titles already known (almost all of them, once a catalog exists) are counted up in place: the
-- key is only computed for new titles, and the spare room left on each page (fillfactor) lets
-- these updates stay HOT, touching no index.
CREATE FUNCTION product_titles_add(titles text[]) RETURNS void LANGUAGE sql AS $$
  WITH counted AS (SELECT title, count(*) AS n FROM unnest(titles) AS title GROUP BY title),
       bumped AS (UPDATE product_titles t SET products = t.products + c.n
                    FROM counted c WHERE t.title = c.title RETURNING t.title)
  INSERT INTO product_titles AS t (title, products)
  SELECT title, n FROM counted WHERE title NOT IN (SELECT title FROM bumped)
  -- A title another transaction added meanwhile is counted up instead.
  ON CONFLICT (title) DO UPDATE SET products = t.products + excluded.products;
$$;

CREATE FUNCTION product_titles_remove(titles text[]) RETURNS void LANGUAGE sql AS $$
  DELETE FROM product_titles t
   USING (SELECT title, count(*) AS n FROM unnest(titles) AS title GROUP BY title) gone
   WHERE t.title = gone.title AND t.products <= gone.n;
  UPDATE product_titles t SET products = t.products - gone.n
    FROM (SELECT title, count(*) AS n FROM unnest(titles) AS title GROUP BY title) gone
   WHERE t.title = gone.title;
$$;

-- Statement-level triggers with transition tables: a bulk insert of 20,000 products costs a few
-- set-based statements, not 20,000 trigger calls. They run inside the writing transaction, so
-- search and suggestions never disagree with the catalog once it commits.
CREATE FUNCTION products_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO product_search (product_id, category_id, price, created_at, document)
  SELECT p.id, p.category_id, p.price, p.created_at, product_search_document(p.title, c.name, p.description)
    FROM new_products p JOIN categories c ON c.id = p.category_id;
  PERFORM product_titles_add(ARRAY(SELECT title FROM new_products));
  RETURN NULL;
END $$;

CREATE FUNCTION products_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE product_search s
     SET category_id = p.category_id, price = p.price, created_at = p.created_at,
         document = product_search_document(p.title, c.name, p.description)
    FROM new_products p JOIN categories c ON c.id = p.category_id
   WHERE s.product_id = p.id;
  PERFORM product_titles_add(ARRAY(
    SELECT n.title FROM new_products n JOIN old_products o ON o.id = n.id WHERE n.title <> o.title));
  PERFORM product_titles_remove(ARRAY(
    SELECT o.title FROM new_products n JOIN old_products o ON o.id = n.id WHERE n.title <> o.title));
  RETURN NULL;
END $$;

-- product_search rows go with their product through the foreign key's cascade.
CREATE FUNCTION products_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM product_titles_remove(ARRAY(SELECT title FROM old_products));
  RETURN NULL;
END $$;

CREATE FUNCTION products_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE product_titles;
  RETURN NULL;
END $$;

CREATE TRIGGER products_inserted AFTER INSERT ON products
  REFERENCING NEW TABLE AS new_products FOR EACH STATEMENT EXECUTE FUNCTION products_inserted();
CREATE TRIGGER products_updated AFTER UPDATE ON products
  REFERENCING OLD TABLE AS old_products NEW TABLE AS new_products FOR EACH STATEMENT EXECUTE FUNCTION products_updated();
CREATE TRIGGER products_deleted AFTER DELETE ON products
  REFERENCING OLD TABLE AS old_products FOR EACH STATEMENT EXECUTE FUNCTION products_deleted();
CREATE TRIGGER products_truncated AFTER TRUNCATE ON products
  FOR EACH STATEMENT EXECUTE FUNCTION products_truncated();

-- A renamed category changes the document of every product in it: one statement in the renaming
-- transaction, about 5 s for a category of 100,000 products, for a rare administrative write.
CREATE FUNCTION categories_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE product_search s
     SET document = product_search_document(p.title, c.name, p.description)
    FROM new_categories c
    JOIN old_categories o ON o.id = c.id AND o.name IS DISTINCT FROM c.name
    JOIN products p ON p.category_id = c.id
   WHERE s.product_id = p.id;
  RETURN NULL;
END $$;

CREATE TRIGGER categories_updated AFTER UPDATE ON categories
  REFERENCING OLD TABLE AS old_categories NEW TABLE AS new_categories
  FOR EACH STATEMENT EXECUTE FUNCTION categories_updated();

-- Caches of search and suggestions listen on this channel (adapters/postgres/pg-catalog-listener.ts).
-- NOTIFY is transactional: listeners hear of a change only once it has committed, and repeats
-- within one transaction arrive as one.
CREATE FUNCTION notify_catalog_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('catalog_changed', '');
  RETURN NULL;
END $$;

CREATE TRIGGER products_catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON products
  FOR EACH STATEMENT EXECUTE FUNCTION notify_catalog_changed();
CREATE TRIGGER categories_catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON categories
  FOR EACH STATEMENT EXECUTE FUNCTION notify_catalog_changed();
