import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { addProducts, addStore, countOf, stock } from '../support/fixtures.js'
import { eventually } from '../support/eventually.js'
import { adminKey, type TestKey } from '../support/api-keys.js'
import { appOverTestDatabase } from '../support/http-app.js'
import type { CreatedOrderView, OrderView } from '../support/http-bodies.js'
import { startTestWorker, type TestWorker } from '../support/job-worker.js'
import { startProgram } from '../support/programs.js'
import { freePort } from '../support/services.js'

let worker: TestWorker

let admin: TestKey

const subject = appOverTestDatabase({
  prepare: async () => {
    admin = await adminKey(subject.db.pool)
    worker = await startTestWorker(subject.db)
  },
  release: async () => {
    await worker.stop()
  },
})

const outboxRows = async (orderId: number) =>
  (
    await subject.db.pool.query<{ recipient: string; subject: string; sent_at: Date }>(
      'SELECT recipient, subject, sent_at FROM notifications WHERE order_id = $1',
      [orderId],
    )
  ).rows

describe('an order placed over HTTP, with a worker running', () => {
  test('a confirmed order gets confirmation_sent_at and exactly one outbox row; a rejected one gets none', async () => {
    const storeId = await addStore(subject.db.pool)
    const [lamp, desk] = (await addProducts(subject.db.pool, [{ title: 'Steel Lamp' }, { title: 'Oak Desk' }])) as [number, number]
    await stock(subject.db.pool, storeId, { [lamp]: 5, [desk]: 0 })

    const confirmed = await subject.app.inject({
      method: 'POST',
      url: '/orders/',
      payload: { store_id: storeId, items: [{ product_id: lamp, quantity_requested: 2 }] },
    })
    const rejected = await subject.app.inject({
      method: 'POST',
      url: '/orders/',
      payload: { store_id: storeId, items: [{ product_id: desk, quantity_requested: 1 }] },
    })

    const [confirmedOrder, rejectedOrder] = [confirmed.json<CreatedOrderView>(), rejected.json<CreatedOrderView>()]
    assert.deepEqual([confirmedOrder.status, rejectedOrder.status], ['CONFIRMED', 'REJECTED'])
    const confirmedId = confirmedOrder.id
    const sentAt = await eventually('the confirmation to be recorded', async () => {
      const body = (await subject.app.inject({ method: 'GET', url: `/orders/${confirmedId}/`, headers: admin.headers })).json<OrderView>()
      return body.confirmation_sent_at ?? undefined
    })
    const rows = await outboxRows(confirmedId)
    assert.equal(rows.length, 1)
    assert.equal(rows[0]?.recipient, `store-${storeId}@orders.aforro.dev`)
    assert.equal(sentAt, rows[0]?.sent_at.toISOString())
    const rejectedView = (await subject.app.inject({ method: 'GET', url: `/orders/${rejectedOrder.id}/`, headers: admin.headers })).json<OrderView>()
    assert.equal(rejectedView.confirmation_sent_at, null)
    assert.deepEqual(await outboxRows(rejectedOrder.id), [])
    assert.equal(
      await countOf(subject.db.pool, "SELECT count(*) AS n FROM pgboss.job WHERE name = 'order-confirmation'"),
      1,
      'only the confirmed order enqueued a job',
    )
  })
})

describe('the API process with RUN_WORKER=true', () => {
  test('confirms the orders it takes without a separate worker', async () => {
    const storeId = await addStore(subject.db.pool, 'In-process')
    const [lamp] = (await addProducts(subject.db.pool, [{ title: 'Brass Lamp' }])) as [number]
    await stock(subject.db.pool, storeId, { [lamp]: 3 })
    const port = await freePort()
    const server = startProgram('bootstrap/server.js', [], { DATABASE_URL: subject.db.url, PORT: String(port), RUN_WORKER: 'true', LOG_LEVEL: 'info' })
    await server.waitFor('job worker started')
    await server.waitFor('Server listening')

    const placed = await fetch(`http://127.0.0.1:${port}/orders/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ store_id: storeId, items: [{ product_id: lamp, quantity_requested: 1 }] }),
    })
    const orderId = ((await placed.json()) as { id: number }).id
    const sentAt = await eventually('the in-process worker to confirm the order', async () => {
      const order = (await (await fetch(`http://127.0.0.1:${port}/orders/${orderId}/`, { headers: admin.headers })).json()) as {
        confirmation_sent_at: string | null
      }
      return order.confirmation_sent_at ?? undefined
    })
    server.child.kill('SIGTERM')

    assert.equal(placed.status, 201)
    assert.match(sentAt, /^\d{4}-\d{2}-\d{2}T/)
    assert.equal((await outboxRows(orderId)).length, 1)
    assert.equal(await server.exited, 0, server.output())
  })
})
