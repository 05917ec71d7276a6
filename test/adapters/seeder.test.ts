import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { after, before, describe, test } from 'node:test'
import { DatabaseNotEmptyError } from '../../adapters/postgres/pg-seeder.js'
import { DEFAULT_SEED_PLAN, runSeed } from '../../bootstrap/infrastructure/seed-runner.js'
import { countOf } from '../support/fixtures.js'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'

let db: TestDatabase
before(async () => {
  db = await createTestDatabase()
})
after(() => db.close())

const SNAPSHOT = `
  SELECT (SELECT json_agg(json_build_array(id, name) ORDER BY id) FROM categories) AS categories,
         (SELECT json_agg(json_build_array(id, title, description, price, category_id, created_at) ORDER BY id) FROM products) AS products,
         (SELECT json_agg(json_build_array(id, name, location) ORDER BY id) FROM stores) AS stores,
         (SELECT json_agg(json_build_array(store_id, product_id, quantity) ORDER BY store_id, product_id) FROM inventory) AS inventory`

const snapshot = async () => (await db.pool.query<Record<'categories' | 'products' | 'stores' | 'inventory', unknown>>(SNAPSHOT)).rows[0]

const quiet = () => new PassThrough()

describe('seed', () => {
  test('the default plan meets the brief and records every unit in the ledger', async () => {
    const report = await runSeed(db.pool, { ...DEFAULT_SEED_PLAN, reset: true, seed: 7 }, quiet())

    assert.deepEqual(
      { categories: report.counts.categories, products: report.counts.products, stores: report.counts.stores },
      { categories: 10, products: 1_000, stores: 20 },
    )
    const { rows } = await db.pool.query<{ fewest: number }>(`
      SELECT min(per_store) AS fewest FROM (SELECT count(*) AS per_store FROM inventory GROUP BY store_id) s`)
    const fewest = rows[0]?.fewest ?? 0
    assert.ok(fewest >= 300, `every store carries at least 300 products, fewest ${fewest}`)
    const mismatches = await countOf(
      db.pool,
      `SELECT count(*) AS n FROM inventory i
       WHERE i.quantity <> (SELECT coalesce(sum(delta), 0) FROM stock_movements m WHERE m.store_id = i.store_id AND m.product_id = i.product_id)`,
    )
    assert.equal(mismatches, 0)
  })

  test('the same seed gives identical rows on every run', async () => {
    await runSeed(db.pool, { ...DEFAULT_SEED_PLAN, reset: true, seed: 42 }, quiet())
    const first = await snapshot()
    await runSeed(db.pool, { ...DEFAULT_SEED_PLAN, reset: true, seed: 42 }, quiet())
    const second = await snapshot()
    await runSeed(db.pool, { ...DEFAULT_SEED_PLAN, reset: true, seed: 43 }, quiet())
    const other = await snapshot()

    assert.deepEqual(second, first)
    assert.notDeepEqual(other?.products, first?.products)
  })

  test('refuses to mix into existing data without reset, and writes nothing', async () => {
    const before = await countOf(db.pool, 'SELECT count(*) AS n FROM products')

    await assert.rejects(runSeed(db.pool, { ...DEFAULT_SEED_PLAN, seed: 1 }, quiet()), DatabaseNotEmptyError)

    assert.equal(await countOf(db.pool, 'SELECT count(*) AS n FROM products'), before)
  })

  test('a reset never hands out an order id again', async () => {
    await runSeed(db.pool, { ...DEFAULT_SEED_PLAN, reset: true, seed: 5 }, quiet())
    const newOrderId = async () =>
      (await db.pool.query<{ id: number }>("INSERT INTO orders (store_id, status, total_items) VALUES (1, 'CONFIRMED', 1) RETURNING id")).rows[0]?.id ?? 0
    const before = await newOrderId()

    await runSeed(db.pool, { ...DEFAULT_SEED_PLAN, reset: true, seed: 5 }, quiet())

    assert.equal(await countOf(db.pool, 'SELECT count(*) AS n FROM orders'), 0)
    assert.ok((await newOrderId()) > before)
  })

  test('a catalog smaller than the per-store minimum is carried whole by every store', async () => {
    const report = await runSeed(db.pool, { categories: 2, products: 50, stores: 3, inventoryPerStore: 300, reset: true, seed: 3 }, quiet())

    assert.equal(report.counts.inventory, 150)
    const size = await db.pool.query<{ products: number }>('SELECT products FROM catalog_size')
    assert.equal(size.rows[0]?.products, 50, 'the kept catalog size followed the reset and the load')
  })
})
