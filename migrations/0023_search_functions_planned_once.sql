-- The search functions' own statements are planned once per session instead of on every call.
-- PL/pgSQL gives a statement with parameters a custom plan on each of its first five runs, and
-- then whenever the generic plan's estimate looks dearer than a custom one, which at a million
-- products it did on every call: each call re-planned its statements, the SQL functions inlined
-- into them included.
-- Their plans cannot gain from the values (arrays and tsqueries the planner cannot size), so the
-- planning was pure cost: 1.3 of 4.5 ms in word + category + price's intersection, 8.2 -> 6.0 ms
-- a call over the benchmark's mix at a million products, and 1.7 -> 1.4 ms a words count or page.
-- The setting holds inside the function and the functions it calls, not in the caller's
-- statement, whose plan is made for the query texts it is given (search_queries).
ALTER FUNCTION search_filtered_page(text[], boolean, bigint, numeric, numeric, integer, integer, integer) SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION search_words_total(text[], boolean, integer) SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION search_words_page(text[], boolean, integer, integer) SET plan_cache_mode = force_generic_plan;
