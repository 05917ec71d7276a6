import { PassThrough } from 'node:stream'
import type { PgBoss } from 'pg-boss'
import type pg from 'pg'
import type { DependencyContainer } from 'tsyringe'
import { createPgBoss } from '../../adapters/jobs/pg-boss.js'
import { buildContainer } from '../../bootstrap/container.js'
import { loadConfig } from '../../bootstrap/config.js'
import { startJobWorker } from '../../bootstrap/job-worker.js'
import { createLogger } from '../../bootstrap/logger.js'
import { DEFAULT_SEED_PLAN, runSeed } from '../../bootstrap/seed-runner.js'
import { Lifecycle } from '../../bootstrap/shutdown.js'
import type { TestDatabase } from './test-database.js'

/** Retries come off their backoff without a NOTIFY; tests poll often so they need not wait. */
export const FAST_POLLING = { pollingIntervalSeconds: 0.5, notifyPollingIntervalSeconds: 0.5 }

export interface TestWorker {
  boss: PgBoss
  container: DependencyContainer
  stop(): Promise<void>
}

/** The worker as bootstrap/worker.ts starts it, in this process, over a test database. */
export async function startTestWorker(db: TestDatabase, env: Record<string, string> = {}): Promise<TestWorker> {
  const config = loadConfig({ DATABASE_URL: db.url, LOG_LEVEL: 'silent', ...env })
  const logger = createLogger(config, 'test-worker')
  const lifecycle = new Lifecycle(logger)
  const container = buildContainer({ config, logger, pool: db.pool })
  const boss = await startJobWorker(container, db.url, lifecycle, FAST_POLLING)
  return { boss, container, stop: () => lifecycle.close() }
}

/** A pg-boss client that neither works nor schedules, as the API and the jobs CLI use it. */
export async function startJobClient(db: TestDatabase): Promise<PgBoss> {
  const boss = createPgBoss({ connectionString: db.url, worker: false, max: 2 })
  boss.on('error', () => undefined)
  return boss.start()
}

/** A small catalog with stock, ledger included, as the seed CLI writes it. */
export async function seedSmallDataSet(pool: pg.Pool, seed = 7): Promise<void> {
  await runSeed(pool, { ...DEFAULT_SEED_PLAN, categories: 3, products: 120, stores: 3, inventoryPerStore: 40, seed }, new PassThrough())
}

/** An order written straight to the tables, as PlaceOrder would leave it; returns its id. */
export async function insertOrder(
  pool: pg.Pool,
  storeId: number,
  status: 'CONFIRMED' | 'REJECTED',
  items: { productId: number; quantity: number }[],
): Promise<number> {
  const rejection = status === 'REJECTED' ? { reason: 'insufficient_stock', items: [] } : null
  const { rows } = await pool.query<{ id: number }>('INSERT INTO orders (store_id, status, rejection) VALUES ($1, $2, $3) RETURNING id', [
    storeId,
    status,
    rejection,
  ])
  const id = rows[0]?.id as number
  await pool.query(
    `INSERT INTO order_items (order_id, product_id, quantity_requested, line_number)
     SELECT $1, product_id, quantity, n FROM unnest($2::bigint[], $3::int[]) WITH ORDINALITY AS l(product_id, quantity, n)`,
    [id, items.map((item) => item.productId), items.map((item) => item.quantity)],
  )
  return id
}
