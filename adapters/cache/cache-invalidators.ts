import type { Cache } from './cache.js'
import type { CatalogChanged } from './catalog-changed.js'
import type { StockChanged } from '../../application/inventory/ports/stock-changed.js'
import { ANY_STOCK_SCOPE, CATALOG_SCOPE, stockScope } from './cache-scopes.js'

/** A store's stock changed: its own views and the "in stock anywhere" views are stale. */
export class StockChangeInvalidator implements StockChanged {
  constructor(private readonly cache: Cache) {}

  notify(storeId: number): Promise<void> {
    return this.cache.invalidate([stockScope(storeId), ANY_STOCK_SCOPE])
  }
}

/** Titles, prices or categories changed: every view showing the catalog is stale. */
export class CatalogChangeInvalidator implements CatalogChanged {
  constructor(private readonly cache: Cache) {}

  notify(): Promise<void> {
    return this.cache.invalidate([CATALOG_SCOPE])
  }
}
