import { createHash } from 'node:crypto'
import { offsetOf } from './page-offset.js'
import { SEARCH_COUNT_CAP, type ProductSearchCriteria, type ProductSort } from '../../application/catalog/ports/product-search.js'

/**
 * SQL text and its parameters, exposed so that benchmarks can EXPLAIN exactly what runs. A `name`
 * makes it a prepared statement, planned once per connection instead of on every search.
 */
export interface Statement {
  name?: string
  text: string
  values: unknown[]
}

/**
 * The shapes a search can take, each one statement below:
 * - `store`: a store's products (hundreds), every match visited and counted exactly;
 * - `ranked-words`: words alone by relevance: the title tier read from the distinct titles;
 * - `ranked-filtered`: words and filters by relevance, below the cap: the page sorted from every
 *   match; at the cap it answers the count alone, and `ranked-filtered-tiers` the page;
 * - `ranked-filtered-tiers`: words and filters by relevance past the cap: each tier read in its own order;
 * - `sorted`: by price or newest, with or without words: the page read in index order.
 */
export type SearchPlanName = 'store' | 'ranked-words' | 'ranked-filtered' | 'ranked-filtered-tiers' | 'sorted'

/**
 * How the count is found:
 * - `catalog`: the whole catalog, from its kept size;
 * - `stocked` / `unstocked`: in stock somewhere (or nowhere), from the in-stock inventory index;
 * - `words`: words alone, from the per-word counts and posting lists when they tell
 *   (search_words_total), or else like `capped`;
 * - `capped`: by counting matches up to SEARCH_COUNT_CAP + 1;
 * - `exact`: by counting every match (a store's, a few hundred);
 * - `at-cap`: known to reach the cap (a statement run after one that counted as far).
 */
export type CountMethod = 'catalog' | 'stocked' | 'unstocked' | 'words' | 'capped' | 'exact' | 'at-cap'

export interface SearchPlan {
  name: SearchPlanName
  count: CountMethod
  /**
   * Prepared (planned once per connection, then a generic plan) or planned for its values on
   * every run. Words and a category or price filter together leave the planner a choice the
   * values decide: a generic plan walks the category's price range and tests every document
   * (150-250 ms where the bitmap intersection the values call for takes 20).
   */
  prepared: boolean
  /** The plan that reads the page when this one's count reaches the cap. */
  pastCap?: SearchPlanName
}

function hasFilters({ category, minPrice, maxPrice, inStock }: ProductSearchCriteria): boolean {
  return category !== undefined || minPrice !== undefined || maxPrice !== undefined || inStock !== undefined
}

/** Chooses the statement and the count for criteria; pure, so each choice is unit-tested. */
export function planSearch(criteria: ProductSearchCriteria): SearchPlan {
  if (criteria.storeId !== undefined) return { name: 'store', count: 'exact', prepared: true }
  const filtered = hasFilters(criteria)
  if (criteria.words.length === 0) {
    const onlyStock = criteria.inStock !== undefined && criteria.category === undefined && criteria.minPrice === undefined && criteria.maxPrice === undefined
    if (onlyStock) return { name: 'sorted', count: criteria.inStock ? 'stocked' : 'unstocked', prepared: true }
    return { name: 'sorted', count: filtered ? 'capped' : 'catalog', prepared: true }
  }
  const prepared = criteria.category === undefined && criteria.minPrice === undefined && criteria.maxPrice === undefined
  if (!filtered) return { name: criteria.sort === 'relevance' ? 'ranked-words' : 'sorted', count: 'words', prepared }
  if (criteria.sort !== 'relevance') return { name: 'sorted', count: 'capped', prepared }
  return { name: 'ranked-filtered', count: 'capped', prepared, pastCap: 'ranked-filtered-tiers' }
}

/**
 * Planning a ranked statement (hundreds of plan nodes, most never run) took 5-30 ms, more than
 * running it: each distinct text of a prepared plan (one per plan and combination of filters, a
 * few dozen in all) gets a name of its own, so Postgres plans it on its first runs on a connection
 * and then keeps a generic plan (plan_cache_mode auto). Their walks in index order stop on their
 * own, whatever the estimates.
 */
const statementName = (text: string) => `search-${createHash('sha1').update(text).digest('hex').slice(0, 20)}`

/** The last word matches as a prefix from this length on; shorter prefixes match most of the catalog. */
const MIN_PREFIX_LENGTH = 3

/**
 * The tsquery texts of a search's words (see search_queries in migration 0013): computed first,
 * in their own round trip, so that the search statement holds them as constants the planner can
 * estimate, rather than as calls it cannot see through.
 */
export interface SearchQueries {
  /** Every word anywhere; in the title (A); in the title or the category name (AB); any word. */
  anywhere: string
  inTitle: string
  inTitleOrCategory: string
  anyWord: string
}

/** Whether the last word stands for every word it begins. */
const lastWordIsPrefix = (words: string[]) => words.length > 0 && [...(words.at(-1) as string)].length >= MIN_PREFIX_LENGTH

export function queriesStatement(words: string[]): Statement {
  return {
    text: `SELECT anywhere::text, in_title::text AS "inTitle", in_title_or_category::text AS "inTitleOrCategory", any_word::text AS "anyWord"
             FROM search_queries($1::text[], $2::boolean)`,
    values: [words, lastWordIsPrefix(words)],
    name: 'search-queries',
  }
}

/** What the statements use of the queries when there are no words: nothing matches them, and nothing reads them. */
const NO_WORDS: SearchQueries = { anywhere: '', inTitle: '', inTitleOrCategory: '', anyWord: '' }

/** Each order ends in the product id, so that equal keys never make pages overlap. */
const SORT_ORDER: Record<Exclude<ProductSort, 'relevance'>, string> = {
  newest: 'created_at DESC, product_id DESC',
  price: 'price, product_id',
  '-price': 'price DESC, product_id DESC',
}
/** Within the title tier: shorter titles first (the words are more of the title), then the title. */
const TITLE_TIER_ORDER = 'char_length(title), title, product_id'
/**
 * The category and description tiers: most recently added first. product_search is stored in id
 * order, so a walk in this order reads its pages one after another (a walk of the newest index
 * visited a page per row), and the posting lists are in this order, so a description tier alone is
 * paged from them without visiting a match (search_words_page).
 */
const LOWER_TIER_ORDER = 'product_id DESC'

/**
 * The values of a statement being written, each named in the text as {{name}} until bound: only
 * the values the text uses become parameters ($1, $2… in order of first use), since Postgres
 * refuses a parameter it cannot type.
 */
class Params {
  private readonly named = new Map<string, unknown>()
  add(name: string, value: unknown, cast: string): string {
    this.named.set(name, value)
    return `{{${name}}}::${cast}`
  }
  bind(text: string): Statement {
    const order: string[] = []
    const bound = text.replace(/\{\{(\w+)\}\}/g, (_match, name: string) => {
      if (!order.includes(name)) order.push(name)
      return `$${order.indexOf(name) + 1}`
    })
    return { text: bound, values: order.map((name) => this.named.get(name)) }
  }
}

interface Context {
  params: Params
  /** Placeholders of the words and whether the last is a prefix, as search_words_total counts them. */
  words: string
  lastAsPrefix: string
  /** Placeholders of the queries (see SearchQueries). */
  anywhere: string
  inTitle: string
  inTitleOrCategory: string
  anyWord: string
  /** Filter conditions on product_search `s` (and inventory `i` for a store). */
  filters: string[]
  limit: string
  offset: string
  pageEnd: string
  cap: string
}

function contextOf(criteria: ProductSearchCriteria, queries: SearchQueries): Context {
  const params = new Params()
  const limit = params.add('limit', criteria.page.pageSize, 'integer')
  const offset = params.add('offset', offsetOf(criteria.page), 'integer')
  const context: Context = {
    params,
    words: params.add('words', criteria.words, 'text[]'),
    lastAsPrefix: params.add('last_as_prefix', lastWordIsPrefix(criteria.words), 'boolean'),
    anywhere: params.add('anywhere', queries.anywhere, 'tsquery'),
    inTitle: params.add('in_title', queries.inTitle, 'tsquery'),
    inTitleOrCategory: params.add('in_title_or_category', queries.inTitleOrCategory, 'tsquery'),
    anyWord: params.add('any_word', queries.anyWord, 'tsquery'),
    filters: [],
    limit,
    offset,
    pageEnd: `(${offset} + ${limit})`,
    cap: params.add('cap', SEARCH_COUNT_CAP, 'integer'),
  }
  const { category, minPrice, maxPrice, inStock, storeId } = criteria
  const filters = context.filters
  if (category !== undefined) filters.push(`s.category_id = ${categoryIdOf(category, params)}`)
  if (minPrice !== undefined) filters.push(`s.price >= ${params.add('min_price', minPrice, 'numeric')}`)
  if (maxPrice !== undefined) filters.push(`s.price <= ${params.add('max_price', maxPrice, 'numeric')}`)
  if (inStock !== undefined && storeId !== undefined) filters.push(inStock ? 'i.quantity > 0' : 'i.quantity = 0')
  if (inStock !== undefined && storeId === undefined) filters.push(`${inStock ? '' : 'NOT '}${STOCKED_SOMEWHERE}`)
  if (criteria.words.length > 0) filters.push(`s.document @@ ${context.anywhere}`)
  return context
}

/** The id of a category filter (NULL when no category has the name). */
const categoryIdOf = (category: NonNullable<ProductSearchCriteria['category']>, params: Params) =>
  'id' in category
    ? params.add('category', category.id, 'bigint')
    : `(SELECT id FROM categories WHERE lower(name) = lower(${params.add('category', category.name, 'text')}))`

const STOCKED_SOMEWHERE = 'EXISTS (SELECT 1 FROM inventory stocked WHERE stocked.product_id = s.product_id AND stocked.quantity > 0)'
// Archived products' stock counts nowhere: the few archived ones in stock (products_archived_idx)
// are taken off the count of the partial index, instead of checking each stocked product.
const STOCKED_PRODUCTS = `SELECT (SELECT count(*) FROM (SELECT DISTINCT product_id FROM inventory WHERE quantity > 0) stocked)
     - (SELECT count(DISTINCT p.id) FROM products p JOIN inventory i ON i.product_id = p.id
         WHERE p.archived_at IS NOT NULL AND i.quantity > 0)`

const where = (conditions: string[]) => (conditions.length === 0 ? 'true' : conditions.join('\n       AND '))

/** `total` and `exact` of the matches, as the plan counts them. */
function countOf(method: CountMethod, c: Context): string {
  switch (method) {
    case 'catalog':
      return 'SELECT products AS total, true AS exact FROM catalog_size'
    case 'stocked':
      return `SELECT (${STOCKED_PRODUCTS}) AS total, true AS exact`
    case 'unstocked':
      return `SELECT (SELECT products FROM catalog_size) - (${STOCKED_PRODUCTS}) AS total, true AS exact`
    case 'words':
      // The outer condition is checked before the count: matches are read only when known is empty.
      return `SELECT total, exact FROM known
    UNION ALL
    SELECT least(n, ${c.cap}), n <= ${c.cap} FROM (SELECT count(*) AS n FROM matches) counted WHERE NOT EXISTS (SELECT FROM known)`
    case 'capped':
      // matches holds at most cap + 1: enough to tell "exact" from "at least the cap".
      return `SELECT least(count(*), ${c.cap}) AS total, count(*) <= ${c.cap} AS exact FROM matches`
    case 'exact':
      return 'SELECT count(*) AS total, true AS exact FROM matches'
    case 'at-cap':
      return `SELECT ${c.cap}::bigint AS total, false AS exact`
  }
}

/**
 * Every statement answers the same rows: the count on every row (one row with a NULL id when the
 * page is empty), whether the store exists, and the page's products in order. `page` yields
 * (product_id, quantity, tier, position): the order is tier, then position within the tier.
 */
function answer(c: Context, ctes: string[], storeFound: string): string {
  // The page never holds more than its size (each tier takes only what the ones before left);
  // saying so lets the planner fetch each product by its key instead of joining whole tables.
  return `
  WITH ${ctes.join(',\n  ')}
  SELECT total.total, total.exact, ${storeFound} AS store_found,
         p.id, p.title, p.description, p.price, p.created_at, c.id AS category_id, c.name AS category_name, page.quantity
    FROM total
    LEFT JOIN ((SELECT * FROM page ORDER BY tier, position LIMIT ${c.limit}) page
               JOIN products p ON p.id = page.product_id JOIN categories c ON c.id = p.category_id) ON true
   ORDER BY page.tier, page.position`
}

/** How many rows of an index order a walk reads at most before it gives up on finding `n` matches there. */
const walkLength = (n: string) => `least(greatest(${n}, 0) * 100 + 1000, 20000)`

/**
 * The first `n` matches of the conditions in `order`. With `walk` (the order is an index's), top-N
 * with early termination: the first rows of the index are read in order and filtered, which finds
 * a common word's page after a few hundred rows whatever the planner estimates; when they hold
 * fewer than `n` matches, the matches are rare enough to be read through the text index, all of
 * them, and sorted. Without `walk`, as the planner chooses.
 */
function firstMatches(conditions: string[], order: string, n: string, walk: boolean): string {
  const columns = 's.product_id, s.price, s.created_at, s.title'
  if (!walk) return `SELECT ${columns} FROM product_search s WHERE ${where(conditions)} ORDER BY ${order} LIMIT greatest(${n}, 0)`
  return `WITH walked AS MATERIALIZED (
        SELECT ${columns} FROM (SELECT * FROM product_search ORDER BY ${order} LIMIT ${walkLength(n)}) s
         WHERE ${where(conditions)} ORDER BY ${order} LIMIT greatest(${n}, 0)
      ),
      enough AS (SELECT count(*) >= greatest(${n}, 0) AS found FROM walked),
      every_match AS MATERIALIZED (SELECT ${columns} FROM product_search s WHERE ${where(conditions)} AND NOT (SELECT found FROM enough))
      SELECT * FROM walked WHERE (SELECT found FROM enough)
      UNION ALL
      (SELECT * FROM every_match ORDER BY ${order} LIMIT greatest(${n}, 0))`
}

/**
 * One tier's slice of the page: its matches in `order`, from `skip` of them, at most `take`,
 * numbered in that order.
 */
function slice(tier: number, conditions: string[], order: string, take: string, skip: string, walk = true): string {
  return `SELECT product_id, NULL::integer AS quantity, ${tier} AS tier, row_number() OVER (ORDER BY ${order}) AS position
      FROM (SELECT * FROM (${firstMatches(conditions, order, `greatest(${skip}, 0) + greatest(${take}, 0)`, walk)}) first_matches
             ORDER BY ${order} LIMIT greatest(${take}, 0) OFFSET greatest(${skip}, 0)) tier_${tier}`
}

/** Up to `limit` matches of a lower tier, counted: how many of it come before a page. */
const countUpTo = (conditions: string[], limit: string, walk: boolean) =>
  `(SELECT count(*) FROM (${firstMatches(conditions, LOWER_TIER_ORDER, limit, walk)}) counted)`

/** A page past the last counted match reads nothing, however deep. */
const withinCount = (c: Context) => `${c.offset} < (SELECT total FROM total)`

/** Categories whose name holds some word: only their products can match in the category tier. */
const categoriesNamed = (c: Context) => `ARRAY(SELECT id FROM categories WHERE to_tsvector('aforro_search', immutable_unaccent(name)) @@ ${c.anyWord})`

/**
 * The category tier (every word in the title or the category name, not all in the title) and the
 * description tier (the rest), after `before` products of the title tier. Each is read newest
 * first; the description tier only when the page reaches past the category tier, which is then
 * counted no further than the page needs.
 */
function lowerTiers(c: Context, before: string, when: string[] = []): string[] {
  // No category named by a word: the tier is empty, and neither read nor counted.
  const inCategoryTier = [
    ...c.filters,
    `s.category_id = ANY (${categoriesNamed(c)})`,
    `cardinality(${categoriesNamed(c)}) > 0`,
    `s.document @@ ${c.inTitleOrCategory}`,
    `NOT s.document @@ ${c.inTitle}`,
  ]
  const inDescriptionTier = [...c.filters, `NOT s.document @@ ${c.inTitleOrCategory}`]
  const afterTitles = `${c.offset} - ${before}`
  const inCategories = `category_tier_before_page`
  return [
    slice(
      1,
      [...inCategoryTier, `${c.pageEnd} > ${before}`, withinCount(c), ...when],
      LOWER_TIER_ORDER,
      `least(${c.limit}, ${c.pageEnd} - ${before})`,
      afterTitles,
    ),
    `SELECT tier_2_page.* FROM (SELECT ${countUpTo(inCategoryTier, `${c.pageEnd} - ${before}`, true)} AS ${inCategories}) counted, LATERAL (${slice(
      2,
      [...inDescriptionTier, `${c.pageEnd} > ${before} + ${inCategories}`, withinCount(c), ...when],
      LOWER_TIER_ORDER,
      `least(${c.limit}, ${c.pageEnd} - ${before} - ${inCategories})`,
      `${c.offset} - ${before} - ${inCategories}`,
    )}) tier_2_page`,
  ]
}

/** Relevance over a set of matches that carry their tier: the tiers in turn, each in its own order. */
const RELEVANCE_ORDER = `tier, CASE WHEN tier = 0 THEN char_length(title) END, CASE WHEN tier = 0 THEN title END,
         CASE WHEN tier = 0 THEN product_id END, ${LOWER_TIER_ORDER}`

const tierOf = (c: Context) => `CASE WHEN s.document @@ ${c.inTitle} THEN 0 WHEN s.document @@ ${c.inTitleOrCategory} THEN 1 ELSE 2 END`

/**
 * Matches read once with their sort keys (at most cap + 1 of them when `capped`): the count comes
 * from them, and, when they are every match, the page too, sorted in memory.
 */
function matchesOf(c: Context, criteria: ProductSearchCriteria, capped: boolean, store?: string): string {
  const source = store === undefined ? 'product_search s' : `inventory i JOIN product_search s ON s.product_id = i.product_id AND i.store_id = ${store}`
  return `matches AS MATERIALIZED (
    SELECT s.product_id, ${store === undefined ? 'NULL::integer' : 'i.quantity'} AS quantity, s.price, s.created_at, s.title,
           ${criteria.sort === 'relevance' ? tierOf(c) : '0'} AS tier
      FROM ${source}
     WHERE ${where(c.filters)}${
       capped
         ? `
     LIMIT ${c.cap} + 1`
         : ''
     }
  )`
}

/** The page sorted from every match (`matches`), when `when` holds. */
const pageOfMatches = (c: Context, order: string, when = 'true') =>
  `SELECT product_id, quantity, 0 AS tier, row_number() OVER (ORDER BY ${order}) AS position
      FROM (SELECT * FROM matches WHERE ${when} ORDER BY ${order} LIMIT ${c.limit} OFFSET ${c.offset}) paged`

/**
 * Whether `matches` (at most cap + 1) holds every match, so that the page can be sorted from it: the
 * count is exact and within the cap (a words count can be exact far above it, from search_words_total).
 */
const everyMatchRead = (c: Context) => `(SELECT exact AND total <= ${c.cap} FROM total)`

/**
 * The CTEs a count needs: the capped and words counts read `matches` (the words count only when
 * search_words_total cannot tell, `known` being then empty).
 */
function countSources(c: Context, criteria: ProductSearchCriteria, plan: SearchPlan): string[] {
  if (plan.count === 'capped') return [matchesOf(c, criteria, true)]
  if (plan.count !== 'words') return []
  return [`known AS MATERIALIZED (SELECT total, exact FROM search_words_total(${c.words}, ${c.lastAsPrefix}, ${c.cap}))`, matchesOf(c, criteria, true)]
}

type StatementBuilder = (c: Context, criteria: ProductSearchCriteria, plan: SearchPlan) => Statement

/** The statement of each plan (pg-boss plans.ts style: one named builder per shape). */
export const SEARCH_STATEMENTS: Record<SearchPlanName, StatementBuilder> = {
  /*
   * A count from the matches (capped, or words that search_words_total cannot count): below the cap
   * they are every match and the page is sorted from them; so is it when search_words_total counts
   * fewer than the cap (read through the text index: a walk in index order would pass over most
   * of the catalog to find a rare word's page). Above the cap matches are common, and the page is
   * read in index order, which stops after it. The other counts need no matches.
   */
  sorted(c, criteria, plan) {
    const order = SORT_ORDER[criteria.sort === 'relevance' ? 'newest' : criteria.sort]
    const sources = countSources(c, criteria, plan)
    const fromMatches = sources.length > 0
    const inIndexOrder = slice(0, [...c.filters, withinCount(c), ...(fromMatches ? [`NOT ${everyMatchRead(c)}`] : [])], order, c.limit, c.offset)
    const ctes = [
      ...sources,
      `total AS (${countOf(plan.count, c)})`,
      `page AS (${fromMatches ? `(${pageOfMatches(c, order, everyMatchRead(c))})\n    UNION ALL\n    (${inIndexOrder})` : inIndexOrder})`,
    ]
    return c.params.bind(answer(c, ctes, 'NULL::boolean'))
  },

  /*
   * The title tier comes from the distinct titles holding every word, shortest first, then each
   * title's products by id: positions in it are known before any product is read (each title's
   * products follow those of the titles before it), so only the titles the page overlaps are
   * walked, however deep the page. When every match is in the description tier, its page comes
   * from the posting lists. Otherwise the lower tiers are sorted from every match when there are
   * fewer than the cap (read once, and counted from them when search_words_total cannot tell), and
   * walked in id order otherwise.
   */
  'ranked-words'(c, criteria, plan) {
    const titleTier = `
    SELECT p.id AS product_id, NULL::integer AS quantity, 0 AS tier, t.before + p.n AS position
      FROM titles t, LATERAL (SELECT id, row_number() OVER (ORDER BY id) AS n FROM products WHERE title = t.title AND archived_at IS NULL) p
     WHERE t.before < ${c.pageEnd} AND t.before + t.products > ${c.offset}
       AND t.before + p.n > ${c.offset} AND t.before + p.n <= ${c.pageEnd} AND ${withinCount(c)}`
    const before = '(SELECT count FROM in_titles)'
    // No title holds every word and no category name any: every match is in the description tier,
    // paged straight from the posting lists (when search_words_total could count them).
    const onlyDescriptions = `(${before} = 0 AND cardinality(${categoriesNamed(c)}) = 0 AND EXISTS (SELECT FROM known))`
    const descriptionTierOfPostings = `
    SELECT listed.product_id, NULL::integer AS quantity, 2 AS tier, listed.position
      FROM search_words_page(${c.words}, ${c.lastAsPrefix}, ${c.offset}, ${c.limit}) WITH ORDINALITY AS listed(product_id, position)
     WHERE ${onlyDescriptions} AND ${withinCount(c)}`
    const lowerTiersOfMatches = `
    SELECT product_id, quantity, tier, row_number() OVER (ORDER BY tier, ${LOWER_TIER_ORDER}) AS position
      FROM (SELECT * FROM matches WHERE tier > 0 AND ${c.pageEnd} > ${before} AND ${withinCount(c)} AND ${everyMatchRead(c)} AND NOT ${onlyDescriptions}
             ORDER BY tier, ${LOWER_TIER_ORDER} LIMIT greatest(least(${c.limit}, ${c.pageEnd} - ${before}), 0) OFFSET greatest(${c.offset} - ${before}, 0)) lower_tiers`
    const ctes = [
      `titles AS MATERIALIZED (
    SELECT title, products, sum(products) OVER (ORDER BY char_length(title), title ROWS UNBOUNDED PRECEDING) - products AS before
      FROM product_titles WHERE title_document(title) @@ ${c.anywhere}
  )`,
      `in_titles AS (SELECT coalesce(sum(products), 0) AS count FROM titles)`,
      ...countSources(c, criteria, plan),
      `total AS (${countOf(plan.count, c)})`,
      `page AS (${[titleTier, descriptionTierOfPostings, lowerTiersOfMatches, ...lowerTiers(c, before, [`NOT ${everyMatchRead(c)}`, `NOT ${onlyDescriptions}`])]
        .map((part) => `(${part})`)
        .join('\n    UNION ALL\n    ')})`,
    ]
    return c.params.bind(answer(c, ctes, 'NULL::boolean'))
  },

  /*
   * Below the cap the page is sorted from the matches, which carry their tier; at the cap, only
   * the count is answered (ranked-filtered-tiers reads that page). Kept apart, this statement is
   * small enough to plan for its values on every run in under a millisecond.
   */
  'ranked-filtered'(c, criteria, plan) {
    const ctes = [
      ...countSources(c, criteria, plan),
      `total AS (${countOf(plan.count, c)})`,
      `page AS (${pageOfMatches(c, RELEVANCE_ORDER, everyMatchRead(c))})`,
    ]
    return c.params.bind(answer(c, ctes, 'NULL::boolean'))
  },

  /*
   * Past the cap, each tier is read in its own order after counting those of the tiers before,
   * as far as the page.
   */
  'ranked-filtered-tiers'(c, _criteria, plan) {
    const inTitleTier = [...c.filters, `s.document @@ ${c.inTitle}`]
    const before = 'title_tier_before_page'
    const ctes = [
      `total AS (${countOf(plan.count, c)})`,
      `page AS (
    (${slice(0, [...inTitleTier, withinCount(c)], TITLE_TIER_ORDER, c.limit, c.offset, false)})
    UNION ALL
    (SELECT lower_tiers.* FROM (SELECT ${countUpTo(inTitleTier, c.pageEnd, false)} AS ${before}) counted,
       LATERAL (${lowerTiers(c, before)
         .map((part) => `(${part})`)
         .join(' UNION ALL ')}) lower_tiers)
  )`,
    ]
    return c.params.bind(answer(c, ctes, 'NULL::boolean'))
  },

  /*
   * A store carries hundreds of products: they are read once with their sort keys, counted, and
   * the page sorted from them. (For a small page the planner would rather walk a whole sort index,
   * probing inventory row by row.)
   */
  store(c, criteria, plan) {
    const store = c.params.add('store', criteria.storeId, 'bigint')
    const order = criteria.sort === 'relevance' ? RELEVANCE_ORDER : SORT_ORDER[criteria.sort]
    const ctes = [matchesOf(c, criteria, false, store), `total AS (${countOf(plan.count, c)})`, `page AS (${pageOfMatches(c, order)})`]
    return c.params.bind(answer(c, ctes, `EXISTS (SELECT 1 FROM stores WHERE id = ${store})`))
  },
}

function statementOf(criteria: ProductSearchCriteria, queries: SearchQueries, plan: SearchPlan): Statement {
  const statement = SEARCH_STATEMENTS[plan.name](contextOf(criteria, queries), criteria, plan)
  return plan.prepared ? { ...statement, name: statementName(statement.text) } : statement
}

/** The statement of criteria; `queries` are required when there are words (queriesStatement gives them). */
export function searchStatement(criteria: ProductSearchCriteria, queries: SearchQueries = NO_WORDS): Statement {
  return statementOf(criteria, queries, planSearch(criteria))
}

/** The statement that reads the page when searchStatement's count reached the cap, if another does. */
export function pastCapStatement(criteria: ProductSearchCriteria, queries: SearchQueries = NO_WORDS): Statement | undefined {
  const { pastCap, prepared } = planSearch(criteria)
  return pastCap === undefined ? undefined : statementOf(criteria, queries, { name: pastCap, count: 'at-cap', prepared })
}

/**
 * Words within a category (and a price range) by relevance: the count and the page from the
 * posting lists and the category's prices (search_filtered_page, migration 0021), one prepared
 * statement with no tsquery round trip before it. No rows when the function cannot tell: the
 * caller then runs searchStatement.
 */
export function facetsStatement(criteria: ProductSearchCriteria): Statement | undefined {
  const { words, category, inStock, storeId, sort } = criteria
  if (words.length === 0 || category === undefined || inStock !== undefined || storeId !== undefined || sort !== 'relevance') return undefined
  const params = new Params()
  const text = `
  WITH facets AS MATERIALIZED (
    SELECT * FROM search_filtered_page(${params.add('words', words, 'text[]')}, ${params.add('last_as_prefix', lastWordIsPrefix(words), 'boolean')},
      ${categoryIdOf(category, params)}, ${params.add('min_price', criteria.minPrice ?? null, 'numeric')}, ${params.add('max_price', criteria.maxPrice ?? null, 'numeric')},
      ${params.add('offset', offsetOf(criteria.page), 'integer')}, ${params.add('limit', criteria.page.pageSize, 'integer')}, ${params.add('cap', SEARCH_COUNT_CAP, 'integer')})
  )
  SELECT f.total, true AS exact, NULL::boolean AS store_found,
         p.id, p.title, p.description, p.price, p.created_at, c.id AS category_id, c.name AS category_name, NULL::integer AS quantity
    FROM facets f LEFT JOIN (products p JOIN categories c ON c.id = p.category_id) ON p.id = f.product_id
   ORDER BY f.tier, f.position`
  const statement = params.bind(text)
  return { ...statement, name: statementName(statement.text) }
}
