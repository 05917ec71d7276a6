import type { OrderLine, OrderStatus, PlacedOrder } from '../../domain/ordering/order.js'
import { totalItems } from '../../domain/ordering/order.js'
import type { OrderId, ProductId, StoreId } from '../../domain/shared/ids.js'
import type { LockedForPlacement, NewOrder, OrderRepository } from '../../application/ordering/ports/order-repository.js'
import { StoreInventory } from '../../domain/inventory/store-inventory.js'
import { insertJobCte } from '../jobs/pg-boss.js'
import { rememberKeyCte } from './pg-idempotency-keys.js'
import { LOCK_STOCK, stockChangeCtes } from './pg-inventory-repository.js'
import { shortagesToJson } from './order-rows.js'
import type { Queryable } from './queryable.js'

// The store and products looked up with the stock locked, so that placing an order takes one
// round trip before its decision.
export const LOCK_FOR_PLACEMENT = `
  WITH locked AS MATERIALIZED (${LOCK_STOCK})
  SELECT EXISTS (SELECT 1 FROM stores WHERE id = $1) AS store_exists,
         coalesce((SELECT json_agg(json_build_array(id, title)) FROM products WHERE id = ANY($2::bigint[]) AND archived_at IS NULL), '[]') AS products,
         coalesce((SELECT json_agg(json_build_array(product_id, quantity)) FROM locked), '[]') AS stock`

// The order, every line and everything that commits with it (a confirmed order's stock deduction
// with the ledger movements and its confirmation job, the idempotency key): one statement, sent
// with its COMMIT (PgUnitOfWork.commitWith), so the locked stock rows are held for one round trip.
// Since the COMMIT is already on its way, an incomplete write must fail the statement itself: a
// stock row not changed (written without its lock) or a confirmation job not written (no queue)
// turns into an error (a message cast to boolean), which aborts the transaction.
export const INSERT_ORDER = `
  WITH placed AS (
    INSERT INTO orders (store_id, status, rejection, total_items)
    VALUES ($1, $2, $3, $4)
    RETURNING id, created_at),
  lines AS (
    INSERT INTO order_items (order_id, product_id, quantity_requested, line_number, title)
    SELECT placed.id, line.product_id, line.quantity, line.line_number, line.title
      FROM placed, unnest($5::bigint[], $6::int[], $7::text[]) WITH ORDINALITY AS line(product_id, quantity, title, line_number)),
  ${stockChangeCtes({ storeId: '$1', productIds: '$8', quantities: '$9', deltas: '$10', reason: "'order'", reference: "'order:' || (SELECT id FROM placed)" })},
  ${insertJobCte('job', 'order-confirmation', { data: "jsonb_build_object('orderId', confirmed.id)", from: "(SELECT id FROM placed WHERE $2 = 'CONFIRMED') AS confirmed" })},
  ${rememberKeyCte('remembered', { key: '$11', fingerprint: '$12', orderId: '(SELECT id FROM placed)' })}
  SELECT placed.id, placed.created_at
    FROM placed, (SELECT count(*) AS n FROM changed) AS changed, (SELECT count(*) AS n FROM job) AS job
   WHERE CASE WHEN changed.n = cardinality($8::bigint[]) AND job.n = ($2 = 'CONFIRMED')::int THEN true
              ELSE ('order write incomplete: ' || changed.n || ' stock rows changed of ' || cardinality($8::bigint[]) || ', ' || job.n || ' jobs')::boolean
         END`

// FOR UPDATE OF orders: the order row only (its lines are never written after placement). Not FOR
// NO KEY UPDATE: the full lock is what a confirmation being sent waits for (pg-outbox-notifier.ts).
const LOCK_ORDER = `
  SELECT o.store_id, o.status,
         (SELECT json_agg(json_build_array(i.product_id, i.quantity_requested) ORDER BY i.product_id)
            FROM order_items i WHERE i.order_id = o.id) AS lines
    FROM orders o WHERE o.id = $1
     FOR UPDATE OF o`

const MARK_CANCELLED = `
  UPDATE orders SET status = 'CANCELLED', cancelled_at = now()
   WHERE id = $1 AND status = 'CONFIRMED'
  RETURNING cancelled_at`

export class PgOrderRepository implements OrderRepository {
  constructor(private readonly db: Queryable) {}

  async lockForPlacement(storeId: StoreId, productIds: ProductId[]): Promise<LockedForPlacement> {
    const { rows } = await this.db.query<{ store_exists: boolean; products: [ProductId, string][]; stock: [ProductId, number][] }>(LOCK_FOR_PLACEMENT, [
      storeId,
      productIds,
    ])
    const row = rows[0]
    if (row === undefined) throw new Error('LOCK_FOR_PLACEMENT returned no row')
    const levels = row.stock.map(([productId, quantity]) => ({ productId, quantity }))
    return { storeExists: row.store_exists, titles: new Map(row.products), stock: new StoreInventory(storeId, levels) }
  }

  async insert({ decision, titles, stockChanges, idempotency }: NewOrder): Promise<{ id: OrderId; createdAt: Date }> {
    const { rows } = await this.db.query<{ id: OrderId; created_at: Date }>(INSERT_ORDER, [
      decision.storeId,
      decision.status,
      decision.shortages === null ? null : JSON.stringify(shortagesToJson(decision.shortages)),
      totalItems(decision.lines),
      decision.lines.map((line) => line.productId),
      decision.lines.map((line) => line.quantity),
      decision.lines.map((line) => titles.get(line.productId) ?? ''),
      stockChanges.map((change) => change.productId),
      stockChanges.map((change) => change.quantity),
      stockChanges.map((change) => change.delta),
      idempotency?.key ?? null,
      idempotency?.fingerprint ?? null,
    ])
    const placed = rows[0]
    if (!placed) throw new Error('INSERT of an order returned no row')
    return { id: placed.id, createdAt: placed.created_at }
  }

  async lockForCancellation(orderId: OrderId): Promise<PlacedOrder | null> {
    const { rows } = await this.db.query<{ store_id: StoreId; status: OrderStatus; lines: [ProductId, number][] }>(LOCK_ORDER, [orderId])
    const row = rows[0]
    if (row === undefined) return null
    const lines: OrderLine[] = row.lines.map(([productId, quantity]) => ({ productId, quantity }))
    return { id: orderId, storeId: row.store_id, status: row.status, lines }
  }

  async markCancelled(orderId: OrderId): Promise<Date> {
    const { rows } = await this.db.query<{ cancelled_at: Date }>(MARK_CANCELLED, [orderId])
    if (rows[0] === undefined) throw new Error(`Order ${orderId} was not CONFIRMED when marked cancelled`)
    return rows[0].cancelled_at
  }
}
