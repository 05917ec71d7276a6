import type { StoreInventory } from '../../../domain/inventory/store-inventory.js'
import type { ProductId, StoreId } from '../../../domain/shared/ids.js'

/** Stock levels as an aggregate, inside a unit of work. */
export interface InventoryRepository {
  /**
   * Reads and row-locks the store's levels for these products until the transaction ends,
   * always in product-id order so that concurrent orders cannot deadlock.
   */
  lockForUpdate(storeId: StoreId, productIds: ProductId[]): Promise<StoreInventory>
  /** Writes every changed level and its ledger movement, tagged with `reference`. */
  save(inventory: StoreInventory, reference: string): Promise<void>
}
