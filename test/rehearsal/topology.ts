import { execFile } from 'node:child_process'
import { rm } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import pg from 'pg'
import { requireBinary } from '../support/binaries.js'
import { startPgBouncer, type LocalPgBouncer } from '../support/local-pgbouncer.js'
import { checkPostgresBinaries, privateDirectory, startPrimary, startStreamingReplica, type LocalPostgres } from '../support/local-postgres.js'
import { startRedisCluster, type LocalRedisCluster } from '../support/redis-cluster.js'
import { freePort } from '../support/services.js'
import { startBalancer, type Balancer } from './haproxy.js'
import { httpOk, inheritedEnvironment, startProgram, waitFor, type Program } from './processes.js'

const run = promisify(execFile)

/** The compiled programs the rehearsal runs, as the container image runs them. */
const DIST = fileURLToPath(new URL('../../', import.meta.url))
const entry = (name: string) => `${DIST}bootstrap/${name}.js`

/** The shape of the rehearsal, which docker-compose.scale.yml repeats (a test keeps them in step). */
export const SCALE_OUT = {
  apiInstances: 3,
  workers: 2,
  redisMasters: 3,
  redisReplicasPerMaster: 1,
  /** How long a Redis node may not answer before the others fail it over (Redis's default is 15 s; short, so the fault fits the workload). */
  redisNodeTimeoutMs: 2_000,
} as const

export interface TopologyOptions {
  apiInstances: number
  workers: number
  rateLimitSuggest: number
}

export interface ApiInstance {
  name: string
  port: number
  program: Program
}

export interface Topology {
  dir: string
  primary: LocalPostgres
  replica: LocalPostgres
  pgbouncer: LocalPgBouncer
  redis: LocalRedisCluster
  balancer: Balancer
  apis: ApiInstance[]
  workers: Program[]
  /** The primary's database, directly. */
  primaryPool: pg.Pool
  replicaPool: pg.Pool
  /** What every app process is started with. */
  appEnv: Record<string, string>
  /** Starts the API instance again (after a kill) on its port and waits until it is ready. */
  restartApi(api: ApiInstance): Promise<void>
  /** Kills the Redis master serving `key`, waits for its replica to be promoted, then starts the dead node again (it rejoins as the replica). */
  failOverRedisMaster(key: string): Promise<{ from: number; to: number; promotedAfterMs: number }>
  /** A CLI (migrate, seed, audit, keys) against the primary; resolves with its stdout. */
  cli(name: string, args: string[]): Promise<string>
  /** Stops everything; the logs stay on disk when asked (a failed rehearsal). */
  teardown(options?: { keepLogs?: boolean }): Promise<void>
}

const DATABASE = 'aforro'

/** Names each program the topology needs with its Debian package, before anything starts. */
export function checkBinaries(): void {
  checkPostgresBinaries()
  requireBinary('haproxy', 'haproxy')
  requireBinary('pgbouncer', 'pgbouncer')
  requireBinary('redis-server', 'redis-server')
  requireBinary('redis-cli', 'redis-tools')
}

/**
 * Builds the scale-out topology on loopback from the machine's binaries, every part private
 * (free ports, one temporary directory): Postgres primary and streaming replica, PgBouncer in
 * transaction mode, a Redis Cluster (3 masters, a replica each), the migrated and seeded database, API instances behind HAProxy, and
 * job workers. Whatever started is stopped again if a later part fails.
 */
export async function buildTopology(options: TopologyOptions, log: (line: string) => void): Promise<Topology> {
  checkBinaries()
  const dir = await privateDirectory('aforro-rehearsal-')
  const started: (() => Promise<void>)[] = []
  const teardown = async ({ keepLogs = false } = {}) => {
    for (const stop of started.reverse()) await stop().catch(() => undefined)
    if (!keepLogs) await rm(dir, { recursive: true, force: true })
  }
  try {
    const primary = await startPrimary(await freePort())
    started.push(() => primary.destroy())
    const admin = new pg.Client({ connectionString: primary.url() })
    await admin.connect()
    await admin.query(`CREATE DATABASE ${DATABASE}`)
    await admin.end()
    log(`postgres primary on ${primary.port}`)

    const redis = await startRedisCluster({ masters: SCALE_OUT.redisMasters, nodeTimeoutMs: SCALE_OUT.redisNodeTimeoutMs, dir })
    started.push(() => redis.stop())
    log(
      `redis cluster: ${SCALE_OUT.redisMasters} masters + ${SCALE_OUT.redisMasters * SCALE_OUT.redisReplicasPerMaster} replicas on ${redis.nodes.map((node) => node.port).join(', ')}`,
    )

    const pgbouncer = await startPgBouncer(await freePort(), { host: '127.0.0.1', port: primary.port }, 10)
    started.push(() => pgbouncer.stop())
    log(`pgbouncer (transaction mode) on ${pgbouncer.port}`)

    const appEnv: Record<string, string> = {
      DATABASE_URL: pgbouncer.url(DATABASE),
      DATABASE_DIRECT_URL: primary.url(DATABASE),
      REDIS_CLUSTER_NODES: redis.seedNodes.join(','),
      RATE_LIMIT_SUGGEST: String(options.rateLimitSuggest),
      // Only the balancer's address is trusted to say who the client is.
      TRUST_PROXY: '127.0.0.1',
      RUN_WORKER: 'false',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
    }
    const cli = async (name: string, args: string[]) =>
      (
        await run(process.execPath, [entry(name), ...args], {
          env: { ...inheritedEnvironment(), ...appEnv, DATABASE_URL: primary.url(DATABASE) },
          maxBuffer: 1 << 24,
        })
      ).stdout
    await cli('migrate', [])
    await cli('seed', ['--seed', '42', '--categories', '8', '--products', '2000', '--stores', '6', '--inventory-per-store', '400'])
    log('schema migrated, 2,000 products in 6 stores seeded (seed 42)')

    // Cloned after the seed, so the replica starts with the data instead of replaying it.
    const replica = await startStreamingReplica(primary, await freePort())
    started.push(() => replica.destroy())
    appEnv.DATABASE_READ_URL = replica.url(DATABASE)
    log(`postgres streaming replica on ${replica.port}`)

    const primaryPool = new pg.Pool({ connectionString: primary.url(DATABASE), max: 4 })
    const replicaPool = new pg.Pool({ connectionString: replica.url(DATABASE), max: 2, connectionTimeoutMillis: 2_000 })
    replicaPool.on('error', () => undefined)
    primaryPool.on('error', () => undefined)
    started.push(async () => void (await Promise.all([primaryPool.end(), replicaPool.end()])))

    const startApi = (name: string, port: number) =>
      startProgram({ name, command: process.execPath, args: ['--enable-source-maps', entry('server')], env: { ...appEnv, PORT: String(port) }, dir })
    const apis: ApiInstance[] = []
    for (let n = 1; n <= options.apiInstances; n++) {
      const port = await freePort()
      const api = { name: `api${n}`, port, program: startApi(`api${n}`, port) }
      apis.push(api)
      started.push(() => api.program.stop())
    }
    const workers = Array.from({ length: options.workers }, (_, n) =>
      startProgram({ name: `worker${n + 1}`, command: process.execPath, args: ['--enable-source-maps', entry('worker')], env: appEnv, dir }),
    )
    for (const worker of workers) started.push(() => worker.stop())
    await Promise.all(apis.map((api) => waitFor(`${api.name} to be ready`, () => httpOk(`http://127.0.0.1:${api.port}/health/ready`), 120_000)))
    log(`${apis.length} API instances ready, ${workers.length} workers started`)

    const balancer = await startBalancer(
      dir,
      await freePort(),
      apis.map(({ name, port }) => ({ name, port })),
    )
    started.push(() => balancer.program.stop())
    await waitFor('haproxy to see every API instance up', async () => (await balancer.serversUp()).length === apis.length, 30_000)
    log(`haproxy on ${balancer.port}, health-checking /health/ready`)

    return {
      dir,
      primary,
      replica,
      pgbouncer,
      redis,
      balancer,
      apis,
      workers,
      primaryPool,
      replicaPool,
      appEnv,
      cli,
      async restartApi(api) {
        api.program = startApi(api.name, api.port)
        started.push(() => api.program.stop())
        await waitFor(`${api.name} to be ready again`, () => httpOk(`http://127.0.0.1:${api.port}/health/ready`), 120_000)
      },
      async failOverRedisMaster(key) {
        const { master, replica } = await redis.shardOf(key)
        if (replica === undefined) throw new Error(`the Redis master on ${master} has no replica`)
        const killedAt = Date.now()
        await redis.kill(master)
        await waitFor(`the Redis replica on ${replica} to be promoted`, async () => (await redis.shardOf(key)).master === replica, 30_000)
        const promotedAfterMs = Date.now() - killedAt
        await redis.revive(master)
        await redis.settled()
        return { from: master, to: replica, promotedAfterMs }
      },
      teardown,
    }
  } catch (error) {
    await teardown({ keepLogs: true })
    throw new Error(`the topology did not come up (logs kept in ${dir}): ${(error as Error).message}`, { cause: error })
  }
}
