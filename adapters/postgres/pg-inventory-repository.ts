import { StoreInventory } from '../../domain/inventory/store-inventory.js'
import type { ProductId, StoreId } from '../../domain/shared/ids.js'
import type { CatalogEntry, EnsuredLevel, InventoryRepository, MovementCause } from '../../application/inventory/ports/inventory-repository.js'
import type { Queryable } from './queryable.js'

// INSERT … DO NOTHING waits for a concurrent transaction inserting the same pair, so two first
// restocks of a pair take turns on the row instead of both starting from "no row".
const ENSURE_LEVEL = `
  WITH store AS (SELECT EXISTS (SELECT 1 FROM stores WHERE id = $1) AS found),
       product AS (SELECT p.title, p.price, c.name AS category
                     FROM products p JOIN categories c ON c.id = p.category_id WHERE p.id = $2 AND p.archived_at IS NULL),
       created AS (INSERT INTO inventory (store_id, product_id, quantity)
                   SELECT $1, $2, 0 FROM store, product WHERE store.found
                   ON CONFLICT (store_id, product_id) DO NOTHING)
  SELECT store.found AS store_exists, product.title, product.price, product.category
    FROM store LEFT JOIN product ON true`

/** Reads and row-locks a store's levels of products $2 of store $1 (also the order placement's, pg-order-repository.ts). */
export const LOCK_STOCK = `
  SELECT product_id, quantity FROM inventory
   WHERE store_id = $1 AND product_id = ANY($2::bigint[])
   ORDER BY product_id  -- one global lock order: concurrent orders cannot deadlock
     FOR UPDATE`

/**
 * Writing stock changes as CTEs `changed` (the new levels) and `moved` (a ledger movement for each
 * change), with the SQL expressions of the values given: one statement for every line, and the
 * one definition of a level write, shared with the order placement (pg-order-repository.ts).
 */
export function stockChangeCtes(sql: { storeId: string; productIds: string; quantities: string; deltas: string; reason: string; reference: string }): string {
  return `
  changed AS (
    UPDATE inventory i
       SET quantity = c.quantity, updated_at = now()
      FROM unnest(${sql.productIds}::bigint[], ${sql.quantities}::int[], ${sql.deltas}::int[]) AS c(product_id, quantity, delta)
     WHERE i.store_id = ${sql.storeId} AND i.product_id = c.product_id
    RETURNING i.product_id, c.delta),
  moved AS (
    INSERT INTO stock_movements (store_id, product_id, delta, reason, reference)
    SELECT ${sql.storeId}, product_id, delta, ${sql.reason}::stock_movement_reason, ${sql.reference}::text FROM changed)`
}

const SAVE_STOCK = `
  WITH ${stockChangeCtes({ storeId: '$1', productIds: '$2', quantities: '$3', deltas: '$4', reason: '$5', reference: '$6' })}
  SELECT count(*)::int AS changed FROM changed`

type EnsureLevelRow = { store_exists: boolean } & (CatalogEntry | { title: null; price: null; category: null })

export class PgInventoryRepository implements InventoryRepository {
  constructor(private readonly db: Queryable) {}

  async ensureLevel(storeId: StoreId, productId: ProductId): Promise<EnsuredLevel> {
    const { rows } = await this.db.query<EnsureLevelRow>(ENSURE_LEVEL, [storeId, productId])
    const row = rows[0]
    if (row === undefined) throw new Error('ENSURE_LEVEL returned no row')
    const { store_exists: storeExists, ...product } = row
    return { storeExists, product: product.title === null ? null : product }
  }

  async lockForUpdate(storeId: StoreId, productIds: ProductId[]): Promise<StoreInventory> {
    const { rows } = await this.db.query<{ product_id: ProductId; quantity: number }>(LOCK_STOCK, [storeId, productIds])
    return new StoreInventory(
      storeId,
      rows.map((row) => ({ productId: row.product_id, quantity: row.quantity })),
    )
  }

  async save(inventory: StoreInventory, cause: MovementCause): Promise<void> {
    const changes = inventory.changes()
    if (changes.length === 0) return
    const { rows } = await this.db.query<{ changed: number }>(SAVE_STOCK, [
      inventory.storeId,
      changes.map((change) => change.productId),
      changes.map((change) => change.quantity),
      changes.map((change) => change.delta),
      cause.reason,
      cause.reference,
    ])
    assertAllChanged(changes.length, rows[0]?.changed)
  }
}

/** A level that did not change means the caller wrote without its lock: never commit that. */
export function assertAllChanged(expected: number, changed: number | undefined): void {
  if (changed !== expected) throw new Error(`Expected ${expected} stock rows to change, changed ${changed}`)
}
