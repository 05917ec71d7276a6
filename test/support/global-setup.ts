import { randomBytes } from 'node:crypto'
import { createPool } from '../../adapters/postgres/pool.js'
import { prepareSchema } from '../../bootstrap/infrastructure/schema.js'
import { databaseUrl, startPostgres, startRedis, withClient, type RunningService } from './services.js'

/**
 * Starts the services once for the whole run and builds one migrated template database; each test
 * file clones it (test-database.ts), so files run in parallel without touching each other's rows.
 * Test files find everything through environment variables, which their processes inherit.
 */
let postgres: RunningService | undefined
let redis: RunningService | undefined

export async function globalSetup(): Promise<void> {
  const runId = `t${Date.now().toString(36)}${randomBytes(3).toString('hex')}`
  ;[postgres, redis] = await Promise.all([startPostgres(), startRedis()])
  const template = `${runId}_template`
  await withClient(postgres.url, (client) => client.query(`CREATE DATABASE ${template}`))
  const templateUrl = databaseUrl(postgres.url, template)
  const pool = createPool({ connectionString: templateUrl, applicationName: 'test-template' })
  try {
    await prepareSchema(pool, templateUrl)
  } finally {
    await pool.end()
  }
  process.env.TEST_POSTGRES_URL = postgres.url
  process.env.TEST_TEMPLATE_DATABASE = template
  process.env.TEST_RUN_ID = runId
  if (redis) process.env.TEST_REDIS_URL = redis.url
}

export async function globalTeardown(): Promise<void> {
  const runId = process.env.TEST_RUN_ID
  if (postgres && runId) {
    await withClient(postgres.url, async (client) => {
      const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${runId}\\_%`])
      for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`)
    })
  }
  await Promise.all([postgres?.stop(), redis?.stop()])
}
