import type { OrderId, ProductId, StoreId } from '../shared/ids.js'
import { totalItems, type OrderStatus, type Shortage } from './order.js'

export interface OrderItemRecord {
  productId: ProductId
  title: string
  quantity: number
}

/** An order as stored and answered, whether just placed or read back later. */
export interface OrderRecord {
  id: OrderId
  storeId: StoreId
  status: OrderStatus
  createdAt: Date
  totalItems: number
  items: OrderItemRecord[]
  shortages: Shortage[] | null
  confirmationSentAt: Date | null
  cancelledAt: Date | null
}

/**
 * The one place an order's answer is assembled, so that a fresh and a replayed answer cannot
 * differ: every source (the order just placed, the database, a test fake) passes its facts here
 * and the derived fields are computed the same way.
 */
export function orderRecord(facts: Omit<OrderRecord, 'totalItems'>): OrderRecord {
  return { ...facts, totalItems: totalItems(facts.items) }
}
