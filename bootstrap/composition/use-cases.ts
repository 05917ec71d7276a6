import type { DependencyContainer } from 'tsyringe'
import { CatalogChangeInvalidator, StockChangeInvalidator } from '../../adapters/cache/cache-invalidators.js'
import { CachedInventoryQueries } from '../../adapters/cache/cached-inventory-queries.js'
import { CachedProductSearch } from '../../adapters/cache/cached-product-search.js'
import { PgApiKeys, PgOrderOwnership } from '../../adapters/postgres/pg-api-keys.js'
import { PgCategories, PgProducts, PgStores } from '../../adapters/postgres/pg-catalog.js'
import { PgHealthProbe } from '../../adapters/postgres/pg-health-probe.js'
import { PgIdempotencyKeys } from '../../adapters/postgres/pg-idempotency-keys.js'
import { PgInventoryQueries } from '../../adapters/postgres/pg-inventory-queries.js'
import { PgInventorySummaries } from '../../adapters/postgres/pg-inventory-summaries.js'
import { PgOrderConfirmations } from '../../adapters/postgres/pg-order-confirmations.js'
import { PgOrderQueries } from '../../adapters/postgres/pg-order-queries.js'
import { PgOutboxNotifier } from '../../adapters/postgres/pg-outbox-notifier.js'
import { PgProductSearch } from '../../adapters/postgres/pg-product-search.js'
import { PgUnitOfWork } from '../../adapters/postgres/pg-unit-of-work.js'
import { AuthenticateApiKey } from '../../application/access/authenticate-api-key.js'
import { AuthorizeAccess } from '../../application/access/authorize-access.js'
import { ManageCategories } from '../../application/catalog/manage-categories.js'
import { ManageProducts } from '../../application/catalog/manage-products.js'
import { ManageStores } from '../../application/catalog/manage-stores.js'
import { SearchProducts } from '../../application/catalog/search-products.js'
import { SuggestProducts } from '../../application/catalog/suggest-products.js'
import { BuildDailyInventorySummary } from '../../application/inventory/build-daily-inventory-summary.js'
import { GetInventorySummary } from '../../application/inventory/get-inventory-summary.js'
import { ListStoreInventory } from '../../application/inventory/list-store-inventory.js'
import { SetStockLevel } from '../../application/inventory/set-stock-level.js'
import { CheckReadiness } from '../../application/operations/check-readiness.js'
import { CancelOrder } from '../../application/ordering/cancel-order.js'
import { GetOrder } from '../../application/ordering/get-order.js'
import { ListStoreOrders } from '../../application/ordering/list-store-orders.js'
import { PlaceOrder } from '../../application/ordering/place-order.js'
import { PurgeIdempotencyKeys } from '../../application/ordering/purge-idempotency-keys.js'
import { SendOrderConfirmation } from '../../application/ordering/send-order-confirmation.js'
import { TOKENS, type Token } from './tokens.js'

/**
 * Every use case of the service, each built once over the infrastructure the container chose.
 * HTTP, the job worker and the CLIs all read from this one object; adding a use case is an
 * import and a line here.
 */
export function buildUseCases(c: DependencyContainer) {
  const resolve = <T>(token: Token<T>): T => c.resolve<T>(token)
  const pool = resolve(TOKENS.pool)
  // Views a client reads may come from a replica; what a write or a job reads comes from the primary.
  const reads = resolve(TOKENS.reads)
  const clock = resolve(TOKENS.clock)
  const cache = resolve(TOKENS.cache)
  const stockChanged = new StockChangeInvalidator(cache)
  const catalogChanged = new CatalogChangeInvalidator(cache)
  const orderQueries = new PgOrderQueries(pool)
  // A direct URL means DATABASE_URL is a transaction-mode pooler: no named statements through it.
  const unitOfWork = new PgUnitOfWork(pool, { statementNames: resolve(TOKENS.config).databaseDirectUrl === undefined })
  const orderViews = new PgOrderQueries(reads)
  const productSearch = new CachedProductSearch(new PgProductSearch(reads), cache)
  const inventorySummaries = new PgInventorySummaries(pool)
  return {
    authenticateApiKey: new AuthenticateApiKey(new PgApiKeys(pool, resolve(TOKENS.logger)), clock),
    authorizeAccess: new AuthorizeAccess(new PgOrderOwnership(pool)),
    checkReadiness: new CheckReadiness(new PgHealthProbe(pool), resolve(TOKENS.redisProbe)),
    placeOrder: new PlaceOrder(unitOfWork, orderQueries, stockChanged),
    getOrder: new GetOrder(orderViews),
    cancelOrder: new CancelOrder(unitOfWork, orderQueries, stockChanged),
    listStoreOrders: new ListStoreOrders(orderViews),
    purgeIdempotencyKeys: new PurgeIdempotencyKeys(new PgIdempotencyKeys(pool), clock),
    sendOrderConfirmation: new SendOrderConfirmation(orderQueries, new PgOrderConfirmations(pool), new PgOutboxNotifier(pool, resolve(TOKENS.logger))),
    listStoreInventory: new ListStoreInventory(new CachedInventoryQueries(new PgInventoryQueries(reads), cache)),
    setStockLevel: new SetStockLevel(unitOfWork, stockChanged),
    buildDailyInventorySummary: new BuildDailyInventorySummary(inventorySummaries, clock, resolve(TOKENS.config).lowStockThreshold),
    getInventorySummary: new GetInventorySummary(inventorySummaries),
    searchProducts: new SearchProducts(productSearch),
    manageCategories: new ManageCategories(new PgCategories(pool), catalogChanged),
    manageProducts: new ManageProducts(new PgProducts(pool), catalogChanged),
    manageStores: new ManageStores(new PgStores(pool)),
    suggestProducts: new SuggestProducts(productSearch),
  }
}

export type UseCases = ReturnType<typeof buildUseCases>
