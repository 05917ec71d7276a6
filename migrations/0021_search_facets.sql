-- Words with a category and a price range, answered from arrays instead of the heap. The text
-- index and the (category_id, price) index each built a bitmap of every product they matched (a
-- broad word holds 78,000 products, a category's price range 24,000), intersected them, then read
-- each match from product_search to count it and find its tier: 17-30 ms for 2,000 matches, over
-- 60 ms cold. Each category now keeps, block by block (the blocks of 0020), its products' offsets
-- ordered by price beside their prices in cents: a price range is a slice found by binary search
-- (width_bucket), and its intersection with the words' posting lists gives the matches, counted
-- exactly, in 2-4 ms. The page comes from walking the titles holding every word, in the title
-- tier's order, far enough to find it among the matches; when the matches are few for that, from
-- visiting them.

-- Catalog writers wait until this migration commits (see 0020).
LOCK TABLE product_search IN SHARE MODE;

CREATE TABLE search_facets (
  category_id bigint NOT NULL,
  block integer NOT NULL,
  -- The prices of the category's products in the block, in cents (fixed-width, so that
  -- width_bucket and slicing address elements directly), ascending; and their offsets
  -- (search_postings_offset), in the same order.
  cents bigint[] NOT NULL,
  offsets integer[] NOT NULL,
  PRIMARY KEY (category_id, block)
);
-- As search_postings: rewritten by each write, never compressed.
ALTER TABLE search_facets SET (toast_tuple_target = 8160);
ALTER TABLE search_facets ALTER COLUMN cents SET STORAGE EXTERNAL, ALTER COLUMN offsets SET STORAGE EXTERNAL;

CREATE FUNCTION search_facets_cents(price numeric) RETURNS bigint
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT RETURN (price * 100)::bigint;

-- Every product's facets, in one grouping: for seeding and for the catalog this migration finds.
CREATE FUNCTION search_facets_rebuild() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  work_mem_before text := current_setting('work_mem');
BEGIN
  PERFORM set_config('work_mem', '256MB', true);
  DELETE FROM search_facets;
  INSERT INTO search_facets (category_id, block, cents, offsets)
  SELECT category_id, search_postings_block(product_id),
         array_agg(search_facets_cents(price) ORDER BY price, product_id), array_agg(search_postings_offset(product_id) ORDER BY price, product_id)
    FROM product_search
   GROUP BY 1, 2;
  PERFORM set_config('work_mem', work_mem_before, true);
END $$;

SELECT search_facets_rebuild();
ANALYZE search_facets;

-- The changes of a statement: removed (category, price) of old rows and added ones of new rows,
-- applied per (category, block) in key order, so that concurrent writers lock the rows they share
-- in the same order (as search_postings_change). A few changes to a row are spliced in place, by
-- binary search; many (a bulk write) rebuild the row in one sort.
CREATE FUNCTION search_facets_change(product_ids bigint[], categories bigint[], prices numeric[], deltas integer[]) RETURNS void
  LANGUAGE plpgsql AS $$
DECLARE
  change record;
  kept_cents bigint[];
  kept_offsets integer[];
  at integer;
BEGIN
  FOR change IN
    SELECT c.category_id, search_postings_block(c.product_id) AS block,
           array_agg(search_postings_offset(c.product_id)) FILTER (WHERE c.delta < 0) AS removed_offsets,
           array_agg(search_facets_cents(c.price)) FILTER (WHERE c.delta > 0) AS added_cents,
           array_agg(search_postings_offset(c.product_id)) FILTER (WHERE c.delta > 0) AS added_offsets,
           count(*) AS changes
      FROM unnest(product_ids, categories, prices, deltas) AS c(product_id, category_id, price, delta)
     GROUP BY 1, 2 ORDER BY 1, 2
  LOOP
    -- A row once made is kept, emptied or not: a writer waiting for it then always finds it.
    INSERT INTO search_facets (category_id, block, cents, offsets) VALUES (change.category_id, change.block, '{}', '{}') ON CONFLICT DO NOTHING;
    SELECT f.cents, f.offsets INTO STRICT kept_cents, kept_offsets FROM search_facets f
     WHERE f.category_id = change.category_id AND f.block = change.block FOR UPDATE;
    IF change.changes > 32 THEN
      SELECT coalesce(array_agg(e.cents ORDER BY e.cents, e.o), '{}'), coalesce(array_agg(e.o ORDER BY e.cents, e.o), '{}')
        INTO kept_cents, kept_offsets
        FROM (SELECT k.cents, k.o FROM unnest(kept_cents, kept_offsets) AS k(cents, o)
               WHERE k.o <> ALL (coalesce(change.removed_offsets, '{}'))
               UNION ALL
              SELECT a.cents, a.o FROM unnest(change.added_cents, change.added_offsets) AS a(cents, o)) e;
    ELSE
      FOR i IN 1 .. coalesce(cardinality(change.removed_offsets), 0) LOOP
        at := array_position(kept_offsets, change.removed_offsets[i]);
        kept_cents := kept_cents[:at - 1] || kept_cents[at + 1:];
        kept_offsets := kept_offsets[:at - 1] || kept_offsets[at + 1:];
      END LOOP;
      FOR i IN 1 .. coalesce(cardinality(change.added_offsets), 0) LOOP
        -- After every price not above it: width_bucket counts them.
        at := CASE WHEN cardinality(kept_cents) = 0 THEN 0 ELSE width_bucket(change.added_cents[i], kept_cents) END;
        kept_cents := kept_cents[:at] || change.added_cents[i] || kept_cents[at + 1:];
        kept_offsets := kept_offsets[:at] || change.added_offsets[i] || kept_offsets[at + 1:];
      END LOOP;
    END IF;
    UPDATE search_facets f SET cents = kept_cents, offsets = kept_offsets WHERE f.category_id = change.category_id AND f.block = change.block;
  END LOOP;
END $$;

-- A write's old and new rows; an update only where the category or the price changed (a renamed
-- category rewrites documents alone). Transition tables cannot go with a column list (UPDATE OF).
CREATE FUNCTION product_search_facets_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed record;
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(product_id) AS ids, array_agg(category_id) AS categories, array_agg(price) AS prices, array_agg(1) AS deltas INTO changed FROM new_rows;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(product_id) AS ids, array_agg(category_id) AS categories, array_agg(price) AS prices, array_agg(-1) AS deltas INTO changed FROM old_rows;
  ELSE
    -- Planned on every run, for the rows it has (see 0022).
    EXECUTE $q$
      SELECT array_agg(r.product_id) AS ids, array_agg(r.category_id) AS categories, array_agg(r.price) AS prices, array_agg(r.delta) AS deltas
        FROM (SELECT o.product_id, o.category_id, o.price, -1 AS delta FROM old_rows o JOIN new_rows n USING (product_id)
               WHERE (n.category_id, n.price) IS DISTINCT FROM (o.category_id, o.price)
               UNION ALL
              SELECT n.product_id, n.category_id, n.price, 1 FROM old_rows o JOIN new_rows n USING (product_id)
               WHERE (n.category_id, n.price) IS DISTINCT FROM (o.category_id, o.price)) r$q$
      INTO changed;
  END IF;
  IF changed.ids IS NOT NULL THEN
    PERFORM search_facets_change(changed.ids, changed.categories, changed.prices, changed.deltas);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER product_search_facets_inserted AFTER INSERT ON product_search
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION product_search_facets_changed();
CREATE TRIGGER product_search_facets_updated AFTER UPDATE ON product_search
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION product_search_facets_changed();
CREATE TRIGGER product_search_facets_deleted AFTER DELETE ON product_search
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION product_search_facets_changed();

CREATE OR REPLACE FUNCTION product_search_lexemes_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE search_lexemes, search_postings, search_facets;
  RETURN NULL;
END $$;

-- Seeding (0013, 0020): the facets are built once, like the postings.
CREATE OR REPLACE FUNCTION search_counts_suspend() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('aforro.search_counts_suspended', 'on', true);
  ALTER TABLE product_search DISABLE TRIGGER product_search_lexemes_inserted;
  ALTER TABLE product_search DISABLE TRIGGER product_search_facets_inserted;
  ALTER TABLE product_search DISABLE TRIGGER product_search_size_added;
END $$;

CREATE OR REPLACE FUNCTION search_counts_resume() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO product_titles AS t (title, products)
  SELECT title, count(*) FROM products GROUP BY title
  ON CONFLICT (title) DO UPDATE SET products = excluded.products;
  PERFORM search_postings_rebuild();
  PERFORM search_facets_rebuild();
  DELETE FROM search_lexemes;
  INSERT INTO search_lexemes (lexeme, products) SELECT lexeme, sum(intarray.icount(offsets)) FROM search_postings GROUP BY lexeme;
  UPDATE catalog_size SET products = (SELECT count(*) FROM product_search);
  ALTER TABLE product_search ENABLE TRIGGER product_search_lexemes_inserted;
  ALTER TABLE product_search ENABLE TRIGGER product_search_facets_inserted;
  ALTER TABLE product_search ENABLE TRIGGER product_search_size_added;
  PERFORM set_config('aforro.search_counts_suspended', 'off', true);
END $$;

-- A block's offsets, ascending (as intarray's operators and width_bucket want them).
CREATE TYPE search_block AS (block integer, offsets integer[]);

-- The products of a category priced from min_price to max_price (either NULL: unbounded), block by
-- block.
CREATE FUNCTION search_facets_blocks(category bigint, min_price numeric, max_price numeric) RETURNS SETOF search_block
  LANGUAGE sql STABLE AS $$
  SELECT f.block, intarray.sort(f.offsets[from_at:to_at])
    FROM search_facets f,
         LATERAL (SELECT CASE WHEN min_price IS NULL THEN 1 ELSE width_bucket(ceil(min_price * 100)::bigint - 1, f.cents) + 1 END AS from_at,
                         CASE WHEN max_price IS NULL THEN cardinality(f.cents) ELSE width_bucket(floor(max_price * 100)::bigint, f.cents) END AS to_at) slice
   WHERE f.category_id = category AND from_at <= to_at;
$$;

-- A relevance page of words within a category and a price range, without visiting the matches
-- beyond the page when it can: rows (total, product_id, tier, position), the first with the exact
-- count, one with a NULL id when the page is empty; nothing when only the matches can tell (a
-- phrase word, see search_words_lexemes), when the category's name holds a word (its products may
-- then rank in the category tier), or when the page would cost more found this way than by the
-- text index (the caller's statement then reads it so). Tiers are those of every relevance search:
-- 0, every word in the title, by title length, title, then id (`anywhere` on the title, as the
-- words-only plan reads product_titles); 2, the rest, newest (highest id) first.
CREATE FUNCTION search_filtered_page(words text[], last_as_prefix boolean, category bigint, min_price numeric, max_price numeric,
    skip integer, take integer, cap integer)
  RETURNS TABLE (total bigint, product_id bigint, tier integer, "position" bigint)
  -- A page's rows, for the caller's join to products. The walk's estimate (every title's
  -- products) passes jit_above_cost: compiling took 11 ms of 24.
  LANGUAGE plpgsql STABLE ROWS 20 SET jit = off AS $$
DECLARE
  queries record;
  typed record;
  matches search_block[];
  matched bigint;
  word_matches bigint;
  budget bigint;
  walked_titles text[];
  walked_products bigint;
  walked_all boolean;
  each_title record;
  titled bigint[];
  titled_blocks search_block[];
  wanted integer := skip + take;
  lower_skip integer;
  lower_take integer;
  size integer;
  listed bigint := 0;
  each_block search_block;
BEGIN
  IF category IS NULL THEN
    RETURN QUERY SELECT 0::bigint, NULL::bigint, NULL::integer, NULL::bigint;
    RETURN;
  END IF;
  SELECT * INTO queries FROM search_queries(words, last_as_prefix);
  IF EXISTS (SELECT FROM categories c WHERE c.id = category AND to_tsvector('aforro_search', immutable_unaccent(c.name)) @@ queries.any_word) THEN
    RETURN;
  END IF;
  SELECT * INTO typed FROM search_words_lexemes(words, last_as_prefix);
  IF NOT FOUND THEN
    RETURN;
  END IF;
  IF typed.words_found < typed.words_count OR typed.words_count = 0 THEN
    RETURN QUERY SELECT 0::bigint, NULL::bigint, NULL::integer, NULL::bigint;
    RETURN;
  END IF;
  SELECT coalesce(array_agg((w.block, intarray._int_inter(w.offsets, f.offsets))::search_block ORDER BY w.block), '{}'),
         coalesce(sum(intarray.icount(w.offsets)), 0)
    INTO matches, word_matches
    FROM search_words_blocks(typed.words_count, typed.positions, typed.lexemes) w
    JOIN search_facets_blocks(category, min_price, max_price) f ON f.block = w.block;
  SELECT coalesce(sum(intarray.icount(m.offsets)), 0) INTO matched FROM unnest(matches) m;
  IF matched = 0 OR skip >= matched THEN
    RETURN QUERY SELECT matched, NULL::bigint, NULL::integer, NULL::bigint;
    RETURN;
  END IF;

  -- The title tier, walked in its order over the titles holding every word: a product in
  -- `matched` of `word_matches` is expected every word_matches / matched products, so four times
  -- as far finds the page but in rare runs of bad luck. Walking costs about a tenth of visiting a
  -- match: past that, the matches are visited (at most the cap).
  budget := 4 * wanted::bigint * word_matches / matched + 200;
  IF budget <= 10 * matched OR matched > cap THEN
    -- The titles as far as the budget (a loop stops there; window sums went through every title),
    -- then their products from the title index alone (archived ones are never matches), each kept
    -- when a match: found by binary search in its block's.
    walked_titles := '{}';
    walked_products := 0;
    walked_all := true;
    FOR each_title IN SELECT l.title, l.products FROM product_titles l WHERE title_document(l.title) @@ queries.anywhere ORDER BY char_length(l.title), l.title LOOP
      IF walked_products >= budget THEN
        walked_all := false;
        EXIT;
      END IF;
      walked_titles := walked_titles || each_title.title;
      walked_products := walked_products + each_title.products;
    END LOOP;
    SELECT coalesce(array_agg(p.id ORDER BY char_length(p.title), p.title, p.id), '{}') INTO titled
      FROM (SELECT p.id, p.title FROM products p WHERE p.title = ANY (walked_titles) OFFSET 0) p
      JOIN unnest(matches) m ON m.block = search_postings_block(p.id)
     WHERE m.offsets[width_bucket(search_postings_offset(p.id), m.offsets)] = search_postings_offset(p.id);
    IF cardinality(titled) >= wanted THEN
      RETURN QUERY SELECT matched, titled[n], 0, n::bigint FROM generate_series(skip + 1, wanted) AS n;
      RETURN;
    ELSIF walked_all THEN
      -- Every title walked: the rest of the matches are the lower tier, newest first.
      RETURN QUERY SELECT matched, titled[n], 0, n::bigint FROM generate_series(skip + 1, cardinality(titled)) AS n;
      SELECT coalesce(array_agg((b.block, intarray.sort(b.offsets))::search_block), '{}') INTO titled_blocks
        FROM (SELECT search_postings_block(id) AS block, array_agg(search_postings_offset(id)) AS offsets FROM unnest(titled) AS id GROUP BY 1) b;
      lower_skip := greatest(skip - cardinality(titled), 0);
      lower_take := wanted - greatest(skip, cardinality(titled));
      FOR each_block IN
        SELECT m.block, CASE WHEN t.offsets IS NULL THEN m.offsets ELSE intarray.intset_subtract(m.offsets, t.offsets) END
          FROM unnest(matches) m LEFT JOIN unnest(titled_blocks) t ON t.block = m.block ORDER BY m.block DESC
      LOOP
        EXIT WHEN lower_take <= 0;
        size := intarray.icount(each_block.offsets);
        IF lower_skip < size THEN
          RETURN QUERY SELECT matched, search_postings_product(each_block.block, u.o), 2, listed + u.n - lower_skip
                         FROM unnest(intarray.sort(each_block.offsets, 'desc')) WITH ORDINALITY AS u(o, n)
                        WHERE u.n > lower_skip ORDER BY u.n LIMIT lower_take;
          listed := listed + least(size - lower_skip, lower_take);
          lower_take := lower_take - (size - lower_skip);
        END IF;
        lower_skip := greatest(lower_skip - size, 0);
      END LOOP;
      RETURN;
    ELSIF matched > cap THEN
      RETURN;
    END IF;
  END IF;
  -- Few matches for the page: each visited, its tier from its document.
  RETURN QUERY
    SELECT matched, v.product_id, v.tier, row_number() OVER (ORDER BY v.tier, v.length, v.title, v.ascending, v.product_id DESC)
      FROM (SELECT s.product_id, CASE WHEN s.document @@ queries.in_title THEN 0 ELSE 2 END AS tier,
                   CASE WHEN s.document @@ queries.in_title THEN char_length(s.title) END AS length,
                   CASE WHEN s.document @@ queries.in_title THEN s.title END AS title,
                   CASE WHEN s.document @@ queries.in_title THEN s.product_id END AS ascending
              FROM product_search s
             WHERE s.product_id = ANY (ARRAY(SELECT search_postings_product(m.block, o) FROM unnest(matches) m, unnest(m.offsets) AS o))
             ORDER BY 2, 3, 4, 5, 1 DESC OFFSET skip LIMIT take) v;
END $$;
