import assert from 'node:assert/strict'
import { after, before, beforeEach, describe, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { PgOrderConfirmations } from '../../adapters/postgres/pg-order-confirmations.js'
import { PgOrderQueries } from '../../adapters/postgres/pg-order-queries.js'
import { PgOutboxNotifier } from '../../adapters/postgres/pg-outbox-notifier.js'
import { inTransaction } from '../../adapters/postgres/pool.js'
import { SendOrderConfirmation } from '../../application/ordering/send-order-confirmation.js'
import { MAX_STOCK_LEVEL } from '../../domain/inventory/store-inventory.js'
import type { OrderId } from '../../domain/shared/ids.js'
import { buildLedgerAudit } from '../../bootstrap/composition/container.js'
import { adminKey, type TestKey } from '../support/api-keys.js'
import { addProducts, addStore, countOf, levelsOf, someoneWaitsForALock, stock } from '../support/fixtures.js'
import type { CreatedOrderView, InventoryItemView, OrderView, PageEnvelope, ProblemBody } from '../support/http-bodies.js'
import { buildTestApp } from '../support/http-app.js'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined }

let db: TestDatabase
let app: FastifyInstance
let admin: TestKey
let storeId: number
let lamp: number
let desk: number

before(async () => {
  db = await createTestDatabase()
  app = await buildTestApp(db)
  admin = await adminKey(db.pool)
  ;[lamp, desk] = (await addProducts(db.pool, [{ title: 'Steel Lamp' }, { title: 'Oak Desk' }])) as [number, number]
})
after(async () => {
  await app.close()
  await db.close()
})
beforeEach(async () => {
  storeId = await addStore(db.pool)
  await stock(db.pool, storeId, { [lamp]: 5, [desk]: 3 })
})

const place = async (items: [number, number][], headers: Record<string, string> = {}) => {
  const response = await app.inject({
    method: 'POST',
    url: '/orders/',
    headers,
    payload: { store_id: storeId, items: items.map(([product_id, quantity_requested]) => ({ product_id, quantity_requested })) },
  })
  assert.equal(response.statusCode, 201, response.body)
  return response.json<CreatedOrderView>()
}
const cancel = (orderId: number | string, payload?: object) =>
  app.inject({ method: 'POST', url: `/orders/${orderId}/cancel/`, headers: admin.headers, ...(payload === undefined ? {} : { payload }) })
const cancelMovements = async (orderId: number) =>
  (
    await db.pool.query<{ product_id: number; delta: number }>(
      "SELECT product_id, delta FROM stock_movements WHERE reason = 'cancel' AND reference = $1 ORDER BY product_id",
      [`order:${orderId}`],
    )
  ).rows

describe('POST /orders/<id>/cancel/', () => {
  test('returns every line to the levels exactly, records cancel movements, and answers the order with cancelled_at', async () => {
    const order = await place([
      [desk, 2],
      [lamp, 4],
    ])
    const listing = () => app.inject({ method: 'GET', url: `/stores/${storeId}/inventory/` })
    await listing()

    const response = await cancel(order.id)

    assert.equal(response.statusCode, 200, response.body)
    const body = response.json<OrderView>()
    assert.equal(body.status, 'CANCELLED')
    assert.match(body.cancelled_at ?? '', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
    assert.equal(body.confirmation_sent_at, null)
    assert.deepEqual(await levelsOf(db.pool, storeId), { [lamp]: 5, [desk]: 3 })
    assert.deepEqual(await cancelMovements(order.id), [
      { product_id: lamp, delta: 4 },
      { product_id: desk, delta: 2 },
    ])
    const read = await app.inject({ method: 'GET', url: `/orders/${order.id}/`, headers: admin.headers })
    assert.deepEqual(read.json(), body)
    const cached = (await listing()).json<PageEnvelope<InventoryItemView>>().results
    assert.deepEqual(
      cached.map((item) => [item.product_id, item.quantity]),
      [
        [desk, 3],
        [lamp, 5],
      ],
      'the cached listing is invalid once the cancellation returns',
    )
  })

  test('cancelling again answers 200 with the same order and returns nothing twice', async () => {
    const order = await place([[lamp, 2]])
    const first = await cancel(order.id)

    const second = await cancel(order.id, {})

    assert.equal(second.statusCode, 200)
    assert.deepEqual(second.json(), first.json())
    assert.deepEqual(await levelsOf(db.pool, storeId), { [lamp]: 5, [desk]: 3 })
    assert.deepEqual(await cancelMovements(order.id), [{ product_id: lamp, delta: 2 }])
  })

  test('a REJECTED order is a 409 conflict and nothing changes', async () => {
    const order = await place([[lamp, 9]])
    assert.equal(order.status, 'REJECTED')

    const response = await cancel(order.id)

    assert.equal(response.statusCode, 409)
    assert.equal(response.json<ProblemBody>().type, 'https://aforro.dev/problems/conflict')
    const read = await app.inject({ method: 'GET', url: `/orders/${order.id}/`, headers: admin.headers })
    assert.equal(read.json<OrderView>().status, 'REJECTED')
    assert.equal(read.json<OrderView>().cancelled_at, undefined)
    assert.deepEqual(await levelsOf(db.pool, storeId), { [lamp]: 5, [desk]: 3 })
  })

  test('a cancellation that would take a level past the maximum is a 409 and changes nothing', async () => {
    const order = await place([
      [desk, 1],
      [lamp, 2],
    ])
    const restock = await app.inject({
      method: 'PUT',
      url: `/stores/${storeId}/inventory/${lamp}/`,
      headers: admin.headers,
      payload: { quantity: MAX_STOCK_LEVEL - 1 },
    })
    assert.equal(restock.statusCode, 200, restock.body)

    const response = await cancel(order.id)

    assert.equal(response.statusCode, 409, response.body)
    assert.equal(response.json<ProblemBody>().type, 'https://aforro.dev/problems/conflict')
    const read = await app.inject({ method: 'GET', url: `/orders/${order.id}/`, headers: admin.headers })
    assert.equal(read.json<OrderView>().status, 'CONFIRMED')
    assert.deepEqual(await levelsOf(db.pool, storeId), { [lamp]: MAX_STOCK_LEVEL - 1, [desk]: 2 })
    assert.deepEqual(await cancelMovements(order.id), [])
  })

  test('a missing order is a 404, a bad id or a body with fields a 400', async () => {
    const order = await place([[lamp, 1]])

    const missing = await cancel(987654321)
    const badIds = await Promise.all(['abc', '0', '1.5'].map((id) => cancel(id)))
    const withFields = await cancel(order.id, { reason: 'changed my mind' })

    assert.equal(missing.statusCode, 404)
    assert.deepEqual(
      badIds.map((response) => response.statusCode),
      [400, 400, 400],
    )
    assert.equal(withFields.statusCode, 400)
    assert.equal((await levelsOf(db.pool, storeId))[lamp], 4, 'the refused cancellations changed nothing')
  })

  test('a confirmation not yet sent is never sent for a cancelled order', async () => {
    const order = await place([[lamp, 1]])
    await cancel(order.id)
    const confirm = new SendOrderConfirmation(new PgOrderQueries(db.pool), new PgOrderConfirmations(db.pool), new PgOutboxNotifier(db.pool, silent))

    assert.equal(await confirm.execute(order.id as OrderId), 'not-confirmed')
    assert.equal(await countOf(db.pool, 'SELECT count(*)::int AS n FROM notifications WHERE order_id = $1', [order.id]), 0)
  })

  test('a send racing a cancellation that holds the order waits for it, then sends nothing', async () => {
    const order = await place([[lamp, 1]])
    const notifier = new PgOutboxNotifier(db.pool, silent)
    let sending: ReturnType<typeof notifier.send> | undefined

    await inTransaction(db.pool, async (client) => {
      await client.query('SELECT 1 FROM orders WHERE id = $1 FOR UPDATE', [order.id])
      sending = notifier.send({ orderId: order.id, recipient: 'desk@example.org', subject: 'confirmed', body: '' })
      await someoneWaitsForALock(db.pool)
      await client.query("UPDATE orders SET status = 'CANCELLED', cancelled_at = now() WHERE id = $1", [order.id])
    })

    assert.equal(await sending, null)
    assert.equal(await countOf(db.pool, 'SELECT count(*)::int AS n FROM notifications WHERE order_id = $1', [order.id]), 0)
  })

  test('order lines keep the title they were ordered under, in reads and in idempotent replays', async () => {
    const headers = { 'idempotency-key': `title-snapshot-${storeId}` }
    const order = await place([[desk, 1]], headers)
    await db.pool.query("UPDATE products SET title = 'Walnut Desk' WHERE id = $1", [desk])

    const read = await app.inject({ method: 'GET', url: `/orders/${order.id}/`, headers: admin.headers })
    const replay = await place([[desk, 1]], headers)
    await db.pool.query("UPDATE products SET title = 'Oak Desk' WHERE id = $1", [desk])

    assert.equal(read.json<OrderView>().items[0]?.title, 'Oak Desk')
    assert.equal((replay as unknown as { items: { title: string }[] }).items[0]!.title, 'Oak Desk')
  })
})

describe('cancellations racing new orders', () => {
  test('30 orders and 30 cancellations on two products, lines in opposite orders: no 5xx, no deadlock, levels = ledger, audit passes', async () => {
    await db.pool.query('UPDATE inventory SET quantity = quantity + 97 WHERE store_id = $1', [storeId])
    await db.pool.query(
      `INSERT INTO stock_movements (store_id, product_id, delta, reason, reference) SELECT $1, product_id, 97, 'restock', 'test' FROM inventory WHERE store_id = $1`,
      [storeId],
    )
    const lines = (i: number): [number, number][] =>
      i % 2 === 0
        ? [
            [lamp, 1],
            [desk, 1],
          ]
        : [
            [desk, 1],
            [lamp, 1],
          ]
    const toCancel: number[] = []
    for (let i = 0; i < 30; i++) toCancel.push((await place(lines(i))).id)

    const responses = await Promise.all(
      Array.from({ length: 30 }, (_, i) => [
        app.inject({
          method: 'POST',
          url: '/orders/',
          payload: { store_id: storeId, items: lines(i + 1).map(([product_id, quantity_requested]) => ({ product_id, quantity_requested })) },
        }),
        cancel(toCancel[i]!),
      ]).flat(),
    )

    assert.deepEqual(
      responses.map((response) => response.statusCode).filter((status) => status !== 200 && status !== 201),
      [],
      responses.map((response) => response.body).join('\n'),
    )
    assert.ok(responses.every((response) => ['CONFIRMED', 'CANCELLED'].includes(response.json<OrderView>().status)))
    assert.deepEqual(await levelsOf(db.pool, storeId), { [lamp]: 72, [desk]: 70 })
    const { rows } = await db.pool.query<{ product_id: number; sum: number }>(
      'SELECT product_id, sum(delta)::int AS sum FROM stock_movements WHERE store_id = $1 GROUP BY product_id ORDER BY product_id',
      [storeId],
    )
    assert.deepEqual(Object.fromEntries(rows.map((row) => [row.product_id, row.sum])), await levelsOf(db.pool, storeId))
    assert.equal((await buildLedgerAudit(db.pool).execute()).passed, true)
  })
})
