import { PassThrough } from 'node:stream'
import type pg from 'pg'
import { PgInventorySummaries } from '../../adapters/postgres/pg-inventory-summaries.js'
import { createPool } from '../../adapters/postgres/pool.js'
import { BuildDailyInventorySummary } from '../../application/inventory/build-daily-inventory-summary.js'
import { buildLedgerAudit } from '../../bootstrap/composition/container.js'
import { prepareSchema } from '../../bootstrap/infrastructure/schema.js'
import { runSeed } from '../../bootstrap/infrastructure/seed-runner.js'
import { startJobClient, startTestWorker } from '../support/job-worker.js'
import { databaseUrl, startPostgres, withClient } from '../support/services.js'
import { round, summarize } from './measure.js'

const CONFIRMATIONS = 2_000
const RUNS = 7

const DATA_SETS = [
  { label: 'default', stores: 20, products: 1_000, inventoryPerStore: 300 },
  { label: '200k-levels', stores: 100, products: 20_000, inventoryPerStore: 2_000 },
]

async function timed(runs: number, task: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = []
  for (let run = 0; run < runs; run++) {
    const started = performance.now()
    await task()
    samples.push(performance.now() - started)
  }
  return samples
}

/** Orders confirmed by one worker: from jobs all queued to every confirmation recorded. */
async function confirmationThroughput(db: { url: string; pool: pg.Pool }): Promise<void> {
  const { rows } = await db.pool.query<{ id: number }>(
    `WITH placed AS (
       INSERT INTO orders (store_id, status, total_items)
       SELECT 1, 'CONFIRMED', 1 FROM generate_series(1, $1) RETURNING id),
     lines AS (
       INSERT INTO order_items (order_id, product_id, quantity_requested, line_number)
       SELECT placed.id, (SELECT product_id FROM inventory WHERE store_id = 1 ORDER BY product_id LIMIT 1), 1, 1 FROM placed)
     SELECT id FROM placed`,
    [CONFIRMATIONS],
  )
  const client = await startJobClient(db)
  await client.insert(
    'order-confirmation',
    rows.map((row) => ({ data: { orderId: row.id } })),
  )
  await client.stop({ graceful: false })
  const started = performance.now()
  const draining = await startTestWorker(db)
  for (;;) {
    const { rows: done } = await db.pool.query<{ n: number }>('SELECT count(*) AS n FROM orders WHERE confirmation_sent_at IS NOT NULL')
    if ((done[0]?.n ?? 0) >= CONFIRMATIONS) break
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const seconds = (performance.now() - started) / 1000
  await draining.stop()
  console.log(
    `jobs/order-confirmation: ${round(CONFIRMATIONS / seconds, 0)} confirmations/s with one worker (${CONFIRMATIONS} queued beforehand, 2 loops fetching batches of 10)`,
  )
}

/** The daily summary (every store, one statement) and the ledger audit, on data sets of two sizes. */
export default async function jobsBenchmark(): Promise<void> {
  const server = await startPostgres()
  for (const [index, set] of DATA_SETS.entries()) {
    const name = `aforro_bench_jobs_${index}`
    await withClient(server.url, async (client) => {
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await client.query(`CREATE DATABASE ${name}`)
    })
    const url = databaseUrl(server.url, name)
    const pool = createPool({ connectionString: url, applicationName: 'bench', statementTimeoutMs: 120_000 })
    try {
      await prepareSchema(pool, url)
      const { counts } = await runSeed(pool, { categories: 10, ...set, reset: true, seed: 1 }, new PassThrough())
      const summary = new BuildDailyInventorySummary(new PgInventorySummaries(pool), { now: () => new Date() }, 5)
      const build = summarize(await timed(RUNS, () => summary.execute({ date: '2026-01-01' })))
      const audit = summarize(await timed(RUNS, () => buildLedgerAudit(pool).execute()))
      const sizes = `${set.stores} stores, ${counts.inventory} levels, ${counts.stockMovements} movements, ${RUNS} runs`
      console.log(`jobs/daily-summary/${set.label}: median ${round(build.median, 0)} ms, p99 ${round(build.p99, 0)} ms (${sizes})`)
      console.log(`jobs/audit/${set.label}: median ${round(audit.median, 0)} ms, p99 ${round(audit.p99, 0)} ms (${sizes})`)
      if (index === 0) await confirmationThroughput({ url, pool })
    } finally {
      await pool.end()
      await withClient(server.url, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
    }
  }
  await server.stop()
}
