import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { PgUnitOfWork } from '../../adapters/postgres/pg-unit-of-work.js'
import { createPool } from '../../adapters/postgres/pool.js'
import { createPgBoss, PgBossJobQueue } from '../../adapters/jobs/pg-boss.js'
import { addProducts, addStore, levelsOf, stock } from '../support/fixtures.js'
import { appOverTestDatabase } from '../support/http-app.js'
import type { CreatedOrderView } from '../support/http-bodies.js'
import type { OrderDecision } from '../../domain/ordering/order.js'
import type { OrderId, ProductId, StoreId } from '../../domain/shared/ids.js'

const subject = appOverTestDatabase({
  pool: { max: 10 },
})

const order = (storeId: number, items: [number, number][]) =>
  subject.app.inject({
    method: 'POST',
    url: '/orders/',
    payload: { store_id: storeId, items: items.map(([product_id, quantity_requested]) => ({ product_id, quantity_requested })) },
  })

describe('orders racing for the same stock', () => {
  test('50 concurrent single-unit orders for 10 units: exactly 10 confirmed, 40 rejected, stock 0', async () => {
    const storeId = await addStore(subject.db.pool)
    const [product] = (await addProducts(subject.db.pool, [{ title: 'Last units' }])) as [number]
    await stock(subject.db.pool, storeId, { [product]: 10 })

    const responses = await Promise.all(Array.from({ length: 50 }, () => order(storeId, [[product, 1]])))

    assert.deepEqual([...new Set(responses.map((r) => r.statusCode))], [201], responses.find((r) => r.statusCode !== 201)?.body)
    const statuses = responses.map((r) => r.json<CreatedOrderView>().status)
    assert.equal(statuses.filter((s) => s === 'CONFIRMED').length, 10)
    assert.equal(statuses.filter((s) => s === 'REJECTED').length, 40)
    assert.deepEqual(await levelsOf(subject.db.pool, storeId), { [product]: 0 })
    const ledger = await subject.db.pool.query<{ taken: string }>("SELECT sum(delta) AS taken FROM stock_movements WHERE store_id = $1 AND reason = 'order'", [
      storeId,
    ])
    assert.equal(Number(ledger.rows[0]?.taken), -10)
  })

  test('two-line orders naming the same products in opposite orders never deadlock', async () => {
    const storeId = await addStore(subject.db.pool)
    const [a, b] = (await addProducts(subject.db.pool, [{ title: 'Left' }, { title: 'Right' }])) as [number, number]
    await stock(subject.db.pool, storeId, { [a]: 30, [b]: 30 })

    const responses = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        order(
          storeId,
          i % 2 === 0
            ? [
                [a, 1],
                [b, 1],
              ]
            : [
                [b, 1],
                [a, 1],
              ],
        ),
      ),
    )

    assert.deepEqual([...new Set(responses.map((r) => r.statusCode))], [201], responses.find((r) => r.statusCode !== 201)?.body)
    const confirmed = responses.filter((r) => r.json<CreatedOrderView>().status === 'CONFIRMED').length
    assert.equal(confirmed, 30)
    assert.deepEqual(await levelsOf(subject.db.pool, storeId), { [a]: 0, [b]: 0 })
  })
})

const confirmedDecision = (storeId: StoreId, productId: ProductId): OrderDecision => ({
  status: 'CONFIRMED',
  storeId,
  lines: [{ productId, quantity: 1 }],
  shortages: null,
})

describe('the confirmation job and its transaction', () => {
  test('an order written in a transaction that rolls back leaves neither the order nor its job', async () => {
    const storeId = (await addStore(subject.db.pool)) as StoreId
    const [product] = (await addProducts(subject.db.pool, [{ title: 'Rolled back' }])) as [ProductId]
    let written: OrderId | undefined

    await assert.rejects(
      new PgUnitOfWork(subject.db.pool).run(async (tx) => {
        const { titles } = await tx.orders.lockForPlacement(storeId, [product])
        // insert() checks that it wrote the job (it throws otherwise).
        written = (await tx.orders.insert({ decision: confirmedDecision(storeId, product), titles, stockChanges: [] })).id
        throw new Error('the order failed after its write')
      }),
      /the order failed/,
    )

    assert.equal(await jobsFor(written as OrderId), 0)
    assert.equal((await subject.db.pool.query('SELECT 1 FROM orders WHERE id = $1', [written])).rowCount, 0)
  })

  test("the job written with an order is the row pg-boss's own send() writes", async () => {
    const storeId = await addStore(subject.db.pool)
    const [product] = (await addProducts(subject.db.pool, [{ title: 'Compared' }])) as [number]
    await stock(subject.db.pool, storeId, { [product]: 1 })
    const placed = (await order(storeId, [[product, 1]])).json<CreatedOrderView>()
    const boss = createPgBoss({ connectionString: subject.db.url, worker: false, max: 1 })
    await boss.start()
    try {
      await new PgBossJobQueue(boss).enqueue('order-confirmation', { orderId: 525_252 as OrderId })
    } finally {
      await boss.stop({ graceful: false })
    }

    // Every column but the id and the moment: timestamps compared as offsets from start_after.
    const { rows } = await subject.db.pool.query<{ order_id: string; job: Record<string, unknown> }>(
      `SELECT data->>'orderId' AS order_id,
              to_jsonb(j) - ARRAY['id', 'data', 'start_after', 'created_on', 'keep_until']
                || jsonb_build_object('created', created_on - start_after, 'kept', keep_until - start_after) AS job
         FROM pgboss.job j WHERE name = 'order-confirmation' AND data->>'orderId' IN ($1, '525252') ORDER BY created_on`,
      [String(placed.id)],
    )
    assert.deepEqual(
      rows.map((row) => row.order_id),
      [String(placed.id), '525252'],
    )
    assert.deepEqual(rows[0]?.job, rows[1]?.job)
    assert.equal(rows[0]?.job.retry_limit, 5)
  })
})

describe('the unit of work committing with its last write', () => {
  test('a write that fails its own checks commits nothing, though its COMMIT went out with it', async () => {
    const storeId = (await addStore(subject.db.pool)) as StoreId
    const [stocked, unstocked] = (await addProducts(subject.db.pool, [{ title: 'Stocked' }, { title: 'Not in this store' }])) as [ProductId, ProductId]
    await stock(subject.db.pool, storeId, { [stocked]: 5 })
    let written: OrderId | undefined

    // A deduction for a level with no row: the write a caller holding no lock would make.
    await assert.rejects(
      new PgUnitOfWork(subject.db.pool).run(async (tx) => {
        const { titles } = await tx.orders.lockForPlacement(storeId, [stocked, unstocked])
        const decision: OrderDecision = { ...confirmedDecision(storeId, stocked), lines: [{ productId: unstocked, quantity: 1 }] }
        const stockChanges = [{ productId: unstocked, quantity: 4, delta: -1 }]
        return tx.commitWith(async () => {
          written = (await tx.orders.insert({ decision, titles, stockChanges })).id
        })
      }),
      /order write incomplete: 0 stock rows changed of 1, 1 jobs/,
    )

    assert.equal(written, undefined)
    const { rows } = await subject.db.pool.query<{ count: number }>('SELECT count(*)::int AS count FROM orders WHERE store_id = $1', [storeId])
    assert.equal(rows[0]?.count, 0)
    assert.deepEqual(await levelsOf(subject.db.pool, storeId), { [stocked]: 5 })
  })

  test('nothing can be written once the last write committed, and the client goes back to the pool as it came', async () => {
    const storeId = (await addStore(subject.db.pool)) as StoreId
    const [product] = (await addProducts(subject.db.pool, [{ title: 'Committed' }])) as [ProductId]
    const onePool = createPool({ connectionString: subject.db.url, applicationName: 'test', max: 1 })
    let placed: OrderId | undefined
    try {
      await assert.rejects(
        new PgUnitOfWork(onePool).run(async (tx) => {
          const { titles } = await tx.orders.lockForPlacement(storeId, [product])
          placed = (await tx.commitWith(() => tx.orders.insert({ decision: confirmedDecision(storeId, product), titles, stockChanges: [] }))).id
          await tx.orders.lockForPlacement(storeId, [product])
        }),
        /after the commit/,
      )

      assert.equal(await jobsFor(placed as OrderId), 1)
      const client = await onePool.connect()
      assert.equal((client as { pipeline?: boolean }).pipeline, false)
      client.release()
    } finally {
      await onePool.end()
    }
  })

  test('its statements are planned once per connection, and the setting ends with the transaction', async () => {
    const storeId = (await addStore(subject.db.pool)) as StoreId
    const [product] = (await addProducts(subject.db.pool, [{ title: 'Planned once' }])) as [ProductId]
    await stock(subject.db.pool, storeId, { [product]: 100 })
    const onePool = createPool({ connectionString: subject.db.url, applicationName: 'test', max: 1 })
    try {
      // Left to choose, Postgres plans each of the first five runs of a prepared statement for its values.
      for (let run = 0; run < 6; run++) {
        await new PgUnitOfWork(onePool).run((tx) => tx.commitWith(() => tx.orders.confirmIfStocked({ storeId, lines: [{ productId: product, quantity: 1 }] })))
      }
      const { rows } = await onePool.query<{ generic_plans: number; custom_plans: number; mode: string }>(
        `SELECT generic_plans, custom_plans, current_setting('plan_cache_mode') AS mode FROM pg_prepared_statements WHERE name = 'confirm-if-stocked'`,
      )
      assert.deepEqual(rows, [{ generic_plans: 6, custom_plans: 0, mode: 'auto' }])
      assert.deepEqual(await levelsOf(subject.db.pool, storeId), { [product]: 94 })
    } finally {
      await onePool.end()
    }
  })
})

async function jobsFor(orderId: OrderId): Promise<number> {
  const { rows } = await subject.db.pool.query<{ count: number }>(
    "SELECT count(*)::int AS count FROM pgboss.job WHERE name = 'order-confirmation' AND data->>'orderId' = $1::text",
    [orderId],
  )
  return rows[0]?.count ?? 0
}
