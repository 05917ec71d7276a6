import { draftOrder, placeOrder, UnknownProductsError, type OrderDecision, type OrderDraft } from '../../domain/ordering/order.js'
import { orderRecord, type OrderRecord } from '../../domain/ordering/order-record.js'
import { NotFoundError } from '../../domain/shared/domain-error.js'
import type { OrderId, ProductId } from '../../domain/shared/ids.js'
import { IdempotencyKeyInFlightError, IdempotencyKeyReusedError } from './idempotency-errors.js'
import type { OrderQueries } from './ports/order-queries.js'
import type { StockChanged } from '../inventory/ports/stock-changed.js'
import type { TransactionScope, UnitOfWork } from '../shared/unit-of-work.js'
import type { IdempotencyRecord, LockedForPlacement } from './ports/order-repository.js'

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
    const idempotency = command.idempotencyKey === undefined ? undefined : { key: command.idempotencyKey, fingerprint }

    // Most orders fit: the first transaction confirms one with no round trip under its locks.
    // One that does not is decided again, under fresh locks, and stored as that decision says.
    const outcome =
      (await this.uow.run((tx) => this.confirmIfStocked(tx, draft, idempotency))) ?? (await this.uow.run((tx) => this.decideUnderLock(tx, draft, idempotency)))

    if (outcome.kind === 'replay') {
      const order = await this.orders.findById(outcome.orderId)
      if (order === null) throw new Error(`Order ${outcome.orderId} behind an idempotency key is missing`)
      return { order, replayed: true }
    }
    // After commit, and awaited: once the response leaves, no cache may serve the old levels.
    if (outcome.order.status === 'CONFIRMED') await this.stockChanged.notify(outcome.order.storeId)
    return { order: outcome.order, replayed: false }
  }

  /**
   * The database confirms the order, in the round trip that locks its stock, when its findings
   * satisfy placeOrder's rule; the domain then decides on those same findings and must agree.
   * Null when the order is not confirmed (nothing was written): it is then a rejection to store.
   */
  private async confirmIfStocked(tx: TransactionScope, draft: OrderDraft, idempotency: IdempotencyRecord | undefined): Promise<Outcome | null> {
    const replay = await claim(tx, idempotency)
    if (replay !== undefined) return replay
    const { found, confirmed } = await tx.commitWith(() => tx.orders.confirmIfStocked(draft, idempotency))
    const decision = decide(draft, found)
    if ((confirmed !== null) !== (decision.status === 'CONFIRMED')) {
      throw new Error(`The database ${confirmed === null ? 'refused' : 'confirmed'} an order that placeOrder ${decision.status}: their rules differ`)
    }
    return confirmed === null ? null : { kind: 'placed', order: toRecord(confirmed.id, confirmed.createdAt, decision, found.titles) }
  }

  /** Locks the stock, decides, and stores the decision with everything it commits with. */
  private async decideUnderLock(tx: TransactionScope, draft: OrderDraft, idempotency: IdempotencyRecord | undefined): Promise<Outcome> {
    const replay = await claim(tx, idempotency)
    if (replay !== undefined) return replay
    const locked = await tx.orders.lockForPlacement(
      draft.storeId,
      draft.lines.map((line) => line.productId),
    )
    const decision = decide(draft, locked)
    // Everything the order commits with goes in one write, which commits: one round trip under the locks.
    const { id, createdAt } = await tx.commitWith(() =>
      tx.orders.insert({ decision, titles: locked.titles, stockChanges: locked.stock.changes(), ...(idempotency === undefined ? {} : { idempotency }) }),
    )
    return { kind: 'placed', order: toRecord(id, createdAt, decision, locked.titles) }
  }
}

/** Claims the request's Idempotency-Key, if any: a replay when a committed request used it. */
async function claim(tx: TransactionScope, idempotency: IdempotencyRecord | undefined): Promise<Outcome | undefined> {
  if (idempotency === undefined) return undefined
  const claimed = await tx.idempotency.claim(idempotency.key, idempotency.fingerprint)
  if (claimed.kind === 'in-flight') throw new IdempotencyKeyInFlightError()
  if (claimed.kind === 'new') return undefined
  if (!claimed.sameRequest) throw new IdempotencyKeyReusedError()
  return { kind: 'replay', orderId: claimed.orderId }
}

/** The domain's decision on what was found under lock; a missing store or product is an error. */
function decide(draft: OrderDraft, { storeExists, titles, stock }: LockedForPlacement): OrderDecision {
  if (!storeExists) throw new NotFoundError('Store', draft.storeId)
  const unknown = draft.lines.map((line) => line.productId).filter((id) => !titles.has(id))
  if (unknown.length > 0) throw new UnknownProductsError(unknown)
  return placeOrder(draft, stock)
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
