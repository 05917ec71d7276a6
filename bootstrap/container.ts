// tsyringe refuses to load without the Reflect metadata API; only this file imports it.
import 'reflect-metadata'
import type pg from 'pg'
import type { PgBoss } from 'pg-boss'
import type { Logger } from 'pino'
import { container, instanceCachingFactory, type DependencyContainer } from 'tsyringe'
import type { HttpAppDeps } from '../adapters/http/build-http-app.js'
import type { JobHandlers } from '../adapters/jobs/workers.js'
import { isTransientDatabaseFailure } from '../adapters/postgres/pg-errors.js'
import { PgHealthProbe } from '../adapters/postgres/pg-health-probe.js'
import { PgIdempotencyKeys } from '../adapters/postgres/pg-idempotency-keys.js'
import { PgInventorySummaries } from '../adapters/postgres/pg-inventory-summaries.js'
import { PgOrderConfirmations } from '../adapters/postgres/pg-order-confirmations.js'
import { PgOrderQueries } from '../adapters/postgres/pg-order-queries.js'
import { PgOutboxNotifier } from '../adapters/postgres/pg-outbox-notifier.js'
import { PgStockLedgerAudit } from '../adapters/postgres/pg-stock-ledger-audit.js'
import { PgUnitOfWork } from '../adapters/postgres/pg-unit-of-work.js'
import { AuditStockLedger } from '../application/use-cases/audit-stock-ledger.js'
import { BuildDailyInventorySummary } from '../application/use-cases/build-daily-inventory-summary.js'
import { CheckReadiness } from '../application/use-cases/check-readiness.js'
import { GetInventorySummary } from '../application/use-cases/get-inventory-summary.js'
import { GetOrder } from '../application/use-cases/get-order.js'
import { ListStoreOrders } from '../application/use-cases/list-store-orders.js'
import { PlaceOrder } from '../application/use-cases/place-order.js'
import { PurgeIdempotencyKeys } from '../application/use-cases/purge-idempotency-keys.js'
import { SendOrderConfirmation } from '../application/use-cases/send-order-confirmation.js'
import type { Config } from './config.js'
import { packageVersion } from './package-version.js'
import { TOKENS, type Token } from './tokens.js'

export interface Infrastructure {
  config: Config
  logger: Logger
  pool: pg.Pool
  /** Started pg-boss; an API process only sends jobs with it, a worker also works the queues. */
  boss: PgBoss
}

function singleton<T>(c: DependencyContainer, token: Token<T>, build: (resolve: <U>(t: Token<U>) => U) => T): void {
  c.register(token, {
    useFactory: instanceCachingFactory((r) => build(<U>(t: Token<U>) => r.resolve<U>(t))),
  })
}

/**
 * The one composition root: every adapter is chosen and every use case assembled here, with
 * factories only (no decorators, no emitted metadata). Resources opened before (pool, Postgres
 * itself) are passed in and closed by whoever opened them.
 */
export function buildContainer(infra: Infrastructure): DependencyContainer {
  const c = container.createChildContainer()
  c.register(TOKENS.config, { useValue: infra.config })
  c.register(TOKENS.logger, { useValue: infra.logger })
  c.register(TOKENS.pool, { useValue: infra.pool })
  c.register(TOKENS.boss, { useValue: infra.boss })
  c.register(TOKENS.clock, { useValue: { now: () => new Date() } })

  singleton(c, TOKENS.postgresProbe, (resolve) => new PgHealthProbe(resolve(TOKENS.pool)))
  singleton(c, TOKENS.redisProbe, () => ({ check: async () => 'not-configured' as const }))
  singleton(c, TOKENS.checkReadiness, (resolve) => new CheckReadiness(resolve(TOKENS.postgresProbe), resolve(TOKENS.redisProbe)))

  singleton(c, TOKENS.unitOfWork, (resolve) => new PgUnitOfWork(resolve(TOKENS.pool), resolve(TOKENS.boss)))
  singleton(c, TOKENS.orderQueries, (resolve) => new PgOrderQueries(resolve(TOKENS.pool)))
  singleton(c, TOKENS.idempotencyKeys, (resolve) => new PgIdempotencyKeys(resolve(TOKENS.pool)))
  singleton(c, TOKENS.stockChanged, () => ({ notify: async () => undefined }))
  singleton(
    c,
    TOKENS.placeOrder,
    (resolve) => new PlaceOrder(resolve(TOKENS.unitOfWork), resolve(TOKENS.orderQueries), resolve(TOKENS.stockChanged)),
  )
  singleton(c, TOKENS.getOrder, (resolve) => new GetOrder(resolve(TOKENS.orderQueries)))
  singleton(c, TOKENS.listStoreOrders, (resolve) => new ListStoreOrders(resolve(TOKENS.orderQueries)))
  singleton(c, TOKENS.purgeIdempotencyKeys, (resolve) => new PurgeIdempotencyKeys(resolve(TOKENS.idempotencyKeys), resolve(TOKENS.clock)))

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
    placeOrder: resolve(c, TOKENS.placeOrder),
    getOrder: resolve(c, TOKENS.getOrder),
    listStoreOrders: resolve(c, TOKENS.listStoreOrders),
    getInventorySummary: resolve(c, TOKENS.getInventorySummary),
  }
}

/** The ledger audit reads only the database, so the audit CLI composes it without pg-boss. */
export function buildLedgerAudit(pool: pg.Pool): AuditStockLedger {
  return new AuditStockLedger(new PgStockLedgerAudit(pool))
}

/** What each queue's worker runs: one use case per job. */
export function jobHandlers(c: DependencyContainer): JobHandlers {
  return {
    'order-confirmation': async ({ orderId }) => ({ outcome: await resolve(c, TOKENS.sendOrderConfirmation).execute(orderId) }),
    'daily-inventory-summary': (payload) => resolve(c, TOKENS.buildDailyInventorySummary).execute(payload),
  }
}
