-- Statement triggers that join a statement's old rows to its new ones plan that join on every run.
-- PL/pgSQL keeps the plan of a query without parameters from its first run in a session, sized for
-- the transition tables of that run: a pooled connection whose first update changed one product
-- kept a nested loop over two one-row tuplestores, and ran it for the next update, a category
-- rename's 99,838 rows: 10^10 row comparisons (a rename that takes 5-10 s had not finished after 7
-- minutes; 5,000 rows took 6.9 s instead of 3.9). EXECUTE plans each run for the rows it has.
-- (0021 does the same for the category facets.)

CREATE OR REPLACE FUNCTION products_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Archived by this statement: out of search and of the title dictionary.
  EXECUTE $q$
    DELETE FROM product_search s
     USING new_products n JOIN old_products o ON o.id = n.id
     WHERE s.product_id = n.id AND o.archived_at IS NULL AND n.archived_at IS NOT NULL$q$;
  EXECUTE $q$
    SELECT product_titles_remove(ARRAY(
      SELECT o.title FROM new_products n JOIN old_products o ON o.id = n.id
       WHERE o.archived_at IS NULL AND n.archived_at IS NOT NULL))$q$;
  -- Live products: the projection follows, and renamed titles move in the dictionary.
  UPDATE product_search s
     SET category_id = p.category_id, price = p.price, created_at = p.created_at, title = p.title,
         document = product_search_document(p.title, c.name, p.description)
    FROM new_products p JOIN categories c ON c.id = p.category_id
   WHERE s.product_id = p.id AND p.archived_at IS NULL;
  EXECUTE $q$
    SELECT product_titles_add(ARRAY(
      SELECT n.title FROM new_products n JOIN old_products o ON o.id = n.id WHERE n.archived_at IS NULL AND n.title <> o.title))$q$;
  EXECUTE $q$
    SELECT product_titles_remove(ARRAY(
      SELECT o.title FROM new_products n JOIN old_products o ON o.id = n.id WHERE n.archived_at IS NULL AND n.title <> o.title))$q$;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION product_search_lexemes_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  product_ids bigint[];
  added tsvector[];
  removed tsvector[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(product_id), array_agg(document) INTO product_ids, added FROM new_rows;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(product_id), array_agg(document) INTO product_ids, removed FROM old_rows;
  ELSE
    -- Price and date changes rewrite rows with the same document: nothing to count. Ids never
    -- change (the key), so a changed document is the lexemes it lost out and those it gained in:
    -- a renamed category changes one or two lexemes of each of its 100,000 documents, not twelve.
    EXECUTE $q$
      SELECT array_agg(n.product_id), array_agg(ts_delete(n.document, tsvector_to_array(o.document))),
             array_agg(ts_delete(o.document, tsvector_to_array(n.document)))
        FROM new_rows n JOIN old_rows o USING (product_id) WHERE n.document <> o.document$q$
      INTO product_ids, added, removed;
  END IF;
  PERFORM search_lexemes_count(coalesce(added, '{}'), coalesce(removed, '{}'));
  PERFORM search_postings_change(coalesce(product_ids, '{}'), coalesce(added, '{}'), coalesce(removed, '{}'));
  RETURN NULL;
END $$;
