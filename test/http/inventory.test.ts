import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { insertCategory, insertProducts, insertStore, stock } from '../support/catalog.js'
import { adminKey, createTestKey, type TestKey } from '../support/api-keys.js'
import { buildTestApp } from '../support/http-app.js'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'

let db: TestDatabase
let app: FastifyInstance
let storeId: number
let emptyStoreId: number
let admin: TestKey
let products: Record<'zebra' | 'apple' | 'eclair' | 'appleAgain' | 'banana' | 'unstocked', number>

before(async () => {
  db = await createTestDatabase()
  app = await buildTestApp(db)
  admin = await adminKey(db.pool)
  const categoryId = await insertCategory(db.pool, 'Pantry')
  storeId = await insertStore(db.pool)
  emptyStoreId = await insertStore(db.pool, 'Empty Store')
  const [zebra, apple, eclair, appleAgain, banana, unstocked] = await insertProducts(db.pool, [
    { title: 'zebra cakes', price: '3.50', categoryId },
    { title: 'Apple', price: '1.00', categoryId },
    { title: 'Éclair', price: '2.25', categoryId },
    { title: 'apple', price: '1.10', categoryId },
    { title: 'Banana', price: '0.30', categoryId },
    { title: 'Unstocked', price: '9.99', categoryId },
  ])
  products = { zebra: zebra!, apple: apple!, eclair: eclair!, appleAgain: appleAgain!, banana: banana!, unstocked: unstocked! }
  for (const [id, quantity] of [
    [zebra, 5],
    [apple, 0],
    [eclair, 12],
    [appleAgain, 7],
    [banana, 40],
  ] as const) {
    await stock(db.pool, storeId, id!, quantity)
  }
})
after(async () => {
  await app.close()
  await db.close()
})

async function ledger(productId: number) {
  const { rows } = await db.pool.query<{ delta: number; reason: string }>(
    'SELECT delta, reason FROM stock_movements WHERE store_id = $1 AND product_id = $2 ORDER BY id',
    [storeId, productId],
  )
  return rows
}

describe('GET /stores/<store_id>/inventory/', () => {
  test('lists the products the store carries by title A→Z, ignoring case and accents, ties by product id', async () => {
    const response = await app.inject({ method: 'GET', url: `/stores/${storeId}/inventory/` })

    assert.equal(response.statusCode, 200)
    const body = response.json()
    assert.deepEqual(
      body.results.map((item: { product_id: number }) => item.product_id),
      [products.apple, products.appleAgain, products.banana, products.eclair, products.zebra],
    )
    assert.deepEqual(body.results[0], { product_id: products.apple, title: 'Apple', price: '1.00', category: 'Pantry', quantity: 0 })
    assert.equal(body.count, 5)
  })

  test('pages keep every other parameter and a page past the end is empty with the right count', async () => {
    const second = (await app.inject({ method: 'GET', url: `/stores/${storeId}/inventory?page=2&page_size=2` })).json()
    const beyond = (await app.inject({ method: 'GET', url: `/stores/${storeId}/inventory?page=9&page_size=2` })).json()

    assert.deepEqual(
      second.results.map((item: { title: string }) => item.title),
      ['Banana', 'Éclair'],
    )
    assert.deepEqual(
      { count: second.count, total_pages: second.total_pages, next: second.next, previous: second.previous },
      { count: 5, total_pages: 3, next: `/stores/${storeId}/inventory?page=3&page_size=2`, previous: `/stores/${storeId}/inventory?page=1&page_size=2` },
    )
    assert.deepEqual({ count: beyond.count, results: beyond.results }, { count: 5, results: [] })
  })

  test('a store that carries nothing has an empty list; a missing store is a 404', async () => {
    const empty = await app.inject({ method: 'GET', url: `/stores/${emptyStoreId}/inventory` })
    const missing = await app.inject({ method: 'GET', url: '/stores/999999/inventory' })
    const malformed = await app.inject({ method: 'GET', url: '/stores/abc/inventory' })

    assert.deepEqual({ count: empty.json().count, results: empty.json().results }, { count: 0, results: [] })
    assert.equal(missing.statusCode, 404)
    assert.equal(missing.json().type, 'https://aforro.dev/problems/not-found')
    assert.equal(malformed.statusCode, 400)
  })
})

describe('PUT /stores/<store_id>/inventory/<product_id>/', () => {
  test('sets an existing level, answers the listing item and records the difference in the ledger', async () => {
    const response = await app.inject({
      method: 'PUT',
      url: `/stores/${storeId}/inventory/${products.banana}/`,
      payload: { quantity: 25 },
      headers: admin.headers,
    })

    assert.equal(response.statusCode, 200)
    assert.deepEqual(response.json(), { product_id: products.banana, title: 'Banana', price: '0.30', category: 'Pantry', quantity: 25 })
    assert.deepEqual(await ledger(products.banana), [
      { delta: 40, reason: 'seed' },
      { delta: -15, reason: 'restock' },
    ])
  })

  test('creates the row for a product the store did not carry, and the listing shows it at once', async () => {
    const response = await app.inject({
      method: 'PUT',
      url: `/stores/${storeId}/inventory/${products.unstocked}`,
      payload: { quantity: 3 },
      headers: admin.headers,
    })
    const listing = (await app.inject({ method: 'GET', url: `/stores/${storeId}/inventory?page_size=100` })).json()

    assert.equal(response.statusCode, 200)
    assert.deepEqual(await ledger(products.unstocked), [{ delta: 3, reason: 'restock' }])
    assert.deepEqual(
      listing.results.find((item: { product_id: number }) => item.product_id === products.unstocked),
      { product_id: products.unstocked, title: 'Unstocked', price: '9.99', category: 'Pantry', quantity: 3 },
    )
  })

  test('the ledger movement names the API key that restocked', async () => {
    const staff = await createTestKey(db.pool, { role: 'store', storeIds: [storeId] })

    const response = await app.inject({
      method: 'PUT',
      url: `/stores/${storeId}/inventory/${products.zebra}/`,
      payload: { quantity: 8 },
      headers: staff.headers,
    })

    assert.equal(response.statusCode, 200)
    const { rows } = await db.pool.query("SELECT delta, reference FROM stock_movements WHERE store_id = $1 AND product_id = $2 AND reason = 'restock'", [
      storeId,
      products.zebra,
    ])
    assert.deepEqual(rows, [{ delta: 3, reference: `api-key:${staff.id}` }])
  })

  test('setting the level it already has records no movement', async () => {
    const response = await app.inject({
      method: 'PUT',
      url: `/stores/${storeId}/inventory/${products.eclair}`,
      payload: { quantity: 12 },
      headers: admin.headers,
    })

    assert.equal(response.statusCode, 200)
    assert.deepEqual(await ledger(products.eclair), [{ delta: 12, reason: 'seed' }])
  })

  test('a missing store or product is a 404 and writes nothing', async () => {
    const before = (await db.pool.query('SELECT count(*) AS n FROM stock_movements')).rows[0].n

    const noStore = await app.inject({ method: 'PUT', url: `/stores/999999/inventory/${products.apple}`, payload: { quantity: 1 }, headers: admin.headers })
    const noProduct = await app.inject({ method: 'PUT', url: `/stores/${storeId}/inventory/999999`, payload: { quantity: 1 }, headers: admin.headers })

    assert.equal(noStore.statusCode, 404)
    assert.equal(noProduct.statusCode, 404)
    assert.match(noStore.json().detail, /Store 999999/)
    assert.match(noProduct.json().detail, /Product 999999/)
    assert.equal((await db.pool.query('SELECT count(*) AS n FROM stock_movements')).rows[0].n, before)
  })

  test('rejects quantities outside 0–1,000,000,000, non-integers and unknown fields', async () => {
    const url = `/stores/${storeId}/inventory/${products.apple}`
    for (const payload of [{ quantity: -1 }, { quantity: 1_000_000_001 }, { quantity: 1.5 }, { quantity: '3' }, {}, { quantity: 1, note: 'x' }]) {
      const response = await app.inject({ method: 'PUT', url, payload, headers: admin.headers })
      assert.equal(response.statusCode, 400, JSON.stringify(payload))
      assert.equal(response.json().type, 'https://aforro.dev/problems/validation-error')
    }
  })

  test('concurrent restocks of a new pair leave a level the ledger explains exactly', async () => {
    const [productId] = await insertProducts(db.pool, [
      { title: 'Contended', categoryId: (await db.pool.query('SELECT id FROM categories LIMIT 1')).rows[0].id },
    ])
    const quantities = [4, 9, 0, 17, 2, 11, 6, 1]

    const responses = await Promise.all(
      quantities.map((quantity) =>
        app.inject({ method: 'PUT', url: `/stores/${storeId}/inventory/${productId}`, payload: { quantity }, headers: admin.headers }),
      ),
    )

    assert.deepEqual(
      responses.map((response) => response.statusCode),
      quantities.map(() => 200),
    )
    const { rows } = await db.pool.query(
      `SELECT i.quantity, (SELECT coalesce(sum(delta), 0) FROM stock_movements m WHERE m.store_id = i.store_id AND m.product_id = i.product_id) AS recorded
         FROM inventory i WHERE i.store_id = $1 AND i.product_id = $2`,
      [storeId, productId],
    )
    assert.equal(Number(rows[0].recorded), rows[0].quantity)
    assert.ok(quantities.includes(rows[0].quantity))
  })
})
