import type { OrderStatus, Shortage } from '../../../domain/ordering/order.js'
import type { OrderId, ProductId, StoreId } from '../../../domain/shared/ids.js'
import type { Page, PageRequest } from '../../shared/pagination.js'

export interface OrderItemRecord {
  productId: ProductId
  title: string
  quantity: number
}

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

export interface OrderSummary {
  id: OrderId
  status: OrderStatus
  createdAt: Date
  totalItems: number
}

/** Reads of orders: one statement per answer, whatever the number of lines or the page size. */
export interface OrderQueries {
  findById(id: OrderId): Promise<OrderRecord | null>
  /** Newest first (created_at, then id, descending); null when the store does not exist. */
  listByStore(storeId: StoreId, status: OrderStatus | undefined, page: PageRequest): Promise<Page<OrderSummary> | null>
}
