import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { addProducts, addStore, stock } from '../support/fixtures.js'
import { eventually } from '../support/eventually.js'
import { buildTestApp } from '../support/http-app.js'
import { startTestWorker, type TestWorker } from '../support/job-worker.js'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'

let db: TestDatabase
let app: FastifyInstance
let worker: TestWorker

before(async () => {
  db = await createTestDatabase()
  app = await buildTestApp(db)
  worker = await startTestWorker(db)
})
after(async () => {
  await app.close()
  await worker.stop()
  await db.close()
})

const outboxRows = async (orderId: number) =>
  (await db.pool.query('SELECT recipient, subject, sent_at FROM notifications WHERE order_id = $1', [orderId])).rows

describe('an order placed over HTTP, with a worker running', () => {
  test('a confirmed order gets confirmation_sent_at and exactly one outbox row; a rejected one gets none', async () => {
    const storeId = await addStore(db.pool)
    const [lamp, desk] = (await addProducts(db.pool, [{ title: 'Steel Lamp' }, { title: 'Oak Desk' }])) as [number, number]
    await stock(db.pool, storeId, { [lamp]: 5, [desk]: 0 })

    const confirmed = await app.inject({ method: 'POST', url: '/orders/', payload: { store_id: storeId, items: [{ product_id: lamp, quantity_requested: 2 }] } })
    const rejected = await app.inject({ method: 'POST', url: '/orders/', payload: { store_id: storeId, items: [{ product_id: desk, quantity_requested: 1 }] } })

    assert.deepEqual([confirmed.json().status, rejected.json().status], ['CONFIRMED', 'REJECTED'])
    const confirmedId = confirmed.json().id as number
    const sentAt = await eventually('the confirmation to be recorded', async () => {
      const body = (await app.inject({ method: 'GET', url: `/orders/${confirmedId}/` })).json()
      return body.confirmation_sent_at ?? undefined
    })
    const rows = await outboxRows(confirmedId)
    assert.equal(rows.length, 1)
    assert.equal(rows[0].recipient, `store-${storeId}@orders.aforro.dev`)
    assert.equal(sentAt, rows[0].sent_at.toISOString())
    const rejectedView = (await app.inject({ method: 'GET', url: `/orders/${rejected.json().id}/` })).json()
    assert.equal(rejectedView.confirmation_sent_at, null)
    assert.deepEqual(await outboxRows(rejected.json().id), [])
    assert.equal((await db.pool.query("SELECT count(*) AS n FROM pgboss.job WHERE name = 'order-confirmation'")).rows[0].n, 1, 'only the confirmed order enqueued a job')
  })
})
