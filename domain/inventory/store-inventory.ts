import type { ProductId, StoreId } from '../shared/ids.js'
import { DomainError } from '../shared/domain-error.js'
import { ValidationError } from '../shared/validation-error.js'

/** The most units of one product a store may hold: far above any real shelf, far below int4's limit. */
export const MAX_STOCK_LEVEL = 1_000_000_000

export interface StockLevel {
  productId: ProductId
  quantity: number
}

export interface StockChange {
  productId: ProductId
  /** The level after the change. */
  quantity: number
  /** Signed difference, as recorded in the stock ledger. */
  delta: number
}

/**
 * A deduction the aggregate refused. Callers check availability first (an order short of stock
 * is a rejection, not an error), so reaching this is a bug in the caller: no client-facing code.
 */
export class InsufficientStockError extends Error {
  constructor(productId: ProductId, requested: number, available: number) {
    super(`Cannot take ${requested} of product ${productId}: ${available} available`)
    this.name = 'InsufficientStockError'
  }
}

/** Returning units would take a level past MAX_STOCK_LEVEL (it was restocked near the cap since). */
export class StockLevelOverflowError extends DomainError {
  readonly code = 'conflict'

  constructor(productId: ProductId, returned: number, level: number) {
    super(`Returning ${returned} of product ${productId} would take its level ${level} past ${MAX_STOCK_LEVEL}; lower the level first`, {
      product_id: productId,
    })
  }
}

/**
 * The stock levels of one store for the products one decision is about, as read under lock.
 * A product the store does not carry has level 0. Levels never go below zero nor above
 * MAX_STOCK_LEVEL. Every movement of stock (an order's deduction, a restock) goes through here.
 */
export class StoreInventory {
  private readonly levels = new Map<ProductId, number>()
  private readonly deltas = new Map<ProductId, number>()

  constructor(
    readonly storeId: StoreId,
    levels: Iterable<StockLevel>,
  ) {
    for (const { productId, quantity } of levels) this.levels.set(productId, quantity)
  }

  available(productId: ProductId): number {
    return this.levels.get(productId) ?? 0
  }

  deduct(productId: ProductId, quantity: number): void {
    const available = this.available(productId)
    if (!Number.isSafeInteger(quantity) || quantity <= 0 || quantity > available) {
      throw new InsufficientStockError(productId, quantity, available)
    }
    this.record(productId, -quantity)
  }

  /** A restock: the level becomes exactly `quantity`, whatever it was; the change is the difference. */
  setLevel(productId: ProductId, quantity: number): void {
    if (!Number.isSafeInteger(quantity) || quantity < 0 || quantity > MAX_STOCK_LEVEL) {
      throw new ValidationError('quantity', `must be an integer from 0 to ${MAX_STOCK_LEVEL}`)
    }
    this.record(productId, quantity - this.available(productId))
  }

  /** Puts units back on the shelf (a cancelled order's lines); the level only grows, never past MAX_STOCK_LEVEL. */
  restore(productId: ProductId, quantity: number): void {
    if (!Number.isSafeInteger(quantity) || quantity <= 0) throw new RangeError(`Cannot return ${quantity} units of product ${productId}`)
    if (this.available(productId) + quantity > MAX_STOCK_LEVEL) throw new StockLevelOverflowError(productId, quantity, this.available(productId))
    this.record(productId, quantity)
  }

  /** What changed since the levels were read, in product-id order (the lock order). */
  changes(): StockChange[] {
    return [...this.deltas]
      .filter(([, delta]) => delta !== 0)
      .map(([productId, delta]) => ({ productId, delta, quantity: this.available(productId) }))
      .sort((a, b) => a.productId - b.productId)
  }

  private record(productId: ProductId, delta: number): void {
    this.levels.set(productId, this.available(productId) + delta)
    this.deltas.set(productId, (this.deltas.get(productId) ?? 0) + delta)
  }
}
