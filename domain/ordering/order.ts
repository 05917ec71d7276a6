import type { StoreInventory } from '../inventory/store-inventory.js'
import { DomainError } from '../shared/domain-error.js'
import { ValidationError } from '../shared/validation-error.js'
import { isPositiveId, type OrderId, type ProductId, type StoreId } from '../shared/ids.js'

export const MAX_ORDER_LINES = 100
export const MAX_LINE_QUANTITY = 1_000_000

export type OrderStatus = 'PENDING' | 'CONFIRMED' | 'REJECTED' | 'CANCELLED'

export interface OrderLine {
  productId: ProductId
  quantity: number
}

/** A validated request: one line per product, in the order the client first named each. */
export interface OrderDraft {
  storeId: StoreId
  lines: OrderLine[]
}

export interface Shortage {
  productId: ProductId
  requested: number
  available: number
}

export type OrderDecision =
  | { status: 'CONFIRMED'; storeId: StoreId; lines: OrderLine[]; shortages: null }
  | { status: 'REJECTED'; storeId: StoreId; lines: OrderLine[]; shortages: Shortage[] }

export class InvalidOrderError extends ValidationError {}

/**
 * Validates a request and merges repeated products into one line (their quantities add up):
 * deciding per product is what keeps two lines for one product from each seeing the full level.
 */
export function draftOrder(storeId: number, requested: readonly { productId: number; quantity: number }[]): OrderDraft {
  if (!isPositiveId(storeId)) throw new InvalidOrderError('store_id', `${storeId} is not a positive integer`)
  if (requested.length === 0 || requested.length > MAX_ORDER_LINES) {
    throw new InvalidOrderError('items', `must have 1 to ${MAX_ORDER_LINES} lines, got ${requested.length}`)
  }
  const merged = new Map<ProductId, number>()
  for (const { productId, quantity } of requested) {
    if (!isPositiveId(productId)) throw new InvalidOrderError('items', `product id ${productId} is not a positive integer`)
    if (!Number.isInteger(quantity) || quantity < 1 || quantity > MAX_LINE_QUANTITY) {
      throw new InvalidOrderError('items', `quantity ${quantity} of product ${productId} is not an integer from 1 to ${MAX_LINE_QUANTITY}`)
    }
    merged.set(productId as ProductId, (merged.get(productId as ProductId) ?? 0) + quantity)
  }
  return { storeId: storeId as StoreId, lines: [...merged].map(([productId, quantity]) => ({ productId, quantity })) }
}

/**
 * All or nothing: when every line fits the locked levels, deducts them all and confirms;
 * otherwise deducts nothing and rejects, naming each short line. A rejection is an outcome
 * to store and answer, not an error.
 */
export function placeOrder(draft: OrderDraft, inventory: StoreInventory): OrderDecision {
  if (inventory.storeId !== draft.storeId) throw new InvalidOrderError('store_id', 'does not match the stock decided on')
  const shortages = draft.lines
    .filter((line) => line.quantity > inventory.available(line.productId))
    .map((line) => ({ productId: line.productId, requested: line.quantity, available: inventory.available(line.productId) }))
  if (shortages.length > 0) return { status: 'REJECTED', storeId: draft.storeId, lines: draft.lines, shortages }
  for (const line of draft.lines) inventory.deduct(line.productId, line.quantity)
  return { status: 'CONFIRMED', storeId: draft.storeId, lines: draft.lines, shortages: null }
}

export function totalItems(lines: readonly OrderLine[]): number {
  return lines.reduce((sum, line) => sum + line.quantity, 0)
}

export class UnknownProductsError extends DomainError {
  readonly code = 'unknown-products'

  constructor(productIds: number[]) {
    super(`These products do not exist: ${productIds.join(', ')}`, { product_ids: productIds })
  }
}

/** An order as stored: what deciding a cancellation needs. */
export interface PlacedOrder {
  id: OrderId
  storeId: StoreId
  status: OrderStatus
  lines: OrderLine[]
}

export class OrderNotCancellableError extends DomainError {
  readonly code = 'conflict'

  constructor(orderId: OrderId, status: OrderStatus) {
    super(`Order ${orderId} is ${status}: only a CONFIRMED order can be cancelled`, { order_status: status })
  }
}

/**
 * What cancelling this order means: a CONFIRMED order returns its stock; a CANCELLED one has
 * already done so and changes nothing (cancelling is idempotent); any other status cannot be
 * cancelled (a REJECTED order never took stock).
 */
export function decideCancellation(order: PlacedOrder): 'return-stock' | 'already-cancelled' {
  if (order.status === 'CANCELLED') return 'already-cancelled'
  if (order.status !== 'CONFIRMED') throw new OrderNotCancellableError(order.id, order.status)
  return 'return-stock'
}

/** Returns every line's quantity to the store's levels, as read under lock for this order's products. */
export function returnStock(order: PlacedOrder, inventory: StoreInventory): void {
  if (decideCancellation(order) !== 'return-stock') return
  if (inventory.storeId !== order.storeId) throw new Error(`Order ${order.id} is not of store ${inventory.storeId}`)
  for (const line of order.lines) inventory.restore(line.productId, line.quantity)
}
