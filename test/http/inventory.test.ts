import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { addProducts, addStore, countOf, someoneWaitsForALock, stock } from '../support/fixtures.js'
import { adminKey, createTestKey, type TestKey } from '../support/api-keys.js'
import { appOverTestDatabase } from '../support/http-app.js'
import { PgInventoryQueries } from '../../adapters/postgres/pg-inventory-queries.js'
import type { InventoryItemView, PageEnvelope, ProblemBody } from '../support/http-bodies.js'

let storeId: number
let emptyStoreId: number
let products: Record<'zebra' | 'apple' | 'eclair' | 'appleAgain' | 'banana', number>

let admin: TestKey

const subject = appOverTestDatabase({
  prepare: async () => {
    admin = await adminKey(subject.db.pool)
    const { pool } = subject.db
    storeId = await addStore(pool)
    emptyStoreId = await addStore(pool, 'Empty Store')
    const [zebra, apple, eclair, appleAgain, banana] = await addProducts(pool, [
      { title: 'zebra cakes', price: '3.50', category: 'Pantry' },
      { title: 'Apple', price: '1.00', category: 'Pantry' },
      { title: 'Éclair', price: '2.25', category: 'Pantry' },
      { title: 'apple', price: '1.10', category: 'Pantry' },
      { title: 'Banana', price: '0.30', category: 'Pantry' },
    ])
    products = { zebra: zebra!, apple: apple!, eclair: eclair!, appleAgain: appleAgain!, banana: banana! }
    await stock(pool, storeId, { [zebra!]: 5, [apple!]: 0, [eclair!]: 12, [appleAgain!]: 7, [banana!]: 40 })
  },
})

/** A store of a restock test's own, carrying one product of its own at `level` (or not at all). */
async function shelf(level?: number): Promise<{ store: number; product: number }> {
  const { pool } = subject.db
  const store = await addStore(pool, 'Restocked')
  const [product] = await addProducts(pool, [{ title: 'Flour', price: '0.30', category: 'Pantry' }])
  if (level !== undefined) await stock(pool, store, { [product!]: level })
  return { store, product: product! }
}

type InventoryPage = PageEnvelope<InventoryItemView>

const movementCount = () => countOf(subject.db.pool, 'SELECT count(*) AS n FROM stock_movements')

async function ledger(store: number, product: number) {
  const { rows } = await subject.db.pool.query<{ delta: number; reason: string }>(
    'SELECT delta, reason FROM stock_movements WHERE store_id = $1 AND product_id = $2 ORDER BY id',
    [store, product],
  )
  return rows
}

describe('GET /stores/<store_id>/inventory/', () => {
  test('lists the products the store carries by title A→Z, ignoring case and accents, ties by product id', async () => {
    const response = await subject.app.inject({ method: 'GET', url: `/stores/${storeId}/inventory/` })

    assert.equal(response.statusCode, 200)
    const body = response.json<InventoryPage>()
    assert.deepEqual(
      body.results.map((item) => item.product_id),
      [products.apple, products.appleAgain, products.banana, products.eclair, products.zebra],
    )
    assert.deepEqual(body.results[0], { product_id: products.apple, title: 'Apple', price: '1.00', category: 'Pantry', quantity: 0 })
    assert.equal(body.count, 5)
  })

  test('pages keep every other parameter and a page past the end is empty with the right count', async () => {
    const second = (await subject.app.inject({ method: 'GET', url: `/stores/${storeId}/inventory?page=2&page_size=2` })).json<InventoryPage>()
    const beyond = (await subject.app.inject({ method: 'GET', url: `/stores/${storeId}/inventory?page=9&page_size=2` })).json<InventoryPage>()

    assert.deepEqual(
      second.results.map((item) => item.title),
      ['Banana', 'Éclair'],
    )
    assert.deepEqual(
      { count: second.count, total_pages: second.total_pages, next: second.next, previous: second.previous },
      { count: 5, total_pages: 3, next: `/stores/${storeId}/inventory?page=3&page_size=2`, previous: `/stores/${storeId}/inventory?page=1&page_size=2` },
    )
    assert.deepEqual({ count: beyond.count, results: beyond.results }, { count: 5, results: [] })
  })

  test('a renamed product moves to its new place in the order of every store that carries it', async () => {
    const { pool } = subject.db
    const [yam, kale] = (await addProducts(pool, [
      { title: 'Yam', category: 'Greengrocer' },
      { title: 'Kale', category: 'Greengrocer' },
    ])) as [number, number]
    const stores = [await addStore(pool, 'Rename One'), await addStore(pool, 'Rename Two')]
    for (const id of stores) await stock(pool, id, { [yam]: 1, [kale]: 1 })
    const queries = new PgInventoryQueries(pool)
    const order = async (id: number) => (await queries.listStoreInventory(id, { page: 1, pageSize: 10 })).items.map((item) => item.title)

    await pool.query(`UPDATE products SET title = 'Ávocado' WHERE id = $1`, [yam])

    assert.deepEqual(await order(stores[0] as number), ['Ávocado', 'Kale'])
    assert.deepEqual(await order(stores[1] as number), ['Ávocado', 'Kale'])
  })

  test("each store's rows follow every change to their product and its category, in the same transaction", async () => {
    const { pool } = subject.db
    const [kiwi, lime] = (await addProducts(pool, [
      { title: 'Kiwi', price: '0.40', category: 'Fruit Bowl' },
      { title: 'Lime', price: '0.25', category: 'Fruit Bowl' },
    ])) as [number, number]
    const stores = [await addStore(pool, 'Copy One'), await addStore(pool, 'Copy Two')]
    for (const id of stores) await stock(pool, id, { [kiwi]: 3, [lime]: 2 })
    const { rows: otherCategory } = await pool.query<{ id: number }>(`INSERT INTO categories (name) VALUES ('Citrus') RETURNING id`)
    const queries = new PgInventoryQueries(pool)
    const page = (id: number) => queries.listStoreInventory(id, { page: 1, pageSize: 10 })
    // Compared with products itself, so a column the triggers forget to copy shows up here.
    const stale = () =>
      countOf(
        pool,
        `SELECT count(*) AS n FROM inventory i JOIN products p ON p.id = i.product_id
          WHERE (i.title, i.price, i.category_id, i.archived) IS DISTINCT FROM (p.title, p.price, p.category_id, p.archived_at IS NOT NULL)`,
      )

    await pool.query(`UPDATE products SET price = 0.45, category_id = $2 WHERE id = $1`, [lime, otherCategory[0]?.id])
    await pool.query(`UPDATE categories SET name = 'Orchard' WHERE name = 'Fruit Bowl'`)
    const client = await pool.connect()
    try {
      await client.query('BEGIN')
      await client.query('UPDATE products SET archived_at = now() WHERE id = $1', [kiwi])
      // Rolled back, the archive leaves nothing behind in any store.
      await client.query('ROLLBACK')
    } finally {
      client.release()
    }

    for (const id of stores) {
      assert.deepEqual((await page(id)).items, [
        { productId: kiwi, title: 'Kiwi', price: '0.40', category: 'Orchard', quantity: 3 },
        { productId: lime, title: 'Lime', price: '0.45', category: 'Citrus', quantity: 2 },
      ])
    }
    await pool.query('UPDATE products SET archived_at = now() WHERE id = $1', [kiwi])
    for (const id of stores)
      assert.deepEqual(await page(id), { items: [{ productId: lime, title: 'Lime', price: '0.45', category: 'Citrus', quantity: 2 }], total: 1 })
    assert.equal(await stale(), 0)
  })

  test('a row created while its product is being changed copies what the change commits', async () => {
    const { pool } = subject.db
    const [fig] = (await addProducts(pool, [{ title: 'Fig', price: '0.70', category: 'Fruit Bowl' }])) as [number]
    const store = await addStore(pool, 'Copy Race')
    const changing = await pool.connect()
    try {
      await changing.query('BEGIN')
      // The change's trigger runs now, while the store does not carry the product yet.
      await changing.query(`UPDATE products SET title = 'Dried Fig', price = 0.95 WHERE id = $1`, [fig])
      const created = stock(pool, store, { [fig]: 4 })
      // The new row must wait for the change rather than copy the product as it was before it.
      await someoneWaitsForALock(pool)
      await changing.query('COMMIT')
      await created
    } finally {
      changing.release()
    }

    assert.deepEqual((await new PgInventoryQueries(pool).listStoreInventory(store, { page: 1, pageSize: 10 })).items, [
      { productId: fig, title: 'Dried Fig', price: '0.95', category: 'Fruit Bowl', quantity: 4 },
    ])
  })

  test('a store that carries nothing has an empty list; a missing store is a 404', async () => {
    const empty = await subject.app.inject({ method: 'GET', url: `/stores/${emptyStoreId}/inventory` })
    const missing = await subject.app.inject({ method: 'GET', url: '/stores/999999/inventory' })
    const malformed = await subject.app.inject({ method: 'GET', url: '/stores/abc/inventory' })

    assert.deepEqual({ count: empty.json<InventoryPage>().count, results: empty.json<InventoryPage>().results }, { count: 0, results: [] })
    assert.equal(missing.statusCode, 404)
    assert.equal(missing.json<ProblemBody>().type, 'https://aforro.dev/problems/not-found')
    assert.equal(malformed.statusCode, 400)
  })
})

describe('PUT /stores/<store_id>/inventory/<product_id>/', () => {
  test('sets an existing level, answers the listing item and records the difference in the ledger', async () => {
    const { store, product } = await shelf(40)

    const response = await subject.app.inject({
      method: 'PUT',
      url: `/stores/${store}/inventory/${product}/`,
      payload: { quantity: 25 },
      headers: admin.headers,
    })

    assert.equal(response.statusCode, 200)
    assert.deepEqual(response.json(), { product_id: product, title: 'Flour', price: '0.30', category: 'Pantry', quantity: 25 })
    assert.deepEqual(await ledger(store, product), [
      { delta: 40, reason: 'seed' },
      { delta: -15, reason: 'restock' },
    ])
  })

  test('creates the row for a product the store did not carry, and the listing shows it at once', async () => {
    const { store, product } = await shelf()
    await subject.app.inject({ method: 'GET', url: `/stores/${store}/inventory` })

    const response = await subject.app.inject({ method: 'PUT', url: `/stores/${store}/inventory/${product}`, payload: { quantity: 3 }, headers: admin.headers })
    const listing = (await subject.app.inject({ method: 'GET', url: `/stores/${store}/inventory` })).json<InventoryPage>()

    assert.equal(response.statusCode, 200)
    assert.deepEqual(await ledger(store, product), [{ delta: 3, reason: 'restock' }])
    assert.deepEqual(listing.results, [{ product_id: product, title: 'Flour', price: '0.30', category: 'Pantry', quantity: 3 }])
  })

  test('the ledger movement names the API key that restocked', async () => {
    const { store, product } = await shelf(5)
    const staff = await createTestKey(subject.db.pool, { role: 'store', storeIds: [store] })

    const response = await subject.app.inject({
      method: 'PUT',
      url: `/stores/${store}/inventory/${product}/`,
      payload: { quantity: 8 },
      headers: staff.headers,
    })

    assert.equal(response.statusCode, 200)
    const { rows } = await subject.db.pool.query(
      "SELECT delta, reference FROM stock_movements WHERE store_id = $1 AND product_id = $2 AND reason = 'restock'",
      [store, product],
    )
    assert.deepEqual(rows, [{ delta: 3, reference: `api-key:${staff.id}` }])
  })

  test('setting the level it already has records no movement', async () => {
    const { store, product } = await shelf(12)

    const response = await subject.app.inject({
      method: 'PUT',
      url: `/stores/${store}/inventory/${product}`,
      payload: { quantity: 12 },
      headers: admin.headers,
    })

    assert.equal(response.statusCode, 200)
    assert.deepEqual(await ledger(store, product), [{ delta: 12, reason: 'seed' }])
  })

  test('a missing store or product is a 404 and writes nothing', async () => {
    const before = await movementCount()

    const noStore = await subject.app.inject({
      method: 'PUT',
      url: `/stores/999999/inventory/${products.apple}`,
      payload: { quantity: 1 },
      headers: admin.headers,
    })
    const noProduct = await subject.app.inject({ method: 'PUT', url: `/stores/${storeId}/inventory/999999`, payload: { quantity: 1 }, headers: admin.headers })

    assert.equal(noStore.statusCode, 404)
    assert.equal(noProduct.statusCode, 404)
    assert.match(noStore.json<ProblemBody>().detail, /Store 999999/)
    assert.match(noProduct.json<ProblemBody>().detail, /Product 999999/)
    assert.equal(await movementCount(), before)
  })

  test('rejects quantities outside 0–1,000,000,000, non-integers and unknown fields', async () => {
    const url = `/stores/${storeId}/inventory/${products.apple}`
    for (const payload of [{ quantity: -1 }, { quantity: 1_000_000_001 }, { quantity: 1.5 }, { quantity: '3' }, {}, { quantity: 1, note: 'x' }]) {
      const response = await subject.app.inject({ method: 'PUT', url, payload, headers: admin.headers })
      assert.equal(response.statusCode, 400, JSON.stringify(payload))
      assert.equal(response.json<ProblemBody>().type, 'https://aforro.dev/problems/validation-error')
    }
  })

  test('concurrent restocks of a new pair leave a level the ledger explains exactly', async () => {
    const { store, product } = await shelf()
    const quantities = [4, 9, 0, 17, 2, 11, 6, 1]

    const responses = await Promise.all(
      quantities.map((quantity) =>
        subject.app.inject({ method: 'PUT', url: `/stores/${store}/inventory/${product}`, payload: { quantity }, headers: admin.headers }),
      ),
    )

    assert.deepEqual(
      responses.map((response) => response.statusCode),
      quantities.map(() => 200),
    )
    const { rows } = await subject.db.pool.query<{ quantity: number; recorded: string }>(
      `SELECT i.quantity, (SELECT coalesce(sum(delta), 0) FROM stock_movements m WHERE m.store_id = i.store_id AND m.product_id = i.product_id) AS recorded
         FROM inventory i WHERE i.store_id = $1 AND i.product_id = $2`,
      [store, product],
    )
    const [level] = rows
    assert.equal(Number(level?.recorded), level?.quantity)
    assert.ok(quantities.includes(level?.quantity ?? -1))
  })
})
