import { isIP } from 'node:net'
import { availableParallelism } from 'node:os'

/** Never `true`: trusting every peer would let any client forge X-Forwarded-For. */
export type TrustProxy = false | number | string[]

export interface Config {
  databaseUrl: string | undefined
  /** A streaming replica for the read paths that can take it; unset, every read goes to DATABASE_URL. */
  databaseReadUrl: string | undefined
  /**
   * The primary itself, bypassing a transaction-mode pooler in DATABASE_URL: the migrator (session
   * lock, SET), pg-boss (LISTEN) and the catalog listener need a session. Defaults to DATABASE_URL.
   */
  databaseDirectUrl: string | undefined
  /** Connections each API or worker process keeps to DATABASE_URL (and as many to DATABASE_READ_URL). */
  databasePoolSize: number
  redisUrl: string | undefined
  /** Seed nodes (host:port) of a Redis Cluster, instead of REDIS_URL's one Redis. */
  redisClusterNodes: string[] | undefined
  port: number
  host: string
  rateLimitSuggest: number
  trustProxy: TrustProxy
  cacheTtlSeconds: number
  runWorker: boolean
  logLevel: LogLevel
  embeddedPostgresPort: number
  dataDir: string
  dailySummaryCron: string
  lowStockThreshold: number
  /** Where a worker process serves GET /metrics; none when unset. */
  workerMetricsPort: number | undefined
  /** API processes sharing the port (node:cluster); 1 is a single process with no primary. */
  webConcurrency: number
}

/** Every variable loadConfig reads; docker-compose.yml may set no other (a test keeps them in step). */
export const CONFIG_VARIABLES = [
  'DATABASE_URL',
  'DATABASE_READ_URL',
  'DATABASE_DIRECT_URL',
  'DATABASE_POOL_SIZE',
  'REDIS_URL',
  'REDIS_CLUSTER_NODES',
  'PORT',
  'HOST',
  'RATE_LIMIT_SUGGEST',
  'TRUST_PROXY',
  'CACHE_TTL_SECONDS',
  'RUN_WORKER',
  'LOG_LEVEL',
  'EMBEDDED_POSTGRES_PORT',
  'DATA_DIR',
  'DAILY_SUMMARY_CRON',
  'LOW_STOCK_THRESHOLD',
  'WORKER_METRICS_PORT',
  'WEB_CONCURRENCY',
] as const

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
type LogLevel = (typeof LOG_LEVELS)[number]

/** Raised for an invalid environment value; the message is one line that names the variable. */
export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`)
    this.name = 'ConfigError'
  }
}

/**
 * Twice the cores, at most 10: on a box shared with Postgres (the embedded default, the compose
 * stack), more connections than that only make the backends take turns on the cores. Measured
 * on 2 cores, 4 connections served the 100-row inventory page a fifth faster than 10 (median of 6
 * alternating pairs), orders as fast, and most search shapes at ten clients faster (README).
 */
export const DEFAULT_DATABASE_POOL_SIZE = Math.min(10, 2 * availableParallelism())

const POSTGRES_PROTOCOLS = ['postgres:', 'postgresql:']

type Env = Readonly<Record<string, string | undefined>>

export function loadConfig(env: Env = process.env): Config {
  const databaseUrl = optionalUrl(env, 'DATABASE_URL', POSTGRES_PROTOCOLS)
  const databaseReadUrl = optionalUrl(env, 'DATABASE_READ_URL', POSTGRES_PROTOCOLS)
  const databaseDirectUrl = optionalUrl(env, 'DATABASE_DIRECT_URL', POSTGRES_PROTOCOLS)
  if (databaseUrl === undefined) {
    // The embedded default is one server: a replica or a second route to it would be a misconfiguration.
    if (databaseReadUrl !== undefined) throw new ConfigError('DATABASE_READ_URL', 'needs DATABASE_URL (the primary) to be set')
    if (databaseDirectUrl !== undefined) throw new ConfigError('DATABASE_DIRECT_URL', 'needs DATABASE_URL to be set')
  }
  const redisUrl = optionalUrl(env, 'REDIS_URL', ['redis:', 'rediss:'])
  const redisClusterNodes = hostPortList(env, 'REDIS_CLUSTER_NODES')
  if (redisUrl !== undefined && redisClusterNodes !== undefined) {
    throw new ConfigError('REDIS_CLUSTER_NODES', 'and REDIS_URL are both set: name one Redis (REDIS_URL) or a cluster (REDIS_CLUSTER_NODES), not both')
  }
  const webConcurrency = integer(env, 'WEB_CONCURRENCY', 1, 1, 64)
  if (webConcurrency > 1 && redisUrl === undefined && redisClusterNodes === undefined) {
    // In-process caches are invalidated only in the process that wrote: a sibling would serve old stock.
    throw new ConfigError(
      'WEB_CONCURRENCY',
      'above 1 needs REDIS_URL (or REDIS_CLUSTER_NODES), so that every process shares one cache and one rate-limit budget',
    )
  }
  return {
    databaseUrl,
    databaseReadUrl,
    databaseDirectUrl,
    databasePoolSize: integer(env, 'DATABASE_POOL_SIZE', DEFAULT_DATABASE_POOL_SIZE, 1, 1_000),
    redisUrl,
    redisClusterNodes,
    port: integer(env, 'PORT', 3000, 0, 65_535),
    host: text(env, 'HOST', '127.0.0.1'),
    rateLimitSuggest: integer(env, 'RATE_LIMIT_SUGGEST', 20, 1, 1_000_000),
    trustProxy: trustProxy(env),
    cacheTtlSeconds: integer(env, 'CACHE_TTL_SECONDS', 300, 1, 86_400 * 7),
    runWorker: flag(env, 'RUN_WORKER', databaseUrl === undefined),
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    embeddedPostgresPort: integer(env, 'EMBEDDED_POSTGRES_PORT', 54_329, 1, 65_535),
    dataDir: text(env, 'DATA_DIR', '.data'),
    dailySummaryCron: cron(env, 'DAILY_SUMMARY_CRON', '5 0 * * *'),
    lowStockThreshold: integer(env, 'LOW_STOCK_THRESHOLD', 5, 1, 1_000_000_000),
    workerMetricsPort: present(env, 'WORKER_METRICS_PORT') === undefined ? undefined : integer(env, 'WORKER_METRICS_PORT', 0, 0, 65_535),
    webConcurrency,
  }
}

function present(env: Env, name: string): string | undefined {
  const value = env[name]?.trim()
  return value === undefined || value === '' ? undefined : value
}

function text(env: Env, name: string, fallback: string): string {
  return present(env, name) ?? fallback
}

function optionalUrl(env: Env, name: string, protocols: string[]): string | undefined {
  const value = present(env, name)
  if (value === undefined) return undefined
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new ConfigError(name, 'is not a URL')
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(name, `must start with ${protocols.map((p) => `${p}//`).join(' or ')}`)
  }
  return value
}

/** A comma-separated list of host:port (spaces around commas allowed). */
function hostPortList(env: Env, name: string): string[] | undefined {
  const value = present(env, name)
  if (value === undefined) return undefined
  const nodes = value.split(',').map((node) => node.trim())
  for (const node of nodes) {
    const match = /^(.+):(\d{1,5})$/.exec(node)
    if (match === null || Number(match[2]) < 1 || Number(match[2]) > 65_535) {
      throw new ConfigError(name, `must list host:port pairs separated by commas, got "${node}"`)
    }
  }
  return nodes
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = present(env, name)
  if (value === undefined) return fallback
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new ConfigError(name, `must be an integer from ${min} to ${max}, got "${value}"`)
  }
  return Number(value)
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const value = present(env, name)?.toLowerCase()
  if (value === undefined) return fallback
  if (value === 'true' || value === '1') return true
  if (value === 'false' || value === '0') return false
  throw new ConfigError(name, `must be true, false, 1 or 0, got "${value}"`)
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const value = present(env, name)
  if (value === undefined) return fallback
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${value}"`)
  }
  return value as T
}

/**
 * How many proxies, or which, to believe X-Forwarded-For from. `true` (believe any peer) is
 * refused: with it a client forges its address and buys a fresh rate-limit budget per request.
 */
function trustProxy(env: Env): TrustProxy {
  const value = present(env, 'TRUST_PROXY')
  if (value === undefined || value === 'false') return false
  if (value === 'true') {
    throw new ConfigError('TRUST_PROXY', 'must name the proxies to trust: a hop count (e.g. 1) or their addresses/CIDRs (e.g. 10.0.0.0/8), not "true"')
  }
  if (/^\d+$/.test(value)) return Number(value)
  const entries = value.split(',').map((entry) => entry.trim())
  for (const entry of entries) {
    const [address = '', prefix] = entry.split('/')
    const family = isIP(address)
    const maxPrefix = family === 4 ? 32 : 128
    const prefixOk = prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= maxPrefix)
    if (family === 0 || !prefixOk) {
      throw new ConfigError('TRUST_PROXY', `must be false, a hop count or addresses/CIDRs, got "${entry}"`)
    }
  }
  return entries
}

function cron(env: Env, name: string, fallback: string): string {
  const value = present(env, name)
  if (value === undefined) return fallback
  if (value.split(/\s+/).length !== 5) {
    throw new ConfigError(name, `must be a five-field cron expression, got "${value}"`)
  }
  return value
}
