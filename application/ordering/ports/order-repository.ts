import type { OrderDecision } from '../../../domain/ordering/order.js'
import type { OrderId, ProductId, StoreId } from '../../../domain/shared/ids.js'

export interface OrderReferences {
  storeExists: boolean
  /** Titles of the requested products that exist; a missing id is an unknown product. */
  titles: Map<ProductId, string>
}

/** Writes of orders, inside a unit of work. */
export interface OrderRepository {
  /** Whether the store exists and which of the products do, in one look-up. */
  references(storeId: StoreId, productIds: ProductId[]): Promise<OrderReferences>
  /** Stores the order and all its lines; returns the id and creation time the database assigned. */
  insert(decision: OrderDecision): Promise<{ id: OrderId; createdAt: Date }>
}
