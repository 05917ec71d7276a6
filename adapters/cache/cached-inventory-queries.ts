import type { Cache } from './cache.js'
import type { InventoryQueries, StoreInventoryItem } from '../../application/inventory/ports/inventory-queries.js'
import type { Page, PageRequest } from '../../application/shared/pagination.js'
import { CATALOG_SCOPE, stockScope } from './cache-scopes.js'
import { jsonCodec } from './codecs.js'

const pageCodec = jsonCodec<Page<StoreInventoryItem>>()

/** Store inventory pages through the cache: they show the store's quantities and the catalog's titles, prices and categories. */
export class CachedInventoryQueries implements InventoryQueries {
  constructor(
    private readonly inner: InventoryQueries,
    private readonly cache: Cache,
  ) {}

  listStoreInventory(storeId: number, page: PageRequest): Promise<Page<StoreInventoryItem>> {
    return this.cache.getOrLoad(
      {
        namespace: 'inventory',
        key: `${storeId}:${page.page}:${page.pageSize}`,
        dependsOn: [CATALOG_SCOPE, stockScope(storeId)],
        codec: pageCodec,
      },
      () => this.inner.listStoreInventory(storeId, page),
    )
  }
}
