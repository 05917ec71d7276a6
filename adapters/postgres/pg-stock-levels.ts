import type pg from 'pg'
import type { StoreInventoryItem } from '../../application/inventory/ports/inventory-queries.js'
import type { StockLevels } from '../../application/inventory/ports/stock-levels.js'
import { NotFoundError } from '../../domain/shared/domain-error.js'
import { toStoreInventoryItem, type InventoryItemRow } from './pg-inventory-queries.js'
import { inTransaction } from './pool.js'

// Makes sure the row exists (at 0, which needs no ledger entry) so that the next statement can
// lock it; a concurrent first restock of the same pair makes this wait, then do nothing.
const ENSURE_ROW = `
  WITH store AS (SELECT EXISTS (SELECT 1 FROM stores WHERE id = $1) AS found),
       product AS (SELECT EXISTS (SELECT 1 FROM products WHERE id = $2 AND archived_at IS NULL) AS found),
       created AS (INSERT INTO inventory (store_id, product_id, quantity)
                   SELECT $1, $2, 0 FROM store, product WHERE store.found AND product.found
                   ON CONFLICT (store_id, product_id) DO NOTHING)
  SELECT store.found AS store_found, product.found AS product_found FROM store, product`

// The locked previous level gives the ledger its exact delta, whatever other writers did before.
const SET_LEVEL = `
  WITH previous AS (SELECT quantity FROM inventory WHERE store_id = $1 AND product_id = $2 FOR UPDATE),
       updated AS (UPDATE inventory i SET quantity = $3, updated_at = now() FROM previous
                    WHERE i.store_id = $1 AND i.product_id = $2
                    RETURNING previous.quantity AS previous),
       recorded AS (INSERT INTO stock_movements (store_id, product_id, delta, reason, reference)
                    SELECT $1, $2, $3 - previous, 'restock', $4 FROM updated WHERE previous <> $3)
  SELECT p.id AS product_id, p.title, p.price, c.name AS category, $3::integer AS quantity
    FROM updated, products p JOIN categories c ON c.id = p.category_id
   WHERE p.id = $2`

export class PgStockLevels implements StockLevels {
  constructor(private readonly pool: pg.Pool) {}

  set(storeId: number, productId: number, quantity: number, reference: string): Promise<StoreInventoryItem> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ store_found: boolean; product_found: boolean }>(ENSURE_ROW, [storeId, productId])
      if (!rows[0]?.store_found) throw new NotFoundError('Store', storeId)
      if (!rows[0].product_found) throw new NotFoundError('Product', productId)
      const item = (await client.query<InventoryItemRow>(SET_LEVEL, [storeId, productId, quantity, reference])).rows[0]
      if (item === undefined) throw new Error(`inventory row ${storeId}/${productId} vanished while restocking`)
      return toStoreInventoryItem(item)
    })
  }
}
