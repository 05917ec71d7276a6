import type { Page, PageRequest } from '../../shared/pagination.js'

export interface StoreInventoryItem {
  productId: number
  title: string
  price: string
  category: string
  quantity: number
}

/** Read side of store stock: listings straight from SQL, no aggregates loaded. */
export interface InventoryQueries {
  /** Sorted by title A→Z ignoring case and accents, ties by product id; NotFoundError if the store does not exist. */
  listStoreInventory(storeId: number, page: PageRequest): Promise<Page<StoreInventoryItem>>
}
