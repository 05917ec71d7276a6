import type pg from 'pg'
import { createPool, type PoolOptions } from '../../adapters/postgres/pool.js'
import { prepareSchema } from '../../bootstrap/infrastructure/schema.js'
import { runSeed } from '../../bootstrap/infrastructure/seed-runner.js'
import { databaseUrl, startPostgres, withClient } from '../support/services.js'

/**
 * Runs `work` over a scratch database `name` (dropped after), migrated and seeded with the
 * default data set (seed 1): DATABASE_URL's server when set, else an embedded Postgres.
 */
export async function withSeededDatabase(
  name: string,
  poolOptions: Partial<PoolOptions>,
  work: (db: { url: string; pool: pg.Pool }) => Promise<void>,
): Promise<void> {
  const server = await startPostgres()
  await withClient(server.url, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await client.query(`CREATE DATABASE ${name}`)
  })
  const url = databaseUrl(server.url, name)
  const pool = createPool({ connectionString: url, applicationName: 'bench', ...poolOptions })
  try {
    await prepareSchema(pool, url)
    await runSeed(pool, { categories: 10, products: 1_000, stores: 20, inventoryPerStore: 300, reset: true, seed: 1 })
    await work({ url, pool })
  } finally {
    await pool.end()
    await withClient(server.url, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
    await server.stop()
  }
}
