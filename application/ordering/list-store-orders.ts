import type { OrderStatus } from '../../domain/ordering/order.js'
import { NotFoundError } from '../../domain/shared/domain-error.js'
import type { StoreId } from '../../domain/shared/ids.js'
import type { OrderQueries, OrderSummary } from './ports/order-queries.js'
import type { Page, PageRequest } from '../shared/pagination.js'

export class ListStoreOrders {
  constructor(private readonly orders: OrderQueries) {}

  async execute(storeId: StoreId, status: OrderStatus | undefined, page: PageRequest): Promise<Page<OrderSummary>> {
    const result = await this.orders.listByStore(storeId, status, page)
    if (result === null) throw new NotFoundError('Store', storeId)
    return result
  }
}
