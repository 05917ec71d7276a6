import type pg from 'pg'
import { migrate } from '../adapters/postgres/migrator.js'

/** Everything a database needs before any program uses it; tests build their template with this too. */
export async function prepareSchema(pool: pg.Pool): Promise<string[]> {
  return migrate(pool)
}
