import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { PgProductSearch } from '../../adapters/postgres/pg-product-search.js'
import { facetsStatement } from '../../adapters/postgres/product-search-plans.js'
import type { ProductSearchCriteria } from '../../application/catalog/ports/product-search.js'
import { addCategory } from '../support/fixtures.js'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'

/**
 * The category facets (migration 0021) against the rows they summarise, after every kind of catalog
 * write; and a search for words within a category and a price range, answered from them, against
 * count(*) and an ORDER BY over the documents themselves, page by page, on each way the page is
 * found: walking the titles (a broad word), walking every title then the lower tier (few titles),
 * visiting the matches (a rare word), and no answer when a word is in the category's name (the
 * statements then answer, category tier included).
 */
let db: TestDatabase
let search: PgProductSearch
const categories: Record<string, number> = {}
before(async () => {
  db = await createTestDatabase()
  search = new PgProductSearch(db.pool)
  for (const name of ['Tools', 'Toys', 'Garden', 'Lamps']) categories[name] = await addCategory(db.pool, name)
})
after(() => db.close())

/** (category, block, offset, cents) the rows hold that the facets lack, and the other way round; rows out of price order or uneven. */
async function drift(): Promise<{ missing: number; extra: number; unordered: number }> {
  const { rows } = await db.pool.query<{ missing: number; extra: number; unordered: number }>(`
    WITH summarised AS (SELECT category_id, search_postings_block(product_id) AS block, search_postings_offset(product_id) AS o, search_facets_cents(price) AS cents
                          FROM product_search),
         faceted AS (SELECT f.category_id, f.block, u.o, u.cents FROM search_facets f, unnest(f.cents, f.offsets) AS u(cents, o))
    SELECT (SELECT count(*) FROM (SELECT * FROM summarised EXCEPT ALL SELECT * FROM faceted) s)::int AS missing,
           (SELECT count(*) FROM (SELECT * FROM faceted EXCEPT ALL SELECT * FROM summarised) f)::int AS extra,
           (SELECT count(*) FROM search_facets f
             WHERE cardinality(f.cents) <> cardinality(f.offsets)
                OR f.cents <> ARRAY(SELECT c FROM unnest(f.cents) AS c ORDER BY c))::int AS unordered`)
  return rows[0] as { missing: number; extra: number; unordered: number }
}

const nothingAdrift = { missing: 0, extra: 0, unordered: 0 }

describe('search facets follow the catalog', () => {
  test('inserts, price and category changes, bulk changes, archiving and deletes', async () => {
    const insert = (title: string, price: string, category: string) =>
      db.pool.query<{ id: number }>('INSERT INTO products (title, description, price, category_id) VALUES ($1, $2, $3, $4) RETURNING id', [
        title,
        'a plain thing',
        price,
        categories[category],
      ])
    const lamp = (await insert('Brass Lamp', '12.50', 'Tools')).rows[0]?.id
    await insert('Paper Kite', '3.00', 'Toys')
    await insert('Equal Price', '12.50', 'Tools')
    // One statement across two blocks of 65,536 ids, more than a few changes to a row at once.
    await db.pool.query(`SELECT setval('products_id_seq', 65500)`)
    await db.pool.query(
      `INSERT INTO products (title, description, price, category_id)
       SELECT 'Bulk Item ' || i, 'a plain thing', (i % 17) + 0.25, $1 FROM generate_series(1, 80) AS i`,
      [categories.Garden],
    )
    assert.deepEqual(await drift(), nothingAdrift)

    await db.pool.query('UPDATE products SET price = 0.5 WHERE id = $1', [lamp])
    await db.pool.query('UPDATE products SET category_id = $1, price = 99 WHERE id = $2', [categories.Toys, lamp])
    await db.pool.query("UPDATE products SET price = price + 1 WHERE title LIKE 'Bulk Item 1%'")
    await db.pool.query("UPDATE products SET price = price * 2 WHERE title LIKE 'Bulk Item %'")
    await db.pool.query("UPDATE products SET category_id = $1 WHERE title LIKE 'Bulk Item %' AND price < 5", [categories.Tools])
    assert.deepEqual(await drift(), nothingAdrift)

    await db.pool.query("UPDATE categories SET name = 'Hardware' WHERE id = $1", [categories.Tools])
    await db.pool.query("UPDATE categories SET name = 'Tools' WHERE id = $1", [categories.Tools])
    await db.pool.query("UPDATE products SET archived_at = now() WHERE title = 'Bulk Item 3'")
    await db.pool.query("DELETE FROM products WHERE title IN ('Bulk Item 4', 'Paper Kite')")
    await db.pool.query("DELETE FROM products WHERE title LIKE 'Bulk Item 5%'")
    assert.deepEqual(await drift(), nothingAdrift)
  })

  test('concurrent writers to the same rows, new or not, neither deadlock nor lose a product', async () => {
    const shed = await addCategory(db.pool, 'Shed')
    const writers = Array.from({ length: 12 }, (_, writer) => {
      const prices = [1 + writer, 50 + writer, 99 - writer]
      if (writer % 2 === 1) prices.reverse()
      return db.pool.query(
        `INSERT INTO products (title, description, price, category_id) SELECT 'Shared ' || price, 'heavy iron', price, $2 FROM unnest($1::numeric[]) AS price`,
        [prices, writer % 3 === 0 ? categories.Toys : shed],
      )
    })
    await Promise.all(writers)
    assert.deepEqual(await drift(), nothingAdrift)
  })

  test('a truncated catalog leaves no facets', async () => {
    await db.pool.query('TRUNCATE products CASCADE')
    assert.equal((await db.pool.query('SELECT 1 FROM search_facets')).rowCount, 0)
  })
})

describe('words within a category and a price range', () => {
  before(async () => {
    // 6,000 products over two blocks: every title holds "item" and one of five adjectives; one in
    // 500 holds "zephyr"; descriptions hold "sturdy" (one in three) or "amber" (one in eleven, so
    // amber is in titles and descriptions both); categories in turn, prices 0.50 to 299.50.
    await db.pool.query(`SELECT setval('products_id_seq', 62000)`)
    await db.pool.query(
      `INSERT INTO products (title, description, price, category_id)
       SELECT initcap(($1::text[])[1 + i % 5] || ' ' || CASE WHEN i % 500 = 0 THEN 'zephyr' ELSE 'item' END || ' ' || (i % 13)),
              CASE WHEN i % 11 = 0 THEN 'amber glow' WHEN i % 3 = 0 THEN 'sturdy frame' ELSE 'gentle lamp' END,
              (i % 300) + 0.5, ($2::bigint[])[1 + i % 4]
         FROM generate_series(1, 6000) AS i`,
      [
        ['amber', 'brisk', 'coral', 'dusky', 'eager'],
        [categories.Tools, categories.Toys, categories.Garden, categories.Lamps],
      ],
    )
  })

  interface Case {
    words: string[]
    /** A category by name, or by id when `byId`. */
    category: string
    byId?: boolean
    minPrice?: string
    maxPrice?: string
    fromFacets: boolean
  }
  const cases: [string, Case][] = [
    ['a broad word (the titles walked)', { words: ['item'], category: 'Tools', byId: true, minPrice: '10', maxPrice: '200', fromFacets: true }],
    ['a word in titles and descriptions', { words: ['amber'], category: 'garden', minPrice: '5', fromFacets: true }],
    ['a word only descriptions hold (every title walked)', { words: ['sturdy'], category: 'Toys', byId: true, maxPrice: '150', fromFacets: true }],
    ['a rare word (its matches visited)', { words: ['zephyr'], category: 'Tools', fromFacets: true }],
    ['a word and a prefix', { words: ['item', 'amb'], category: 'Tools', minPrice: '0.5', maxPrice: '299.5', fromFacets: true }],
    ['a price range holding nothing', { words: ['item'], category: 'Toys', minPrice: '300', fromFacets: true }],
    ['a category no product is in', { words: ['item'], category: 'Nowhere', fromFacets: true }],
    ['a word of the category name (answered by the statements)', { words: ['lamp'], category: 'Lamps', maxPrice: '100', fromFacets: false }],
  ]

  const criteriaOf = ({ words, category, byId, minPrice, maxPrice }: Case): Omit<ProductSearchCriteria, 'page'> => ({
    words,
    category: byId ? { id: categories[category] as number } : { name: category },
    ...(minPrice === undefined ? {} : { minPrice }),
    ...(maxPrice === undefined ? {} : { maxPrice }),
    sort: 'relevance',
  })

  /** Every match in relevance order, from the documents: tier, then the title tier by title, the others newest first. */
  async function reference(criteria: Case): Promise<number[]> {
    const { rows } = await db.pool.query<{ id: number }>(
      `WITH q AS (SELECT * FROM search_queries($1, $2)),
            matched AS (
              SELECT s.product_id, s.title,
                     CASE WHEN s.document @@ q.in_title THEN 0 WHEN s.document @@ q.in_title_or_category THEN 1 ELSE 2 END AS tier
                FROM product_search s, q
               WHERE s.document @@ q.anywhere
                 AND s.category_id = coalesce($3, (SELECT id FROM categories WHERE lower(name) = lower($4)))
                 AND ($5::numeric IS NULL OR s.price >= $5) AND ($6::numeric IS NULL OR s.price <= $6))
       SELECT product_id::int AS id FROM matched
        ORDER BY tier, CASE WHEN tier = 0 THEN char_length(title) END, CASE WHEN tier = 0 THEN title END,
                 CASE WHEN tier = 0 THEN product_id END, product_id DESC`,
      [
        criteria.words,
        (criteria.words.at(-1)?.length ?? 0) >= 3,
        criteria.byId ? categories[criteria.category] : null,
        criteria.byId ? null : criteria.category,
        criteria.minPrice ?? null,
        criteria.maxPrice ?? null,
      ],
    )
    return rows.map((row) => row.id)
  }

  for (const [name, criteria] of cases) {
    test(`${name}: the count and every page equal the documents'`, async () => {
      const expected = await reference(criteria)
      if (!name.includes('nothing') && !name.includes('no product')) assert.ok(expected.length > 0, 'the case matches something')
      for (const pageSize of [7, 20]) {
        const pages = Math.max(1, Math.ceil(expected.length / pageSize))
        for (const page of new Set([1, 2, Math.ceil(pages / 2), pages - 1, pages, pages + 1].filter((n) => n >= 1))) {
          const request: ProductSearchCriteria = { ...criteriaOf(criteria), page: { page, pageSize } }
          const statement = facetsStatement(request)
          assert.ok(statement !== undefined)
          const fromFacets = ((await db.pool.query(statement)).rowCount ?? 0) > 0
          const answered = await search.search(request)

          assert.equal(fromFacets, criteria.fromFacets, 'answered from the facets')
          assert.deepEqual({ total: answered.total, exact: answered.totalExact }, { total: expected.length, exact: true })
          assert.deepEqual(
            answered.items.map((hit) => hit.id),
            expected.slice((page - 1) * pageSize, page * pageSize),
            `page ${page} of ${pageSize}`,
          )
        }
      }
    })
  }
})
