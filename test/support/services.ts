import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { loadEmbeddedPostgres } from '../../bootstrap/infrastructure/embedded-postgres.js'
import pg from 'pg'

export interface RunningService {
  url: string
  stop(): Promise<void>
}

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

function dockerLooksReachable(): boolean {
  return process.env.DOCKER_HOST !== undefined || existsSync('/var/run/docker.sock')
}

/** DATABASE_URL when set; else a Testcontainers Postgres when Docker answers; else an embedded Postgres. */
export async function startPostgres(): Promise<RunningService> {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, stop: async () => undefined }
  if (dockerLooksReachable()) {
    try {
      const { PostgreSqlContainer } = await import('@testcontainers/postgresql')
      const container = await new PostgreSqlContainer('postgres:18-alpine').start()
      return { url: container.getConnectionUri(), stop: async () => void (await container.stop()) }
    } catch {
      // Docker is not really there: fall through to the embedded server.
    }
  }
  const port = await freePort()
  const databaseDir = join(tmpdir(), `aforro-test-pg-${process.pid}-${port}`)
  const EmbeddedPostgres = await loadEmbeddedPostgres()
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'test',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300', '-c', 'fsync=off'],
    onLog: () => undefined,
  })
  await server.initialise()
  await server.start()
  return { url: `postgres://postgres:test@127.0.0.1:${port}/postgres`, stop: () => server.stop() }
}

/** REDIS_URL when set; else a Testcontainers Redis when Docker answers; else a private redis-server from PATH. */
export async function startRedis(): Promise<RunningService | undefined> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: async () => undefined }
  if (dockerLooksReachable()) {
    try {
      const { RedisContainer } = await import('@testcontainers/redis')
      const container = await new RedisContainer('redis:7-alpine').start()
      return { url: container.getConnectionUrl(), stop: async () => void (await container.stop()) }
    } catch {
      // fall through to a local redis-server
    }
  }
  try {
    return await startRedisServer(await freePort())
  } catch {
    return undefined
  }
}

/** A throwaway redis-server on `port`; tests also use it to kill and revive Redis on purpose. */
export async function startRedisServer(port: number): Promise<RunningService & { process: ChildProcess }> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  })
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject)
    child.once('spawn', () => resolve())
  })
  for (let attempt = 0; attempt < 100; attempt++) {
    if (await acceptsConnections(port)) break
    await sleep(20)
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    process: child,
    stop: async () => {
      if (child.exitCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGKILL')
      await exited
    },
  }
}

async function acceptsConnections(port: number): Promise<boolean> {
  const { connect } = await import('node:net')
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl)
  url.pathname = `/${database}`
  return url.toString()
}
