import type { StoreInventory } from '../../../domain/inventory/store-inventory.js'
import type { ProductId, StoreId } from '../../../domain/shared/ids.js'

/** Why stock moved, as the stock ledger records it beside every movement. */
export interface MovementCause {
  reason: 'order' | 'restock' | 'cancel'
  /** What caused it (`order:<id>`, `api-key:<id>`), when something identifies it. */
  reference: string | null
}

/** What a restock answers about the product, besides its new level. */
export interface CatalogEntry {
  title: string
  price: string
  category: string
}

export interface EnsuredLevel {
  storeExists: boolean
  /** Null when the product does not exist. */
  product: CatalogEntry | null
}

/**
 * Stock levels as an aggregate, inside a unit of work: the writer of levels and the ledger, except
 * an order's deduction, which OrderRepository.insert writes with the order.
 */
export interface InventoryRepository {
  /**
   * Gives the store a level of 0 for the product if it has none (no movement: nothing moved), so
   * that lockForUpdate finds a row to lock; a concurrent first restock of the pair waits here for
   * this transaction. Creates nothing when the store or the product does not exist.
   */
  ensureLevel(storeId: StoreId, productId: ProductId): Promise<EnsuredLevel>
  /**
   * Reads and row-locks the store's levels for these products until the transaction ends,
   * always in product-id order so that concurrent orders cannot deadlock.
   */
  lockForUpdate(storeId: StoreId, productIds: ProductId[]): Promise<StoreInventory>
  /** Writes every changed level and, for each, a ledger movement with this cause. */
  save(inventory: StoreInventory, cause: MovementCause): Promise<void>
}
