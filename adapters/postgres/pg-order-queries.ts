import type { OrderStatus } from '../../domain/ordering/order.js'
import type { OrderId, ProductId, StoreId } from '../../domain/shared/ids.js'
import type { OrderQueries, OrderSummary } from '../../application/ordering/ports/order-queries.js'
import { orderRecord, type OrderRecord } from '../../domain/ordering/order-record.js'
import type { Page, PageRequest } from '../../application/shared/pagination.js'
import { offsetOf } from './page-offset.js'
import { shortagesFromJson } from './order-rows.js'
import type { Reader } from './queryable.js'

const FIND_ORDER = `
  SELECT o.id, o.store_id, o.status, o.created_at, o.rejection, o.confirmation_sent_at, o.cancelled_at,
         json_agg(json_build_array(i.product_id, i.title, i.quantity_requested) ORDER BY i.line_number) AS items
    FROM orders o
    JOIN order_items i ON i.order_id = o.id
   WHERE o.id = $1
   GROUP BY o.id`

/**
 * The page and its count in one statement, so both come from one snapshot: an order committed
 * between two statements would otherwise show in one and not the other. The page is served by
 * orders_store_created_idx (read in index order, stopping at LIMIT); a store with no orders on the
 * page still yields one row, with its existence and count and a null id.
 */
const LIST_PAGE_WITH_COUNT = `
  WITH page AS (
    SELECT id, status, created_at, total_items FROM orders
     WHERE store_id = $1 AND ($2::order_status IS NULL OR status = $2)
     ORDER BY created_at DESC, id DESC
     LIMIT $3 OFFSET $4)
  SELECT EXISTS (SELECT 1 FROM stores WHERE id = $1) AS store_exists,
         (SELECT count(*) FROM orders WHERE store_id = $1 AND ($2::order_status IS NULL OR status = $2)) AS total,
         page.id, page.status, page.created_at, page.total_items
    FROM (SELECT 1) AS one
    LEFT JOIN page ON true
   ORDER BY page.created_at DESC, page.id DESC`

interface OrderRow {
  id: OrderId
  store_id: StoreId
  status: OrderStatus
  created_at: Date
  rejection: Parameters<typeof shortagesFromJson>[0]
  confirmation_sent_at: Date | null
  cancelled_at: Date | null
  items: [ProductId, string, number][]
}

export class PgOrderQueries implements OrderQueries {
  constructor(private readonly db: Reader) {}

  async findById(id: OrderId): Promise<OrderRecord | null> {
    const { rows } = await this.db.query<OrderRow>(FIND_ORDER, [id])
    const row = rows[0]
    if (!row) return null
    return orderRecord({
      id: row.id,
      storeId: row.store_id,
      status: row.status,
      createdAt: row.created_at,
      items: row.items.map(([productId, title, quantity]) => ({ productId, title, quantity })),
      shortages: shortagesFromJson(row.rejection),
      confirmationSentAt: row.confirmation_sent_at,
      cancelledAt: row.cancelled_at,
    })
  }

  async listByStore(storeId: StoreId, status: OrderStatus | undefined, page: PageRequest): Promise<Page<OrderSummary> | null> {
    const { rows } = await this.db.query<
      { store_exists: boolean; total: number } & ({ id: OrderId; status: OrderStatus; created_at: Date; total_items: number } | { id: null })
    >(LIST_PAGE_WITH_COUNT, [storeId, status ?? null, page.pageSize, offsetOf(page)])
    const first = rows[0]
    if (!first?.store_exists) return null
    return {
      total: first.total,
      items: rows.flatMap((row) => (row.id === null ? [] : [{ id: row.id, status: row.status, createdAt: row.created_at, totalItems: row.total_items }])),
    }
  }
}
