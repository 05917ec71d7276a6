import type { OrderId } from '../../domain/shared/ids.js'
import type { IdempotencyClaim, IdempotencyKeys } from '../../application/ordering/ports/idempotency-keys.js'
import type { Queryable } from './queryable.js'

// A second namespace for advisory locks, so key hashes cannot collide with other lock users.
const KEY_LOCK_SEED = 4_205_170_002

const TRY_LOCK = 'SELECT pg_try_advisory_xact_lock(hashtextextended($1, $2)) AS acquired'

// Run after the lock attempt, in its own statement: under READ COMMITTED it then sees a key that
// a transaction committed while we were acquiring the lock.
const FIND = `
  SELECT order_id, fingerprint = encode(sha256(convert_to($2, 'UTF8')), 'hex') AS same_request
    FROM idempotency_keys WHERE key = $1`

/**
 * A CTE named `cte` recording the key's outcome, written by the statement that writes the order
 * (pg-order-repository.ts), so it commits or rolls back with it and costs no round trip of its own.
 * `key` and `fingerprint` are SQL expressions, `order` a relation with the order's `id` (none, no
 * order written: nothing recorded); a null key records nothing.
 */
export function rememberKeyCte(cte: string, sql: { key: string; fingerprint: string; order: string }): string {
  return `
  ${cte} AS (
    INSERT INTO idempotency_keys (key, fingerprint, order_id)
    SELECT ${sql.key}::text, encode(sha256(convert_to(${sql.fingerprint}::text, 'UTF8')), 'hex'), written.id
      FROM ${sql.order} AS written
     WHERE ${sql.key}::text IS NOT NULL)`
}

const PURGE = 'DELETE FROM idempotency_keys WHERE created_at < $1'

export class PgIdempotencyKeys implements IdempotencyKeys {
  constructor(private readonly db: Queryable) {}

  async claim(key: string, fingerprint: string): Promise<IdempotencyClaim> {
    // Both sent at once (one round trip on a pipelined transaction); Postgres still runs them in order.
    const [{ rows: lock }, { rows }] = await Promise.all([
      this.db.query<{ acquired: boolean }>({ name: 'try-lock-key', text: TRY_LOCK }, [key, KEY_LOCK_SEED]),
      this.db.query<{ order_id: OrderId; same_request: boolean }>({ name: 'find-key', text: FIND }, [key, fingerprint]),
    ])
    const seen = rows[0]
    if (seen) return { kind: 'seen', orderId: seen.order_id, sameRequest: seen.same_request }
    return lock[0]?.acquired ? { kind: 'new' } : { kind: 'in-flight' }
  }

  async purgeOlderThan(cutoff: Date): Promise<number> {
    const { rowCount } = await this.db.query(PURGE, [cutoff])
    return rowCount ?? 0
  }
}
