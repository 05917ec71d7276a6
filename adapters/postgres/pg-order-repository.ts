import type { OrderDecision } from '../../domain/ordering/order.js'
import { totalItems } from '../../domain/ordering/order.js'
import type { OrderId, ProductId, StoreId } from '../../domain/shared/ids.js'
import type { OrderRepository, StoreAndProducts } from '../../application/ordering/ports/order-repository.js'
import { shortagesToJson } from './order-rows.js'
import type { Queryable } from './queryable.js'

const FIND_STORE_AND_PRODUCTS = `
  SELECT EXISTS (SELECT 1 FROM stores WHERE id = $1) AS store_exists,
         coalesce((SELECT json_agg(json_build_array(id, title)) FROM products WHERE id = ANY($2::bigint[])), '[]') AS products`

// The order and every line in one statement, whatever the number of lines.
const INSERT_ORDER = `
  WITH placed AS (
    INSERT INTO orders (store_id, status, rejection, total_items)
    VALUES ($1, $2, $3, $4)
    RETURNING id, created_at),
  lines AS (
    INSERT INTO order_items (order_id, product_id, quantity_requested, line_number)
    SELECT placed.id, line.product_id, line.quantity, line.line_number
      FROM placed, unnest($5::bigint[], $6::int[]) WITH ORDINALITY AS line(product_id, quantity, line_number))
  SELECT id, created_at FROM placed`

export class PgOrderRepository implements OrderRepository {
  constructor(private readonly db: Queryable) {}

  async findStoreAndProducts(storeId: StoreId, productIds: ProductId[]): Promise<StoreAndProducts> {
    const { rows } = await this.db.query<{ store_exists: boolean; products: [ProductId, string][] }>(FIND_STORE_AND_PRODUCTS, [storeId, productIds])
    const row = rows[0]
    return { storeExists: row?.store_exists ?? false, titles: new Map(row?.products ?? []) }
  }

  async insert(decision: OrderDecision): Promise<{ id: OrderId; createdAt: Date }> {
    const { rows } = await this.db.query<{ id: OrderId; created_at: Date }>(INSERT_ORDER, [
      decision.storeId,
      decision.status,
      decision.shortages === null ? null : JSON.stringify(shortagesToJson(decision.shortages)),
      totalItems(decision.lines),
      decision.lines.map((line) => line.productId),
      decision.lines.map((line) => line.quantity),
    ])
    const placed = rows[0]
    if (!placed) throw new Error('INSERT of an order returned no row')
    return { id: placed.id, createdAt: placed.created_at }
  }
}
