import { NotFoundError } from '../../domain/shared/domain-error.js'
import type { OrderId } from '../../domain/shared/ids.js'
import type { OrderQueries, OrderRecord } from './ports/order-queries.js'

export class GetOrder {
  constructor(private readonly orders: OrderQueries) {}

  async execute(orderId: number): Promise<OrderRecord> {
    const order = await this.orders.findById(orderId as OrderId)
    if (order === null) throw new NotFoundError('Order', orderId)
    return order
  }
}
