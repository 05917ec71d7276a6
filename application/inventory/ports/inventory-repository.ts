import type { StoreInventory } from '../../../domain/inventory/store-inventory.js'
import type { ProductId, StoreId } from '../../../domain/shared/ids.js'

/** Why a level moved, as the ledger records it: the reason, and the order behind it (`order:<id>`). */
export interface StockMovementCause {
  reason: 'order' | 'cancel'
  reference: string
}

/** Stock levels as an aggregate, inside a unit of work. */
export interface InventoryRepository {
  /**
   * Reads and row-locks the store's levels for these products until the transaction ends,
   * always in product-id order so that concurrent orders cannot deadlock.
   */
  lockForUpdate(storeId: StoreId, productIds: ProductId[]): Promise<StoreInventory>
  /** Writes every changed level and its ledger movement, recording what caused it. */
  save(inventory: StoreInventory, cause: StockMovementCause): Promise<void>
}
