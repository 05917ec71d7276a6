import pg from 'pg'

export interface PoolOptions {
  connectionString: string
  applicationName: string
  max?: number
  /** Upper bound on any statement, so a runaway query cannot hold a connection forever. */
  statementTimeoutMs?: number
  /** How long a statement may wait for a row lock before failing, so contention surfaces as a fast 503. */
  lockTimeoutMs?: number
  /** How long to wait for a new connection before failing the checkout. */
  connectionTimeoutMs?: number
  /** Told when an idle connection breaks (a Postgres restart, a killed backend); the pool replaces it. */
  onIdleError?: (error: Error) => void
}

// bigint ids and counts fit well inside 2^53; numbers are what the API serves.
const int8AsNumber: pg.CustomTypesConfig = {
  getTypeParser: (oid, format) => {
    if (oid === pg.types.builtins.INT8) return (value: string) => Number(value)
    // pg-types types its parsers as any; pass them on untouched.
    const builtin: unknown = pg.types.getTypeParser(oid, format)
    return builtin
  },
}

export function createPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    application_name: options.applicationName,
    max: options.max ?? 10,
    statement_timeout: options.statementTimeoutMs ?? 15_000,
    lock_timeout: options.lockTimeoutMs ?? 5_000,
    idle_in_transaction_session_timeout: 60_000,
    // JIT compiles a plan whose estimated cost is high (a search statement's full-catalog branches,
    // most of which never run) for 30-40 ms: more than the whole query takes without it.
    options: '-c jit=off',
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
    types: int8AsNumber,
  })
  // An idle client losing its connection must not crash the process; the next checkout reconnects.
  pool.on('error', (error) => options.onIdleError?.(error))
  return pool
}

/**
 * Runs `work` on one checked-out client. pg-pool takes its idle 'error' listener off a client while
 * it is checked out, so one that lost its connection would emit 'error' to nobody and end the
 * process: this listens meanwhile and hands a broken client back to be discarded, not reused.
 */
export async function withPoolClient<T>(pool: pg.Pool, work: (client: pg.PoolClient, lost: () => boolean) => Promise<T>): Promise<T> {
  const client = await pool.connect()
  let lost: Error | undefined
  const onError = (error: Error) => {
    lost ??= error
  }
  client.on('error', onError)
  try {
    return await work(client, () => lost !== undefined)
  } finally {
    client.removeListener('error', onError)
    client.release(lost)
  }
}

/** Runs `work` inside one transaction on one client, committing on success and rolling back on any error. */
export function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return withPoolClient(pool, async (client, lost) => {
    try {
      await client.query('BEGIN')
      const result = await work(client)
      await client.query('COMMIT')
      return result
    } catch (error) {
      if (!lost()) await client.query('ROLLBACK').catch(() => undefined)
      throw error
    }
  })
}
