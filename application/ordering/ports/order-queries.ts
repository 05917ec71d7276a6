import type { OrderStatus } from '../../../domain/ordering/order.js'
import type { OrderRecord } from '../../../domain/ordering/order-record.js'
import type { OrderId, StoreId } from '../../../domain/shared/ids.js'
import type { Page, PageRequest } from '../../shared/pagination.js'

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
