import type pg from 'pg'
import type { TransactionScope, UnitOfWork } from '../../application/shared/unit-of-work.js'
import { PgIdempotencyKeys } from './pg-idempotency-keys.js'
import { PgInventoryRepository } from './pg-inventory-repository.js'
import { PgOrderRepository } from './pg-order-repository.js'
import { withPoolClient } from './pool.js'
import type { Queryable } from './queryable.js'

/** One explicit transaction on one client; every repository writes through it. */
export class PgUnitOfWork implements UnitOfWork {
  constructor(private readonly pool: pg.Pool) {}

  run<T>(work: (tx: TransactionScope) => Promise<T>): Promise<T> {
    return withPoolClient(this.pool, async (client, lost) => {
      const transaction = new PipelinedTransaction(client)
      try {
        const result = await work({
          inventory: new PgInventoryRepository(transaction),
          orders: new PgOrderRepository(transaction),
          idempotency: new PgIdempotencyKeys(transaction),
          commitWith: (write) => transaction.commitWith(write),
        })
        await transaction.commit()
        return result
      } catch (error) {
        if (!lost()) await transaction.rollback().catch(() => undefined)
        throw error
      } finally {
        transaction.close()
      }
    })
  }
}

type TransactionState = 'not-begun' | 'open' | 'committing' | 'ended'

/**
 * A transaction that costs no round trips of its own: BEGIN goes out with its first statement
 * and COMMIT with the statement commitWith runs, through node-postgres's pipelining (statements
 * sent without waiting for the previous answer, answered in order). A statement that fails aborts
 * the transaction, so a COMMIT sent behind it rolls back: only what succeeded can commit, and a
 * check on a write that commits this way must fail the statement itself (see INSERT_ORDER).
 */
class PipelinedTransaction implements Queryable {
  private state: TransactionState = 'not-begun'
  private commitNext = false

  // Pipelining is a client setting (`pipeline`, read as each query is queued); it is on for this
  // transaction only, and the client goes back to the pool as it came.
  constructor(private readonly client: pg.PoolClient & { pipeline?: boolean }) {
    client.pipeline = true
  }

  async query<R extends pg.QueryResultRow>(statement: string | pg.QueryConfig, values?: unknown[]): Promise<pg.QueryResult<R>> {
    if (this.state === 'committing' || this.state === 'ended') throw new Error('A statement after the commit would run outside the transaction')
    const begin = this.state === 'not-begun'
    const commit = this.commitNext
    this.commitNext = false
    this.state = commit ? 'committing' : 'open'
    // A pipelined query is written as it is queued; corked, the two or three go out in one write
    // (on this machine a socket write costs more than all the rest of an order's work in Node).
    const socket = this.client.connection.stream
    socket.cork()
    let began: Promise<unknown>, result: Promise<pg.QueryResult<R>>, committed: Promise<unknown>
    try {
      began = begin ? this.client.query('BEGIN') : Promise.resolve()
      result = this.client.query<R>(statement, values)
      committed = commit ? this.client.query('COMMIT') : Promise.resolve()
    } finally {
      socket.uncork()
    }
    // Every answer awaited, so that nothing is in flight once this settles; the first failure wins.
    for (const outcome of await Promise.allSettled([began, result, committed])) if (outcome.status === 'rejected') throw outcome.reason
    if (commit) this.state = 'ended'
    return result
  }

  /** Runs `write`, whose one statement commits the transaction as it goes out. */
  async commitWith<T>(write: () => Promise<T>): Promise<T> {
    this.commitNext = true
    try {
      return await write()
    } finally {
      this.commitNext = false
    }
  }

  async commit(): Promise<void> {
    if (this.state === 'open') await this.client.query('COMMIT')
    this.state = 'ended'
  }

  async rollback(): Promise<void> {
    if (this.state !== 'not-begun') await this.client.query('ROLLBACK')
    this.state = 'ended'
  }

  close(): void {
    this.client.pipeline = false
  }
}
