// tsyringe refuses to load without the Reflect metadata API; only this file imports it.
import 'reflect-metadata'
import type pg from 'pg'
import type { PgBoss } from 'pg-boss'
import type { Logger } from 'pino'
import { container, instanceCachingFactory, type DependencyContainer } from 'tsyringe'
import { CatalogChangeInvalidator } from '../../adapters/cache/cache-invalidators.js'
import { ReadThroughCache } from '../../adapters/cache/read-through-cache.js'
import type { HttpAppDeps } from '../../adapters/http/build-http-app.js'
import { rateLimitHook } from '../../adapters/http/rate-limit-hook.js'
import type { JobHandlers } from '../../adapters/jobs/workers.js'
import { MemoryCacheBackend } from '../../adapters/memory/memory-cache-backend.js'
import { MemoryRateLimiter } from '../../adapters/rate-limit/memory-rate-limiter.js'
import { queueCounts } from '../../adapters/jobs/queue-admin.js'
import { PrometheusMetrics } from '../../adapters/metrics/prometheus.js'
import { catalogChanges, PgNotificationListener } from '../../adapters/postgres/pg-notification-listener.js'
import { PgInvalidationRelay } from '../../adapters/postgres/pg-invalidation-relay.js'
import { PgApiKeys } from '../../adapters/postgres/pg-api-keys.js'
import { isTransientDatabaseFailure } from '../../adapters/postgres/pg-errors.js'
import { PgStockLedgerAudit } from '../../adapters/postgres/pg-stock-ledger-audit.js'
import { withoutStatementNames } from '../../adapters/postgres/queryable.js'
import { ReplicaReads } from '../../adapters/postgres/replica-reads.js'
import { RedisCacheBackend } from '../../adapters/redis/redis-cache-backend.js'
import type { RedisConnection } from '../../adapters/redis/redis-connection.js'
import { RedisHealthProbe } from '../../adapters/redis/redis-health-probe.js'
import { RedisInvalidationFeed } from '../../adapters/redis/redis-invalidation-feed.js'
import { RedisRateLimiter } from '../../adapters/redis/redis-rate-limiter.js'
import { CreateApiKey, ListApiKeys, RevokeApiKey } from '../../application/access/manage-api-keys.js'
import { AuditStockLedger } from '../../application/inventory/audit-stock-ledger.js'
import type { Config } from '../runtime/config.js'
import { packageVersion } from '../runtime/package-version.js'
import { TOKENS, type Token } from './tokens.js'
import { buildUseCases, type UseCases } from './use-cases.js'

export interface Infrastructure {
  config: Config
  logger: Logger
  pool: pg.Pool
  /** Connections that may hold session state (the catalog listener's LISTEN); `pool` when omitted. */
  sessionPool?: pg.Pool | undefined
  /** A streaming replica for the read paths that can take it (ReplicaReads keeps them fresh). */
  replica?: pg.Pool | undefined
  /** Started pg-boss; an API process only sends jobs with it, a worker also works the queues. */
  boss: PgBoss
  /** Present when REDIS_URL is set (bootstrap/redis.ts): cache and rate limits then live in Redis. */
  redis?: RedisConnection | undefined
}

/** The assembled service: what the entry points start, serve and run. */
export interface Composition {
  /** The infrastructure by token, for the few readers outside the use cases (metrics, tests). */
  container: DependencyContainer
  useCases: UseCases
  /**
   * Turns Postgres NOTIFYs (catalog triggers; invalidations Redis missed) into cache invalidations.
   * Whoever serves reads starts it, then the cache (see startCache), and stops both.
   */
  notificationListener: PgNotificationListener
  cache: ReadThroughCache
}

const ONE_MINUTE_MS = 60_000

function singleton<T>(c: DependencyContainer, token: Token<T>, build: (resolve: <U>(t: Token<U>) => U) => T): void {
  c.register(token, {
    useFactory: instanceCachingFactory((r) => build(<U>(t: Token<U>) => r.resolve<U>(t))),
  })
}

/**
 * The one composition root. The container holds only what varies (the resources passed in, and
 * Redis or in-process adapters as configured), with factories only: no decorators, no emitted
 * metadata. Every use case is then built once from it. Resources opened before (pool, Postgres
 * itself, pg-boss, Redis) are closed by whoever opened them.
 */
export function compose(infra: Infrastructure): Composition {
  const c = container.createChildContainer()
  c.register(TOKENS.config, { useValue: infra.config })
  c.register(TOKENS.logger, { useValue: infra.logger })
  c.register(TOKENS.pool, { useValue: infra.pool })
  // A direct URL means DATABASE_URL is a transaction-mode pooler: no named statements through it.
  const primaryReads = infra.config.databaseDirectUrl === undefined ? infra.pool : withoutStatementNames(infra.pool)
  c.register(TOKENS.reads, { useValue: infra.replica ? new ReplicaReads(primaryReads, infra.replica, infra.logger) : primaryReads })
  c.register(TOKENS.boss, { useValue: infra.boss })
  c.register(TOKENS.clock, { useValue: { now: () => new Date() } })
  registerMetrics(c, infra)
  // With Redis: hits answered in process (validated by Redis pushes), and invalidations Redis
  // misses announced through Postgres. Without: one process, nothing to tell anyone.
  const relay = infra.redis ? new PgInvalidationRelay(infra.pool) : undefined
  registerCacheAndRateLimits(c, infra, relay)
  const cache = resolve(c, TOKENS.cache)
  const subscriptions = [catalogChanges(new CatalogChangeInvalidator(cache))]
  if (relay) subscriptions.push(relay.subscription((announcement) => cache.announced(announcement)))
  const notificationListener = new PgNotificationListener(infra.sessionPool ?? infra.pool, subscriptions, infra.logger)
  return { container: c, useCases: buildUseCases(c), notificationListener, cache }
}

/**
 * Listens before the cache reads the announcements already made, so that none falls between the
 * two; returns what stops both, in reverse order.
 */
export async function startCache({ notificationListener, cache }: Composition): Promise<() => Promise<void>> {
  await notificationListener.start()
  await cache.start()
  return async () => {
    await cache.close()
    await notificationListener.stop()
  }
}

/** One Prometheus registry per process; the counters the adapters increment are its series. */
function registerMetrics(c: DependencyContainer, { logger, pool, boss }: Infrastructure): void {
  singleton(c, TOKENS.metrics, () => {
    const metrics = new PrometheusMetrics(logger)
    metrics.observePool('app', pool)
    metrics.observeQueues(() => queueCounts(boss))
    return metrics
  })
  singleton(c, TOKENS.cacheCounters, (resolve) => resolve(TOKENS.metrics).cacheLookups)
  singleton(c, TOKENS.rateLimitCounters, (resolve) => resolve(TOKENS.metrics).rateLimitDecisions)
  singleton(c, TOKENS.jobCounters, (resolve) => resolve(TOKENS.metrics).jobAttempts)
}

/** Redis when it is configured, else in-process backends: same ports, same behaviour within one process. */
function registerCacheAndRateLimits(c: DependencyContainer, { config, logger, redis }: Infrastructure, relay: PgInvalidationRelay | undefined): void {
  singleton(c, TOKENS.cache, (resolve) => {
    if (!redis) return new ReadThroughCache(new MemoryCacheBackend({ ttlSeconds: config.cacheTtlSeconds }), resolve(TOKENS.cacheCounters), logger)
    const backend = new RedisCacheBackend(redis, config.cacheTtlSeconds, resolve(TOKENS.metrics).cacheInvalidations)
    const cache = new ReadThroughCache(backend, resolve(TOKENS.cacheCounters), logger, { feed: new RedisInvalidationFeed(redis), ...(relay ? { relay } : {}) })
    redis.onAvailable(() => void cache.recordPending())
    return cache
  })
  const suggestWindow = { limit: config.rateLimitSuggest, windowMs: ONE_MINUTE_MS }
  singleton(c, TOKENS.suggestRateLimiter, (resolve) =>
    redis
      ? new RedisRateLimiter(redis, { ...suggestWindow, name: 'suggest' }, resolve(TOKENS.rateLimitCounters), logger)
      : new MemoryRateLimiter(suggestWindow),
  )
  singleton(c, TOKENS.redisProbe, () => (redis ? new RedisHealthProbe(redis) : { check: async () => 'not-configured' as const }))
}

export function resolve<T>(c: DependencyContainer, token: Token<T>): T {
  return c.resolve<T>(token)
}

export function httpDeps({ container: c, useCases }: Composition): HttpAppDeps {
  return {
    version: packageVersion(),
    logger: resolve(c, TOKENS.logger),
    trustProxy: resolve(c, TOKENS.config).trustProxy,
    isTransientFailure: isTransientDatabaseFailure,
    metrics: resolve(c, TOKENS.metrics),
    suggestGuard: rateLimitHook(resolve(c, TOKENS.suggestRateLimiter), resolve(c, TOKENS.rateLimitCounters), 'suggest'),
    useCases,
  }
}

/** The ledger audit reads only the database, so the audit CLI composes it without pg-boss. */
export function buildLedgerAudit(pool: pg.Pool): AuditStockLedger {
  return new AuditStockLedger(new PgStockLedgerAudit(pool))
}

export interface ApiKeyManagement {
  create: CreateApiKey
  list: ListApiKeys
  revoke: RevokeApiKey
}

/** Key management needs only the database, so the keys CLI and the embedded default compose it without pg-boss. */
export function buildApiKeyManagement(pool: pg.Pool, logger: Logger): ApiKeyManagement {
  const keys = new PgApiKeys(pool, logger)
  const clock = { now: () => new Date() }
  return { create: new CreateApiKey(keys, clock), list: new ListApiKeys(keys), revoke: new RevokeApiKey(keys, clock) }
}

/** What each queue's worker runs: one use case per job. */
export function jobHandlers(useCases: UseCases): JobHandlers {
  return {
    'order-confirmation': async ({ orderId }) => ({ outcome: await useCases.sendOrderConfirmation.execute(orderId) }),
    'daily-inventory-summary': (payload) => useCases.buildDailyInventorySummary.execute(payload),
  }
}
