import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { requireBinary } from './binaries.js'
import { privateDirectory, serverUser } from './local-postgres.js'
import { stopChild } from './processes.js'

export interface LocalPgBouncer {
  port: number
  /** `database` through the pooler. */
  url(database: string): string
  /** Runs one statement on the admin console (SHOW STATS, PAUSE, RESUME…). */
  admin<R extends pg.QueryResultRow>(command: string): Promise<R[]>
  stop(): Promise<void>
}

/**
 * The settings the app's pool sends at connection start (pool.ts). PgBouncer 1.18 refuses
 * unknown startup parameters, so it is told to drop them and sets the same values on every
 * server connection itself (connect_query): the same for every client, so no session state leaks.
 */
export const POOLER_IGNORED_STARTUP_PARAMETERS = 'extra_float_digits,options,statement_timeout,lock_timeout,idle_in_transaction_session_timeout'
export const POOLER_CONNECT_QUERY = 'SET statement_timeout = 15000; SET lock_timeout = 5000; SET idle_in_transaction_session_timeout = 60000; SET jit = off'

/** The pgbouncer.ini of a transaction-mode pooler in front of `server`, with every database passed through. */
export function pgBouncerIni(options: { port: number; server: { host: string; port: number }; dir: string; poolSize: number }): string {
  return `[databases]
* = host=${options.server.host} port=${options.server.port} connect_query='${POOLER_CONNECT_QUERY}'

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${options.port}
unix_socket_dir =
auth_type = trust
auth_file = ${join(options.dir, 'userlist.txt')}
admin_users = postgres
pool_mode = transaction
default_pool_size = ${options.poolSize}
max_client_conn = 1000
ignore_startup_parameters = ${POOLER_IGNORED_STARTUP_PARAMETERS}
logfile = ${join(options.dir, 'pgbouncer.log')}
`
}

/** A PgBouncer in transaction mode on `port`, in front of the Postgres at `server`, from the machine's binary. */
export async function startPgBouncer(port: number, server: { host: string; port: number }, poolSize = 4): Promise<LocalPgBouncer> {
  const binary = requireBinary('pgbouncer', 'pgbouncer')
  const dir = await privateDirectory('aforro-pgbouncer-')
  await writeFile(join(dir, 'userlist.txt'), '"postgres" ""\n')
  const ini = join(dir, 'pgbouncer.ini')
  await writeFile(ini, pgBouncerIni({ port, server, dir, poolSize }))
  // PgBouncer refuses to run as root.
  const child = spawn(binary, [ini], { ...(serverUser() ?? {}), stdio: 'ignore' })
  const url = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`
  const admin = async <R extends pg.QueryResultRow>(command: string): Promise<R[]> => {
    const client = new pg.Client({ connectionString: url('pgbouncer') })
    await client.connect()
    try {
      return (await client.query<R>(command)).rows
    } finally {
      await client.end()
    }
  }
  for (let attempt = 0; ; attempt++) {
    try {
      await admin('SHOW VERSION')
      break
    } catch (error) {
      if (child.exitCode !== null || attempt >= 100) {
        await stopChild(child)
        throw new Error(`pgbouncer did not start on port ${port}`, { cause: error })
      }
      await sleep(50)
    }
  }
  return { port, url, admin, stop: () => stopChild(child) }
}
