import { StoreInventory } from '../../domain/inventory/store-inventory.js'
import type { ProductId, StoreId } from '../../domain/shared/ids.js'
import type { InventoryRepository, StockMovementCause } from '../../application/inventory/ports/inventory-repository.js'
import type { Queryable } from './queryable.js'

const LOCK_STOCK = `
  SELECT product_id, quantity FROM inventory
   WHERE store_id = $1 AND product_id = ANY($2::bigint[])
   ORDER BY product_id  -- one global lock order: concurrent orders cannot deadlock
     FOR UPDATE`

// One statement for every line: the new levels, and a ledger movement for each change.
const SAVE_STOCK = `
  WITH changed AS (
    UPDATE inventory i
       SET quantity = c.quantity, updated_at = now()
      FROM unnest($2::bigint[], $3::int[], $4::int[]) AS c(product_id, quantity, delta)
     WHERE i.store_id = $1 AND i.product_id = c.product_id
    RETURNING i.product_id, c.delta)
  INSERT INTO stock_movements (store_id, product_id, delta, reason, reference)
  SELECT $1, product_id, delta, $6::stock_movement_reason, $5 FROM changed`

export class PgInventoryRepository implements InventoryRepository {
  constructor(private readonly db: Queryable) {}

  async lockForUpdate(storeId: StoreId, productIds: ProductId[]): Promise<StoreInventory> {
    const { rows } = await this.db.query<{ product_id: ProductId; quantity: number }>(LOCK_STOCK, [storeId, productIds])
    return new StoreInventory(
      storeId,
      rows.map((row) => ({ productId: row.product_id, quantity: row.quantity })),
    )
  }

  async save(inventory: StoreInventory, cause: StockMovementCause): Promise<void> {
    const changes = inventory.changes()
    if (changes.length === 0) return
    const { rowCount } = await this.db.query(SAVE_STOCK, [
      inventory.storeId,
      changes.map((change) => change.productId),
      changes.map((change) => change.quantity),
      changes.map((change) => change.delta),
      cause.reference,
      cause.reason,
    ])
    if (rowCount !== changes.length) throw new Error(`Expected ${changes.length} stock rows to change, changed ${rowCount}`)
  }
}
