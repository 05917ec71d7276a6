import type { IdempotencyKeys } from '../ordering/ports/idempotency-keys.js'
import type { InventoryRepository } from '../inventory/ports/inventory-repository.js'
import type { OrderRepository } from '../ordering/ports/order-repository.js'

/** Everything one transaction may touch; all of it commits or none of it does. */
export interface TransactionScope {
  inventory: InventoryRepository
  orders: OrderRepository
  idempotency: IdempotencyKeys
  /**
   * Runs `write`, the unit of work's last write, and commits with it: once it resolves, the work
   * is committed, without a round trip of its own for the commit (held row locks are released
   * sooner). `write` sends all its statements before it awaits any answer; nothing may be
   * written after it.
   */
  commitWith<T>(write: () => Promise<T>): Promise<T>
}

export interface UnitOfWork {
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  run<T>(work: (tx: TransactionScope) => Promise<T>): Promise<T>
}
