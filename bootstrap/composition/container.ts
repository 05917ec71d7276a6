// tsyringe refuses to load without the Reflect metadata API; only this file imports it.
import 'reflect-metadata'
import type pg from 'pg'
import type { PgBoss } from 'pg-boss'
import type { Logger } from 'pino'
import { container, instanceCachingFactory, type DependencyContainer } from 'tsyringe'
import { CatalogChangeInvalidator, StockChangeInvalidator } from '../../adapters/cache/cache-invalidators.js'
import { CachedInventoryQueries } from '../../adapters/cache/cached-inventory-queries.js'
import { CachedProductSearch } from '../../adapters/cache/cached-product-search.js'
import { ReadThroughCache } from '../../adapters/cache/read-through-cache.js'
import type { HttpAppDeps } from '../../adapters/http/build-http-app.js'
import { rateLimitHook } from '../../adapters/http/rate-limit-hook.js'
import type { JobHandlers } from '../../adapters/jobs/workers.js'
import { MemoryCacheStore } from '../../adapters/memory/memory-cache-store.js'
import { MemoryRateLimiter } from '../../adapters/rate-limit/memory-rate-limiter.js'
import { Counters } from '../../adapters/metrics/counters.js'
import { PgApiKeys, PgOrderOwnership } from '../../adapters/postgres/pg-api-keys.js'
import { PgCatalogListener } from '../../adapters/postgres/pg-catalog-listener.js'
import { isTransientDatabaseFailure } from '../../adapters/postgres/pg-errors.js'
import { PgHealthProbe } from '../../adapters/postgres/pg-health-probe.js'
import { PgIdempotencyKeys } from '../../adapters/postgres/pg-idempotency-keys.js'
import { PgInventoryQueries } from '../../adapters/postgres/pg-inventory-queries.js'
import { PgInventorySummaries } from '../../adapters/postgres/pg-inventory-summaries.js'
import { PgOrderConfirmations } from '../../adapters/postgres/pg-order-confirmations.js'
import { PgOrderQueries } from '../../adapters/postgres/pg-order-queries.js'
import { PgOutboxNotifier } from '../../adapters/postgres/pg-outbox-notifier.js'
import { PgProductSearch } from '../../adapters/postgres/pg-product-search.js'
import { PgStockLedgerAudit } from '../../adapters/postgres/pg-stock-ledger-audit.js'
import { PgStockLevels } from '../../adapters/postgres/pg-stock-levels.js'
import { PgUnitOfWork } from '../../adapters/postgres/pg-unit-of-work.js'
import { RedisCacheStore } from '../../adapters/redis/redis-cache-store.js'
import type { RedisConnection } from '../../adapters/redis/redis-connection.js'
import { RedisHealthProbe } from '../../adapters/redis/redis-health-probe.js'
import { RedisRateLimiter } from '../../adapters/redis/redis-rate-limiter.js'
import { AuthenticateApiKey } from '../../application/access/authenticate-api-key.js'
import { AuthorizeAccess } from '../../application/access/authorize-access.js'
import { CreateApiKey, ListApiKeys, RevokeApiKey } from '../../application/access/manage-api-keys.js'
import { AuditStockLedger } from '../../application/inventory/audit-stock-ledger.js'
import { BuildDailyInventorySummary } from '../../application/inventory/build-daily-inventory-summary.js'
import { CheckReadiness } from '../../application/operations/check-readiness.js'
import { GetInventorySummary } from '../../application/inventory/get-inventory-summary.js'
import { GetOrder } from '../../application/ordering/get-order.js'
import { ListStoreInventory } from '../../application/inventory/list-store-inventory.js'
import { ListStoreOrders } from '../../application/ordering/list-store-orders.js'
import { PlaceOrder } from '../../application/ordering/place-order.js'
import { PurgeIdempotencyKeys } from '../../application/ordering/purge-idempotency-keys.js'
import { SearchProducts } from '../../application/catalog/search-products.js'
import { SendOrderConfirmation } from '../../application/ordering/send-order-confirmation.js'
import { SetStockLevel } from '../../application/inventory/set-stock-level.js'
import { SuggestProducts } from '../../application/catalog/suggest-products.js'
import type { Config } from '../runtime/config.js'
import { packageVersion } from '../runtime/package-version.js'
import { TOKENS, type Token } from './tokens.js'

export interface Infrastructure {
  config: Config
  logger: Logger
  pool: pg.Pool
  /** Started pg-boss; an API process only sends jobs with it, a worker also works the queues. */
  boss: PgBoss
  /** Present when REDIS_URL is set (bootstrap/redis.ts): cache and rate limits then live in Redis. */
  redis?: RedisConnection | undefined
}

const ONE_MINUTE_MS = 60_000

function singleton<T>(c: DependencyContainer, token: Token<T>, build: (resolve: <U>(t: Token<U>) => U) => T): void {
  c.register(token, {
    useFactory: instanceCachingFactory((r) => build(<U>(t: Token<U>) => r.resolve<U>(t))),
  })
}

/**
 * The one composition root: every adapter is chosen and every use case assembled here, with
 * factories only (no decorators, no emitted metadata). Resources opened before (pool, Postgres
 * itself, pg-boss, Redis) are passed in and closed by whoever opened them.
 */
export function buildContainer(infra: Infrastructure): DependencyContainer {
  const c = container.createChildContainer()
  c.register(TOKENS.config, { useValue: infra.config })
  c.register(TOKENS.logger, { useValue: infra.logger })
  c.register(TOKENS.pool, { useValue: infra.pool })
  c.register(TOKENS.boss, { useValue: infra.boss })
  c.register(TOKENS.clock, { useValue: { now: () => new Date() } })

  singleton(c, TOKENS.postgresProbe, (resolve) => new PgHealthProbe(resolve(TOKENS.pool)))
  registerCacheAndRateLimits(c, infra)
  singleton(c, TOKENS.checkReadiness, (resolve) => new CheckReadiness(resolve(TOKENS.postgresProbe), resolve(TOKENS.redisProbe)))

  singleton(c, TOKENS.apiKeys, (resolve) => new PgApiKeys(resolve(TOKENS.pool), resolve(TOKENS.logger)))
  singleton(c, TOKENS.authenticateApiKey, (resolve) => new AuthenticateApiKey(resolve(TOKENS.apiKeys), resolve(TOKENS.clock)))
  singleton(c, TOKENS.authorizeAccess, (resolve) => new AuthorizeAccess(new PgOrderOwnership(resolve(TOKENS.pool))))

  singleton(c, TOKENS.unitOfWork, (resolve) => new PgUnitOfWork(resolve(TOKENS.pool), resolve(TOKENS.boss)))
  singleton(c, TOKENS.orderQueries, (resolve) => new PgOrderQueries(resolve(TOKENS.pool)))
  singleton(c, TOKENS.idempotencyKeys, (resolve) => new PgIdempotencyKeys(resolve(TOKENS.pool)))
  singleton(c, TOKENS.placeOrder, (resolve) => new PlaceOrder(resolve(TOKENS.unitOfWork), resolve(TOKENS.orderQueries), resolve(TOKENS.stockChanged)))
  singleton(c, TOKENS.getOrder, (resolve) => new GetOrder(resolve(TOKENS.orderQueries)))
  singleton(c, TOKENS.listStoreOrders, (resolve) => new ListStoreOrders(resolve(TOKENS.orderQueries)))
  singleton(c, TOKENS.purgeIdempotencyKeys, (resolve) => new PurgeIdempotencyKeys(resolve(TOKENS.idempotencyKeys), resolve(TOKENS.clock)))

  singleton(c, TOKENS.catalogListener, (resolve) => new PgCatalogListener(resolve(TOKENS.pool), resolve(TOKENS.catalogChanged), resolve(TOKENS.logger)))
  singleton(c, TOKENS.inventoryQueries, (resolve) => new CachedInventoryQueries(new PgInventoryQueries(resolve(TOKENS.pool)), resolve(TOKENS.cache)))
  singleton(c, TOKENS.stockLevels, (resolve) => new PgStockLevels(resolve(TOKENS.pool)))
  singleton(c, TOKENS.productSearch, (resolve) => new CachedProductSearch(new PgProductSearch(resolve(TOKENS.pool)), resolve(TOKENS.cache)))
  singleton(c, TOKENS.listStoreInventory, (resolve) => new ListStoreInventory(resolve(TOKENS.inventoryQueries)))
  singleton(c, TOKENS.setStockLevel, (resolve) => new SetStockLevel(resolve(TOKENS.stockLevels), resolve(TOKENS.stockChanged)))
  singleton(c, TOKENS.searchProducts, (resolve) => new SearchProducts(resolve(TOKENS.productSearch)))
  singleton(c, TOKENS.suggestProducts, (resolve) => new SuggestProducts(resolve(TOKENS.productSearch)))

  singleton(c, TOKENS.notifier, (resolve) => new PgOutboxNotifier(resolve(TOKENS.pool), resolve(TOKENS.logger)))
  singleton(c, TOKENS.orderConfirmations, (resolve) => new PgOrderConfirmations(resolve(TOKENS.pool)))
  singleton(
    c,
    TOKENS.sendOrderConfirmation,
    (resolve) => new SendOrderConfirmation(resolve(TOKENS.orderQueries), resolve(TOKENS.orderConfirmations), resolve(TOKENS.notifier)),
  )
  singleton(c, TOKENS.inventorySummaries, (resolve) => new PgInventorySummaries(resolve(TOKENS.pool)))
  singleton(
    c,
    TOKENS.buildDailyInventorySummary,
    (resolve) => new BuildDailyInventorySummary(resolve(TOKENS.inventorySummaries), resolve(TOKENS.clock), resolve(TOKENS.config).lowStockThreshold),
  )
  singleton(c, TOKENS.getInventorySummary, (resolve) => new GetInventorySummary(resolve(TOKENS.inventorySummaries)))
  return c
}

/** Redis when it is configured, else in-process stores: same ports, same behaviour within one process. */
function registerCacheAndRateLimits(c: DependencyContainer, { config, logger, redis }: Infrastructure): void {
  singleton(c, TOKENS.cacheCounters, () => new Counters())
  singleton(c, TOKENS.rateLimitCounters, () => new Counters())
  singleton(c, TOKENS.cache, (resolve) => {
    const store = redis ? new RedisCacheStore(redis, config.cacheTtlSeconds) : new MemoryCacheStore({ ttlSeconds: config.cacheTtlSeconds })
    const cache = new ReadThroughCache(store, resolve(TOKENS.cacheCounters), logger)
    redis?.onReconnected(() => void cache.retryInvalidations())
    return cache
  })
  const suggestWindow = { limit: config.rateLimitSuggest, windowMs: ONE_MINUTE_MS }
  singleton(c, TOKENS.suggestRateLimiter, (resolve) =>
    redis
      ? new RedisRateLimiter(redis, { ...suggestWindow, name: 'suggest' }, resolve(TOKENS.rateLimitCounters), logger)
      : new MemoryRateLimiter(suggestWindow),
  )
  singleton(c, TOKENS.redisProbe, () => (redis ? new RedisHealthProbe(redis) : { check: async () => 'not-configured' as const }))
  singleton(c, TOKENS.stockChanged, (resolve) => new StockChangeInvalidator(resolve(TOKENS.cache)))
  singleton(c, TOKENS.catalogChanged, (resolve) => new CatalogChangeInvalidator(resolve(TOKENS.cache)))
}

export function resolve<T>(c: DependencyContainer, token: Token<T>): T {
  return c.resolve<T>(token)
}

export function httpDeps(c: DependencyContainer): HttpAppDeps {
  const config = resolve(c, TOKENS.config)
  return {
    version: packageVersion(),
    logger: resolve(c, TOKENS.logger),
    trustProxy: config.trustProxy,
    isTransientFailure: isTransientDatabaseFailure,
    checkReadiness: resolve(c, TOKENS.checkReadiness),
    authenticate: resolve(c, TOKENS.authenticateApiKey),
    authorize: resolve(c, TOKENS.authorizeAccess),
    metrics: () => ({ cache: resolve(c, TOKENS.cacheCounters).snapshot(), rate_limit: resolve(c, TOKENS.rateLimitCounters).snapshot() }),
    suggestGuard: rateLimitHook(resolve(c, TOKENS.suggestRateLimiter), resolve(c, TOKENS.rateLimitCounters), 'suggest'),
    placeOrder: resolve(c, TOKENS.placeOrder),
    getOrder: resolve(c, TOKENS.getOrder),
    listStoreOrders: resolve(c, TOKENS.listStoreOrders),
    listStoreInventory: resolve(c, TOKENS.listStoreInventory),
    setStockLevel: resolve(c, TOKENS.setStockLevel),
    searchProducts: resolve(c, TOKENS.searchProducts),
    suggestProducts: resolve(c, TOKENS.suggestProducts),
    getInventorySummary: resolve(c, TOKENS.getInventorySummary),
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
export function jobHandlers(c: DependencyContainer): JobHandlers {
  return {
    'order-confirmation': async ({ orderId }) => ({ outcome: await resolve(c, TOKENS.sendOrderConfirmation).execute(orderId) }),
    'daily-inventory-summary': (payload) => resolve(c, TOKENS.buildDailyInventorySummary).execute(payload),
  }
}
