import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { deadLetterQueueOf, ensureQueue, PgBossJobQueue } from '../../adapters/jobs/pg-boss.js'
import { redriveDeadLetters } from '../../adapters/jobs/queue-admin.js'
import { work } from '../../adapters/jobs/workers.js'
import { Counters } from '../../adapters/metrics/counters.js'
import { PgOrderConfirmations } from '../../adapters/postgres/pg-order-confirmations.js'
import { PgOrderQueries } from '../../adapters/postgres/pg-order-queries.js'
import { PgOutboxNotifier } from '../../adapters/postgres/pg-outbox-notifier.js'
import { JOB_NAMES } from '../../application/shared/job-queue.js'
import { SendOrderConfirmation } from '../../application/ordering/send-order-confirmation.js'
import type { OrderId } from '../../domain/shared/ids.js'
import { eventually } from '../support/eventually.js'
import { FAST_POLLING, insertOrder, seedSmallDataSet, startTestWorker, type TestWorker } from '../support/job-worker.js'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'

let db: TestDatabase
let worker: TestWorker
let storeId: number
let products: { id: number; title: string }[]

before(async () => {
  db = await createTestDatabase()
  await seedSmallDataSet(db.pool)
  worker = await startTestWorker(db)
  storeId = 1
  products = (
    await db.pool.query<{ id: number; title: string }>(
      `SELECT p.id, p.title FROM inventory i JOIN products p ON p.id = i.product_id WHERE i.store_id = $1 ORDER BY p.id LIMIT 2`,
      [storeId],
    )
  ).rows
})
after(async () => {
  await worker.stop()
  await db.close()
})

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined }

async function confirmedOrder(): Promise<OrderId> {
  return insertOrder(db.pool, storeId, 'CONFIRMED', [
    { productId: products[0]!.id, quantity: 2 },
    { productId: products[1]!.id, quantity: 1 },
  ])
}

/** Waits until every job enqueued for the order has finished, and returns their outcomes. */
async function settledOutcomes(orderId: number, jobs: number): Promise<string[]> {
  return eventually(`${jobs} confirmation job(s) of order ${orderId} to complete`, async () => {
    const found = await worker.boss.findJobs<{ orderId: number }>('order-confirmation', { data: { orderId } })
    const done = found.filter((job) => job.state === 'completed')
    return done.length === jobs ? done.map((job) => (job.output as { outcome: string }).outcome).sort() : undefined
  })
}

async function confirmationOf(orderId: number) {
  const { rows } = await db.pool.query<{
    confirmation_sent_at: Date | null
    notifications: { recipient: string; subject: string; body: string; sent_at: string }[]
  }>(
    `SELECT o.confirmation_sent_at,
            coalesce((SELECT json_agg(json_build_object('recipient', n.recipient, 'subject', n.subject, 'body', n.body, 'sent_at', n.sent_at))
                        FROM notifications n WHERE n.order_id = o.id), '[]') AS notifications
       FROM orders o WHERE o.id = $1`,
    [orderId],
  )
  return rows[0]!
}

describe('order confirmation job', () => {
  test('sends one confirmation to the store order desk and records when it went out', async () => {
    const orderId = await confirmedOrder()

    await new PgBossJobQueue(worker.boss).enqueue('order-confirmation', { orderId })

    assert.deepEqual(await settledOutcomes(orderId, 1), ['sent'])
    const { confirmation_sent_at, notifications } = await confirmationOf(orderId)
    assert.equal(notifications.length, 1)
    const [sent] = notifications
    assert.equal(sent!.recipient, `store-${storeId}@orders.aforro.dev`)
    assert.equal(sent!.subject, `Order #${orderId} confirmed`)
    assert.match(sent!.body, new RegExp(`2 × ${products[0]!.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`))
    assert.match(sent!.body, /Total items: 3/)
    assert.equal(confirmation_sent_at?.toISOString(), new Date(sent!.sent_at).toISOString())
  })

  test('a rejected order gets no confirmation, even when a job names it', async () => {
    const orderId = await insertOrder(db.pool, storeId, 'REJECTED', [{ productId: products[0]!.id, quantity: 1 }])

    await new PgBossJobQueue(worker.boss).enqueue('order-confirmation', { orderId })

    assert.deepEqual(await settledOutcomes(orderId, 1), ['not-confirmed'])
    assert.deepEqual(await confirmationOf(orderId), { confirmation_sent_at: null, notifications: [] })
  })

  test('the same job delivered twice leaves exactly one outbox row', async () => {
    const orderId = await confirmedOrder()
    const queue = new PgBossJobQueue(worker.boss)

    await Promise.all([queue.enqueue('order-confirmation', { orderId }), queue.enqueue('order-confirmation', { orderId })])

    assert.deepEqual(await settledOutcomes(orderId, 2), ['already-sent', 'sent'])
    const { confirmation_sent_at, notifications } = await confirmationOf(orderId)
    assert.equal(notifications.length, 1)
    assert.equal(confirmation_sent_at?.toISOString(), new Date(notifications[0]!.sent_at).toISOString())
  })

  test('five runs racing for one order send one message: the unique order id decides, not timing', async () => {
    const orderId = await confirmedOrder()
    const useCase = worker.composition.useCases.sendOrderConfirmation

    const outcomes = await Promise.all(Array.from({ length: 5 }, () => useCase.execute(orderId)))

    assert.deepEqual(
      outcomes.filter((outcome) => outcome === 'sent'),
      ['sent'],
    )
    assert.equal((await confirmationOf(orderId)).notifications.length, 1)
  })

  test('a retry after the worker died between sending and recording sends nothing new', async () => {
    const orderId = await confirmedOrder()
    const dying = new PgOrderConfirmations(db.pool)
    dying.markSent = async () => {
      throw new Error('worker killed')
    }
    const interrupted = new SendOrderConfirmation(new PgOrderQueries(db.pool), dying, new PgOutboxNotifier(db.pool, silent))
    await assert.rejects(interrupted.execute(orderId), /worker killed/)
    const afterCrash = await confirmationOf(orderId)

    await new PgBossJobQueue(worker.boss).enqueue('order-confirmation', { orderId })

    assert.equal(afterCrash.notifications.length, 1)
    assert.equal(afterCrash.confirmation_sent_at, null)
    assert.deepEqual(await settledOutcomes(orderId, 1), ['already-sent'])
    const { confirmation_sent_at, notifications } = await confirmationOf(orderId)
    assert.deepEqual(notifications, afterCrash.notifications)
    assert.equal(confirmation_sent_at?.toISOString(), new Date(notifications[0]!.sent_at).toISOString())
  })
})

describe('retries and dead letters', () => {
  test('every queue retries with exponential backoff into its own dead-letter queue', async () => {
    for (const name of JOB_NAMES) {
      const queue = await worker.boss.getQueue(name)

      assert.equal(queue?.deadLetter, deadLetterQueueOf(name), name)
      assert.equal(queue?.retryBackoff, true, name)
      assert.ok((queue?.retryLimit ?? 0) >= 3, name)
      assert.ok(await worker.boss.getQueue(deadLetterQueueOf(name)), `${name} has its dead-letter queue`)
    }
  })

  test('a job that always fails lands in the dead-letter queue after its retries', async () => {
    const name = 'test-always-fails'
    const outcomes = new Counters()
    await ensureQueue(worker.boss, name, { retryLimit: 2, retryDelay: 0, retryBackoff: false })
    let attempts = 0
    await work(
      worker.boss,
      name,
      async () => {
        attempts += 1
        throw new Error('the mail server said no')
      },
      silent,
      FAST_POLLING,
      outcomes,
    )

    const id = await worker.boss.send(name, { orderId: 99 })

    const [dead] = await eventually('the job in the dead-letter queue', async () => {
      const found = await worker.boss.findJobs(deadLetterQueueOf(name))
      return found.length > 0 ? found : undefined
    })
    assert.equal(attempts, 3, 'the first attempt and two retries')
    assert.deepEqual(outcomes.snapshot(), { [name]: { failed: 3 } })
    assert.deepEqual(dead?.data, { orderId: 99 })
    assert.equal(dead?.sourceId, id)
    const [original] = await worker.boss.findJobs(name, { id: id! })
    assert.equal(original?.state, 'failed')
  })

  test('a redriven dead letter runs again with fresh retries', async () => {
    const name = 'test-fails-until-fixed'
    await ensureQueue(worker.boss, name, { retryLimit: 0 })
    let healthy = false
    const handled: boolean[] = []
    await work(
      worker.boss,
      name,
      async () => {
        handled.push(healthy)
        if (!healthy) throw new Error('dependency down')
      },
      silent,
      FAST_POLLING,
    )
    await worker.boss.send(name, { orderId: 7 })
    await eventually('the dead letter', async () => ((await worker.boss.findJobs(deadLetterQueueOf(name))).length > 0 ? true : undefined))
    healthy = true

    const moved = await redriveDeadLetters(worker.boss, [name])

    assert.deepEqual(moved, { [name]: 1 })
    await eventually('the redriven job to succeed', async () => (handled.at(-1) === true ? true : undefined))
    assert.deepEqual(handled, [false, true])
    assert.deepEqual(await worker.boss.findJobs(deadLetterQueueOf(name)), [])
  })
})

describe('daily inventory summary job', () => {
  // Computed independently of the adapter: one correlated subquery per figure.
  const DIRECT = `
    SELECT s.id AS store_id,
           (SELECT count(*) FROM inventory i WHERE i.store_id = s.id) AS sku_count,
           (SELECT coalesce(sum(quantity), 0) FROM inventory i WHERE i.store_id = s.id) AS total_units,
           (SELECT count(*) FROM inventory i WHERE i.store_id = s.id AND quantity = 0) AS out_of_stock,
           ARRAY(SELECT product_id FROM inventory i WHERE i.store_id = s.id AND quantity BETWEEN 1 AND 4 ORDER BY product_id) AS low_stock
      FROM stores s ORDER BY s.id`

  interface SummaryFigures {
    store_id: number
    sku_count: number
    total_units: number
    out_of_stock: number
    low_stock: number[]
  }

  const STORED = `
    SELECT store_id, sku_count, total_units, out_of_stock,
           ARRAY(SELECT (item->>'product_id')::bigint FROM jsonb_array_elements(low_stock) item ORDER BY 1) AS low_stock
      FROM inventory_summaries WHERE summary_date = $1 ORDER BY store_id`

  async function summarise(date: string): Promise<void> {
    const id = await worker.boss.send('daily-inventory-summary', { date })
    await eventually(`the summary of ${date}`, async () => {
      const [job] = await worker.boss.findJobs('daily-inventory-summary', { id: id! })
      return job?.state === 'completed' ? job : undefined
    })
  }

  test('the schedule is registered when the worker starts: daily, in UTC', async () => {
    const schedules = await worker.boss.getSchedules('daily-inventory-summary')

    assert.deepEqual(
      schedules.map(({ cron, timezone }) => ({ cron, timezone })),
      [{ cron: '5 0 * * *', timezone: 'UTC' }],
    )
  })

  test('figures equal a direct SQL computation, and running a day again replaces its rows', async () => {
    await db.pool.query(
      `UPDATE inventory SET quantity = 0 WHERE store_id = 1 AND product_id IN (SELECT product_id FROM inventory WHERE store_id = 1 ORDER BY product_id LIMIT 3)`,
    )
    await db.pool.query(
      `UPDATE inventory SET quantity = 3 WHERE store_id = 2 AND product_id IN (SELECT product_id FROM inventory WHERE store_id = 2 ORDER BY product_id LIMIT 4)`,
    )

    await summarise('2026-03-01')
    const first = (await db.pool.query<SummaryFigures>(STORED, ['2026-03-01'])).rows
    await db.pool.query(
      `UPDATE inventory SET quantity = 1 WHERE store_id = 3 AND product_id IN (SELECT product_id FROM inventory WHERE store_id = 3 ORDER BY product_id LIMIT 2)`,
    )
    const expectedAfterChange = (await db.pool.query(DIRECT)).rows
    await summarise('2026-03-01')

    assert.ok(first.some((row) => row.out_of_stock >= 3) && first.some((row) => row.low_stock.length >= 4), 'the data has zeros and low stock')
    const second = (await db.pool.query(STORED, ['2026-03-01'])).rows
    assert.deepEqual(second, expectedAfterChange)
    assert.notDeepEqual(second, first)
  })
})
