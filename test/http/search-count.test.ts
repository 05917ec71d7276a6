import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { SEARCH_COUNT_CAP } from '../../application/catalog/ports/product-search.js'
import { addCategory, addStore } from '../support/fixtures.js'
import { appOverTestDatabase } from '../support/http-app.js'
import type { SearchPageView } from '../support/http-bodies.js'

/**
 * The count of every search shape against a plain count(*) over products, on a generated catalog
 * of 12,000 products where some shapes match more than the cap: below it the count is exact
 * (count_exact true), above it either exact or the cap with count_exact false, never anything else.
 * The reference reads only products, categories and inventory, with the stock 'simple' text search
 * configuration (the generated words are plain lower-case non-stop words, where it agrees).
 */
const PRODUCTS = 12_000
const ADJECTIVES = ['amber', 'brisk', 'coral', 'dusky', 'eager']
const NOUNS = ['anvil', 'bottle', 'candle', 'drum', 'easel', 'flute', 'gong']
const CATEGORIES = ['Tools', 'Toys', 'Garden', 'Books']

const categoryIds: number[] = []
let store: number

const subject = appOverTestDatabase({
  prepare: async ({ pool }) => {
    for (const name of CATEGORIES) categoryIds.push(await addCategory(pool, name))
    // One statement, as a bulk load would be: titles of an adjective, a noun and mostly "item",
    // descriptions of a few words only they hold ("gadget", "gadgetry", "sturdy", "gentle").
    await pool.query(
      `INSERT INTO products (title, description, price, category_id, created_at)
       SELECT initcap(($1::text[])[1 + i % 5] || ' ' || ($2::text[])[1 + i % 7] || ' ' || CASE WHEN i % 1000 = 0 THEN 'zephyr' ELSE 'item' END),
              CASE i % 3 WHEN 0 THEN 'sturdy frame gadgetry' ELSE 'gentle breeze gadget' END,
              (i % 200) + 0.99, ($3::bigint[])[1 + i % 4], timestamptz '2026-01-01' + i * interval '1 minute'
         FROM generate_series(1, $4::integer) AS i`,
      [ADJECTIVES, NOUNS, categoryIds, PRODUCTS],
    )
    store = await addStore(pool, 'Counting Store')
    await pool.query(`INSERT INTO inventory (store_id, product_id, quantity) SELECT $1, id, id % 3 FROM products WHERE id % 10 = 0`, [store])
  },
})

interface Reference {
  /** to_tsquery('simple', …) of the words, or none. */
  words?: string
  category?: number
  minPrice?: string
  maxPrice?: string
  store?: number
  inStock?: boolean
}

async function plainCount(reference: Reference): Promise<number> {
  const { rows } = await subject.db.pool.query<{ count: number }>(
    `SELECT count(*)::int AS count FROM products p JOIN categories c ON c.id = p.category_id
      WHERE ($1::text IS NULL OR to_tsvector('simple', p.title || ' ' || c.name || ' ' || coalesce(p.description, '')) @@ to_tsquery('simple', $1))
        AND ($2::bigint IS NULL OR p.category_id = $2)
        AND ($3::numeric IS NULL OR p.price >= $3)
        AND ($4::numeric IS NULL OR p.price <= $4)
        AND ($5::bigint IS NULL OR EXISTS (SELECT 1 FROM inventory i WHERE i.product_id = p.id AND i.store_id = $5 AND ($6::boolean IS NULL OR (i.quantity > 0) = $6)))
        AND ($5::bigint IS NOT NULL OR $6::boolean IS NULL OR EXISTS (SELECT 1 FROM inventory i WHERE i.product_id = p.id AND i.quantity > 0) = $6)`,
    [
      reference.words ?? null,
      reference.category ?? null,
      reference.minPrice ?? null,
      reference.maxPrice ?? null,
      reference.store ?? null,
      reference.inStock ?? null,
    ],
  )
  return rows[0]?.count ?? Number.NaN
}

async function counted(query: string): Promise<{ count: number; count_exact: boolean }> {
  const response = await subject.app.inject({ method: 'GET', url: `/api/search/products/?${query}` })
  assert.equal(response.statusCode, 200, response.body)
  const { count, count_exact } = response.json<SearchPageView>()
  return { count, count_exact }
}

describe('search counts', () => {
  const shapes: [string, () => string, () => Reference][] = [
    ['one word', () => 'q=amber', () => ({ words: 'amber' })],
    ['one word in nearly every product', () => 'q=item', () => ({ words: 'item' })],
    ['a prefix of one word', () => 'q=ite', () => ({ words: 'ite:*' })],
    ['a prefix of two words that share products', () => 'q=gadg', () => ({ words: 'gadg:*' })],
    ['a rare word', () => 'q=zephyr', () => ({ words: 'zephyr' })],
    ['two words', () => 'q=amber%20drum', () => ({ words: 'amber & drum' })],
    ['two words matching more than the cap', () => 'q=item%20gadg', () => ({ words: 'item & gadg:*' })],
    ['a word only descriptions hold', () => 'q=sturdy', () => ({ words: 'sturdy' })],
    ['a category name as a word', () => 'q=toys', () => ({ words: 'toys' })],
    [
      'word + category + price',
      () => `q=amber&category=${categoryIds[0]}&min_price=10&max_price=100`,
      () => ({ words: 'amber', category: categoryIds[0], minPrice: '10', maxPrice: '100' }),
    ],
    ['word + a price range holding every product', () => 'q=item&min_price=0', () => ({ words: 'item', minPrice: '0' })],
    ['word by price', () => 'q=coral&sort=price', () => ({ words: 'coral' })],
    ['word by newest', () => 'q=item&sort=newest', () => ({ words: 'item' })],
    ['word by relevance, page 50', () => 'q=item&page=50', () => ({ words: 'item' })],
    ['store + in stock + word', () => `store_id=${store}&in_stock=true&q=amber`, () => ({ words: 'amber', store, inStock: true })],
    ['store, out of stock', () => `store_id=${store}&in_stock=false`, () => ({ store, inStock: false })],
    ['category alone', () => `category=${categoryIds[3]}`, () => ({ category: categoryIds[3] })],
    ['a price range alone', () => 'min_price=1&max_price=150', () => ({ minPrice: '1', maxPrice: '150' })],
    ['a price range holding every product', () => 'min_price=0', () => ({ minPrice: '0' })],
    ['in stock anywhere', () => 'in_stock=true', () => ({ inStock: true })],
    ['out of stock everywhere', () => 'in_stock=false', () => ({ inStock: false })],
    ['the whole catalog', () => '', () => ({})],
  ]
  const flagged: string[] = []
  for (const [label, query, reference] of shapes) {
    test(`${label}: exact below the cap, exact or flagged at the cap above it`, async () => {
      const expected = await plainCount(reference())
      const { count, count_exact } = await counted(query())

      if (count_exact) assert.equal(count, expected)
      else {
        assert.ok(expected > SEARCH_COUNT_CAP, `flagged with only ${expected} matches`)
        assert.equal(count, SEARCH_COUNT_CAP)
        flagged.push(label)
      }
    })
  }

  test('words alone are counted exactly past the cap (from the posting lists); the cap is used under filters, where counting every match is what costs', () => {
    for (const wordsAlone of ['one word in nearly every product', 'two words matching more than the cap', 'a prefix of two words that share products']) {
      assert.ok(!flagged.includes(wordsAlone), `flagged: ${flagged.join(', ')}`)
    }
    assert.ok(flagged.includes('word + a price range holding every product'), `flagged: ${flagged.join(', ')}`)
  })

  test('a filter every product passes changes no page, below the cap and past it (each tier read by the filtered plans as by the words-only ones)', async () => {
    const search = async (query: string) => {
      const response = await subject.app.inject({ method: 'GET', url: `/api/search/products/?${query}` })
      assert.equal(response.statusCode, 200, response.body)
      return response.json<SearchPageView>()
    }
    // Past the cap: item (the title tier), gadg (a prefix only descriptions hold: the lowest tier,
    // newest first), both. Below it: amber (title), toys (a category name), sturdy (descriptions).
    const pastTheCap = ['item', 'gadg', 'item%20gadg']
    for (const words of [...pastTheCap, 'amber', 'toys', 'sturdy', 'amber%20sturdy']) {
      for (const page of [1, 2, 30]) {
        const unfiltered = (await search(`q=${words}&page=${page}&page_size=20`)).results.map((hit) => hit.id)
        const filtered = await search(`q=${words}&min_price=0&page=${page}&page_size=20`)

        assert.equal(filtered.count_exact, !pastTheCap.includes(words), words)
        assert.equal(unfiltered.length, 20)
        assert.deepEqual(
          filtered.results.map((hit) => hit.id),
          unfiltered,
          `${words}, page ${page}`,
        )
      }
    }
  })

  test('pages follow the capped count: the last page is full, the next one empty', async () => {
    const last = await subject.app.inject({
      method: 'GET',
      url: `/api/search/products/?q=item%20gadg&min_price=0&page=${SEARCH_COUNT_CAP / 100}&page_size=100`,
    })
    const beyond = await subject.app.inject({
      method: 'GET',
      url: `/api/search/products/?q=item%20gadg&min_price=0&page=${SEARCH_COUNT_CAP / 100 + 1}&page_size=100`,
    })

    assert.equal(last.json<SearchPageView>().count_exact, false)
    assert.equal(last.json<SearchPageView>().results.length, 100)
    assert.equal(last.json<SearchPageView>().next, null)
    assert.deepEqual(beyond.json<SearchPageView>().results, [])
  })
})
