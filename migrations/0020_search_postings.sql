-- Words counted without visiting their matches. Below the cap a words-only search must count
-- exactly, and through the text index that meant a heap visit per match: two broad words share
-- 3,000-7,000 products, each on its own page of product_search (266 MB at a million products, twice
-- the default shared_buffers), 12 ms warm and 35 ms cold for one count, where the page itself took
-- under a millisecond. A GIN index cannot answer a count alone (no index-only scans), so each word
-- also keeps its posting list here: the product ids of the documents holding it, as sorted integer
-- arrays, one row per lexeme and block of 65,536 ids. The products holding every word are the
-- intersection of the words' arrays, block by block: about 1 ms for the same count.
--
-- intarray (a trusted contrib extension, shipped with Postgres) gives the sorted-array union,
-- difference, intersection and count in C. It lives in its own schema, called by qualified name:
-- in public its operators would take over the built-in && and @> of every integer array.

-- Catalog writers wait until this migration commits: one committed under the old trigger after
-- the postings were built from product_search would be missing from them.
LOCK TABLE product_search IN SHARE MODE;

CREATE SCHEMA IF NOT EXISTS intarray;
CREATE EXTENSION IF NOT EXISTS intarray WITH SCHEMA intarray;

-- A product's place in the postings: its block of 65,536 ids and its offset there. Larger blocks
-- make a search read fewer rows (a two-word count reads 32 arrays at a million products), smaller
-- ones make a write rewrite shorter arrays: with blocks of 16,384 a count took 2.5-3 ms instead of
-- 1.6, a description-only prefix's page 6.7 instead of 1.2, for half a millisecond less a product
-- insert.
CREATE FUNCTION search_postings_block(product_id bigint) RETURNS integer
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT RETURN (product_id >> 16)::integer;
CREATE FUNCTION search_postings_offset(product_id bigint) RETURNS integer
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT RETURN (product_id & 65535)::integer;
CREATE FUNCTION search_postings_product(block integer, "offset" integer) RETURNS bigint
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT RETURN (block::bigint << 16) + "offset";

CREATE TABLE search_postings (
  lexeme text COLLATE "C" NOT NULL,
  block integer NOT NULL,
  -- search_postings_offset of each product of the block whose document holds the lexeme, ascending.
  offsets integer[] NOT NULL,
  PRIMARY KEY (lexeme, block)
);
-- Each catalog write rewrites the arrays of its words: an array up to 2,000 ids (8 KB) stays in
-- its row rather than in TOAST chunks to replace; never compressed (sorted ids hardly compress,
-- 58 MB either way). A common word's (5,000 ids a block) goes out of line.
ALTER TABLE search_postings SET (toast_tuple_target = 8160);
ALTER TABLE search_postings ALTER COLUMN offsets SET STORAGE EXTERNAL;

-- The changes of a statement to one posting array: offsets to add as themselves, offsets to remove
-- as -1 - offset, so that both fit the one row an INSERT … ON CONFLICT proposes.
CREATE FUNCTION search_postings_merged(current integer[], change integer[]) RETURNS integer[]
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  RETURN intarray._int_union(
    intarray.intset_subtract(current, ARRAY(SELECT -1 - o FROM unnest(change) AS o WHERE o < 0)),
    ARRAY(SELECT o FROM unnest(change) AS o WHERE o >= 0));

-- Like search_lexemes_count: one statement, rows written in key order, so that concurrent writers
-- (each changing the catalog in one statement, as the catalog adapter does) lock the posting rows
-- they share in the same order and cannot deadlock on them. `added` and `removed` are the new and
-- old documents of `product_ids`, either empty (an insert, a delete). A row is new only for added
-- products (a removed product's lexeme has its row): it holds no removal.
CREATE FUNCTION search_postings_change(product_ids bigint[], added tsvector[], removed tsvector[]) RETURNS void
  LANGUAGE sql AS $$
  INSERT INTO search_postings AS p (lexeme, block, offsets)
  SELECT lexeme, search_postings_block(product_id),
         array_agg(CASE WHEN delta > 0 THEN search_postings_offset(product_id) ELSE -1 - search_postings_offset(product_id) END ORDER BY product_id)
    FROM (SELECT lexeme, product_id, sum(delta) AS delta FROM (
            SELECT lexeme, product_id, 1 AS delta FROM unnest(product_ids, added, removed) AS d(product_id, added, removed), unnest(tsvector_to_array(d.added)) AS lexeme
            UNION ALL
            SELECT lexeme, product_id, -1 FROM unnest(product_ids, added, removed) AS d(product_id, added, removed), unnest(tsvector_to_array(d.removed)) AS lexeme) changes
           GROUP BY lexeme, product_id HAVING sum(delta) <> 0) net
   GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT (lexeme, block) DO UPDATE SET offsets = search_postings_merged(p.offsets, excluded.offsets);
$$;

-- The trigger of 0009, keeping the postings beside the per-word counts, from the same rows.
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
    SELECT array_agg(n.product_id), array_agg(ts_delete(n.document, tsvector_to_array(o.document))),
           array_agg(ts_delete(o.document, tsvector_to_array(n.document)))
      INTO product_ids, added, removed
      FROM new_rows n JOIN old_rows o USING (product_id) WHERE n.document <> o.document;
  END IF;
  PERFORM search_lexemes_count(coalesce(added, '{}'), coalesce(removed, '{}'));
  PERFORM search_postings_change(coalesce(product_ids, '{}'), coalesce(added, '{}'), coalesce(removed, '{}'));
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION product_search_lexemes_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE search_lexemes, search_postings;
  RETURN NULL;
END $$;

-- The postings of every document, in one grouping: for seeding and for the catalog this migration
-- finds. 11.7 million (lexeme, product) pairs at a million products are grouped in memory rather
-- than in spilled batches; ids arrive in heap order, nearly ascending, so sorting each array is
-- about a pass over it.
CREATE FUNCTION search_postings_rebuild() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  work_mem_before text := current_setting('work_mem');
BEGIN
  PERFORM set_config('work_mem', '256MB', true);
  DELETE FROM search_postings;
  INSERT INTO search_postings (lexeme, block, offsets)
  SELECT lexeme, search_postings_block(product_id), intarray.sort(array_agg(search_postings_offset(product_id)))
    FROM product_search, unnest(tsvector_to_array(document)) AS lexeme
   GROUP BY 1, 2;
  PERFORM set_config('work_mem', work_mem_before, true);
END $$;

SELECT search_postings_rebuild();
ANALYZE search_postings;

-- Seeding (0013): the postings are built once, by one grouping over every document, and the
-- per-word counts are their sizes, instead of a second pass over the documents by ts_stat.
CREATE OR REPLACE FUNCTION search_counts_resume() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO product_titles AS t (title, products)
  SELECT title, count(*) FROM products GROUP BY title
  ON CONFLICT (title) DO UPDATE SET products = excluded.products;
  PERFORM search_postings_rebuild();
  DELETE FROM search_lexemes;
  INSERT INTO search_lexemes (lexeme, products) SELECT lexeme, sum(intarray.icount(offsets)) FROM search_postings GROUP BY lexeme;
  UPDATE catalog_size SET products = (SELECT count(*) FROM product_search);
  ALTER TABLE product_search ENABLE TRIGGER product_search_lexemes_inserted;
  ALTER TABLE product_search ENABLE TRIGGER product_search_size_added;
  PERFORM set_config('aforro.search_counts_suspended', 'off', true);
END $$;

-- Intersection (and union) of posting arrays, as aggregates: a strict state function starts from
-- the first array.
CREATE AGGREGATE search_postings_common(integer[]) (SFUNC = intarray._int_inter, STYPE = integer[]);
CREATE AGGREGATE search_postings_any(integer[]) (SFUNC = intarray._int_union, STYPE = integer[]);

-- The lexemes of a words-only search, as search_words_total and search_words_page read them: one
-- row, or none when a word is not a single token of one lexeme (the parser splits it, and the
-- search matches it as a phrase: only its matches can tell). Words are normalised as
-- search_words_query does, and a stop word is left out as to_tsquery leaves it out (with the
-- prefix it would have been); the last word, when `last_as_prefix`, stands for every lexeme it
-- begins. `positions` and `lexemes` pair each word's number with the lexemes found for it; a word
-- with none leaves fewer `words_found` than `words_count`, and nothing matches.
CREATE FUNCTION search_words_lexemes(words text[], last_as_prefix boolean,
  OUT words_count integer, OUT words_found integer, OUT positions integer[], OUT lexemes text[], OUT commonest integer) RETURNS SETOF record
  LANGUAGE plpgsql STABLE AS $$
DECLARE
  firsts text[];
  prefixes boolean[];
  countable boolean;
BEGIN
  -- One token of one lexeme is what to_tsquery makes a single operand of; no lexeme at all, a stop
  -- word it leaves out. (Scalar calls, not FROM items: those are inlined, not run as functions.)
  SELECT array_agg(lexeme ORDER BY position) FILTER (WHERE lexeme_count = 1), array_agg(prefix ORDER BY position) FILTER (WHERE lexeme_count = 1),
         coalesce(bool_and(lexeme_count = 0 OR (lexeme_count = 1 AND tokens = 1)), true)
    INTO firsts, prefixes, countable
    FROM (SELECT position, length(document) AS lexeme_count, (tsvector_to_array(document))[1] AS lexeme,
                 (SELECT sum(cardinality(t.at)) FROM unnest(document) AS t(lexeme, at, weights)) AS tokens,
                 last_as_prefix AND position = cardinality(words) AS prefix
            FROM (SELECT position, to_tsvector('aforro_search', normalised) AS document
                    FROM (SELECT position, immutable_unaccent(word) AS normalised FROM unnest(words) WITH ORDINALITY AS w(word, position)) w
                   WHERE normalised ~ '[[:alnum:]]') d) typed;
  IF NOT countable THEN
    RETURN;
  END IF;
  words_count := coalesce(cardinality(firsts), 0);
  -- Lexemes are words of letters and digits: none holds U+10FFFF, which bounds a prefix's range.
  SELECT count(DISTINCT position), array_agg(position), array_agg(lexeme), max(products) INTO words_found, positions, lexemes, commonest
    FROM (SELECT f.position, l.lexeme, l.products
            FROM unnest(firsts, prefixes) WITH ORDINALITY AS f(first, prefix, position) JOIN search_lexemes l ON l.lexeme = f.first
           WHERE NOT f.prefix AND l.products > 0
           UNION ALL
          SELECT f.position, l.lexeme, l.products
            FROM unnest(firsts, prefixes) WITH ORDINALITY AS f(first, prefix, position)
            JOIN search_lexemes l ON l.lexeme >= f.first AND l.lexeme < f.first || chr(1114111) AND starts_with(l.lexeme, f.first)
           WHERE f.prefix AND l.products > 0) found;
  RETURN NEXT;
END $$;

-- The products holding every word, block by block: each word's lexemes united, the words
-- intersected, in the blocks where every word has some.
CREATE FUNCTION search_words_blocks(words_count integer, positions integer[], lexemes text[]) RETURNS TABLE (block integer, offsets integer[])
  LANGUAGE sql STABLE AS $$
  SELECT block, search_postings_common(offsets)
    FROM (SELECT w.position, p.block, search_postings_any(p.offsets) AS offsets
            FROM unnest(positions, lexemes) AS w(position, lexeme) JOIN search_postings p ON p.lexeme = w.lexeme
           WHERE p.lexeme = ANY (lexemes)
           GROUP BY 1, 2) per_word
   GROUP BY block HAVING count(*) = words_count;
$$;

-- search_lexemes_total (0018) and the `counted` query of search_queries (0013) are what instances
-- of the previous release call until a rolling deploy has replaced them; a later migration drops them.
--
-- The count of a words-only search without visiting a match: one row (total, exact), or none when
-- only the matches can tell (see search_words_lexemes). Exact at any size, except one prefix alone
-- whose commonest lexeme reaches the cap: (cap, false), as search_lexemes_total (0018) answered,
-- without reading its postings. One lexeme alone is read from search_lexemes.
CREATE FUNCTION search_words_total(words text[], last_as_prefix boolean, cap integer, OUT total bigint, OUT exact boolean) RETURNS SETOF record
  LANGUAGE plpgsql STABLE AS $$
DECLARE
  typed record;
BEGIN
  SELECT * INTO typed FROM search_words_lexemes(words, last_as_prefix);
  IF NOT FOUND THEN
    RETURN;
  ELSIF typed.words_found < typed.words_count OR typed.words_count = 0 THEN
    RETURN QUERY SELECT 0::bigint, true;
  ELSIF typed.words_count = 1 AND cardinality(typed.lexemes) = 1 THEN
    RETURN QUERY SELECT typed.commonest::bigint, true;
  ELSIF typed.words_count = 1 AND typed.commonest >= cap THEN
    -- Several lexemes may share products: at least the commonest's, so at least the cap.
    RETURN QUERY SELECT cap::bigint, false;
  ELSE
    RETURN QUERY SELECT coalesce(sum(intarray.icount(b.offsets)), 0)::bigint, true
                   FROM search_words_blocks(typed.words_count, typed.positions, typed.lexemes) b;
  END IF;
END $$;

-- The products holding every word, most recently added (highest id) first, from `skip` on, at most
-- `take`: the postings are in id order, so a page is read from the last blocks back, however deep,
-- without visiting a match. Nothing when search_words_lexemes cannot tell.
CREATE FUNCTION search_words_page(words text[], last_as_prefix boolean, skip integer, take integer) RETURNS TABLE (product_id bigint)
  LANGUAGE plpgsql STABLE AS $$
DECLARE
  typed record;
  each_block record;
  size integer;
BEGIN
  SELECT * INTO typed FROM search_words_lexemes(words, last_as_prefix);
  IF NOT FOUND OR typed.words_found < typed.words_count OR typed.words_count = 0 THEN
    RETURN;
  END IF;
  FOR each_block IN SELECT * FROM search_words_blocks(typed.words_count, typed.positions, typed.lexemes) b ORDER BY b.block DESC LOOP
    EXIT WHEN take <= 0;
    size := intarray.icount(each_block.offsets);
    IF skip < size THEN
      RETURN QUERY SELECT search_postings_product(each_block.block, o)
                     FROM unnest(intarray.sort(each_block.offsets, 'desc')) AS o OFFSET skip LIMIT take;
      take := take - (size - skip);
    END IF;
    skip := greatest(skip - size, 0);
  END LOOP;
END $$;
