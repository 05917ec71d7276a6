import type { StockChange } from '../../../domain/inventory/store-inventory.js'
import type { OrderDecision, PlacedOrder } from '../../../domain/ordering/order.js'
import type { OrderId, ProductId, StoreId } from '../../../domain/shared/ids.js'

/** What an order names, as found: the store, and the requested products that exist. */
export interface StoreAndProducts {
  storeExists: boolean
  /** Titles of the requested products that exist; a missing id is an unknown product. */
  titles: Map<ProductId, string>
}

/** Writes of orders, inside a unit of work. */
export interface OrderRepository {
  /** Whether the store exists and which of the products do, in one look-up. */
  findStoreAndProducts(storeId: StoreId, productIds: ProductId[]): Promise<StoreAndProducts>
  /**
   * Stores the order and all its lines, each with its product's title of this moment (`titles`),
   * and the locked stock's `stockChanges` (the order's deduction, none when rejected) with their
   * ledger movements (reason `order`, reference `order:<id>`) in the same write; returns the id
   * and creation time the database assigned.
   */
  insert(decision: OrderDecision, titles: Map<ProductId, string>, stockChanges: StockChange[]): Promise<{ id: OrderId; createdAt: Date }>
  /**
   * Reads and row-locks the order until the transaction ends (before any stock row, as every
   * writer of an existing order does); null when there is no such order.
   */
  lockForCancellation(orderId: OrderId): Promise<PlacedOrder | null>
  /** Marks the locked order CANCELLED; returns when. */
  markCancelled(orderId: OrderId): Promise<Date>
}
