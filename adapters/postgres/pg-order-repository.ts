import type { OrderDraft, OrderLine, OrderStatus, PlacedOrder } from '../../domain/ordering/order.js'
import { totalItems } from '../../domain/ordering/order.js'
import type { OrderId, ProductId, StoreId } from '../../domain/shared/ids.js'
import type { ConfirmAttempt, IdempotencyRecord, LockedForPlacement, NewOrder, OrderRepository } from '../../application/ordering/ports/order-repository.js'
import { StoreInventory } from '../../domain/inventory/store-inventory.js'
import { insertJobCte } from '../jobs/pg-boss.js'
import { rememberKeyCte } from './pg-idempotency-keys.js'
import { LOCK_STOCK, stockChangeCtes } from './pg-inventory-repository.js'
import { shortagesToJson } from './order-rows.js'
import type { Queryable } from './queryable.js'

/**
 * What an order names, as one statement sees it: whether store $1 exists, the titles of the
 * products of $2 that exist (not archived), and the store's levels of them, from `stock`, a
 * relation of (product_id, quantity).
 */
function placementFacts(stock: string): string {
  return `
  SELECT EXISTS (SELECT 1 FROM stores WHERE id = $1) AS store_exists,
         coalesce((SELECT json_agg(json_build_array(id, title)) FROM products WHERE id = ANY($2::bigint[]) AND archived_at IS NULL), '[]') AS products,
         coalesce((SELECT json_agg(json_build_array(product_id, quantity)) FROM ${stock}), '[]') AS stock`
}

// The store and products looked up with the stock locked, so that placing an order takes one
// round trip before its decision.
export const LOCK_FOR_PLACEMENT = `
  WITH locked AS MATERIALIZED (${LOCK_STOCK})
  ${placementFacts('locked')}`

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
  ${rememberKeyCte('remembered', { key: '$11', fingerprint: '$12', order: 'placed' })}
  SELECT placed.id, placed.created_at
    FROM placed, (SELECT count(*) AS n FROM changed) AS changed, (SELECT count(*) AS n FROM job) AS job
   WHERE CASE WHEN changed.n = cardinality($8::bigint[]) AND job.n = ($2 = 'CONFIRMED')::int THEN true
              ELSE ('order write incomplete: ' || changed.n || ' stock rows changed of ' || cardinality($8::bigint[]) || ', ' || job.n || ' jobs')::boolean
         END`

// An order confirmed in the round trip that locks its stock: sent right behind LOCK_STOCK (which
// takes the row locks in product-id order, so this statement's snapshot sees the latest levels)
// and with its COMMIT, so the locks are held for no round trip at all. The verdict is placeOrder's
// rule (domain/ordering/order.ts) on the rows this statement reads and returns: the store exists,
// every product does, and every line's quantity ($3, for the products $2, distinct) is at most
// its level (none carried: 0). When it holds, the order is written as INSERT_ORDER writes a
// confirmed one (lines, deduction, ledger, job, idempotency key); otherwise nothing is written.
// The caller decides again on the returned rows with the domain, which must agree.
const CONFIRM_IF_STOCKED = `
  WITH current AS (SELECT product_id, quantity FROM inventory WHERE store_id = $1 AND product_id = ANY($2::bigint[])),
  facts AS MATERIALIZED (${placementFacts('current')}),
  line AS (SELECT * FROM unnest($2::bigint[], $3::int[]) WITH ORDINALITY AS line(product_id, quantity, line_number)),
  verdict AS (
    SELECT facts.store_exists
           AND json_array_length(facts.products) = cardinality($2::bigint[])
           AND NOT EXISTS (SELECT 1 FROM line LEFT JOIN current USING (product_id) WHERE line.quantity > coalesce(current.quantity, 0)) AS confirms
      FROM facts),
  placed AS (
    INSERT INTO orders (store_id, status, total_items)
    SELECT $1, 'CONFIRMED', $4 FROM verdict WHERE verdict.confirms
    RETURNING id, created_at),
  lines AS (
    INSERT INTO order_items (order_id, product_id, quantity_requested, line_number, title)
    SELECT placed.id, line.product_id, line.quantity, line.line_number, product.title
      FROM placed, line JOIN products product ON product.id = line.product_id),
  deduction AS (
    SELECT line.product_id, current.quantity - line.quantity AS quantity, -line.quantity AS delta
      FROM placed, line JOIN current USING (product_id)),
  ${stockChangeCtes({
    storeId: '$1',
    productIds: '(SELECT array_agg(product_id ORDER BY product_id) FROM deduction)',
    quantities: '(SELECT array_agg(quantity ORDER BY product_id) FROM deduction)',
    deltas: '(SELECT array_agg(delta ORDER BY product_id) FROM deduction)',
    reason: "'order'",
    reference: "'order:' || (SELECT id FROM placed)",
  })},
  ${insertJobCte('job', 'order-confirmation', { data: "jsonb_build_object('orderId', placed.id)", from: 'placed' })},
  ${rememberKeyCte('remembered', { key: '$5', fingerprint: '$6', order: 'placed' })}
  SELECT facts.store_exists, facts.products, facts.stock, placed.id, placed.created_at
    FROM facts LEFT JOIN placed ON true, (SELECT count(*) AS n FROM changed) AS changed, (SELECT count(*) AS n FROM job) AS job
   WHERE CASE WHEN placed.id IS NULL OR (changed.n = cardinality($2::bigint[]) AND job.n = 1) THEN true
              ELSE ('order write incomplete: ' || changed.n || ' stock rows changed of ' || cardinality($2::bigint[]) || ', ' || job.n || ' jobs')::boolean
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

interface PlacementFactsRow {
  store_exists: boolean
  products: [ProductId, string][]
  stock: [ProductId, number][]
}

function placementFound(storeId: StoreId, row: PlacementFactsRow | undefined): LockedForPlacement {
  if (row === undefined) throw new Error('A placement statement returned no row')
  const levels = row.stock.map(([productId, quantity]) => ({ productId, quantity }))
  return { storeExists: row.store_exists, titles: new Map(row.products), stock: new StoreInventory(storeId, levels) }
}

export class PgOrderRepository implements OrderRepository {
  constructor(private readonly db: Queryable) {}

  async lockForPlacement(storeId: StoreId, productIds: ProductId[]): Promise<LockedForPlacement> {
    const { rows } = await this.db.query<PlacementFactsRow>({ name: 'lock-for-placement', text: LOCK_FOR_PLACEMENT }, [storeId, productIds])
    return placementFound(storeId, rows[0])
  }

  async confirmIfStocked(draft: OrderDraft, idempotency?: IdempotencyRecord): Promise<ConfirmAttempt> {
    const productIds = draft.lines.map((line) => line.productId)
    // Queued together, before any answer: on a pipelined transaction they go out in one write.
    const [, { rows }] = await Promise.all([
      this.db.query({ name: 'lock-stock', text: LOCK_STOCK }, [draft.storeId, productIds]),
      this.db.query<PlacementFactsRow & { id: OrderId | null; created_at: Date | null }>({ name: 'confirm-if-stocked', text: CONFIRM_IF_STOCKED }, [
        draft.storeId,
        productIds,
        draft.lines.map((line) => line.quantity),
        totalItems(draft.lines),
        idempotency?.key ?? null,
        idempotency?.fingerprint ?? null,
      ]),
    ])
    const row = rows[0]
    const confirmed = row?.id == null || row.created_at === null ? null : { id: row.id, createdAt: row.created_at }
    return { found: placementFound(draft.storeId, row), confirmed }
  }

  async insert({ decision, titles, stockChanges, idempotency }: NewOrder): Promise<{ id: OrderId; createdAt: Date }> {
    const { rows } = await this.db.query<{ id: OrderId; created_at: Date }>({ name: 'insert-order', text: INSERT_ORDER }, [
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
