import type pg from 'pg'
import type { Logger } from 'pino'
import { createPool } from '../../adapters/postgres/pool.js'
import type { Config } from '../runtime/config.js'
import { explainDatabaseFailure, isMissingEmbeddedPostgres, StartupFailure } from '../runtime/startup-failure.js'
import { prepareSchema } from './schema.js'
import type { Lifecycle } from '../runtime/shutdown.js'

export interface Database {
  /** Where the app's statements go: the primary, or a transaction-mode pooler in front of it. */
  url: string
  /** The primary without a pooler between: pg-boss and anything else that holds a session use it. */
  directUrl: string
  /** Statements and transactions only, never session state: safe through a transaction-mode pooler. */
  pool: pg.Pool
  /**
   * Connections that keep session state (the migrator's lock, LISTEN), to the direct URL: their own
   * pool even without a pooler, so the listener's held connection never takes one of `pool`'s.
   */
  sessionPool: pg.Pool
  /** The streaming replica of DATABASE_READ_URL, when set. */
  replica?: pg.Pool | undefined
  /** True when DATABASE_URL was unset and the embedded Postgres serves this process. */
  embedded: boolean
}

// A replica that does not answer fast is treated as down (reads go to the primary), not waited on.
const REPLICA_CONNECT_TIMEOUT_MS = 1_000

/**
 * Opens the configured Postgres (or the embedded one), registers its closing with the lifecycle,
 * and applies pending migrations over the direct URL (the migrator holds a session lock): every
 * program starts from an up-to-date schema.
 */
export async function openDatabase(config: Config, logger: Logger, lifecycle: Lifecycle, applicationName: string, poolSize?: number): Promise<Database> {
  const database = await connectDatabase(config, logger, lifecycle, applicationName, poolSize)
  const applied = await prepareSchema(database.sessionPool, database.directUrl)
  if (applied.length > 0) logger.info({ applied }, 'migrations applied')
  return database
}

/** Opens the database as openDatabase does, and checks that it answers, without migrating it. */
export async function connectDatabase(config: Config, logger: Logger, lifecycle: Lifecycle, applicationName: string, poolSize?: number): Promise<Database> {
  let url = config.databaseUrl
  if (url === undefined) {
    const embedded = await startEmbedded(config, logger)
    lifecycle.add('embedded postgres', () => embedded.stop())
    url = embedded.url
  }
  const onIdleError = (error: Error) => logger.warn({ err: error }, 'idle Postgres connection lost; the pool opens a new one when needed')
  const directUrl = config.databaseDirectUrl ?? url
  const pool = createPool({ connectionString: url, applicationName, ...(poolSize ? { max: poolSize } : {}), onIdleError })
  lifecycle.add('postgres pool', () => pool.end())
  const sessionPool = createPool({ connectionString: directUrl, applicationName: `${applicationName}-session`, max: 2, onIdleError })
  lifecycle.add('postgres session pool', () => sessionPool.end())
  for (const [reached, variable] of [
    [pool, 'DATABASE_URL'],
    [sessionPool, 'DATABASE_DIRECT_URL'],
  ] as const) {
    await reached.query('SELECT 1').catch((error: unknown) => {
      const configured = variable === 'DATABASE_URL' ? config.databaseUrl : config.databaseDirectUrl
      throw (configured && explainDatabaseFailure(error, configured)) || error
    })
  }
  let replica: pg.Pool | undefined
  if (config.databaseReadUrl !== undefined) {
    // Not checked here: a replica that is down only sends reads to the primary.
    const replicaPool = createPool({
      connectionString: config.databaseReadUrl,
      applicationName: `${applicationName}-reads`,
      connectionTimeoutMs: REPLICA_CONNECT_TIMEOUT_MS,
      ...(poolSize ? { max: poolSize } : {}),
      onIdleError,
    })
    lifecycle.add('postgres replica pool', () => replicaPool.end())
    replica = replicaPool
  }
  return { url, directUrl, pool, sessionPool, replica, embedded: config.databaseUrl === undefined }
}

async function startEmbedded(config: Config, logger: Logger) {
  try {
    // Loaded only here: the container image never needs it and installs it without optional packages.
    const { startEmbeddedPostgres } = await import('./embedded-postgres.js')
    return await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPostgresPort, logger })
  } catch (error) {
    if (!isMissingEmbeddedPostgres(error)) throw error
    throw new StartupFailure(
      'DATABASE_URL is not set, and this installation has no embedded Postgres (the container image never has one): set DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/DATABASE',
    )
  }
}
