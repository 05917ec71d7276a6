// tsyringe refuses to load without the Reflect metadata API; only this file imports it.
import 'reflect-metadata'
import type pg from 'pg'
import type { Logger } from 'pino'
import { container, instanceCachingFactory, type DependencyContainer } from 'tsyringe'
import type { HttpAppDeps } from '../adapters/http/build-http-app.js'
import { PgCatalogListener } from '../adapters/postgres/pg-catalog-listener.js'
import { isTransientDatabaseFailure } from '../adapters/postgres/pg-errors.js'
import { PgHealthProbe } from '../adapters/postgres/pg-health-probe.js'
import { PgInventoryQueries } from '../adapters/postgres/pg-inventory-queries.js'
import { PgProductSearch } from '../adapters/postgres/pg-product-search.js'
import { PgStockLevels } from '../adapters/postgres/pg-stock-levels.js'
import { CheckReadiness } from '../application/use-cases/check-readiness.js'
import { ListStoreInventory } from '../application/use-cases/list-store-inventory.js'
import { SearchProducts } from '../application/use-cases/search-products.js'
import { SetStockLevel } from '../application/use-cases/set-stock-level.js'
import { SuggestProducts } from '../application/use-cases/suggest-products.js'
import type { Config } from './config.js'
import { packageVersion } from './package-version.js'
import { TOKENS, type Token } from './tokens.js'

export interface Infrastructure {
  config: Config
  logger: Logger
  pool: pg.Pool
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
  c.register(TOKENS.clock, { useValue: { now: () => new Date() } })

  singleton(c, TOKENS.postgresProbe, (resolve) => new PgHealthProbe(resolve(TOKENS.pool)))
  singleton(c, TOKENS.redisProbe, () => ({ check: async () => 'not-configured' as const }))
  singleton(c, TOKENS.checkReadiness, (resolve) => new CheckReadiness(resolve(TOKENS.postgresProbe), resolve(TOKENS.redisProbe)))

  // Change events have no listener until a cache subscribes to them.
  singleton(c, TOKENS.stockChanged, () => ({ notify: async () => undefined }))
  singleton(c, TOKENS.catalogChanged, () => ({ notify: async () => undefined }))
  singleton(c, TOKENS.catalogListener, (resolve) => new PgCatalogListener(resolve(TOKENS.pool), resolve(TOKENS.catalogChanged), resolve(TOKENS.logger)))
  singleton(c, TOKENS.inventoryQueries, (resolve) => new PgInventoryQueries(resolve(TOKENS.pool)))
  singleton(c, TOKENS.stockLevels, (resolve) => new PgStockLevels(resolve(TOKENS.pool)))
  singleton(c, TOKENS.productSearch, (resolve) => new PgProductSearch(resolve(TOKENS.pool)))
  singleton(c, TOKENS.listStoreInventory, (resolve) => new ListStoreInventory(resolve(TOKENS.inventoryQueries)))
  singleton(c, TOKENS.setStockLevel, (resolve) => new SetStockLevel(resolve(TOKENS.stockLevels), resolve(TOKENS.stockChanged)))
  singleton(c, TOKENS.searchProducts, (resolve) => new SearchProducts(resolve(TOKENS.productSearch)))
  singleton(c, TOKENS.suggestProducts, (resolve) => new SuggestProducts(resolve(TOKENS.productSearch)))
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
    listStoreInventory: resolve(c, TOKENS.listStoreInventory),
    setStockLevel: resolve(c, TOKENS.setStockLevel),
    searchProducts: resolve(c, TOKENS.searchProducts),
    suggestProducts: resolve(c, TOKENS.suggestProducts),
  }
}
