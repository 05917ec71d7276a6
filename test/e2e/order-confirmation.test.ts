import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { addProducts, addStore, stock } from '../support/fixtures.js'
import { eventually } from '../support/eventually.js'
import { adminKey, type TestKey } from '../support/api-keys.js'
import { buildTestApp } from '../support/http-app.js'
import { startTestWorker, type TestWorker } from '../support/job-worker.js'
import { startProgram } from '../support/programs.js'
import { freePort } from '../support/services.js'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'

let db: TestDatabase
let app: FastifyInstance
let worker: TestWorker
let admin: TestKey

before(async () => {
  db = await createTestDatabase()
  app = await buildTestApp(db)
  admin = await adminKey(db.pool)
  worker = await startTestWorker(db)
})
after(async () => {
  await app.close()
  await worker.stop()
  await db.close()
})

const outboxRows = async (orderId: number) => (await db.pool.query('SELECT recipient, subject, sent_at FROM notifications WHERE order_id = $1', [orderId])).rows

describe('an order placed over HTTP, with a worker running', () => {
  test('a confirmed order gets confirmation_sent_at and exactly one outbox row; a rejected one gets none', async () => {
    const storeId = await addStore(db.pool)
    const [lamp, desk] = (await addProducts(db.pool, [{ title: 'Steel Lamp' }, { title: 'Oak Desk' }])) as [number, number]
    await stock(db.pool, storeId, { [lamp]: 5, [desk]: 0 })

    const confirmed = await app.inject({
      method: 'POST',
      url: '/orders/',
      payload: { store_id: storeId, items: [{ product_id: lamp, quantity_requested: 2 }] },
    })
    const rejected = await app.inject({ method: 'POST', url: '/orders/', payload: { store_id: storeId, items: [{ product_id: desk, quantity_requested: 1 }] } })

    assert.deepEqual([confirmed.json().status, rejected.json().status], ['CONFIRMED', 'REJECTED'])
    const confirmedId = confirmed.json().id as number
    const sentAt = await eventually('the confirmation to be recorded', async () => {
      const body = (await app.inject({ method: 'GET', url: `/orders/${confirmedId}/`, headers: admin.headers })).json()
      return body.confirmation_sent_at ?? undefined
    })
    const rows = await outboxRows(confirmedId)
    assert.equal(rows.length, 1)
    assert.equal(rows[0].recipient, `store-${storeId}@orders.aforro.dev`)
    assert.equal(sentAt, rows[0].sent_at.toISOString())
    const rejectedView = (await app.inject({ method: 'GET', url: `/orders/${rejected.json().id}/`, headers: admin.headers })).json()
    assert.equal(rejectedView.confirmation_sent_at, null)
    assert.deepEqual(await outboxRows(rejected.json().id), [])
    assert.equal(
      (await db.pool.query("SELECT count(*) AS n FROM pgboss.job WHERE name = 'order-confirmation'")).rows[0].n,
      1,
      'only the confirmed order enqueued a job',
    )
  })
})

describe('the API process with RUN_WORKER=true', () => {
  test('confirms the orders it takes without a separate worker', async () => {
    const storeId = await addStore(db.pool, 'In-process')
    const [lamp] = (await addProducts(db.pool, [{ title: 'Brass Lamp' }])) as [number]
    await stock(db.pool, storeId, { [lamp]: 3 })
    const port = await freePort()
    const server = startProgram('bootstrap/server.js', [], { DATABASE_URL: db.url, PORT: String(port), RUN_WORKER: 'true', LOG_LEVEL: 'info' })
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
