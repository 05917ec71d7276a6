import type pg from 'pg'
import { installPgBoss } from '../../adapters/jobs/pg-boss.js'
import { migrate } from '../../adapters/postgres/migrator.js'

/**
 * Everything a database needs before any program uses it: our migrations, then pg-boss's own
 * schema and queues (orders enqueue jobs inside their transaction, so the queues must exist
 * first). Tests build their template database with this too. Returns our applied migrations.
 */
export async function prepareSchema(pool: pg.Pool, connectionString: string): Promise<string[]> {
  const applied = await migrate(pool)
  await installPgBoss(connectionString)
  return applied
}
