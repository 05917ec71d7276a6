import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { PgBoss } from 'pg-boss'
import { PGBOSS_SCHEMA } from '../../adapters/jobs/pg-boss.js'
import { eventually } from '../support/eventually.js'
import { parseExposition, valueOf } from '../support/prometheus.js'
import { freePort } from '../support/services.js'
import { insertOrder, seedSmallDataSet, startJobClient, startTestWorker } from '../support/job-worker.js'
import { runProgram, startProgram } from '../support/programs.js'
import { createTestDatabase, type TestDatabase } from '../support/test-database.js'

let db: TestDatabase
let client: PgBoss
let items: { productId: number; quantity: number }[]

before(async () => {
  db = await createTestDatabase()
  await seedSmallDataSet(db.pool)
  client = await startJobClient(db)
  const { rows } = await db.pool.query<{ product_id: number }>('SELECT product_id FROM inventory WHERE store_id = 1 ORDER BY product_id LIMIT 2')
  items = rows.map((row) => ({ productId: row.product_id, quantity: 1 }))
})
after(async () => {
  await client.stop({ graceful: false })
  await db.close()
})

const env = (logLevel = 'info') => ({ DATABASE_URL: db.url, LOG_LEVEL: logLevel })

const startWorkerProcess = async () => {
  const worker = startProgram('bootstrap/worker.js', [], env())
  await worker.waitFor('job worker started')
  return worker
}

/** Backends of worker processes waiting for a row lock: a job caught in the middle. */
async function workersWaitingOnLocks(): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>(`
    SELECT count(*) AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE NOT l.granted AND a.datname = current_database() AND a.application_name = 'aforro-worker'`)
  return rows[0]?.n ?? 0
}

async function confirmationOf(orderId: number) {
  const { rows } = await db.pool.query(
    `SELECT o.confirmation_sent_at, (SELECT array_agg(sent_at) FROM notifications n WHERE n.order_id = o.id) AS sent
       FROM orders o WHERE o.id = $1`,
    [orderId],
  )
  return rows[0] as { confirmation_sent_at: Date | null; sent: Date[] | null }
}

async function jobState(id: string) {
  const [job] = await client.findJobs<{ orderId: number }>('order-confirmation', { id })
  return job
}

describe('the worker process (npm run worker)', () => {
  test('SIGTERM in the middle of a job: the worker finishes it, then exits 0', async () => {
    const worker = await startWorkerProcess()
    const orderId = await insertOrder(db.pool, 1, 'CONFIRMED', items)
    const holder = await db.pool.connect()
    let jobId: string | null
    try {
      // Holding the order row stops the job at its outbox insert (the foreign key check waits).
      await holder.query('BEGIN')
      await holder.query('SELECT 1 FROM orders WHERE id = $1 FOR UPDATE', [orderId])
      jobId = await client.send('order-confirmation', { orderId })
      await eventually('the job to be mid-way, waiting on the order row', async () => ((await workersWaitingOnLocks()) > 0 ? true : undefined))

      worker.child.kill('SIGTERM')
      await worker.waitFor('shutting down')
      await holder.query('COMMIT')
    } finally {
      holder.release()
    }

    assert.equal(await worker.exited, 0, worker.output())
    const job = await jobState(jobId!)
    assert.equal(job?.state, 'completed')
    assert.deepEqual(job?.output, { outcome: 'sent' })
    const { confirmation_sent_at, sent } = await confirmationOf(orderId)
    assert.equal(sent?.length, 1)
    assert.equal(confirmation_sent_at?.toISOString(), sent?.[0]?.toISOString())
  })

  test('a worker killed after sending and before completing: another retries the job, and still one outbox row', async () => {
    const victim = await startWorkerProcess()
    const orderId = await insertOrder(db.pool, 1, 'CONFIRMED', items)
    const holder = await db.pool.connect()
    let jobId: string | null
    try {
      // FOR NO KEY UPDATE lets the outbox insert through (its foreign key check only shares the
      // row) and stops the job at the update that records the send.
      await holder.query('BEGIN')
      await holder.query('SELECT 1 FROM orders WHERE id = $1 FOR NO KEY UPDATE', [orderId])
      jobId = await client.send('order-confirmation', { orderId }, { expireInSeconds: 1, retryDelay: 0, retryBackoff: false })
      await eventually('the message sent and the job stuck before recording it', async () =>
        (await confirmationOf(orderId)).sent?.length === 1 && (await workersWaitingOnLocks()) > 0 ? true : undefined,
      )

      victim.child.kill('SIGKILL')
      await victim.exited
      // A dead client's waiting statement would still run once the lock went; the server ends it, as after a crash.
      await db.pool.query(`SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity
                            WHERE datname = current_database() AND application_name = 'aforro-worker'`)
      await holder.query('ROLLBACK')
    } finally {
      holder.release()
    }
    const stranded = await jobState(jobId!)
    const afterCrash = await confirmationOf(orderId)

    const rescuer = await startTestWorker(db)
    // Expiry of a held job is pg-boss's supervision pass; run it now instead of waiting a minute.
    const supervisor = new PgBoss({ connectionString: db.url, schema: PGBOSS_SCHEMA, supervise: false, schedule: false, monitorIntervalSeconds: 1 })
    supervisor.on('error', () => undefined)
    await supervisor.start()
    const retried = await eventually('the stranded job to be retried to completion', async () => {
      await supervisor.supervise('order-confirmation')
      const job = await jobState(jobId!)
      return job?.state === 'completed' ? job : undefined
    })
    await supervisor.stop({ graceful: false })
    await rescuer.stop()

    assert.equal(stranded?.state, 'active')
    assert.deepEqual({ sent: afterCrash.sent?.length, recorded: afterCrash.confirmation_sent_at }, { sent: 1, recorded: null })
    assert.deepEqual(retried.output, { outcome: 'already-sent' })
    const { confirmation_sent_at, sent } = await confirmationOf(orderId)
    assert.deepEqual(sent, afterCrash.sent)
    assert.equal(confirmation_sent_at?.toISOString(), sent?.[0]?.toISOString())
  })
})

describe('worker metrics (WORKER_METRICS_PORT)', () => {
  test('a worker serves its job attempts and queue depths on its own port, and nothing else there', async () => {
    const port = await freePort()
    const worker = startProgram('bootstrap/worker.js', [], { ...env(), WORKER_METRICS_PORT: String(port) })
    await worker.waitFor('job worker started')
    const orderId = await insertOrder(db.pool, 1, 'CONFIRMED', items)
    const jobId = await client.send('order-confirmation', { orderId })
    await eventually('the confirmation job completed', async () => ((await jobState(jobId!))?.state === 'completed' ? true : undefined))

    const response = await fetch(`http://127.0.0.1:${port}/metrics`)
    const metrics = parseExposition(await response.text())
    const other = await fetch(`http://127.0.0.1:${port}/health`)
    worker.child.kill('SIGTERM')

    assert.equal(response.status, 200)
    assert.ok(valueOf(metrics, 'aforro_jobs_processed_total', { queue: 'order-confirmation', outcome: 'completed' }) >= 1)
    assert.equal(valueOf(metrics, 'aforro_jobs_processed_total', { outcome: 'failed' }), 0)
    assert.equal(valueOf(metrics, 'aforro_job_queue_jobs', { queue: 'order-confirmation.dead', state: 'ready' }), 0)
    assert.ok(valueOf(metrics, 'aforro_pg_pool_connections') >= 1)
    assert.equal(other.status, 404)
    assert.equal(await worker.exited, 0, worker.output())
  })
})

describe('npm run jobs', () => {
  test('trigger daily-inventory-summary --date enqueues a summary that a running worker writes', async () => {
    const worker = await startWorkerProcess()
    const stores = (await db.pool.query<{ n: number }>('SELECT count(*) AS n FROM stores')).rows[0]?.n

    const triggered = await runProgram('bootstrap/jobs.js', ['trigger', 'daily-inventory-summary', '--date', '2026-04-01'], env('warn'))

    assert.equal(triggered.code, 0, triggered.output)
    assert.match(triggered.output, /Enqueued daily-inventory-summary for 2026-04-01/)
    const written = await eventually('the summary rows of 2026-04-01', async () => {
      const { rows } = await db.pool.query<{ n: number }>("SELECT count(*) AS n FROM inventory_summaries WHERE summary_date = '2026-04-01'")
      return rows[0]?.n === stores ? rows[0]?.n : undefined
    })
    assert.equal(written, stores)
    worker.child.kill('SIGTERM')
    assert.equal(await worker.exited, 0)
  })

  test('status lists every queue and its dead-letter queue; a bad date or command is a usage error', async () => {
    const status = await runProgram('bootstrap/jobs.js', ['status'], env('warn'))
    const badDate = await runProgram('bootstrap/jobs.js', ['trigger', 'daily-inventory-summary', '--date', '2026-02-30'], env('warn'))
    const badJob = await runProgram('bootstrap/jobs.js', ['trigger', 'order-confirmation'], env('warn'))

    assert.equal(status.code, 0, status.output)
    for (const queue of ['order-confirmation', 'order-confirmation.dead', 'daily-inventory-summary', 'daily-inventory-summary.dead']) {
      assert.match(status.output, new RegExp(`^${queue.replace('.', '\\.')}\\s+\\d+`, 'm'), queue)
    }
    assert.deepEqual([badDate.code, badJob.code], [2, 2])
    assert.match(badDate.output, /"2026-02-30" is not a calendar date/)
  })
})
