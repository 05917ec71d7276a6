import { draftOrder, placeOrder, UnknownProductsError, type OrderDecision } from '../../domain/ordering/order.js'
import { orderRecord, type OrderRecord } from '../../domain/ordering/order-record.js'
import { NotFoundError } from '../../domain/shared/domain-error.js'
import type { OrderId, ProductId } from '../../domain/shared/ids.js'
import { IdempotencyKeyInFlightError, IdempotencyKeyReusedError } from './idempotency-errors.js'
import type { OrderQueries } from './ports/order-queries.js'
import type { StockChanged } from '../inventory/ports/stock-changed.js'
import type { UnitOfWork } from '../shared/unit-of-work.js'

export interface PlaceOrderCommand {
  storeId: number
  items: { productId: number; quantity: number }[]
  idempotencyKey?: string
}

export interface PlaceOrderResult {
  order: OrderRecord
  /** True when an earlier request with the same Idempotency-Key produced this order. */
  replayed: boolean
}

type Outcome = { kind: 'placed'; order: OrderRecord } | { kind: 'replay'; orderId: OrderId }

export class PlaceOrder {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly orders: OrderQueries,
    private readonly stockChanged: StockChanged,
  ) {}

  async execute(command: PlaceOrderCommand): Promise<PlaceOrderResult> {
    const draft = draftOrder(command.storeId, command.items)
    // The request as the client sent it (before merging), so that a changed body is a different request.
    const fingerprint = JSON.stringify([command.storeId, command.items.map((item) => [item.productId, item.quantity])])
    const key = command.idempotencyKey

    const outcome = await this.uow.run(async (tx): Promise<Outcome> => {
      if (key !== undefined) {
        const claim = await tx.idempotency.claim(key, fingerprint)
        if (claim.kind === 'in-flight') throw new IdempotencyKeyInFlightError()
        if (claim.kind === 'seen') {
          if (!claim.sameRequest) throw new IdempotencyKeyReusedError()
          return { kind: 'replay', orderId: claim.orderId }
        }
      }
      const productIds = draft.lines.map((line) => line.productId)
      const { storeExists, titles, stock } = await tx.orders.lockForPlacement(draft.storeId, productIds)
      if (!storeExists) throw new NotFoundError('Store', draft.storeId)
      const unknown = productIds.filter((id) => !titles.has(id))
      if (unknown.length > 0) throw new UnknownProductsError(unknown)

      const decision = placeOrder(draft, stock)
      // Everything the order commits with goes in one write, which commits: one round trip under the locks.
      const { id, createdAt } = await tx.commitWith(() =>
        tx.orders.insert({
          decision,
          titles,
          stockChanges: stock.changes(),
          ...(key === undefined ? {} : { idempotency: { key, fingerprint } }),
        }),
      )
      return { kind: 'placed', order: toRecord(id, createdAt, decision, titles) }
    })

    if (outcome.kind === 'replay') {
      const order = await this.orders.findById(outcome.orderId)
      if (order === null) throw new Error(`Order ${outcome.orderId} behind an idempotency key is missing`)
      return { order, replayed: true }
    }
    // After commit, and awaited: once the response leaves, no cache may serve the old levels.
    if (outcome.order.status === 'CONFIRMED') await this.stockChanged.notify(outcome.order.storeId)
    return { order: outcome.order, replayed: false }
  }
}

function toRecord(id: OrderId, createdAt: Date, decision: OrderDecision, titles: Map<ProductId, string>): OrderRecord {
  return orderRecord({
    id,
    storeId: decision.storeId,
    status: decision.status,
    createdAt,
    items: decision.lines.map((line) => ({ productId: line.productId, title: titles.get(line.productId) ?? '', quantity: line.quantity })),
    shortages: decision.shortages,
    confirmationSentAt: null,
    cancelledAt: null,
  })
}
