import type pg from 'pg'
import { eventually } from './eventually.js'

/**
 * Test data written straight to the tables (the catalog has no write endpoints), in one
 * vocabulary for every test file: stores, categories, products and their first stock.
 */
export interface ProductSpec {
  title: string
  price?: string
  description?: string | null
  /** A category name, matched ignoring case and created when missing; default General. */
  category?: string
}

export async function addCategory(pool: pg.Pool, name: string): Promise<number> {
  return (await pool.query<{ id: number }>('INSERT INTO categories (name) VALUES ($1) RETURNING id', [name])).rows[0]!.id
}

/** Inserts in one statement, like the seeder, creating missing categories; returns the ids in the order given. */
export async function addProducts(pool: pg.Pool, products: ProductSpec[]): Promise<number[]> {
  const { rows } = await pool.query<{ id: number }>(
    `WITH wanted AS (SELECT DISTINCT category FROM unnest($4::text[]) AS w(category)),
          added AS (INSERT INTO categories (name) SELECT category FROM wanted
                     WHERE NOT EXISTS (SELECT 1 FROM categories c WHERE lower(c.name) = lower(wanted.category))
                    RETURNING id, name),
          known AS (SELECT id, name FROM added UNION ALL SELECT id, name FROM categories)
     INSERT INTO products (title, price, description, category_id)
     SELECT p.title, p.price, p.description, (SELECT id FROM known WHERE lower(known.name) = lower(p.category) LIMIT 1)
       FROM unnest($1::text[], $2::numeric[], $3::text[], $4::text[]) WITH ORDINALITY AS p(title, price, description, category, n)
      ORDER BY n
     RETURNING id`,
    [
      products.map((p) => p.title),
      products.map((p) => p.price ?? '10.00'),
      products.map((p) => p.description ?? null),
      products.map((p) => p.category ?? 'General'),
    ],
  )
  return rows.map((row) => row.id).sort((a, b) => a - b)
}

export async function addStore(pool: pg.Pool, name = 'Main Street'): Promise<number> {
  const { rows } = await pool.query<{ id: number }>(`INSERT INTO stores (name, location) VALUES ($1, 'Lisbon') RETURNING id`, [name])
  return rows[0]!.id
}

/** Puts first stock on the shelves, recording it in the ledger so the audit holds. */
export async function stock(pool: pg.Pool, storeId: number, levels: Record<number, number>): Promise<void> {
  const productIds = Object.keys(levels).map(Number)
  const quantities = productIds.map((id) => levels[id] as number)
  await pool.query(
    `INSERT INTO inventory (store_id, product_id, quantity)
     SELECT $1, product_id, quantity FROM unnest($2::bigint[], $3::int[]) AS l(product_id, quantity)`,
    [storeId, productIds, quantities],
  )
  await pool.query(
    `INSERT INTO stock_movements (store_id, product_id, delta, reason, reference)
     SELECT $1, l.product_id, l.quantity, 'seed', 'fixture' FROM unnest($2::bigint[], $3::int[]) AS l(product_id, quantity) WHERE l.quantity > 0`,
    [storeId, productIds, quantities],
  )
}

/** The one number a counting query answers: SELECT count(*) AS n … */
export async function countOf(pool: pg.Pool, sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(sql, params)
  const [row] = rows
  if (row === undefined) throw new Error(`no row from ${sql}`)
  return row.n
}

export async function levelsOf(pool: pg.Pool, storeId: number): Promise<Record<number, number>> {
  const { rows } = await pool.query<{ product_id: number; quantity: number }>(
    'SELECT product_id, quantity FROM inventory WHERE store_id = $1 ORDER BY product_id',
    [storeId],
  )
  return Object.fromEntries(rows.map((row) => [row.product_id, row.quantity]))
}

export async function ledgerOf(pool: pg.Pool, storeId: number): Promise<{ product_id: number; delta: number; reason: string; reference: string }[]> {
  const { rows } = await pool.query<{ product_id: number; delta: number; reason: string; reference: string }>(
    "SELECT product_id, delta, reason, reference FROM stock_movements WHERE store_id = $1 AND reason <> 'seed' ORDER BY id",
    [storeId],
  )
  return rows
}

export async function confirmationJobsFor(pool: pg.Pool, orderId: number): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    "SELECT count(*) AS n FROM pgboss.job WHERE name = 'order-confirmation' AND (data->>'orderId')::bigint = $1",
    [orderId],
  )
  return rows[0]!.n
}

/** Resolves once some session of this database waits for a lock: the request under test is parked on it. */
export async function someoneWaitsForALock(pool: pg.Pool): Promise<void> {
  await eventually('a session waiting for a lock', async () => {
    const { rows } = await pool.query<{ waiting: number }>(
      "SELECT count(*) AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
    )
    return rows[0]!.waiting > 0 ? true : undefined
  })
}
