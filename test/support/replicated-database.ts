import type pg from 'pg'
import { createPool } from '../../adapters/postgres/pool.js'
import { prepareSchema } from '../../bootstrap/infrastructure/schema.js'
import { startPrimary, startStreamingReplica, type LocalPostgres } from './local-postgres.js'
import { freePort } from './services.js'

export interface ReplicatedDatabase {
  primary: LocalPostgres
  replica: LocalPostgres
  /** The primary's migrated database, as DATABASE_URL. */
  url: string
  pool: pg.Pool
  /** The same database on the streaming replica, as DATABASE_READ_URL. */
  replicaPool: pg.Pool
  close(): Promise<void>
}

/**
 * A private primary with the schema applied, and a hot standby cloned from it and streaming:
 * the shared test server cannot be given a replica, so this builds its own on free ports.
 */
export async function startReplicatedDatabase(): Promise<ReplicatedDatabase> {
  const primary = await startPrimary(await freePort())
  let replica: LocalPostgres | undefined
  try {
    const url = primary.url()
    const pool = createPool({ connectionString: url, applicationName: 'test-primary' })
    await prepareSchema(pool, url)
    replica = await startStreamingReplica(primary, await freePort())
    const replicaPool = createPool({ connectionString: replica.url(), applicationName: 'test-replica', connectionTimeoutMs: 1_000 })
    const standby = replica
    return {
      primary,
      replica: standby,
      url,
      pool,
      replicaPool,
      close: async () => {
        await Promise.all([pool.end(), replicaPool.end()])
        await standby.destroy()
        await primary.destroy()
      },
    }
  } catch (error) {
    await replica?.destroy()
    await primary.destroy()
    throw error
  }
}
