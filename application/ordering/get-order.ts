import { NotFoundError } from '../../domain/shared/domain-error.js'
import type { OrderId } from '../../domain/shared/ids.js'
import type { OrderRecord } from '../../domain/ordering/order-record.js'
import type { OrderQueries } from './ports/order-queries.js'

export class GetOrder {
  constructor(private readonly orders: OrderQueries) {}

  async execute(orderId: OrderId): Promise<OrderRecord> {
    const order = await this.orders.findById(orderId)
    if (order === null) throw new NotFoundError('Order', orderId)
    return order
  }
}
