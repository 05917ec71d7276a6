import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { PgBossJobQueue } from '../../adapters/jobs/pg-boss.js'
import { PgUnitOfWork } from '../../adapters/postgres/pg-unit-of-work.js'
import { createPgBoss } from '../../adapters/jobs/pg-boss.js'
import { addProducts, addStore, levelsOf, stock } from '../support/fixtures.js'
import { appOverTestDatabase } from '../support/http-app.js'
import type { CreatedOrderView } from '../support/http-bodies.js'
import type { OrderId } from '../../domain/shared/ids.js'

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

describe('the confirmation job and its transaction', () => {
  test('a job enqueued in a transaction that rolls back does not exist', async () => {
    const boss = createPgBoss({ connectionString: subject.db.url, worker: false, max: 1 })
    await boss.start()
    const uow = new PgUnitOfWork(subject.db.pool, boss)

    await assert.rejects(
      uow.run(async (tx) => {
        await tx.jobs.enqueue('order-confirmation', { orderId: 424_242 as OrderId })
        throw new Error('the order failed after enqueueing')
      }),
      /the order failed/,
    )
    await new PgBossJobQueue(boss).enqueue('order-confirmation', { orderId: 434_343 as OrderId })

    const { rows } = await subject.db.pool.query<{ id: string }>(
      "SELECT data->>'orderId' AS id FROM pgboss.job WHERE name = 'order-confirmation' AND (data->>'orderId')::bigint IN (424242, 434343)",
    )
    assert.deepEqual(
      rows.map((row) => row.id),
      ['434343'],
    )
    await boss.stop({ graceful: false })
  })
})
