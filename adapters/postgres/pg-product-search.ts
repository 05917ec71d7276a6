import type { Reader } from './queryable.js'
import type { ProductHit, ProductHitPage, ProductSearch, ProductSearchCriteria } from '../../application/catalog/ports/product-search.js'
import { NotFoundError } from '../../domain/shared/domain-error.js'
import { facetsStatement, pastCapStatement, queriesStatement, searchStatement, type SearchQueries, type Statement } from './product-search-plans.js'

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
  exact: boolean
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
  constructor(private readonly db: Reader) {}

  async search(criteria: ProductSearchCriteria): Promise<ProductHitPage> {
    const rows = (await this.fromFacets(criteria)) ?? (await this.fromStatements(criteria))
    const first = rows[0]
    if (criteria.storeId !== undefined && !first?.store_found) throw new NotFoundError('Store', criteria.storeId)
    const items = rows.flatMap((row) => (row.id === null ? [] : [toHit(row, row.id)]))
    return { items, total: first?.total ?? 0, totalExact: first?.exact ?? true }
  }

  /** Words within a category, from its facets: nothing when they cannot tell (see facetsStatement). */
  private async fromFacets(criteria: ProductSearchCriteria): Promise<HitRow[] | undefined> {
    const statement = facetsStatement(criteria)
    if (statement === undefined) return undefined
    const { rows } = await this.db.query<HitRow>(statement)
    return rows.length > 0 ? rows : undefined
  }

  private async fromStatements(criteria: ProductSearchCriteria): Promise<HitRow[]> {
    const queries = criteria.words.length === 0 ? undefined : (await this.db.query<SearchQueries>(queriesStatement(criteria.words))).rows[0]
    const { rows } = await this.db.query<HitRow>(searchStatement(criteria, queries))
    const pastCap = rows[0]?.exact === false ? pastCapStatement(criteria, queries) : undefined
    return pastCap === undefined ? rows : (await this.db.query<HitRow>(pastCap)).rows
  }

  async storeExists(storeId: number): Promise<boolean> {
    const { rows } = await this.db.query<{ found: boolean }>({
      name: 'store-exists',
      text: 'SELECT EXISTS (SELECT 1 FROM stores WHERE id = $1) AS found',
      values: [storeId],
    })
    return rows[0]?.found === true
  }

  async suggest(q: string, limit: number): Promise<string[]> {
    const { rows } = await this.db.query<{ title: string }>(suggestStatement(q, limit))
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
