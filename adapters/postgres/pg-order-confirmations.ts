import type pg from 'pg'
import type { OrderConfirmations, OrderToConfirm } from '../../application/ports/order-confirmations.js'

// One round trip for the order, its store and its lines with their titles, lines in client order.
const FIND_ORDER = `
  SELECT o.id, o.store_id, s.name AS store_name, o.status, o.created_at, o.confirmation_sent_at,
         coalesce(json_agg(json_build_object('productId', i.product_id, 'title', p.title, 'quantityRequested', i.quantity_requested)
                           ORDER BY i.line_number) FILTER (WHERE i.order_id IS NOT NULL), '[]') AS items
    FROM orders o
    JOIN stores s ON s.id = o.store_id
    LEFT JOIN order_items i ON i.order_id = o.id
    LEFT JOIN products p ON p.id = i.product_id
   WHERE o.id = $1
   GROUP BY o.id, s.name`

// The first recorded time wins, so a late duplicate run cannot move it.
const MARK_SENT = 'UPDATE orders SET confirmation_sent_at = $2 WHERE id = $1 AND confirmation_sent_at IS NULL'

interface OrderRow {
  id: number
  store_id: number
  store_name: string
  status: OrderToConfirm['status']
  created_at: Date
  confirmation_sent_at: Date | null
  items: OrderToConfirm['items']
}

export class PgOrderConfirmations implements OrderConfirmations {
  constructor(private readonly pool: pg.Pool) {}

  async find(orderId: number): Promise<OrderToConfirm | undefined> {
    const row = (await this.pool.query<OrderRow>(FIND_ORDER, [orderId])).rows[0]
    if (!row) return undefined
    return {
      id: row.id,
      storeId: row.store_id,
      storeName: row.store_name,
      status: row.status,
      createdAt: row.created_at,
      confirmationSentAt: row.confirmation_sent_at,
      items: row.items,
    }
  }

  async markSent(orderId: number, sentAt: Date): Promise<void> {
    await this.pool.query(MARK_SENT, [orderId, sentAt])
  }
}
