import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { PgBossJobQueue } from '../../adapters/jobs/pg-boss.js'
import { PgUnitOfWork } from '../../adapters/postgres/pg-unit-of-work.js'
import { createPgBoss } from '../../adapters/jobs/pg-boss.js'
import { addProducts, addStore, levelsOf, stock } from '../support/fixtures.js'
import { buildTestApp } from '../support/http-app.js'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'
import type { OrderId } from '../../domain/shared/ids.js'

let db: TestDatabase
let app: FastifyInstance

before(async () => {
  db = await createTestDatabase({ max: 10 })
  app = await buildTestApp(db)
})
after(async () => {
  await app.close()
  await db.close()
})

const order = (storeId: number, items: [number, number][]) =>
  app.inject({
    method: 'POST',
    url: '/orders/',
    payload: { store_id: storeId, items: items.map(([product_id, quantity_requested]) => ({ product_id, quantity_requested })) },
  })

describe('orders racing for the same stock', () => {
  test('50 concurrent single-unit orders for 10 units: exactly 10 confirmed, 40 rejected, stock 0', async () => {
    const storeId = await addStore(db.pool)
    const [product] = (await addProducts(db.pool, [{ title: 'Last units' }])) as [number]
    await stock(db.pool, storeId, { [product]: 10 })

    const responses = await Promise.all(Array.from({ length: 50 }, () => order(storeId, [[product, 1]])))

    assert.deepEqual([...new Set(responses.map((r) => r.statusCode))], [201], responses.find((r) => r.statusCode !== 201)?.body)
    const statuses = responses.map((r) => r.json().status as string)
    assert.equal(statuses.filter((s) => s === 'CONFIRMED').length, 10)
    assert.equal(statuses.filter((s) => s === 'REJECTED').length, 40)
    assert.deepEqual(await levelsOf(db.pool, storeId), { [product]: 0 })
    const ledger = await db.pool.query("SELECT sum(delta) AS taken FROM stock_movements WHERE store_id = $1 AND reason = 'order'", [storeId])
    assert.equal(Number(ledger.rows[0].taken), -10)
  })

  test('two-line orders naming the same products in opposite orders never deadlock', async () => {
    const storeId = await addStore(db.pool)
    const [a, b] = (await addProducts(db.pool, [{ title: 'Left' }, { title: 'Right' }])) as [number, number]
    await stock(db.pool, storeId, { [a]: 30, [b]: 30 })

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
    const confirmed = responses.filter((r) => r.json().status === 'CONFIRMED').length
    assert.equal(confirmed, 30)
    assert.deepEqual(await levelsOf(db.pool, storeId), { [a]: 0, [b]: 0 })
  })
})

describe('the confirmation job and its transaction', () => {
  test('a job enqueued in a transaction that rolls back does not exist', async () => {
    const boss = createPgBoss({ connectionString: db.url, worker: false, max: 1 })
    await boss.start()
    const uow = new PgUnitOfWork(db.pool, boss)

    await assert.rejects(
      uow.run(async (tx) => {
        await tx.jobs.enqueue('order-confirmation', { orderId: 424_242 as OrderId })
        throw new Error('the order failed after enqueueing')
      }),
      /the order failed/,
    )
    await new PgBossJobQueue(boss).enqueue('order-confirmation', { orderId: 434_343 as OrderId })

    const { rows } = await db.pool.query(
      "SELECT data->>'orderId' AS id FROM pgboss.job WHERE name = 'order-confirmation' AND (data->>'orderId')::bigint IN (424242, 434343)",
    )
    assert.deepEqual(
      rows.map((row) => row.id),
      ['434343'],
    )
    await boss.stop({ graceful: false })
  })
})
