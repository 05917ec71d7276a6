import type pg from 'pg'
import type { CalendarDate } from '../../domain/shared/calendar-date.js'
import type { InventorySummaries, InventorySummary, LatestSummary } from '../../application/inventory/ports/inventory-summaries.js'

// One statement, so every store is read from the same snapshot. An archived product is no longer
// carried (it has left the store's listing), so it counts nowhere: only the handful of archived
// rows (products_archived_idx) are looked up, not every carried product. Stores in id order give
// concurrent rebuilds of one day the same lock order.
const REBUILD = `
  WITH carried AS (
    SELECT store_id, product_id, quantity
      FROM inventory
     WHERE product_id <> ALL (ARRAY(SELECT id FROM products WHERE archived_at IS NOT NULL))),
  levels AS (
    SELECT store_id, count(*) AS sku_count, sum(quantity) AS total_units,
           count(*) FILTER (WHERE quantity = 0) AS out_of_stock
      FROM carried
     GROUP BY store_id),
  low AS (
    SELECT i.store_id,
           jsonb_agg(jsonb_build_object('product_id', i.product_id, 'title', p.title, 'quantity', i.quantity)
                     ORDER BY i.quantity, p.title, i.product_id) AS items
      FROM carried i
      JOIN products p ON p.id = i.product_id
     WHERE i.quantity > 0 AND i.quantity < $2
     GROUP BY i.store_id)
  INSERT INTO inventory_summaries
         (store_id, summary_date, sku_count, total_units, out_of_stock, low_stock_threshold, low_stock, generated_at)
  SELECT s.id, $1::date, coalesce(l.sku_count, 0), coalesce(l.total_units, 0), coalesce(l.out_of_stock, 0), $2,
         coalesce(low.items, '[]'::jsonb), $3
    FROM stores s
    LEFT JOIN levels l ON l.store_id = s.id
    LEFT JOIN low ON low.store_id = s.id
   ORDER BY s.id
  ON CONFLICT (store_id, summary_date) DO UPDATE
     SET sku_count = excluded.sku_count, total_units = excluded.total_units, out_of_stock = excluded.out_of_stock,
         low_stock_threshold = excluded.low_stock_threshold, low_stock = excluded.low_stock,
         generated_at = excluded.generated_at`

// One round trip tells a missing store from a store without summaries; the primary key serves
// the latest date with a backward scan.
const LATEST = `
  SELECT s.id AS store_id, to_char(m.summary_date, 'YYYY-MM-DD') AS summary_date, m.sku_count, m.total_units,
         m.out_of_stock, m.low_stock, m.generated_at
    FROM stores s
    LEFT JOIN LATERAL (
      SELECT * FROM inventory_summaries WHERE store_id = s.id ORDER BY summary_date DESC LIMIT 1
    ) m ON true
   WHERE s.id = $1`

interface SummaryRow {
  store_id: number
  summary_date: string | null
  sku_count: number
  total_units: number
  out_of_stock: number
  low_stock: { product_id: number; title: string; quantity: number }[]
  generated_at: Date
}

export class PgInventorySummaries implements InventorySummaries {
  constructor(private readonly pool: pg.Pool) {}

  async rebuild(date: CalendarDate, lowStockThreshold: number, generatedAt: Date): Promise<number> {
    const result = await this.pool.query(REBUILD, [date, lowStockThreshold, generatedAt])
    return result.rowCount ?? 0
  }

  async latest(storeId: number): Promise<LatestSummary> {
    const row = (await this.pool.query<SummaryRow>(LATEST, [storeId])).rows[0]
    if (!row) return { storeExists: false }
    if (row.summary_date === null) return { storeExists: true }
    const summary: InventorySummary = {
      storeId: row.store_id,
      date: row.summary_date as CalendarDate,
      skuCount: row.sku_count,
      totalUnits: row.total_units,
      outOfStock: row.out_of_stock,
      lowStock: row.low_stock.map((item) => ({ productId: item.product_id, title: item.title, quantity: item.quantity })),
      generatedAt: row.generated_at,
    }
    return { storeExists: true, summary }
  }
}
