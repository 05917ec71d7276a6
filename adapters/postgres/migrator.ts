import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import type pg from 'pg'
import { withPoolClient } from './pool.js'

/** The build copies migrations/ next to the compiled adapters, so this resolves in dist/ and in the image. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url))

// Any constant works; it only has to be the same for every instance that migrates this database.
export const MIGRATION_LOCK_KEY = 4_205_170_001

const LOCK_POLL_MS = 100

/**
 * A first line `-- migrate: no-transaction` runs the file's statements one by one outside any
 * transaction, for what Postgres refuses inside one (CREATE INDEX CONCURRENTLY on a live store).
 * A failure leaves the statements before it applied and the file unrecorded, so it runs again
 * from the top next time: each statement must be safe to repeat (IF NOT EXISTS, or DROP … IF
 * EXISTS first, since a failed concurrent build leaves an invalid index behind).
 */
export const NO_TRANSACTION_MARKER = /^--\s*migrate:\s*no-transaction\s*$/

interface MigrationFile {
  version: string
  checksum: string
  sql: string
  inTransaction: boolean
}

export interface MigrationState {
  version: string
  /** applied; pending; edited (applied, but the file changed since); missing (applied, no file). */
  state: 'applied' | 'pending' | 'edited' | 'missing'
  appliedAt: Date | undefined
  inTransaction: boolean
}

const CREATE_HISTORY = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    text PRIMARY KEY,
  checksum   text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now())`

/**
 * Applies every pending migration in file-name order, each in its own transaction unless marked
 * otherwise, under a session advisory lock so that instances starting together apply each file
 * exactly once. Returns the versions it applied.
 */
export async function migrate(pool: pg.Pool, dir: string = MIGRATIONS_DIR): Promise<string[]> {
  const files = await readMigrations(dir)
  return withPoolClient(pool, async (client) => {
    try {
      // The pool's timeouts guard requests; here another instance may hold the lock for as long as
      // a large migration runs, and a migration may rewrite a big table: neither should time out.
      await client.query('SET lock_timeout = 0; SET statement_timeout = 0')
      await acquireMigrationLock(client)
      await client.query(CREATE_HISTORY)
      const applied = await appliedMigrations(client)
      const newlyApplied: string[] = []
      for (const file of files) {
        const recorded = applied.get(file.version)
        if (recorded !== undefined) {
          if (recorded.checksum !== file.checksum) {
            throw new Error(`Migration ${file.version} was edited after it was applied; add a new migration instead`)
          }
          continue
        }
        if (file.inTransaction) await applyInTransaction(client, file)
        else await applyStatementByStatement(client, file)
        newlyApplied.push(file.version)
      }
      return newlyApplied
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined)
      await client.query('RESET lock_timeout; RESET statement_timeout').catch(() => undefined)
    }
  })
}

/** Every migration file and every recorded one, in version order, without applying anything. */
export async function migrationStatus(pool: pg.Pool, dir: string = MIGRATIONS_DIR): Promise<MigrationState[]> {
  const files = await readMigrations(dir)
  const { rows } = await pool.query<{ exists: boolean }>("SELECT to_regclass('schema_migrations') IS NOT NULL AS exists")
  const applied = rows[0]?.exists ? await appliedMigrations(pool) : new Map<string, { checksum: string; appliedAt: Date }>()
  const states: MigrationState[] = files.map((file) => {
    const recorded = applied.get(file.version)
    const state = recorded === undefined ? 'pending' : recorded.checksum === file.checksum ? 'applied' : 'edited'
    return { version: file.version, state, appliedAt: recorded?.appliedAt, inTransaction: file.inTransaction }
  })
  for (const [version, { appliedAt }] of applied) {
    if (!files.some((file) => file.version === version)) states.push({ version, state: 'missing', appliedAt, inTransaction: true })
  }
  return states.sort((a, b) => a.version.localeCompare(b.version))
}

/**
 * Waits for the lock by trying it every LOCK_POLL_MS rather than blocking in pg_advisory_lock: a
 * blocked call holds a snapshot for its whole wait, and CREATE INDEX CONCURRENTLY in the instance
 * holding the lock waits for every older snapshot to end, which would deadlock the two.
 */
async function acquireMigrationLock(client: pg.ClientBase): Promise<void> {
  while (!(await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [MIGRATION_LOCK_KEY])).rows[0]?.locked) {
    await sleep(LOCK_POLL_MS)
  }
}

async function appliedMigrations(db: pg.ClientBase | pg.Pool): Promise<Map<string, { checksum: string; appliedAt: Date }>> {
  const { rows } = await db.query<{ version: string; checksum: string; applied_at: Date }>('SELECT version, checksum, applied_at FROM schema_migrations')
  return new Map(rows.map((row) => [row.version, { checksum: row.checksum, appliedAt: row.applied_at }]))
}

async function applyInTransaction(client: pg.ClientBase, file: MigrationFile): Promise<void> {
  await client.query('BEGIN')
  try {
    await client.query(file.sql)
    await record(client, file)
    await client.query('COMMIT')
  } catch (error) {
    await client.query('ROLLBACK')
    throw new Error(`Migration ${file.version} failed: ${(error as Error).message}`, { cause: error })
  }
}

async function applyStatementByStatement(client: pg.ClientBase, file: MigrationFile): Promise<void> {
  const statements = splitStatements(file.sql)
  for (const [index, statement] of statements.entries()) {
    try {
      await client.query(statement)
    } catch (error) {
      throw new Error(
        `Migration ${file.version} failed at statement ${index + 1} of ${statements.length} (no transaction: the statements before it stay applied, and the file runs again from the top next time): ${(error as Error).message}`,
        { cause: error },
      )
    }
  }
  await record(client, file)
}

async function record(client: pg.ClientBase, file: MigrationFile): Promise<void> {
  await client.query('INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)', [file.version, file.checksum])
}

async function readMigrations(dir: string): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((name) => /^\d{4}_[a-z0-9_]+\.sql$/.test(name)).sort()
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(join(dir, name), 'utf8')
      return {
        version: name.replace(/\.sql$/, ''),
        checksum: createHash('sha256').update(sql).digest('hex'),
        sql,
        inTransaction: !NO_TRANSACTION_MARKER.test(sql.split('\n', 1)[0] ?? ''),
      }
    }),
  )
}

/**
 * Splits SQL into statements at the semicolons that end them: not inside quotes, quoted
 * identifiers, dollar-quoted bodies or comments. Statements that are only comments are dropped.
 * (Postgres runs a multi-statement string as one implicit transaction, which is what a
 * no-transaction migration must avoid.)
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = []
  let start = 0
  let substantive = false
  let i = 0
  const skipPast = (terminator: string, from: number) => {
    const end = sql.indexOf(terminator, from)
    return end === -1 ? sql.length : end + terminator.length
  }
  while (i < sql.length) {
    const char = sql[i] as string
    const next = sql[i + 1]
    if (char === '-' && next === '-') {
      i = skipPast('\n', i)
      continue
    }
    if (char === '/' && next === '*') {
      i = skipBlockComment(sql, i)
      continue
    }
    if (char === "'" || char === '"') {
      substantive = true
      i = skipQuoted(sql, i, char, char === "'" && /[eE]/.test(sql[i - 1] ?? ''))
      continue
    }
    const dollarTag = char === '$' ? /^\$[A-Za-z_]?[A-Za-z0-9_]*\$/.exec(sql.slice(i))?.[0] : undefined
    if (dollarTag !== undefined) {
      substantive = true
      i = skipPast(dollarTag, i + dollarTag.length)
      continue
    }
    if (char === ';') {
      if (substantive) statements.push(sql.slice(start, i + 1).trim())
      start = i + 1
      substantive = false
    } else if (!/\s/.test(char)) {
      substantive = true
    }
    i += 1
  }
  if (substantive) statements.push(sql.slice(start).trim())
  return statements
}

/** Past a quoted string or identifier; a doubled quote is an escaped one, and so is \' in an E'' string. */
function skipQuoted(sql: string, from: number, quote: string, backslashEscapes: boolean): number {
  let i = from + 1
  while (i < sql.length) {
    if (backslashEscapes && sql[i] === '\\') i += 2
    else if (sql[i] === quote) {
      if (sql[i + 1] !== quote) return i + 1
      i += 2
    } else i += 1
  }
  return i
}

/** Past a block comment; Postgres lets them nest. */
function skipBlockComment(sql: string, from: number): number {
  let depth = 0
  let i = from
  while (i < sql.length) {
    if (sql.startsWith('/*', i)) {
      depth += 1
      i += 2
    } else if (sql.startsWith('*/', i)) {
      depth -= 1
      i += 2
      if (depth === 0) return i
    } else i += 1
  }
  return i
}
