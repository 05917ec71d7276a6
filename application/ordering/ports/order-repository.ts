import type { StockChange, StoreInventory } from '../../../domain/inventory/store-inventory.js'
import type { OrderDecision, OrderDraft, PlacedOrder } from '../../../domain/ordering/order.js'
import type { OrderId, ProductId, StoreId } from '../../../domain/shared/ids.js'

/** What an order names, as found, and the stock it asks for, locked. */
export interface LockedForPlacement {
  storeExists: boolean
  /** Titles of the requested products that exist; a missing id is an unknown product. */
  titles: Map<ProductId, string>
  /** The store's levels of the requested products, row-locked until the transaction ends. */
  stock: StoreInventory
}

/** A request's Idempotency-Key, claimed in this transaction, and the request it names. */
export interface IdempotencyRecord {
  key: string
  fingerprint: string
}

/** What confirmIfStocked found under its locks, and the order it confirmed, if it did. */
export interface ConfirmAttempt {
  found: LockedForPlacement
  confirmed: { id: OrderId; createdAt: Date } | null
}

/** An order as decided, and what is written with it. */
export interface NewOrder {
  decision: OrderDecision
  /** Each line's product title of this moment, stored with the line. */
  titles: Map<ProductId, string>
  /** The locked stock's changes: the order's deduction, none when rejected. */
  stockChanges: StockChange[]
  idempotency?: IdempotencyRecord
}

/** Writes of orders, inside a unit of work. */
export interface OrderRepository {
  /**
   * In one look-up: whether the store exists, which of the products do, and the store's stock
   * of those products, row-locked in product-id order (one global lock order: no deadlocks).
   */
  lockForPlacement(storeId: StoreId, productIds: ProductId[]): Promise<LockedForPlacement>
  /**
   * Stores the order and its lines, in one write with everything that must commit with it: the
   * stock changes with their ledger movements (reason `order`, reference `order:<id>`), a
   * CONFIRMED order's confirmation job (so it is sent exactly when the order commits), and the
   * idempotency key's outcome. Returns the id and creation time the database assigned.
   */
  insert(order: NewOrder): Promise<{ id: OrderId; createdAt: Date }>
  /**
   * Placement in one step, for the order that fits: locks the stock as lockForPlacement does and
   * returns the same findings; when they satisfy placeOrder's rule (the store and every product
   * exist, every line fits its level), also stores the order CONFIRMED with everything insert
   * writes for one. Nothing else is written. The unit of work's last write (commitWith): the
   * locks are not held while the caller decides, and the caller's decision on `found` must agree.
   */
  confirmIfStocked(draft: OrderDraft, idempotency?: IdempotencyRecord): Promise<ConfirmAttempt>
  /**
   * Reads and row-locks the order until the transaction ends (before any stock row, as every
   * writer of an existing order does); null when there is no such order.
   */
  lockForCancellation(orderId: OrderId): Promise<PlacedOrder | null>
  /** Marks the locked order CANCELLED; returns when. */
  markCancelled(orderId: OrderId): Promise<Date>
}
