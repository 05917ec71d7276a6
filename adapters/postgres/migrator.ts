import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type pg from 'pg'
import { withPoolClient } from './pool.js'

/** The build copies migrations/ next to the compiled adapters, so this resolves in dist/ and in the image. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url))

// Any constant works; it only has to be the same for every instance that migrates this database.
export const MIGRATION_LOCK_KEY = 4_205_170_001

interface MigrationFile {
  version: string
  checksum: string
  sql: string
}

/**
 * Applies every pending migration in file-name order, each in its own transaction, under a
 * session advisory lock so that instances starting together apply each file exactly once.
 * Returns the versions it applied.
 */
export async function migrate(pool: pg.Pool, dir: string = MIGRATIONS_DIR): Promise<string[]> {
  const files = await readMigrations(dir)
  return withPoolClient(pool, async (client) => {
    try {
      // The pool's timeouts guard requests; here another instance may hold the lock for as long as
      // a large migration runs, and a migration may rewrite a big table: neither should time out.
      await client.query('SET lock_timeout = 0; SET statement_timeout = 0')
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY])
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version    text PRIMARY KEY,
        checksum   text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now())`)
      const applied = new Map(
        (await client.query<{ version: string; checksum: string }>('SELECT version, checksum FROM schema_migrations')).rows.map((row) => [
          row.version,
          row.checksum,
        ]),
      )
      const newlyApplied: string[] = []
      for (const file of files) {
        const recorded = applied.get(file.version)
        if (recorded !== undefined) {
          if (recorded !== file.checksum) {
            throw new Error(`Migration ${file.version} was edited after it was applied; add a new migration instead`)
          }
          continue
        }
        await client.query('BEGIN')
        try {
          await client.query(file.sql)
          await client.query('INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)', [file.version, file.checksum])
          await client.query('COMMIT')
        } catch (error) {
          await client.query('ROLLBACK')
          throw new Error(`Migration ${file.version} failed: ${(error as Error).message}`, { cause: error })
        }
        newlyApplied.push(file.version)
      }
      return newlyApplied
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined)
      await client.query('RESET lock_timeout; RESET statement_timeout').catch(() => undefined)
    }
  })
}

async function readMigrations(dir: string): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((name) => /^\d{4}_[a-z0-9_]+\.sql$/.test(name)).sort()
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(join(dir, name), 'utf8')
      return { version: name.replace(/\.sql$/, ''), checksum: createHash('sha256').update(sql).digest('hex'), sql }
    }),
  )
}
