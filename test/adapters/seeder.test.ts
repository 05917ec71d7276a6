import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { after, before, describe, test } from 'node:test'
import { DatabaseNotEmptyError } from '../../adapters/postgres/pg-seeder.js'
import { DEFAULT_SEED_PLAN, runSeed } from '../../bootstrap/infrastructure/seed-runner.js'
import { addProducts, countOf } from '../support/fixtures.js'
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

  test('the search projection written in bulk is the one the insert trigger writes, and the trigger projects again after', async () => {
    await runSeed(db.pool, { ...DEFAULT_SEED_PLAN, reset: true, seed: 11 }, quiet())
    // What products_inserted() writes for a product, computed from the seeded catalog.
    const EXPECTED = `SELECT p.id, p.category_id, p.price, p.created_at, p.title, product_search_document(p.title, c.name, p.description)
                        FROM products p JOIN categories c ON c.id = p.category_id`
    const ACTUAL = 'SELECT product_id, category_id, price, created_at, title, document FROM product_search'
    assert.equal(await countOf(db.pool, `SELECT count(*) AS n FROM (${EXPECTED} EXCEPT ALL ${ACTUAL}) missing`), 0)
    assert.equal(await countOf(db.pool, `SELECT count(*) AS n FROM (${ACTUAL} EXCEPT ALL ${EXPECTED}) extra`), 0)
    assert.equal(await countOf(db.pool, 'SELECT count(*) AS n FROM product_search'), 1_000)

    const [added] = await addProducts(db.pool, [{ title: 'Zanzibar Kettle' }])

    assert.equal(await countOf(db.pool, 'SELECT count(*) AS n FROM product_search WHERE product_id = $1', [added]), 1)
    const size = await db.pool.query<{ products: number }>('SELECT products FROM catalog_size')
    assert.equal(size.rows[0]?.products, 1_001)
  })

  test('leaves search ready: every index and key back, statistics taken, loaded pages all-visible', async () => {
    const SCHEMA = `SELECT (SELECT string_agg(indexdef, E'\n' ORDER BY indexdef) FROM pg_indexes WHERE schemaname = 'public') AS indexes,
                           (SELECT string_agg(concat_ws(' ', conrelid::regclass, conname, pg_get_constraintdef(oid)), E'\n' ORDER BY conrelid::regclass::text, conname)
                              FROM pg_constraint WHERE contype = 'f') AS keys,
                           (SELECT count(*) FROM pg_trigger WHERE tgenabled = 'D') AS disabled_triggers`
    const schema = async () => (await db.pool.query<{ indexes: string; keys: string; disabled_triggers: string }>(SCHEMA)).rows[0]
    const before = await schema()

    await runSeed(db.pool, { ...DEFAULT_SEED_PLAN, reset: true, seed: 12 }, quiet())

    assert.deepEqual(await schema(), before)
    const { rows } = await db.pool.query<{ relname: string; relpages: number; relallvisible: number; reltuples: number }>(`
      SELECT relname, relpages, relallvisible, reltuples FROM pg_class
       WHERE relname IN ('products', 'product_search', 'product_titles', 'search_lexemes', 'inventory', 'stock_movements')`)
    assert.equal(rows.length, 6)
    for (const table of rows) {
      assert.ok(table.reltuples > 0, `${table.relname} analysed`)
      assert.equal(table.relallvisible, table.relpages, `${table.relname} all-visible`)
    }
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
