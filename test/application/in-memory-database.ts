import { StoreInventory, type StockChange } from '../../domain/inventory/store-inventory.js'
import { orderRecord, type OrderRecord } from '../../domain/ordering/order-record.js'
import type { OrderId, ProductId, StoreId } from '../../domain/shared/ids.js'
import type { CatalogEntry, MovementCause } from '../../application/inventory/ports/inventory-repository.js'
import type { IdempotencyClaim } from '../../application/ordering/ports/idempotency-keys.js'
import type { JobName, JobPayloads } from '../../application/shared/job-queue.js'
import type { OrderQueries, OrderSummary } from '../../application/ordering/ports/order-queries.js'
import type { LockedForPlacement, NewOrder } from '../../application/ordering/ports/order-repository.js'
import type { Page } from '../../application/shared/pagination.js'
import type { TransactionScope, UnitOfWork } from '../../application/shared/unit-of-work.js'

interface State {
  levels: Map<string, number>
  orders: OrderRecord[]
  jobs: { name: JobName; payload: JobPayloads[JobName] }[]
  keys: Map<string, { fingerprint: string; orderId: OrderId }>
  ledger: ({ storeId: number; productId: number; delta: number } & MovementCause)[]
}

const levelKey = (storeId: number, productId: number) => `${storeId}:${productId}`

/**
 * The ports of the order use cases over plain maps, with real transaction semantics: a unit of
 * work sees a copy of the state, and only a unit of work that resolves replaces the state.
 */
export class InMemoryDatabase implements UnitOfWork, OrderQueries {
  state: State = { levels: new Map(), orders: [], jobs: [], keys: new Map(), ledger: [] }
  readonly stores = new Set<number>()
  readonly catalog = new Map<number, CatalogEntry>()
  /** Keys another (simulated) transaction holds right now. */
  readonly keysInFlight = new Set<string>()

  stock(storeId: number, levels: Record<number, number>): void {
    this.stores.add(storeId)
    for (const [productId, quantity] of Object.entries(levels)) {
      this.catalog.set(Number(productId), { title: `Product ${productId}`, price: '1.00', category: 'General' })
      this.state.levels.set(levelKey(storeId, Number(productId)), quantity)
    }
  }

  level(storeId: number, productId: number): number | undefined {
    return this.state.levels.get(levelKey(storeId, productId))
  }

  async run<T>(work: (tx: TransactionScope) => Promise<T>): Promise<T> {
    const draft: State = structuredClone(this.state)
    const result = await work(this.scope(draft))
    this.state = draft
    return result
  }

  async findById(id: OrderId): Promise<OrderRecord | null> {
    return this.state.orders.find((order) => order.id === id) ?? null
  }

  async listByStore(storeId: StoreId): Promise<Page<OrderSummary> | null> {
    const orders = this.state.orders.filter((order) => order.storeId === storeId)
    return this.stores.has(storeId) ? { total: orders.length, items: orders } : null
  }

  private scope(state: State): TransactionScope {
    const lockForPlacement = async (storeId: StoreId, productIds: ProductId[]): Promise<LockedForPlacement> => ({
      storeExists: this.stores.has(storeId),
      titles: new Map(productIds.flatMap((id) => (this.catalog.has(id) ? [[id, this.catalog.get(id)!.title] as const] : []))),
      stock: lockedLevels(state, storeId, productIds),
    })
    const insert = async ({ decision, titles, stockChanges, idempotency }: NewOrder) => {
      const id = (state.orders.length + 1) as OrderId
      writeStock(state, decision.storeId, stockChanges, { reason: 'order', reference: `order:${id}` })
      const createdAt = new Date('2026-11-21T10:00:00.000Z')
      state.orders.push(
        orderRecord({
          id,
          storeId: decision.storeId,
          status: decision.status,
          createdAt,
          items: decision.lines.map((l) => ({ productId: l.productId, title: titles.get(l.productId) ?? '', quantity: l.quantity })),
          shortages: decision.shortages,
          confirmationSentAt: null,
          cancelledAt: null,
        }),
      )
      if (decision.status === 'CONFIRMED') state.jobs.push({ name: 'order-confirmation', payload: { orderId: id } })
      if (idempotency !== undefined) state.keys.set(idempotency.key, { fingerprint: idempotency.fingerprint, orderId: id })
      return { id, createdAt }
    }
    return {
      orders: {
        lockForPlacement,
        insert,
        // The rule restated, as the SQL statement states it: every name found, every line in stock.
        confirmIfStocked: async (draft, idempotency) => {
          const found = await lockForPlacement(
            draft.storeId,
            draft.lines.map((line) => line.productId),
          )
          const fits =
            found.storeExists && draft.lines.every((line) => found.titles.has(line.productId) && line.quantity <= found.stock.available(line.productId))
          if (!fits) return { found, confirmed: null }
          const stock = lockedLevels(state, draft.storeId, [...found.titles.keys()])
          for (const line of draft.lines) stock.deduct(line.productId, line.quantity)
          const decision = { status: 'CONFIRMED', storeId: draft.storeId, lines: draft.lines, shortages: null } as const
          const confirmed = await insert({
            decision,
            titles: found.titles,
            stockChanges: stock.changes(),
            ...(idempotency === undefined ? {} : { idempotency }),
          })
          return { found, confirmed }
        },
        lockForCancellation: async (orderId: OrderId) => {
          const order = state.orders.find((candidate) => candidate.id === orderId)
          if (order === undefined) return null
          const lines = order.items.map((item) => ({ productId: item.productId, quantity: item.quantity }))
          return { id: order.id, storeId: order.storeId, status: order.status, lines }
        },
        markCancelled: async (orderId: OrderId) => {
          const order = state.orders.find((candidate) => candidate.id === orderId)
          if (order?.status !== 'CONFIRMED') throw new Error(`order ${orderId} is not CONFIRMED`)
          order.status = 'CANCELLED'
          order.cancelledAt = new Date('2026-11-21T11:00:00.000Z')
          return order.cancelledAt
        },
      },
      inventory: {
        ensureLevel: async (storeId, productId) => {
          const product = this.catalog.get(productId) ?? null
          const storeExists = this.stores.has(storeId)
          if (storeExists && product && !state.levels.has(levelKey(storeId, productId))) state.levels.set(levelKey(storeId, productId), 0)
          return { storeExists, product }
        },
        lockForUpdate: async (storeId, productIds) => lockedLevels(state, storeId, productIds),
        save: async (inventory, cause) => writeStock(state, inventory.storeId, inventory.changes(), cause),
      },
      idempotency: {
        claim: async (key, fingerprint): Promise<IdempotencyClaim> => {
          const seen = state.keys.get(key)
          if (seen) return { kind: 'seen', orderId: seen.orderId, sameRequest: seen.fingerprint === fingerprint }
          return this.keysInFlight.has(key) ? { kind: 'in-flight' } : { kind: 'new' }
        },
        purgeOlderThan: async () => 0,
      },
      commitWith: (write) => write(),
    }
  }
}

function lockedLevels(state: State, storeId: StoreId, productIds: ProductId[]): StoreInventory {
  return new StoreInventory(
    storeId,
    productIds.flatMap((productId) => {
      const quantity = state.levels.get(levelKey(storeId, productId))
      return quantity === undefined ? [] : [{ productId, quantity }]
    }),
  )
}

function writeStock(state: State, storeId: StoreId, changes: StockChange[], cause: MovementCause): void {
  for (const change of changes) {
    state.levels.set(levelKey(storeId, change.productId), change.quantity)
    state.ledger.push({ storeId, productId: change.productId, delta: change.delta, ...cause })
  }
}
