import type pg from 'pg'
import type { Logger } from 'pino'
import type { PgCatalogListener } from '../adapters/postgres/pg-catalog-listener.js'
import type { CatalogChanged } from '../application/ports/catalog-changed.js'
import type { Clock } from '../application/ports/clock.js'
import type { HealthProbe } from '../application/ports/health-probe.js'
import type { InventoryQueries } from '../application/ports/inventory-queries.js'
import type { ProductSearch } from '../application/ports/product-search.js'
import type { StockChanged } from '../application/ports/stock-changed.js'
import type { StockLevels } from '../application/ports/stock-levels.js'
import type { CheckReadiness } from '../application/use-cases/check-readiness.js'
import type { ListStoreInventory } from '../application/use-cases/list-store-inventory.js'
import type { SearchProducts } from '../application/use-cases/search-products.js'
import type { SetStockLevel } from '../application/use-cases/set-stock-level.js'
import type { SuggestProducts } from '../application/use-cases/suggest-products.js'
import type { Config } from './config.js'

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
  stockChanged: token<StockChanged>('stockChanged'),
  catalogChanged: token<CatalogChanged>('catalogChanged'),
  catalogListener: token<PgCatalogListener>('catalogListener'),
  inventoryQueries: token<InventoryQueries>('inventoryQueries'),
  stockLevels: token<StockLevels>('stockLevels'),
  productSearch: token<ProductSearch>('productSearch'),
  listStoreInventory: token<ListStoreInventory>('listStoreInventory'),
  setStockLevel: token<SetStockLevel>('setStockLevel'),
  searchProducts: token<SearchProducts>('searchProducts'),
  suggestProducts: token<SuggestProducts>('suggestProducts'),
}
