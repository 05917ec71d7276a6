import { randomBytes } from 'node:crypto'
import type pg from 'pg'
import { createPool, type PoolOptions } from '../../adapters/postgres/pool.js'
import { databaseUrl, withClient } from './services.js'

export interface TestDatabase {
  url: string
  pool: pg.Pool
  close(): Promise<void>
}

function required(name: string): string {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set: run the tests with "npm test", whose global setup provides the services`)
  return value
}

/** A private database cloned from the migrated template: fast to make, isolated from other test files. */
export async function createTestDatabase(poolOptions: Partial<PoolOptions> = {}): Promise<TestDatabase> {
  const server = required('TEST_POSTGRES_URL')
  const template = required('TEST_TEMPLATE_DATABASE')
  const name = `${required('TEST_RUN_ID')}_${randomBytes(5).toString('hex')}`
  await withClient(server, (client) => client.query(`CREATE DATABASE ${name} TEMPLATE ${template}`))
  const url = databaseUrl(server, name)
  const pool = createPool({ connectionString: url, applicationName: 'test', ...poolOptions })
  return {
    url,
    pool,
    close: async () => {
      await pool.end()
      await withClient(server, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
    },
  }
}

export function testRedisUrl(): string {
  const url = process.env.TEST_REDIS_URL
  if (!url) throw new Error('No Redis for tests: set REDIS_URL, make Docker reachable, or install redis-server on PATH')
  return url
}
