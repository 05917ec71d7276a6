-- Search at a million products: query text built in SQL after normalisation, counts that stop at
-- the contract's cap, and a bulk rebuild of the projection for seeding.

-- A tsquery from words as the client typed them: each word is normalised first (unaccent) and
-- quoted after, so whatever unaccent makes of it (a deleted combining mark, an apostrophe, "(1)")
-- stays text; a word it empties is dropped. `operator` is & (every word) or | (any word); the
-- last word matches as a prefix when `last_as_prefix`; `weights` ('', 'A', 'AB') restricts where.
CREATE FUNCTION search_words_query(words text[], last_as_prefix boolean, weights text, operator text DEFAULT '&') RETURNS tsquery
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  RETURN to_tsquery('aforro_search', coalesce((
    SELECT string_agg(
             '''' || replace(replace(normalised, '\', '\\'), '''', '\''') || ''''
               || CASE WHEN position = cardinality(words) AND last_as_prefix THEN ':*' || weights
                       WHEN weights <> '' THEN ':' || weights ELSE '' END,
             CASE WHEN operator = '|' THEN ' | ' ELSE ' & ' END ORDER BY position)
      FROM unnest(words) WITH ORDINALITY AS w(word, position), immutable_unaccent(word) AS normalised
     WHERE normalised ~ '[[:alnum:]]'), ''));

-- How many products match `query`, exact below `cap`; at or above it (cap, false) when counting
-- further would cost more than it says. One word (or prefix) is counted from search_lexemes
-- without visiting its matches: exact whatever its size when it names one lexeme, capped when a
-- prefix names several (they may share products) and one of them alone reaches the cap. Anything
-- else counts at most cap + 1 matches of `matching`, the same query with its prefix expanded
-- (search_queries).
CREATE FUNCTION product_search_count_capped(query tsquery, matching tsquery, cap integer, OUT total bigint, OUT exact boolean)
  LANGUAGE plpgsql STABLE AS $$
DECLARE
  operand text;
  prefix boolean;
  lexemes integer;
  commonest integer;
BEGIN
  IF numnode(query) = 0 THEN
    total := 0;
    exact := true;
    RETURN;
  END IF;
  IF numnode(query) = 1 THEN
    -- One operand prints as 'lexeme' or 'lexeme':*, quotes and backslashes escaped.
    operand := replace(replace(substring(query::text FROM '^''(.*)'''), '''''', ''''), '\\', '\');
    prefix := query::text LIKE '%:*';
    IF prefix THEN
      -- Lexemes are words of letters and digits: none holds U+10FFFF, which bounds the range.
      SELECT count(*), max(products) INTO lexemes, commonest
        FROM search_lexemes l
       WHERE l.lexeme >= operand AND l.lexeme < operand || chr(1114111) AND starts_with(l.lexeme, operand) AND l.products > 0;
    ELSE
      SELECT count(*), max(products) INTO lexemes, commonest FROM search_lexemes l WHERE l.lexeme = operand AND l.products > 0;
    END IF;
    IF lexemes = 0 THEN
      total := 0;
      exact := true;
      RETURN;
    ELSIF lexemes = 1 THEN
      total := commonest;
      exact := true;
      RETURN;
    ELSIF commonest >= cap THEN
      total := cap;
      exact := false;
      RETURN;
    END IF;
  END IF;
  SELECT count(*) INTO total FROM (SELECT FROM product_search s WHERE s.document @@ matching LIMIT cap + 1) matches;
  exact := total <= cap;
  total := least(total, cap);
END $$;

-- Seeding: what the projection counts (product_titles, search_lexemes, catalog_size) is computed
-- once from the loaded catalog instead of chunk by chunk: kept per chunk, a title's row is
-- rewritten once per chunk holding it (200 times for a million products, leaving a table 25 times
-- its size), and each chunk's words are counted up one by one. The seeder calls
-- search_counts_suspend() before it loads products (whose trigger still writes product_search as
-- it goes), then search_counts_resume(), which counts all three in three set-based statements and
-- resumes the triggers, all in the seeding transaction: a reader sees the old catalog or the new
-- one with its counts, never between.
CREATE FUNCTION search_counts_suspend() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('aforro.search_counts_suspended', 'on', true);
  ALTER TABLE product_search DISABLE TRIGGER product_search_lexemes_inserted;
  ALTER TABLE product_search DISABLE TRIGGER product_search_size_added;
END $$;

CREATE FUNCTION search_counts_resume() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO product_titles AS t (title, products)
  SELECT title, count(*) FROM products GROUP BY title
  ON CONFLICT (title) DO UPDATE SET products = excluded.products;
  DELETE FROM search_lexemes;
  INSERT INTO search_lexemes (lexeme, products) SELECT word, ndoc FROM ts_stat('SELECT document FROM product_search');
  UPDATE catalog_size SET products = (SELECT count(*) FROM product_search);
  ALTER TABLE product_search ENABLE TRIGGER product_search_lexemes_inserted;
  ALTER TABLE product_search ENABLE TRIGGER product_search_size_added;
  PERFORM set_config('aforro.search_counts_suspended', 'off', true);
END $$;

-- As in 0009, but titles are not counted while a seed has suspended the counts.
CREATE OR REPLACE FUNCTION products_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO product_search (product_id, category_id, price, created_at, title, document)
  SELECT p.id, p.category_id, p.price, p.created_at, p.title, product_search_document(p.title, c.name, p.description)
    FROM new_products p JOIN categories c ON c.id = p.category_id;
  IF coalesce(current_setting('aforro.search_counts_suspended', true), 'off') <> 'on' THEN
    PERFORM product_titles_add(ARRAY(SELECT title FROM new_products));
  END IF;
  RETURN NULL;
END $$;

-- A query of lexemes as they are stored (no normalisation), any of them, each restricted to `weights`.
CREATE FUNCTION lexemes_query(lexemes text[], weights text) RETURNS tsquery
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  RETURN (SELECT string_agg('''' || replace(replace(lexeme, '\', '\\'), '''', '\''') || ''''
                              || CASE WHEN weights <> '' THEN ':' || weights ELSE '' END, ' | ')
            FROM unnest(lexemes) AS lexeme)::tsquery;

-- Every query text a search needs, computed once per search and passed to its statement as
-- constants, so that the planner estimates each from the column statistics. `counted` is the
-- query as written (product_search_count_capped reads one prefix's count from search_lexemes);
-- in the others a prefix that completes to a few lexemes is replaced by those lexemes: the text
-- index finds a handful of whole entries several times faster than it scans a prefix's range.
CREATE FUNCTION search_queries(words text[], last_as_prefix boolean,
  OUT counted tsquery, OUT anywhere tsquery, OUT in_title tsquery, OUT in_title_or_category tsquery, OUT any_word tsquery)
  LANGUAGE plpgsql STABLE AS $$
DECLARE
  last_lexemes text[];
  completions text[];
  head text[] := words[1:cardinality(words) - 1];
BEGIN
  counted := search_words_query(words, last_as_prefix, '');
  anywhere := counted;
  in_title := search_words_query(words, last_as_prefix, 'A');
  in_title_or_category := search_words_query(words, last_as_prefix, 'AB');
  any_word := search_words_query(words, last_as_prefix, '', '|');
  IF NOT last_as_prefix THEN
    RETURN;
  END IF;
  last_lexemes := tsvector_to_array(to_tsvector('aforro_search', immutable_unaccent(words[cardinality(words)])));
  IF cardinality(last_lexemes) <> 1 THEN
    RETURN;
  END IF;
  completions := ARRAY(
    SELECT lexeme FROM search_lexemes
     WHERE lexeme >= last_lexemes[1] AND lexeme < last_lexemes[1] || chr(1114111) AND starts_with(lexeme, last_lexemes[1])
       AND products > 0
     ORDER BY lexeme LIMIT 9);
  IF cardinality(completions) NOT BETWEEN 1 AND 8 THEN
    RETURN;
  END IF;
  IF cardinality(head) = 0 THEN
    anywhere := lexemes_query(completions, '');
    in_title := lexemes_query(completions, 'A');
    in_title_or_category := lexemes_query(completions, 'AB');
    any_word := anywhere;
  ELSE
    anywhere := search_words_query(head, false, '') && lexemes_query(completions, '');
    in_title := search_words_query(head, false, 'A') && lexemes_query(completions, 'A');
    in_title_or_category := search_words_query(head, false, 'AB') && lexemes_query(completions, 'AB');
    any_word := search_words_query(head, false, '', '|') || lexemes_query(completions, '');
  END IF;
END $$;

-- Replaced by search_words_query (text quoted after unaccent) and product_search_count_capped.
DROP FUNCTION product_search_count(tsquery);
DROP FUNCTION lexeme_query(text);
DROP FUNCTION product_search_query(text);
