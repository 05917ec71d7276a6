-- The count of a words-only search, when search_lexemes knows it without visiting a match: one
-- row, (total, exact); no row when only the matches can tell (several words, or a prefix naming
-- several lexemes that are each below the cap). The search statement then counts the matches it
-- reads anyway for its page (at most cap + 1 of them), instead of a function reading them once
-- to count and the statement again to sort: that is what product_search_count_capped did.
CREATE FUNCTION search_lexemes_total(query tsquery, cap integer, OUT total bigint, OUT exact boolean) RETURNS SETOF record
  LANGUAGE plpgsql STABLE AS $$
DECLARE
  operand text;
  lexemes integer;
  commonest integer;
BEGIN
  IF numnode(query) = 0 THEN
    RETURN QUERY SELECT 0::bigint, true;
    RETURN;
  END IF;
  IF numnode(query) <> 1 THEN
    RETURN;
  END IF;
  -- One operand prints as 'lexeme' or 'lexeme':*, quotes and backslashes escaped.
  operand := replace(replace(substring(query::text FROM '^''(.*)'''), '''''', ''''), '\\', '\');
  IF query::text LIKE '%:*' THEN
    -- Lexemes are words of letters and digits: none holds U+10FFFF, which bounds the range.
    SELECT count(*), max(products) INTO lexemes, commonest
      FROM search_lexemes l
     WHERE l.lexeme >= operand AND l.lexeme < operand || chr(1114111) AND starts_with(l.lexeme, operand) AND l.products > 0;
  ELSE
    SELECT count(*), max(products) INTO lexemes, commonest FROM search_lexemes l WHERE l.lexeme = operand AND l.products > 0;
  END IF;
  IF lexemes = 0 THEN
    RETURN QUERY SELECT 0::bigint, true;
  ELSIF lexemes = 1 THEN
    RETURN QUERY SELECT commonest::bigint, true;
  ELSIF commonest >= cap THEN
    -- Several lexemes may share products: at least the commonest's, so at least the cap.
    RETURN QUERY SELECT cap::bigint, false;
  END IF;
END $$;

DROP FUNCTION product_search_count_capped(tsquery, tsquery, integer);
