import type pg from 'pg'
import type { Page } from '../../application/shared/pagination.js'
import { offsetOf } from './page-offset.js'
import type { ProductHit, ProductSearch, ProductSearchCriteria, ProductSort } from '../../application/catalog/ports/product-search.js'
import { NotFoundError } from '../../domain/shared/domain-error.js'

/** SQL text and its parameters, exposed so that benchmarks can EXPLAIN exactly what runs. */
export interface Statement {
  text: string
  values: unknown[]
}

const WORD = /[\p{L}\p{M}\p{N}]+/gu
/** The last word matches as a prefix from this length on; shorter prefixes match most of the catalog. */
const MIN_PREFIX_LENGTH = 3

interface TextQueries {
  /** Every word anywhere in the document. */
  anywhere: string
  /** Every word in the title. */
  inTitle: string
  /** Every word in the title or the category name. */
  inTitleOrCategory: string
}

/**
 * Builds to_tsquery input from free text. Only letters, marks and digits survive as words;
 * normalisation (case, accents, stop words) is left to the database, which applies the same to
 * documents. Each word is quoted with every character backslash-escaped: unaccent runs over the
 * whole query text and turns some letters into syntax (ʼ into an apostrophe, ⑴ into "(1)"), and an
 * escaped character stays text whatever it becomes.
 */
function textQueries(q: string): TextQueries | 'no-words' {
  const words = q.normalize('NFC').match(WORD) ?? []
  if (words.length === 0) return 'no-words'
  const last = words.length - 1
  const quoted = (word: string) => `'${[...word].map((character) => `\\${character}`).join('')}'`
  const query = (weights: string) =>
    words
      .map((word, index) => {
        const label = (index === last && [...word].length >= MIN_PREFIX_LENGTH ? '*' : '') + weights
        return label === '' ? quoted(word) : `${quoted(word)}:${label}`
      })
      .join(' & ')
  return { anywhere: query(''), inTitle: query('A'), inTitleOrCategory: query('AB') }
}

/** Each order ends in the product id, so that equal keys never make pages overlap. */
const ORDER_BY: Record<ProductSort, (table: string) => string> = {
  // Every word in the title first, then every word in the title or category name, then the rest
  // (some word only in the description). Within the title tier shorter titles first (the words
  // are more of the title), then the title, so that the tier can be read title by title from
  // the distinct titles; within the others ts_rank. title_length, title and rank are NULL where
  // they do not apply.
  relevance: (t) => `${t}.tier, ${t}.title_length, ${t}.title, ${t}.rank DESC, ${t}.product_id`,
  newest: (t) => `${t}.created_at DESC, ${t}.product_id DESC`,
  price: (t) => `${t}.price, ${t}.product_id`,
  '-price': (t) => `${t}.price DESC, ${t}.product_id DESC`,
}

const SORT_KEYS: Record<ProductSort, string[]> = { relevance: [], newest: ['s.created_at'], price: ['s.price'], '-price': ['s.price'] }

// Archived products' stock counts nowhere: the few archived ones in stock (products_archived_idx)
// are taken off the count of the partial index, instead of checking each stocked product.
const STOCKED_PRODUCTS = `SELECT (SELECT count(*) FROM (SELECT DISTINCT product_id FROM inventory WHERE quantity > 0) stocked)
     - (SELECT count(DISTINCT p.id) FROM products p JOIN inventory i ON i.product_id = p.id
         WHERE p.archived_at IS NOT NULL AND i.quantity > 0)`

const STOCKED_SOMEWHERE = `EXISTS (SELECT 1 FROM inventory stocked WHERE stocked.product_id = s.product_id AND stocked.quantity > 0)`

/** Appends a value to the statement's parameters and returns its placeholder. */
type Param = (value: unknown) => string

function filterConditions(criteria: ProductSearchCriteria, param: Param): string[] {
  const { category, minPrice, maxPrice, inStock, storeId } = criteria
  const conditions: string[] = []
  if (category !== undefined && 'id' in category) conditions.push(`s.category_id = ${param(category.id)}`)
  if (category !== undefined && 'name' in category) {
    conditions.push(`s.category_id = (SELECT id FROM categories WHERE lower(name) = lower(${param(category.name)}))`)
  }
  if (minPrice !== undefined) conditions.push(`s.price >= ${param(minPrice)}::numeric`)
  if (maxPrice !== undefined) conditions.push(`s.price <= ${param(maxPrice)}::numeric`)
  if (inStock !== undefined && storeId !== undefined) conditions.push(inStock ? 'i.quantity > 0' : 'i.quantity = 0')
  if (inStock !== undefined && storeId === undefined) conditions.push(inStock ? STOCKED_SOMEWHERE : `NOT ${STOCKED_SOMEWHERE}`)
  return conditions
}

/** Matches nothing: a query without a single word. */
const NOTHING = `SELECT 0::bigint AS total, EXISTS (SELECT 1 FROM stores WHERE id = $1::bigint) AS store_found, NULL::bigint AS id`

/*
 * With words, every match is visited once: the exact count needs that anyway, so the matches are
 * materialised with their sort keys and both the count and the page read them, rather than
 * ranking and counting in two passes. A store's products (hundreds) are materialised too: for a
 * small page the planner would rather walk the whole newest index, probing inventory row by row.
 * Otherwise the count and the page are planned apart: the count from an index, the page by
 * walking the index of its order and stopping after it.
 *
 * Words alone (relevance, no filter) visit no match when they need not: the count of one word
 * comes from search_lexemes (product_search_count), and a page within the title tier is read
 * from the distinct titles holding every word (product_titles) and their products, in order.
 * Only a page past the title tier ranks every match; only a query of several words counts them.
 */
export function searchStatement(criteria: ProductSearchCriteria): Statement {
  const text = criteria.q === undefined ? undefined : textQueries(criteria.q)
  if (text === 'no-words') return { text: NOTHING, values: [criteria.storeId ?? null] }

  const values: unknown[] = []
  const param: Param = (value) => `$${values.push(value)}`
  const store = criteria.storeId === undefined ? undefined : param(criteria.storeId)
  const conditions = filterConditions(criteria, param)
  const wordsAlone = text !== undefined && store === undefined && conditions.length === 0 && criteria.sort === 'relevance'
  const total = (() => {
    if (text !== undefined || store !== undefined) return 'SELECT count(*) AS count FROM hits'
    // The whole catalog: its size is kept in one row (migration 0010), so nothing is counted.
    if (conditions.length === 0) return 'SELECT products AS count FROM catalog_size'
    // Stocked somewhere (or nowhere) and nothing else: inventory rows only name existing
    // products, so this counts the ~60,000 in-stock product ids of the partial index instead of
    // probing a million products.
    if (conditions.length === 1 && criteria.inStock !== undefined) {
      return criteria.inStock ? `SELECT (${STOCKED_PRODUCTS}) AS count` : `SELECT (SELECT products FROM catalog_size) - (${STOCKED_PRODUCTS}) AS count`
    }
    return 'SELECT count(*) AS count FROM hits'
  })()
  const sort = text === undefined && criteria.sort === 'relevance' ? 'newest' : criteria.sort
  // Only what the page needs: every match is kept until the page is chosen.
  const keys = ['s.product_id', store ? 'i.quantity' : 'NULL::integer AS quantity', ...SORT_KEYS[sort]]
  const anywhere = text === undefined ? undefined : `product_search_query(${param(text.anywhere)})`
  if (text !== undefined && anywhere !== undefined) {
    conditions.push(`s.document @@ ${anywhere}`)
    if (sort === 'relevance') {
      const inTitle = `s.document @@ product_search_query(${param(text.inTitle)})`
      keys.push(
        `CASE WHEN ${inTitle} THEN 0
              WHEN s.document @@ product_search_query(${param(text.inTitleOrCategory)}) THEN 1
              ELSE 2 END AS tier`,
        `CASE WHEN ${inTitle} THEN NULL ELSE ts_rank(s.document, ${anywhere}) END AS rank`,
        `CASE WHEN ${inTitle} THEN char_length(s.title) END AS title_length`,
        `CASE WHEN ${inTitle} THEN s.title END AS title`,
      )
    }
  }
  const source = store ? `inventory i JOIN product_search s ON s.product_id = i.product_id AND i.store_id = ${store}` : 'product_search s'
  const limit = param(criteria.page.pageSize)
  const offset = param(offsetOf(criteria.page))
  const order = ORDER_BY[sort]
  const pageEnd = `${offset}::integer + ${limit}::integer`
  const hits = `
  hits AS ${text || store ? '' : 'NOT '}MATERIALIZED (
    SELECT ${keys.join(', ')}
      FROM ${source}
     WHERE ${conditions.length > 0 ? conditions.join('\n       AND ') : 'true'}
  )`
  const fullPass = `
    SELECT * FROM hits
     -- A page past the end reads nothing, however deep.
     WHERE ${offset} < (SELECT count FROM total)
     ORDER BY ${order('hits')}
     LIMIT ${limit} OFFSET ${offset}`
  // Positions in the title tier are known before any product is read: each title's products
  // follow the products of the titles before it, so only the titles the page overlaps are walked.
  const ctes =
    wordsAlone && anywhere !== undefined
      ? `${hits},
  titles AS MATERIALIZED (
    SELECT title, products, sum(products) OVER (ORDER BY char_length(title), title ROWS UNBOUNDED PRECEDING) - products AS before
      FROM product_titles WHERE title_document(title) @@ ${anywhere}
  ),
  in_titles AS (SELECT coalesce(sum(products), 0) AS count FROM titles),
  total AS (SELECT product_search_count(${anywhere}) AS count),
  page AS (
    SELECT p.id AS product_id, NULL::integer AS quantity, 0 AS tier, NULL::real AS rank, char_length(t.title) AS title_length, t.title
      FROM titles t, LATERAL (SELECT id, row_number() OVER (ORDER BY id) AS n FROM products WHERE title = t.title AND archived_at IS NULL) p
     WHERE t.before < ${pageEnd} AND t.before + t.products > ${offset}
       AND t.before + p.n > ${offset} AND t.before + p.n <= ${pageEnd}
    UNION ALL
    -- Only a page that reaches past the title tier ranks the other matches.
    (SELECT * FROM hits
      WHERE hits.tier > 0 AND ${pageEnd} > (SELECT count FROM in_titles) AND ${offset} < (SELECT count FROM total)
      ORDER BY ${order('hits')}
      LIMIT least(${limit}::integer, greatest(${pageEnd} - (SELECT count FROM in_titles), 0))
      OFFSET greatest(${offset} - (SELECT count FROM in_titles), 0))
  )`
      : `${hits},
  total AS (${total}),
  page AS (${fullPass}
  )`
  return {
    values,
    text: `
  WITH ${ctes}
  SELECT total.count AS total, ${store ? `EXISTS (SELECT 1 FROM stores WHERE id = ${store})` : 'NULL::boolean'} AS store_found,
         p.id, p.title, p.description, p.price, p.created_at, c.id AS category_id, c.name AS category_name, page.quantity
    FROM total
    LEFT JOIN (page JOIN products p ON p.id = page.product_id JOIN categories c ON c.id = p.category_id) ON true
   ORDER BY ${order('page')}`,
  }
}

/*
 * Suggestions come from product_titles (distinct titles), in the contract's three groups. Each
 * group is a separately limited branch, and a later branch runs only while fewer than `limit`
 * titles were found (a one-time filter on the earlier count):
 *  1. the title starts with q: for each title length, shortest first, one short range of the
 *     (length, key) index; it stops as soon as `limit` titles are found, however many match;
 *  2. and 3. q starts a later word / q appears anywhere else: the trigram index finds them, and
 *     only these (far fewer than all titles) are sorted.
 * Written as one query ordered by group, the planner would rather sort every trigram match of a
 * common q, or walk the whole title index for a rare one. suggestion_key($1) is immutable, so each
 * plan sees the pattern as a constant: that is what lets LIKE 'q%' use the btree as a range.
 */
const SUGGEST = `
  WITH starts AS MATERIALIZED (
    SELECT t.title, t.key, 1 AS grp
      FROM generate_series(1, (SELECT max(char_length(title)) FROM product_titles)) AS l(len),
           LATERAL (SELECT title, key FROM product_titles
                     WHERE char_length(title) = l.len AND key LIKE suggestion_key($1) || '%'
                     ORDER BY key LIMIT $2) t
     WHERE suggestion_key($1) <> ''
     LIMIT $2
  ),
  later AS MATERIALIZED (
    SELECT title, key, CASE WHEN key LIKE '% ' || suggestion_key($1) || '%' THEN 2 ELSE 3 END AS grp
      FROM product_titles
     WHERE (SELECT count(*) FROM starts) < $2 AND suggestion_key($1) <> ''
       AND key LIKE '%' || suggestion_key($1) || '%' AND key NOT LIKE suggestion_key($1) || '%'
  )
  SELECT title FROM (
    SELECT title, key, grp FROM starts
    UNION ALL
    (SELECT title, key, grp FROM later ORDER BY grp, char_length(title), key, title LIMIT $2)
  ) suggestions
  ORDER BY grp, char_length(title), key, title
  LIMIT $2`

export function suggestStatement(q: string, limit: number): Statement {
  return { text: SUGGEST, values: [q, limit] }
}

interface HitRow {
  total: number
  store_found: boolean
  id: number | null
  title: string
  description: string | null
  price: string
  created_at: Date
  category_id: number
  category_name: string
  quantity: number | null
}

export class PgProductSearch implements ProductSearch {
  constructor(private readonly pool: pg.Pool) {}

  async search(criteria: ProductSearchCriteria): Promise<Page<ProductHit>> {
    const { rows } = await this.pool.query<HitRow>(searchStatement(criteria))
    const first = rows[0]
    if (criteria.storeId !== undefined && !first?.store_found) throw new NotFoundError('Store', criteria.storeId)
    const items = rows.flatMap((row) => (row.id === null ? [] : [toHit(row, row.id)]))
    return { items, total: first?.total ?? 0 }
  }

  async suggest(q: string, limit: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ title: string }>(suggestStatement(q, limit))
    return rows.map((row) => row.title)
  }
}

function toHit(row: HitRow, id: number): ProductHit {
  const hit: ProductHit = {
    id,
    title: row.title,
    description: row.description,
    price: row.price,
    category: { id: row.category_id, name: row.category_name },
    createdAt: row.created_at,
  }
  if (row.quantity !== null) hit.quantity = row.quantity
  return hit
}
