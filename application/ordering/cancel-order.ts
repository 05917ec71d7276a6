import { decideCancellation, returnStock } from '../../domain/ordering/order.js'
import { NotFoundError } from '../../domain/shared/domain-error.js'
import type { OrderId } from '../../domain/shared/ids.js'
import type { StockChanged } from '../inventory/ports/stock-changed.js'
import type { UnitOfWork } from '../shared/unit-of-work.js'
import type { OrderRecord } from '../../domain/ordering/order-record.js'
import type { OrderQueries } from './ports/order-queries.js'

/**
 * CONFIRMED → CANCELLED in one transaction with the stock it returns and the ledger's `cancel`
 * movements. Locks follow the one global order every writer uses: the order row first (placement
 * never locks an existing order), then the store's stock rows in product-id order, as placement
 * takes them. Cancelling again returns nothing twice: the status, read under the lock, says so.
 */
export class CancelOrder {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly orders: OrderQueries,
    private readonly stockChanged: StockChanged,
  ) {}

  async execute(orderId: number): Promise<OrderRecord> {
    const id = orderId as OrderId
    const cancelled = await this.uow.run(async (tx) => {
      const order = await tx.orders.lockForCancellation(id)
      if (order === null) throw new NotFoundError('Order', orderId)
      if (decideCancellation(order) === 'already-cancelled') return null
      const stock = await tx.inventory.lockForUpdate(
        order.storeId,
        order.lines.map((line) => line.productId),
      )
      returnStock(order, stock)
      await tx.inventory.save(stock, { reason: 'cancel', reference: `order:${id}` })
      await tx.orders.markCancelled(id)
      return order
    })
    // After commit, and awaited: once the response leaves, no cache may serve the old levels.
    if (cancelled !== null) await this.stockChanged.notify(cancelled.storeId)
    const record = await this.orders.findById(id)
    if (record === null) throw new Error(`Order ${orderId} vanished after its cancellation`)
    return record
  }
}
