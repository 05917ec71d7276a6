-- Broad words without visiting every match: the exact count of a one-word query from a per-word
-- product count, and the first pages of relevance (the title tier) from the distinct titles.

-- The title is a sort key now (the title tier is ordered by title), so the projection carries
-- it: ranking a broad word's matches under a filter would otherwise read every match's product.
ALTER TABLE product_search ADD COLUMN title text;
UPDATE product_search s SET title = p.title FROM products p WHERE p.id = s.product_id;
ALTER TABLE product_search ALTER COLUMN title SET NOT NULL;

CREATE OR REPLACE FUNCTION products_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO product_search (product_id, category_id, price, created_at, title, document)
  SELECT p.id, p.category_id, p.price, p.created_at, p.title, product_search_document(p.title, c.name, p.description)
    FROM new_products p JOIN categories c ON c.id = p.category_id;
  PERFORM product_titles_add(ARRAY(SELECT title FROM new_products));
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION products_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE product_search s
     SET category_id = p.category_id, price = p.price, created_at = p.created_at, title = p.title,
         document = product_search_document(p.title, c.name, p.description)
    FROM new_products p JOIN categories c ON c.id = p.category_id
   WHERE s.product_id = p.id;
  PERFORM product_titles_add(ARRAY(
    SELECT n.title FROM new_products n JOIN old_products o ON o.id = n.id WHERE n.title <> o.title));
  PERFORM product_titles_remove(ARRAY(
    SELECT o.title FROM new_products n JOIN old_products o ON o.id = n.id WHERE n.title <> o.title));
  RETURN NULL;
END $$;

-- How many products' documents hold each word (lexeme). A query of one word (or a prefix) is
-- counted from here instead of from its matches: a GIN index cannot answer count(*) without
-- checking every matching row in the heap, which for a word in 8% of a million products is
-- most of the table's pages. Rows that fall to 0 stay (the vocabulary is bounded); readers skip them.
CREATE TABLE search_lexemes (
  -- Byte order ("C"), as tsquery prefix matching compares lexemes.
  lexeme   text    COLLATE "C" PRIMARY KEY,
  -- No CHECK (products >= 0): ON CONFLICT checks the proposed row, which for a removal is the
  -- negative change. It stays >= 0 anyway, as each removal undoes an earlier addition.
  products integer NOT NULL
) WITH (fillfactor = 70);

-- Adds one to each lexeme of the added documents and takes one off for the removed ones, in one
-- statement and in lexeme order, so that concurrent writers lock shared words in the same order
-- and cannot deadlock on them.
CREATE FUNCTION search_lexemes_count(added tsvector[], removed tsvector[]) RETURNS void LANGUAGE sql AS $$
  INSERT INTO search_lexemes AS t (lexeme, products)
  SELECT lexeme, sum(delta) FROM (
           SELECT lexeme, 1 AS delta FROM unnest(added) AS d, unnest(tsvector_to_array(d)) AS lexeme
           UNION ALL
           SELECT lexeme, -1 FROM unnest(removed) AS d, unnest(tsvector_to_array(d)) AS lexeme) changes
   GROUP BY lexeme HAVING sum(delta) <> 0 ORDER BY lexeme
  ON CONFLICT (lexeme) DO UPDATE SET products = t.products + excluded.products;
$$;

-- Kept by statement-level triggers on product_search itself, so every way its documents change
-- (product insert, update, delete, category rename, truncate) is covered.
CREATE FUNCTION product_search_lexemes_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM search_lexemes_count(ARRAY(SELECT document FROM new_rows), '{}');
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM search_lexemes_count('{}', ARRAY(SELECT document FROM old_rows));
  ELSE
    -- Price and date changes rewrite rows with the same document: nothing to count.
    PERFORM search_lexemes_count(
      ARRAY(SELECT n.document FROM new_rows n JOIN old_rows o USING (product_id) WHERE n.document <> o.document),
      ARRAY(SELECT o.document FROM new_rows n JOIN old_rows o USING (product_id) WHERE n.document <> o.document));
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER product_search_lexemes_inserted AFTER INSERT ON product_search
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION product_search_lexemes_changed();
CREATE TRIGGER product_search_lexemes_updated AFTER UPDATE ON product_search
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION product_search_lexemes_changed();
CREATE TRIGGER product_search_lexemes_deleted AFTER DELETE ON product_search
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION product_search_lexemes_changed();

CREATE FUNCTION product_search_lexemes_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE search_lexemes;
  RETURN NULL;
END $$;

CREATE TRIGGER product_search_lexemes_truncated AFTER TRUNCATE ON product_search
  FOR EACH STATEMENT EXECUTE FUNCTION product_search_lexemes_truncated();

SELECT search_lexemes_count(ARRAY(SELECT document FROM product_search), '{}');

-- A lexeme as a query of itself, taken as is (no normalisation).
CREATE FUNCTION lexeme_query(text) RETURNS tsquery
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  RETURN ('''' || replace(replace($1, '\', '\\'), '''', '''''') || '''')::tsquery;

-- The exact number of products matching a query of one operand (a word, or a prefix), without
-- visiting the matches of its commonest word: that word's count, plus the products that hold
-- only rarer words of the same prefix (few, found through the GIN index). Any other query
-- (several words) is counted from its matches.
CREATE FUNCTION product_search_count(query tsquery) RETURNS bigint LANGUAGE sql STABLE AS $$
  WITH operand AS (
    -- One operand prints as 'lexeme' or 'lexeme':*, quotes and backslashes escaped.
    SELECT replace(replace(substring(query::text FROM '^''(.*)'''), '''''', ''''), '\\', '\') AS lexeme,
           query::text LIKE '%:*' AS prefix
     WHERE numnode(query) = 1
  ),
  lexemes AS (
    SELECT l.lexeme, l.products
      FROM operand o JOIN search_lexemes l
        ON l.lexeme = o.lexeme
        -- Lexemes are words of letters and digits: none holds U+10FFFF, which bounds the range.
        OR (o.prefix AND l.lexeme >= o.lexeme AND l.lexeme < o.lexeme || chr(1114111) AND starts_with(l.lexeme, o.lexeme))
     WHERE l.products > 0
  ),
  commonest AS (SELECT lexeme, products FROM lexemes ORDER BY products DESC, lexeme LIMIT 1),
  rarer AS (
    SELECT string_agg(lexeme_query(lexeme)::text, ' | ')::tsquery AS query
      FROM lexemes WHERE lexeme <> (SELECT lexeme FROM commonest)
  )
  SELECT CASE WHEN EXISTS (SELECT FROM operand) THEN
           coalesce((SELECT products FROM commonest), 0)
           + CASE WHEN (SELECT query FROM rarer) IS NULL THEN 0 ELSE
               (SELECT count(*) FROM product_search s
                 WHERE s.document @@ (SELECT query FROM rarer)
                   AND NOT s.document @@ (SELECT lexeme_query(lexeme) FROM commonest)) END
         ELSE (SELECT count(*) FROM product_search s WHERE s.document @@ query)
         END
$$;

-- The title tier of relevance is read from the distinct titles that hold every word, shorter
-- titles first, then each title's products by id: the index below finds them, and products'
-- (title, id) index walks them in that order, so a page stops after its own rows.
CREATE FUNCTION title_document(text) RETURNS tsvector
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  RETURN to_tsvector('aforro_search', immutable_unaccent($1));

CREATE INDEX product_titles_document_idx ON product_titles USING gin (title_document(title));
CREATE INDEX products_title_idx ON products (title, id);
