import type pg from 'pg'
import type { TransactionScope, UnitOfWork } from '../../application/shared/unit-of-work.js'
import { PgIdempotencyKeys } from './pg-idempotency-keys.js'
import { PgInventoryRepository } from './pg-inventory-repository.js'
import { PgOrderRepository } from './pg-order-repository.js'
import { inTransaction } from './pool.js'

/** One explicit transaction on one client; every repository writes through it. */
export class PgUnitOfWork implements UnitOfWork {
  constructor(private readonly pool: pg.Pool) {}

  run<T>(work: (tx: TransactionScope) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, (client) =>
      work({
        inventory: new PgInventoryRepository(client),
        orders: new PgOrderRepository(client),
        idempotency: new PgIdempotencyKeys(client),
      }),
    )
  }
}
