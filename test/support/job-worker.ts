import { PassThrough } from 'node:stream'
import type { PgBoss } from 'pg-boss'
import type pg from 'pg'
import { createPgBoss } from '../../adapters/jobs/pg-boss.js'
import { PgOrderRepository } from '../../adapters/postgres/pg-order-repository.js'
import { inTransaction } from '../../adapters/postgres/pool.js'
import { compose, type Composition } from '../../bootstrap/composition/container.js'
import { loadConfig } from '../../bootstrap/runtime/config.js'
import { startJobWorker } from '../../bootstrap/infrastructure/job-worker.js'
import { startPgBoss } from '../../bootstrap/infrastructure/jobs-runtime.js'
import { createLogger } from '../../bootstrap/runtime/logger.js'
import { DEFAULT_SEED_PLAN, runSeed } from '../../bootstrap/infrastructure/seed-runner.js'
import { Lifecycle } from '../../bootstrap/runtime/shutdown.js'
import type { OrderDecision } from '../../domain/ordering/order.js'
import type { OrderId, ProductId, StoreId } from '../../domain/shared/ids.js'
import type { TestDatabase } from './test-database.js'

type Database = Pick<TestDatabase, 'url' | 'pool'>

/** Retries come off their backoff without a NOTIFY; tests poll often so they need not wait. */
export const FAST_POLLING = { pollingIntervalSeconds: 0.5, notifyPollingIntervalSeconds: 0.5 }

export interface TestWorker {
  boss: PgBoss
  composition: Composition
  stop(): Promise<void>
}

/** The worker as bootstrap/worker.ts starts it, in this process, over a test database. */
export async function startTestWorker(db: Database, env: Record<string, string> = {}): Promise<TestWorker> {
  const config = loadConfig({ DATABASE_URL: db.url, LOG_LEVEL: 'silent', ...env })
  const logger = createLogger(config, 'test-worker')
  const lifecycle = new Lifecycle(logger)
  const boss = await startPgBoss(db.url, true, logger, lifecycle)
  const composition = compose({ config, logger, pool: db.pool, boss })
  await startJobWorker(composition, FAST_POLLING)
  return { boss, composition, stop: () => lifecycle.close() }
}

/** A pg-boss client that neither works nor schedules, as the API and the jobs CLI use it. */
export async function startJobClient(db: Database): Promise<PgBoss> {
  const boss = createPgBoss({ connectionString: db.url, worker: false, max: 2 })
  boss.on('error', () => undefined)
  return boss.start()
}

/** A small catalog with stock, ledger included, as the seed CLI writes it. */
export async function seedSmallDataSet(pool: pg.Pool, seed = 7): Promise<void> {
  await runSeed(pool, { ...DEFAULT_SEED_PLAN, categories: 3, products: 120, stores: 3, inventoryPerStore: 40, seed }, new PassThrough())
}

/**
 * An order stored as PlaceOrder stores it, but with no stock moves and without its confirmation
 * job (taken out before commit, so no running worker sees it), for tests that drive the
 * confirmation job on their own; returns its id.
 */
export async function insertOrder(
  pool: pg.Pool,
  storeId: number,
  status: 'CONFIRMED' | 'REJECTED',
  items: { productId: number; quantity: number }[],
): Promise<OrderId> {
  const lines = items.map((item) => ({ productId: item.productId as ProductId, quantity: item.quantity }))
  const decision: OrderDecision =
    status === 'CONFIRMED'
      ? { status, storeId: storeId as StoreId, lines, shortages: null }
      : { status, storeId: storeId as StoreId, lines, shortages: lines.map((line) => ({ productId: line.productId, requested: line.quantity, available: 0 })) }
  return inTransaction(pool, async (client) => {
    const orders = new PgOrderRepository(client)
    const { titles } = await orders.lockForPlacement(
      storeId as StoreId,
      lines.map((line) => line.productId),
    )
    const { id } = await orders.insert({ decision, titles, stockChanges: [] })
    await client.query("DELETE FROM pgboss.job WHERE name = 'order-confirmation' AND data->>'orderId' = $1::text", [id])
    return id
  })
}
