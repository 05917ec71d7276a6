import type { StoreInventoryItem } from './inventory-queries.js'

/** Write side of a store's stock outside orders: a restock sets a level outright. */
export interface StockLevels {
  /**
   * Sets the store's level of one product, creating its inventory row if needed, and records the
   * difference in the stock ledger in the same transaction, tagged with `reference` (who did it).
   * Throws NotFoundError when the store or the product does not exist.
   */
  set(storeId: number, productId: number, quantity: number, reference: string): Promise<StoreInventoryItem>
}
