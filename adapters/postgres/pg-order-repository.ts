import type { OrderDecision, OrderLine, OrderStatus, PlacedOrder } from '../../domain/ordering/order.js'
import { totalItems } from '../../domain/ordering/order.js'
import type { OrderId, ProductId, StoreId } from '../../domain/shared/ids.js'
import type { OrderRepository, StoreAndProducts } from '../../application/ordering/ports/order-repository.js'
import type { StockChange } from '../../domain/inventory/store-inventory.js'
import { assertAllChanged, stockChangeCtes } from './pg-inventory-repository.js'
import { shortagesToJson } from './order-rows.js'
import type { Queryable } from './queryable.js'

const FIND_STORE_AND_PRODUCTS = `
  SELECT EXISTS (SELECT 1 FROM stores WHERE id = $1) AS store_exists,
         coalesce((SELECT json_agg(json_build_array(id, title)) FROM products WHERE id = ANY($2::bigint[]) AND archived_at IS NULL), '[]') AS products`

// The order, every line and, for a confirmed order, its stock deduction with the ledger movements:
// one statement, so that the stock rows locked before it are held for one round trip fewer.
const INSERT_ORDER = `
  WITH placed AS (
    INSERT INTO orders (store_id, status, rejection, total_items)
    VALUES ($1, $2, $3, $4)
    RETURNING id, created_at),
  lines AS (
    INSERT INTO order_items (order_id, product_id, quantity_requested, line_number, title)
    SELECT placed.id, line.product_id, line.quantity, line.line_number, line.title
      FROM placed, unnest($5::bigint[], $6::int[], $7::text[]) WITH ORDINALITY AS line(product_id, quantity, title, line_number)),
  ${stockChangeCtes({ storeId: '$1', productIds: '$8', quantities: '$9', deltas: '$10', reason: "'order'", reference: "'order:' || (SELECT id FROM placed)" })}
  SELECT id, created_at, (SELECT count(*)::int FROM changed) AS changed FROM placed`

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

  async findStoreAndProducts(storeId: StoreId, productIds: ProductId[]): Promise<StoreAndProducts> {
    const { rows } = await this.db.query<{ store_exists: boolean; products: [ProductId, string][] }>(FIND_STORE_AND_PRODUCTS, [storeId, productIds])
    const row = rows[0]
    return { storeExists: row?.store_exists ?? false, titles: new Map(row?.products ?? []) }
  }

  async insert(decision: OrderDecision, titles: Map<ProductId, string>, stockChanges: StockChange[]): Promise<{ id: OrderId; createdAt: Date }> {
    const { rows } = await this.db.query<{ id: OrderId; created_at: Date; changed: number }>(INSERT_ORDER, [
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
    ])
    const placed = rows[0]
    if (!placed) throw new Error('INSERT of an order returned no row')
    assertAllChanged(stockChanges.length, placed.changed)
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
