import { execFile } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { appendFile, chown, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { requireBinary } from './binaries.js'

const run = promisify(execFile)

/** A Postgres server of its own under a temporary directory, run from the machine's binaries. */
export interface LocalPostgres {
  port: number
  dataDir: string
  /** The URL of `database` on this server (user postgres, trust authentication, loopback only). */
  url(database?: string): string
  start(): Promise<void>
  /** Stops the server; `immediate` is a crash as far as the data is concerned, and the fastest. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>
  /** Stops it (if running) and deletes its directory. */
  destroy(): Promise<void>
  /** Every process of the server, for freezing it (SIGSTOP) and thawing it. */
  processIds(): Promise<number[]>
}

/** Where initdb, pg_ctl and pg_basebackup live: POSTGRES_BIN_DIR, else the newest /usr/lib/postgresql/N/bin. */
export function postgresBinDir(): string {
  const configured = process.env.POSTGRES_BIN_DIR
  if (configured) return configured
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((name) => /^\d+$/.test(name) && existsSync(join(root, name, 'bin', 'pg_ctl')))
        .sort((a, b) => Number(b) - Number(a))
    : []
  return versions[0] === undefined ? '' : join(root, versions[0], 'bin')
}

/** The server programs this module runs, each checked up front: a missing one names the Debian package. */
export function checkPostgresBinaries(): void {
  for (const name of ['initdb', 'pg_ctl', 'pg_basebackup', 'postgres']) binary(name)
}

function binary(name: string): string {
  const dir = postgresBinDir()
  return requireBinary(dir === '' ? name : join(dir, name), 'postgresql')
}

/** initdb refuses to run as root: a root caller runs the server as the postgres user, which must own its files. */
export function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined
  const line = readPasswd().find((entry) => entry[0] === 'postgres')
  if (line === undefined) throw new Error('Running as root needs a "postgres" user to run the private Postgres servers (apt-get install postgresql creates it)')
  return { uid: Number(line[2]), gid: Number(line[3]) }
}

function readPasswd(): string[][] {
  try {
    return readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .map((line) => line.split(':'))
  } catch {
    return []
  }
}

async function asServerUser(command: string, args: string[]): Promise<string> {
  const user = serverUser()
  const { stdout } = await run(command, args, { ...(user ?? {}), env: { ...process.env, LC_ALL: 'C' }, maxBuffer: 16 * 1024 * 1024 })
  return stdout
}

/** A directory the server user may write: the server's data, socket and log live in it. */
export async function privateDirectory(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  const user = serverUser()
  if (user) await chown(dir, user.uid, user.gid)
  return dir
}

const SERVER_SETTINGS = (port: number, dir: string) => `
listen_addresses = '127.0.0.1'
port = ${port}
unix_socket_directories = '${dir}'
max_connections = 200
shared_buffers = 32MB
fsync = off
full_page_writes = off
wal_level = replica
max_wal_senders = 10
hot_standby = on
hot_standby_feedback = on
wal_receiver_status_interval = 1s
`

function localPostgres(root: string, dataDir: string, port: number): LocalPostgres {
  const pgCtl = binary('pg_ctl')
  const logFile = join(root, `postgres-${port}.log`)
  let running = false
  return {
    port,
    dataDir,
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async start() {
      try {
        await asServerUser(pgCtl, ['start', '-w', '-t', '60', '-D', dataDir, '-l', logFile])
      } catch (error) {
        const log = await readFile(logFile, 'utf8').catch(() => '')
        throw new Error(`Postgres on port ${port} did not start: ${(error as Error).message}\n${log.slice(-2000)}`, { cause: error })
      }
      running = true
    },
    async stop(mode = 'fast') {
      if (!running) return
      await asServerUser(pgCtl, ['stop', '-w', '-t', '60', '-m', mode, '-D', dataDir]).catch(() => undefined)
      running = false
    },
    async destroy() {
      await this.stop('immediate')
      await rm(root, { recursive: true, force: true })
    },
    async processIds() {
      const postmaster = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0])
      const children = readdirSync('/proc')
        .filter((name) => /^\d+$/.test(name))
        .filter((pid) => {
          try {
            const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
            return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster
          } catch {
            return false
          }
        })
        .map(Number)
      return [postmaster, ...children]
    },
  }
}

/** A new primary, ready for streaming replicas (wal_level replica; loopback replication is trusted). */
export async function startPrimary(port: number): Promise<LocalPostgres> {
  const root = await privateDirectory('aforro-pg-primary-')
  const dataDir = join(root, 'data')
  await asServerUser(binary('initdb'), ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C'])
  await appendFile(join(dataDir, 'postgresql.conf'), SERVER_SETTINGS(port, root))
  const server = localPostgres(root, dataDir, port)
  await server.start()
  return server
}

/** A hot standby streaming from `primary`, cloned with pg_basebackup (-R writes its primary_conninfo; a fast checkpoint starts it at once). */
export async function startStreamingReplica(primary: LocalPostgres, port: number): Promise<LocalPostgres> {
  const root = await privateDirectory('aforro-pg-replica-')
  const dataDir = join(root, 'data')
  await mkdir(dataDir, { mode: 0o700 }).then(async () => {
    const user = serverUser()
    if (user) await chown(dataDir, user.uid, user.gid)
  })
  await asServerUser(binary('pg_basebackup'), [
    '-h',
    '127.0.0.1',
    '-p',
    String(primary.port),
    '-U',
    'postgres',
    '-D',
    dataDir,
    '-R',
    '-X',
    'stream',
    '--no-sync',
    '--checkpoint',
    'fast',
  ])
  // The clone carries the primary's settings: only the port and socket directory differ.
  await appendFile(join(dataDir, 'postgresql.conf'), `\nport = ${port}\nunix_socket_directories = '${root}'\n`)
  const server = localPostgres(root, dataDir, port)
  await server.start()
  return server
}
