import type pg from 'pg'

/** Test data written straight to the tables: the catalog has no write endpoints. */
export interface ProductSpec {
  title: string
  description?: string | null
  price?: string
  categoryId: number
  createdAt?: string
}

export async function insertCategory(pool: pg.Pool, name: string): Promise<number> {
  return (await pool.query<{ id: number }>('INSERT INTO categories (name) VALUES ($1) RETURNING id', [name])).rows[0]!.id
}

export async function insertStore(pool: pg.Pool, name = 'Test Store'): Promise<number> {
  return (await pool.query<{ id: number }>(`INSERT INTO stores (name, location) VALUES ($1, 'Somewhere') RETURNING id`, [name])).rows[0]!.id
}

/** Inserts in one statement, like the seeder, and returns the ids in the order given. */
export async function insertProducts(pool: pg.Pool, specs: ProductSpec[]): Promise<number[]> {
  const { rows } = await pool.query<{ id: number }>(
    `INSERT INTO products (title, description, price, category_id, created_at)
     SELECT title, description, price, category_id, created_at
       FROM unnest($1::text[], $2::text[], $3::numeric[], $4::bigint[], $5::timestamptz[]) WITH ORDINALITY
            AS p(title, description, price, category_id, created_at, n)
      ORDER BY n
     RETURNING id`,
    [
      specs.map((spec) => spec.title),
      specs.map((spec) => (spec.description === undefined ? `About ${spec.title}` : spec.description)),
      specs.map((spec) => spec.price ?? '10.00'),
      specs.map((spec) => spec.categoryId),
      specs.map((spec, index) => spec.createdAt ?? new Date(Date.UTC(2026, 0, 1) + index * 60_000).toISOString()),
    ],
  )
  return rows.map((row) => row.id).sort((a, b) => a - b)
}

/** Sets a level directly, with its seed movement, as the seeder does. */
export async function stock(pool: pg.Pool, storeId: number, productId: number, quantity: number): Promise<void> {
  await pool.query(
    `WITH level AS (INSERT INTO inventory (store_id, product_id, quantity) VALUES ($1, $2, $3) RETURNING store_id, product_id, quantity)
     INSERT INTO stock_movements (store_id, product_id, delta, reason, reference)
     SELECT store_id, product_id, quantity, 'seed', 'test' FROM level WHERE quantity > 0`,
    [storeId, productId, quantity],
  )
}
