import type pg from 'pg'
import type { PgBoss } from 'pg-boss'
import type { Logger } from 'pino'
import type { Counters } from '../../adapters/metrics/counters.js'
import type { PgCatalogListener } from '../../adapters/postgres/pg-catalog-listener.js'
import type { Cache } from '../../adapters/cache/cache.js'
import type { CatalogChanged } from '../../adapters/cache/catalog-changed.js'
import type { ApiKeys } from '../../application/access/ports/api-keys.js'
import type { AuthenticateApiKey } from '../../application/access/authenticate-api-key.js'
import type { AuthorizeAccess } from '../../application/access/authorize-access.js'
import type { Clock } from '../../application/shared/clock.js'
import type { HealthProbe } from '../../application/operations/ports/health-probe.js'
import type { IdempotencyKeys } from '../../application/ordering/ports/idempotency-keys.js'
import type { InventoryQueries } from '../../application/inventory/ports/inventory-queries.js'
import type { InventorySummaries } from '../../application/inventory/ports/inventory-summaries.js'
import type { Notifier } from '../../application/ordering/ports/notifier.js'
import type { OrderConfirmations } from '../../application/ordering/ports/order-confirmations.js'
import type { OrderQueries } from '../../application/ordering/ports/order-repository.js'
import type { ProductSearch } from '../../application/catalog/ports/product-search.js'
import type { RateLimiter } from '../../adapters/rate-limit/rate-limiter.js'
import type { StockChanged } from '../../application/inventory/ports/stock-changed.js'
import type { StockLevels } from '../../application/inventory/ports/stock-levels.js'
import type { UnitOfWork } from '../../application/shared/unit-of-work.js'
import type { BuildDailyInventorySummary } from '../../application/inventory/build-daily-inventory-summary.js'
import type { CheckReadiness } from '../../application/operations/check-readiness.js'
import type { GetInventorySummary } from '../../application/inventory/get-inventory-summary.js'
import type { GetOrder } from '../../application/ordering/get-order.js'
import type { ListStoreInventory } from '../../application/inventory/list-store-inventory.js'
import type { ListStoreOrders } from '../../application/ordering/list-store-orders.js'
import type { PlaceOrder } from '../../application/ordering/place-order.js'
import type { PurgeIdempotencyKeys } from '../../application/ordering/purge-idempotency-keys.js'
import type { SearchProducts } from '../../application/catalog/search-products.js'
import type { SendOrderConfirmation } from '../../application/ordering/send-order-confirmation.js'
import type { SetStockLevel } from '../../application/inventory/set-stock-level.js'
import type { SuggestProducts } from '../../application/catalog/suggest-products.js'
import type { Config } from '../runtime/config.js'

/** A symbol that remembers the type registered under it, so resolve() needs no casts at call sites. */
export type Token<T> = symbol & { readonly __type?: T }

const token = <T>(name: string): Token<T> => Symbol(name) as Token<T>

export const TOKENS = {
  config: token<Config>('config'),
  logger: token<Logger>('logger'),
  pool: token<pg.Pool>('pool'),
  clock: token<Clock>('clock'),
  postgresProbe: token<HealthProbe>('postgresProbe'),
  redisProbe: token<HealthProbe>('redisProbe'),
  checkReadiness: token<CheckReadiness>('checkReadiness'),
  cache: token<Cache>('cache'),
  cacheCounters: token<Counters>('cacheCounters'),
  rateLimitCounters: token<Counters>('rateLimitCounters'),
  suggestRateLimiter: token<RateLimiter>('suggestRateLimiter'),
  catalogChanged: token<CatalogChanged>('catalogChanged'),
  boss: token<PgBoss>('boss'),
  unitOfWork: token<UnitOfWork>('unitOfWork'),
  orderQueries: token<OrderQueries>('orderQueries'),
  idempotencyKeys: token<IdempotencyKeys>('idempotencyKeys'),
  stockChanged: token<StockChanged>('stockChanged'),
  placeOrder: token<PlaceOrder>('placeOrder'),
  getOrder: token<GetOrder>('getOrder'),
  listStoreOrders: token<ListStoreOrders>('listStoreOrders'),
  purgeIdempotencyKeys: token<PurgeIdempotencyKeys>('purgeIdempotencyKeys'),
  catalogListener: token<PgCatalogListener>('catalogListener'),
  inventoryQueries: token<InventoryQueries>('inventoryQueries'),
  stockLevels: token<StockLevels>('stockLevels'),
  productSearch: token<ProductSearch>('productSearch'),
  listStoreInventory: token<ListStoreInventory>('listStoreInventory'),
  setStockLevel: token<SetStockLevel>('setStockLevel'),
  searchProducts: token<SearchProducts>('searchProducts'),
  suggestProducts: token<SuggestProducts>('suggestProducts'),
  notifier: token<Notifier>('notifier'),
  orderConfirmations: token<OrderConfirmations>('orderConfirmations'),
  sendOrderConfirmation: token<SendOrderConfirmation>('sendOrderConfirmation'),
  inventorySummaries: token<InventorySummaries>('inventorySummaries'),
  buildDailyInventorySummary: token<BuildDailyInventorySummary>('buildDailyInventorySummary'),
  getInventorySummary: token<GetInventorySummary>('getInventorySummary'),
  apiKeys: token<ApiKeys>('apiKeys'),
  authenticateApiKey: token<AuthenticateApiKey>('authenticateApiKey'),
  authorizeAccess: token<AuthorizeAccess>('authorizeAccess'),
}
