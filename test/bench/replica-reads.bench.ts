import { setTimeout as sleep } from 'node:timers/promises'
import { PgInventoryQueries } from '../../adapters/postgres/pg-inventory-queries.js'
import { ReplicaReads } from '../../adapters/postgres/replica-reads.js'
import { runSeed } from '../../bootstrap/infrastructure/seed-runner.js'
import { createLogger } from '../../bootstrap/runtime/logger.js'
import { loadConfig } from '../../bootstrap/runtime/config.js'
import { startReplicatedDatabase } from '../support/replicated-database.js'
import { measure, STATS_HEADER, statsRow } from './measure.js'

const SAMPLES = 300
const ROUNDS = 2

/**
 * What the replica rule costs, on a private primary and streaming replica (fsync off, loopback):
 * reads routed by ReplicaReads against the same reads on the primary, and the write path as built
 * (asynchronous streaming: the rule adds nothing to a commit) against the alternative that makes
 * each write wait for the replica (synchronous_commit = remote_apply). Rounds alternate, so a
 * busy neighbour on the machine weighs on both sides alike.
 */
export default async function replicaReadsBenchmark(): Promise<void> {
  const db = await startReplicatedDatabase()
  try {
    await runSeed(db.pool, { categories: 10, products: 2_000, stores: 10, inventoryPerStore: 400, reset: true, seed: 1 })
    const routed = new ReplicaReads(db.pool, db.replicaPool, createLogger(loadConfig({ LOG_LEVEL: 'silent' }), 'bench'), { maxWaitMs: 5_000 })
    await routed.query('SELECT 1') // waits until the replica has replayed the seed
    const onPrimary = new PgInventoryQueries(db.pool)
    const onReplica = new PgInventoryQueries(routed)
    const page = (run: number) => ({ page: 1 + (run % 10), pageSize: 20 })

    // Only the standby named here is waited for, and only by transactions that ask (SET LOCAL).
    await db.pool.query(`ALTER SYSTEM SET synchronous_standby_names = '*'`)
    await db.pool.query(`ALTER SYSTEM SET synchronous_commit = 'local'`)
    await db.pool.query('SELECT pg_reload_conf()')
    for (let attempt = 0; ; attempt++) {
      const { rows } = await db.pool.query<{ sync_state: string }>('SELECT sync_state FROM pg_stat_replication')
      if (rows[0]?.sync_state === 'sync') break
      if (attempt > 100) throw new Error(`the replica never became synchronous (${JSON.stringify(rows)}): remote_apply would not wait`)
      await sleep(50)
    }
    const carried = (await db.pool.query<{ product_id: number }>('SELECT product_id FROM inventory WHERE store_id = 1 ORDER BY product_id LIMIT 50')).rows
    // Every write changes a row: a transaction that writes nothing commits without waiting for anyone.
    const write = (waitForReplica: boolean) => async (run: number) => {
      const client = await db.pool.connect()
      try {
        await client.query('BEGIN')
        if (waitForReplica) await client.query('SET LOCAL synchronous_commit = remote_apply')
        await client.query('UPDATE inventory SET quantity = quantity + 1 WHERE store_id = 1 AND product_id = $1', [carried[run % carried.length]!.product_id])
        await client.query('COMMIT')
      } finally {
        client.release()
      }
    }

    console.log(`2,000 products, 10 stores × 400 stocked; ${SAMPLES} sequential samples per row and round, ${ROUNDS} rounds\n`)
    console.log(STATS_HEADER)
    for (let round = 1; round <= ROUNDS; round++) {
      console.log(
        statsRow(`round ${round}: inventory page on the primary`, await measure((run) => onPrimary.listStoreInventory(1 + (run % 10), page(run)), SAMPLES)),
      )
      console.log(
        statsRow(`round ${round}: inventory page via ReplicaReads`, await measure((run) => onReplica.listStoreInventory(1 + (run % 10), page(run)), SAMPLES)),
      )
      console.log(statsRow(`round ${round}: write, asynchronous streaming (as built)`, await measure(write(false), SAMPLES)))
      console.log(statsRow(`round ${round}: write, synchronous_commit = remote_apply`, await measure(write(true), SAMPLES)))
    }
  } finally {
    await db.close()
  }
}
