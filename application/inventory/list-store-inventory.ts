import type { StoreId } from '../../domain/shared/ids.js'
import type { InventoryQueries, StoreInventoryItem } from './ports/inventory-queries.js'
import type { Page, PageRequest } from '../shared/pagination.js'

export class ListStoreInventory {
  constructor(private readonly inventory: InventoryQueries) {}

  execute(storeId: StoreId, page: PageRequest): Promise<Page<StoreInventoryItem>> {
    return this.inventory.listStoreInventory(storeId, page)
  }
}
